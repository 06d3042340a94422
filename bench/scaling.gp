# bench/scaling.gp - docs/performance-scaling.png from the medians bench/run writes to
# build/bench/scaling.dat.
# Called as: gnuplot -e "datafile='...'; outfile='...'; columns=N; colors='#rrggbb ...';
#                        dashes='1 2 1 ...'; charttitle='...'" bench/scaling.gp
# scaling.dat: a header line (threads, then one quoted title per series), then one line per thread
# count: the threads per side, then each series' median wall time per message in ns (NaN where it
# has no figure). One line per implementation and flavor: the colour says the implementation, the
# dash the flavor. Log scales: thread counts double, and the flavors' costs span decades.
set terminal pngcairo noenhanced size 1400,800 font "DejaVu Sans,10"
set output outfile
set title charttitle
set logscale x 2
set logscale y
set format y "%g"
set xlabel "producers = consumers (threads per side)"
set ylabel "ns per message (log scale)"
set grid xtics ytics
set key outside right top vertical
set datafile missing "NaN"
plot for [i=1:columns] datafile using 1:(column(i+1)) with linespoints lw 2 pt 7 ps 1 \
     lc rgb word(colors, i) dt int(word(dashes, i)) title columnheader(i+1)
