#!/usr/bin/env bash
# Symmetric active (mode 1) requests, as a Windows w32tm without ",0x8" or an
# ntpd `peer` line sends them, answered statelessly in mode 2 (as chronyd
# does) on both paths: a crafted 48-byte mode-1 request gets a 48-byte mode-2
# answer through XDP and through the socket server, the counters say which;
# then chronyd (-x: it never touches the host clock) and classic ntpd 4.2.8
# (ntp_classic.sh: nor does it), each configured with `peer` to us, select
# us.  NTPsec's ntpd cannot be that peer: it treats `peer` as `server`.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ntp_classic.sh"
PEER_PID=""
cleanup() {
	[ -n "$PEER_PID" ] && { kill "$PEER_PID" 2>/dev/null; wait "$PEER_PID" 2>/dev/null; }
	ntpd_stop
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
	kill "$PEER_PID" 2>/dev/null; wait "$PEER_PID" 2>/dev/null; PEER_PID=""
	daemon_stop
else
	for i in 1 2 3; do not_ok "daemon (socket) did not start"; done
fi

# 3. classic ntpd with `peer`: symmetric active, it sends mode 1 (unsigned),
# which XDP answers in mode 2
# peer_selectable: ntpq -pn shows us with a tally of '*' (system peer) or
# '+' (candidate), stratum 10, a reach other than 0
peer_selectable() {
	ntpq_c peers >"$WORK/ntpq.out" 2>&1
	awk -v a="$SRV4" 'substr($1, 1, 1) ~ /[*+]/ && substr($1, 2) == a && $3 == 10 && $7 != 0 { f = 1 }
		END { exit !f }' "$WORK/ntpq.out"
}
# symmetric_active: ntpd's association with us is in mode 1 (hmode) and hears
# mode 2 from us (pmode)
symmetric_active() {
	local assid
	assid=$(ntpq_c associations | awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ { print $2; exit }')
	[ -n "$assid" ] && ntpq_c "rv $assid hmode,pmode" >"$WORK/rv.out" 2>&1 &&
		grep -q "hmode=1" "$WORK/rv.out" && grep -q "pmode=2" "$WORK/rv.out" ||
		{ echo "association ${assid:-none}:"; cat "$WORK/rv.out"; return 1; }
}
# xdp_answered_peer BEFORE: its requests logged as mode 1 answered by XDP,
# XDP's answered/ipv4 past BEFORE, the socket server's answers none
xdp_answered_peer() {
	grep -q "request: $CLI4:123 v4 mode 1 -> answered/ipv4 (xdp)" "$WORK/daemon.log" &&
		[ "$(xdp_count answered ipv4)" -gt "$1" ] && [ "$(socket_answered_total)" = 0 ]
}
if ntpc_unavailable 4 "classic ntpd with peer"; then
	:
elif daemon_start --local-stratum 10 --xdp-mode native -i "$VETH_SRV" --log-requests 1000; then
	before=$(xdp_count answered ipv4)
	if ntpd_start 933F62BE1D604E68A81B557F18CFA200483F5B70 "peer $SRV4 minpoll 3 maxpoll 3 iburst"; then
		check "classic ntpd runs without CAP_SYS_TIME (it cannot set the clock)" ntpd_no_sys_time
		check "classic ntpd with 'peer': reaches us and finds us selectable (* or +), stratum 10" \
			wait_for 60 peer_selectable
		sed 's/^/# /' "$WORK/ntpq.out"
		check "its association with us is symmetric active (hmode=1), answered in mode 2 (pmode=2)" \
			symmetric_active
		check "its mode-1 requests were answered by XDP (logged, counted), none by the socket server" \
			xdp_answered_peer "${before:-0}"
		ntpd_stop
	else
		for i in 1 2 3 4; do not_ok "classic ntpd did not start"; done
	fi
	daemon_stop
else
	for i in 1 2 3 4; do not_ok "daemon (XDP) for classic ntpd did not start"; done
fi

e2e_finish
