# SPDX-License-Identifier: MIT
# Load per node (e.g. the members of an SRV farm): SIP requests received by
# each node, one bar per strategy, from each strategy's first replication
# (RUN/nodes.tsv).  The caller sets names and runs.
load scripts.'/common.gp'
n = words(runs)
bw = 0.8 / n
set title "Load per node: SIP requests received (first replication of each strategy)"
set xlabel "node"
set ylabel "requests received"
set style fill solid 0.7 border -1
set boxwidth bw absolute
set yrange [0:*]
set offsets 0.5, 0.5, 0, 0
set xtics noenhanced
set key outside right top
plot for [i=1:n] word(runs, i).'/nodes.tsv' using ($0 + (i - 1 - (n - 1) / 2.0) * bw):(column("requests.received")) with boxes lt i title word(names, i), \
     word(runs, 1).'/nodes.tsv' using 0:(NaN):xtic(1) notitle
