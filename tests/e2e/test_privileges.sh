#!/usr/bin/env bash
# -u USER: after start-up the daemon runs as that user with no capability
# it does not need (none in socket mode, CAP_NET_ADMIN alone to detach XDP),
# and keeps serving.
set -u
. "$(dirname "$0")/lib.sh"
trap e2e_cleanup EXIT
e2e_setup_net

status_field() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$DAEMON_PID/status"; }
nobody_uid=$(id -u nobody)

answered_by() {
	local fn=$1 reason=$2 before
	before=$($fn answered "$reason")
	in_cli timeout 10 ntpdig -t 2 $SRV4 | grep -q " s10 " && [ "$($fn answered "$reason")" -gt "$before" ]
}

if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode socket -u nobody; then
	check "socket mode: runs as nobody" test "$(status_field Uid)" = "$nobody_uid"
	check "socket mode: no capabilities left" test "$(status_field CapEff)" = 0000000000000000
	check "socket mode: no permitted capabilities either" test "$(status_field CapPrm)" = 0000000000000000
	check "socket mode: still serving after the drop" answered_by socket_count ipv4
	check "socket mode: SIGTERM stops it cleanly" daemon_stop
else
	not_ok "socket mode: starts with -u nobody"
fi

ran_3s() { [ "$(ps -o etimes= -p "$DAEMON_PID")" -ge 3 ]; }
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native -u nobody --max-age 2; then
	check "XDP mode: runs as nobody" test "$(status_field Uid)" = "$nobody_uid"
	# bit 12 is CAP_NET_ADMIN: detaching XDP at exit needs it, nothing else does
	check "XDP mode: CAP_NET_ADMIN alone is kept" test "$(status_field CapEff)" = 0000000000001000
	check "XDP mode: XDP still answers after the drop" answered_by xdp_count ipv4
	check "XDP mode: our system call filter is on, every thread" sh -c \
		"for t in /proc/$DAEMON_PID/task/*; do grep -q '^Seccomp:[[:space:]]*2' \$t/status || exit 1; done"
	check "XDP mode: NoNewPrivs set (the filter needs it; setuid binaries lose their power)" \
		test "$(status_field NoNewPrivs)" = 1
	# with --max-age 2, once the daemon has run 3 s after the drop a state
	# not republished since would be stale: a fresh synchronised answer
	# then proves the publisher kept going as nobody
	check "XDP mode: ran longer than --max-age since the drop" wait_for 10 ran_3s
	check "XDP mode: reference state still published (fresh, synchronised answer)" \
		served_matches "li=0 stratum=10 "
	check "XDP mode: SIGTERM stops it cleanly" daemon_stop
	check "XDP mode: detached on exit as nobody" test "$(xdp_mode "$VETH_SRV")" = none
	check "XDP mode: pinned maps removed on exit" test ! -e "/sys/fs/bpf/xdp-ntpd/$VETH_SRV/ntpd_counters"
else
	not_ok "XDP mode: starts with -u nobody"
fi

e2e_finish
