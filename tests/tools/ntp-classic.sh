#!/usr/bin/env bash
# Unpack classic ntpd 4.2.8p15 (Debian 11's `ntp`: ntpd, ntpq) under
# build/ntp-classic and print that root.  It is the reference ntpd that still
# has a broadcast client and symmetric active `peer` associations, both of
# which NTPsec dropped.  Debian 12's `ntp` is a transitional package to
# NTPsec, so the bullseye .deb (and the libssl1.1 it links) is fetched from
# Debian's archive pool, pinned by sha256, and unpacked, never installed;
# libopts25 comes from the configured archive (apt-get download).
# x86_64 only (the pinned .debs are amd64): elsewhere it exits 2 saying so.
# Usage:
#   NTP_CLASSIC_ROOT=$(bash tests/tools/ntp-classic.sh); rc=$?  # 2: skip
#   LD_LIBRARY_PATH=$NTP_CLASSIC_ROOT/usr/lib/x86_64-linux-gnu \
#       "$NTP_CLASSIC_ROOT/usr/sbin/ntpd" ...
set -eu
cd "$(dirname "$0")/../.."
root=$PWD/build/ntp-classic
pool=http://deb.debian.org/debian/pool/main
# file  sha256  (URL under $pool)
debs="ntp_4.2.8p15+dfsg-1_amd64.deb 2a7364633363dd84afe44d78f55cbfd35499066dd17a158fa640d4aebb9891f2 n/ntp
libssl1.1_1.1.1w-0+deb11u1_amd64.deb aadf8b4b197335645b230c2839b4517aa444fd2e8f434e5438c48a18857988f7 o/openssl"

fail() { echo "ntp-classic.sh: $*" >&2; exit 1; }

[ "$(uname -m)" = x86_64 ] ||
	{ echo "ntp-classic.sh: only x86_64 is supported (the pinned .debs are amd64), not $(uname -m)" >&2; exit 2; }

if [ ! -x "$root/usr/sbin/ntpd" ] || [ ! -x "$root/usr/bin/ntpq" ]; then
	dl=build/ntp-classic-deb
	mkdir -p "$dl"
	while read -r file sum dir; do
		if ! echo "$sum  $dl/$file" | sha256sum -c --status 2>/dev/null; then
			rm -f "$dl/$file"
			curl -fsSL --retry 2 --max-time 120 -o "$dl/$file.part" "$pool/$dir/$file" ||
				{ rm -f "$dl/$file.part"; fail "download of $pool/$dir/$file failed"; }
			mv "$dl/$file.part" "$dl/$file"
			echo "$sum  $dl/$file" | sha256sum -c --status ||
				fail "$file: sha256 is $(sha256sum "$dl/$file" | cut -d' ' -f1), expected $sum"
		fi
	done <<<"$debs"
	(cd "$dl" && rm -f libopts25_*.deb &&
	 { apt-get download libopts25 >/dev/null 2>&1 ||
	   { apt-get update >/dev/null 2>&1 && apt-get download libopts25 >/dev/null 2>&1; }; }) ||
		fail "apt-get download libopts25 failed"
	rm -rf "$root.tmp" && mkdir -p "$root.tmp"
	for f in "$dl"/ntp_*.deb "$dl"/libssl1.1_*.deb "$dl"/libopts25_*.deb; do
		dpkg -x "$f" "$root.tmp" || fail "dpkg -x $f failed"
	done
	rm -rf "$root" && mv "$root.tmp" "$root"
fi
missing=$(LD_LIBRARY_PATH=$root/usr/lib/x86_64-linux-gnu ldd "$root/usr/sbin/ntpd" "$root/usr/bin/ntpq" |
	grep 'not found' || true)
[ -z "$missing" ] || fail "unresolved libraries: $missing"
echo "$root"
