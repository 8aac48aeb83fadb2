#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dnsift throughput benchmark runner. See bench/README.md for what it measures and why.
#
#   bench/run-bench.sh [--quick] [--live] [--duration S] [--traces "a b"] [--workers "1 2"]
#                      [--build DIR] [--no-ceiling] [--no-sensor] [--merge]
#
# For each standard trace: the harness ceiling (dpdk-testpmd rxonly on net_pcap with
# infinite_rx), then the sensor on the same vdev for the same time, its counters read
# through the DPDK telemetry socket once a second. Results: bench/results/results.json,
# results.md and pps.png (--merge keeps earlier runs of other trace/worker/mode
# combinations). Reports numbers against the targets; never fails on them.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
TRACES=$BENCH/traces
RESULTS=$BENCH/results
BUILD=${DNSIFT_BUILD:-$ROOT/build}
DURATION=20
QUICK=0
LIVE=0
DO_CEILING=1
DO_SENSOR=1
MERGE=0
TRACE_LIST="realistic hotcache attack tcpfrag"
WORKERS="1 2"
MEM_MB=6000
PREFIX=dnsift-bench-$$

usage() {
	sed -n '4,12p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-0}"
}

while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1; DURATION=6; WORKERS="1"; shift ;;
	--live) LIVE=1; shift ;;
	--duration) DURATION=$2; shift 2 ;;
	--traces) TRACE_LIST=$2; shift 2 ;;
	--workers) WORKERS=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	--no-ceiling) DO_CEILING=0; shift ;;
	--no-sensor) DO_SENSOR=0; shift ;;
	--merge) MERGE=1; shift ;;
	-h|--help) usage 0 ;;
	*) echo "run-bench: unknown option $1" >&2; usage 2 ;;
	esac
done

