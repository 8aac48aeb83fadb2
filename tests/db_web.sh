#!/bin/bash
# The web search page (issue 15) in Debian's headless Chromium, against a real
# dnsift-db serve holding the records the sensor made from the bundled capture,
# plus a capture of hostile answers (tests/make_hostile_pcap.py: markup in TXT
# strings and in names).
#
#   sensor (-r capture) -> segments -> dnsift-db ingest -> dnsift-db serve --keys
#   (kernel port, db_web_dir = this tree's web/) -> chromium, driven over the DevTools
#   pipe by tests/db_web_browser.py, which writes what each page state shows.
#
# Oracles, never the page's own output:
#   - curl of the API URL each search means (built here, by hand, with dnsdbq's %2A
#     and ',' forms), normalised with jq: the page must show exactly those rows, in
#     the API's order, with human times as jq's todate renders the epochs;
#   - jq over the segments' NDJSON (lz4cat): the records the sensor wrote, merged per
#     RRset key (count summed, time_first min, time_last max) for the name question,
#     and the hostile TXT and CNAME rdata as the sensor wrote them;
#   - the HTTP headers as curl sees them, and the static files' text (no inline
#     script, no inline handler, no innerHTML in app.js).
# Usage: db_web.sh BUILDDIR   (the screenshot and page states stay in BUILDDIR/db_web/)
set -u
build=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
dnsift=$build/dataplane/dnsift
db=$build/db/dnsift-db
chromium=${CHROMIUM:-/usr/bin/chromium}
for t in jq lz4cat curl python3; do
	command -v "$t" > /dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ -x "$chromium" ] || { echo "SKIP: $chromium not installed (scripts/deps.sh installs chromium)"; exit 77; }
[ -x "$dnsift" ] && [ -x "$db" ] || { echo "SKIP: sensor or dnsift-db not built"; exit 77; }

tmp=$(mktemp -d /tmp/dnsift-web.$$.XXXXXX)
out=$build/db_web
rm -rf "$out"
mkdir -p "$out"
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

# ---- records: the bundled capture, and the hostile one ---------------------------------
if ! "$dnsift" -r "$top/tests/captures/upstream-basic.pcap" -o "$tmp/spool1" \
	-s sensor_id=web-basic > "$tmp/sensor1.log" 2>&1; then
	echo "FAIL sensor on upstream-basic"; tail "$tmp/sensor1.log"; exit 1
fi
python3 "$top/tests/make_hostile_pcap.py" "$tmp/hostile.pcap" || { echo "FAIL: hostile capture"; exit 1; }
if ! "$dnsift" -r "$tmp/hostile.pcap" -o "$tmp/spool2" -s resolver=198.51.100.53 \
	-s sensor_id=web-hostile > "$tmp/sensor2.log" 2>&1; then
	echo "FAIL sensor on the hostile capture"; tail "$tmp/sensor2.log"; exit 1
fi
for n in 1 2; do
	"$db" -d "$tmp/db" ingest -q "$tmp/spool$n/ready" > "$tmp/ingest$n.log" 2>&1 ||
		{ echo "FAIL ingest $n"; cat "$tmp/ingest$n.log"; exit 1; }
