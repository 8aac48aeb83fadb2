#!/bin/bash
# Record dnsift's bundled test captures from real servers: an Unbound recursive resolver
# resolving through a fake DNS hierarchy (root NSD -> TLD NSD -> leaf NSD and Knot), each
# in its own network namespace, with the resolver's upstream link captured by dumpcap.
#
#   scripts/record-captures.sh OUTDIR
#
# Writes OUTDIR/{upstream-basic,upstream-tcp,upstream-frag,upstream-qinq,
# client-and-upstream,unmatched}.pcap (the signed hierarchy below) and
# OUTDIR/{provider-hosted,hostile,provider-warm}.pcap (the unsigned provider-hosted hierarchy with two
# rogue servers, tests/captures/zones-provider). WORLDS="basic provider" (the default)
# picks which. See tests/captures/README.md for what each holds and what a sensor must
# extract.
#
# Needs root (network namespaces). Installs nothing: it names any missing tool and stops.
# Idempotent: leftovers of an earlier run (namespaces named dcap-*) are removed first, and
# everything it starts is torn down on exit, error or signal.
#
# Topology (all addresses from documentation ranges):
#
#   dcap-cli  eth0 203.0.113.10 / 2001:db8:203::10
#      |  veth (client side: only in client-and-upstream.pcap)
#   dcap-res  cl0  203.0.113.53 / 2001:db8:203::53     Unbound
#             up0  198.51.100.53 / 2001:db8:100::53    <- captured (resolver upstream)
#      |  veth
#   dcap-sw   br0 bridge
#      |-- dcap-root eth0 198.51.100.10                 NSD "."
#      |-- dcap-tld  eth0 2001:db8:100::20              NSD test. dnsift-test. in-addr.arpa.
#      |-- dcap-nsd  eth0 198.51.100.30, .31            NSD example.test.
#      `-- dcap-knot eth0 2001:db8:100::40, 198.51.100.40  Knot knot.test. plain.dnsift-test.
#                                                           2.0.192.in-addr.arpa.
set -euo pipefail

readonly PFX=dcap
readonly NAMESPACES="$PFX-sw $PFX-root $PFX-tld $PFX-nsd $PFX-knot $PFX-res $PFX-cli
	$PFX-proot $PFX-ptld $PFX-pprov $PFX-pcorp $PFX-rogue1 $PFX-rogue2"
readonly RES4=198.51.100.53 RES6=2001:db8:100::53
readonly CLI_RES4=203.0.113.53 CLI_RES6=2001:db8:203::53

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
capdir=$here/capture
confdir=$repo/tests/captures/conf
zonedir=$repo/tests/captures/zones
pzonedir=$repo/tests/captures/zones-provider
worlds=${WORLDS:-basic provider}

