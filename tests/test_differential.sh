#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Differential test of the wire library against tshark.
#
#   tests/test_differential.sh DNSIFT_DUMP [CAPTURE...]
#
# For every capture (default: all files of ../shared/pcaps/INDEX.tsv and every
# tests/captures/*.pcap) it decodes the frames twice, with tshark and with
# dnsift-dump (pcap_file -> pkt_decode -> dns_parse -> rdata_to_text), and checks that
# every DNS message tshark dissects on port 53, 5353 or 5355:
#   - parsed by dnsift: same number of messages in the frame, same records in the same
#     order (owner name and type; OPT, TSIG and TKEY skipped as dnsift does), and for A,
#     AAAA, NS, CNAME, MX, PTR, TXT, SOA and SRV the same rdata, after normalising case,
#     trailing dots and TXT quoting;
#   - rejected by dnsift (dns_parse or pkt_decode error, or skipped): listed with the
#     reason; a failure unless tshark marks the frame malformed (_ws.malformed) or the
#     reason is in ALLOWED_REJECTS below.
# Frames that need reassembly dnsift-dump does not do are excluded and counted: IP
# fragments (IPv4 MF/offset, IPv6 fragment header with M/offset), TCP messages spread
# over segments (tcp.segment.count, tcp.reassembled_in), and DNS tshark finds inside
# another packet (tunnels such as VXLAN, ICMP errors quoting a datagram).
#
# Exit: 0 pass, 1 a mismatch or an unexplained reject, 77 (skip) without tshark or
# without any capture.
set -u

# Rejects accepted although tshark dissects the message cleanly. Each needs a reason:
#   name_pointer_forward: dnsift refuses compression pointers that do not point
#     strictly backwards (DESIGN.md "A compression pointer must point backwards";
#     Knot does the same); tshark follows them anywhere.
ALLOWED_REJECTS="name_pointer_forward"

die() {
	echo "test_differential: $*" >&2
	exit 1
}

