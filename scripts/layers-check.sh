#!/bin/sh
# SPDX-License-Identifier: MIT
# The layers the build enforces (doc/architecture.md), checked on the built
# libraries and programs of build dir $1:
#  - each layer library uses only itself and the layers below it:
#      shared: -   core: shared   sys: core shared
#      daemon: sys core shared    ctl: shared
#  - memhotctl holds no symbol of the daemon, sys or core layers (it is
#    client, renderers, protocol and json-c: `memhotctl blocks` without a
#    running memhotd runs `memhotd --list-blocks`) and needs neither
#    libudev nor inih (nor libsystemd);
#  - memhotctl's text+data is at most CTL_MAX_PERCENT of memhotd's (both
#    sizes printed).
set -eu
b=${1:-build}
# 26 % when the bound was set; the rest is room for the renderers to grow.
CTL_MAX_PERCENT=33
fail=0

defs() { nm -g --defined-only "$b/lib/libmh-$1.a" 2>/dev/null |
	awk 'NF == 3 { print $3 }' | sort -u; }
undefs() { nm -u "$b/lib/libmh-$1.a" | awk '$1 == "U" { print $2 }' |
	grep '^mh_' | sort -u || true; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for l in shared core sys daemon ctl; do defs $l > "$tmp/$l"; done

check_layer() {
	layer=$1; shift
	: > "$tmp/allowed"
	for a in "$layer" "$@"; do cat "$tmp/$a" >> "$tmp/allowed"; done
	sort -u -o "$tmp/allowed" "$tmp/allowed"
	bad=$(undefs "$layer" | comm -23 - "$tmp/allowed")
	if [ -n "$bad" ]; then
		echo "layers-check: src/$layer uses symbols of a layer it may not use:" $bad
		fail=1
	fi
}
check_layer shared
check_layer core shared
check_layer sys core shared
check_layer daemon sys core shared
check_layer ctl shared

nm -g --defined-only "$b/memhotctl" | awk 'NF == 3 { print $3 }' | sort -u > "$tmp/ctl-bin"
for l in daemon sys core; do
	bad=$(comm -12 "$tmp/ctl-bin" "$tmp/$l")
	if [ -n "$bad" ]; then
		echo "layers-check: memhotctl holds symbols of src/$l:" $bad
		fail=1
	fi
done
needed=$(readelf -d "$b/memhotctl" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
echo "layers-check: memhotctl needs: $needed"
echo "layers-check: memhotd needs:   $(readelf -d "$b/memhotd" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
case " $needed" in
*" libudev"* | *" libinih"* | *" libsystemd"*)
	echo "layers-check: memhotctl links libudev, inih or libsystemd"
	fail=1 ;;
esac

size "$b/memhotd" "$b/memhotctl"
d=$(size "$b/memhotd" | awk 'NR == 2 { print $1 + $2 }')
c=$(size "$b/memhotctl" | awk 'NR == 2 { print $1 + $2 }')
echo "layers-check: memhotctl text+data is $((100 * c / d))% of memhotd's"
if [ $((100 * c)) -gt $((CTL_MAX_PERCENT * d)) ]; then
	echo "layers-check: memhotctl is more than $CTL_MAX_PERCENT% of memhotd"
	fail=1
fi
[ $fail -eq 0 ] && echo "layers-check: ok"
exit $fail
