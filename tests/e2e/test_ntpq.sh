#!/usr/bin/env bash
# NTPsec's ntpq against xdp-ntpd (mode 6, read-only): `ntpq -p` lists the
# upstream (a chronyd in the client namespace) as the system peer, `ntpq -c
# rv` shows the served stratum and refid; loopback is always allowed, a
# remote asker only by --allow-query, anyone else gets nothing and is
# counted.  With XDP attached the request is shown passed up to the socket
# server, which answers it.
set -u
. "$(dirname "$0")/lib.sh"
trap e2e_cleanup EXIT
e2e_setup_net
NTPSEC_ROOT=$(bash "$E2E_ROOT/tests/tools/ntpsec.sh") || { echo "1..0 # SKIP no NTPsec"; exit 0; }
NTPQ="$NTPSEC_ROOT/usr/bin/ntpq"

cat >"$WORK/chrony.conf" <<EOC
port 11123
local stratum 3
allow
cmdport 0
pidfile $WORK/chrony.pid
EOC
ip netns exec "$NS_CLI" chronyd -x -d -f "$WORK/chrony.conf" >"$WORK/chrony.log" 2>&1 &
UP_PIDS+=($!)

# ntpq_srv ARGS...: ntpq on the server's loopback; ntpq_cli HOST ARGS...: from the client
# (without the line ntpq prints for the timeout command)
ntpq_srv() {
	ip netns exec "$NS_SRV" "$NTPQ" -n -c "timeout 1000" "$@" 127.0.0.1 2>&1 | grep -v '^primary timeout'
}
ntpq_cli() {
	local h=$1; shift
	ip netns exec "$NS_CLI" "$NTPQ" -n -c "timeout 500" "$@" "$h" 2>&1 | grep -v '^primary timeout'
}

peers_show_system_peer() {
	ntpq_srv -p >"$WORK/peers.out"
	grep -qE '^\*192\.0\.2\.2 +.* 3 u ' "$WORK/peers.out"
}
rv_shows() { ntpq_srv -c rv >"$WORK/rv.out"; grep -q -- "$1" "$WORK/rv.out"; }
rv_identifies_us() {
	rv_shows 'version="xdp-ntpd' && rv_shows 'stratum=4' && rv_shows 'refid=192.0.2.2'
}
rv_synchronised() { grep -q 'sync_ntp' "$WORK/rv.out" && grep -q 'leap_none' "$WORK/rv.out"; }
assoc_listed() { ntpq_srv -c as | grep -qE '^ +1 +1 +9600 +yes +yes +none +sys.peer'; }
metrics_label() { [ "$(socket_count control answered)" -gt 0 ]; }
bad_prefix_refused() {
	local out
	out=$("$BIN" --check --allow-query 10.0.0.0/40 2>&1)
	[ $? -eq 2 ] && grep -q "allow-query: '10.0.0.0/40'" <<<"$out"
}
v6_loopback() {
	ip netns exec "$NS_SRV" "$NTPQ" -n -c "rv 0 stratum" ::1 2>&1 | grep -qx "stratum=4"
}
rv_list_exact() { [ "$(ntpq_srv -c "rv 0 stratum,refid")" = "stratum=4, refid=192.0.2.2" ]; }

# refused_remote HOST COUNTER: ntpq from the client gets nothing; the refusal counted
refused_remote() {
	local before answered out
	before=$(socket_count dropped mode_control)
	answered=$(socket_count control answered)
	out=$(ntpq_cli "$1" -c rv)
	grep -q "timed out" <<<"$out" || { echo "ntpq got: $out"; return 1; }
	[ "$(socket_count dropped mode_control)" -gt "$before" ] &&
		[ "$(socket_count control answered)" = "$answered" ]
}

# allowed_remote_through_xdp: XDP passes the 12-byte request up (passed/length),
# the socket server answers it
allowed_remote_through_xdp() {
	local xdp_before sock_before
	xdp_before=$(xdp_count passed length)
	sock_before=$(socket_count control answered)
	ntpq_cli $SRV4 -c "rv 0 stratum" | grep -qx "stratum=4" &&
		[ "$(xdp_count passed length)" -gt "$xdp_before" ] &&
		[ "$(socket_count control answered)" -gt "$sock_before" ]
}

FAST="--upstream-min-poll 0 --upstream-max-poll 0 -s $CLI4:11123"

# 1. XDP attached, the client's IPv4 address allowed, its IPv6 one not
if daemon_start $FAST --xdp-mode native -i "$VETH_SRV" --allow-query $CLI4/32; then
	check "ntpq -p: the upstream is the system peer (*), stratum 3, unicast" \
		wait_for 20 peers_show_system_peer
	# the agent selects, then the publisher serves it: wait for the latter
	check "ntpq -c rv: our version, stratum 4 and the upstream as refid" \
		wait_for 20 rv_identifies_us
	check "ntpq -c rv: synchronised to NTP (status sync_ntp, leap none)" rv_synchronised
	check "ntpq -c 'rv 0 stratum,refid': exactly those variables" rv_list_exact
	check "ntpq over IPv6 loopback (::1) too" v6_loopback
	check "ntpq -c as: one association, configured and reachable" assoc_listed
	check "an --allow-query client asks over the wire: passed up by XDP, answered" \
		allowed_remote_through_xdp
	check "the same client's IPv6 address is not allowed: no answer, dropped/mode_control" \
		refused_remote "$SRV6"
	daemon_stop
else
	for i in 1 2 3 4 5 6 7 8; do not_ok "daemon with --allow-query did not start"; done
fi

# 2. socket mode, no --allow-query: loopback only
if daemon_start $FAST --xdp-mode socket; then
	check "socket mode: ntpq -p on loopback lists the system peer" \
		wait_for 20 peers_show_system_peer
	check "socket mode, default list: a remote ntpq gets nothing, dropped/mode_control" \
		refused_remote "$SRV4"
	check "answers to ntpq are in /metrics as control/answered" metrics_label
	daemon_stop
else
	for i in 1 2 3; do not_ok "daemon in socket mode did not start"; done
fi

check "--allow-query with a bad prefix: exit 2, naming it" bad_prefix_refused

e2e_finish
