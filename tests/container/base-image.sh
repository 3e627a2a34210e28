#!/usr/bin/env bash
# The base image for tests/e2e/test_container.sh, made where no image
# registry is reachable: Debian 12 (bookworm) by debootstrap --variant=minbase
# from Debian's archive, with the runtime libraries of our .deb, packed as a
# tarball for `docker import`. Users build FROM debian:bookworm-slim instead
# (docs/container/Dockerfile's default); the two hold the same libraries.
#
# Output: $CONTAINER_DIR/base-<hash>.tar.gz (default build/container), the
# hash that of this script: rebuilt only when it changed. Prints the path.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIR=${CONTAINER_DIR:-$ROOT/build/container}
MIRROR=${CONTAINER_MIRROR:-http://deb.debian.org/debian}

# dpkg-deb -f build/deb/*.deb Depends, resolved for bookworm
PACKAGES=(adduser libbpf1 libxdp1 libcurl4 libjansson4 libmicrohttpd12 libmnl0 libseccomp2
	  libssl3 libsystemd0 libelf1 zlib1g)

log() { printf '[container-base] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

hash=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
out="$DIR/base-$hash.tar.gz"
if [ -f "$out" ]; then
	echo "$out"
	exit 0
fi
[ "$(id -u)" = 0 ] || die "debootstrap needs root"
command -v debootstrap >/dev/null || die "debootstrap missing (make deps)"
mkdir -p "$DIR"
stage="$DIR/base.stage"
rm -rf "$stage"
trap 'rm -rf "$stage" "$out.tmp"' EXIT
start=$(date +%s)
log "debootstrap bookworm (minbase) from $MIRROR"
debootstrap --variant=minbase --include="$(IFS=,; echo "${PACKAGES[*]}")" \
	bookworm "$stage" "$MIRROR" >"$DIR/debootstrap.log" 2>&1 ||
	{ tail -20 "$DIR/debootstrap.log" >&2; die "debootstrap failed (log: $DIR/debootstrap.log)"; }
# what an image does not need: the archive's packages and lists
rm -rf "$stage"/var/cache/apt/archives/*.deb "$stage"/var/lib/apt/lists/*_Packages
tar -C "$stage" --numeric-owner -czf "$out.tmp" .
mv "$out.tmp" "$out"
log "built in $(($(date +%s) - start)) s: $out"
echo "$out"
