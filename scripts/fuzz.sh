#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Run the whole-chain wire fuzzer (tests/fuzz/fuzz_wire.c) for a while, then the
# stateful pipeline fuzzer (tests/fuzz/fuzz_pipeline.c) for as long, when it is built.
#
#   scripts/fuzz.sh BUILDDIR SECONDS
#
# BUILDDIR is a clang build with -Dfuzz=true, preferably with the sanitizers:
#   CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
#       -Db_lundef=false && ninja -C build-fuzz tests/fuzz_wire tests/dnsift-dump
# The seed corpus is every frame of the shared captures (../shared/pcaps, listed in its
# INDEX.tsv) and the bundled ones (tests/captures/*.pcap), one file per frame with the
# link-type selector byte first (dnsift-dump --corpus). New inputs the fuzzer finds go
# to BUILDDIR/fuzz-wire-corpus (kept between runs), crashes to BUILDDIR/fuzz-wire-
# artifacts/. Exit: 0 no crash, 1 a crash (its input is named on stderr; turn it into a
# file under tests/fuzz/regressions/), 2 usage or setup error.
set -u

die() {
	echo "fuzz.sh: $*" >&2
	exit 2
}

[ $# -eq 2 ] || die "usage: $0 BUILDDIR SECONDS"
build=$(cd "$1" 2>/dev/null && pwd) || die "$1: no such build directory"
seconds=$2
case $seconds in
'' | *[!0-9]*) die "SECONDS must be a whole number" ;;
esac

repo=$(cd "$(dirname "$0")/.." && pwd)
fuzzer=$build/tests/fuzz_wire
dump=$build/tests/dnsift-dump
[ -x "$fuzzer" ] || die "$fuzzer missing: configure with -Dfuzz=true (CC=clang) and build it"
[ -x "$dump" ] || die "$dump missing: ninja -C $build tests/dnsift-dump"

seeds=$build/fuzz-wire-seeds
corpus=$build/fuzz-wire-corpus
artifacts=$build/fuzz-wire-artifacts
rm -rf "$seeds"
mkdir -p "$seeds" "$corpus" "$artifacts" || die "cannot create corpus directories"

pcaps=
for d in "${DNSIFT_PCAPS:-}" "$repo/../shared/pcaps" /work/shared/pcaps; do
	if [ -n "$d" ] && [ -f "$d/INDEX.tsv" ]; then
		pcaps=$d
		break
	fi
done
n=0
if [ -n "$pcaps" ]; then
	while IFS= read -r f; do
		"$dump" --corpus "$seeds" "$pcaps/$f" 2>/dev/null && n=$((n + 1))
	done <<EOF
$(awk -F'\t' 'NR > 1 && $1 != "" { print $1 }' "$pcaps/INDEX.tsv")
EOF
else
	echo "fuzz.sh: shared captures absent, seeding from the bundled ones only"
fi
for f in "$repo"/tests/captures/*.pcap; do
	[ -f "$f" ] && "$dump" --corpus "$seeds" "$f" 2>/dev/null && n=$((n + 1))
done
[ -d "$repo/tests/fuzz/regressions" ] && cp "$repo"/tests/fuzz/regressions/* "$seeds"/ 2>/dev/null
echo "fuzz.sh: $(find "$seeds" -type f | wc -l) seed(s) from $n capture(s); fuzzing ${seconds}s"

# -max_len: room for a 64 KiB message in one frame (libFuzzer grows inputs gradually).
"$fuzzer" -max_total_time="$seconds" -max_len=66000 -timeout=10 -rss_limit_mb=4096 \
	-print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" "$seeds"
rc=$?
if [ "$rc" -ne 0 ]; then
	echo "fuzz.sh: fuzzer exited $rc; crash input(s):" >&2
	ls -l "$artifacts" >&2
	exit 1
fi
echo "fuzz.sh: no crash in ${seconds}s"

# The stateful per-packet path (dataplane/fuzz_pipeline: TCP reassembly, matching,
# bailiwick, dedup across inputs) from the same seeds, for as long again.
pipeline_fuzzer=$build/dataplane/fuzz_pipeline
if [ -x "$pipeline_fuzzer" ]; then
	mkdir -p "$build/fuzz-pipeline-corpus" "$build/fuzz-pipeline-artifacts"
	echo "fuzz.sh: fuzzing the pipeline ${seconds}s"
	"$pipeline_fuzzer" -max_total_time="$seconds" -max_len=66000 -timeout=10 \
		-rss_limit_mb=4096 -print_final_stats=1 \
		-artifact_prefix="$build/fuzz-pipeline-artifacts/" \
		"$build/fuzz-pipeline-corpus" "$seeds"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "fuzz.sh: pipeline fuzzer exited $rc; crash input(s):" >&2
		ls -l "$build/fuzz-pipeline-artifacts" >&2
		exit 1
	fi
	echo "fuzz.sh: pipeline: no crash in ${seconds}s"
fi

# The database's record path (db/fuzz_cof_read: COF reader, then index keys into a real
# store), seeded with the record lines of the bundled golden files, for as long again.
cof_fuzzer=$build/db/fuzz_cof_read
if [ -x "$cof_fuzzer" ]; then
	cseeds=$build/fuzz-cof-seeds
	rm -rf "$cseeds"
	mkdir -p "$cseeds" "$build/fuzz-cof-corpus" "$build/fuzz-cof-artifacts"
	cat "$repo"/tests/captures/*.records.golden 2>/dev/null | split -l 1 -a 5 - "$cseeds/line."
	echo "fuzz.sh: fuzzing the COF reader ${seconds}s ($(ls "$cseeds" | wc -l) seed lines)"
	"$cof_fuzzer" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=4096 \
		-print_final_stats=1 -artifact_prefix="$build/fuzz-cof-artifacts/" \
		"$build/fuzz-cof-corpus" "$cseeds"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "fuzz.sh: COF reader fuzzer exited $rc; crash input(s):" >&2
		ls -l "$build/fuzz-cof-artifacts" >&2
		exit 1
	fi
	echo "fuzz.sh: COF reader: no crash in ${seconds}s"
fi
exit 0
