# SPDX-License-Identifier: BSD-3-Clause
# Packets/s per trace: sensor vs the testpmd ceiling on the same net_pcap vdev.
# Run by bench/run-bench.sh inside bench/results/ (reads pps.dat, writes pps.png).
set terminal pngcairo size 1000,560 noenhanced font ",10"
set output "pps.png"
set title "dnsift: packets/s per trace (net_pcap infinite_rx replay)"
set ylabel "Mpps"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key top right
set xtics rotate by -20
set yrange [0:*]
plot "pps.dat" using 3:xtic(1) title "testpmd rxonly ceiling", \
     "" using 2 title "dnsift sensor"
