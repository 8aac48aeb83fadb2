#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Golden tests over the bundled real captures (tests/captures/*.pcap, see its README).
#
#   tests/test_captures.sh DNSIFT_DUMP            check
#   tests/test_captures.sh DNSIFT_DUMP --update   rewrite the goldens (only after checking
#                                                  the new output by hand, see below)
#
# For each capture NAME.pcap with a golden NAME.rrsets.golden:
#  1. golden: `dnsift-dump --rrsets NAME.pcap` (every RRset of every message as its COF
#     line, see tests/tools/dnsift-dump.c) must equal the golden minus its '#' header;
#     any change fails with a diff.
#  2. oracle: the zone files the servers loaded (tests/captures/zones, read with
#     ldns-read-zone, an independent zone parser) against the same output:
#     a. every RRset dnsift extracts exists in a zone with exactly the zone's rdata
#        (RRSIG sets: each signature exists in the zone, a response carries only those
#        covering the type asked); the only sets allowed to be absent from every zone are
#        CNAMEs synthesised from a DNAME at an ancestor (RFC 6672);
#     b. every question a server answered with NOERROR and answer records whose
#        (name, type) is an RRset of a zone appears in the output as that RRset
#        (nothing the resolver asked for and got is lost).
#     Presentation differs between ldns and dnsift (kdig style) only in ways compared
#     token by token: hex case, LOC numbers ("04" / "4", "-2m" / "-2.00m"), ldns'
#     DNSKEY ";{id = ...}" comment, trailing blanks, and the case of names in rdata
#     (dnsift folds all of them, ldns -c not the NSEC next name). Skipped with a note when
#     ldns-read-zone or jq is absent (parts 2 and 3).
#  3. README: the (rrname, rrtype) pairs tests/captures/README.md expects (see
#     check_readme below for the two differences that dnsift-dump's scope explains).
# Exit: 0 pass, 1 fail, 77 skip (no capture).
set -u

CAPTURES="upstream-basic upstream-tcp upstream-frag upstream-qinq client-and-upstream unmatched"
# Zones as the servers of the recording loaded them (tests/captures/conf).
ZONES="root.zone.signed test.zone.signed dnsift-test.zone in-addr.arpa.zone
example.test.zone.signed knot.test.zone.signed plain.dnsift-test.zone
2.0.192.in-addr.arpa.zone"

die() {
	echo "test_captures: $*" >&2
	exit 1
}

