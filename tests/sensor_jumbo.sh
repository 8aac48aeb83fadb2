#!/bin/sh
# Integration: a jumbo frame (an unfragmented 8 KB DNS answer, as on a 9000-MTU link)
# arrives in chained mbufs; the worker must linearise it and record the whole RRset.
# The capture is built at test time (tests/make_jumbo_pcap.py): one query and its
# answer with 500 A records for jumbo.example.test., 192.0.2.1 .. 192.0.3.250.
# Usage: sensor_jumbo.sh BUILDDIR
set -u
build=$1
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/dnsift-jumbo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
py=$(command -v python3) || { echo "SKIP: python3 not installed"; exit 77; }
"$py" "$top/tests/make_jumbo_pcap.py" "$tmp/jumbo.pcap" 500 || { echo "FAIL: capture"; exit 1; }
"$build/dataplane/dnsift" -r "$tmp/jumbo.pcap" -o "$tmp/spool" -p -s resolver=198.51.100.53 \
	> "$tmp/records.json" 2> "$tmp/log" || { echo "FAIL: sensor exit $?"; cat "$tmp/log"; exit 1; }
fail=0
multiseg=$(awk '$1 == "rx_multiseg" { print $2; exit }' "$tmp/log")
[ "$multiseg" = 1 ] || { echo "FAIL: rx_multiseg=$multiseg, expected 1 (the answer)"; fail=1; }
got=$(jq -c 'select(.rrname == "jumbo.example.test." and .rrtype == "A") | [(.rdata | length), .rdata[0], .rdata[499], .count]' "$tmp/records.json")
[ "$got" = '[500,"192.0.2.1","192.0.3.250",1]' ] || { echo "FAIL: record $got"; fail=1; }
grep -q '^dnsift: accounting: 2 frames+datagrams in, 2 accounted for$' "$tmp/log" ||
	{ echo "FAIL: accounting: $(grep accounting "$tmp/log")"; fail=1; }
[ $fail = 0 ] && echo "ok   8 KB jumbo answer in chained mbufs: one record, 500 A rdata in order"
exit $fail
