#!/bin/bash
# End-to-end: stock dnsdbq (Debian 2.6.4) asks dnsift-db serve the four questions, over
# records the real sensor made from the bundled captures.
#
#   sensor (-r capture) -> segments -> dnsift-db ingest -> dnsift-db serve (kernel port)
#   -> dnsdbq -r NAME/A, -n NSNAME/NS, -i NET/LEN, -r '*.ZONE', fences, bailiwick,
#      type filters, limits, offsets, summarize, gravel; curl for keys and bad input.
#
# Oracles, never dnsift-db's own output:
#   - the zone files (tests/captures/zones/, read with ldns-read-zone -c): every answer
#     must be data the zones hold, and the RRsets named below must be answered whole;
#   - jq over the segments' NDJSON (lz4cat): the records the sensor wrote, merged the way
#     db/store.h says (per RRset key / per rdata key: count summed, time_first min,
#     time_last max), filtered as each question asks (fence semantics of store.h).
# Usage: db_dnsdbq.sh BUILDDIR
set -u
build=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
dnsift=$build/dataplane/dnsift
db=$build/db/dnsift-db
for t in dnsdbq jq lz4cat curl ldns-read-zone; do
	command -v "$t" > /dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ -x "$dnsift" ] && [ -x "$db" ] || { echo "SKIP: sensor or dnsift-db not built"; exit 77; }

