package io.relaybus;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/** The README's dependency snippet names artifacts and versions that the build really has. */
class ReadmeDependenciesTest {

  @Test
  void theSnippetImportsThisBomAndNamesOnlyItsArtifacts() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    int open = readme.indexOf("```xml", readme.indexOf("## Quick start"));
    String xml = readme.substring(open + "```xml".length(), readme.indexOf("```", open + 6));
    Document snippet = parse("<project>" + xml + "</project>");
    Document bom = parse(Files.readString(Path.of("..", "bom", "pom.xml")));
    Document parent = parse(Files.readString(Path.of("..", "pom.xml")));

    Element imported = (Element) snippet.getElementsByTagName("dependencyManagement").item(0);
    assertThat(text(imported, "artifactId")).isEqualTo(text(bom.getDocumentElement(),
        "artifactId"));
    assertThat(text(imported, "version")).isEqualTo(text(bom.getDocumentElement(), "version"));
    assertThat(text(imported, "scope")).isEqualTo("import");

    List<String> managed = artifactIds(bom.getElementsByTagName("dependency"));
    List<String> named = new ArrayList<>();
    NodeList dependencies = snippet.getElementsByTagName("dependency");
    for (int i = 1; i < dependencies.getLength(); i++) {
      Element d = (Element) dependencies.item(i);
      if (text(d, "groupId").equals("io.relaybus")) {
        named.add(text(d, "artifactId"));
      } else {
        assertThat(text(d, "artifactId")).isEqualTo("slf4j-simple");
        assertThat(text(d, "version")).isEqualTo(text(parent.getDocumentElement(),
            "slf4j.version"));
      }
    }
    Matcher mentioned = Pattern.compile("relaybus-[a-z-]+").matcher(xml);
    while (mentioned.find()) {
      named.add(mentioned.group());
    }
    named.remove("relaybus-bom");
    assertThat(named).isNotEmpty();
    assertThat(managed).containsAll(named);
  }

  private static Document parse(String xml) throws Exception {
    return DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new InputSource(new StringReader(xml)));
  }

  private static String text(Element parent, String tag) {
    return parent.getElementsByTagName(tag).item(0).getTextContent().trim();
  }

  private static List<String> artifactIds(NodeList dependencies) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < dependencies.getLength(); i++) {
      ids.add(text((Element) dependencies.item(i), "artifactId"));
    }
    return ids;
  }
}
