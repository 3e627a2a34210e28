#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Prove build/xdp_ntpd.bpf.o (and xdp_pass.bpf.o) pass the verifier of
# Debian 12's stock kernel (linux-image-6.1.0-*-amd64), and that xdp_ntpd
# answers one crafted IPv4 NTP request with XDP_TX under BPF_PROG_TEST_RUN.
#
# Boots that kernel under qemu (KVM if /dev/kvm, else TCG) with a tiny
# initramfs: busybox-static + tests/kernel/load_and_run.c linked statically
# against libbpf.  Needs root (apt, mknod).  Idempotent: the kernel package
# is cached in $KERNEL_CACHE and only fetched again when the
# linux-image-amd64 metapackage points to a newer one.
#
# Environment:
#   KERNEL_CACHE   cache dir          (default /var/cache/xdp-ntpd-kernel)
#   KERNEL_PKG     package to test    (default: linux-image-amd64's dependency)
#   BPF_OBJ        object under test  (default build/xdp_ntpd.bpf.o)
#   PASS_OBJ       second object      (default build/xdp_pass.bpf.o)
#   QEMU_TIMEOUT   seconds            (default 300)
#   QEMU_ACCEL     auto|kvm|tcg       (default auto: KVM if /dev/kvm, capped at
#                  KVM_TIMEOUT s (default 15), then TCG; TCG alone takes ~10 s)
#   KEEP_CONSOLE   path: keep a copy of the VM console log there
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KERNEL_CACHE=${KERNEL_CACHE:-/var/cache/xdp-ntpd-kernel}
BPF_OBJ=${BPF_OBJ:-$ROOT/build/xdp_ntpd.bpf.o}
PASS_OBJ=${PASS_OBJ:-$ROOT/build/xdp_pass.bpf.o}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-300}
QEMU_ACCEL=${QEMU_ACCEL:-auto}
KVM_TIMEOUT=${KVM_TIMEOUT:-15}
MARKER=XDP-NTPD-VERIFY

log() { printf '[verify-6.1] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

TMP=$(mktemp -d /tmp/xdp-ntpd-verify.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

export DEBIAN_FRONTEND=noninteractive
apt_updated=0
apt_update_once() {
	[ "$apt_updated" = 1 ] && return 0
	apt-get update -q >/dev/null
	apt_updated=1
}

# --- host tools --------------------------------------------------------------
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing ${missing[*]}"
	apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 ||
		{ apt_update_once && apt-get install -y -q "${missing[@]}" >/dev/null; }
}
need_pkgs qemu-system-x86 busybox-static gcc libc6-dev libbpf-dev libelf-dev zlib1g-dev cpio gzip

if [ ! -f "$BPF_OBJ" ] || [ ! -f "$PASS_OBJ" ]; then
	make -C "$ROOT" build/xdp_ntpd.bpf.o build/xdp_pass.bpf.o >&2
fi
[ -f "$BPF_OBJ" ] || die "missing $BPF_OBJ"
[ -f "$PASS_OBJ" ] || die "missing $PASS_OBJ"

# --- 1. the kernel -------------------------------------------------------------
mkdir -p "$KERNEL_CACHE"
kernel_pkg_name() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-6\.1\.0-[0-9]+-amd64(-unsigned)?$/ && !n++ { print $2 }'
}
if [ -n "${KERNEL_PKG:-}" ]; then
	pkg=$KERNEL_PKG
else
	pkg=$(kernel_pkg_name)
	if [ -z "$pkg" ]; then
		apt_update_once || true
		pkg=$(kernel_pkg_name)
	fi
fi

# A deb in the cache of that package, or of any 6.1 image when offline.
cached_deb() {
	local pat=$1
	# shellcheck disable=SC2012,SC2086 # $pat is a glob
	{ ls -1 "$KERNEL_CACHE"/$pat 2>/dev/null || true; } | sort -V | tail -n 1
}
has_vmlinuz() { dpkg-deb -c "$1" | grep '\./boot/vmlinuz-' >/dev/null; }

deb=""
if [ -n "$pkg" ]; then
	for cand in "$pkg" "${pkg%-unsigned}-unsigned"; do
		ver=$(apt-cache policy "$cand" 2>/dev/null | awk '/Candidate:/ { print $2 }')
		if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then continue; fi
		f=$(cached_deb "${cand}_${ver//:/%3a}_amd64.deb")
		if [ -z "$f" ]; then
			log "downloading $cand $ver"
			(cd "$KERNEL_CACHE" && apt-get -o APT::Sandbox::User=root download -q "$cand=$ver" >/dev/null) ||
				{ log "apt-get download $cand failed"; continue; }
			f=$(cached_deb "${cand}_${ver//:/%3a}_amd64.deb")
		fi
		if [ -n "$f" ] && has_vmlinuz "$f"; then
			deb=$f
			break
		fi
	done
fi
if [ -z "$deb" ]; then
	deb=$(cached_deb 'linux-image-6.1.0-*-amd64*.deb')
	[ -n "$deb" ] || die "no linux-image-6.1.0-*-amd64 package available (apt or $KERNEL_CACHE)"
	log "using cached $deb"
