#!/bin/sh
# shellcheck disable=SC2016 # "$1" in the hooks is mmdebstrap's (the chroot), not ours
# Builds the root of the systemd-booted end-to-end guest: a Debian 12 (bookworm)
# minbase system made by mmdebstrap from Debian's packages, with systemd as PID 1
# and the memhotd .deb installed into it by apt (so its maintainer scripts run:
# unit enabled, sysusers group created, conffile in place), packed as an
# uncompressed newc cpio for the kernel's initramfs (booted with rdinit=/sbin/init).
#
#   tests/vm/mkroot.sh OUT.cpio MEMHOTD.deb PACKAGES
#
# PACKAGES: comma-separated Debian packages besides the variant's.  Must run as
# root (mmdebstrap's root mode: the chroot's /sys is mounted read-only, nothing
# is written to the host's /sys).  Transient mirror errors are retried; any other
# failure exits non-zero with mmdebstrap's message.  Kernel modules are not part
# of this image: systemd_guest.py appends them (and the test agent) as a second
# cpio, so one image serves any kernel.
set -eu

[ $# -eq 3 ] || { echo "usage: $0 OUT.cpio MEMHOTD.deb PACKAGES" >&2; exit 2; }
out=$1
deb=$(readlink -f "$2")
pkgs=$3
[ -f "$deb" ] || { echo "mkroot: $deb: no such file" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "mkroot: must run as root (mmdebstrap root mode)" >&2; exit 1; }
command -v mmdebstrap >/dev/null || { echo "mkroot: mmdebstrap missing (apt-get install mmdebstrap)" >&2; exit 1; }
command -v cpio >/dev/null || { echo "mkroot: cpio missing (apt-get install cpio)" >&2; exit 1; }

work=$(mktemp -d "${out}.work.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT INT TERM
root=$work/root
log=$work/mmdebstrap.log

attempt=1
while :; do
	rm -rf "$root"
	# Documentation and translations are left out (the cpio lives in guest RAM);
	# the memhotd package's own files are kept (path-include wins for them).
	# The .deb goes in last, with apt, so its dependencies come from the mirror
	# and its postinst runs in a complete system.
	if mmdebstrap --mode=root --variant=minbase --include="$pkgs" \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-include=/usr/share/man/man[58]/memhot*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-include=/usr/share/doc/memhotd/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/info/*' \
		--customize-hook="copy-in '$deb' /tmp" \
		--customize-hook='chroot "$1" sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends /tmp/*.deb && rm -f /tmp/*.deb"' \
		--customize-hook='printf "%s\n" memhotd-e2e > "$1/etc/hostname"' \
		--customize-hook='printf "%s\n" 6d656d686f7464653265000000000001 > "$1/etc/machine-id"' \
		bookworm "$root" >"$log" 2>&1; then
		break
	fi
	# Retry only what looks like the network or the mirror.
	if [ $attempt -lt 3 ] && grep -Eqi 'Failed to fetch|Temporary failure|Could not resolve|Connection (failed|timed out|reset)|Hash Sum mismatch|File has unexpected size|503|502|504|Unable to connect|Undetermined Error' "$log"; then
		echo "mkroot: mmdebstrap failed on the mirror (attempt $attempt); retrying in $((attempt * 10))s" >&2
		grep -Ei 'E:|W:' "$log" | tail -5 >&2 || true
		sleep $((attempt * 10))
		attempt=$((attempt + 1))
		continue
	fi
	if [ $attempt -ge 3 ]; then
		echo "mkroot: mmdebstrap failed $attempt times (the mirror or the network); its log:" >&2
	else
		echo "mkroot: mmdebstrap failed; its log:" >&2
	fi
	tail -40 "$log" >&2
	exit 1
done

# Sanity: the image must be a systemd system with the package installed.
for f in sbin/init usr/sbin/memhotd usr/bin/memhotctl; do
	[ -e "$root/$f" ] || [ -L "$root/$f" ] || { echo "mkroot: $f missing in the image" >&2; exit 1; }
done
[ -e "$root/lib/systemd/system/memhotd.service" ] || [ -e "$root/usr/lib/systemd/system/memhotd.service" ] ||
	{ echo "mkroot: memhotd.service missing in the image" >&2; exit 1; }
chroot "$root" dpkg-query -W -f='${Package} ${Version}\n' memhotd

(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc) >"$out.tmp"
mv "$out.tmp" "$out"
echo "mkroot: $(du -h "$out" | cut -f1) $out"
