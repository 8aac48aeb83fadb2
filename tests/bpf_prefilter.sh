#!/bin/bash
# Integration: the XDP prefilter (bpf/dns_prefilter.bpf.o) and its loader (dnsift-xdp).
#
# A veth pair between two network namespaces: t0 (the capture port) in one, t1 (the
# "tap" feeding it, tcpreplay and a few host datagrams) in the other.
#  1. Generic XDP without DPDK: the object is attached by iproute2 (as a foreign
#     loader would; dnsift-xdp attach when ip cannot), dnsift-xdp finds its maps on
#     the interface. With no AF_XDP socket bound, DNS frames count as no_socket and
#     reach the host like everything else. Every bundled capture is replayed and the
#     counters must equal what tshark says the capture holds; crafted frames check
#     VLAN depth, fragments, IPv6 extension headers, truncation; then the port set,
#     drop_other, and detach.
#  2. The real thing: the sensor with a net_af_xdp port (xdp_prog= our object, loaded
#     by the PMD in native mode), the port set filled by dnsift-xdp while it runs;
#     only the DNS frames may reach it, and its records must equal the offline golden
#     records of the same capture (time stamps and sensor id aside).
# bash, not sh: /dev/udp and printf \x. Needs root. Usage: bpf_prefilter.sh BUILDDIR
set -u
build=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
xdp=$build/bpf/dnsift-xdp
obj=$build/bpf/dns_prefilter.bpf.o
sensor=$build/dataplane/dnsift
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (netns, veth, XDP)"; exit 77; }
for t in tcpreplay tshark jq; do
	command -v $t > /dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ -x "$xdp" ] && [ -f "$obj" ] || { echo "FAIL: $xdp or $obj not built"; exit 1; }

