#!/bin/sh
# Every binary answers --help (exit 0, usage on stdout), --version (exit 0, "NAME VERSION"
# with the version meson.build declares) and an unknown option (exit 2, nothing on stdout).
#   cli_options.sh BUILDDIR VERSION
set -u
build=$1 version=$2
fails=0 checked=0
fail() {
	echo "FAIL $*"
	fails=$((fails + 1))
}
for rel in dataplane/dnsift control/dnsift-control control/dnsiftctl segment/dnsift-seg \
	bpf/dnsift-xdp bench/dnsift-tracegen db/dnsift-db; do
	bin=$build/$rel
	name=${rel##*/}
	if [ ! -x "$bin" ]; then
		echo "skip $name: not built in this configuration"
		continue
	fi
	checked=$((checked + 1))
	out=$("$bin" --help 2>/dev/null)
	rc=$?
	[ $rc -eq 0 ] || fail "$name --help: exit $rc"
	printf '%s\n' "$out" | grep -q '^usage: ' || fail "$name --help: no 'usage:' line on stdout"
	out=$("$bin" --version 2>/dev/null)
	rc=$?
	[ $rc -eq 0 ] || fail "$name --version: exit $rc"
	[ "$out" = "$name $version" ] || fail "$name --version: printed '$out', want '$name $version'"
	out=$("$bin" --no-such-option 2>/dev/null)
	rc=$?
	[ $rc -eq 2 ] || fail "$name --no-such-option: exit $rc, want 2"
	[ -z "$out" ] || fail "$name --no-such-option: wrote to stdout"
done
[ $checked -gt 0 ] || { echo "no binaries found under $build"; exit 1; }
echo "$checked binaries checked, $fails failures"
[ $fails -eq 0 ]
