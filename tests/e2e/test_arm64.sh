#!/usr/bin/env bash
# The Raspberry Pi build: userspace cross-compiled for arm64 with Debian's
# toolchain and multiarch -dev packages, and its single-threaded unit tests
# run under qemu-user.  (XDP needs the arm64 kernel itself; its object is
# built against arm64 BTF by make all.)
set -u
. "$(dirname "$0")/lib.sh"
trap 'rm -rf "$WORK"' EXIT
QEMU="qemu-aarch64-static -L /usr/aarch64-linux-gnu"
A64="$E2E_ROOT/build/arm64-cross"

check "cross build for arm64 (deps via multiarch)" make -C "$E2E_ROOT" -s arm64
check "the daemon is an aarch64 ELF" sh -c "file '$A64/xdp-ntpd' | grep -q 'ARM aarch64'"
# test_refstate is left out: its race test needs real parallel threads, which
# qemu's TCG emulates thousands of times slower than the bound it runs to
for t in test_ntp_proto test_selection test_leap test_config; do
	[ -x "$A64/tests/$t" ] || continue
	check "unit tests under qemu-aarch64: $t" sh -c \
		"CMOCKA_MESSAGE_OUTPUT=TAP timeout 300 $QEMU $A64/tests/$t >'$WORK/$t.tap' 2>&1; ! grep -q '^not ok' '$WORK/$t.tap' && grep -q '^ok' '$WORK/$t.tap'"
done

# Not here: the daemon itself under qemu-user.  On this kernel qemu-user 7.2
# hangs in the first pthread_create of any aarch64 program (the daemon and
# test_refstate alike, rseq disabled or not), so the socket-mode e2e run for
# arm64 needs a real board or qemu-system; see docs/raspberry-pi.md.
e2e_finish
