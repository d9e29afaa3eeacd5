# SPDX-License-Identifier: MIT
# Load per node: SIP requests received by each node, one bar per strategy
# with the mean and 95% confidence interval over its replications.  When
# the topology has SRV farms only their members are shown, each with a
# black mark at its expected load: its SRV share (weight / sum) of what the
# farm received under that strategy.  The caller (sipreuse plot) writes
# plots/load-per-node.dat (columns node, srv.domain, srv.share, then per
# strategy mean, ci, expected), linked as nodes.dat.  ARG1 scripts folder,
# ARG2 terminal, ARG3 scope, ARG4 strategies, ARG5 most replications,
# ARG6 1 if there are SRV farms, ARG7 each strategy's style (a linetype
# of common.gp), ARG8 the window ("after 10 s warm-up", or '').
scripts = ARG1
term = ARG2
scope = ARG3
ns = ARG4 + 0
reps = ARG5 + 0
farms = ARG6 + 0
styles = ARG7
window = ARG8
nodes = 'nodes.dat'
load scripts.'/common.gp'
n = ns
bw = 0.8 / n
what = farms ? "per SRV farm member" : "per node"
reps_text = reps > 1 ? sprintf("mean and 95%% CI over %d replications%s", reps, window eq '' ? '' : ', '.window) : scope
note = "\nblack marks: expected load, the node's SRV share (weight / sum) of its farm's requests"
set title sprintf("Load %s: SIP requests received (%s)%s", what, reps_text, farms ? note : "") noenhanced
if (farms) { set bmargin 4; set xtics font ",9" } else { set xlabel "node" }
set ylabel "SIP requests received"
set style fill solid 0.7 border lc rgb '#666666'
set boxwidth bw absolute
set yrange [0:*]
set offsets 0.5, 0.5, graph 0.3, 0
set xtics noenhanced
set key inside top center horizontal maxcols 4 opaque noenhanced
x(i) = $0 + (i - 1 - (n - 1) / 2.0) * bw
lab(c1, c2) = farms ? sprintf("%s\n(%s)", c1, c2) : c1
plot for [i=1:n] nodes using (x(i)):(column(3*i + 1)):(column(3*i + 2)) with boxerrorbars lt style(styles, i) dt 1 title columnheader(3*i + 1), \
     for [i=1:n] nodes using (x(i) - bw / 2):(column(3*i + 3)):(bw):(0) with vectors nohead lw 4 lc rgb 'black' dt 1 title (farms && i == 1 ? 'expected (SRV share)' : ''), \
     nodes using 0:(NaN):xtic(lab(strcol(1), strcol(2))) notitle