fi
log "kernel package: $(basename "$deb")"

# Only /boot is needed: vmlinuz and config (the modules stay in the deb).
mkdir -p "$TMP/pkg"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$TMP/pkg" --wildcards './boot/*'
vmlinuz=$(find "$TMP/pkg/boot" -name 'vmlinuz-*' | head -n 1)
config=$(find "$TMP/pkg/boot" -name 'config-*' | head -n 1)
[ -f "$vmlinuz" ] || die "no /boot/vmlinuz in $deb"
[ -f "$config" ] || die "no /boot/config in $deb"
for opt in CONFIG_BPF_SYSCALL CONFIG_DEBUG_INFO_BTF CONFIG_BPF_JIT CONFIG_SERIAL_8250_CONSOLE \
	CONFIG_BLK_DEV_INITRD CONFIG_RD_GZIP CONFIG_DEVTMPFS; do
	grep -qx "$opt=y" "$config" || die "$opt not =y in $(basename "$config")"
done
log "config ok: BPF_SYSCALL, DEBUG_INFO_BTF, BPF_JIT, 8250 console, gzip initrd"

# --- 2. the initramfs --------------------------------------------------------
gcc -static -O2 -std=gnu11 -Wall -Wextra -D_GNU_SOURCE -I"$ROOT/bpf" \
	"$ROOT/tests/kernel/load_and_run.c" -o "$TMP/load_and_run" \
	-l:libbpf.a -lelf -lz

IR=$TMP/initramfs
mkdir -p "$IR"/{bin,dev,proc,sys,tmp}
cp /bin/busybox "$IR/bin/busybox"
for app in sh mount umount poweroff cat echo uname sleep; do
	ln -s busybox "$IR/bin/$app"
done
cp "$TMP/load_and_run" "$IR/bin/load_and_run"
cp "$BPF_OBJ" "$IR/xdp_ntpd.bpf.o"
cp "$PASS_OBJ" "$IR/xdp_pass.bpf.o"
mknod -m 600 "$IR/dev/console" c 5 1
mknod -m 666 "$IR/dev/null" c 1 3
cat >"$IR/init" <<EOF
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "$MARKER: START \$(uname -r)"
if /bin/load_and_run /xdp_ntpd.bpf.o /xdp_pass.bpf.o 2>&1; then
	echo "$MARKER: PASS"
else
	echo "$MARKER: FAIL rc=\$?"
fi
poweroff -f
EOF
chmod 755 "$IR/init"
(cd "$IR" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -9 >"$TMP/initrd.gz"

# --- 3. boot it --------------------------------------------------------------
run_qemu() {	# accel cpu timeout
	local rc
	log "booting $(basename "$vmlinuz") under qemu ($1, -cpu $2)"
	set +e
	timeout "$3" qemu-system-x86_64 -m 512 -smp 1 -nographic -no-reboot \
		-accel "$1" -cpu "$2" -nic none \
		-kernel "$vmlinuz" -initrd "$TMP/initrd.gz" \
		-append "console=ttyS0 panic=-1 quiet" </dev/null >"$TMP/console.log" 2>&1
	rc=$?
	set -e
	return $rc
}
start=$(date +%s)
qrc=0
case $QEMU_ACCEL in
auto)
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		# A healthy KVM boot finishes in seconds.  Nested KVM hosts may
		# refuse MSR 0x10a (hence -arch-capabilities) or hang in early
		# boot: then fall back to TCG.
		run_qemu kvm host,-arch-capabilities "$KVM_TIMEOUT" || qrc=$?
		if ! grep -q "^$MARKER: \(PASS\|FAIL\)" "$TMP/console.log"; then
			log "KVM boot did not finish (qemu rc $qrc); falling back to TCG"
			qrc=0
			run_qemu tcg max "$QEMU_TIMEOUT" || qrc=$?
		fi
	else
		run_qemu tcg max "$QEMU_TIMEOUT" || qrc=$?
	fi ;;
kvm) run_qemu kvm host,-arch-capabilities "$QEMU_TIMEOUT" || qrc=$? ;;
tcg) run_qemu tcg max "$QEMU_TIMEOUT" || qrc=$? ;;
*) die "QEMU_ACCEL must be auto, kvm or tcg" ;;
esac
log "qemu exited $qrc after $(($(date +%s) - start)) s"
tr -d '\r' <"$TMP/console.log" >"$TMP/console.txt"
[ -n "${KEEP_CONSOLE:-}" ] && cp "$TMP/console.txt" "$KEEP_CONSOLE"

grep -E "^(KERNEL|LOAD|VERDICT|REPLY) " "$TMP/console.txt" || true
if grep -q "^$MARKER: PASS" "$TMP/console.txt"; then
	echo "$MARKER: PASS ($(basename "$deb"))"
	exit 0
fi
log "console (last 60 lines):"
tail -n 60 "$TMP/console.txt" >&2
[ "$qrc" = 124 ] && log "qemu timed out after $QEMU_TIMEOUT s"
echo "$MARKER: FAIL ($(basename "$deb"))"
exit 1