die() {
	echo "record-captures: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
[ "$(id -u)" -eq 0 ] || die "must run as root (creates network namespaces)"

missing=
for tool in ip tc ethtool nsd knotd unbound kdig dumpcap tshark mergecap clang sed; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
[ -z "$missing" ] || die "missing tools:$missing (Debian: iproute2 ethtool nsd knot" \
	"unbound knot-dnsutils tshark wireshark-common clang)"
for f in root.zone.signed test.zone.signed example.test.zone.signed knot.test.zone.signed \
	root.anchor; do
	[ -s "$zonedir/$f" ] || die "$zonedir/$f missing: run scripts/capture/sign-zones.sh"
done

mkdir -p "$1"
outdir=$(cd "$1" && pwd)
work=$(mktemp -d /tmp/dnsift-captures.XXXXXX)
pids=()

# Processes we started are killed by pid; then anything still inside our namespaces
# (only what this script put there) goes with them.
cleanup() {
	local pid ns
	set +e
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null
	done
	for ns in $NAMESPACES; do
		if ip netns list | grep -qw "^$ns"; then
			for pid in $(ip netns pids "$ns"); do
				kill "$pid" 2>/dev/null
			done
			ip netns del "$ns"
		fi
	done
	rm -rf "$work"
}

trap cleanup EXIT
trap 'exit 130' INT TERM

# Not for background jobs: "$!" must be the server's own pid (ip netns exec execs it),
# never a subshell's, or kill would miss it.
in_ns() {
	local ns=$1
	shift
	ip netns exec "$PFX-$ns" "$@"
}

new_ns() {
	ip netns add "$PFX-$1"
	in_ns "$1" ip link set lo up
	# No router solicitations or DAD noise: only the traffic under test is on the wire.
	in_ns "$1" sysctl -qw net.ipv6.conf.all.router_solicitations=0 \
		net.ipv6.conf.default.router_solicitations=0 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

# server NS ADDR... : a namespace with eth0 bridged into dcap-sw
attach_server() {
	local ns=$1 addr
	shift
	new_ns "$ns"
	# No offloads on any veth end: the capture must show what a tap on a real wire
	# shows (final checksums, MTU-sized TCP segments, kernel-made IP fragments), not
	# GSO super-frames with partial checksums.
	ip link add eth0 netns "$PFX-$ns" type veth peer name "p-$ns" netns "$PFX-sw"
	in_ns "$ns" ethtool -K eth0 tx off tso off gso off gro off >/dev/null
	in_ns sw ethtool -K "p-$ns" tx off tso off gso off gro off >/dev/null
	in_ns sw ip link set "p-$ns" master br0 up
	for addr in "$@"; do
		case $addr in
		*:*) in_ns "$ns" ip addr add "$addr/64" dev eth0 nodad ;;
		*) in_ns "$ns" ip addr add "$addr/24" dev eth0 ;;
		esac
	done
	in_ns "$ns" ip link set eth0 mtu 1500 up
}

setup_net() {
	new_ns sw
	in_ns sw sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	in_ns sw ip link add br0 type bridge stp_state 0 forward_delay 0
	in_ns sw ip link set br0 up

	attach_server root 198.51.100.10
	attach_server tld 2001:db8:100::20
	attach_server nsd 198.51.100.30 198.51.100.31
	attach_server knot 2001:db8:100::40 198.51.100.40

	new_ns res
	ip link add up0 netns "$PFX-res" type veth peer name p-res netns "$PFX-sw"
	in_ns res ethtool -K up0 tx off tso off gso off gro off >/dev/null
	in_ns sw ethtool -K p-res tx off tso off gso off gro off >/dev/null
	in_ns sw ip link set p-res master br0 up
	in_ns res ip addr add "$RES4/24" dev up0
	in_ns res ip addr add "$RES6/64" dev up0 nodad
	in_ns res ip link set up0 mtu 1500 up

	new_ns cli
	ip link add cl0 netns "$PFX-res" type veth peer name eth0 netns "$PFX-cli"
	in_ns res ethtool -K cl0 tx off tso off gso off gro off >/dev/null
	in_ns cli ethtool -K eth0 tx off tso off gso off gro off >/dev/null
	in_ns res ip addr add "$CLI_RES4/24" dev cl0
	in_ns res ip addr add "$CLI_RES6/64" dev cl0 nodad
	in_ns res ip link set cl0 mtu 1500 up
	in_ns cli ip addr add 203.0.113.10/24 dev eth0
	in_ns cli ip addr add 2001:db8:203::10/64 dev eth0 nodad
	in_ns cli ip link set eth0 mtu 1500 up
}

# fill TEMPLATE OUT [sed expressions...]
fill() {
	local template=$1 out=$2
	shift 2
	sed -e "s|@RUN@|$work/run|g" -e "s|@ZONES@|$zonedir|g" -e "s|@CONF@|$confdir|g" \
		-e "s|@PZONES@|$pzonedir|g" \
		"$@" "$template" > "$out"
}

# wait_for DESCRIPTION COMMAND...: poll up to 10 s
wait_for() {
	local what=$1 i
	shift
	for i in $(seq 100); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "timed out waiting for $what"
}