log() { printf 'run-bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ "$(id -u)" = 0 ] || log "warning: DPDK without root usually fails (no-huge still needs /var/run/dpdk)"
command -v python3 >/dev/null || die "python3 (standard library only) is needed for the telemetry client"

# ---------------------------------------------------------------------------- build
if [ ! -f "$BUILD/build.ninja" ]; then
	log "configuring $BUILD"
	meson setup "$BUILD" "$ROOT" >/dev/null
fi
TRACEGEN=$BUILD/bench/dnsift-tracegen
SENSOR=${DNSIFT_SENSOR:-$BUILD/dataplane/dnsift}
ninja -C "$BUILD" bench/dnsift-tracegen >/dev/null || die "cannot build dnsift-tracegen"
if [ -z "${DNSIFT_SENSOR:-}" ]; then
	ninja -C "$BUILD" dataplane/dnsift >/dev/null 2>&1 || log "sensor target not built (dataplane/dnsift)"
fi
if [ "$DO_SENSOR" = 1 ] && [ ! -x "$SENSOR" ]; then
	log "no sensor binary at $SENSOR: measuring the testpmd ceiling only"
	DO_SENSOR=0
fi

# --------------------------------------------------------------------------- traces
mkdir -p "$TRACES" "$RESULTS"
for t in $TRACE_LIST; do
	if [ ! -s "$TRACES/$t.pcap" ] || [ ! -s "$TRACES/$t.info" ]; then
		log "generating $TRACES/$t.pcap"
		"$TRACEGEN" --preset "$t" -o "$TRACES/$t.pcap" 2>"$TRACES/$t.info" ||
			die "tracegen --preset $t failed: $(cat "$TRACES/$t.info")"
	fi
done

trace_packets() { sed -n 's/.* packets=\([0-9]*\).*/\1/p' "$TRACES/$1.info"; }

# ------------------------------------------------------------------ process helpers
WORK=$(mktemp -d /tmp/dnsift-bench.XXXXXX)
BG_PID=""
cleanup() {
	if [ -n "$BG_PID" ] && kill -0 "$BG_PID" 2>/dev/null; then
		kill -INT "$BG_PID" 2>/dev/null || true
		sleep 2
		kill -KILL "$BG_PID" 2>/dev/null || true
	fi
	if [ "$LIVE" = 1 ]; then
		ip netns del dnsift-bench 2>/dev/null || true
		ip link del dbench0 2>/dev/null || true
	fi
	rm -rf "$WORK"
	# DPDK leaves its runtime directories behind; these prefixes are this run's alone.
	rm -rf /var/run/dpdk/"$PREFIX"-*
}
trap cleanup EXIT

# Stop the background process by its pid (SIGINT, then SIGKILL after 30 s).
stop_bg() {
	local i
	[ -n "$BG_PID" ] || return 0
	kill -INT "$BG_PID" 2>/dev/null || true
	for i in $(seq 1 300); do
		kill -0 "$BG_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$BG_PID" 2>/dev/null || true
	wait "$BG_PID" 2>/dev/null || true
	BG_PID=""
}

# EAL core list for N workers. 2 cores here: the main lcore and one worker each get a
# core; with 2 workers, worker 2 (lcore 2) shares CPU 0 with the main lcore.
eal_cores() {
	local ncpu
	ncpu=$(nproc)
	if [ "$1" -le 1 ]; then
		echo "-l 0,1"
	elif [ "$ncpu" -ge $(($1 + 1)) ]; then
		echo "-l 0-$1"
	else
		echo "--lcores 0@0,1@1,2@0"
	fi
}

# ------------------------------------------------------------------- ceiling (testpmd)
# testpmd rxonly, stats every second; wait until the vdev has loaded the trace (first
# non-zero Rx-pps), keep DURATION seconds, stop, average the per-second Rx-pps/bps.
ceiling() {
	local t=$1 nw=$2
	local logf=$WORK/testpmd-$t-$nw.log vdevs="" fwd i
	for i in $(seq 0 $((nw - 1))); do
		vdevs="$vdevs --vdev net_pcap$i,rx_pcap=$TRACES/$t.pcap,infinite_rx=1"
	done
	fwd=$((nw))
	local pkts
	pkts=$(trace_packets "$t")
	# shellcheck disable=SC2086,SC2046 # word splitting of the EAL core arguments is wanted
	dpdk-testpmd --no-huge --no-pci -m $((MEM_MB * nw)) $(eal_cores "$nw") \
		--file-prefix "$PREFIX-tp" --log-level='*:warning' $vdevs -- \
		--forward-mode=rxonly --port-topology=loop --nb-cores="$fwd" \
		--total-num-mbufs=$((pkts * nw + 65536)) --stats-period 1 \
		>"$logf" 2>&1 </dev/null &
	BG_PID=$!
	for i in $(seq 1 600); do
		grep -Eq 'Rx-pps: +[1-9]' "$logf" 2>/dev/null && break
		kill -0 "$BG_PID" 2>/dev/null || break
		sleep 0.5
	done
	sleep "$DURATION"
	stop_bg
	python3 - "$logf" "$nw" <<'EOF'
import json, re, sys
text = open(sys.argv[1]).read()
nw = int(sys.argv[2])
# testpmd prints one block per port per period; sum the ports of each period.
pps = [int(x) for x in re.findall(r"Rx-pps:\s+(\d+)", text)]
bps = [int(x) for x in re.findall(r"Rx-bps:\s+(\d+)", text)]
periods = [(sum(pps[i:i + nw]), sum(bps[i:i + nw])) for i in range(0, len(pps) - nw + 1, nw)]
# Drop the loading periods (0) and the first partial one after them.
first = next((i for i, p in enumerate(periods) if p[0] > 0), len(periods))
steady = periods[first + 1:] or periods[first:]
if not steady:
    print(json.dumps({"error": "testpmd reported no traffic", "log_tail": text[-800:]}))
    sys.exit(0)
print(json.dumps({"pps": sum(p for p, _ in steady) / len(steady),
                  "bps": sum(b for _, b in steady) / len(steady),
                  "samples": len(steady)}))
EOF
}

# ------------------------------------------------------------------- sensor (dnsift)
# Telemetry sampler: reads /dnsift/stats (and /dnsift/status for the pid) every second
# for DURATION seconds once traffic flows, then VmHWM, and prints one JSON object.
SAMPLER=$WORK/sampler.py
cat >"$SAMPLER" <<'EOF'
import json, os, socket, sys, time

prefix, duration, trace_pkts, nports = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
watch_pid = int(sys.argv[5])  # the sensor; give up when it is gone
path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix

def query(cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    s.recv(16384)
    s.send(cmd.encode())
    buf = s.recv(1 << 22)
    s.close()
    return json.loads(buf.decode())[cmd]

def stats():
    return time.monotonic(), query("/dnsift/stats")

deadline = time.monotonic() + 600
while True:
    try:
        t, s = stats()
        # null until the sensor has registered its commands
        if isinstance(s, dict) and s.get("rx_packets", 0) > 0:
            break
    except (OSError, ValueError, KeyError):
        pass
    if time.monotonic() > deadline or not os.path.exists("/proc/%d" % watch_pid):
        print(json.dumps({"error": "sensor never reported traffic"}))
        sys.exit(0)
    time.sleep(0.2)
try:
    pid = int(query("/dnsift/status").get("pid", 0))
except (OSError, ValueError, KeyError):
    pid = 0
samples = [(t, s)]
end = t + duration
first_pass = trace_pkts * nports
while time.monotonic() < end:
    # Fine-grained while the first (cold) pass lasts, so a fast sensor's cold pass is
    # still resolved; once a second after that.
    time.sleep(0.2 if samples[-1][1]["rx_packets"] < first_pass else 1.0)
    try:
        samples.append(stats())
    except (OSError, ValueError):
        break
hwm = 0
if pid:
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
(t0, a), (t1, b) = samples[0], samples[-1]
dt = t1 - t0
d = {k: b[k] - a.get(k, 0) for k in b if isinstance(b[k], int)}

def rate(k):
    return d.get(k, 0) / dt if dt > 0 else 0.0

# The first pass over the trace (per port) is the only one with fresh RRsets: split the
# window into intervals still inside the first pass and intervals of pure repeats.
cold, warm = [0, 0.0, 0], [0, 0.0, 0]
for (ta, sa), (tb, sb) in zip(samples, samples[1:]):
    bucket = cold if sb["rx_packets"] <= first_pass else warm
    bucket[0] += sb["rx_packets"] - sa["rx_packets"]
    bucket[1] += tb - ta
    bucket[2] += sb.get("dedup_new", 0) - sa.get("dedup_new", 0)
drops = {k: v for k, v in d.items()
         if v and (k.startswith(("decode_", "parse_", "nic_imissed", "nic_rx_nombuf", "nic_ierrors"))
                   or k in ("oversize", "frag_unsupported", "foreign", "rrset_errors",
                            "rrsets_out_of_bailiwick", "dedup_rejected", "responses_unmatched",
                            "records_refused_queue_full", "segment_queue_full",
                            "tcp_ooo_beyond_window", "tcp_no_buffer", "tcp_evicted",
                            "match_evicted", "match_unanswered"))}
obs = d.get("dedup_hits", 0) + d.get("dedup_new", 0)
out = {
    "seconds": dt,
    "pps": rate("rx_packets"),
    "bps": rate("rx_bytes") * 8,
    "ns_per_packet": 1e9 / rate("rx_packets") if rate("rx_packets") else None,
    "rrsets_per_s": rate("rrsets"),
    "records_per_s": rate("records"),
    "dedup_hit_ratio": d.get("dedup_hits", 0) / obs if obs else None,
    "drops": drops,
    "vmhwm_kb": hwm,
    "rx_packets_at_start": a["rx_packets"],
    "rx_packets_at_end": b["rx_packets"],
    "cold_pass": {"pps": cold[0] / cold[1] if cold[1] else None, "seconds": cold[1],
                  "dedup_new_per_s": cold[2] / cold[1] if cold[1] else None},
    "repeat_passes": {"pps": warm[0] / warm[1] if warm[1] else None, "seconds": warm[1],
                      "dedup_new_per_s": warm[2] / warm[1] if warm[1] else None},
    "dedup_live_entries_end": b.get("dedup_live_entries"),
    "dedup_bytes_in_use_end": b.get("dedup_bytes_in_use"),
    "timeline": [{"t": round(tb - t0, 2), "rx_packets": sb["rx_packets"],
                  "dedup_new": sb.get("dedup_new", 0), "dedup_hits": sb.get("dedup_hits", 0),
                  "dedup_bytes_in_use": sb.get("dedup_bytes_in_use", 0)}
                 for tb, sb in samples],
}
print(json.dumps(out))
EOF

# net_pcap with infinite_rx holds the whole trace in mbufs; the sensor counts the
# records of such files and grows its pool by that much, so no extra argument is needed.
# DNSIFT_BENCH_POOL_ARGS adds sensor arguments (results from before this change used
# "-s frag_max_flows=N" to grow the pool, which also inflated the fragment tables).
pool_args() {
	echo "${DNSIFT_BENCH_POOL_ARGS:-}"
}

# EAL memory for the sensor: the trace in mbufs (~2.3 KiB each), the fragment tables
# (next power of two of the 4096 default flows x 16 entries x ~512 B, per worker),
# and 2 GiB per worker plus 2 GiB for dedup, matching, reassembly and the segment writer.
sensor_mem_mb() {
	local pkts=$1 nw=$2 flows buckets=1
	flows=4096
	while [ "$buckets" -lt "$flows" ]; do buckets=$((buckets * 2)); done
	echo $(((pkts * nw * 2304 + buckets * 16 * 512 * nw) / 1048576 + 2048 * nw + 2048))
}

sensor_run() {
	local t=$1 nw=$2
	local pkts logf=$WORK/dnsift-$t-$nw.log spool=$WORK/spool-$t-$nw
	local ports="" i prefix=$PREFIX-s-$t-$nw pargs mem
	pkts=$(trace_packets "$t")
	for i in $(seq 0 $((nw - 1))); do
		ports="$ports -s port=net_pcap$i,rx_pcap=$TRACES/$t.pcap,infinite_rx=1"
	done
	pargs=$(pool_args "$pkts" "$nw")
	mkdir -p "$spool"
	# shellcheck disable=SC2086
	mem=$(sensor_mem_mb "$pkts" "$nw")
	echo "$SENSOR $ports -s spool_dir=$spool $pargs -q -- --no-huge --no-pci" \
		"-m $mem $(eal_cores "$nw") --file-prefix $prefix" >"$WORK/cmd-$t-$nw"
	# shellcheck disable=SC2086,SC2046 # word splitting of ports and EAL cores is wanted
	"$SENSOR" $ports -s spool_dir="$spool" $pargs -q -- --no-huge --no-pci \
		-m "$mem" $(eal_cores "$nw") --file-prefix "$prefix" \
		--log-level='*:warning' >"$logf" 2>&1 </dev/null &
	BG_PID=$!
	local res
	res=$(python3 "$SAMPLER" "$prefix" "$DURATION" "$pkts" "$nw" "$BG_PID" 2>>"$logf" ||
		echo '{"error": "sampler failed"}')
	if ! kill -0 "$BG_PID" 2>/dev/null; then
		res=$(python3 -c 'import json,sys; print(json.dumps({"error": "sensor exited", "log_tail": open(sys.argv[1]).read()[-800:]}))' "$logf")
	fi
	stop_bg
	rm -rf "$spool"
	python3 - "$res" "$(cat "$WORK/cmd-$t-$nw")" "$pargs" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
r["command"] = " ".join(sys.argv[2].split())
r["pool_workaround"] = sys.argv[3]
print(json.dumps(r))
EOF
}

# ------------------------------------------------------------------------- live mode
# veth pair: dbench0 (root namespace, read by the sensor through net_af_packet) and
# dbench1 inside namespace dnsift-bench, where tcpreplay --topspeed loops the trace.
live_run() {
	local t=$1
	local prefix=$PREFIX-live-$t logf=$WORK/live-$t.log spool=$WORK/spool-live-$t
	ip netns add dnsift-bench
	ip link add dbench0 type veth peer name dbench1
	ip link set dbench1 netns dnsift-bench
	ip link set dbench0 up
	ip -n dnsift-bench link set dbench1 up
	# veth GRO would merge TCP segments into frames larger than the capture ring's
	# frames: the sensor must see what was sent, as on a tap.
	ethtool -K dbench0 gro off lro off >/dev/null 2>&1 || log "ethtool: GRO left on"
	ip netns exec dnsift-bench ethtool -K dbench1 tso off gso off >/dev/null 2>&1 || true
	mkdir -p "$spool"
	"$SENSOR" -s port=net_af_packet0,iface=dbench0,blocksz=4096,framesz=2048,framecnt=4096 \
		-s spool_dir="$spool" -q -- --no-huge --no-pci -m 2048 -l 0,1 \
		--file-prefix "$prefix" --log-level='*:warning' >"$logf" 2>&1 </dev/null &
	BG_PID=$!
	sleep 3
	ip netns exec dnsift-bench tcpreplay --topspeed --loop=0 --preload-pcap -q \
		-i dbench1 "$TRACES/$t.pcap" >"$WORK/tcpreplay-$t.log" 2>&1 &
	local replay=$!
	local res
	res=$(python3 "$SAMPLER" "$prefix" "$DURATION" "$(trace_packets "$t")" 1 "$BG_PID" 2>>"$logf" ||
		echo '{"error": "sampler failed"}')
	kill -INT "$replay" 2>/dev/null || true
	wait "$replay" 2>/dev/null || true
	stop_bg
	ip netns del dnsift-bench
	ip link del dbench0 2>/dev/null || true
	rm -rf "$spool"
	python3 - "$res" "$SENSOR -s port=net_af_packet0,iface=dbench0,... -q -- --no-huge --no-pci -m 2048 -l 0,1; tcpreplay --topspeed --loop=0 --preload-pcap -i dbench1 $TRACES/$t.pcap" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
r["command"] = sys.argv[2]
print(json.dumps(r))
EOF
}

# ------------------------------------------------------------------------------ main
log "$(nproc) CPUs; window ${DURATION}s per run; traces: $TRACE_LIST; workers: $WORKERS"
RAW=$WORK/raw.jsonl
: >"$RAW"
for t in $TRACE_LIST; do
	for nw in $WORKERS; do
		c='null'
		s='null'
		if [ "$DO_CEILING" = 1 ]; then
			log "$t: testpmd ceiling, $nw queue(s)"
			c=$(ceiling "$t" "$nw")
		fi
		if [ "$DO_SENSOR" = 1 ]; then
			log "$t: sensor, $nw worker(s)"
			s=$(sensor_run "$t" "$nw")
		fi
		printf '{"trace":"%s","workers":%s,"mode":"pcap","ceiling":%s,"sensor":%s}\n' \
			"$t" "$nw" "$c" "$s" >>"$RAW"
	done
	if [ "$LIVE" = 1 ] && [ "$DO_SENSOR" = 1 ]; then
		log "$t: live veth + tcpreplay --topspeed, 1 worker"
		s=$(live_run "$t")
		printf '{"trace":"%s","workers":1,"mode":"live","ceiling":null,"sensor":%s}\n' \
			"$t" "$s" >>"$RAW"
	fi
done

python3 - "$RAW" "$RESULTS" "$TRACES" "$DURATION" "$QUICK" "$(nproc)" "$MERGE" \
	"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" <<'EOF'
import json, os, re, sys, time
raw, outdir, traces, duration, quick, ncpu, merge, cpu = sys.argv[1:9]
runs = [json.loads(l) for l in open(raw) if l.strip()]
old_path = os.path.join(outdir, "results.json")
if merge == "1" and os.path.exists(old_path):
    new = {(r["trace"], r["workers"], r["mode"]) for r in runs}
    kept = [r for r in json.load(open(old_path))["runs"]
            if (r["trace"], r["workers"], r["mode"]) not in new]
    runs = sorted(kept + runs, key=lambda r: (r["trace"], r["mode"], r["workers"]))
info = {}
for r in runs:
    t = r["trace"]
    if t not in info:
        txt = open(os.path.join(traces, t + ".info")).read()
        info[t] = {k: float(v) if "." in v else int(v)
                   for k, v in re.findall(r"(\w+)=([0-9.]+)", txt)}
    r["trace_info"] = info[t]
    c, s = r.get("ceiling") or {}, r.get("sensor") or {}
    if c.get("pps") and s.get("pps"):
        s["ratio_to_ceiling"] = s["pps"] / c["pps"]

# Targets: reported, never asserted.
def get(trace, nw, key, mode="pcap"):
    for r in runs:
        if r["trace"] == trace and r["workers"] == nw and r["mode"] == mode:
            return (r.get("sensor") or {}).get(key)
    return None
targets = {}
p1 = get("realistic", 1, "pps")
if p1:
    targets["realistic_mpps_per_worker>=8"] = {"value": p1 / 1e6, "met": p1 >= 8e6}
    ratio = get("realistic", 1, "ratio_to_ceiling")
    if ratio:
        targets["realistic_ratio_to_ceiling>=0.6"] = {"value": ratio, "met": ratio >= 0.6}
    p2 = get("realistic", 2, "pps")
    if p2:
        targets["two_workers_speedup>=1.8"] = {"value": p2 / p1, "met": p2 / p1 >= 1.8}
    pa = get("attack", 1, "pps")
    if pa:
        targets["attack_within_30pct_of_realistic"] = {"value": pa / p1, "met": pa / p1 >= 0.7}
        tl = get("attack", 1, "timeline") or []
        if len(tl) > 2:
            m0, m1 = tl[1]["dedup_bytes_in_use"], tl[-1]["dedup_bytes_in_use"]
            targets["attack_memory_flat"] = {"dedup_bytes_in_use_first": m0,
                                             "dedup_bytes_in_use_last": m1,
                                             "vmhwm_kb": get("attack", 1, "vmhwm_kb")}
doc = {"generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
       "host": {"cpus": int(ncpu), "cpu": cpu}, "window_seconds": float(duration),
       "quick": quick == "1", "runs": runs, "targets": targets}
with open(os.path.join(outdir, "results.json"), "w") as f:
    json.dump(doc, f, indent=1)

def fmt(v, scale=1.0, digits=2):
    return "-" if v is None else ("%.*f" % (digits, v / scale))
lines = ["# dnsift benchmark results", "",
         "Generated %s on %s (%s CPUs); %ss window per run%s." %
         (doc["generated"], cpu, ncpu, duration, " (--quick)" if quick == "1" else ""), "",
         "| trace | mode | workers | ceiling Mpps | sensor Mpps | Gbit/s | ns/pkt | ratio | "
         "cold-pass Mpps | repeat-pass Mpps | RRsets/s | records/s | dedup hit | VmHWM MiB | drops |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
dat = []
for r in runs:
    c, s = r.get("ceiling") or {}, r.get("sensor") or {}
    drops = ", ".join("%s=%d" % kv for kv in sorted((s.get("drops") or {}).items())) or "0"
    if s.get("error"):
        drops = "error: " + s["error"]
    lines.append("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        r["trace"], r["mode"], r["workers"], fmt(c.get("pps"), 1e6), fmt(s.get("pps"), 1e6, 3),
        fmt(s.get("bps"), 1e9, 3), fmt(s.get("ns_per_packet"), 1, 0),
        fmt(s.get("ratio_to_ceiling"), 1, 3),
        fmt((s.get("cold_pass") or {}).get("pps"), 1e6, 3),
        fmt((s.get("repeat_passes") or {}).get("pps"), 1e6, 3),
        fmt(s.get("rrsets_per_s"), 1, 0), fmt(s.get("records_per_s"), 1, 0),
        fmt(s.get("dedup_hit_ratio"), 1, 3),
        fmt(s.get("vmhwm_kb"), 1024, 0) if s.get("vmhwm_kb") else "-", drops))
    if r["mode"] == "pcap":
        dat.append("%s/%dw %s %s" % (r["trace"], r["workers"], fmt(s.get("pps"), 1e6, 4)
                                      .replace("-", "0"), fmt(c.get("pps"), 1e6, 4).replace("-", "0")))
lines += ["", "Targets (reported, not asserted):", ""]
for k, v in targets.items():
    lines.append("- %s: %s" % (k, json.dumps(v)))
lines += ["", "Commands run (sensor):", ""]
for r in runs:
    s = r.get("sensor") or {}
    if s.get("command"):
        lines.append("- `%s`" % s["command"])
with open(os.path.join(outdir, "results.md"), "w") as f:
    f.write("\n".join(lines) + "\n")
with open(os.path.join(outdir, "pps.dat"), "w") as f:
    f.write("# run sensor_mpps ceiling_mpps\n" + "\n".join(dat) + "\n")
EOF

if command -v gnuplot >/dev/null; then
	(cd "$RESULTS" && gnuplot "$BENCH/plot.gp") || log "gnuplot failed"
else
	log "gnuplot not installed: no pps.png"
fi
log "wrote $RESULTS/results.json, results.md$( [ -f "$RESULTS/pps.png" ] && echo ', pps.png')"
cat "$RESULTS/results.md"
