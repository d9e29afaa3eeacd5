# SPDX-License-Identifier: MIT
# Call set-up latency CDF per strategy, from each strategy's first
# replication (RUN/latency.tsv: bucket bounds and cumulative fractions).
# The caller sets names (strategies), runs (their run folders) and scope
# (which runs they are).
load scripts.'/common.gp'
if (!exists("scope")) scope = 'first replication of each strategy'
set title "Call set-up latency distribution (".scope.")" noenhanced
set xlabel "set-up latency, arrival at the origin proxy to 200 OK (ms)"
set ylabel "fraction of calls set up within x"
set logscale x
set yrange [0:1.02]
set key inside top left box opaque
# Each bucket rises from (lo_ms, cdf_lo) to (hi_ms, cdf); steps through the
# upper bounds join the buckets.
plot for [i=1:words(runs)] word(runs, i).'/latency.tsv' using (column("lo_ms")):(column("cdf_lo")):(column("hi_ms") - column("lo_ms")):(column("cdf") - column("cdf_lo")) with vectors nohead lt i dt i title word(names, i), \
     for [i=1:words(runs)] word(runs, i).'/latency.tsv' using (column("hi_ms")):(column("cdf")) with steps lt i dt i notitle
