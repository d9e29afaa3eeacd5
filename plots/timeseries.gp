# SPDX-License-Identifier: MIT
# Open connections over simulated time per strategy, from each strategy's
# first replication (RUN/timeseries.tsv).  The caller sets names and runs.
load scripts.'/common.gp'
set title "Open connections over time (all nodes, first replication of each strategy)"
set xlabel "simulated time (s)"
set ylabel "open connections"
set yrange [0:*]
set key outside right top
plot for [i=1:words(runs)] word(runs, i).'/timeseries.tsv' using (column("time_s")):(column("open_connections")) with steps lt i dt i title word(names, i)
