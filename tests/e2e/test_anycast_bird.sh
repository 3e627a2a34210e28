#!/usr/bin/env bash
# A fleet behind one address: two xdp-ntpd servers (namespaces A and B),
# each with its own BIRD announcing the anycast /32 and /128 from lo over
# BGP (one session per family) to a router namespace (BIRD, ECMP: merge
# paths, routes in its kernel table, layer-4 multipath hash), and a client
# behind the router asking the anycast addresses.  Both servers answer in
# XDP, IPv4 and IPv6 (their counters say so, and the refid of each answer
# names the server's own upstream; B runs as nobody, with CAP_NET_ADMIN
# alone).  A's upstream is then stopped until A serves LI=3: A's routes
# must be withdrawn first, so no answer the client gets is unsynchronised;
# the withdrawal time, how long A kept answering and the requests lost are
# reported.  A's upstream back, its route returns; A stopped, its route
# goes; A again in socket mode answers from the anycast address; B's agent
# thread killed by a test hook, the watchdog's finding withdraws B.
#
# ANYCAST_GATE=off runs the same with the health gate off (--anycast-gate
# off): the route then stays and the suite fails, as it must.
set -u
. "$(dirname "$0")/lib.sh"
not_ok() { FAILED=1; TESTS_RUN=$((TESTS_RUN + 1)); echo "not ok $TESTS_RUN - $*"; }

NS_R="xntp-rt-$TAG"; NS_A="xntp-sa-$TAG"; NS_B="xntp-sb-$TAG"; NS_C="xntp-cl-$TAG"
ANY=198.51.100.123
ANY6=2001:db8:123::123		# on lo and off with the /32, over its own BGP sessions
UP_A=127.0.0.11; UP_B=127.0.0.12; UP_PORT=12301	# refids 127.0.0.11 / .12
HOLD_DOWN=2
BGP_HOLD=3		# BIRD's hold time; keepalives every second
CLIENT="$(dirname "$0")/anycast_client.py"
declare -A DPID BPID
PLAN=35
echo "1..$PLAN"

cleanup() {
	local p ns f
	# a failure is easier to read with what the peers said
	if [ -n "${FAILED:-}" ]; then
		for f in "$WORK"/bird-*.log "$WORK"/bird-*.out "$WORK"/daemon-*.log; do
			[ -s "$f" ] && { echo "# --- $(basename "$f")"; tail -15 "$f" | sed 's/^/#   /'; }
		done
	fi
	[ -n "${CLIENT_PID:-}" ] && kill "$CLIENT_PID" 2>/dev/null
	for p in "${DPID[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for p in "${BPID[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for ns in "$NS_A" "$NS_B" "$NS_R" "$NS_C"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "/sys/fs/bpf/xdp-ntpd/sa$TAG" "/sys/fs/bpf/xdp-ntpd/sb$TAG"
	e2e_cleanup
}
trap cleanup EXIT

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }

# link NS_LEFT DEV_LEFT ADDR_LEFT NS_RIGHT DEV_RIGHT ADDR_RIGHT (/24s)
link() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	ip -n "$1" addr add "$3/24" dev "$2"; ip -n "$4" addr add "$6/24" dev "$5"
	ip -n "$1" link set "$2" up; ip -n "$4" link set "$5" up
	# full UDP checksums, as off a wire (docs/testing.md)
	in_ns "$1" ethtool -K "$2" tx off >/dev/null; in_ns "$4" ethtool -K "$5" tx off >/dev/null
}

