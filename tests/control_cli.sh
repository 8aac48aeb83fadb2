#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Integration test of the dnsift-control CLI socket and dnsiftctl: every command,
# --json, bad input (garbage, binary, oversized, unknown, half lines), socket
# permissions by group, many concurrent clients, metrics, the telemetry transport
# against a real DPDK process (dpdk-testpmd), clean exit on SIGTERM.
. "$(dirname "$0")/control_lib.sh"

SPOOL=$T/spool
LOG=$T/control.log
SOCK=$T/run/cli.sock	# the parent directory does not exist yet: control creates it
MPORT=$(free_port)
TEL=$T/no-sensor.sock

ctl() { "$DNSIFTCTL" -s "$SOCK" "$@"; }
raw() { "$CTL_RAWSOCK" "$@" "$SOCK"; }
alive() { ctl version >/dev/null || fail "control died after: $1"; }

write_conf "$T/c.conf" sensor_id=s1 "spool_dir=$SPOOL" "cli_socket=$SOCK" \
	"telemetry_socket=$TEL" "metrics_listen=127.0.0.1:$MPORT"
start_control "$T/c.conf" "$LOG"
[ "$(stat -c %a "$SOCK")" = 660 ] || fail "socket mode is $(stat -c %a "$SOCK"), not 660"

###########################################################################
note "every command, human and --json"
out=$(ctl status) || fail "status failed"
grep -qx 'sensor.state=down' <<<"$out" || fail "status does not say the sensor is down"
grep -q '^sensor.error=sensor unreachable: connect ' <<<"$out" || fail "status gives no reason"
grep -q '^control.uptime_s=[0-9]*$' <<<"$out" || fail "status lacks control uptime"
ctl --json status | jq -e '."sensor.state" == "down"' >/dev/null || fail "status --json"
out=$(ctl stats) || fail "stats failed"
grep -qx 'sensor.up=0' <<<"$out" || fail "stats does not say sensor.up=0"
grep -q '^control.cli_requests=[0-9]*$' <<<"$out" || fail "stats lacks control counters"
ctl --json stats | jq -e '."control.uploads_ok" == 0' >/dev/null || fail "stats --json"
for c in rotate flush window "window 600" "resolvers list" "resolvers add 192.0.2.0/24" \
	"resolvers del 2001:db8::/32"; do
	# shellcheck disable=SC2086
	err=$(ctl $c 2>&1 >/dev/null)
	rc=$?
	[ "$rc" = 1 ] || fail "'$c' without a sensor exited $rc, not 1"
	grep -q '^dnsiftctl: error sensor unreachable: ' <<<"$err" || fail "'$c': $err"
done
err=$(ctl window 0 2>&1) && fail "window 0 accepted"
grep -q "error bad window '0'" <<<"$err" || fail "window 0: $err"
err=$(ctl resolvers add 192.0.2.1/24 2>&1) && fail "host bits accepted"
grep -q "error bad CIDR" <<<"$err" || fail "bad CIDR: $err"
ctl collectors | grep -qx 'collectors=0' || fail "collectors"
ctl --json collectors | jq -e '.collectors == 0' >/dev/null || fail "collectors --json"
ctl spool | grep -qx 'spool.ready_segments=0' || fail "spool"
ctl --json spool | jq -e '."spool.quota_bytes" == 10737418240' >/dev/null || fail "spool --json"
ctl version | grep -qx 'protocol=DNSIFT1' || fail "version"
ctl help | grep -q '^resolvers=resolvers list|add CIDR|del CIDR -- ' || fail "help"
ctl --json help | jq -e 'has("window")' >/dev/null || fail "help --json"
err=$(ctl frobnicate 2>&1); rc=$?
[ "$rc" = 1 ] && grep -q "error unknown command 'frobnicate'" <<<"$err" || fail "unknown: $rc $err"

