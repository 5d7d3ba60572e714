#!/bin/sh
# Installs what building and testing memhotd needs on Debian 12, if missing.
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -e
PKGS="build-essential pkg-config libudev-dev libsystemd-dev libinih-dev
libjson-c-dev libcmocka-dev valgrind clang-format mandoc qemu-system-x86
busybox-static cpio python3 libnss-wrapper bash-completion clang ndctl zstd"
# promtool (prometheus) checks the metrics file in the tests
PKGS="$PKGS prometheus"
missing=""
# the systemd-guest test (tests/vm/systemd_guest.py): the .deb and its image
PKGS="$PKGS mmdebstrap dpkg-dev debhelper fakeroot debian-archive-keyring"
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "memhotd: missing build dependencies; run as root:" >&2
	echo "  apt-get update && $cmd" >&2
	exit 1
fi
echo "memhotd: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
