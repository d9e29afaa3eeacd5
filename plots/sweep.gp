# SPDX-License-Identifier: MIT
# One [plot NAME] of a sweep: result keys against the varied key, one line
# per strategy (and value of any other varied key) with 95% confidence
# bars.  The caller (sipreuse plot) writes plots/NAME.dat, one block per
# line whose header names it (columns x, in the x key's unit, then mean
# and ci per y key), and plots/NAME.knee.dat (x, y of the highest x
# meeting the objective, per line), linked as data.dat and knee.dat.
# ARG1 scripts folder, ARG2 terminal, ARG3 title, ARG4 x label, ARG5 y
# label, ARG6 knee title ('' when there is no knee), ARG7 blocks, ARG8 y
# keys, ARG9 1 for a logarithmic x axis.
scripts = ARG1
term = ARG2
title = ARG3
xlabel = ARG4
ylabel = ARG5
kneetitle = ARG6
nb = ARG7 + 0
ny = ARG8 + 0
logx = ARG9 + 0
data = 'data.dat'
knee = 'knee.dat'
load scripts.'/common.gp'
set title title noenhanced
set xlabel xlabel noenhanced
set ylabel ylabel noenhanced
# Autoscaled tops get headroom for the error bars and the legend.
set yrange [0:*]
set offsets 0, 0, graph 0.15, 0
if (logx) { set logscale x 2; set offsets graph 0.03, graph 0.03, graph 0.15, 0 }
set key inside top left opaque noenhanced
if (kneetitle eq '') {
    plot for [b=0:nb-1] for [j=1:ny] data index b using 1:(column(2*j)):(column(2*j+1)) with yerrorlines lt (b*ny+j) title columnheader(2*j)
} else {
    plot for [b=0:nb-1] for [j=1:ny] data index b using 1:(column(2*j)):(column(2*j+1)) with yerrorlines lt (b*ny+j) title columnheader(2*j), \
         knee using 1:2 with points pt 6 ps 3 lw 2 lc rgb 'black' title kneetitle
}
