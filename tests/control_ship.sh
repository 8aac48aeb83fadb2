#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Integration test of dnsift-control shipping: real nginx WebDAV collectors on
# loopback, segments byte-identical on arrival, outages, two collectors, kill -9
# during a backlog, spool quota, TLS with a test CA (and a wrong CA refused).
. "$(dirname "$0")/control_lib.sh"

SPOOL=$T/spool
LOG=$T/control.log
SOCK=$T/cli.sock
P1=$(free_port)
P2=$(free_port)
while [ "$P2" = "$P1" ]; do P2=$(free_port); done
MPORT=$(free_port)

ctl() { "$DNSIFTCTL" -s "$SOCK" "$@"; }
stat_of() { ctl "$1" | sed -n "s/^$2=//p"; }

# all_delivered DIR FIRST LAST: every segment arrived byte-identical in DIR.
all_delivered() {
	local dir=$1 i name
	for ((i = $2; i <= $3; i++)); do
		name=$(seg_name "$i")
		cmp -s "$T/orig/$name" "$dir/$name" || return 1
	done
}

# put_count NGINXDIR NAME: successful PUTs of NAME in the access log.
put_count() {
	grep -c "\"PUT /in/$2 HTTP/1.1\" 20[14] " "$1/logs/access.log" || true
}

base_conf() {
	write_conf "$T/c.conf" sensor_id=s1 "spool_dir=$SPOOL" "cli_socket=$SOCK" \
		"telemetry_socket=$T/no-sensor.sock" "metrics_listen=127.0.0.1:$MPORT" \
		"collector_header=Authorization: Bearer t0k" ship_retry_min_ms=100 \
		ship_retry_max_ms=800 "$@"
}

stop_control() {
	kill -TERM "$CONTROL_PID"
	wait "$CONTROL_PID" || fail "dnsift-control exited $? on SIGTERM"
	[ ! -e "$SOCK" ] || fail "CLI socket left behind after SIGTERM"
}

###########################################################################
note "1. segments arrive byte-identical, then leave the spool"
start_nginx "$T/n1" "$P1"
base_conf "collector=http://127.0.0.1:$P1/in/"
make_segments "$SPOOL" 1 3 2000
make_segments "$SPOOL" 4 4 3000000	# a large one (about 4 MB)
start_control "$T/c.conf" "$LOG"
make_segments "$SPOOL" 5 8 1000	# arrive while running: inotify
wait_for 60 all_delivered "$T/n1/root/in" 1 8 || fail "segments 1-8 not delivered intact"
wait_for 20 '[ "$(ready_count "$SPOOL")" = 0 ]' || fail "ready/ not emptied"
[ -z "$(ls -A "$SPOOL/ship-state")" ] || fail "markers left in ship-state/"
[ "$(stat_of stats control.uploads_ok)" = 8 ] || fail "uploads_ok != 8"
[ "$(stat_of collectors collector.0.shipped)" = 8 ] || fail "collector.0.shipped != 8"
curl -sf "http://127.0.0.1:$MPORT/metrics" | grep -qx 'dnsift_control_uploads_ok 8' ||
	fail "metrics do not show 8 uploads"
# Not a segment: ignored and counted, never shipped.
echo junk >"$SPOOL/ready/notes.txt"
echo part >"$SPOOL/ready/$(seg_name 9).part"
wait_for 15 '[ "$(stat_of spool spool.ignored_files)" = 1 ]' || fail "junk file not counted"
[ "$(stat_of stats control.files_ignored)" = 1 ] || fail "files_ignored != 1"
ctl -t 5 spool | grep -q '^spool.ready_segments=0$' || fail "junk counted as a segment"
[ ! -e "$T/n1/root/in/notes.txt" ] || fail "junk shipped"
rm -f "$SPOOL/ready/notes.txt" "$SPOOL/ready/$(seg_name 9).part"

###########################################################################
note "2. collector down for a while, then up: every segment once, none lost"
stop_nginx "$T/n1"
make_segments "$SPOOL" 10 19 5000
wait_for 30 '[ "$(stat_of collectors collector.0.failures)" -ge 3 ]' ||
	fail "no failed attempts recorded while the collector was down"
ctl collectors | grep -q '^collector.0.state=backoff$\|^collector.0.state=uploading$' ||
	fail "collector not in backoff while down"
[ "$(ready_count "$SPOOL")" = 10 ] || fail "segments left ready/ while the collector was down"
start_nginx "$T/n1" "$P1"
wait_for 60 all_delivered "$T/n1/root/in" 10 19 || fail "backlog not delivered after outage"
wait_for 20 '[ "$(ready_count "$SPOOL")" = 0 ]' || fail "ready/ not emptied after outage"
for ((i = 10; i <= 19; i++)); do
	[ "$(put_count "$T/n1" "$(seg_name $i)")" = 1 ] || fail "$(seg_name $i) stored more than once"
done
stop_control

