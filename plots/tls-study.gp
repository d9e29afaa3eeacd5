# SPDX-License-Identifier: MIT
# tls-study.gp: the saturation throughput of each configuration of
# topologies/tls-study.exp, normalised to UDP's, with the published ratios
# marked.  RESULTS_DIR is the folder of a finished sweep of tls-study.exp
# and must hold knees.tsv (the [plot completion] knees, written with or
# without --no-plots); the script writes RESULTS_DIR/throughput.png and
# RESULTS_DIR/throughput.svg (beside knees.tsv, not in plots/, which a
# sweep run with --no-plots does not create):
#
#   gnuplot -c plots/tls-study.gp results/tls-study
#
# A missing, unreadable or empty knees.tsv exits 2, a knees.tsv without
# the UDP knee exits 1; a configuration without a knee draws no bar.
#
# Published: Shen, Nahum, Schulzrinne, Wright (IPTComm 2010) measured TLS
# with a handshake per call at up to 17x below UDP on OpenSIPS; Nahum,
# Tracey, Wright (NOSSDAV 2007) TCP at 2-4x below UDP on OpenSER.

if (ARGC < 1) { print "usage: gnuplot -c plots/tls-study.gp RESULTS_DIR"; exit status 2 }
dir = ARG1
knees = dir . "/knees.tsv"
set datafile separator "\t"

# stats only warns when it cannot read a file or finds no data in it, and
# then leaves STATS_* undefined: say so ourselves.
undefine STATS_*
stats knees using (1) nooutput
if (!exists("STATS_records")) {
    print "tls-study.gp: " . knees . " is missing, unreadable or empty (give the folder of a finished sweep of topologies/tls-study.exp)"
    exit status 2
}

# The five configurations, in the order of the model's closed form.
array label[5] = ["UDP", "TCP", "TLS", "TCP per txn", "TLS per txn"]
array key[5] = ["rfc3261,transport.protocol=udp", \
                "rfc3261,transport.protocol=tcp", \
                "rfc3261,transport.protocol=tls", \
                "per-transaction,transport.protocol=tcp", \
                "per-transaction,transport.protocol=tls"]
array knee[5]
do for [i=1:5] {
    knee[i] = NaN
    # A configuration without a knee finds no valid point: STATS_* stay
    # undefined (not the previous configuration's).
    undefine STATS_*
    stats knees using (strcol(1) eq "completion" && strcol(2) eq key[i] ? column(3) : NaN) nooutput
    if (exists("STATS_records") && STATS_records > 0) { knee[i] = STATS_max }
}
if (knee[1] != knee[1]) { print "no UDP knee in ", knees; exit status 1 }

set terminal pngcairo size 900,560 font ",11"
set output dir . "/throughput.png"
set title "Saturation throughput normalised to UDP (one server, proxy cost profile)"
set ylabel "throughput / UDP throughput (log)"
set logscale y
set yrange [0.02:1.5]
set xrange [0.4:5.6]
set style fill solid 0.6 border -1
set boxwidth 0.6
set grid ytics
set xtics () 
do for [i=1:5] { set xtics add (label[i] i) }
# Published: TCP 1/4 to 1/2 of UDP (OpenSER 2007), TLS per call 1/17.
set object 1 rect from 1.6,0.25 to 2.4,0.5 fc rgb "#ffcc66" fs transparent solid 0.4 noborder behind
set label 1 "published TCP: 2-4x below UDP (NOSSDAV 2007)" at 1.45,0.21 font ",9" front
set arrow 1 from 4.6,1.0/17 to 5.4,1.0/17 nohead lw 2 lc rgb "#cc0000"
set label 2 "published TLS per call: up to 17x (IPTComm 2010)" at 3.2,1.0/17*1.45 font ",9" tc rgb "#cc0000" front
# A label at a NaN y crashes gnuplot 5.4 on a log axis: a configuration
# without a knee gets the words "no knee" near the bottom instead.
plot for [i=1:5] '+' using (i):(knee[i]/knee[1]) every ::0::0 with boxes notitle lc i, \
     for [i=1:5] '+' using (i):(knee[i] == knee[i] ? knee[i]/knee[1]*1.12 : 0.03):(knee[i] == knee[i] ? sprintf("%.3g", knee[i]/knee[1]) : "no knee") every ::0::0 with labels notitle
set terminal svg size 900,560
set output dir . "/throughput.svg"
replot
