# SPDX-License-Identifier: MIT
# Shared settings of the sipreuse plots, loaded by every script.  The caller
# (sipreuse plot) sets term (pngcairo, png or svg), out (the image path) and
# dir (the results folder) and scripts (this folder); the scripts read
# result files only.
if (!exists("term")) term = 'pngcairo'
if (term eq 'svg') {
    set terminal svg size 960,600 dynamic enhanced font "sans,12" background rgb 'white'
} else {
    set terminal @term size 960,600 enhanced font "sans,11"
}
set output out
set datafile separator "\t"
set datafile columnheaders
set grid back lc rgb '#dddddd'
set border 3
set tics nomirror
set key noenhanced
set linetype 1 lc rgb '#4477aa' lw 2 pt 7
set linetype 2 lc rgb '#ee6677' lw 2 pt 5
set linetype 3 lc rgb '#228833' lw 2 pt 9
set linetype 4 lc rgb '#ccbb44' lw 2 pt 11
set linetype 5 lc rgb '#66ccee' lw 2 pt 13
set linetype 6 lc rgb '#aa3377' lw 2 pt 3
set linetype 7 lc rgb '#bbbbbb' lw 2 pt 1
set linetype cycle 7