###########################################################################
note "3. two collectors, one down: the other keeps receiving"
base_conf "collector=http://127.0.0.1:$P1/in/" "collector=http://127.0.0.1:$P2/in/"
start_control "$T/c.conf" "$LOG"
make_segments "$SPOOL" 20 29 4000
wait_for 60 all_delivered "$T/n1/root/in" 20 29 || fail "live collector starved by the dead one"
[ "$(ready_count "$SPOOL")" = 10 ] || fail "segments left before the second collector had them"
ctl collectors | grep -q '^collector.1.queued=10$' || fail "collector 1 should have 10 queued"
ctl collectors | grep -q '^collector.0.queued=0$' || fail "collector 0 should have 0 queued"
start_nginx "$T/n2" "$P2"
wait_for 60 all_delivered "$T/n2/root/in" 20 29 || fail "second collector not caught up"
wait_for 20 '[ "$(ready_count "$SPOOL")" = 0 ]' || fail "ready/ not emptied with both up"
for ((i = 20; i <= 29; i++)); do
	[ "$(put_count "$T/n1" "$(seg_name $i)")" = 1 ] || fail "$(seg_name $i) re-sent to collector 0"
done

###########################################################################
note "4. kill -9 during a backlog, restart completes it"
kill -STOP "$CONTROL_PID"
make_segments "$SPOOL" 100 299 20000
kill -CONT "$CONTROL_PID"
wait_for 60 '[ -e "$T/n2/root/in/$(seg_name 120)" ]' || fail "backlog did not start"
kill -9 "$CONTROL_PID"
wait "$CONTROL_PID" 2>/dev/null
left=$(ready_count "$SPOOL")
note "killed with $left of 200 segments still in ready/"
start_control "$T/c.conf" "$LOG"
wait_for 120 '[ "$(ready_count "$SPOOL")" = 0 ]' || fail "backlog not finished after restart"
all_delivered "$T/n1/root/in" 100 299 || fail "collector 0 misses backlog segments"
all_delivered "$T/n2/root/in" 100 299 || fail "collector 1 misses backlog segments"
[ -z "$(ls -A "$SPOOL/ship-state")" ] || fail "markers left after the backlog"
note "re-sent after restart: $(stat_of stats control.uploads_resent)"
stop_control
stop_nginx "$T/n2"

###########################################################################
note "5. quota exceeded: oldest discarded and counted; keep_sent counts sent/"
base_conf "collector=http://127.0.0.1:$P2/in/" spool_quota=1M
make_segments "$SPOOL" 300 309 150000	# ~200 KB each compressed: ~2 MB > 1 MiB
start_control "$T/c.conf" "$LOG"
[ "$(ready_count "$SPOOL")" -lt 10 ] || fail "nothing discarded over quota"
disc=$(stat_of spool spool.discarded_unshipped_segments)
[ "$disc" -ge 1 ] || fail "discards not counted"
[ "$(( disc + $(ready_count "$SPOOL") ))" = 10 ] || fail "discarded + kept != 10"
[ ! -e "$SPOOL/ready/$(seg_name 300)" ] || fail "oldest segment kept"
[ -e "$SPOOL/ready/$(seg_name 309)" ] || fail "newest segment discarded"
bytes=$(stat_of spool spool.ready_bytes)
[ "$bytes" -le 1048576 ] || fail "ready/ still over quota: $bytes"
grep -q "discarded unshipped ready/$(seg_name 300)" "$LOG" || fail "discard not logged"
stop_control
rm -f "$SPOOL"/ready/*
base_conf "collector=http://127.0.0.1:$P1/in/" spool_keep_sent=yes
start_control "$T/c.conf" "$LOG"
make_segments "$SPOOL" 400 402 1000
wait_for 30 '[ -e "$SPOOL/sent/$(seg_name 402)" ]' || fail "keep_sent did not move to sent/"
wait_for 10 '[ "$(stat_of spool spool.sent_segments)" = 3 ]' || fail "sent/ not counted"
stop_control

###########################################################################
note "6. TLS with a test CA; a wrong CA is refused"
command -v openssl >/dev/null || skip "openssl not installed"
P3=$(free_port)
(
	cd "$T" || exit 1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
		-subj /CN=dnsift-test-ca 2>/dev/null
	openssl req -x509 -newkey rsa:2048 -nodes -keyout wrong.key -out wrong.pem -days 2 \
		-subj /CN=dnsift-wrong-ca 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr \
		-subj /CN=127.0.0.1 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem \
		-days 2 -extfile san.ext 2>/dev/null
) || fail "openssl could not make the test CA"
start_nginx "$T/n3" "$P3" "$T/srv.pem" "$T/srv.key"
base_conf "collector=https://127.0.0.1:$P3/in/" "collector_ca=$T/wrong.pem"
make_segments "$SPOOL" 500 501 1000
start_control "$T/c.conf" "$LOG"
wait_for 30 '[ "$(stat_of collectors collector.0.failures)" -ge 1 ]' || fail "wrong CA not refused"
ctl collectors | grep -i '^collector.0.last_error=.*certificate' || fail "no certificate error shown"
[ ! -e "$T/n3/root/in/$(seg_name 500)" ] || fail "uploaded despite a wrong CA"
stop_control
base_conf "collector=https://127.0.0.1:$P3/in/" "collector_ca=$T/ca.pem"
start_control "$T/c.conf" "$LOG"
wait_for 30 all_delivered "$T/n3/root/in" 500 501 || fail "TLS upload with the right CA failed"
stop_control
echo "PASS"
