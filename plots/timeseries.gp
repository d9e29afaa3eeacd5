# SPDX-License-Identifier: MIT
# Open connections over simulated time per strategy, from each strategy's
# first replication (RUN/timeseries.tsv, linked as run1.timeseries.tsv,
# ...).  ARG1 scripts folder, ARG2 terminal, ARG3 scope, ARG4 the strategy
# names (space-separated), ARG5 the number of runs.
scripts = ARG1
term = ARG2
scope = ARG3
names = ARG4
n = ARG5 + 0
load scripts.'/common.gp'
run(i) = sprintf('run%d.timeseries.tsv', i)
set title "Open connections over time (all nodes, ".scope.")" noenhanced
set xlabel "simulated time (s)"
set ylabel "open connections (all nodes)"
set yrange [0:*]
set offsets 0, 0, graph 0.25, 0
set key inside top left opaque
plot for [i=1:n] run(i) using (column("time_s")):(column("open_connections")) with steps lt i dt i title word(names, i)