###########################################################################
note "bad input: answered with error, process survives"
out=$(printf 'hello world\n' | raw)
[ "$out" = "error unsupported protocol (expected 'DNSIFT1 command ...')" ] || fail "garbage: $out"
out=$(printf 'DNSIFT1 st\001\377tus\n' | raw)
[ "$out" = "error binary data in request" ] || fail "binary: $out"
out=$(head -c 100000 /dev/zero | tr '\0' 'a' | raw)
[ "$out" = "error line too long (limit 4096 bytes)" ] || fail "oversized: $out"
out=$(printf 'DNSIFT1 nosuch\n' | raw)
[ "$out" = "error unknown command 'nosuch' (try 'help')" ] || fail "unknown: $out"
out=$(printf '\n' | raw)
[ "$out" = "error empty request" ] || fail "empty line: $out"
printf 'DNSIFT1 sta' | raw -c || fail "half line client could not connect"
alive "half line then close"
out=$(printf 'DNSIFT1 version' | raw)	# no newline, then end of input: still answered
grep -q '^ok$' <<<"$out" || fail "line without newline: $out"
: | raw -c
alive "connect and close"
head -c 20000 /dev/urandom | raw >/dev/null
alive "random bytes"
out=$(printf 'DNSIFT1 --json nosuch\n' | raw)
[ "${out%% *}" = "error" ] || fail "--json error: $out"
out=$(printf 'DNSIFT1 version\nDNSIFT1 help\n' | raw | grep -c '^ok$')
[ "$out" = 1 ] || fail "one request per connection expected, got $out answers"

###########################################################################
note "many concurrent clients"
pids=()
for i in $(seq 1 40); do
	ctl status >"$T/conc.$i" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent client failed"; done
for i in $(seq 1 40); do grep -qx 'sensor.state=down' "$T/conc.$i" || fail "client $i: bad answer"; done
# Idle clients holding connections: beyond the limit new ones are refused politely,
# the idle ones are dropped after the client timeout, service continues.
idle=()
for i in $(seq 1 60); do
	raw -k </dev/null >"$T/idle.$i" 2>&1 &
	idle+=($!)
done
wait_for 10 '[ "$(grep -l "error too many clients" "$T"/idle.* 2>/dev/null | wc -l)" -ge 1 ]' ||
	fail "no client refused beyond the limit"
wait_for 30 '[ "$(ctl stats | sed -n "s/^control.cli_timeouts=//p")" -ge 40 ]' ||
	fail "idle clients not timed out"
for p in "${idle[@]}"; do kill "$p" 2>/dev/null; done
alive "idle clients"
ctl stats | grep -q '^control.cli_rejected_busy=[1-9]' || fail "busy rejections not counted"

###########################################################################
note "metrics endpoint"
out=$(curl -sf "http://127.0.0.1:$MPORT/metrics") || fail "metrics not served"
grep -qx 'dnsift_sensor_up 0' <<<"$out" || fail "metrics lack dnsift_sensor_up"
grep -q '^dnsift_control_cli_requests [0-9]*$' <<<"$out" || fail "metrics lack control counters"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/other")
[ "$code" = 404 ] || fail "/other answered $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$MPORT/metrics")
[ "$code" = 405 ] || fail "POST answered $code"

###########################################################################
note "dnsiftctl exit status when control is unreachable"
"$DNSIFTCTL" -s "$T/nowhere.sock" status 2>/dev/null; rc=$?
[ "$rc" = 3 ] || fail "unreachable socket: exit $rc, not 3"

