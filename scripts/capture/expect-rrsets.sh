#!/bin/sh
# Print the (rrname, rrtype) pairs a correct dnsift sensor must extract from a capture,
# one "rrname<TAB>rrtype" line each, sorted and unique, as tshark decodes them:
#   - only responses sent to the resolver's upstream addresses (the resolver is the
#     client), so client-side traffic never counts;
#   - only responses tshark pairs with a query in the same capture (dns.response_to),
#     the sensor's matching rule: unmatched responses are not in the set;
#   - every section (answer, authority, additional); OPT/TSIG/TKEY dropped;
#   - names lowercased and absolute; types as mnemonics, unknown ones as TYPEnnn.
# This is an aid for the golden files; the zone files stay the oracle.
#
# Usage: scripts/capture/expect-rrsets.sh PCAP [RESOLVER4 [RESOLVER6]]
set -eu
pcap=$1
res4=${2:-198.51.100.53}
res6=${3:-2001:db8:100::53}

# PDML, not -T fields: tshark reuses dns.resp.type for the NSEC/NSEC3 type bitmaps (only
# the fields labelled "Type:" are RR types) and splits SRV owners into three fields.
tshark -r "$pcap" -n \
	-Y "dns.flags.response == 1 && dns.response_to && (ip.dst == $res4 || ipv6.dst == $res6)" \
	-T pdml 2>/dev/null |
awk '
BEGIN {
	split("1 A 2 NS 5 CNAME 6 SOA 12 PTR 13 HINFO 15 MX 16 TXT 17 RP 18 AFSDB 28 AAAA " \
	      "29 LOC 33 SRV 35 NAPTR 39 DNAME 43 DS 44 SSHFP 46 RRSIG 47 NSEC 48 DNSKEY " \
	      "50 NSEC3 51 NSEC3PARAM 52 TLSA 53 SMIMEA 63 ZONEMD 64 SVCB 65 HTTPS 99 SPF " \
	      "256 URI 257 CAA", t, " ")
	for (i = 1; i in t; i += 2)
		mnem[t[i]] = t[i + 1]
}
function show(line) {
	sub(/.* show="/, "", line)
	sub(/".*/, "", line)
	return line
}
# tshark shows an SRV owner as service, protocol and name fields, before the type.
/name="dns.srv.service"/ {
	service = show($0)
}
/name="dns.srv.proto"/ {
	proto = show($0)
}
/name="dns.resp.name"/ || /name="dns.srv.name"/ {
	name = show($0)
	if ($0 ~ /dns.srv.name/)
		name = service "." proto "." name
	name = tolower(name)
	gsub(/&lt;/, "<", name)
	gsub(/&gt;/, ">", name)
	gsub(/&amp;/, "\\&", name)
	name = (name == "<root>") ? "." : name "."
}
/name="dns.resp.type" showname="Type: / {
	type = show($0)
	if (type == 41 || type == 249 || type == 250)
		next
	print name "\t" (type in mnem ? mnem[type] : "TYPE" type)
}' | LC_ALL=C sort -u