start_servers() {
	local n
	mkdir -p "$work/run/knot" "$work/conf"
	for n in root tld leaf; do
		mkdir -p "$work/run/$n"
		fill "$confdir/nsd-$n.conf" "$work/conf/nsd-$n.conf"
	done
	fill "$confdir/knot.conf" "$work/conf/knot.conf"

	ip netns exec "$PFX-root" nsd -d -c "$work/conf/nsd-root.conf" & pids+=($!)
	ip netns exec "$PFX-tld" nsd -d -c "$work/conf/nsd-tld.conf" & pids+=($!)
	ip netns exec "$PFX-nsd" nsd -d -c "$work/conf/nsd-leaf.conf" & pids+=($!)
	ip netns exec "$PFX-knot" knotd -c "$work/conf/knot.conf" & pids+=($!)

	# Each server is probed from inside its own namespace (local delivery), so no probe
	# ever crosses the captured link.
	wait_for "root NSD" in_ns root kdig +retry=0 +timeout=1 @198.51.100.10 . SOA
	wait_for "TLD NSD" in_ns tld kdig +retry=0 +timeout=1 @2001:db8:100::20 test. SOA
	wait_for "leaf NSD" in_ns nsd kdig +retry=0 +timeout=1 @198.51.100.30 example.test. SOA
	wait_for "Knot" in_ns knot kdig +retry=0 +timeout=1 @2001:db8:100::40 knot.test. SOA
}

qinq_on() {
	clang -O2 -Wall -target bpf -I/usr/include/"$(uname -m)"-linux-gnu \
		-c "$capdir/vlan_qinq.bpf.c" -o "$work/vlan_qinq.bpf.o"
	local end
	for end in res:up0 sw:p-res; do
		in_ns "${end%:*}" tc qdisc add dev "${end#*:}" clsact
		in_ns "${end%:*}" tc filter add dev "${end#*:}" egress bpf da \
			obj "$work/vlan_qinq.bpf.o" sec tc/qinq_push
		in_ns "${end%:*}" tc filter add dev "${end#*:}" ingress bpf da \
			obj "$work/vlan_qinq.bpf.o" sec tc/qinq_pop
	done
}

qinq_off() {
	in_ns res tc qdisc del dev up0 clsact
	in_ns sw tc qdisc del dev p-res clsact
}

# run_queries QUERYFILE [ADDR]: the client asks Unbound, one query at a time, over UDP.
run_queries() {
	local file=$1 server=${2:-$CLI_RES4} name type rcode
	while read -r name type; do
		case $name in '' | '#'*) continue ;; esac
		rcode=$(in_ns cli kdig +retry=1 +timeout=5 +notcp "@$server" "$name" "$type" |
			sed -n 's/.*status: \([A-Z]*\).*/\1/p')
		printf '  %-28s %-10s %s\n' "$name" "$type" "${rcode:-NO ANSWER}" >> "$work/log"
	done < "$file"
}

capture_pid=
start_capture() { # NAME IFACE...
	local name=$1 iface args=()
	shift
	for iface in "$@"; do
		args+=(-i "$iface")
	done
	rm -f "$work/$name.pcapng"
	ip netns exec "$PFX-res" dumpcap -q -n "${args[@]}" -w "$work/$name.pcapng" 2>>"$work/dumpcap.log" &
	capture_pid=$!
	pids+=($capture_pid)
	# dumpcap writes its section header as soon as the interfaces are open.
	wait_for "dumpcap on $*" test -s "$work/$name.pcapng"
	sleep 0.5
}

stop_capture() { # NAME
	sleep 1
	kill -INT "$capture_pid"
	wait "$capture_pid" || true
	# One capture file per scenario in classic pcap: every tool and the sensor's pcap
	# PMD read it; all interfaces here are Ethernet, so no per-interface link type is lost.
	editcap -F pcap "$work/$1.pcapng" "$outdir/$1.pcap"
}

