#!/usr/bin/env bash
# POST /control against a daemon serving in native XDP and one in socket
# mode: stop answers nothing on any path (XDP detached, the socket server
# takes nothing: no counter moves) while HTTP stays up and /status says
# "stopped"; start serves again on the same maps (the counters carry on);
# restart, under a client's steady requests, loses none of them.
set -u
. "$(dirname "$0")/lib.sh"
API=http://127.0.0.1:9123

trap e2e_cleanup EXIT
e2e_setup_net

control() {
	in_srv curl -s -o "$WORK/api.out" -w '%{http_code}' -X POST ${2:+-H "Authorization: Bearer $2"} \
		--data-binary "$1" "$API/control"
}
control_is() { local got; got=$(control "$2" "${3-$TOKEN}"); [ "$got" = "$1" ] || { echo "HTTP $got: $(cat "$WORK/api.out")"; return 1; }; }
state_is() { local got; got=$(in_srv curl -sf $API/status | jq -r .serving.state); [ "$got" = "$1" ] || { echo "state $got"; return 1; }; }
burst() {
	local i ok=0
	for i in $(seq "$1"); do served >/dev/null 2>&1 && ok=$((ok + 1)); done
	echo $ok
}
prog_id() { in_srv ip -j link show dev "$VETH_SRV" | jq -r '.[0].xdp.prog.id // empty'; }

TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
umask 077
echo "$TOKEN" >"$WORK/token"
umask 022

if daemon_start --xdp-mode native -i "$VETH_SRV" --local-stratum 7 --api-token-file "$WORK/token"; then
	check "serving: 3 of 3 answered" test "$(burst 3)" = 3
	check "GET /control and /status say serving" sh -c \
		"[ \"\$(ip netns exec $NS_SRV curl -sf $API/control | jq -r .state)\" = serving ] &&
		 [ \"\$(ip netns exec $NS_SRV curl -sf $API/status | jq -r .serving.state)\" = serving ]"
	check "POST /control without the token: 401" control_is 401 '{"action": "stop"}' ""
	check "an unknown action: 400 naming the three" control_is 400 '{"action": "pause"}'
	check "  ... the answer says which" grep -q 'must be \\"stop\\", \\"start\\" or \\"restart\\"' "$WORK/api.out"
	check "PUT /control: 405" sh -c \
		"[ \"\$(ip netns exec $NS_SRV curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Authorization: Bearer $TOKEN' --data-binary '{}' $API/control)\" = 405 ]"
	# restart under load: a client asks steadily, restart lands in the middle
	PROG=$(prog_id)
	before=$(xdp_answered)
	( burst 200 >"$WORK/during" ) &
	LOAD=$!
	wait_for 10 sh -c "[ \$(nsenter --net=/run/netns/$NS_SRV $BIN --stats -i $VETH_SRV | awk '\$2 == \"answered\" { s += \$4 } END { print s + 0 }') -ge $((before + 20)) ]"
	check "POST restart while a client asks: 200" control_is 200 '{"action": "restart"}'
	mid=$(xdp_answered)
	wait "$LOAD"
	check "  ... it landed mid-load (after 20, before 200 answers)" \
		test "$mid" -gt $((before + 20)) -a "$mid" -lt $((before + 200))
	check "  ... the program was replaced in place (a new id: the prepared one)" sh -c '[ -n "$1" ] && [ "$1" != "$2" ]' _ "$(prog_id)" "$PROG"
	check "  ... and not one request was lost: 200 of 200 answered" test "$(cat "$WORK/during")" = 200
	check "  ... all of them by XDP" test "$(xdp_answered)" = $((before + 200))
	xdp_before=$(xdp_answered); sock_before=$(socket_answered_total)
	check "POST stop: 200" control_is 200 '{"action": "stop"}'
	check "  ... XDP is detached from the interface" test "$(xdp_mode "$VETH_SRV")" = none
	check "  ... and /metrics says so (xdp_ntpd_xdp_attached 0)" \
		test "$(metric "xdp_ntpd_xdp_attached{interface=\"$VETH_SRV\",mode=\"native\"}")" = 0
	check "  ... 0 of 5 answered" test "$(burst 5)" = 0
	check "  ... on no path: neither XDP's nor the socket server's counters moved" \
		test "$(xdp_answered)" = "$xdp_before" -a "$(socket_answered_total)" = "$sock_before"
	check "  ... while HTTP answers, /status saying stopped" state_is stopped
	check "  ... and xdp-ntpd status too" sh -c \
		"nsenter --net=/run/netns/$NS_SRV $BIN status 127.0.0.1:9123 tracking | grep -qx 'NTP service     : stopped'"
	check "POST stop again: 200, still stopped" control_is 200 '{"action": "stop"}'
	check "POST start: 200" control_is 200 '{"action": "start"}'
	check "  ... XDP attached again (native)" test "$(xdp_mode "$VETH_SRV")" = native
	check "  ... and /metrics says so (xdp_ntpd_xdp_attached 1)" \
		test "$(metric "xdp_ntpd_xdp_attached{interface=\"$VETH_SRV\",mode=\"native\"}")" = 1
	check "  ... 5 of 5 answered" test "$(burst 5)" = 5
	check "  ... by XDP, whose counter went on from where it was (+5)" \
		test "$(xdp_answered)" = $((xdp_before + 5))
	check "  ... /status says serving" state_is serving

	daemon_stop
else
	not_ok "daemon starts in native XDP mode with a token"
fi

if daemon_start --xdp-mode socket --local-stratum 7 --api-token-file "$WORK/token"; then
	check "socket mode: 3 of 3 answered" test "$(burst 3)" = 3
	before=$(socket_answered_total)
	check "POST stop: 200" control_is 200 '{"action": "stop"}'
	check "  ... the socket server answers none of 4, and counts none" sh -c \
		'[ "$1" = 0 ] && [ "$2" = "$3" ]' _ "$(burst 4)" "$(socket_answered_total)" "$before"
	check "POST start: 4 of 4 answered again" sh -c \
		"[ \"\$1\" = 200 ] && [ \"\$2\" = 4 ]" _ "$(control '{"action": "start"}' "$TOKEN")" "$(burst 4)"
	daemon_stop
else
	not_ok "daemon starts in socket mode with a token"
fi

e2e_finish