setup_net() {
	local ns
	for ns in "$NS_R" "$NS_A" "$NS_B" "$NS_C"; do ip netns add "$ns" && ip -n "$ns" link set lo up || return 1; done
	link "$NS_R" ra$TAG 10.10.1.1 "$NS_A" sa$TAG 10.10.1.2 &&
	link "$NS_R" rb$TAG 10.10.2.1 "$NS_B" sb$TAG 10.10.2.2 &&
	link "$NS_R" rc$TAG 10.10.3.1 "$NS_C" cl$TAG 10.10.3.2 || return 1
	ip -n "$NS_R" addr add 2001:db8:1::1/64 dev ra$TAG nodad
	ip -n "$NS_A" addr add 2001:db8:1::2/64 dev sa$TAG nodad
	ip -n "$NS_R" addr add 2001:db8:2::1/64 dev rb$TAG nodad
	ip -n "$NS_B" addr add 2001:db8:2::2/64 dev sb$TAG nodad
	ip -n "$NS_R" addr add 2001:db8:3::1/64 dev rc$TAG nodad
	ip -n "$NS_C" addr add 2001:db8:3::2/64 dev cl$TAG nodad
	ip -n "$NS_A" -6 route add default via 2001:db8:1::1
	ip -n "$NS_B" -6 route add default via 2001:db8:2::1
	ip -n "$NS_C" -6 route add default via 2001:db8:3::1
	ip -n "$NS_A" route add default via 10.10.1.1
	ip -n "$NS_B" route add default via 10.10.2.1
	ip -n "$NS_C" route add default via 10.10.3.1
	in_ns "$NS_R" sysctl -qw net.ipv4.ip_forward=1
	# hash on ports too: one client's requests spread over both servers
	in_ns "$NS_R" sysctl -qw net.ipv4.fib_multipath_hash_policy=1
	in_ns "$NS_R" sysctl -qw net.ipv6.conf.all.forwarding=1
	in_ns "$NS_R" sysctl -qw net.ipv6.fib_multipath_hash_policy=1
	# veth delivers the servers' XDP_TX frames only to a peer with XDP
	ip -n "$NS_R" link set dev ra$TAG xdpdrv obj "$PASS_OBJ" sec xdp &&
	ip -n "$NS_R" link set dev rb$TAG xdpdrv obj "$PASS_OBJ" sec xdp
}

# bird NAME NS CONF: BIRD in NS with its own config, socket and pid file
bird_start() {
	local name=$1 ns=$2
	sed -e "s|@LOG@|$WORK/bird-$name.log|" "$WORK/bird-$name.conf.in" >"$WORK/bird-$name.conf"
	nsenter --net="/run/netns/$ns" bird -f -c "$WORK/bird-$name.conf" -s "$WORK/bird-$name.ctl" \
		-P "$WORK/bird-$name.pid" >>"$WORK/bird-$name.out" 2>&1 &
	BPID[$name]=$!
}
birdc_in() { birdc -s "$WORK/bird-$1.ctl" "${@:2}"; }
established() { birdc_in "$1" show protocols "$2" | grep -q Established; }

write_bird_confs() {
	local s addr peer addr6 peer6
	# the servers: docs/bird.conf, with the test's addresses and timers
	for s in a b; do
		[ $s = a ] && { addr=10.10.1.2; peer=10.10.1.1; } || { addr=10.10.2.2; peer=10.10.2.1; }
		peer6=2001:db8:${addr:6:1}::1 addr6=2001:db8:${addr:6:1}::2
		sed -e "s|^router id .*|router id $addr;|" -e "s|^log .*|log \"@LOG@\" all;|" \
		    -e "s|192\.0\.2\.123/32|$ANY/32|" -e "s|local 192\.0\.2\.10 |local $addr |" \
		    -e "s|neighbor 192\.0\.2\.1 |neighbor $peer |" \
		    -e "s|hold time 9|hold time $BGP_HOLD|" -e "s|keepalive time 3|keepalive time 1|" \
		    -e "s|connect retry time 10|connect retry time 1|" \
		    -e "s|local 2001:db8::10 |local $addr6 |" -e "s|neighbor 2001:db8::1 |neighbor $peer6 |" \
		    "$E2E_ROOT/docs/bird.conf" >"$WORK/bird-$s.conf.in"
	done
	cat >"$WORK/bird-r.conf.in" <<-EOF
	router id 10.10.3.1;
	log "@LOG@" all;
	protocol device { }
	protocol kernel {
		merge paths on;		# ECMP: both servers' routes in one multipath route
		ipv4 { import none; export all; };
	}
	protocol kernel {
		merge paths on;
		ipv6 { import none; export all; };
	}
	template bgp server {
		local as 65000;
		hold time $BGP_HOLD; keepalive time 1; connect retry time 1;
		ipv4 { import all; export none; };
	}
	template bgp server6 {
		local as 65000;
		hold time $BGP_HOLD; keepalive time 1; connect retry time 1;
		ipv6 { import all; export none; };
	}
	protocol bgp a from server { neighbor 10.10.1.2 as 65001; }
	protocol bgp b from server { neighbor 10.10.2.2 as 65001; }
	protocol bgp a6 from server6 { neighbor 2001:db8:1::2 as 65001; }
	protocol bgp b6 from server6 { neighbor 2001:db8:2::2 as 65001; }
	EOF
}

