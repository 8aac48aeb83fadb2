#!/bin/sh
# Sign the capture zones and derive the DS records and the root trust anchor.
#
# Run by hand, not by record-captures.sh: ECDSA signatures are randomised, so the signed
# files are committed and every recording serves the very same bytes (the zone files are
# the oracle a sensor's output is checked against). Re-run only after editing a zone;
# keys are kept under tests/captures/zones/keys/ so a re-sign keeps the DS chain valid.
#
# Chain: root (NSEC) -> test. (NSEC3) -> example.test. (NSEC) / knot.test. (NSEC3).
# dnsift-test., in-addr.arpa. and the leaves below them stay unsigned (insecure cuts).
#
# Usage: scripts/capture/sign-zones.sh [ZONEDIR]   (default: tests/captures/zones)
# Needs: ldns-keygen, ldns-signzone, ldns-key2ds (Debian package ldnsutils).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
zones=${1:-$here/../../tests/captures/zones}
zones=$(cd "$zones" && pwd)
keys=$zones/keys
# Fixed validity window: far enough ahead that the captures' zones validate for decades,
# inside the 68-year RRSIG serial-arithmetic horizon.
inception=20240101000000
expiration=20500101000000

for tool in ldns-keygen ldns-signzone ldns-key2ds; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "sign-zones: missing tool $tool (Debian package ldnsutils)" >&2
		exit 1
	}
done
mkdir -p "$keys"

# keyname ZONE ROLE -> the K* basename recorded in keys/ZONE.ROLE
keyname() {
	cat "$keys/$1.$2"
}

# newkey ZONE ROLE ALG BITS [DOMAIN]: generate once, remember the basename.
newkey() {
	[ -s "$keys/$1.$2" ] && return 0
	flag=
	[ "$2" = ksk ] && flag=-k
	bits=
	[ -n "$4" ] && bits="-b $4"
	# /dev/urandom: key material for a test zone, no need to block on entropy.
	(cd "$keys" && ldns-keygen -r /dev/urandom -a "$3" $bits $flag "${5:-$1}") > "$keys/$1.$2"
}

newkey root ksk ECDSAP256SHA256 "" .
newkey root zsk ECDSAP256SHA256 "" .
newkey test ksk ECDSAP256SHA256 ""
newkey test zsk ECDSAP256SHA256 ""
newkey example.test ksk ECDSAP256SHA256 ""
newkey example.test zsk ECDSAP256SHA256 ""
newkey knot.test ksk RSASHA256 2048
newkey knot.test zsk RSASHA256 1024

sign() { # ZONEFILE ORIGIN EXTRA-ARGS...
	file=$1 origin=$2 name=$3
	shift 3
	ldns-signzone -i $inception -e $expiration -o "$origin" -f "$zones/$file.signed" "$@" \
		"$zones/$file.tmp" "$keys/$(keyname "$name" ksk)" "$keys/$(keyname "$name" zsk)"
	rm -f "$zones/$file.tmp"
}

ds() { # NAME -> DS RR (SHA-256) of the zone's KSK
	(cd "$keys" && ldns-key2ds -n -2 "$(keyname "$1" ksk).key")
}

cp "$zones/example.test.zone" "$zones/example.test.zone.tmp"
sign example.test.zone example.test. example.test -z 1:1
cp "$zones/knot.test.zone" "$zones/knot.test.zone.tmp"
sign knot.test.zone knot.test. knot.test -n -t 0 -z 1:1

{
	cat "$zones/test.zone"
	echo "; DS records appended by sign-zones.sh"
	ds example.test
	ds knot.test
} > "$zones/test.zone.tmp"
sign test.zone test. test -n -t 0

{
	cat "$zones/root.zone"
	echo "; DS record appended by sign-zones.sh"
	ds test
} > "$zones/root.zone.tmp"
sign root.zone . root

# Unbound's trust anchor: the root KSK's DS.
ds root > "$zones/root.anchor"
echo "sign-zones: signed zones and root.anchor written under $zones"
