# SPDX-License-Identifier: BSD-3-Clause
# Shared helpers of the control integration tests (sourced, not run).
# Needs: DNSIFT_CONTROL, DNSIFTCTL, CTL_RAWSOCK (set by meson), nginx, lz4, curl.

set -u

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
note() { echo "--- $*" >&2; }

for v in DNSIFT_CONTROL DNSIFTCTL CTL_RAWSOCK; do
	[ -n "${!v:-}" ] || fail "$v not set (run through meson test)"
done
command -v nginx >/dev/null || skip "nginx not installed"
command -v lz4 >/dev/null || skip "lz4 not installed"

T=$(mktemp -d /tmp/dnsift-control-test.XXXXXX)
chmod 755 "$T"
PIDS=()
NGINX_DIRS=()

cleanup() {
	local p d
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for d in "${NGINX_DIRS[@]}"; do
		[ -f "$d/nginx.pid" ] && kill "$(cat "$d/nginx.pid")" 2>/dev/null
	done
	sleep 0.2
	[ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

# A TCP port nothing listens on right now (the kernel picks it).
free_port() {
	local p
	while :; do
		p=$(( (RANDOM % 30000) + 20000 ))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# wait_for SECONDS 'shell condition': poll until the condition (evaluated afresh each
# time, so quote $(...) with single quotes) succeeds.
wait_for() {
	local limit=$1 i=0
	shift
	while ! eval "$*" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -le $((limit * 10)) ] || return 1
		sleep 0.1
	done
}

# start_nginx DIR PORT [CERT KEY]: a WebDAV PUT collector on 127.0.0.1:PORT storing
# into DIR/root, demanding "Authorization: Bearer t0k".
start_nginx() {
	local d=$1 port=$2 cert=${3:-} key=${4:-} listen
	mkdir -p "$d/root" "$d/logs"
	chmod 777 "$d/root"
	listen="listen 127.0.0.1:$port;"
	[ -n "$cert" ] && listen="listen 127.0.0.1:$port ssl; ssl_certificate $cert; ssl_certificate_key $key;"
	cat >"$d/nginx.conf" <<NGX
worker_processes 1;
error_log $d/logs/error.log;
pid $d/nginx.pid;
$( [ "$(id -u)" = 0 ] && echo "user root root;" )
events { worker_connections 256; }
http {
	access_log $d/logs/access.log;
	client_body_temp_path $d/tmp_body;
	proxy_temp_path $d/tmp_proxy;
	fastcgi_temp_path $d/tmp_fcgi;
	uwsgi_temp_path $d/tmp_uwsgi;
	scgi_temp_path $d/tmp_scgi;
	server {
		$listen
		root $d/root;
		client_max_body_size 0;
		location / {
			if (\$http_authorization != "Bearer t0k") { return 401; }
			dav_methods PUT;
			create_full_put_path on;
			dav_access user:rw group:r all:r;
		}
	}
}
NGX
	nginx -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log" || fail "nginx did not start in $d"
	NGINX_DIRS+=("$d")
	wait_for 10 "(exec 3<>/dev/tcp/127.0.0.1/$port)" || fail "nginx not listening on $port"
}

stop_nginx() {
	local d=$1 pid
	[ -f "$d/nginx.pid" ] || return 0
	pid=$(cat "$d/nginx.pid")
	kill "$pid" 2>/dev/null
	wait_for 10 "! kill -0 $pid" || fail "nginx $pid did not stop"
	rm -f "$d/nginx.pid"
}

# make_segments DIR FIRST LAST BYTES: LZ4 files named like the sensor's, renamed
# into DIR/ready atomically (as the sensor does), originals kept in $T/orig.
make_segments() {
	local spool=$1 first=$2 last=$3 bytes=$4 i name
	mkdir -p "$spool/ready" "$spool/.open" "$T/orig"
	for ((i = first; i <= last; i++)); do
		name=$(printf 's1.%012d.20261126T120000Z.ndjson.lz4' "$i")
		head -c "$bytes" /dev/urandom | base64 -w 120 | lz4 -q -c >"$spool/.open/$name.part"
		cp "$spool/.open/$name.part" "$T/orig/$name"
		mv "$spool/.open/$name.part" "$spool/ready/$name"
	done
}

seg_name() { printf 's1.%012d.20261126T120000Z.ndjson.lz4' "$1"; }

# write_conf FILE key=value...: a config for a test instance.
write_conf() {
	local f=$1
	shift
	: >"$f"
	for kv in "$@"; do
		echo "${kv%%=*} = ${kv#*=}" >>"$f"
	done
}

# start_control CONF LOG: run dnsift-control in the background, wait for its socket.
start_control() {
	local conf=$1 log=$2 sock
	sock=$(sed -n 's/^cli_socket = //p' "$conf")
	"$DNSIFT_CONTROL" -c "$conf" -l debug 2>>"$log" &
	CONTROL_PID=$!
	PIDS+=("$CONTROL_PID")
	wait_for 10 '"$DNSIFTCTL" -s "$sock" version' || { cat "$log" >&2; fail "control on $sock did not answer"; }
}

ready_count() { find "$1/ready" -maxdepth 1 -name '*.ndjson.lz4' | wc -l; }
