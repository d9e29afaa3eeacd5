# SPDX-License-Identifier: MIT
# Shared settings of the sipreuse plots, loaded by every script.  sipreuse
# plot runs each script as `gnuplot -c SCRIPT SCRIPTS TERM ARG3...` in a
# private working folder: ARG1 is this folder, ARG2 the terminal
# (pngcairo, png or svg); the script copies them to `scripts` and `term`
# before loading this file (a loaded file does not see ARGn).  Every file
# a script opens has a fixed name in the working folder and the image is
# written to "image"; strings (titles, labels, names) arrive as ARGn,
# which gnuplot keeps as data and never runs.  The scripts read result
# files only.
if (term eq 'svg') {
    set terminal svg size 960,600 dynamic enhanced font "sans,12" background rgb 'white'
} else {
    if (term eq 'pngcairo') {
        set terminal pngcairo size 960,600 enhanced font "sans,11"
    } else {
        set terminal png size 960,600 enhanced font "sans,11"
    }
}
set output 'image'
set datafile separator "\t"
set datafile columnheaders
set grid back lc rgb '#dddddd'
set border 3
set tics nomirror
set key noenhanced
# One style per strategy, the same in every plot (sipreuse passes each
# strategy's linetype: 1 + its place in the registry, 7 for any other
# name): colour, dash and marker.  1 rfc3261, 2 per-transaction,
# 3 two-connection, 4 reuse, 5 virtual-server, 6 reuse-unauthenticated.
set linetype 1 lc rgb '#4477aa' lw 2 pt 7 dt 1
set linetype 2 lc rgb '#ee6677' lw 2 pt 5 dt 2
set linetype 3 lc rgb '#228833' lw 2 pt 9 dt 4
set linetype 4 lc rgb '#aa7700' lw 2 pt 11 dt 5
set linetype 5 lc rgb '#33bbee' lw 2 pt 13 dt 3
set linetype 6 lc rgb '#aa3377' lw 2 pt 3 dt (12,4,2,4,2,4)
set linetype 7 lc rgb '#888888' lw 2 pt 1 dt (2,3)
set linetype cycle 7
# The open variant of each style's marker (a second curve of the same
# strategy), and the style of the i-th strategy of a list.
openpt(s) = word("6 4 8 10 12 2 1", s) + 0
style(list, i) = word(list, i) + 0
