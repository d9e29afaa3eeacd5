# SPDX-License-Identifier: MIT
# Call set-up latency CDF per strategy, pooled over all its replications:
# the caller (sipreuse plot) sums the histogram buckets of every run's
# latency.tsv and writes plots/latency-cdf.dat, one block per strategy
# (lo_ms hi_ms count cdf_lo cdf), linked as cdf.dat.  ARG1 scripts folder,
# ARG2 terminal, ARG3 scope (which runs they are), ARG4 the strategy names
# (space-separated, one per block), ARG5 the number of blocks and the
# marker step (every how many buckets a marker sits), ARG6 each
# strategy's style (a linetype of common.gp).
scripts = ARG1
term = ARG2
scope = ARG3
names = ARG4
n = word(ARG5, 1) + 0
k = word(ARG5, 2) + 0
styles = ARG6
load scripts.'/common.gp'
f = 'cdf.dat'
set title "Call set-up latency distribution (".scope.")" noenhanced
set xlabel "set-up latency, arrival at the origin proxy to 200 OK (ms, log scale)"
set ylabel "fraction of calls set up within x"
set logscale x
# Ticks a reader can read: 1, 2, 5 in every decade.
set xtics ("0.01" 0.01, "0.02" 0.02, "0.05" 0.05, "0.1" 0.1, "0.2" 0.2, "0.5" 0.5, \
           "1" 1, "2" 2, "5" 5, "10" 10, "20" 20, "50" 50, "100" 100, "200" 200, \
           "500" 500, "1000" 1000, "2000" 2000, "5000" 5000, "10000" 10000, \
           "20000" 20000, "50000" 50000, "100000" 100000, "200000" 200000, "500000" 500000)
set mxtics 10
set yrange [0:1.02]
set key inside top left box opaque
# Each bucket rises from (lo_ms, cdf_lo) to (hi_ms, cdf); steps through the
# upper bounds join the buckets.  Curves that coincide stay visible: each
# strategy's is drawn 1% further right than the one before (centred on
# the true values; the histogram's own buckets are 0.8% wide), with
# markers every k buckets, each strategy's shifted by k/n; the legend
# shows line and marker together.
sh(i) = 1.01 ** (i - (n + 1) / 2.0)
plot for [i=1:n] f index (i-1) using (column("lo_ms") * sh(i)):(column("cdf_lo")):((column("hi_ms") - column("lo_ms")) * sh(i)):(column("cdf") - column("cdf_lo")) with vectors nohead lt style(styles, i) notitle, \
     for [i=1:n] f index (i-1) using (column("hi_ms") * sh(i)):(column("cdf")) with steps lt style(styles, i) notitle, \
     for [i=1:n] f index (i-1) every k::((i - 1) * k / n) using (column("hi_ms") * sh(i)):(column("cdf")) with points lt style(styles, i) ps 1.3 notitle, \
     for [i=1:n] keyentry with linespoints lt style(styles, i) ps 1.3 title word(names, i)