[ $# -ge 1 ] || die "usage: $0 DNSIFT_DUMP [CAPTURE...]"
dump=$1
shift
[ -x "$dump" ] || die "$dump is not an executable"

if ! command -v tshark >/dev/null 2>&1; then
	echo "SKIP: tshark not installed (Debian: tshark)"
	exit 77
fi

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
pcaps=
for d in "${DNSIFT_PCAPS:-}" "$repo/../shared/pcaps" /work/shared/pcaps; do
	if [ -n "$d" ] && [ -f "$d/INDEX.tsv" ]; then
		pcaps=$(cd "$d" && pwd)
		break
	fi
done

tmp=$(mktemp -d /tmp/dnsift-diff.XXXXXX) || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

list=$tmp/list
if [ $# -gt 0 ]; then
	for f in "$@"; do
		echo "$f"
	done >"$list"
else
	: >"$list"
	if [ -n "$pcaps" ]; then
		awk -F'\t' -v dir="$pcaps" 'NR > 1 && $1 != "" { print dir "/" $1 }' \
			"$pcaps/INDEX.tsv" >>"$list"
	else
		echo "note: shared captures (../shared/pcaps/INDEX.tsv) absent, not compared"
	fi
	for f in "$repo"/tests/captures/*.pcap; do
		[ -f "$f" ] && echo "$f" >>"$list"
	done
fi
if [ ! -s "$list" ]; then
	echo "SKIP: no captures (neither ../shared/pcaps nor tests/captures/*.pcap)"
	exit 77
fi

if ! command -v jq >/dev/null 2>&1; then
	echo "SKIP: jq not installed (Debian: jq)"
	exit 77
fi

"$dump" --type-table >"$tmp/types" || die "$dump --type-table failed"

# frame<TAB>types of its RRs in order (0x1f-separated), from tshark's JSON tree.
# shellcheck disable=SC2016 # a jq program: its $n is jq's, not the shell's
RRTYPES_JQ='.[] | ._source.layers | .frame["frame.number"] as $n |
	[ (.dns // .mdns // .llmnr) | if type == "array" then .[] else . end |
	  (.["Answers"], .["Prerequisites"], .["Authoritative nameservers"], .["Updates"],
	   .["Additional records"]) |
	  select(type == "object") | to_entries[] | .value |
	  if type == "array" then .[] else . end | select(type == "object") |
	  .["dns.resp.type"] | if type == "array" then .[0] else . end ] |
	"\($n)\t\(join("\u001f"))"'


echo "excluded from comparison: IP fragments, TCP messages over several segments" \
	"(dnsift-dump does not reassemble), DNS inside tunnels or ICMP"
echo "allowed rejects: $ALLOWED_REJECTS"

# The comparison. Inputs: the type table, tshark's fields, dnsift-dump's lines.
# tshark fields are separated by tabs, repeated values by 0x1f (US).
cat >"$tmp/compare.awk" <<'AWK'
# RFC 1035 escapes (\X, \DDD) back to octets: kdig-style dnsift escapes punctuation
# such as '=' or '+' that tshark shows as is.
function unescape(s,    out, i, c) {
	if (index(s, "\\") == 0)
		return s
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "\\" && substr(s, i + 1, 3) ~ /^[0-9][0-9][0-9]$/) {
			out = out sprintf("%c", substr(s, i + 1, 3) + 0)
			i += 3
		} else if (c == "\\") {
			out = out substr(s, i + 1, 1)
			i++
		} else {
			out = out c
		}
	}
	return out
}
function norm_name(s) {
	s = tolower(unescape(s))
	if (s == "<root>" || s == ".")
		return "."
	sub(/\.$/, "", s)
	return s
}
# dnsift TXT presentation ("a" "b\"c" "\007") -> strings joined by 0x1e, unescaped.
# tshark shows a character-string as a C string, cut at its first NUL octet: so is
# this side.
function txt_unquote(s,    out, i, c, n, in_str, cut) {
	out = ""; in_str = 0; n = 0; cut = 0
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (!in_str) {
			if (c == "\"") {
				in_str = 1
				if (n++ > 0)
					out = out "\036"
			}
			continue
		}
		if (c == "\\") {
			if (substr(s, i + 1, 3) == "000") {
				cut = 1
				i += 3
			} else if (substr(s, i + 1, 3) ~ /^[0-9][0-9][0-9]$/) {
				if (!cut)
					out = out sprintf("%c", substr(s, i + 1, 3) + 0)
				i += 3
			} else {
				if (!cut)
					out = out substr(s, i + 1, 1)
				i++
			}
		} else if (c == "\"") {
			in_str = 0
			cut = 0
		} else if (!cut) {
			out = out c
		}
	}
	return out
}
# dnsift rdata -> normalised form for the compared types; "" = not compared.
function dd_norm(type, r,    f, n, i) {
	if (type == 1 || type == 28)
		return tolower(r)
	if (type == 2 || type == 5 || type == 12)
		return norm_name(r)
	if (type == 15) {
		n = split(r, f, " ")
		return f[1] " " norm_name(f[2])
	}
	if (type == 6) {
		n = split(r, f, " ")
		r = norm_name(f[1]) " " norm_name(f[2])
		for (i = 3; i <= n; i++)
			r = r " " f[i]
		return r
	}
	if (type == 16)
		return txt_unquote(r)
	if (type == 33) {
		n = split(r, f, " ")
		return f[1] " " f[2] " " f[3] " " norm_name(f[4])
	}
	return ""
}
# Insertion sort of a[1..n], carrying b along (a few records per frame).
function sort3(a, b, n,    i, j, x, y) {
	for (i = 2; i <= n; i++) {
		x = a[i]; y = b[i]
		for (j = i - 1; j >= 1 && a[j] > x; j--) {
			a[j + 1] = a[j]; b[j + 1] = b[j]
		}
		a[j + 1] = x; b[j + 1] = y
	}
}
BEGIN { FS = "\t"; US = "\037" }
FILENAME == typesf { type_num[$2] = $1; next }
FILENAME == rrtypesf { rr_types[$1 + 0] = $2; next }
# ---- tshark: one line per frame that has a dns layer --------------------------------
FILENAME == tsf {
	fr = $1 + 0
	ts_frames[++ts_nframes] = fr
	ts_malformed[fr] = ($3 != "")
	np = split($2, protos, ":"); nip = 0; icmp = 0
	for (i = 1; i <= np; i++) {
		if (protos[i] == "ip" || protos[i] == "ipv6")
			nip++
		if (protos[i] ~ /^icmp/)
			icmp = 1
	}
	ports = $10 US $11 US $12 US $13
	dnsport = (ports ~ /(^|\037)(53|5353|5355)(\037|$)/)
	excl = ""
	if (nip > 1 || icmp)
		excl = "encapsulated"
	else if ($4 ~ /1|True/ || $5 ~ /[1-9]/ || $6 ~ /1|True/ || $7 ~ /[1-9]/)
		excl = "ip-fragment"
	else if ($8 != "" || $9 != "")
		excl = "tcp-multi-segment"
	else if (!dnsport)
		excl = "other-port"
	ts_excl[fr] = excl
	ts_nmsg[fr] = ($14 == "") ? 0 : split($14, tmp, US)
	# Records, in order; rdata per type from the per-type value lists.
	nn = ($15 == "") ? 0 : split($15, names, US)
	# dns.resp.type also lists NSEC/NSEC3 bitmap types: the per-RR list comes from
	# the JSON tree (rrtypesf) instead.
	tl = (fr in rr_types) ? rr_types[fr] : $16
	nt = (tl == "") ? 0 : split(tl, types, US)
	nl = ($17 == "") ? 0 : split($17, lens, US)
	split($18, va, US); split($19, vaaaa, US); split($20, vns, US)
	split($21, vcname, US); split($22, vmxp, US); split($23, vmx, US)
	split($24, vptr, US); split($25, vtxt, US); split($26, vtxtl, US)
	split($27, vsm, US); split($28, vsr, US); split($29, vs1, US)
	split($30, vs2, US); split($31, vs3, US); split($32, vs4, US)
	split($33, vs5, US); nsrv = split($34, vsrvs, US); split($35, vsrvp, US)
	split($36, vsrvn, US); split($37, vsrv1, US); split($38, vsrv2, US)
	split($39, vsrv3, US); split($40, vsrvt, US)
	ia = iaaaa = ins = icname = imx = iptr = itxt = isoa = isrv = iname = 0
	# tshark gives an SRV owner as service, proto and name, not as dns.resp.name.
	ts_align[fr] = (nn + nsrv == nt && nt == nl)
	k = 0
	for (i = 1; i <= nt; i++) {
		t = types[i] + 0
		r = ""
		if (t == 33) {
			isrv++
			owner = vsrvs[isrv] "." vsrvp[isrv] "." vsrvn[isrv]
			r = vsrv1[isrv] " " vsrv2[isrv] " " vsrv3[isrv] " " norm_name(vsrvt[isrv])
		} else {
			owner = names[++iname]
		}
		if (t == 1) r = tolower(va[++ia])
		else if (t == 28) r = tolower(vaaaa[++iaaaa])
		else if (t == 2) r = norm_name(vns[++ins])
		else if (t == 5) r = norm_name(vcname[++icname])
		else if (t == 12) r = norm_name(vptr[++iptr])
		else if (t == 15) { imx++; r = vmxp[imx] " " norm_name(vmx[imx]) }
		else if (t == 6) {
			isoa++
			r = norm_name(vsm[isoa]) " " norm_name(vsr[isoa]) " " vs1[isoa] " " \
			    vs2[isoa] " " vs3[isoa] " " vs4[isoa] " " vs5[isoa]
		} else if (t == 16) {
			got = 0; r = ""; first = 1
			while (got < lens[i] + 0 && itxt < 100000) {
				itxt++
				r = r (first ? "" : "\036") vtxt[itxt]
				got += 1 + vtxtl[itxt]
				first = 0
			}
		}
		if (t == 41 || t == 249 || t == 250)
			continue
		k++
		ts_rec[fr, k] = norm_name(owner) "\t" t
		ts_rdata[fr, k] = r
	}
	ts_nrec[fr] = k
	next
}
# ---- dnsift-dump ----------------------------------------------------------------------
FILENAME == ddf {
	fr = $1 + 0
	if ($2 == "msg") {
		dd_msgs_of[fr]++
	} else if ($2 == "error") {
		dd_err_of[fr] = dd_err_of[fr] (dd_err_of[fr] == "" ? "" : ",") $3
	} else if ($2 == "pkt-error") {
		dd_err_of[fr] = "pkt:" $3
	} else if ($2 == "skip") {
		dd_skip_of[fr] = $3
	} else if ($2 == "answer" || $2 == "authority" || $2 == "additional") {
		k = ++dd_nrec[fr]
		t = type_num[$4]
		if (t == "" && $4 ~ /^TYPE[0-9]+$/)
			t = substr($4, 5) + 0
		dd_rec[fr, k] = norm_name($3) "\t" t
		dd_rdata[fr, k] = dd_norm(t + 0, $5)
		dd_text[fr, k] = $3 " " $4 " " $5
	}
	next
}
END {
	nallowed = split(allowed, al, " ")
	for (i = 1; i <= nallowed; i++)
		is_allowed[al[i]] = 1
	for (j = 1; j <= ts_nframes; j++) {
		fr = ts_frames[j]
		if (ts_excl[fr] != "") {
			excluded[ts_excl[fr]]++
			continue
		}
		tsmsgs += ts_nmsg[fr]
		if (dd_err_of[fr] != "" || dd_skip_of[fr] != "" || dd_msgs_of[fr] == 0) {
			why = dd_err_of[fr] != "" ? dd_err_of[fr] : \
			      (dd_skip_of[fr] != "" ? "skip:" dd_skip_of[fr] : "not-seen")
			rejected++
			verdict = "FAIL"
			if (ts_malformed[fr])
				verdict = "ok (tshark: malformed)"
			else {
				n = split(why, ws, ",")
				allowed_all = 1
				for (i = 1; i <= n; i++)
					if (!(ws[i] in is_allowed))
						allowed_all = 0
				if (allowed_all)
					verdict = "ok (allow-listed)"
			}
			printf "  frame %d: dnsift rejects: %s -> %s\n", fr, why, verdict
			if (verdict == "FAIL")
				failures++
			continue
		}
		if (ts_malformed[fr]) {
			printf "  frame %d: tshark malformed, dnsift parsed %d record(s): " \
			       "not compared\n", fr, dd_nrec[fr]
			tsmalformed_parsed++
			continue
		}
		msgs += dd_msgs_of[fr]
		if (dd_msgs_of[fr] != ts_nmsg[fr]) {
			printf "  frame %d: MISMATCH message count dnsift %d tshark %d\n", fr,
				dd_msgs_of[fr], ts_nmsg[fr]
			mismatches++
		}
		# Records as a sorted list: tshark's JSON merges RRs with identical summaries
		# (two RRSIGs of one owner), which reorders them, and order is not the point.
		n = ts_nrec[fr] > dd_nrec[fr] ? ts_nrec[fr] : dd_nrec[fr]
		for (k = 1; k <= n; k++) {
			dk[k] = (k <= dd_nrec[fr]) ? dd_rec[fr, k] "\t" dd_rdata[fr, k] : ""
			tk[k] = (k <= ts_nrec[fr]) ? ts_rec[fr, k] "\t" ts_rdata[fr, k] : ""
			dx[k] = (k <= dd_nrec[fr]) ? dd_text[fr, k] : ""
		}
		sort3(dk, dx, n)
		sort3(tk, tk, n)
		for (k = 1; k <= n; k++) {
			records++
			split(dk[k], da, "\t"); split(tk[k], ta, "\t")
			if (da[1] != ta[1] || da[2] != ta[2]) {
				printf "  frame %d rr %d: MISMATCH owner/type dnsift [%s %s] " \
				       "tshark [%s %s]\n", fr, k, da[1], da[2], ta[1], ta[2]
				mismatches++
				continue
			}
			if (da[3] == "" && ta[3] == "")
				continue
			rdata_cmp++
			if (!ts_align[fr]) {
				printf "  frame %d rr %d: tshark lists not aligned, " \
				       "rdata not compared\n", fr, k
				continue
			}
			if (da[3] != ta[3]) {
				printf "  frame %d rr %d: MISMATCH rdata dnsift [%s] " \
				       "tshark [%s] (%s)\n", fr, k, da[3], ta[3], dx[k]
				mismatches++
			}
		}
	}
	ex = ""
	for (e in excluded)
		ex = ex " " e "=" excluded[e]
	printf "%s: messages compared %d, records compared %d (rdata %d), mismatches %d, " \
	       "rejected %d (unexplained %d), excluded:%s\n", file, msgs, records, rdata_cmp,
	       mismatches, rejected, failures, ex == "" ? " none" : ex
	printf "TOTAL\t%d\t%d\t%d\t%d\t%d\t%d\n", msgs, records, rdata_cmp, mismatches,
	       rejected, failures >> totals
	exit (mismatches + failures) > 0
}
AWK

status=0
: >"$tmp/totals"
while IFS= read -r f; do
	if [ ! -f "$f" ]; then
		echo "$f: missing, skipped"
		continue
	fi
	# -2 -R would hide the frames a reassembled message ends in; with one pass each
	# frame reports the layers dissected in it, which is what dnsift-dump sees.
	if ! LC_ALL=C tshark -n -r "$f" -Y "dns or mdns or llmnr" -T fields -E separator=/t \
		-E "aggregator=$(printf '\037')" -E occurrence=a \
		-e frame.number -e frame.protocols -e _ws.malformed \
		-e ip.flags.mf -e ip.frag_offset -e ipv6.fraghdr.more -e ipv6.fraghdr.offset \
		-e tcp.segment.count -e tcp.reassembled_in \
		-e udp.srcport -e udp.dstport -e tcp.srcport -e tcp.dstport -e dns.id \
		-e dns.resp.name -e dns.resp.type -e dns.resp.len \
		-e dns.a -e dns.aaaa -e dns.ns -e dns.cname -e dns.mx.preference \
		-e dns.mx.mail_exchange -e dns.ptr.domain_name -e dns.txt -e dns.txt.length \
		-e dns.soa.mname -e dns.soa.rname -e dns.soa.serial_number \
		-e dns.soa.refresh_interval -e dns.soa.retry_interval -e dns.soa.expire_limit \
		-e dns.soa.minimum_ttl -e dns.srv.service -e dns.srv.proto -e dns.srv.name \
		-e dns.srv.priority -e dns.srv.weight -e dns.srv.port -e dns.srv.target \
		>"$tmp/ts" 2>"$tmp/ts.err"; then
		echo "$f: tshark failed: $(grep -v 'Running as user' "$tmp/ts.err" | head -3)"
		status=1
		continue
	fi
	# One type per RR, in order: the first dns.resp.type of each RR's subtree.
	if ! LC_ALL=C tshark -n -r "$f" -Y "dns or mdns or llmnr" -T json --no-duplicate-keys \
		-J "frame dns mdns llmnr" 2>"$tmp/ts.err" |
		jq -r "$RRTYPES_JQ" >"$tmp/rrtypes"; then
		echo "$f: tshark -T json | jq failed"
		status=1
		continue
	fi
	if ! "$dump" "$f" >"$tmp/dd" 2>"$tmp/dd.err"; then
		echo "$f: FAIL: dnsift-dump exited non-zero: $(head -5 "$tmp/dd.err")"
		status=1
	elif [ -s "$tmp/dd.err" ]; then
		echo "$f: dnsift-dump: $(cat "$tmp/dd.err")"
	fi
	name=${f#"$pcaps"/}
	name=${name#"$repo"/}
	LC_ALL=C awk -v file="$name" -v allowed="$ALLOWED_REJECTS" -v totals="$tmp/totals" \
		-v typesf="$tmp/types" -v rrtypesf="$tmp/rrtypes" \
		-v tsf="$tmp/ts" -v ddf="$tmp/dd" \
		-f "$tmp/compare.awk" "$tmp/types" "$tmp/rrtypes" "$tmp/ts" "$tmp/dd" || status=1
done <"$list"

awk -F'\t' '{ for (i = 2; i <= 7; i++) t[i] += $i; n++ }
	END { printf "ALL %d file(s): messages compared %d, records compared %d (rdata %d), " \
		"mismatches %d, rejected %d (unexplained %d)\n", n, t[2], t[3], t[4], t[5],
		t[6], t[7] }' "$tmp/totals"
[ "$status" -eq 0 ] && echo "PASS" || echo "FAIL"
exit "$status"