done
lz4cat "$tmp"/spool*/ready/*.lz4 | jq -c . > "$tmp/records.ndjson"
evil_txt=$(jq -c 'select(.rrname == "evil.example.test." and .rrtype == "TXT") | .rdata' "$tmp/records.ndjson")
evil_cname=$(jq -r 'select(.rrtype == "CNAME" and (.rdata[0] | contains("img"))) | .rdata[0]' "$tmp/records.ndjson")
case $evil_txt in *'<script>'*'<img src=x onerror='*) ok "the sensor recorded the hostile TXT";;
	*) echo "FAIL: no hostile TXT in the segments ($evil_txt)"; exit 1;; esac
[ -n "$evil_cname" ] && ok "the sensor recorded the hostile CNAME ($evil_cname)" ||
	{ echo "FAIL: no hostile CNAME in the segments"; exit 1; }

# ---- serve, with a keys file, and this tree's web/ --------------------------------------
key="web-key-$$-$RANDOM"
printf '# db_web.sh\n%s web test\n' "$key" > "$tmp/keys"
# a copy of web/ (so this test can plant a symbolic link in it)
cp -r "$top/web" "$tmp/web"
ln -s "$tmp/keys" "$tmp/web/keys.txt"
printf 'db_web_dir = %s\n' "$tmp/web" > "$tmp/dnsift.conf"
"$db" -c "$tmp/dnsift.conf" -d "$tmp/db" serve --listen 127.0.0.1:0 --keys "$tmp/keys" \
	> "$tmp/serve.log" 2>&1 &
serve_pid=$!
pids="$pids $serve_pid"
port=""
for _ in $(seq 100); do
	port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/serve.log")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { echo "FAIL: serve did not start"; cat "$tmp/serve.log"; exit 1; }
srv=http://127.0.0.1:$port
echo "serve: $srv"

# ---- HTTP: the files, their headers, no key needed for the page, the API still keyed ----
hdr() { curl -s -o "$tmp/body" -D - "$@" | tr -d '\r'; }
h=$(hdr "$srv/")
csp=$(printf '%s\n' "$h" | sed -n 's/^Content-Security-Policy: //Ip')
case $h in "HTTP/1.1 200"*) ok "/ without a key: 200";; *) bad "/: $(echo "$h" | head -1)";; esac
grep -q '<title>dnsift passive DNS search</title>' "$tmp/body" && ok "/ is index.html" || bad "/ is not index.html"
printf '%s\n' "$h" | grep -qi '^Content-Type: text/html; charset=utf-8$' && ok "/: text/html" || bad "/: content type"
case " $csp;" in
*" default-src 'self';"*" script-src 'self';"*" style-src 'self';"*" object-src 'none';"*" frame-ancestors 'none';"*)
	ok "CSP: $csp";;
*) bad "CSP header: '$csp'";;
esac
case $csp in *unsafe-*|*data:*|*'*'*) bad "CSP allows unsafe sources: $csp";; esac
for want in 'X-Content-Type-Options: nosniff' 'Referrer-Policy: no-referrer' 'X-Frame-Options: DENY'; do
	printf '%s\n' "$h" | grep -qix "$want" && ok "header $want" || bad "missing header $want"
done
etag=$(printf '%s\n' "$h" | sed -n 's/^ETag: //Ip')
for f in app.js:text/javascript style.css:text/css favicon.svg:image/svg+xml; do
	h=$(hdr "$srv/${f%%:*}")
	if printf '%s\n' "$h" | grep -qi "^Content-Type: ${f#*:}" && printf '%s\n' "$h" | grep -q '^HTTP/1.1 200' &&
		cmp -s "$tmp/body" "$top/web/${f%%:*}"; then ok "/${f%%:*}: 200 ${f#*:}, the file's bytes"
	else bad "/${f%%:*}: $(printf '%s\n' "$h" | head -1)"; fi
done
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$srv/")
[ "$code" = 304 ] && ok "If-None-Match with the ETag: 304" || bad "If-None-Match: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -I "$srv/app.js")
[ "$code" = 200 ] && ok "HEAD /app.js: 200" || bad "HEAD: $code"
h=$(hdr "$srv/no-such-file.js")
case $h in "HTTP/1.1 404"*) ok "missing file: 404";; *) bad "missing file: $(echo "$h" | head -1)";; esac
printf '%s\n' "$h" | grep -qi '^Content-Security-Policy: ' && ok "404 carries the CSP too" || bad "404 without CSP"
for p in /meson.build /.. /%2e%2e%2fdnsift.conf "/..%2Fkeys" /web/../keys; do
	code=$(curl -s --path-as-is -o "$tmp/body" -w '%{http_code}' "$srv$p")
	if [ "$code" = 200 ] || grep -q "$key" "$tmp/body"; then bad "traversal $p: $code"
	else ok "no traversal: $p -> $code"; fi
done
code=$(curl -s -o "$tmp/body" -w '%{http_code}' "$srv/keys.txt")
[ "$code" = 404 ] && ! grep -q "$key" "$tmp/body" && ok "a symbolic link in web/ is not followed: 404" ||
	bad "symbolic link: $code"
c1=$(curl -s -o /dev/null -w '%{http_code}' "$srv/dnsdb/v2/ping")
c2=$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $key" "$srv/dnsdb/v2/ping")
[ "$c1/$c2" = 401/200 ] && ok "the API still needs the key: 401 without, 200 with" || bad "API keys: $c1/$c2"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$srv/")
[ "$code" = 405 ] && ok "POST /: 405" || bad "POST /: $code"

# ---- the static files themselves: no inline script anywhere, no HTML from data ----------
if grep -Eiq '<script[^>]*>[^<]|<script(>| [^s])|\son[a-z]+=|style=|javascript:' "$top/web/index.html"; then
	bad "index.html has inline script, an inline handler or an inline style"
else ok "index.html: scripts only by src, no inline handlers or styles"; fi
if grep -Eq 'innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function|setAttribute\(.on' \
	"$top/web/app.js"; then bad "app.js uses an HTML-parsing or eval API"
else ok "app.js: no innerHTML, document.write or eval"; fi

# ---- the browser ------------------------------------------------------------------------
python3 "$top/tests/db_web_browser.py" "$chromium" "$srv" "$key" "$out"
rc=$?
[ $rc = 0 ] || { bad "browser checks (exit $rc)"; [ $rc = 2 ] && { tail -20 "$out/chromium.log"; exit 1; }; }

# ---- the page's rows against curl of the API ----------------------------------------------
norm='select(.obj) | .obj
	| {rrname, rrtype, rdata: (if (.rdata | type) == "array" then .rdata else [.rdata] end),
	   bailiwick: (.bailiwick // ""), time_first, time_last, count,
	   time_first_human: (.time_first | todate | sub("T"; " ") | sub("Z$"; " UTC")),
	   time_last_human: (.time_last | todate | sub("T"; " ") | sub("Z$"; " UTC"))}'
api() { curl -s -H "X-API-Key: $key" "$srv/dnsdb/v2/lookup/$1"; }
same_rows() {	# STATE API-PATH-AND-QUERY WHAT
	api "$2" | jq -S -c "$norm" > "$tmp/expect-$1"
	jq -S -c . "$out/page-$1.rows" > "$tmp/got-$1" 2> /dev/null
	if [ -s "$tmp/expect-$1" ] && cmp -s "$tmp/expect-$1" "$tmp/got-$1"; then
		ok "$3: the page shows the API's $(wc -l < "$tmp/expect-$1") rows, in order"
	else
		bad "$3: page and API differ ($2)"
		diff "$tmp/expect-$1" "$tmp/got-$1" | head -10
	fi
}
same_rows name 'rrset/name/www.example.test?limit=100' "name (www.example.test)"
same_rows wild 'rrset/name/%2A.example.test?limit=1000' "subdomains (*.example.test)"
same_rows net 'rdata/ip/192.0.2.0,24?limit=1000' "network (192.0.2.0/24)"
same_rows net6 'rdata/ip/2001%3Adb8%3A%3A,32?limit=1000' "network (2001:db8::/32)"
same_rows rdata 'rdata/name/ns1.example.test./NS?limit=100' "nameserver (ns1.example.test./NS)"
same_rows typed 'rrset/name/example.test/MX?limit=100' "rrtype filter (example.test, MX)"
same_rows fenced 'rrset/name/%2A.example.test?limit=1000&time_last_after=1795734899' "time fence (last seen after)"
same_rows bailiwick 'rrset/name/ns1.example.test/ANY/test.?limit=100' "bailiwick filter (test.)"
same_rows cnames 'rrset/name/%2A.example.test/CNAME?limit=1000' "CNAMEs below example.test (hostile one included)"
same_rows evil 'rrset/name/evil.example.test?limit=100' "hostile TXT"
same_rows pivot-ns 'rdata/name/ns1.example.test./NS?limit=100' "pivot click on a nameserver"
same_rows pivot-ip 'rdata/ip/192.0.2.0,24?limit=100' "pivot click on an address (its /24)"
same_rows pivot-evil "rdata/name/$(jq -rn --arg n "$evil_cname" '$n | @uri')/CNAME?limit=100" \
	"pivot click on the hostile CNAME target"
same_rows page1 'rrset/name/%2A.example.test?limit=5' "paging, first page (limit 5)"
same_rows page2 'rrset/name/%2A.example.test?limit=5&offset=5' "paging, Next (offset 5)"
for s in net net6 rdata typed wild; do
	[ "$(wc -l < "$tmp/expect-$s")" -gt 0 ] || bad "$s: the oracle itself is empty (bad test data)"
done

# every rdata pivot link of a page with many types (example.test.) leads somewhere true:
# the API's answer to the link's question holds the row the link was on
same_rows owner 'rrset/name/example.test?limit=1000' "every type of example.test."
nlinks=0
nchecked=0
while IFS=$'\t' read -r rrname rrtype text q; do
	nlinks=$((nlinks + 1))
	case $q in
	*/*[0-9])	# NET/LEN; the address index holds A and AAAA (not SVCB/HTTPS hints)
		case $rrtype in A|AAAA) ;; *) continue;; esac
		path="rdata/ip/$(printf '%s' "$q" | sed 's|/|,|')";;
	*/*) path="rdata/name/$(jq -rn --arg n "${q%/*}" '$n | @uri')/${q##*/}";;
	*) case $rrtype in NS|CNAME|DNAME|PTR|MX|SRV|SOA|SVCB|HTTPS|A|AAAA)
		bad "pivot $text in $rrtype: an owner link where the index holds the name ($q)";; esac
	   continue;;
	esac
	# (not jq -e: jq 1.6 takes its status from the last input line, here the cond)
	found=$(api "$path?limit=1000" | jq -s --arg o "$rrname" --arg t "$rrtype" \
		'any(.[]; .obj != null and .obj.rrname == $o and .obj.rrtype == $t)')
	nchecked=$((nchecked + 1))
	[ "$found" = true ] || bad "pivot $text in $rrname $rrtype: $path does not hold that row"
