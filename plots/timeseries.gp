# SPDX-License-Identifier: MIT
# Open connections over simulated time per strategy, from each strategy's
# first replication (RUN/timeseries.tsv, linked as run1.timeseries.tsv,
# ...): each interval's time-weighted mean (thick) and its highest level
# (thin, same colour), which a short-lived peak reaches while the mean
# does not; the warm-up is shaded.  ARG1 scripts folder, ARG2 terminal,
# ARG3 scope, ARG4 the strategy names (space-separated), ARG5 the number
# of runs and the marker step (rows), ARG6 each strategy's style, ARG7 the
# warm-up in seconds (0: none).
scripts = ARG1
term = ARG2
scope = ARG3
names = ARG4
n = word(ARG5, 1) + 0
k = word(ARG5, 2) + 0
styles = ARG6
warmup = ARG7 + 0
load scripts.'/common.gp'
run(i) = sprintf('run%d.timeseries.tsv', i)
set title "Open connections over time (all nodes, ".scope.")".(warmup > 0 ? "\nshaded: warm-up, left out of every other figure" : "") noenhanced
set xlabel "simulated time (s)"
set ylabel "open connections (all nodes)"
set yrange [0:*]
set offsets 0, 0, graph 0.1, 0
set key below horizontal maxcols 3 noenhanced
if (warmup > 0) {
    set object 1 rectangle from first 0, graph 0 to first warmup, graph 1 behind fillcolor rgb '#e8e8e8' fillstyle solid 1.0 noborder
    set label 1 "warm-up" at first warmup / 2.0, graph 0.04 center textcolor rgb '#666666'
}
# Each row holds the interval that ends at its time: steps drawn with
# 'fsteps' hold a row's values over the interval before it.
plot for [i=1:n] run(i) using (column("time_s")):(column("open_connections_max")) with fsteps lt style(styles, i) lw 0.8 dt 1 notitle, \
     for [i=1:n] run(i) using (column("time_s")):(column("open_connections_mean")) with fsteps lt style(styles, i) notitle, \
     for [i=1:n] run(i) every k::((i - 1) * k / n) using (column("time_s")):(column("open_connections_mean")) with points lt style(styles, i) ps 1.3 notitle, \
     for [i=1:n] keyentry with linespoints lt style(styles, i) ps 1.3 title word(names, i).' (interval mean)', \
     keyentry with lines lt -1 lw 0.8 dt 1 title 'thin: highest in each interval'
