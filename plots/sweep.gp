# SPDX-License-Identifier: MIT
# One [plot NAME] of a sweep: result keys against the varied key, one line
# per strategy (and value of any other varied key) with 95% confidence
# bars.  The caller (sipreuse plot) writes data, one block per line whose
# header names it (columns x, in the x key's unit, then mean and ci per y
# key), and knee (x, y of the highest x meeting the objective, per line);
# it sets nb blocks, ny keys, title, xlabel, ylabel, kneetitle ('' when
# there is no knee) and logx.
load scripts.'/common.gp'
set title title noenhanced
set xlabel xlabel noenhanced
set ylabel ylabel noenhanced
# Autoscaled tops get headroom for the error bars and the legend.
set yrange [0:*]
set offsets 0, 0, graph 0.15, 0
if (exists("logx") && logx) { set logscale x 2; set offsets graph 0.03, graph 0.03, graph 0.15, 0 }
set key inside top left opaque noenhanced
if (kneetitle eq '') {
    plot for [b=0:nb-1] for [j=1:ny] data index b using 1:(column(2*j)):(column(2*j+1)) with yerrorlines lt (b*ny+j) title columnheader(2*j)
} else {
    plot for [b=0:nb-1] for [j=1:ny] data index b using 1:(column(2*j)):(column(2*j+1)) with yerrorlines lt (b*ny+j) title columnheader(2*j), \
         knee using 1:2 with points pt 6 ps 3 lw 2 lc rgb 'black' title kneetitle
}
