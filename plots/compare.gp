# SPDX-License-Identifier: MIT
# Key metrics of a compare folder, one bar per strategy: mean with the 95%
# confidence interval over replications, from dir/aggregate.tsv.
load scripts.'/common.gp'
if (term eq 'svg') { set terminal svg size 1200,760 dynamic enhanced font "sans,11" background rgb 'white' } else { set terminal @term size 1200,760 enhanced font "sans,10" }
set output out
f = dir.'/aggregate.tsv'
keys = "connections.peak connections.mean handshakes.tls_full cpu.crypto_s latency.setup_ms.p95 cpu.util_max"
titles = "'peak open connections' 'mean open connections' 'full TLS handshakes' 'crypto CPU (s)' 'set-up latency p95 (ms)' 'busiest node CPU utilisation (0-1)'"
set multiplot layout 2,3 title "Strategy comparison: mean and 95% confidence interval over replications" font ",13"
set style fill solid 0.7 border -1
set boxwidth 0.6
set xtics rotate by -35 noenhanced
# Autoscaled tops get 12% of headroom so that no error bar touches the
# frame.
set yrange [0:*]
set offsets 0.5, 0.5, graph 0.12, 0
unset key
do for [i=1:words(keys)] {
    m = word(keys, i)
    set title word(titles, i)
    set ylabel word(titles, i)
    plot f using 0:(column(m.'.mean')):(column(m.'.ci95')):xtic(1) with boxerrorbars lc rgb '#4477aa'
}
unset multiplot