# daemon NAME NS IFACE UPSTREAM [ARGS]: xdp-ntpd with the anycast address, by PID
daemon() {
	local name=$1 ns=$2
	: >"$WORK/daemon-$name.log"
	nsenter --net="/run/netns/$ns" "$BIN" --metrics-listen 127.0.0.1:9123 -4 1 -6 1 \
		--rate-limit off --seccomp "${E2E_SECCOMP:-on}" --xdp-mode "${XDP_MODE:-native}" -i "$3" \
		-s "$4:$UP_PORT" --upstream-min-poll 0 --upstream-max-poll 0 --max-missed 8 \
		--anycast $ANY/32 --anycast $ANY6/128 --anycast-hold-down $HOLD_DOWN --anycast-gate "${ANYCAST_GATE:-health}" \
		"${@:5}" >"$WORK/daemon-$name.log" 2>&1 &
	DPID[$name]=$!
	wait_for 15 grep -q "serving on UDP port" "$WORK/daemon-$name.log"
}
daemon_down() { kill -TERM "${DPID[$1]}" && wait "${DPID[$1]}"; local rc=$?; unset "DPID[$1]"; return $rc; }
# upstream NAME NS ADDR: the server's own upstream, a fake stratum 1 on its lo
upstream() {
	nsenter --net="/run/netns/$2" "$FAKE" -a "$3" -p $UP_PORT -G -T 200 >>"$WORK/up-$1.log" 2>&1 &
	UP_PIDS+=($!)
	eval "UPPID_$1=$!"
}
healthz() { in_ns "$1" curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9123/healthz; }
healthz_body() { in_ns "$1" curl -s http://127.0.0.1:9123/healthz; }
healthz_says() { healthz_body "$1" | grep -q -- "$2"; }
has_any() { ip -n "$1" addr show dev lo | grep -q "inet $ANY/32"; }
no_any() { ! has_any "$1"; }
# the /128 without DAD: a tentative one would not be served
has_any6() { ip -n "$1" -6 addr show dev lo | grep "inet6 $ANY6/128" | grep -vq tentative; }
# paths [PREFIX]: how many next hops the router's kernel has for the anycast
# address (one multipath route; IPv6 may list a route per next hop instead)
paths() {
	local p=${1:-$ANY/32}
	ip -n "$NS_R" $([ "${p#*:}" != "$p" ] && echo -6) -j route show "$p" |
		jq 'if length == 0 then 0 elif .[0].nexthops then (.[0].nexthops | length) else length end'
}
paths_are() { [ "$(paths)" = "$1" ]; }
paths6_are() { [ "$(paths $ANY6/128)" = "$1" ]; }
xdp_answered_in() {
	nsenter --net="/run/netns/$1" "$BIN" --stats -i "$2" |
		awk '$2 == "answered" { s += $4 } END { print s + 0 }'
}
socket_answered_in() {
	in_ns "$1" curl -sf http://127.0.0.1:9123/metrics |
		awk '/^xdp_ntpd_requests_total\{path="socket".*outcome="answered"/ { s += $2 } END { print s + 0 }'
}
# client COUNT INTERVAL_MS OUT [DST]: the client in the background, CLIENT_PID
client() {
	rm -f "$WORK/stop"
	in_ns "$NS_C" python3 "$CLIENT" "${4:-$ANY}" "$1" "$2" "$WORK/stop" >"$3" 2>&1 &
	CLIENT_PID=$!
}
client_stop() { touch "$WORK/stop"; wait "$CLIENT_PID"; CLIENT_PID=""; }
lines_over() { [ "$(wc -l <"$1")" -ge "$2" ]; }
no_unsync() { ! awk '$1 == "answer" && ($3 == 3 || $4 == 0)' "$1" | grep -q .; }
answered_by() { awk -v r="$2" '$1 == "answer" && $5 == r' "$1" | grep -q .; }
skip_rest() { while [ "$TESTS_RUN" -lt "$PLAN" ]; do not_ok "skipped: $1"; done; exit 1; }

# --- the fleet ----------------------------------------------------------------
check "docs/bird.conf as shipped is a valid BIRD configuration" bird -p -c "$E2E_ROOT/docs/bird.conf"
check "four namespaces: two servers, a router, a client" setup_net || skip_rest "no network"
# an --anycast-interface that does not exist is made a dummy, or, on a
# kernel without the dummy module (this one), the daemon exits 1 naming it
dummy_or_refused() {
	local out rc
	out=$(nsenter --net="/run/netns/$NS_C" timeout 5 "$BIN" --xdp-mode socket -4 1 -6 1 \
		--anycast $ANY/32 --anycast-interface ntpany$TAG -s 127.0.0.1:9 \
		--metrics-listen 127.0.0.1:9124 2>&1)
	rc=$?
	if [ $rc = 124 ]; then
		ip -n "$NS_C" -d link show ntpany$TAG | grep -q dummy
	else
		[ $rc = 1 ] && echo "$out" | grep -q "anycast-interface ntpany$TAG: does not exist, and a dummy" ||
			{ echo "$out" | tail -3; return 1; }
	fi
}
check "a missing --anycast-interface: made a dummy, or exit 1 naming it" dummy_or_refused
write_bird_confs
bird_start r "$NS_R"; bird_start a "$NS_A"; bird_start b "$NS_B"
upstream a "$NS_A" $UP_A; upstream b "$NS_B" $UP_B
started=0
daemon a "$NS_A" sa$TAG $UP_A && daemon b "$NS_B" sb$TAG $UP_B -u nobody && started=1
check "both servers started with an anycast address" test $started = 1
both_established() { established r a && established r b && established r a6 && established r b6; }
both_have_any() { has_any "$NS_A" && has_any "$NS_B"; }
both_healthy() { [ "$(healthz "$NS_A")" = 200 ] && [ "$(healthz "$NS_B")" = 200 ] &&
		 healthz_says "$NS_A" '^ok$' && healthz_says "$NS_B" '^ok$'; }
check "BGP sessions (IPv4 and IPv6) established with the router" wait_for 20 both_established
check "each server puts $ANY on lo once synchronised and through the hold-down" \
	wait_for 40 both_have_any
check "/healthz: 200 ok on both" both_healthy
check "...and $ANY6/128 with it, not tentative" has_any6 "$NS_A"
b_as_nobody() { [ "$(awk '/^Uid:/ { print $2 }' "/proc/${DPID[b]}/status")" = "$(id -u nobody)" ]; }
check "B serves as nobody" b_as_nobody
check "the router's kernel has $ANY over both servers (ECMP)" wait_for 20 paths_are 2

xa0=$(xdp_answered_in "$NS_A" sa$TAG); xb0=$(xdp_answered_in "$NS_B" sb$TAG)
sa0=$(socket_answered_in "$NS_A"); sb0=$(socket_answered_in "$NS_B")
client 60 20 "$WORK/steady.out"; wait "$CLIENT_PID"; CLIENT_PID=""
all_answered() { [ "$(grep -c '^answer' "$1")" -eq "$2" ] && no_unsync "$1"; }
check "the client is answered through $ANY, every answer synchronised" all_answered "$WORK/steady.out" 60
all_answered_by_both() { both_answered "$1" && no_unsync "$1"; }
both_answered() { answered_by "$1" $UP_A && answered_by "$1" $UP_B; }
check "both servers answered it (the refid of each names its upstream)" both_answered "$WORK/steady.out"
xa1=$(xdp_answered_in "$NS_A" sa$TAG); xb1=$(xdp_answered_in "$NS_B" sb$TAG)
sa1=$(socket_answered_in "$NS_A"); sb1=$(socket_answered_in "$NS_B")
echo "# steady: A answered $((xa1 - xa0)) in XDP, B $((xb1 - xb0)); sockets $((sa1 - sa0)), $((sb1 - sb0))"
check "in XDP on both servers, none on their sockets" \
	test $((xa1 - xa0)) -gt 0 -a $((xb1 - xb0)) -gt 0 -a $((xa1 - xa0 + xb1 - xb0)) -eq 60 \
	-a $((sa1 - sa0 + sb1 - sb0)) -eq 0
check "IPv6: the router's kernel has $ANY6 over both servers" wait_for 20 paths6_are 2
client 60 20 "$WORK/steady6.out" $ANY6; wait "$CLIENT_PID"; CLIENT_PID=""
xa6=$(xdp_answered_in "$NS_A" sa$TAG); xb6=$(xdp_answered_in "$NS_B" sb$TAG)
v6_served() { all_answered "$WORK/steady6.out" 60 && both_answered "$WORK/steady6.out" &&
	      [ $((xa6 - xa1)) -gt 0 ] && [ $((xb6 - xb1)) -gt 0 ] && [ $((xa6 - xa1 + xb6 - xb1)) -eq 60 ]; }
check "IPv6: $ANY6 answered by both servers in XDP, every answer synchronised" v6_served

# --- A loses its upstream -----------------------------------------------------------
client 4000 25 "$WORK/failover.out"
wait_for 5 lines_over "$WORK/failover.out" 20
t_kill=$(now)
kill "$UPPID_a"; wait "$UPPID_a" 2>/dev/null
a_503() { [ "$(healthz "$NS_A")" = 503 ]; }
wait_for 30 a_503
t_sick=$(now)
check "A's /healthz turns 503, stale, before A serves LI=3" healthz_says "$NS_A" '^stale'
# a bound, not a threshold: the hold-down plus BGP's hold time
if wait_for $((HOLD_DOWN + BGP_HOLD)) paths_are 1; then
	t_gone=$(now); gone="route gone at the router $(sub "$t_gone" "$t_sick") s later"
	ok "A's route withdrawn at the router within the hold-down plus BGP's hold time"
else
	t_gone=$(now); gone="route NOT withdrawn"; not_ok "A's route withdrawn at the router (still $(paths) paths)"
fi
a_has_neither() { no_any "$NS_A" && ! has_any6 "$NS_A"; }
check "A's $ANY and $ANY6 gone from its lo" a_has_neither
check "IPv6: A's /128 route withdrawn too" wait_for $((HOLD_DOWN + BGP_HOLD)) paths6_are 1
check "A goes on to serve LI=3 (its upstream long gone)" wait_for 30 healthz_says "$NS_A" unsynchronised
# requests for a while more: an A still announced would answer them LI=3
n=$(wc -l <"$WORK/failover.out")
wait_for 10 lines_over "$WORK/failover.out" $((n + 40))
client_stop
check "every answer the client got through the failover is synchronised" no_unsync "$WORK/failover.out"
# A's answers: any not from B (unsynchronised, A's refid is no longer its upstream)
last_a=$(awk -v r=$UP_B '$1 == "answer" && $5 != r { t = $2 } END { printf "%.6f", t }' "$WORK/failover.out")
lost=$(grep -c '^lost' "$WORK/failover.out")
total=$(wc -l <"$WORK/failover.out")
echo "# failover: upstream stopped -> A unhealthy in $(sub "$t_sick" "$t_kill") s -> $gone"
echo "# failover: A answered its last request $(sub "$last_a" "$t_kill") s after its upstream stopped (/healthz polled: 503 seen at $(sub "$t_sick" "$t_kill") s)"
unsync=$(awk '$1 == "answer" && ($3 == 3 || $4 == 0)' "$WORK/failover.out" | wc -l)
echo "# failover: $lost of $total requests lost, $unsync answered unsynchronised"
# a second after the router dropped A, what was in flight has landed
a_after() { awk -v t="$t_gone" -v r=$UP_B '$1 == "answer" && $2 > t + 1 && $5 != r' "$1" | grep -q .; }
check "after the withdrawal, the client is answered by B alone" not a_after "$WORK/failover.out"

# --- A's upstream back ---------------------------------------------------------------------
upstream a "$NS_A" $UP_A
check "A healthy again: /healthz 200" wait_for 40 healthz_says "$NS_A" '^ok$'
check "A's route returns after the hold-down (ECMP again)" wait_for $((HOLD_DOWN + 10)) paths_are 2
xa2=$(xdp_answered_in "$NS_A" sa$TAG)
client 60 20 "$WORK/back.out"; wait "$CLIENT_PID"; CLIENT_PID=""
check "A answers in XDP again" test "$(xdp_answered_in "$NS_A" sa$TAG)" -gt "$xa2"
check "the client gets both servers again, every answer synchronised" \
	all_answered_by_both "$WORK/back.out"

# --- A stopped --------------------------------------------------------------------------------
check "A stops cleanly on SIGTERM" daemon_down a
check "stopping removed A's $ANY" no_any "$NS_A"
check "A's route withdrawn once it stopped" wait_for $((BGP_HOLD + 2)) paths_are 1
b_alone() {
	in_ns "$NS_C" python3 "$CLIENT" $ANY 5 20 "$WORK/stop-never" >"$WORK/after-stop.out"
	[ "$(awk -v r=$UP_B '$1 == "answer" && $3 != 3 && $5 == r' "$WORK/after-stop.out" | wc -l)" -eq 5 ]
}
check "B alone serves the client, synchronised" b_alone

# --- A again, in socket mode: the socket path answers from the anycast address
# (the client's socket is connected: an answer from another address is lost)
sa2=0
a_back() { paths_are 2 && has_any "$NS_A"; }
if XDP_MODE=socket daemon a "$NS_A" sa$TAG $UP_A && wait_for 40 a_back; then
	ok "A restarted in socket mode is announced again"
	sa2=$(socket_answered_in "$NS_A")
	client 60 20 "$WORK/socket.out"; wait "$CLIENT_PID"; CLIENT_PID=""
else
	not_ok "A restarted in socket mode is announced again"
fi
socket_share() {
	local got
	got=$(awk -v r=$UP_A '$1 == "answer" && $5 == r' "$WORK/socket.out" | wc -l)
	echo "A's socket path answered $(($(socket_answered_in "$NS_A") - sa2)), the client got $got from A"
	[ "$got" -gt 0 ] && [ "$(($(socket_answered_in "$NS_A") - sa2))" -eq "$got" ] &&
		all_answered "$WORK/socket.out" 60
}
check "A's socket path answers from the anycast address, every request answered" socket_share

# --- B's agent thread dies (test hook): the watchdog's finding withdraws B
# (--max-age 3: the watchdog's bound is then 2 s)
daemon_down b
b_back=0
XDP_NTPD_TEST_FAULT=agent-exit:25 daemon b "$NS_B" sb$TAG $UP_B -u nobody --max-age 3 &&
	wait_for 25 paths_are 2 && b_back=1
check "B restarted (its agent to die 25 s in) is announced again" test $b_back = 1
b_withdrawn() { paths_are 1 && ! has_any "$NS_B"; }
check "B's agent gone: the watchdog fires and B withdraws" wait_for 40 b_withdrawn
check "...and B's /healthz names the watchdog and the agent" healthz_says "$NS_B" '^watchdog: .*: agent$'
[ "$TESTS_RUN" -eq "$PLAN" ] || echo "# ran $TESTS_RUN checks, planned $PLAN"