[ $# -ge 1 ] || die "usage: $0 DNSIFT_DUMP [--update]"
dump=$1
update=0
[ "${2:-}" = "--update" ] && update=1
[ -x "$dump" ] || die "$dump is not an executable"

here=$(cd "$(dirname "$0")" && pwd)
capdir=$here/captures
zonedir=$capdir/zones

found=0
for name in $CAPTURES; do
	[ -f "$capdir/$name.pcap" ] && found=1
done
if [ "$found" -eq 0 ]; then
	echo "SKIP: no bundled captures in $capdir (scripts/record-captures.sh makes them)"
	exit 77
fi

tmp=$(mktemp -d /tmp/dnsift-golden.XXXXXX) || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

oracle=1
if ! command -v ldns-read-zone >/dev/null 2>&1 || ! command -v jq >/dev/null 2>&1; then
	echo "note: ldns-read-zone or jq absent (Debian: ldnsutils, jq): zone oracle and" \
		"README pairs not checked, golden diff only"
	oracle=0
else
	: >"$tmp/zones"
	for z in $ZONES; do
		[ -f "$zonedir/$z" ] || die "$zonedir/$z missing"
		# owner TTL class type rdata; -c: canonical (lowercase) names.
		ldns-read-zone -c "$zonedir/$z" >"$tmp/z" 2>"$tmp/z.err" ||
			die "ldns-read-zone $z: $(cat "$tmp/z.err")"
		awk -v z="$z" -F'\t' '{ print z "\t" $0 }' "$tmp/z" >>"$tmp/zones"
	done
fi

# The oracle. Inputs: zone lines "zonefile owner ttl class type rdata" and the
# extracted data as "frame section owner type rdata" (one line per rdata) plus
# "frame q name type rcode" for every response.
cat >"$tmp/oracle.awk" <<'AWK'
function trim(s) {
	sub(/[ \t]*;\{.*$/, "", s)	# ldns' DNSKEY key-id comment
	gsub(/[ \t]+/, " ", s)
	sub(/^ /, "", s)
	sub(/ $/, "", s)
	return s
}
# Token-wise equality: exact, or both hex and equal ignoring case, or (LOC only) both
# numbers with an optional unit 'm' and equal as numbers.
function same_rdata(type, a, b,    na, nb, ta, tb, i, x, y) {
	if (a == b)
		return 1
	na = split(a, ta, " ")
	nb = split(b, tb, " ")
	if (na != nb)
		return 0
	for (i = 1; i <= na; i++) {
		x = ta[i]; y = tb[i]
		if (x == y)
			continue
		if (x ~ /^[0-9a-fA-F]+$/ && y ~ /^[0-9a-fA-F]+$/ && tolower(x) == tolower(y))
			continue
		# Names in rdata: dnsift folds them all (DESIGN.md), ldns -c only some
		# (not the NSEC next name, RFC 6840 5.1).
		if (type != "TXT" && type != "SPF" && x ~ /^[A-Za-z0-9_*.-]+\.$/ &&
		    tolower(x) == tolower(y))
			continue
		if (type == "LOC" && x ~ /^-?[0-9]+(\.[0-9]+)?m?$/ &&
		    y ~ /^-?[0-9]+(\.[0-9]+)?m?$/) {
			sub(/m$/, "", x); sub(/m$/, "", y)
			if (x + 0 == y + 0)
				continue
		}
		return 0
	}
	return 1
}
BEGIN { FS = "\t" }
# A delegation's NS and glue are in the parent's and the child's files: each file's
# RRset is kept apart, and a set passes when it matches one of them.
FILENAME == zonesf {
	key = $2 "\t" $5
	zk = $1 "\t" key
	if (!(zk in zn)) {
		zn[key]++
		zfile[key, zn[key]] = $1
	}
	zn[zk]++
	zr[zk, zn[zk]] = trim($6)
	if ($5 == "DNAME")
		dname[$2] = 1
	next
}
$2 == "q" {
	q[$3 "\t" $4] = $1
	next
}
{
	key = $3 "\t" $4
	set = $1 "\t" $2 "\t" key
	if (!(set in setn))
		sets[++nsets] = set
	setn[set]++
	setr[set, setn[set]] = $5
	seen[key] = 1
}
END {
	for (i = 1; i <= nsets; i++) {
		set = sets[i]
		split(set, f, "\t")
		key = f[3] "\t" f[4]
		checked++
		if (!(key in zn)) {
			# A CNAME synthesised from a DNAME at an ancestor (RFC 6672).
			owner = f[3]; synth = 0
			while (f[4] == "CNAME" && owner != "." && sub(/^[^.]*\./, "", owner))
				if (owner in dname)
					synth = 1
			if (synth) {
				synthesised++
				continue
			}
			printf "  frame %s %s: %s %s is in no zone\n", f[1], f[2], f[3], f[4]
			bad++
			continue
		}
		ok = 0; why = ""
		for (m = 1; m <= zn[key] && !ok; m++) {
			zk = zfile[key, m] "\t" key
			miss = 0
			for (j = 1; j <= setn[set]; j++) {
				hit = 0
				for (k = 1; k <= zn[zk]; k++)
					if (same_rdata(f[4], setr[set, j], zr[zk, k]))
						hit = 1
				if (!hit) {
					miss++
					why = why sprintf(" [%s] not in %s;", setr[set, j],
							  zfile[key, m])
				}
			}
			if (f[4] != "RRSIG" && setn[set] != zn[zk])
				why = why sprintf(" %d rdata, %s has %d;", setn[set], zfile[key, m],
						  zn[zk])
			else if (!miss)
				ok = 1
		}
		if (!ok) {
			printf "  frame %s %s: %s %s:%s\n", f[1], f[2], f[3], f[4], why
			bad++
		}
		rdatas += setn[set]
	}
	for (k in q) {
		if (!(k in zn))
			continue
		asked++
		if (!(k in seen)) {
			split(k, f, "\t")
			printf "  frame %s: answer to %s %s missing from the output\n", q[k],
				f[1], f[2]
			bad++
		}
	}
	printf "%s: oracle: %d RRsets (%d rdata) checked against the zones, %d CNAME(s) " \
	       "synthesised from DNAME, %d answered question(s) with zone data all present, " \
	       "%d problem(s)\n", file, checked, rdatas, synthesised, asked, bad
	exit bad > 0
}
AWK

# COF lines -> "frame section owner type rdata" per rdata; msg lines -> questions of
# NOERROR responses.
to_rows() {
	awk -F'\t' '$3 ~ /^\{/ { print $1 "\t" $2 "\t" $3 }' "$1" |
		jq -R -r 'split("\t") as $f | ($f[2] | fromjson) as $r | $r.rdata[] |
			(if ($r.rrtype | type) == "number" then "TYPE\($r.rrtype)"
			 else $r.rrtype end) as $t |
			"\($f[0])\t\($f[1])\t\($r.rrname)\t\($t)\t\(.)"'
	awk -F'\t' '$2 == "msg" && $4 ~ / qr=1 / && $4 ~ / rcode=0 / && $4 !~ / an=0 / {
		q = $4; sub(/.* q=/, "", q); n = split(q, a, "/")
		if (n == 2) print $1 "\tq\t" a[1] "\t" a[2] }' "$1"
}

header() {
	cat <<EOF
# Golden: dnsift-dump --rrsets tests/captures/$1.pcap
# Every RRset of every DNS message as its COF line (time = frame timestamp, count 1,
# sensor_id dnsift-dump), prefixed by frame number and section; "msg" lines give each
# message's header and question; frames that need IP or TCP reassembly show as "skip"
# (dnsift-dump does not reassemble; the sensor does).
# Regenerate with: tests/test_captures.sh BUILD/tests/dnsift-dump --update
#
# Verified before check-in (2026-11-26), and re-checked by every run of the test:
#  - zone oracle: every RRset below exists in the zone file its server loaded
#    (tests/captures/zones, read by ldns-read-zone, an independent parser) with exactly
#    that zone's rdata (RRSIG: each signature is in the zone); the only sets in no zone
#    are CNAMEs synthesised from the dname.example.test. DNAME; every NOERROR answer to
#    a question whose (name, type) a zone holds carries that set below;
#  - README: the (rrname, rrtype) pairs equal those tests/captures/README.md lists
#    (made from tshark's view by the captures' author), minus for TCP/frag only the
#    big.*.test. sets that need reassembly;
#  - by hand: names lowercase despite 0x20 and mixed-case zone data (WwW.MiXeD, NSEC
#    next names); names absolute; bailiwick only on referrals and negative answers;
#    txt.example.test. escapes \\" \\\\ \\000\\255\\127 as in the zone; TYPE65280 as
#    RFC 3597 with a numeric rrtype; "out-of-bailiwick N" lines are sets dropped as the
#    sensor drops them (the root's in-addr.arpa. referral: dns_msg_bailiwick() takes
#    arpa., the delegation's parent, so the root's own ns1.nic.test. AAAA glue goes);
#  - tests/test_differential.sh: tshark 4.0 decodes the same owners, types and rdata.
EOF
}

# The (rrname, rrtype) pairs tests/captures/README.md lists for a group of captures
# (made by its author from tshark's view of matched responses).
readme_pairs() {
	sed -n "/^### $1/,/^###/p" "$capdir/README.md" | grep '^    ' |
		awk '{ o = $1; sub(/:$/, "", o); for (i = 2; i <= NF; i++) print o, $i }' |
		sort -u
}

# 3. The README's expected pairs against dnsift's. dnsift-dump does no query matching,
# so unmatched.pcap yields basic's set; it does no reassembly, so the TCP and fragment
# captures lack exactly the sets that only arrive in multi-segment / fragmented
# messages (the ~2.7 KB big.*.test. TXT answers).
NEED_REASSEMBLY="big.example.test. TXT
big.knot.test. RRSIG
big.knot.test. TXT"
check_readme() {
	case $1 in
	upstream-tcp | upstream-frag)
		readme_pairs "upstream-tcp, upstream-frag" |
			grep -v -x -F "$NEED_REASSEMBLY" >"$tmp/expect" ;;
	*)
		readme_pairs "upstream-basic, upstream-qinq, client-and-upstream" >"$tmp/expect" ;;
	esac
	awk -F'\t' '$3 ~ /^\{/ { print $3 }' "$2" |
		jq -r '"\(.rrname) \(if (.rrtype | type) == "number" then "TYPE\(.rrtype)"
			else .rrtype end)"' | sort -u >"$tmp/pairs"
	if [ ! -s "$tmp/expect" ]; then
		echo "$1: README lists no expected pairs for it"
		return 1
	fi
	if ! diff "$tmp/expect" "$tmp/pairs" >"$tmp/pdiff"; then
		echo "$1: (rrname, rrtype) pairs differ from tests/captures/README.md" \
			"(< README, > dnsift):"
		cat "$tmp/pdiff"
		return 1
	fi
	echo "$1: README: all $(grep -c . "$tmp/pairs") expected (rrname, rrtype) pairs," \
		"no others"
}

