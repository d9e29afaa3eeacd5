# SPDX-License-Identifier: MIT
# One [plot NAME] of a sweep: result keys against the varied key, one line
# per strategy (and value of any other varied key) with 95% confidence
# bars.  The caller (sipreuse plot) writes plots/NAME.dat, one block per
# line whose header names it (columns x, in the x key's unit, then mean
# and ci per y key), and plots/NAME.knee.dat (x, y, status of each
# line's knee), linked as data.dat and knee.dat.
# ARG1 scripts folder, ARG2 terminal, ARG3 title, ARG4 x label, ARG5 y
# label, ARG6 knee title ('' when there is no knee), ARG7 the number of
# blocks, then per block its strategy's style (a linetype of common.gp)
# and how many earlier blocks share it ("NB S1 R1 S2 R2 ..."), ARG8 y
# keys, ARG9 five flags, '1' or '0': a logarithmic x axis, the knee
# statuses present (below), a logarithmic y axis; gnuplot -c passes nine
# arguments at most.
scripts = ARG1
term = ARG2
title = ARG3
xlabel = ARG4
ylabel = ARG5
kneetitle = ARG6
nb = word(ARG7, 1) + 0
blocks = ARG7
ny = ARG8 + 0
logx = ARG9[1:1] eq '1'
logy = strlen(ARG9) >= 5 && ARG9[5:5] eq '1'
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
if (logy) { set logscale y; set yrange [*:*] }
# Styles: block b (from 0) of strategy style st(b); its y key j gets the
# strategy's colour, dash and marker, except that a second y key, or a
# later block of the same strategy (variant v > 0), gets the open marker
# and another dash.
st(b) = word(blocks, 2 + 2 * b) + 0
rp(b) = word(blocks, 3 + 2 * b) + 0
v(b, j) = (j - 1) + rp(b) * ny
basept(s) = word("7 5 9 11 13 3 1", s) + 0
basedt(s) = word("1 2 4 5 3 1 1", s) + 0
pts(b, j) = v(b, j) == 0 ? basept(st(b)) : openpt(st(b))
dts(b, j) = v(b, j) == 0 ? basedt(st(b)) : (basedt(st(b)) + v(b, j) - 1) % 5 + 1
# Curves that coincide stay visible: each is shifted by a small x offset
# (about half a marker; 0.03 of an octave on a log axis, 0.6% of the
# range on a linear one), the knee marks stay at their x.
nc = nb * ny
stats data using 1 nooutput
span = STATS_max > STATS_min ? STATS_max - STATS_min : 1
c(b, j) = (b * ny + j - 1) - (nc - 1) / 2.0
xo(x, b, j) = logx ? x * 2 ** (0.03 * c(b, j)) : x + 0.006 * span * c(b, j)
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
lines = "plot for [b=0:nb-1] for [j=1:ny] data index b using (xo($1, b, j)):(column(2*j)):(column(2*j+1)) with yerrorlines lt st(b) pt pts(b, j) dt dts(b, j) ps 1.2 title columnheader(2*j)"
if (kneetitle eq '') {
    eval lines
} else {
    cmd = lines.", keyentry with points pt -1 title tc"
    cmd = cmd.", knee using 1:(column(3) == 0 ? column(2) : NaN) with points pt 6 ps 3 lw 2 lc rgb 'black' title tr"
    if (hn) { cmd = cmd.", knee using 1:(column(3) == 1 ? column(2) : NaN):(\"no knee up to here \342\206\222\") with labels right offset char -1.2,0.8 point pt 9 ps 2 lc rgb 'black' tc rgb 'black' title tn" }
    if (hb) { cmd = cmd.", knee using 1:(column(3) == 2 ? column(2) : NaN):(\"\342\206\220 fails from here\") with labels left offset char 1.2,0.8 point pt 11 ps 2 lc rgb 'black' tc rgb 'black' title tb" }
    eval cmd
}
