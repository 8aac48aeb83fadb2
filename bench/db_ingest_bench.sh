#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Ingest benchmark of dnsift-db: records/s from segment files to committed MTBL
# files, end to end (verify, decompress, parse, index, sort, write, fsync), and the
# bytes per record on disk, as batches and after a full compaction. Reports numbers
# (best and median of RUNS); never fails on speed.
#
#   bench/db_ingest_bench.sh BUILDDIR [RECORDS] [RUNS]
#
# Input: generated segments (tests/tools/make_db_segments.py: A, AAAA, NS, MX, CNAME,
# TXT over a pool of names, 50000 records per segment), cached in bench/traces/,
# plus the COF reader alone against jansson (bench_cof_read) on the same lines.
set -eu
build=$1
records=${2:-2000000}
runs=${3:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
db=$build/db/dnsift-db
per=50000
nseg=$(((records + per - 1) / per))
segs=$top/bench/traces/db-ingest-$nseg-$per
if [ ! -d "$segs" ]; then
	echo "generating $nseg segments of $per records into $segs"
	mkdir -p "$segs.tmp"
	python3 "$top/tests/tools/make_db_segments.py" "$segs.tmp" bench 1 "$nseg" "$per" \
		--seed=5 --names=$((records / 2))
	mv "$segs.tmp" "$segs"
fi
n=$((nseg * per))
seg_bytes=$(du -cb "$segs"/*.ndjson.lz4 | tail -1 | cut -f1)
tmp=$(mktemp -d /tmp/dnsift-db-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
rates=
for r in $(seq 1 "$runs"); do
	rm -rf "$tmp/db"
	t0=$(date +%s%N)
	"$db" -d "$tmp/db" ingest "$segs" > "$tmp/out"
	t1=$(date +%s%N)
	got=$(awk -F= '$1 == "records" { print $2 }' "$tmp/out")
	[ "$got" = "$n" ] || { echo "ingest took $got of $n records"; exit 1; }
	rate=$((n * 1000 / ((t1 - t0) / 1000000)))
	echo "run $r: $n records in $(((t1 - t0) / 1000000)) ms: $rate records/s"
	rates="$rates $rate"
done
sorted=$(echo $rates | tr ' ' '\n' | sort -n)
echo "ingest: best $(echo "$sorted" | tail -1) records/s, median $(echo "$sorted" | sed -n "$(((runs + 1) / 2))p") records/s ($runs runs, $(nproc) cores)"
"$db" -d "$tmp/db" stats > "$tmp/st"
b=$(awk -F= '$1 == "bytes" { print $2 }' "$tmp/st")
f=$(awk -F= '$1 == "files" { print $2 }' "$tmp/st")
rr=$(awk -F= '$1 == "rrset_entries" { print $2 }' "$tmp/st")
echo "input: $n records, $((seg_bytes / n)) bytes/record in segments (LZ4)"
echo "disk after ingest: $f file(s), $b bytes, $(awk -v a="$b" -v b="$n" 'BEGIN { printf "%.1f", a / b }') bytes/record, $rr distinct RRsets"
t0=$(date +%s%N)
"$db" -d "$tmp/db" ingest "$segs" > /dev/null	# re-ingest: duplicates, no records
t1=$(date +%s%N)
echo "re-ingest of the same $nseg segments (all duplicates): $(((t1 - t0) / 1000000)) ms"
t0=$(date +%s%N)
"$db" -d "$tmp/db" compact > "$tmp/c"
t1=$(date +%s%N)
b=$(awk -F= '$1 == "bytes_after" { print $2 }' "$tmp/c")
echo "after full compaction ($(((t1 - t0) / 1000000)) ms): $b bytes, $(awk -v a="$b" -v b="$n" 'BEGIN { printf "%.1f", a / b }') bytes/record, $(awk -v a="$b" -v b="$rr" 'BEGIN { printf "%.1f", a / b }') bytes/RRset"
if [ -x "$build/bench/bench_cof_read" ]; then
	"$build/bench/bench_cof_read" $(ls "$segs"/*.ndjson.lz4 | head -4)
fi