status=0
for name in $CAPTURES; do
	pcap=$capdir/$name.pcap
	golden=$capdir/$name.rrsets.golden
	if [ ! -f "$pcap" ]; then
		echo "$name: capture absent, skipped"
		continue
	fi
	"$dump" --rrsets "$pcap" >"$tmp/out" || {
		echo "$name: dnsift-dump failed"
		status=1
		continue
	}
	if [ "$oracle" -eq 1 ]; then
		to_rows "$tmp/out" >"$tmp/rows" || {
			echo "$name: could not read the COF lines back (jq)"
			status=1
			continue
		}
		LC_ALL=C awk -v file="$name" -v zonesf="$tmp/zones" -f "$tmp/oracle.awk" \
			"$tmp/zones" "$tmp/rows" || status=1
	fi
	if [ "$oracle" -eq 1 ] && [ -f "$capdir/README.md" ]; then
		check_readme "$name" "$tmp/out" || status=1
	fi
	if [ "$update" -eq 1 ]; then
		{ header "$name"; cat "$tmp/out"; } >"$golden"
		echo "$name: golden written ($(grep -c . "$tmp/out") lines)"
		continue
	fi
	if [ ! -f "$golden" ]; then
		echo "$name: FAIL: no golden $golden (verify, then run with --update)"
		status=1
		continue
	fi
	grep -v '^#' "$golden" >"$tmp/golden"
	if diff -u "$tmp/golden" "$tmp/out" >"$tmp/diff"; then
		echo "$name: golden: $(grep -c . "$tmp/out") lines identical"
	else
		echo "$name: FAIL: output differs from $name.rrsets.golden:"
		head -40 "$tmp/diff"
		status=1
	fi
done
[ "$status" -eq 0 ] && echo "PASS" || echo "FAIL"
exit "$status"