# The provider-hosted hierarchy (tests/captures/zones-provider), on the same bridge:
#   dcap-proot  198.51.100.110                     NSD "."
#   dcap-ptld   198.51.100.120, 2001:db8:100::120  NSD test. net. org.
#   dcap-pprov  198.51.100.130, .131, 2001:db8:100::131  NSD provider.net. provider.org. shop.test.
#                                                  cdn.org. blog.test. victim.test.
#   dcap-pcorp  198.51.100.140                     Knot corp.test. sub.corp.test.
#   dcap-rogue1 198.51.100.166                     NSD, delegated evil.test., serves a forged "."
#   dcap-rogue2 198.51.100.167                     NSD, delegated rogue.test., serves a forged test.
setup_provider_world() {
	local n
	attach_server proot 198.51.100.110
	attach_server ptld 198.51.100.120 2001:db8:100::120
	attach_server pprov 198.51.100.130 198.51.100.131 2001:db8:100::131
	attach_server pcorp 198.51.100.140
	attach_server rogue1 198.51.100.166
	attach_server rogue2 198.51.100.167
	mkdir -p "$work/run/pcorp" "$work/conf"
	for n in root tld prov rogue1 rogue2; do
		mkdir -p "$work/run/p$n"
		fill "$confdir/provider/nsd-$n.conf" "$work/conf/pnsd-$n.conf"
	done
	fill "$confdir/provider/knot-corp.conf" "$work/conf/knot-corp.conf"
	ip netns exec "$PFX-proot" nsd -d -c "$work/conf/pnsd-root.conf" & pids+=($!)
	ip netns exec "$PFX-ptld" nsd -d -c "$work/conf/pnsd-tld.conf" & pids+=($!)
	ip netns exec "$PFX-pprov" nsd -d -c "$work/conf/pnsd-prov.conf" & pids+=($!)
	ip netns exec "$PFX-rogue1" nsd -d -c "$work/conf/pnsd-rogue1.conf" & pids+=($!)
	ip netns exec "$PFX-rogue2" nsd -d -c "$work/conf/pnsd-rogue2.conf" & pids+=($!)
	ip netns exec "$PFX-pcorp" knotd -c "$work/conf/knot-corp.conf" & pids+=($!)
	wait_for "provider root NSD" in_ns proot kdig +retry=0 +timeout=1 @198.51.100.110 . SOA
	wait_for "provider TLD NSD" in_ns ptld kdig +retry=0 +timeout=1 @198.51.100.120 net. SOA
	wait_for "provider NSD" in_ns pprov kdig +retry=0 +timeout=1 @198.51.100.130 shop.test. SOA
	wait_for "corp Knot" in_ns pcorp kdig +retry=0 +timeout=1 @198.51.100.140 sub.corp.test. SOA
	wait_for "rogue NSD 1" in_ns rogue1 kdig +retry=0 +timeout=1 @198.51.100.166 . SOA
	wait_for "rogue NSD 2" in_ns rogue2 kdig +retry=0 +timeout=1 @198.51.100.167 test. SOA
}

unbound_conf=$confdir/unbound.conf
unbound_pid=
start_unbound() { # EDNS CAPS
	mkdir -p "$work/run/unbound"
	fill "$unbound_conf" "$work/conf/unbound.conf" -e "s|@EDNS@|$1|" -e "s|@CAPS@|$2|"
	ip netns exec "$PFX-res" unbound -d -c "$work/conf/unbound.conf" & unbound_pid=$!
	pids+=($unbound_pid)
	wait_for "unbound" sh -c "ip netns exec $PFX-res ss -lnu | grep -q '$CLI_RES4:53 '"
}

stop_unbound() {
	kill "$unbound_pid"
	wait "$unbound_pid" || true
}