tmp=$(mktemp -d /tmp/dnsift-dnsdbq.$$.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2> /dev/null; done
	for p in $pids; do wait "$p" 2> /dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

# ---- records: the sensor over three captures (different moments, sensor ids) --------
n=0
for c in upstream-basic upstream-tcp upstream-frag; do
	n=$((n + 1))
	if ! "$dnsift" -r "$top/tests/captures/$c.pcap" -o "$tmp/spool$n" -s sensor_id=e2e-$c \
		> "$tmp/sensor$n.log" 2>&1; then
		echo "FAIL sensor on $c"; tail "$tmp/sensor$n.log"; exit 1
	fi
	# one ingest run per capture: several store files, so aggr=f has something to show
	if ! "$db" -d "$tmp/db" ingest "$tmp/spool$n/ready" > "$tmp/ingest$n.log" 2>&1; then
		echo "FAIL ingest of $c"; cat "$tmp/ingest$n.log"; exit 1
	fi
done
lz4cat "$tmp"/spool*/ready/*.lz4 | jq -c . > "$tmp/records.ndjson"
echo "records: $(wc -l < "$tmp/records.ndjson") lines from $n captures"

# ---- zone oracle: every RR of the served zones, canonical (lowercase, absolute) -------
for z in "$top"/tests/captures/zones/*.zone; do
	[ -f "$z.signed" ] && z=$z.signed
	ldns-read-zone -c "$z" 2> /dev/null
done | awk -F'\t' '$1 !~ /^;/ && NF >= 5 { print $1 "\t" $4 "\t" $5 }' | sort -u > "$tmp/zone.tsv"
[ -s "$tmp/zone.tsv" ] || { echo "FAIL: no zone data"; exit 1; }

# ---- serve on a kernel-chosen port ---------------------------------------------------
start_serve() {	# OUT-FILE ARGS...; sets port
	local out=$1
	shift
	"$db" -d "$tmp/db" serve --listen 127.0.0.1:0 "$@" > "$out" 2>&1 &
	pids="$pids $!"
	port=""
	for _ in $(seq 100); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out")
		[ -n "$port" ] && return 0
		sleep 0.1
	done
	echo "FAIL: serve did not start"; cat "$out"; exit 1
}
start_serve "$tmp/serve.log"
srv=http://127.0.0.1:$port
export DNSDB_SERVER=$srv DNSDB_API_KEY=e2e-any-key
unset DNSDBQ_CONFIG_FILE DNSDBQ_SYSTEM
echo "serve: $srv"

# ---- the jq oracle ---------------------------------------------------------------------
# normalise a stream of COF objects: rrtype numbers -> TYPEnnn, rdata sorted, keys sorted
norm='def tn: if type == "number" then "TYPE\(.)" else . end;
      .rrtype |= tn | if (.rdata | type) == "array" then .rdata |= sort else . end'
# rrset results for a selection of records
rrsets() {	# JQ-SELECT
	jq -c -s "def tn: if type == \"number\" then \"TYPE\(.)\" else . end;
		map(select($1)) | map(.rrtype |= tn)
		| group_by([.rrname, .rrtype, .bailiwick, (.rdata | sort)])
		| map({rrname: .[0].rrname, rrtype: .[0].rrtype, rdata: (.[0].rdata | sort),
		       count: (map(.count) | add), time_first: (map(.time_first) | min),
		       time_last: (map(.time_last) | max)}
		      + (if .[0].bailiwick then {bailiwick: .[0].bailiwick} else {} end))
		| .[]" "$tmp/records.ndjson" | jq -S -c . | sort
}
# rdata results: one per (rrname, rrtype, rdata) whose rdata passes RDATA-SELECT
rdatas() {	# RECORD-SELECT RDATA-SELECT
	jq -c -s "def tn: if type == \"number\" then \"TYPE\(.)\" else . end;
		map(select($1)) | map(.rrtype |= tn)
		| map(. as \$r | .rdata[] | select($2) | {rrname: \$r.rrname, rrtype: \$r.rrtype,
		      rdata: ., count: \$r.count, time_first: \$r.time_first, time_last: \$r.time_last})
		| group_by([.rrname, .rrtype, .rdata])
		| map(.[0] + {count: (map(.count) | add), time_first: (map(.time_first) | min),
		      time_last: (map(.time_last) | max)})
		| .[]" "$tmp/records.ndjson" | jq -S -c . | sort
}
# what dnsdbq -j printed, normalised the same way
dq() {	# dnsdbq ARGS... -> sorted normalised lines
	dnsdbq -j "$@" 2> "$tmp/dq.err" | jq -S -c "$norm" | sort
}
same() {	# NAME EXPECTED-FILE ACTUAL-FILE
	if [ ! -s "$2" ]; then
		bad "$1: the oracle is empty (test data changed?)"
	elif cmp -s "$2" "$3"; then
		ok "$1 ($(wc -l < "$2") results)"
	else
		bad "$1"; diff "$2" "$3" | head -20
	fi
}
# every (rrname, rrtype, rdata) of dnsdbq's text output must be zone data; a CNAME the
# resolver was handed by DNAME synthesis is allowed when the zone has that DNAME above it
in_zones() {	# NAME FILE-OF-"rrname<TAB>rrtype<TAB>rdata"
	local miss
	# hex case and LOC's "10000m" / "10000.00m" are presentation, not data
	# (and LOC numbers: ldns writes "04 53 ... -2m 10000m", kdig-style "4 53 ... -2.00m")
	miss=$(awk -F'\t' 'function k(a, b, c,   n, i, t, o) { n = split(tolower(c), t, " ")
			for (i = 1; i <= n; i++) { if (t[i] ~ /^-?[0-9]+(\.[0-9]+)?m?$/) { sub(/m$/, "", t[i]); t[i] = t[i] + 0 }
				o = o (i > 1 ? " " : "") t[i] }
			return a "\t" b "\t" o }
		NR == FNR { z[k($1, $2, $3)] = 1; if ($2 == "DNAME") d[$1] = 1; next }
		!(k($1, $2, $3) in z) {
			if ($2 == "CNAME") { n = $1; while (sub(/^[^.]*\./, "", n) && n != "")
				if (n in d) next }
			print }' "$tmp/zone.tsv" "$2")
	if [ -n "$miss" ]; then
		bad "$1: answers the zones do not hold:"; echo "$miss" | head
	else
		ok "$1: every answer is zone data"
	fi
}
text_rrs() {	# dnsdbq text output -> rrname<TAB>rrtype<TAB>rdata
	awk '/^;;/ || NF == 0 { next } { n = $1; t = $2; sub(/^[^ ]+  [^ ]+  /, ""); print n "\t" t "\t" $0 }'
}

# ---- 1. where did this name point? -r NAME/A ------------------------------------------
rrsets '.rrname == "www.example.test." and .rrtype == "A"' > "$tmp/e1"
dq -r www.example.test/A > "$tmp/a1"
same "dnsdbq -r www.example.test/A" "$tmp/e1" "$tmp/a1"
dnsdbq -r www.example.test/A > "$tmp/t1" 2>&1
text_rrs < "$tmp/t1" | sort -u > "$tmp/t1.rrs"
awk -F'\t' '$1 == "www.example.test." && $2 == "A"' "$tmp/zone.tsv" | sort -u > "$tmp/z1"
if cmp -s "$tmp/z1" "$tmp/t1.rrs"; then ok "dnsdbq -r www.example.test/A text: exactly the zone's A RRset"
else bad "dnsdbq -r www.example.test/A text vs zone"; diff "$tmp/z1" "$tmp/t1.rrs"; fi
# mixed case on the wire and in the question: one lowercase answer
rrsets '.rrname == "www.mixed.example.test." and .rrtype == "A"' > "$tmp/e1b"
dq -r WwW.MiXeD.Example.TEST/A > "$tmp/a1b"
same "dnsdbq -r WwW.MiXeD.Example.TEST/A" "$tmp/e1b" "$tmp/a1b"

# ---- 2. which names does this nameserver host? -n NSNAME/NS --------------------------
rdatas '.rrtype == "NS"' '. == "ns1.example.test."' > "$tmp/e2"
dq -n ns1.example.test/NS > "$tmp/a2"
same "dnsdbq -n ns1.example.test/NS" "$tmp/e2" "$tmp/a2"
dnsdbq -n ns1.example.test/NS 2>&1 | text_rrs | sort -u > "$tmp/t2.rrs"
in_zones "dnsdbq -n ns1.example.test/NS" "$tmp/t2.rrs"
rdatas '.rrtype == "NS"' '. == "ns1.nic.test."' > "$tmp/e2b"
dq -n ns1.nic.test/NS > "$tmp/a2b"
same "dnsdbq -n ns1.nic.test/NS" "$tmp/e2b" "$tmp/a2b"
# names inside MX rdata are indexed too
rdatas '.rrtype == "MX"' '(split(" ")[1]) == "mail.example.test."' > "$tmp/e2c"
dq -n mail.example.test/MX > "$tmp/a2c"
same "dnsdbq -n mail.example.test/MX" "$tmp/e2c" "$tmp/a2c"

# ---- 3. which names point into this network? -i NET/LEN --------------------------------
rdatas '.rrtype == "A"' 'startswith("198.51.100.")' > "$tmp/e3"
dq -i 198.51.100.0/24 > "$tmp/a3"
same "dnsdbq -i 198.51.100.0/24" "$tmp/e3" "$tmp/a3"
dnsdbq -i 198.51.100.0/24 2>&1 | text_rrs | sort -u > "$tmp/t3.rrs"
in_zones "dnsdbq -i 198.51.100.0/24" "$tmp/t3.rrs"
rdatas '.rrtype == "A"' 'startswith("192.0.2.")' > "$tmp/e3b"
dq -i 192.0.2.0/24 > "$tmp/a3b"
same "dnsdbq -i 192.0.2.0/24" "$tmp/e3b" "$tmp/a3b"
rdatas '.rrtype == "A"' '. == "192.0.2.1"' > "$tmp/e3c"
dq -i 192.0.2.1 > "$tmp/a3c"
same "dnsdbq -i 192.0.2.1" "$tmp/e3c" "$tmp/a3c"
rdatas '.rrtype == "AAAA"' 'startswith("2001:db8::")' > "$tmp/e3d"
dq -i 2001:db8::/64 > "$tmp/a3d"
same "dnsdbq -i 2001:db8::/64" "$tmp/e3d" "$tmp/a3d"

# ---- 4. which subdomains exist below this name? -r '*.ZONE' ---------------------------
below='(.rrname | endswith(".example.test."))'
rrsets "$below" > "$tmp/e4"
dq -r '*.example.test' > "$tmp/a4"
same "dnsdbq -r '*.example.test'" "$tmp/e4" "$tmp/a4"
dnsdbq -r '*.example.test' 2>&1 | text_rrs | grep -v -P '\t(RRSIG|NSEC)\t' | sort -u > "$tmp/t4.rrs"
in_zones "dnsdbq -r '*.example.test' (RRSIG, NSEC aside)" "$tmp/t4.rrs"
rrsets '(.rrname | startswith("www."))' > "$tmp/e4b"
dq -r 'www.*' > "$tmp/a4b"
same "dnsdbq -r 'www.*' (right-hand)" "$tmp/e4b" "$tmp/a4b"

# ---- type and bailiwick filters -------------------------------------------------------
rrsets '.rrname == "example.test." and .rrtype == "NS" and .bailiwick == "test."' > "$tmp/e5"
dq -r example.test/NS/test > "$tmp/a5"
same "dnsdbq -r example.test/NS/test (bailiwick)" "$tmp/e5" "$tmp/a5"
rrsets '.rrname == "example.test." and .bailiwick == "example.test."' > "$tmp/e5b"
dq -r example.test -b example.test > "$tmp/a5b"
same "dnsdbq -r example.test -b example.test (ANY, bailiwick)" "$tmp/e5b" "$tmp/a5b"
dnssec='["DS","RRSIG","NSEC","DNSKEY","NSEC3","NSEC3PARAM","DLV","CDS","CDNSKEY","TA"]'
rrsets ".rrname == \"example.test.\" and (.rrtype as \$t | $dnssec | index(\$t) != null)" > "$tmp/e5c"
dq -r example.test/ANY-DNSSEC > "$tmp/a5c"
same "dnsdbq -r example.test/ANY-DNSSEC" "$tmp/e5c" "$tmp/a5c"
rrsets '.rrname == "example.test." and (.rrtype == "MX" or .rrtype == "TXT")' > "$tmp/e5d"
dq -r example.test -t MX,TXT > "$tmp/a5d"
same "dnsdbq -r example.test -t MX,TXT" "$tmp/e5d" "$tmp/a5d"
rrsets '.rrname == "unknown.example.test." and .rrtype == 65280' > "$tmp/e5e"
dq -r unknown.example.test/TYPE65280 > "$tmp/a5e"
same "dnsdbq -r unknown.example.test/TYPE65280" "$tmp/e5e" "$tmp/a5e"

# ---- time fences (store.h: strict comparisons) ------------------------------------------
# a moment between the captures: the median time_last of the records below example.test.
mid=$(jq -s '[.[] | select(.rrname | endswith("example.test.")) | .time_last] | sort | .[length / 2 | floor]' "$tmp/records.ndjson")
lo=$(jq -s '[.[].time_first] | min' "$tmp/records.ndjson")
hi=$(jq -s '[.[].time_last] | max' "$tmp/records.ndjson")
echo "fences: first record $lo, last $hi, middle $mid"
# -A T: records seen after T (time_last > T); -B T: seen before T (time_first < T)
jq -c "select(.time_last > $mid)" <(rrsets "$below") > "$tmp/e6"
dq -r '*.example.test' -A "$mid" > "$tmp/a6"
same "dnsdbq -r '*.example.test' -A $mid" "$tmp/e6" "$tmp/a6"
jq -c "select(.time_first < $mid)" <(rrsets "$below") > "$tmp/e6b"
dq -r '*.example.test' -B "$mid" > "$tmp/a6b"
same "dnsdbq -r '*.example.test' -B $mid" "$tmp/e6b" "$tmp/a6b"
# -c: complete: first seen after A and last seen before B (the later captures)
jq -c "select(.time_first > $mid and .time_last < $((hi + 1)))" <(rrsets "$below") > "$tmp/e6c"
dq -r '*.example.test' -c -A "$mid" -B $((hi + 1)) > "$tmp/a6c"
same "dnsdbq -r '*.example.test' -c -A $mid -B $((hi + 1))" "$tmp/e6c" "$tmp/a6c"
# relative: dnsdbq turns -A 3650d into an absolute time; the server's own negative
# form is checked with curl
dq -r '*.example.test' -A 3650d > "$tmp/a6d"
same "dnsdbq -r '*.example.test' -A 3650d" "$tmp/e4" "$tmp/a6d"
rel=$(( $(date +%s) - lo + 10 ))
curl -s -H "X-API-Key: k" "$srv/dnsdb/v2/lookup/rrset/name/%2A.example.test?time_last_after=-$rel" \
	| jq -c 'select(.obj) | .obj' | jq -S -c "$norm" | sort > "$tmp/a6e"
same "time_last_after=-$rel (relative, server side)" "$tmp/e4" "$tmp/a6e"

# ---- limits, offsets, gravel, summarize -------------------------------------------------
total=$(wc -l < "$tmp/e4")
dq -r '*.example.test' -l 3 > "$tmp/a7"
if [ "$(wc -l < "$tmp/a7")" = 3 ] && [ -z "$(comm -13 "$tmp/e4" "$tmp/a7")" ]; then
	ok "dnsdbq -l 3: 3 of the oracle's $total results"
else
	bad "dnsdbq -l 3"; cat "$tmp/a7" "$tmp/dq.err" | head
fi
# dnsdbq stops reading at its own output limit, so ask for the SAF terminator with curl
last=$(curl -s -H 'X-API-Key: k' "$srv/dnsdb/v2/lookup/rrset/name/%2A.example.test?limit=3" | tail -1)
[ "$last" = '{"cond":"limited","msg":"Result limit reached"}' ] && ok "limit=3 ends in cond limited" \
	|| bad "limit=3 ends in: $last"
: > "$tmp/a7b"
for off in $(seq 0 7 $((total + 7))); do
	dnsdbq -j -r '*.example.test' -l 7 -O "$off" 2> /dev/null | jq -S -c "$norm" >> "$tmp/a7b"
done
sort "$tmp/a7b" > "$tmp/a7c"
same "pages of -l 7 -O 0,7,14,...: the whole answer, each result once" "$tmp/e4" "$tmp/a7c"
# gravel (aggr=f): per-file results; summed per RRset they are the aggregated ones
dnsdbq -j -g -r '*.example.test' 2> /dev/null | jq -s -S -c "map($norm)
	| group_by([.rrname, .rrtype, .bailiwick, .rdata])
	| map(.[0] + {count: (map(.count) | add), time_first: (map(.time_first) | min),
	      time_last: (map(.time_last) | max)}) | .[]" | sort > "$tmp/a7d"
same "dnsdbq -g (aggr=f) merged by hand" "$tmp/e4" "$tmp/a7d"
jq -s -S -c '{count: (map(.count) | add), num_results: length,
	time_first: (map(.time_first) | min), time_last: (map(.time_last) | max)}' "$tmp/e4" > "$tmp/e8"
dnsdbq -j -V summarize -r '*.example.test' 2> /dev/null | jq -S -c . > "$tmp/a8"
same "dnsdbq -V summarize -r '*.example.test'" "$tmp/e8" "$tmp/a8"
rdatas '.rrtype == "A"' 'startswith("198.51.100.")' | jq -s -S -c '{count: (map(.count) | add),
	num_results: length, time_first: (map(.time_first) | min),
	time_last: (map(.time_last) | max)}' > "$tmp/e8b"
dnsdbq -j -V summarize -i 198.51.100.0/24 2> /dev/null | jq -S -c . > "$tmp/a8b"
same "dnsdbq -V summarize -i 198.51.100.0/24" "$tmp/e8b" "$tmp/a8b"
if dnsdbq -I 2>&1 | grep -q 'results_max:'; then ok "dnsdbq -I (rate_limit)"
else bad "dnsdbq -I"; dnsdbq -I 2>&1 | head -5; fi
# nothing found: no output, the status dnsdbq prints for an empty answer
if [ -z "$(dnsdbq -j -r nowhere.example.test 2> "$tmp/dq.err")" ] &&
	grep -q 'no results found' "$tmp/dq.err"; then ok "empty answer: no results found"
else bad "empty answer"; cat "$tmp/dq.err"; fi

# ---- CIRCL /pdns/query ------------------------------------------------------------------
rdatas '.rrtype == "A"' '. == "192.0.2.1"' | jq -c 'del(.bailiwick)' | sort > "$tmp/e9"
curl -s "$srv/pdns/query/192.0.2.1" | jq -S -c "$norm" | sort > "$tmp/a9"
same "CIRCL /pdns/query/192.0.2.1" "$tmp/e9" "$tmp/a9"

# ---- concurrent clients ------------------------------------------------------------------
cp=""
for i in $(seq 16); do
	( dnsdbq -j -r '*.example.test' 2> /dev/null | jq -S -c "$norm" | sort > "$tmp/c$i" ) &
	cp="$cp $!"
done
wait $cp
cbad=0
for i in $(seq 16); do cmp -s "$tmp/e4" "$tmp/c$i" || cbad=$((cbad + 1)); done
[ "$cbad" = 0 ] && ok "16 concurrent dnsdbq clients: all exact" || bad "$cbad of 16 concurrent clients differ"

# ---- bad input: 400 with a message, and the server answers afterwards -------------------
status() { curl -s -o "$tmp/body" -w '%{http_code}' -H 'X-API-Key: k' "$@"; }
bad_req() {	# PATH-AND-QUERY EXPECTED-PHRASE
	local code
	code=$(status "$srv$1")
	if [ "$code" = 400 ] && grep -q "$2" "$tmp/body"; then ok "400 $1: $(head -1 "$tmp/body")"
	else bad "$1: got $code '$(head -c 200 "$tmp/body")', want 400 '$2'"; fi
}
bad_req "/dnsdb/" "empty path part"	# "/" itself is the web search page now (db/web.h)
bad_req "/garbage/path" "unknown path"
bad_req "/dnsdb/v2/lookup/rrset/name/a..b" "empty label"
bad_req "/dnsdb/v2/lookup/rrset/name/$(printf 'a%.0s' $(seq 64)).test" "longer than 63"
bad_req "/dnsdb/v2/lookup/rrset/name/x.test/NOTATYPE" "unknown RR type"
bad_req "/dnsdb/v2/lookup/rrset/name/a%zzb" "bad percent escape"
bad_req "/dnsdb/v2/lookup/rrset/name/a%5C999" "above 255"
bad_req "/dnsdb/v2/lookup/rdata/ip/300.1.2.3" "bad address"
bad_req "/dnsdb/v2/lookup/rdata/ip/10.0.0.0,33" "prefix length 33"
bad_req "/dnsdb/v2/lookup/rdata/ip/10.0.0.9-10.0.0.1" "above its end"
bad_req "/dnsdb/v2/lookup/rrset/name/x.test?limit=-1" "limit must be"
bad_req "/dnsdb/v2/lookup/rrset/name/x.test?limit=99999999999999999999999" "limit must be"
bad_req "/dnsdb/v2/lookup/rrset/name/x.test?offset=999999999999" "offset_max"
bad_req "/dnsdb/v2/lookup/rrset/name/x.test?time_first_before=noon" "time_first_before must be"
bad_req "/dnsdb/v2/lookup/rrset/name/x.test?bogus=1" "unknown parameter"
bad_req "/dnsdb/v2/lookup/rrset/raw/0g" "bad hex digit"
bad_req "/dnsdb/v2/lookup/rrset/name/$(head -c 9000 /dev/zero | tr '\0' 'a')" "longer than"
# requests of unbounded size: answered with a 4xx or the connection closed, never more
raw_status() {	# REQUEST-TEXT -> HTTP status, or "closed"
	local line=""
	trap '' PIPE	# (in the $(...) subshell) the server may close before all is sent
	exec 5<> "/dev/tcp/127.0.0.1/$port" || { echo closed; return; }
	printf '%s' "$1" >&5 2> /dev/null
	read -r -t 5 line <&5 2> /dev/null
	exec 5<&- 5>&-
	line=${line#HTTP/1.1 }
	echo "${line%% *}" | grep -E '^[0-9]{3}$' || echo closed
}
big=$(head -c 200000 /dev/zero | tr '\0' 'a')
code=$(raw_status "GET /dnsdb/v2/lookup/rrset/name/$big HTTP/1.1"$'\r\nHost: x\r\n\r\n')
case $code in 4??|closed) ok "200 KB URL refused ($code)";; *) bad "200 KB URL: $code";; esac
code=$(raw_status "GET /dnsdb/v2/ping HTTP/1.1"$'\r\nHost: x\r\nX-Big: '"$big"$'\r\n\r\n')
case $code in 4??|closed) ok "200 KB header refused ($code)";; *) bad "200 KB header: $code";; esac
code=$(head -c 1000000 /dev/zero | status --data-binary @- "$srv/dnsdb/v2/ping")
case $code in 405) ok "POST of 1 MB refused (405)";; *) bad "POST: $code";; esac
bad_req_body() {
	local code
	code=$(head -c 1000000 /dev/zero | status -X GET --data-binary @- "$srv/dnsdb/v2/ping")
	if [ "$code" = 400 ] && grep -q 'carries no body' "$tmp/body"; then ok "GET with a 1 MB body: 400"
	else bad "GET with a body: $code"; fi
}
bad_req_body
# keep-alive: two questions on one connection
if curl -sv -H 'X-API-Key: k' "$srv/dnsdb/v2/ping" "$srv/dnsdb/v2/lookup/rrset/name/www.example.test/A" \
	2>&1 | grep -q 'Re-using existing connection'; then ok "keep-alive: a second question on the same connection"
else bad "no keep-alive"; fi
# slow clients: 20 connections that send half a request line and stall
sp=""
for i in $(seq 20); do
	( exec 3<> "/dev/tcp/127.0.0.1/$port" && printf 'GET /dnsdb/v2/pi' >&3 && sleep 4 ) 2> /dev/null &
	sp="$sp $!"
done
sleep 0.5
if [ "$(curl -s -m 5 -H 'X-API-Key: k' "$srv/dnsdb/v2/ping")" = '{"ping":"ok"}' ] &&
	[ "$(dq -r '*.example.test' | wc -l)" = "$total" ]; then
	ok "20 stalled clients: ping and a full lookup still answered"
else
	bad "stalled clients starve the server"
fi
wait $sp
[ "$(curl -s -H 'X-API-Key: k' "$srv/dnsdb/v2/ping")" = '{"ping":"ok"}' ] &&
	ok "server still answers after the bad input" || bad "server gone after bad input"

# ---- keys ----------------------------------------------------------------------------------
printf '# e2e\ngood-key-1 e2e test\n' > "$tmp/keys"
start_serve "$tmp/serve-keys.log" --keys "$tmp/keys"
ksrv=http://127.0.0.1:$port
c1=$(curl -s -o /dev/null -w '%{http_code}' "$ksrv/dnsdb/v2/ping")
c2=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-API-Key: wrong' "$ksrv/dnsdb/v2/ping")
c3=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-API-Key: good-key-1' "$ksrv/dnsdb/v2/ping")
[ "$c1/$c2/$c3" = 401/403/200 ] && ok "keys: none 401, wrong 403, right 200" || bad "keys: $c1/$c2/$c3"
DNSDB_SERVER=$ksrv DNSDB_API_KEY=good-key-1 dnsdbq -j -r www.example.test/A 2> /dev/null \
	| jq -S -c "$norm" | sort > "$tmp/a10"
same "dnsdbq with the right key" "$tmp/e1" "$tmp/a10"
if DNSDB_SERVER=$ksrv DNSDB_API_KEY=bad dnsdbq -r www.example.test/A 2>&1 | grep -q 403; then
	ok "dnsdbq with a wrong key: 403"
else bad "dnsdbq with a wrong key"; fi
if "$db" -d "$tmp/db" serve --listen 0.0.0.0:0 > "$tmp/refuse.log" 2>&1; then
	bad "serve on 0.0.0.0 without keys started"
elif grep -q 'without a keys file' "$tmp/refuse.log"; then
	ok "serve refuses 0.0.0.0 without --keys: $(head -1 "$tmp/refuse.log")"
else bad "serve on 0.0.0.0: $(cat "$tmp/refuse.log")"; fi

# ---- clean stop: SIGTERM ends both servers with status 0 and no sanitizer report --------
for p in $pids; do
	kill -TERM "$p" 2> /dev/null
	if wait "$p"; then ok "serve $p stopped cleanly on SIGTERM"; else bad "serve $p exit status $?"; fi
done
pids=""
if grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$tmp"/serve*.log; then
	bad "sanitizer report in serve's log"
fi

[ "$fail" = 0 ] && echo "PASS" || echo "FAILED"
exit "$fail"