done < <(jq -r '.links[] | [.rrname, .rrtype, .text, .q] | @tsv' "$out/page-owner.json" "$out/page-name.json")
[ $nchecked -ge 10 ] &&
	ok "example.test. and www.example.test. pages: $nlinks rdata links; each of the $nchecked index pivots answers with the row it came from" ||
	bad "only $nchecked index pivots to check"

# the name question against the segments themselves: records merged per RRset key
jq -s -S -c 'map(select(.rrname == "www.example.test."))
	| group_by([.rrtype, (.bailiwick // ""), .rdata])
	| map({rrname: .[0].rrname, rrtype: .[0].rrtype, rdata: .[0].rdata, bailiwick: (.[0].bailiwick // ""),
	       time_first: (map(.time_first) | min), time_last: (map(.time_last) | max),
	       count: (map(.count) | add)}) | .[]' "$tmp/records.ndjson" | sort > "$tmp/seg-name"
jq -S -c '{rrname, rrtype, rdata, bailiwick, time_first, time_last, count}' "$out/page-name.rows" |
	sort > "$tmp/page-name"
if [ -s "$tmp/seg-name" ] && cmp -s "$tmp/seg-name" "$tmp/page-name"; then
	ok "name question: the page's rows are the segments' records of www.example.test., merged"
else bad "name question: page and segments differ"; diff "$tmp/seg-name" "$tmp/page-name" | head; fi

# hostile rdata: shown as the exact strings the sensor wrote, as text
got=$(jq -c 'select(.rrtype == "TXT") | .rdata | sort' "$out/page-evil.rows")
want=$(printf '%s\n' "$evil_txt" | jq -c sort)
[ "$got" = "$want" ] && ok "hostile TXT: the page's text is the segment's rdata, byte for byte" ||
	bad "hostile TXT text: got $got want $want"
got=$(jq -r 'select(.rrtype == "CNAME" and (.rdata[0] | contains("img"))) | .rdata[0]' "$out/page-cnames.rows")
[ "$got" = "$evil_cname" ] && ok "hostile CNAME target shown as text" || bad "hostile CNAME: got '$got'"

# ---- messages: a SAF condition or an HTTP error is said, never an empty table -------------
api 'rrset/name/%2A.example.test?limit=5' | tail -1 | jq -e '.cond == "limited"' > /dev/null &&
	ok "the API said limited for limit 5 (the page said so: checked by the browser script)" ||
	bad "the API did not say limited for limit 5"
body=$(curl -s -H "X-API-Key: $key" "$srv/dnsdb/v2/lookup/rrset/name/a..b.example.test?limit=100")
msg=$(jq -r .message "$out/page-bad.json")
case $msg in "HTTP 400"*"$body"*) ok "bad name: the page shows the API's 400 ($body)";;
	*) bad "bad name: page says '$msg', API said '$body'";; esac
[ "$(jq -r .table_visible "$out/page-bad.json")" = false ] && ok "bad name: no table" || bad "bad name: a table"
empty_answer() {	# STATE API-PATH-AND-QUERY WHAT: zero rows must be said, never an empty table
	local last rows msg want
	last=$(api "$2" | tail -1)
	rows=$(api "$2" | grep -c '"obj"')
	msg=$(jq -r .message "$out/page-$1.json")
	case $(printf '%s' "$last" | jq -r .cond) in
	succeeded)
		[ "$rows" = 0 ] && case $msg in "No records"*) true;; *) false;; esac &&
			ok "$3: 'No records', not an empty table" || bad "$3: '$msg' ($rows rows)";;
	failed)
		want="Query failed: $(printf '%s' "$last" | jq -r .msg)"
		case $msg in "$want"*) ok "$3: the API said failed, the page shows '$msg'";;
			*) bad "$3: API $last, page '$msg'";; esac;;
	*) bad "$3: API ended with $last";;
	esac
	[ "$(jq -r .table_visible "$out/page-$1.json")" = false ] && ok "$3: no table" ||
		bad "$3: a table is shown"
}
empty_answer nothing 'rrset/name/nothing-here.example.test?limit=100' "no such name"
# 2099-01-01 as a Unix time, by date(1), not by the page's parser
empty_answer fenced-empty "rrset/name/%2A.example.test?limit=1000&time_last_after=$(date -u -d 2099-01-01 +%s)" \
	"time fence past every record"
[ "$(jq -r .api_path "$out/page-fenced-empty.json")" = \
	"/dnsdb/v2/lookup/rrset/name/*.example.test?limit=1000&time_last_after=$(date -u -d 2099-01-01 +%s)" ] &&
	ok "a typed date fence becomes its Unix time (date -u)" || bad "date fence: $(jq -r .api_path "$out/page-fenced-empty.json")"

if [ -s "$out/search.png" ]; then ok "screenshot: $out/search.png"; else bad "no screenshot"; fi

# ---- serve stops cleanly (under ASan: no leak, no error report) ---------------------------
kill -TERM "$serve_pid"
wait "$serve_pid"
src=$?
pids=""
if [ $src = 0 ] && ! grep -Eq 'Sanitizer|runtime error' "$tmp/serve.log"; then ok "serve stopped cleanly"
else bad "serve exit $src"; grep -A20 -E 'Sanitizer|runtime error' "$tmp/serve.log" | head -40; fi
[ $fail = 0 ] && echo "PASS db_web" || echo "FAIL db_web"
exit $fail
