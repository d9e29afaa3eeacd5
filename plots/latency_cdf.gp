# SPDX-License-Identifier: MIT
# Call set-up latency CDF per strategy, from each strategy's first
# replication (RUN/latency.tsv: bucket bounds and cumulative fractions,
# linked as run1.latency.tsv, run2.latency.tsv, ...).  ARG1 scripts folder,
# ARG2 terminal, ARG3 scope (which runs they are), ARG4 the strategy names
# (space-separated, one per run), ARG5 the number of runs.
scripts = ARG1
term = ARG2
scope = ARG3
names = ARG4
n = ARG5 + 0
load scripts.'/common.gp'
run(i) = sprintf('run%d.latency.tsv', i)
set title "Call set-up latency distribution (".scope.")" noenhanced
set xlabel "set-up latency, arrival at the origin proxy to 200 OK (ms)"
set ylabel "fraction of calls set up within x"
set logscale x
set yrange [0:1.02]
set key inside top left box opaque
# Each bucket rises from (lo_ms, cdf_lo) to (hi_ms, cdf); steps through the
# upper bounds join the buckets.
plot for [i=1:n] run(i) using (column("lo_ms")):(column("cdf_lo")):(column("hi_ms") - column("lo_ms")):(column("cdf") - column("cdf_lo")) with vectors nohead lt i dt i title word(names, i), \
     for [i=1:n] run(i) using (column("hi_ms")):(column("cdf")) with steps lt i dt i notitle
