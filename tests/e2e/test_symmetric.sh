#!/usr/bin/env bash
# Symmetric active (mode 1) requests, as a Windows w32tm without ",0x8" or an
# ntpd `peer` line sends them, answered statelessly in mode 2 (as chronyd
# does) on both paths: a crafted 48-byte mode-1 request gets a 48-byte mode-2
# answer through XDP and through the socket server, the counters say which;
# then chronyd, configured with `peer` to us, selects us (-x: it never
# touches the host clock).  NTPsec's ntpd cannot be that peer: it treats
# `peer` as `server`.
set -u
. "$(dirname "$0")/lib.sh"
PEER_PID=""
cleanup() {
	[ -n "$PEER_PID" ] && { kill "$PEER_PID" 2>/dev/null; wait "$PEER_PID" 2>/dev/null; }
	e2e_cleanup
}
trap cleanup EXIT
e2e_setup_net

# mode1 FAMILY_ARGS...: one raw mode-1 request; its answer line
mode1() { in_cli "$RAWCLIENT" -i "$VETH_CLI" -m "$SRV_MAC" -M 1 -t 500 "$@" 2>&1; }

# answered_by COUNT_FN OUTCOME REASON SRC DST: mode 2, 48 bytes, that counter +1
answered_by() {
	local fn=$1 outcome=$2 reason=$3 src=$4 dst=$5 before line
	before=$($fn "$outcome" "$reason")
	line=$(mode1 -s "$src" -d "$dst") || { echo "no valid answer: $line"; return 1; }
	grep -q " vn=4 mode=2 " <<<"$line" && grep -q " len=48 " <<<"$line" &&
		grep -q " stratum=10 " <<<"$line" ||
		{ echo "answer: $line"; return 1; }
	[ "$($fn "$outcome" "$reason")" -eq $((before + 1)) ] ||
		{ echo "$fn $outcome/$reason did not move by one"; return 1; }
}

# 1. XDP
if daemon_start --local-stratum 10 --xdp-mode native -i "$VETH_SRV"; then
	check "XDP: a mode-1 request over IPv4 gets a 48-byte mode-2 answer, answered/ipv4" \
		answered_by xdp_count answered ipv4 $CLI4 $SRV4
	check "XDP: the same over IPv6, answered/ipv6" \
		answered_by xdp_count answered ipv6 $CLI6 $SRV6
	check "XDP: the socket server saw none of them" \
		test "$(socket_answered_total)" = 0
	daemon_stop
else
	for i in 1 2 3; do not_ok "daemon (XDP) did not start"; done
fi

# 2. the socket server, then a real peer against it
if daemon_start --local-stratum 10 --xdp-mode socket --log-requests 1000; then
	check "socket mode: a mode-1 request gets a 48-byte mode-2 answer, answered/ipv4" \
		answered_by socket_count answered ipv4 $CLI4 $SRV4

	# NTPsec's ntpd reads `peer` as `server` ("peer deprecated, treated as
	# server"): it sends mode 3.  chronyd still has symmetric mode.
	cat >"$WORK/chrony-peer.conf" <<EOC
peer $SRV4 minpoll 0 maxpoll 0
bindcmdaddress /
bindcmdaddress 127.0.0.1
cmdport 10323
pidfile $WORK/chrony-peer.pid
EOC
	ip netns exec "$NS_CLI" chronyd -x -d -f "$WORK/chrony-peer.conf" \
		>"$WORK/chrony-peer.log" 2>&1 &
	PEER_PID=$!
	peer_selected() {
		ip netns exec "$NS_CLI" chronyc -h 127.0.0.1 -p 10323 -n sources >"$WORK/peers.out" 2>&1
		grep -qE "^=\* $SRV4 +10 " "$WORK/peers.out"
	}
	check "chronyd with 'peer' (mode 1): selects us, a symmetric peer (=*) at stratum 10" \
		wait_for 30 peer_selected
	sed "s/^/# /" "$WORK/peers.out"
	check "its requests were logged as version 4 mode 1 and answered on the socket path" \
		grep -q "request: $CLI4:[0-9]* v4 mode 1 -> answered/ipv4 (socket)" "$WORK/daemon.log"
	check "its requests were answered by the socket server" \
		test "$(socket_count answered ipv4)" -gt 2
	daemon_stop
else
	for i in 1 2 3; do not_ok "daemon (socket) did not start"; done
fi

e2e_finish
