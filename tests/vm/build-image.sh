#!/usr/bin/env bash
# The systemd guest for tests/e2e/test_systemd_vm.sh: Debian 12 (bookworm)
# made by debootstrap from Debian's archive, its stock 6.1 kernel, systemd as
# PID 1, qemu-guest-agent as the control channel, and the runtime
# dependencies of our .deb so that `apt-get install ./xdp-ntpd_*.deb` works
# in a guest that has no network to an archive.
#
# Output, all under $VM_DIR (default build/vm): rootfs.img (ext4, booted
# read-only through a per-run qcow2 overlay), vmlinuz, initrd.img, and
# recipe.sha256. Rebuilt only when one is missing or this recipe changed
# (the hash of this script and of tests/vm/guest/).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VM_DIR=${VM_DIR:-$ROOT/build/vm}
MIRROR=${VM_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
IMAGE_SIZE=${VM_IMAGE_SIZE:-1536M}

log() { printf '[vm-image] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The daemon's shared libraries (dpkg-deb -f build/deb/*.deb Depends), the
# tools the suite runs in the guest, and the guest's plumbing: kernel, init,
# udev (it starts the guest agent when its virtio port appears).
PACKAGES=(
	linux-image-amd64 systemd systemd-sysv udev qemu-guest-agent
	iproute2 ethtool procps
	adduser libbpf1 libxdp1 libcurl4 libjansson4 libmicrohttpd12 libmnl0
	libseccomp2 libssl3 libsystemd0 libelf1 zlib1g
)

recipe_hash() {
	{
		cat "${BASH_SOURCE[0]}"
		find "$ROOT/tests/vm/guest" -type f | sort | xargs cat
	} | sha256sum | cut -d' ' -f1
}

want=$(recipe_hash)
if [ -f "$VM_DIR/rootfs.img" ] && [ -f "$VM_DIR/vmlinuz" ] && [ -f "$VM_DIR/initrd.img" ] &&
   [ "$(cat "$VM_DIR/recipe.sha256" 2>/dev/null)" = "$want" ]; then
	log "up to date: $VM_DIR"
	exit 0
fi
[ "$(id -u)" = 0 ] || die "debootstrap needs root"
command -v debootstrap >/dev/null || die "debootstrap missing (make deps)"
command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 missing (make deps: e2fsprogs)"

start=$(date +%s)
mkdir -p "$VM_DIR"
STAGE=$VM_DIR/rootfs.stage
rm -rf "$STAGE" "$VM_DIR/recipe.sha256"
# a half-built tree is removed whatever stops the build
trap 'rm -rf "$STAGE"' EXIT

log "debootstrap $SUITE (minbase) from $MIRROR"
debootstrap --variant=minbase --include="$(IFS=,; echo "${PACKAGES[*]}")" \
	"$SUITE" "$STAGE" "$MIRROR" >"$VM_DIR/debootstrap.log" 2>&1 ||
	{ tail -20 "$VM_DIR/debootstrap.log" >&2; die "debootstrap failed (log: $VM_DIR/debootstrap.log)"; }

log "configuring the guest"
cp -a "$ROOT/tests/vm/guest/." "$STAGE/"
echo xdp-ntpd-guest >"$STAGE/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 xdp-ntpd-guest\n::1 localhost\n' >"$STAGE/etc/hosts"
chroot "$STAGE" systemctl enable systemd-networkd.service >/dev/null 2>&1
# nothing in the guest reaches an archive or needs a login
for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer \
	    systemd-networkd-wait-online.service getty@tty1.service; do
	chroot "$STAGE" systemctl mask "$unit" >/dev/null 2>&1 || true
done
# every boot starts from this image, so one machine id is fine
chroot "$STAGE" systemd-machine-id-setup >/dev/null 2>&1 || true
rm -rf "$STAGE"/var/cache/apt/archives/*.deb "$STAGE"/var/lib/apt/lists/*_Packages

kver=$(ls "$STAGE/boot" | sed -n 's/^vmlinuz-//p' | sort -V | tail -1)
[ -n "$kver" ] || die "no kernel in the guest's /boot"
case $kver in 6.1.*) ;; *) die "kernel $kver is not Debian 12's 6.1" ;; esac
cp "$STAGE/boot/vmlinuz-$kver" "$VM_DIR/vmlinuz"
cp "$STAGE/boot/initrd.img-$kver" "$VM_DIR/initrd.img"
echo "$kver" >"$VM_DIR/kernel-version"

log "rootfs.img ($IMAGE_SIZE ext4)"
rm -f "$VM_DIR/rootfs.img"
mkfs.ext4 -q -F -L xdpntpd-root -d "$STAGE" "$VM_DIR/rootfs.img" "$IMAGE_SIZE"
echo "$want" >"$VM_DIR/recipe.sha256"
log "built in $(($(date +%s) - start)) s: kernel $kver"
