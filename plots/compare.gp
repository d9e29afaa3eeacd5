# SPDX-License-Identifier: MIT
# Key metrics of a compare folder, one bar per strategy: mean with the 95%
# confidence interval over replications, from the compare folder's
# aggregate.tsv (linked as aggregate.tsv in the working folder).
# ARG1 scripts folder, ARG2 terminal, ARG3 the window ("after 10 s
# warm-up", or '' without a warm-up), ARG4 each strategy's style (a
# linetype of common.gp), in the rows' order.
scripts = ARG1
term = ARG2
window = ARG3
styles = ARG4
load scripts.'/common.gp'
if (term eq 'svg') {
    set terminal svg size 1200,760 dynamic enhanced font "sans,11" background rgb 'white'
} else {
    if (term eq 'pngcairo') {
        set terminal pngcairo size 1200,760 enhanced font "sans,10"
    } else {
        set terminal png size 1200,760 enhanced font "sans,10"
    }
}
set output 'image'
f = 'aggregate.tsv'
keys = "connections.peak connections.mean handshakes.tls cpu.crypto_s latency.setup_ms.p95 cpu.util_max"
titles = "'peak open connections' 'mean open connections' 'TLS handshakes (full, resumed)' 'crypto CPU (s)' 'set-up latency p95 (ms)' 'busiest node CPU utilisation (0-1)'"
wtitle = window eq '' ? '' : ', measured '.window
set multiplot layout 2,3 title "Strategy comparison: mean and 95% confidence interval over replications".wtitle font ",13" noenhanced
set style fill solid 0.7 border -1
set xtics rotate by -35 noenhanced
set offsets 0.5, 0.5, 0, 0
unset key
# Each panel's top is 12% above its highest mean + CI, so that no error bar
# is clipped; an all-zero panel keeps a unit axis.
top(v) = v > 0 ? v * 1.12 : 1
hi(k) = column(k.'.mean') + column(k.'.ci95')
do for [i=1:words(keys)] {
    m = word(keys, i)
    set title word(titles, i)
    set ylabel word(titles, i)
    if (m eq 'handshakes.tls') {
        # Full and resumed handshakes side by side per strategy, in greys
        # (colours stand for strategies).
        set yrange [*:*]
        stats f using (hi('handshakes.tls_full') > hi('handshakes.tls_resumed') ? hi('handshakes.tls_full') : hi('handshakes.tls_resumed')) nooutput
        set yrange [0:top(STATS_max)]
        set boxwidth 0.35
        set key top right noenhanced
        plot f using ($0-0.18):(column('handshakes.tls_full.mean')):(column('handshakes.tls_full.ci95')):xtic(1) with boxerrorbars lc rgb '#444444' dt 1 title 'full', \
             '' using ($0+0.18):(column('handshakes.tls_resumed.mean')):(column('handshakes.tls_resumed.ci95')) with boxerrorbars lc rgb '#bbbbbb' dt 1 title 'resumed'
        unset key
    } else {
        set yrange [*:*]
        stats f using (hi(m)) nooutput
        set yrange [0:top(STATS_max)]
        set boxwidth 0.6
        # Each strategy's bar in its own colour (lc variable: the colour
        # of linetype style(styles, row)).
        plot f using 0:(column(m.'.mean')):(column(m.'.ci95')):(style(styles, int($0) + 1)):xtic(1) with boxerrorbars lc variable dt 1
    }
}
unset multiplot
