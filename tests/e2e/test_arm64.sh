#!/usr/bin/env bash
# The Raspberry Pi build: userspace cross-compiled for arm64 with Debian's
# toolchain and multiarch -dev packages; its unit tests, then the daemon in
# socket mode answering real clients across a veth pair, under qemu-user.
# (XDP needs the arm64 kernel itself; its object is built against arm64 BTF
# by make all.)
#
# qemu runs without -L: the multiarch libc6:arm64 provides both
# /lib/ld-linux-aarch64.so.1 and libc.so.6.  With -L /usr/aarch64-linux-gnu
# the cross toolchain's older ld.so met the multiarch libc, and their
# mismatched private layout made pthread_create loop forever.
set -u
. "$(dirname "$0")/lib.sh"
trap e2e_cleanup EXIT
QEMU="qemu-aarch64-static"
A64="$E2E_ROOT/build/arm64-cross"

check "cross build for arm64 (deps via multiarch)" make -C "$E2E_ROOT" -s arm64
check "the daemon is an aarch64 ELF" sh -c "file '$A64/xdp-ntpd' | grep -q 'ARM aarch64'"
# test_refstate is left out: its race test needs real parallel threads, which
# qemu's TCG emulates thousands of times slower than the bound it runs to
for t in test_ntp_proto test_selection test_leap test_config; do
	[ -x "$A64/tests/$t" ] || continue
	check "unit tests under qemu-aarch64: $t" sh -c \
		"CMOCKA_MESSAGE_OUTPUT=TAP timeout 300 $QEMU $A64/tests/$t >'$WORK/$t.tap' 2>&1 &&
		 ! grep -q '^not ok' '$WORK/$t.tap' && grep -q '^ok' '$WORK/$t.tap'"
done

# The daemon itself, socket mode (qemu-user cannot load XDP)
e2e_setup_net
BIN="$A64/xdp-ntpd"
if DAEMON_WRAPPER=$QEMU E2E_SECCOMP=off daemon_start --xdp-mode socket --local-stratum 7 --deny 2001:db8::2/128; then
	check "arm64 daemon: ntpdig over IPv4 answered (stratum 7)" sh -c \
		"ip netns exec $NS_CLI ntpdig -t 5 $SRV4 | grep -q ' s7 '"
	check "arm64 daemon: sntp over IPv4 answered" \
		ip netns exec "$NS_CLI" sntp -t 5 $SRV4
	check "arm64 daemon: the denied IPv6 client gets nothing" sh -c \
		"! ip netns exec $NS_CLI ntpdig -t 2 $SRV6"
	check "arm64 daemon: counted 2 answered over IPv4" test "$(socket_count answered ipv4)" = 2
	check "arm64 daemon: counted the denied client" test "$(socket_count denied dropped)" -ge 1
	check "arm64 daemon: /status is served (tracking stratum 7)" \
		test "$(in_srv curl -sf http://127.0.0.1:9123/status | jq '.tracking.stratum')" = 7
	check "arm64 daemon: SIGTERM stops it cleanly" daemon_stop
else
	not_ok "arm64 daemon starts under qemu-user in socket mode"
fi
e2e_finish