###########################################################################
note "telemetry transport against a real DPDK process"
if command -v dpdk-testpmd >/dev/null; then
	prefix=dnsiftctltest$$
	# Interactive testpmd (no forwarding, so no busy core) reads commands from its
	# stdin: a FIFO held open by a sleep we can stop by its pid.
	mkfifo "$T/testpmd.in"
	sleep 300 >"$T/testpmd.in" &
	SLEEP_PID=$!
	PIDS+=("$SLEEP_PID")
	dpdk-testpmd --no-huge -m 512 --no-pci --vdev net_null0 --file-prefix "$prefix" \
		-- -i --total-num-mbufs=2048 <"$T/testpmd.in" >"$T/testpmd.log" 2>&1 &
	TESTPMD_PID=$!
	PIDS+=("$TESTPMD_PID")
	tsock=/var/run/dpdk/$prefix/dpdk_telemetry.v2
	# The socket appears early in EAL init; wait for testpmd's prompt so it answers.
	if wait_for 60 '[ -S "$tsock" ] && grep -q "testpmd>" "$T/testpmd.log"'; then
		kill -TERM "$CONTROL_PID"; wait "$CONTROL_PID"
		write_conf "$T/c.conf" sensor_id=s1 "spool_dir=$SPOOL" "cli_socket=$SOCK" \
			"telemetry_socket=$tsock" "metrics_listen=127.0.0.1:$MPORT"
		start_control "$T/c.conf" "$LOG"
		ctl telemetry /ethdev/list | grep -qx 'value.0=0' || fail "telemetry /ethdev/list"
		ctl telemetry /info | grep -q '^value.version=DPDK ' || fail "telemetry /info"
		out=$(ctl status)
		grep -qx 'sensor.state=down' <<<"$out" || fail "testpmd taken for a sensor"
		grep -q 'command not registered by the sensor: /dnsift/status' <<<"$out" ||
			fail "status: $out"
		err=$(ctl rotate 2>&1) && fail "rotate on testpmd succeeded"
		grep -q 'not registered' <<<"$err" || fail "rotate: $err"
		kill -TERM "$TESTPMD_PID" "$SLEEP_PID" 2>/dev/null
		wait "$TESTPMD_PID" "$SLEEP_PID" 2>/dev/null
		rm -rf "/var/run/dpdk/$prefix"
	else
		note "SKIP part: dpdk-testpmd did not start (see $T/testpmd.log)"
	fi
else
	note "SKIP part: dpdk-testpmd not installed"
fi

###########################################################################
note "permissions: a user outside cli_group is refused"
if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null && command -v runuser >/dev/null; then
	kill -TERM "$CONTROL_PID"; wait "$CONTROL_PID"
	g=dnsiftt$$
	groupadd "$g" || fail "groupadd"
	useradd -M -N -g nogroup -G "$g" "${g}in" || fail "useradd in"
	useradd -M -N -g nogroup "${g}out" || fail "useradd out"
	trap 'userdel "${g}in"; userdel "${g}out"; groupdel "$g"; cleanup' EXIT
	chmod 755 "$T/run"
	write_conf "$T/c.conf" sensor_id=s1 "spool_dir=$SPOOL" "cli_socket=$SOCK" \
		"telemetry_socket=$TEL" "metrics_listen=" "cli_group=$g" cli_mode=0660
	start_control "$T/c.conf" "$LOG"
	[ "$(stat -c %G "$SOCK")" = "$g" ] || fail "socket group is $(stat -c %G "$SOCK")"
	runuser -u "${g}in" -- "$DNSIFTCTL" -s "$SOCK" version >/dev/null ||
		fail "group member refused"
	err=$(runuser -u "${g}out" -- "$DNSIFTCTL" -s "$SOCK" version 2>&1); rc=$?
	[ "$rc" = 3 ] || fail "non-member got exit $rc"
	grep -q 'Permission denied' <<<"$err" || fail "non-member: $err"
else
	note "SKIP part: not root (or no useradd/runuser)"
fi

###########################################################################
note "SIGTERM exits cleanly and removes the socket"
kill -TERM "$CONTROL_PID"
wait "$CONTROL_PID" || fail "exit status $? on SIGTERM"
[ ! -e "$SOCK" ] || fail "socket left behind"
echo "PASS"
