#!/usr/bin/env bash
# The agent against real upstreams: chronyd instances (local stratum, -x so
# they never touch the host clock) and ntp_fakeserver for the misbehaving
# kinds, all in the client namespace; xdp-ntpd in the server namespace
# serves through XDP what its agent selected.
set -u
. "$(dirname "$0")/lib.sh"

trap e2e_cleanup EXIT
e2e_setup_net

# chronyd_up PORT STRATUM: a chronyd upstream; prints its PID
chronyd_up() {
	cat >"$WORK/chrony-$1.conf" <<EOC
port $1
local stratum $2
allow
cmdport 0
pidfile $WORK/chrony-$1.pid
EOC
	ip netns exec "$NS_CLI" chronyd -x -d -f "$WORK/chrony-$1.conf" >"$WORK/chrony-$1.log" 2>&1 &
	UP_PIDS+=($!)
	LAST_UP=$!
}

# fake_up PORT ARGS...: a fake upstream on the client address
fake_up() { fake_upstream $CLI4 "$@"; }

stop_up() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# root_delay_is_path: an answer's root delay is the system peer's measured
# delay (its own root delay being 0), rounded up to the 2^-16 s of the wire
root_delay_is_path() {
	local line rd d
	line=$($RAWCLIENT_CMD 2>&1) || { echo "no answer: $line"; return 1; }
	rd=$(sed -n 's/.* rootdelay=\([0-9.]*\) .*/\1/p' <<<"$line")
	d=$(in_srv curl -sf http://127.0.0.1:9123/status |
		jq -r '.sources[] | select(.state == "system_peer") | .delay')
	awk -v r="$rd" -v d="$d" 'BEGIN { exit !(r != "" && d != "" && d > 0 &&
		r >= d - 1e-6 && r <= d + 1 / 65536 + 1e-6) }' ||
		{ echo "rootdelay '$rd' against the measured delay '$d'"; return 1; }
}

