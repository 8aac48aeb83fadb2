#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Bailiwick oracle: the zone files the recorded servers were delegated.
#
#   tests/bailiwick_oracle.sh ZONEDIR RECORDS.ndjson
#
# A record's bailiwick B is right when the zone file of B (ZONEDIR/NAME.zone, or
# NAME.zone.signed when it exists; root.zone is ".") holds an RRset of the record's
# (rrname, rrtype) with every rdata of the record, read by ldns-read-zone, an
# independent parser (rdata compared case-folded, blanks collapsed; LOC by owner and
# type only, its numbers print differently). The one set no file holds is a CNAME
# synthesised from a DNAME at an ancestor in B's file (RFC 6672).
# Files in subdirectories (the rogues' forged zones) are not delegated zones and are
# never read.
#
# Prints every wrong record, then one summary line:
#   oracle: N records, M with a bailiwick (P%), W wrong
# Exit 0 when W is 0, 1 otherwise, 77 when ldns-read-zone or jq is missing.
set -u
zonedir=$1
records=$2
for tool in ldns-read-zone jq; do
	command -v "$tool" > /dev/null 2>&1 || { echo "note: $tool absent: bailiwick oracle skipped"; exit 77; }
done
tmp=$(mktemp -d /tmp/dnsift-bwo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
: > "$tmp/zones"
for f in "$zonedir"/*.zone; do
	name=$(basename "$f" .zone)
	[ "$name" = root ] && zone=. || zone=$name.
	[ -f "$f.signed" ] && f=$f.signed
	ldns-read-zone -c "$f" 2> "$tmp/err" > "$tmp/z" || { echo "ldns-read-zone $f: $(cat "$tmp/err")"; exit 1; }
	# zone owner type rdata
	awk -v z="$zone" -F'\t' '{ print z "\t" tolower($1) "\t" toupper($4) "\t" $5 }' "$tmp/z" >> "$tmp/zones"
done
# bailiwick owner type rdata1<US>rdata2...
jq -r '[.bailiwick // "", .rrname, (if (.rrtype|type) == "number" then "TYPE\(.rrtype)" else .rrtype end),
	(.rdata | join("\u001f"))] | join("\t")' "$records" > "$tmp/records"
awk -F'\t' -v zonesf="$tmp/zones" '
function norm(s) {
	sub(/[ \t]*;\{.*$/, "", s)	# ldns DNSKEY key-id comment
	gsub(/[ \t]+/, " ", s)
	sub(/^ /, "", s)
	sub(/ $/, "", s)
	return tolower(s)
}
FILENAME == zonesf {
	have[$1 "\t" $2 "\t" $3] = 1
	rd[$1 "\t" $2 "\t" $3 "\t" norm($4)] = 1
	if ($3 == "DNAME")
		dname[$1 "\t" $2] = 1
	next
}
{
	total++
	if ($1 == "")
		next
	with++
	k = $1 "\t" $2 "\t" $3
	if (k in have) {
		if ($3 == "LOC")
			next
		n = split($4, r, "\037")
		bad = ""
		for (i = 1; i <= n; i++)
			if (!((k "\t" norm(r[i])) in rd))
				bad = r[i]
		if (bad == "")
			next
		wrong++
		print "wrong: " $2 " " $3 " bailiwick " $1 ": rdata \"" bad "\" not in that zone file"
		next
	}
	if ($3 == "CNAME") {
		# below a DNAME of the same zone?
		n = $2
		while (sub(/^[^.]*\./, "", n) && n != "") {
			if (($1 "\t" n) in dname)
				next
		}
	}
	wrong++
	print "wrong: " $2 " " $3 " bailiwick " $1 " (not in that zone file)"
}
END {
	printf "oracle: %d records, %d with a bailiwick (%.1f%%), %d wrong\n", total, with,
		total ? 100.0 * with / total : 0, wrong
	exit wrong ? 1 : 0
}' "$tmp/zones" "$tmp/records"
