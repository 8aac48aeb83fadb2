#!/bin/bash
# Stream benchmark: the sensor over traces long enough that nothing repeats during the
# measurement, so the unique share stays what the trace says for the whole run.
#
# run-bench.sh replays a trace from memory with net_pcap infinite_rx=1. That is the fast
# harness, but every pass after the first is all repeats, which flatters dedup (and an
# "attack" trace stops being an attack after one pass). Here each trace is read once,
# straight from the file (net_pcap without infinite_rx, as dnsift -r does), and is long
# enough (default 8M packets) to outlast the measurement window. The sensor's RX
# counters are sampled over the DPDK telemetry socket once a second and the rate is
# taken over the middle of the run (first and last 2 s dropped). The ceiling is
# dpdk-testpmd --forward-mode=rxonly reading the same file the same way.
#
# Usage: bench/run-stream.sh [--packets N] [--traces "realistic attack"] [--build DIR]
# Writes bench/results/stream.md. Needs root (DPDK), python3, ~1.5 GB of disk per trace.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
packets=8000000
traces="realistic attack"
while [ $# -gt 0 ]; do
	case $1 in
	--packets) packets=$2; shift 2 ;;
	--traces) traces=$2; shift 2 ;;
	--build) build=$(cd "$2" && pwd); shift 2 ;;
	*) echo "usage: $0 [--packets N] [--traces LIST] [--build DIR]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "run-stream.sh: needs root (DPDK)" >&2; exit 2; }
[ -x "$build/dataplane/dnsift" ] || { echo "run-stream.sh: build $build first" >&2; exit 2; }
out=$top/bench/results/stream.md
dir=$top/bench/traces
mkdir -p "$dir" "$top/bench/results"
tmp=$(mktemp -d /tmp/dnsift-stream.XXXXXX)
trap 'rm -rf "$tmp" /var/run/dpdk/dnsift-stream-$$-*' EXIT

# Sample a counter of a telemetry command once a second while PID lives; print the
# steady rate (per second) over the middle of the samples.
sample_rate() { # prefix pid command key
	python3 - "$@" <<'EOF'
import json, os, socket, sys, time
prefix, pid, cmd, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
def alive():
    try:
        os.kill(pid, 0); return True
    except OSError:
        return False
def get():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(2); s.connect(path); s.recv(1024)
    s.send(cmd.encode()); r = json.loads(s.recv(1 << 16)); s.close()
    v = list(r.values())[0]
    if isinstance(v, dict) and key in v: return v[key]
    # /ethdev/stats returns the counters at top level of the dict
    return v.get(key, 0) if isinstance(v, dict) else 0
samples = []
for _ in range(100):
    if os.path.exists(path): break
    time.sleep(0.1)
while alive():
    try:
        samples.append((time.monotonic(), get()))
    except Exception:
        pass
    # testpmd keeps polling after the end of the file: stop once the count stands still.
    if len(samples) > 3 and samples[-1][1] > 0 and samples[-1][1] == samples[-3][1]:
        break
    time.sleep(1)
# Drop the first and last 2 s (start-up, end of file) and the samples after the counter
# stopped moving (the file is done).
moving = [s for i, s in enumerate(samples) if i == 0 or s[1] != samples[i - 1][1]]
mid = moving[2:-2] if len(moving) > 6 else moving
if len(mid) < 2:
    print("0 0"); sys.exit(0)
(t0, v0), (t1, v1) = mid[0], mid[-1]
print("%.0f %.1f" % ((v1 - v0) / (t1 - t0), t1 - t0))
EOF
}

{
	echo "# Stream benchmark (each trace read once, nothing repeats)"
	echo
	echo "Generated $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) CPUs) by \`bench/run-stream.sh --packets $packets\`."
	echo
	echo "| trace | packets | testpmd ceiling (file read) Mpps | sensor Mpps | ratio | steady window s | dedup_new/RRsets |"
	echo "|---|---|---|---|---|---|---|"
} > "$out"

for t in $traces; do
	f=$dir/$t-stream.pcap
	if [ ! -s "$f" ]; then
		echo "generating $f ($packets packets)"
		"$build/bench/dnsift-tracegen" --preset "$t" -n "$packets" -o "$f" -q || exit 1
	fi
	prefix=dnsift-stream-$$-tp-$t
	timeout 600 dpdk-testpmd --no-huge --no-pci -m 1024 -l 0,1 --file-prefix "$prefix" \
		--vdev "net_pcap0,rx_pcap=$f" -- --forward-mode=rxonly --no-lsc-interrupt \
		--stats-period 1 > "$tmp/testpmd.log" 2>&1 < /dev/null &
	tp=$!
	read -r ceil _ <<< "$(sample_rate "$prefix" $tp /ethdev/stats,0 ipackets)"
	kill -INT $tp 2> /dev/null; wait $tp 2> /dev/null

	prefix=dnsift-stream-$$-s-$t
	"$build/dataplane/dnsift" -r "$f" -o "$tmp/spool-$t" -s dedup_max_entries=8000000 \
		-s dedup_max_bytes=4G -- --no-huge --no-pci -m 1024 -l 0,1 --file-prefix "$prefix" \
		--log-level='*:warning' > /dev/null 2> "$tmp/sensor-$t.log" &
	sp=$!
	read -r rate win <<< "$(sample_rate "$prefix" $sp /dnsift/stats rx_packets)"
	wait $sp
	new=$(awk '$1 == "dedup_new" { print $2; exit }' "$tmp/sensor-$t.log")
	rrsets=$(awk '$1 == "rrsets" { print $2; exit }' "$tmp/sensor-$t.log")
	awk -v t="$t" -v n="$packets" -v c="$ceil" -v r="$rate" -v w="$win" -v nw="$new" -v rs="$rrsets" \
		'BEGIN { printf "| %s | %d | %.2f | %.3f | %.3f | %s | %s/%s |\n", t, n, c / 1e6, r / 1e6,
			 (c > 0 ? r / c : 0), w, nw, rs }' >> "$out"
done
cat "$out"
