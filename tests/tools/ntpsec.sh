#!/usr/bin/env bash
# Unpack NTPsec (ntpd, ntpq, ntpstat) under build/ntpsec and print that root.
# Debian's ntpsec package conflicts with chrony (both provide time-daemon) and
# the tests need chronyd installed, so it is downloaded from Debian's archive
# and unpacked, never installed.  Its Python tools need python3-ntp, which
# installs beside chrony without conflict.  Usage:
#   NTPSEC_ROOT=$(bash tests/tools/ntpsec.sh) || exit 1
#   "$NTPSEC_ROOT/usr/sbin/ntpd" ...; PYTHONPATH is not needed (python3-ntp)
set -eu
cd "$(dirname "$0")/../.."
root=$PWD/build/ntpsec
if [ ! -x "$root/usr/sbin/ntpd" ]; then
	mkdir -p build/ntpsec-deb
	(cd build/ntpsec-deb && rm -f ntpsec_*.deb &&
	 { apt-get download ntpsec >/dev/null 2>&1 ||
	   { apt-get update >/dev/null 2>&1 && apt-get download ntpsec >/dev/null; }; }) ||
		{ echo "ntpsec.sh: apt-get download ntpsec failed" >&2; exit 1; }
	rm -rf "$root.tmp" && mkdir -p "$root.tmp"
	dpkg -x build/ntpsec-deb/ntpsec_*.deb "$root.tmp"
	rm -rf "$root" && mv "$root.tmp" "$root"
fi
dpkg-query -W -f='${Status}' python3-ntp 2>/dev/null | grep -q 'ok installed' ||
	{ echo "ntpsec.sh: python3-ntp is not installed (make deps)" >&2; exit 1; }
echo "$root"
