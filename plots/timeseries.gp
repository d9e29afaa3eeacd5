# SPDX-License-Identifier: MIT
# Open connections over simulated time per strategy, from each strategy's
# first replication (RUN/timeseries.tsv).  The caller sets names, runs and
# scope.
load scripts.'/common.gp'
if (!exists("scope")) scope = 'first replication of each strategy'
set title "Open connections over time (all nodes, ".scope.")" noenhanced
set xlabel "simulated time (s)"
set ylabel "open connections (all nodes)"
set yrange [0:*]
set offsets 0, 0, graph 0.25, 0
set key inside top left opaque
plot for [i=1:words(runs)] word(runs, i).'/timeseries.tsv' using (column("time_s")):(column("open_connections")) with steps lt i dt i title word(names, i)
