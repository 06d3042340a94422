# bench/chart.gp - docs/performance.png from the medians bench/run writes to build/bench/chart.dat.
# Called as: gnuplot -e "datafile='...'; outfile='...'; columns=N; colors='#rrggbb ...';
#                        charttitle='...'" bench/chart.gp (colors: one per implementation)
# chart.dat: a header line, then one line per case: the case name, then for each implementation
# its median, min and max wall time per message in ns (NaN where it has no figure). One group of
# bars per case, one bar per implementation, min-max as error bars, log scale because the cases
# span four decades.
set terminal pngcairo noenhanced size 1800,900 font "DejaVu Sans,10"
set output outfile
set title charttitle
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set format y "%g"
set ylabel "ns per message (log scale)"
set grid ytics
set xtics rotate by 40 right scale 0
set key outside right top vertical
set bmargin 9
plot for [i=1:columns] datafile using (column(3*i-1)):(column(3*i)):(column(3*i+1)):xtic(1) \
     lc rgb word(colors, i) title columnheader(3*i-1)