# record_warm NAME WARMFILE QUERYFILE IFACE...: Unbound answers WARMFILE first, unrecorded,
# then the capture starts: what a sensor sees when it starts after the resolver.
record_warm() {
	local name=$1 warm=$2 queries=$3
	shift 3
	echo "== $name (warmed with $warm first, not captured)" >> "$work/log"
	start_unbound 1232 no
	run_queries "$capdir/$warm"
	start_capture "$name" "$@"
	run_queries "$capdir/$queries"
	stop_unbound
	stop_capture "$name"
}

# record NAME EDNS CAPS QUERYFILE IFACE...: a fresh (cold-cache) Unbound per capture, so
# each one starts with root priming and walks the whole hierarchy.
record() {
	local name=$1 edns=$2 caps=$3 queries=$4
	shift 4
	echo "== $name (edns-buffer-size $edns, use-caps-for-id $caps)" >> "$work/log"
	start_capture "$name" "$@"
	start_unbound "$edns" "$caps"
	run_queries "$capdir/$queries"
	if [ "$name" = client-and-upstream ]; then
		run_queries "$capdir/$queries" "$CLI_RES6"
	fi
	stop_unbound
	stop_capture "$name"
}

for ns in $NAMESPACES; do
	if ip netns list | grep -qw "^$ns"; then
		for pid in $(ip netns pids "$ns"); do
			kill "$pid" 2>/dev/null || true
		done
		ip netns del "$ns"
	fi
done

setup_net
: > "$work/log"
recorded=

case " $worlds " in *" basic "*)
start_servers

# 1. The demo input: UDP over both families, 0x20 mixed-case queries, every type.
record upstream-basic 1232 yes queries-basic.txt up0
# 2. A 512-byte EDNS buffer truncates most DNSSEC answers: TC=1, then TCP (Unbound keeps
#    upstream TCP connections open and reuses them).
record upstream-tcp 512 no queries-big.txt up0
# 3. A 4096-byte buffer on a 1500-byte link: the ~2.7 KB answers arrive as IPv4
#    fragments (NSD) and IPv6 fragment-header fragments (Knot).
record upstream-frag 4096 no queries-big.txt up0
# 4. The basic traffic with every frame carrying 802.1ad S-tag 100 + 802.1Q C-tag 200.
qinq_on
record upstream-qinq 1232 no queries-basic.txt up0
qinq_off
# 5. Both of the resolver's links: its clients' queries must be ignored by a sensor.
record client-and-upstream 1232 no queries-basic.txt up0 cl0
# 6. Responses without their queries: the queries to the TLD server (its only address is
#    2001:db8:100::20) are cut out of upstream-basic, as if the tap had missed them.
tshark -r "$outdir/upstream-basic.pcap" -F pcap -w "$outdir/unmatched.pcap" \
	-Y 'not (dns.flags.response == 0 and ipv6.dst == 2001:db8:100::20)'
recorded="upstream-basic upstream-tcp upstream-frag upstream-qinq client-and-upstream unmatched"
;; esac

case " $worlds " in *" provider "*)
setup_provider_world
unbound_conf=$confdir/provider/unbound.conf
# 7. Provider-hosted nameservers (names in other zones and sibling TLDs), CNAME chains
#    across zones, one server for a parent and its child, DS at the parent, lame
#    delegations; cold cache, so the chain from the root is on the wire.
record provider-hosted 1232 no queries-provider.txt up0
# 8. Two rogue servers, each properly delegated one zone, claiming ".", "test." and
#    victim.test. by SOA, NS, glue, CNAME targets and additional data.
record hostile 1232 no queries-hostile.txt up0
# 9. The sensor starts after the resolver: Unbound has resolved queries-provider.txt
#    before the capture starts, then answers new names in the same zones.
record_warm provider-warm queries-provider.txt queries-warm.txt up0
recorded="$recorded provider-hosted hostile provider-warm"
;; esac

cat "$work/log"
for f in $recorded; do
	printf '%-24s %8d bytes %6d frames\n' "$f.pcap" "$(stat -c %s "$outdir/$f.pcap")" \
		"$(tshark -r "$outdir/$f.pcap" -T fields -e frame.number 2>/dev/null | wc -l)"
done