metrics_match() { in_srv curl -sf http://127.0.0.1:9123/metrics | grep -q -- "$1"; }

RAWCLIENT_CMD="ip netns exec $NS_CLI $RAWCLIENT -u -i $VETH_CLI -m $SRV_MAC -s $CLI4 -d $SRV4 -t 500"
FAST="--upstream-min-poll 0 --upstream-max-poll 0 --max-missed 2 --xdp-mode native -i $VETH_SRV"

# 1. selection follows the best upstream, then the next, then the fallback
chronyd_up 11123 3; A=$LAST_UP
chronyd_up 11124 5; B=$LAST_UP
if daemon_start $FAST --local-stratum 10 -s $CLI4:11123 -s $CLI4:11124; then
	check "served stratum is the best upstream's + 1, refid its address" \
		serves "stratum=4 refid=192.0.2.2"
	check "root delay is the upstream's (0, a local chronyd) + the measured delay" \
		wait_for 10 root_delay_is_path
	check "metrics name the system peer" test "$(metric 'xdp_ntpd_upstream_state{upstream="192.0.2.2:11123",state="system_peer"}')" = 1
	# many polls by now; each change of system peer is one line, never a repeat
	check "the system peer is logged at changes, not at every poll" sh -c \
		"grep 'system peer' '$WORK/daemon.log' | sed 's/ (.*//' | uniq -d | grep -q . && exit 1;
		 grep -q 'system peer: 192.0.2.2 port 11123' '$WORK/daemon.log'"
	stop_up $A
	check "best upstream stopped: selection moves to the next (stratum 6)" serves "stratum=6 refid=192.0.2.2"
	check "  ... and the log says so" grep -q 'system peer: 192.0.2.2 port 11124 ' "$WORK/daemon.log"
	stop_up $B
	check "all upstreams stopped: local stratum 10 fallback" serves "li=0 stratum=10 refid=76.79.67.76"
	daemon_stop
else
	not_ok "daemon starts with chronyd upstreams"
fi

# 2. a falseticker is rejected while two good upstreams agree
chronyd_up 11123 3; A=$LAST_UP
chronyd_up 11124 5; B=$LAST_UP
fake_up 11125 -o 5 -s 1; F=$LAST_UP
if daemon_start $FAST -s $CLI4:11123 -s $CLI4:11124 -s $CLI4:11125; then
	check "falseticker (stratum 1, 5 s off) not selected: stratum 4 served" serves "stratum=4 "
	check "metrics mark the shifted upstream as falseticker" wait_for 10 metrics_match \
		'upstream_state{upstream="192.0.2.2:11125",state="falseticker"} 1'
	check "the falseticker is logged once" \
		test "$(grep -c 'upstream 192.0.2.2 port 11125: falseticker' "$WORK/daemon.log")" = 1
	check "served time stays on the good upstreams (ntpdig offset < 0.5 s)" sh -c \
		"ip netns exec $NS_CLI ntpdig -t 2 $SRV4 |
		 awk 'NF >= 4 { seen = 1; o = \$4 < 0 ? -\$4 : \$4 } END { exit !(seen && o < 0.5) }'"
	daemon_stop
else
	not_ok "daemon starts with a falseticker among its upstreams"
fi
stop_up $A; stop_up $B; stop_up $F

# 3. kiss-o'-death
fake_up 11126 -k RATE; R=$LAST_UP
fake_up 11127 -k DENY; D=$LAST_UP
if daemon_start --upstream-min-poll 0 --upstream-max-poll 6 --xdp-mode native -i $VETH_SRV \
	-s $CLI4:11126 -s $CLI4:11127; then
	check "KoD RATE counted" wait_for 10 metrics_match \
		'kod_received_total{upstream="192.0.2.2:11126",code="RATE"} [1-9]'
	check "KoD RATE slows polling (interval above the 1 s minimum)" \
		awk "BEGIN { exit !($(metric 'xdp_ntpd_upstream_poll_seconds{upstream="192.0.2.2:11126"}') > 1) }"
	check "KoD DENY: the upstream is no longer used" wait_for 10 metrics_match \
		'upstream_state{upstream="192.0.2.2:11127",state="denied"} 1'
	check "with only KoD upstreams the answers are unsynchronised" serves "li=3 stratum=0"
	daemon_stop
else
	not_ok "daemon starts with KoD upstreams"
fi
stop_up $R; stop_up $D

# 4. leap second announced upstream is served in LI; upstream lost -> LI=3
fake_up 11128 -l 1 -s 2; L=$LAST_UP
if daemon_start $FAST --leap-smear -s $CLI4:11128; then
	check "--leap-smear: the announced leap is not passed on (LI=0)" serves "li=0 stratum=3"
	daemon_stop
else
	not_ok "daemon starts with --leap-smear"
fi
if daemon_start $FAST --max-age 2 -s $CLI4:11128; then
	# an upstream's LI is believed only on the last day of June or December
	case $(date -u +%m-%d) in
	06-30|12-31) check "upstream leap insertion served as LI=1 on its day" serves "li=1 stratum=3" ;;
	*) check "upstream leap announced outside 30 June / 31 December is not passed on (LI=0)" \
		serves "li=0 stratum=3" ;;
	esac
	stop_up $L
	check "only upstream lost, no local stratum: unsynchronised (LI=3, stratum 0)" \
		serves "li=3 stratum=0"
	fake_up 11128 -s 2; L=$LAST_UP
	check "upstream back: synchronised again" serves "li=0 stratum=3"
	# 5. the agent dies: XDP stays attached, and the staleness guard takes over
	before=$(xdp_count stale unsynchronised_reply)
	kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=""
	# the bound itself: --max-age 2, and one publish period of slack
	check "agent SIGKILLed: XDP answers turn unsynchronised within --max-age" \
		wait_for 3 served_matches "li=3 stratum=0"
	check "and they are counted as stale replies from XDP" \
		test "$(xdp_count stale unsynchronised_reply)" -gt "$before"
	ip -n "$NS_SRV" link set dev "$VETH_SRV" xdp off
else
	not_ok "daemon starts with a leap-announcing upstream"
fi

e2e_finish
