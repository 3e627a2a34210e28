#!/bin/sh
# Regenerate vmlinux/<arch>/vmlinux.h (BTF dumped as C by bpftool).
#   vmlinux/gen.sh host                 from /sys/kernel/btf/vmlinux of this machine
#   vmlinux/gen.sh deb-arm64 [FILE.deb] from a Debian arm64 kernel image package
#                                       (downloaded with apt-get if not given; needs root)
# Needs: bpftool, coreutils, grep, gzip, dpkg, apt.
set -eu

die() { echo "gen.sh: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
command -v bpftool >/dev/null || die "bpftool not found (apt-get install bpftool)"

tmp=$(mktemp -d)
added_arch=
cleanup() {
	rm -rf "$tmp"
	if [ -n "$added_arch" ]; then
		dpkg --remove-architecture arm64 && apt-get update -qq || true
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# dump BTF file $1 as C into $2 (via a temp file, so a failure leaves $2 alone)
dump() {
	mkdir -p "$(dirname "$2")"
	bpftool btf dump file "$1" format c > "$tmp/out.h" || die "bpftool cannot dump $1"
	mv "$tmp/out.h" "$2"
	echo "wrote $2 ($(wc -c < "$2") bytes)"
}

u32() { od -An -v --endian=little -tu4 -j "$2" -N4 "$1" | tr -d ' '; }

# find a raw BTF blob in image $1, write it to $2
extract_btf() {
	size=$(wc -c < "$1")
	# magic 0xeB9F, version 1, flags 0, hdr_len 24
	for off in $(LC_ALL=C grep -obUaP '\x9f\xeb\x01\x00\x18\x00\x00\x00' "$1" | cut -d: -f1); do
		[ $((off + 24)) -le "$size" ] || continue
		type_off=$(u32 "$1" $((off + 8)));  type_len=$(u32 "$1" $((off + 12)))
		str_off=$(u32 "$1" $((off + 16)));  str_len=$(u32 "$1" $((off + 20)))
		[ $((type_off + type_len)) -le "$str_off" ] || continue
		len=$((24 + str_off + str_len))
		[ $((off + len)) -le "$size" ] || continue
		tail -c +$((off + 1)) "$1" | head -c "$len" > "$2"
		if bpftool btf dump file "$2" format c > /dev/null 2>&1; then
			echo "BTF blob at offset $off, $len bytes"
			return 0
		fi
	done
	die "no valid BTF blob found in $1"
}

case "${1:-}" in
host)
	[ -r /sys/kernel/btf/vmlinux ] || die "/sys/kernel/btf/vmlinux not readable (kernel without CONFIG_DEBUG_INFO_BTF?)"
	case $(uname -m) in
	x86_64) arch=x86_64 ;;
	aarch64|arm64) arch=arm64 ;;
	*) die "unsupported host arch $(uname -m)" ;;
	esac
	dump /sys/kernel/btf/vmlinux "$here/$arch/vmlinux.h"
	;;
deb-arm64)
	if [ $# -ge 2 ]; then
		deb=$2
		[ -r "$deb" ] || die "cannot read $deb"
	else
		[ "$(id -u)" = 0 ] || die "downloading needs root (or pass a .deb)"
		if ! dpkg --print-foreign-architectures | grep -qx arm64; then
			dpkg --add-architecture arm64
			added_arch=1
		fi
		apt-get update -qq || die "apt-get update failed"
		# linux-image-arm64 depends on the current linux-image-<abi>-arm64 (signed);
		# its -unsigned twin carries the same kernel without the EFI signature.
		pkg=$(apt-cache depends linux-image-arm64:arm64 | sed -n 's/^ *Depends: \(linux-image-[^:]*-arm64\).*/\1/p' | head -n1)
		[ -n "$pkg" ] || die "cannot resolve linux-image-arm64 to a kernel package"
		mkdir "$tmp/dl" && chmod 755 "$tmp" "$tmp/dl"
		(cd "$tmp/dl" && apt-get download -q "$pkg-unsigned:arm64") || die "apt-get download $pkg-unsigned:arm64 failed"
		deb=$(ls "$tmp"/dl/*.deb)
	fi
	info=$(dpkg-deb -W --showformat='${Package} ${Version}' "$deb" 2>/dev/null) || die "$deb is not a .deb"
	echo "using $info"
	dpkg-deb -x "$deb" "$tmp/x" || die "cannot extract $deb"
	img=$(ls "$tmp"/x/boot/vmlinuz-* 2>/dev/null | head -n1)
	[ -n "$img" ] || die "no /boot/vmlinuz-* in $deb"
	if [ "$(od -An -tx1 -N2 "$img" | tr -d ' ')" = 1f8b ]; then
		gzip -dc < "$img" > "$tmp/Image" || die "cannot gunzip $img"
		img=$tmp/Image
	fi
	extract_btf "$img" "$tmp/vmlinux.btf"
	dump "$tmp/vmlinux.btf" "$here/arm64/vmlinux.h"
	;;
*)
	die "usage: $0 host | deb-arm64 [linux-image-*-arm64*.deb]"
	;;
esac
