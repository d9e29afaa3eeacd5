# SPDX-License-Identifier: MIT
# One [plot NAME] of a sweep: result keys against the varied key, one line
# per strategy (and value of any other varied key) with 95% confidence
# bars.  The caller (sipreuse plot) writes plots/NAME.dat, one block per
# line whose header names it (columns x, in the x key's unit, then mean
# and ci per y key), and plots/NAME.knee.dat (x, y, status of each
# line's knee), linked as data.dat and knee.dat.
# ARG1 scripts folder, ARG2 terminal, ARG3 title, ARG4 x label, ARG5 y
# label, ARG6 knee title ('' when there is no knee), ARG7 blocks, ARG8 y
# keys, ARG9 four flags, '1' or '0': a logarithmic x axis, then the knee
# statuses present (below); gnuplot -c passes nine arguments at most.
scripts = ARG1
term = ARG2
title = ARG3
xlabel = ARG4
ylabel = ARG5
kneetitle = ARG6
nb = ARG7 + 0
ny = ARG8 + 0
logx = ARG9[1:1] eq '1'
data = 'data.dat'
knee = 'knee.dat'
load scripts.'/common.gp'
set title title noenhanced
set xlabel xlabel noenhanced
set ylabel ylabel noenhanced
# Autoscaled tops get headroom for the error bars and the legend.
set yrange [0:*]
top = kneetitle eq '' ? 0.15 : 0.3
set offsets 0, 0, graph top, 0
if (logx) { set logscale x 2; set offsets graph 0.03, graph 0.03, graph top, 0 }
set key inside top left opaque noenhanced
# knee.dat: x y status line; status 0 reached (a circle at the knee,
# interpolated between the last point meeting the criterion and the first
# failing it), 1 not reached (the criterion holds at every point: an arrow
# label at the last point, the knee lies beyond the range), 2 below the
# range (it fails at the first point: a label at the first point).
# ARG9[2:4] says which statuses occur: only those get a legend entry; the
# criterion names the reached knees' entry, or an entry of its own.
has = ARG9[2:4].'000'
hr = has[1:1] eq '1'
hn = has[2:2] eq '1'
hb = has[3:3] eq '1'
tr = hr ? kneetitle : ''
tc = hr ? '' : kneetitle
tn = hn ? 'knee not reached: holds at every x' : ''
tb = hb ? 'knee below the range: fails at the first x' : ''
# gnuplot 5.4 crashes on a 'with labels' plot whose points are all
# undefined, so each label plot is added only when its status occurs.  The
# command is built from this script's own text only: every title is
# referenced by its variable name, never pasted in.
lines = "plot for [b=0:nb-1] for [j=1:ny] data index b using 1:(column(2*j)):(column(2*j+1)) with yerrorlines lt (b*ny+j) title columnheader(2*j)"
if (kneetitle eq '') {
    eval lines
} else {
    cmd = lines.", keyentry with points pt -1 title tc"
    cmd = cmd.", knee using 1:(column(3) == 0 ? column(2) : NaN) with points pt 6 ps 3 lw 2 lc rgb 'black' title tr"
    if (hn) { cmd = cmd.", knee using 1:(column(3) == 1 ? column(2) : NaN):(\"no knee up to here \342\206\222\") with labels right offset char -1.2,0.8 point pt 9 ps 2 lc rgb 'black' tc rgb 'black' title tn" }
    if (hb) { cmd = cmd.", knee using 1:(column(3) == 2 ? column(2) : NaN):(\"\342\206\220 fails from here\") with labels left offset char 1.2,0.8 point pt 11 ps 2 lc rgb 'black' tc rgb 'black' title tb" }
    eval cmd
}
