#!/usr/bin/env bash
# Busy CPU of the whole machine (every process: the JVM, PostgreSQL, the kernel) per delivered
# event, over one run of PostgresExtraBenchmarks' steady-state groups (1 group x 4 members,
# 3 iterations, twice: 6 x EVENTS events). Less noisy than a throughput on a shared 2-core
# machine, because it counts work, not time; run it with nothing else busy, and alternate jars.
#
#   benchmarks/cpu-per-event.sh JAR [EVENTS]     (EVENTS default 400000)
set -euo pipefail
jar=$1
events=${2:-400000}
busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
ticks=$(getconf CLK_TCK)
before=$(busy)
start=$(date +%s.%N)
results=$(java -Xms1g -Xmx1g -cp "$jar" io.relaybus.bench.PostgresExtraBenchmarks --only groups \
  --groups 1 --events "$events" --iterations 3 --members 4 --set relaybus.bench.payload=varied \
  2>&1 | grep RESULT | sed 's/.*median/median/' | tr '\n' ' ')
after=$(busy)
end=$(date +%s.%N)
awk -v b="$((after - before))" -v t="$ticks" -v n="$((6 * events))" -v s="$start" -v e="$end" \
  -v r="$results" -v j="$jar" 'BEGIN { printf "%s: busy CPU %.2f us per event, wall %.1f s; %s\n",
  j, b / t * 1e6 / n, e - s, r }'