na=dnsift-xdp-a-$$
nb=dnsift-xdp-b-$$
prefix=dnsift-xdp-$$
tmp=$(mktemp -d /tmp/dnsift-xdp.XXXXXX)
sensor_pid=
cleanup() {
	[ -n "$sensor_pid" ] && kill "$sensor_pid" 2> /dev/null && wait "$sensor_pid" 2> /dev/null
	ip netns del "$na" 2> /dev/null
	ip netns del "$nb" 2> /dev/null
	rm -rf "$tmp" "/var/run/dpdk/$prefix"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/sensor.log" ] && tail -20 "$tmp/sensor.log"; exit 1; }
a() { ip netns exec "$na" "$@"; }
b() { ip netns exec "$nb" "$@"; }

ip netns add "$na" || { echo "SKIP: cannot create network namespaces"; exit 77; }
ip netns add "$nb" || fail "netns $nb"
# No IPv6 on the test link: router solicitations and MLD reports (which carry a
# hop-by-hop header, so they would count as DNS) would make the counts inexact.
for n in "$na" "$nb"; do
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 || fail "sysctl"
done
ip -n "$na" link add t0 type veth peer name t1 netns "$nb" || fail "veth"
ip -n "$na" addr add 192.0.2.1/24 dev t0
ip -n "$nb" addr add 192.0.2.2/24 dev t1
ip -n "$na" link set lo up
ip -n "$na" link set t0 up
ip -n "$nb" link set t1 up
# Static neighbours: no ARP of our own in the counts.
mac0=$(a cat /sys/class/net/t0/address)
mac1=$(b cat /sys/class/net/t1/address)
ip -n "$nb" neigh replace 192.0.2.1 lladdr "$mac0" dev t1 nud permanent
ip -n "$na" neigh replace 192.0.2.2 lladdr "$mac1" dev t0 nud permanent

# ---- counters --------------------------------------------------------------------------
snap() { a "$xdp" stats t0 > "$tmp/$1" || fail "dnsift-xdp stats: $(cat "$tmp/$1")"; }
val() { awk -F= -v k="xdp.$2" '$1 == k { print $2 }' "$tmp/$1"; }
total() {
	awk -F= '$1 ~ /redirected|no_socket|passed|dropped/ { s += $2 } END { print s }' "$tmp/$1"
}
# expect FROM TO redirected no_socket passed dropped parse_errors: deltas must be exact.
# Frames cross the veth through the backlog, so wait until the total has moved.
expect() {
	local from=$1 to=$2 want=$(($3 + $4 + $5 + $6)) i=0 c got
	while :; do
		snap "$to"
		[ $(($(total "$to") - $(total "$from"))) -ge $want ] && break
		i=$((i + 1)); [ $i -lt 50 ] || break
		sleep 0.1
	done
	sleep 0.2; snap "$to"	# and nothing more than that arrives
	set -- "$3" "$4" "$5" "$6" "$7"
	for c in redirected no_socket passed dropped parse_errors; do
		got=$(($(val "$to" $c) - $(val "$from" $c)))
		[ "$got" = "$1" ] || fail "$label: $c went up by $got, expected $1"
		shift
	done
}
# Frames tshark sees as DNS by our rules: a DNS port, any IPv4 fragment, IPv6 with an
# extension header. $2: the port filter.
dns_frames() {
	tshark -r "$1" -o ip.defragment:FALSE -o ipv6.defragment:FALSE -Y "$2 || ip.flags.mf == 1 || \
ip.frag_offset > 0 || ipv6.nxt == 0 || ipv6.nxt == 43 || ipv6.nxt == 44 || ipv6.nxt == 60 || \
ipv6.nxt == 51 || ipv6.nxt == 135" 2> /dev/null | wc -l
}
replay() { b tcpreplay -q -i t1 --pps 5000 "$1" > "$tmp/replay.log" 2>&1 ||
	fail "tcpreplay $1: $(cat "$tmp/replay.log")"; }
# A datagram from t1's host stack to t0's address and PORT.
udp_to() { b bash -c "echo dnsift > /dev/udp/192.0.2.1/$1" || fail "send to port $1"; }
udp_noports() { a awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ { print $3 }' /proc/net/snmp; }

# ---- 1. generic XDP, no DPDK ---------------------------------------------------------------
if ip -n "$na" link set dev t0 xdpgeneric obj "$obj" sec xdp 2> "$tmp/ip.log"; then
	echo "ok   iproute2 attached the object in generic mode"
else
	a "$xdp" attach t0 "$obj" > "$tmp/attach.log" 2>&1 ||
		{ echo "SKIP: generic XDP unavailable: $(cat "$tmp/ip.log" "$tmp/attach.log")"; exit 77; }
	echo "ok   dnsift-xdp attached the object in generic mode (ip could not: $(head -1 "$tmp/ip.log"))"
fi
a "$xdp" show t0 > "$tmp/show" || fail "show: $(cat "$tmp/show")"
grep -qx 'xdp.ports=53 (default: not configured)' "$tmp/show" || fail "fresh program: $(cat "$tmp/show")"
grep -qx 'xdp.drop_other=0' "$tmp/show" || fail "fresh program drops: $(cat "$tmp/show")"
echo "ok   loader finds a program it did not load; unconfigured it means port 53 only"
a "$xdp" attach t0 "$obj" > "$tmp/attach.log" 2>&1 && fail "second attach accepted"
grep -q '(exists)' "$tmp/attach.log" || fail "second attach: $(cat "$tmp/attach.log")"
echo "ok   a second attach is refused (exists)"

for c in upstream-basic upstream-tcp upstream-frag upstream-qinq client-and-upstream unmatched; do
	f=$top/tests/captures/$c.pcap
	[ -f "$f" ] || fail "$f missing"
	frames=$(tshark -r "$f" 2> /dev/null | wc -l)
	dns=$(dns_frames "$f" 'udp.port == 53 || tcp.port == 53')
	[ "$dns" -gt 0 ] || fail "tshark finds no DNS in $f"
	label="replay $c"
	snap before
	replay "$f"
	expect before after 0 "$dns" $((frames - dns)) 0 0
	echo "ok   $c: $dns DNS frames to the socket path (none bound: no_socket)," \
		"$((frames - dns)) others passed"
done

label="host datagrams, default ports"
noports=$(udp_noports)
snap before
udp_to 9999; udp_to 53; udp_to 5353
expect before after 0 1 2 0 0
[ $(($(udp_noports) - noports)) -ge 2 ] || fail "passed datagrams did not reach t0's stack"
echo "ok   host stack: UDP to 9999 and 5353 passed and delivered, UDP to 53 is DNS"

a "$xdp" ports t0 5353 53 > "$tmp/ports.log" 2>&1 || fail "ports: $(cat "$tmp/ports.log")"
a "$xdp" show t0 > "$tmp/show" || fail "show"
grep -qx 'xdp.ports=53 5353' "$tmp/show" || fail "port set: $(grep ports "$tmp/show")"
for bad in "0" "65536" "x53" ""; do
	a "$xdp" ports t0 $bad > /dev/null 2>&1 && fail "port '$bad' accepted"
done
a "$xdp" ports nosuchif0 53 > "$tmp/ports.log" 2>&1 && fail "ports on a missing interface"
grep -q 'not_found' "$tmp/ports.log" || fail "missing interface: $(cat "$tmp/ports.log")"
label="host datagrams, ports 53 5353"
snap before
udp_to 9999; udp_to 53; udp_to 5353
expect before after 0 2 1 0 0
echo "ok   ports 53 5353 set live; bad ports and a missing interface refused"

# Crafted frames: a pcap written byte by byte (LE classic pcap, Ethernet).
hexbin() { local h=${1// /}; printf "$(echo "$h" | sed 's/\(..\)/\\x\1/g')"; }
le32() {
	printf '%02x%02x%02x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24))
}
# One record: zero time stamp, captured length = original length.
frame() {
	local h=${1// /}
	hexbin "00000000 00000000 $(le32 $((${#h} / 2))) $(le32 $((${#h} / 2)))"
	hexbin "$h"
}
eth="020000000001 020000000002"
ip4="c0000202 c0000201"
ip6="20010db8000000000000000000000002 20010db8000000000000000000000001"
{
	hexbin "d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000"
	# IPv4 claiming UDP, no room for the UDP header: parse error, passed
	frame "$eth 0800 45000014 00000000 40110000 $ip4"
	# three VLAN tags: deeper than the sensor decodes, parse error, passed
	frame "$eth 8100 0001 8100 0002 8100 0003 0800 4500001c 00000000 40110000 $ip4 c3500035 00080000"
	# IPv6 with a hop-by-hop header: not walked, to the socket
	frame "$eth 86dd 60000000 0010 00 40 $ip6 11000104 00000000 c3500035 00080000"
	# IPv4 non-first fragment (offset 128, no ports): to the socket
	frame "$eth 0800 45000020 00010010 40110000 $ip4 000000000000000000000000"
	# QinQ, TCP from port 5353: to the socket
	frame "$eth 88a8 0064 8100 00c8 0800 45000028 00004000 40060000 $ip4 14e91f90 00000000 \
00000000 5002ffff 00000000"
	# IPv4 with options (IHL 6), UDP to 53: to the socket
	frame "$eth 0800 46000020 00000000 40110000 $ip4 01010101 c3500035 00080000"
	# ICMP echo: passed
	frame "$eth 0800 4500001c 00000000 40010000 $ip4 08000000 00000000"
	# IPv6 header cut short: parse error, passed
	frame "$eth 86dd 60000000 0008 11 40 20010db8"
} > "$tmp/crafted.pcap"
[ "$(tshark -r "$tmp/crafted.pcap" 2> /dev/null | wc -l)" = 8 ] || fail "crafted pcap unreadable"
label="crafted frames"
snap before
replay "$tmp/crafted.pcap"
expect before after 0 4 4 0 3
echo "ok   crafted: QinQ+TCP 5353, IPv4 options, non-first fragment, IPv6 hop-by-hop to the socket;"
echo "     three tags, truncated IPv4/IPv6 counted parse_errors and passed, ICMP passed"

a "$xdp" ports -d t0 53 > "$tmp/ports.log" 2>&1 || fail "ports -d: $(cat "$tmp/ports.log")"
a "$xdp" show t0 | grep -qx 'xdp.drop_other=1' || fail "drop_other not set"
label="drop_other"
noports=$(udp_noports)
snap before
udp_to 9999; udp_to 5353; udp_to 53
expect before after 0 1 0 2 0
[ "$(udp_noports)" = "$noports" ] || fail "a dropped datagram reached t0's stack"
f=$top/tests/captures/upstream-basic.pcap
frames=$(tshark -r "$f" 2> /dev/null | wc -l)
dns=$(dns_frames "$f" 'udp.port == 53 || tcp.port == 53')
label="drop_other replay"
snap before
replay "$f"
expect before after 0 "$dns" 0 $((frames - dns)) 0
echo "ok   drop_other: non-DNS dropped before the host stack (5353 off again), DNS untouched"

a "$xdp" detach t0 > /dev/null || fail "detach"
a "$xdp" stats t0 > "$tmp/stats.log" 2>&1 && fail "stats after detach"
grep -q 'not_found' "$tmp/stats.log" || fail "stats after detach: $(cat "$tmp/stats.log")"
echo "ok   detach; stats then reports not_found"

# ---- 2. net_af_xdp: the sensor behind the prefilter --------------------------------------
if [ ! -x "$sensor" ]; then
	echo "SKIP (part 2): $sensor not built; build dataplane/dnsift for the AF_XDP check"
	exit 0
fi
cat > "$tmp/dnsift.conf" <<CONF
sensor_id = xdp-test
spool_dir = $tmp/spool
resolver = 198.51.100.53
resolver = 2001:db8:100::53
segment_max_age = 3600
port = net_af_xdp0,iface=t0,xdp_prog=$obj,queue_count=1
CONF
# DPDK 22.11's net_af_xdp leaks at close, outside dnsift: the libxdp/libbpf program
# object it opens for xdp_prog= is never closed, nor xsk_umem__create's struct. In a
# -Db_sanitize=address build LeakSanitizer would turn that into the sensor's exit status.
printf 'leak:libxdp.so\nleak:libbpf.so\n' > "$tmp/lsan.supp"
LSAN_OPTIONS="suppressions=$tmp/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
ip netns exec "$na" "$sensor" -c "$tmp/dnsift.conf" -p -- --no-huge --no-pci -m 256 -l 0,1 \
	--file-prefix="$prefix" --log-level='*:warning' > "$tmp/records.json" 2> "$tmp/sensor.log" &
sensor_pid=$!
i=0
until grep -qs 'worker(s) running' "$tmp/sensor.log"; do
	if ! kill -0 "$sensor_pid" 2> /dev/null; then
		sensor_pid=
		if grep -qi 'af_xdp\|xsk\|xdp' "$tmp/sensor.log"; then
			echo "SKIP (part 2): net_af_xdp unavailable here:"
			tail -5 "$tmp/sensor.log"
			exit 0
		fi
		fail "sensor exited"
	fi
	i=$((i + 1)); [ $i -lt 100 ] || fail "sensor not running after 10 s"
	sleep 0.1
done
a "$xdp" show t0 > "$tmp/show" || fail "the PMD's program is not found: $(cat "$tmp/show")"
# The sensor itself writes its dns_port list into the program's map at start-up.
grep -qx 'xdp.ports=53' "$tmp/show" || fail "PMD-loaded program not configured by the sensor: $(cat "$tmp/show")"
grep -q 'XDP prefilter on t0 passes 1 DNS port' "$tmp/sensor.log" || fail "the sensor did not report configuring the prefilter"
echo "ok   sensor up on net_af_xdp0 with xdp_prog=dns_prefilter.bpf.o; it configured the program's DNS ports"
a "$xdp" ports t0 53 > /dev/null || fail "ports on the PMD's program"
label="sensor replay"
snap before
replay "$f"
udp_to 9999
expect before after "$dns" 0 $((frames - dns + 1)) 0 0
echo "ok   $dns DNS frames redirected to the AF_XDP socket, $((frames - dns + 1)) others passed"

kill -TERM "$sensor_pid"
wait "$sensor_pid"; rc=$?
sensor_pid=
[ $rc -eq 0 ] || fail "sensor exit status $rc after SIGTERM"
grep -q "port net_af_xdp0: ipackets=$dns " "$tmp/sensor.log" ||
	fail "the sensor did not receive exactly the DNS frames: $(grep ipackets "$tmp/sensor.log")"
grep -q '^dnsift: accounting: \([0-9]*\) frames+datagrams in, \1 accounted for$' "$tmp/sensor.log" ||
	fail "accounting: $(grep accounting "$tmp/sensor.log")"
echo "ok   the sensor received exactly the $dns DNS frames, every one accounted for"
timeless() { jq -S -c 'del(.time_first, .time_last, .sensor_id)' "$1" | sort; }
timeless "$tmp/records.json" > "$tmp/live"
timeless "$top/tests/captures/upstream-basic.records.golden" > "$tmp/offline"
diff -u "$tmp/offline" "$tmp/live" > "$tmp/diff" ||
	{ head -20 "$tmp/diff"; fail "records differ from offline"; }
echo "ok   records through XDP + AF_XDP equal the offline golden records ($(wc -l < "$tmp/live"))"
if a "$xdp" stats t0 > /dev/null 2>&1; then
	echo "note the PMD left the program attached after close"
else
	echo "ok   the PMD removed the program when the port closed"
fi
