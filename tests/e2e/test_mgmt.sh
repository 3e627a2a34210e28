#!/usr/bin/env bash
# The management API (/upstreams, /ratelimit, /acl) against a daemon serving
# through native XDP: changes need the bearer token, bad input changes
# nothing, and good changes reach the XDP program's answers without a
# detach (the program id on the interface stays the same).
set -u
. "$(dirname "$0")/lib.sh"
API=http://127.0.0.1:9123
CLI4_B=192.0.2.3	# a second upstream address, so the served refid tells them apart

trap e2e_cleanup EXIT
e2e_setup_net
in_cli ip addr add $CLI4_B/24 dev "$VETH_CLI"

body_has() { jq -e "$1" "$WORK/api.out" >/dev/null || { cat "$WORK/api.out"; return 1; }; }
prog_id() { in_srv ip -j link show dev "$VETH_SRV" | jq -r '.[0].xdp.prog.id // empty'; }
# burst N: N requests from one client through XDP; prints how many were answered
burst() {
	local i ok=0
	for i in $(seq "$1"); do served >/dev/null 2>&1 && ok=$((ok + 1)); done
	echo $ok
}

TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
umask 077
echo "$TOKEN" >"$WORK/token"
umask 022
fake_upstream $CLI4 11123 -s 2
fake_upstream $CLI4_B 11123 -s 4

# --- read-only without a token file ---------------------------------------------
if daemon_start --upstream-min-poll 0 --upstream-max-poll 0 --max-missed 2 \
	--xdp-mode native -i "$VETH_SRV" -s $CLI4:11123; then
	check "GET /upstreams lists the configured set" \
		test "$(in_srv curl -sf $API/upstreams | jq -r '.upstreams[0]')" = $CLI4:11123
	check "without --api-token-file, PUT is refused (403)" \
		status_is 403 PUT /upstreams "{\"upstreams\":[\"$CLI4_B:11123\"]}" "$TOKEN"
	daemon_stop
else
	not_ok "daemon starts in native XDP mode"
fi

# --- a token file others can read is refused at start ---------------------------
chmod 644 "$WORK/token"
check "a world-readable token file stops the daemon with a message naming it" sh -c \
	"! nsenter --net=/run/netns/$NS_SRV $BIN --xdp-mode socket -4 1 -6 1 --metrics-listen 127.0.0.1:9124 \
	   --api-token-file $WORK/token >$WORK/bad.log 2>&1 && grep -q 'api-token-file $WORK/token: readable by others' $WORK/bad.log"
chmod 600 "$WORK/token"

# --- with a token ------------------------------------------------------------------
if daemon_start --upstream-min-poll 0 --upstream-max-poll 0 --max-missed 2 \
	--xdp-mode native -i "$VETH_SRV" -s $CLI4:11123 --api-token-file "$WORK/token"; then
	PROG=$(prog_id)
	check "served through XDP from upstream A (stratum 3, refid A)" serves "stratum=3 refid=$CLI4"

	check "PUT without a token: 401" \
		status_is 401 PUT /upstreams "{\"upstreams\":[\"$CLI4_B:11123\"]}"
	check "  ... with WWW-Authenticate: Bearer" sh -c \
		"ip netns exec $NS_SRV curl -s -i -X PUT --data-binary '{}' $API/upstreams | grep -qi '^WWW-Authenticate: Bearer'"
	check "PUT with a wrong token: 401" \
		status_is 401 PUT /upstreams "{\"upstreams\":[\"$CLI4_B:11123\"]}" "x$TOKEN"
	check "bad JSON: 400 naming the problem" \
		status_is 400 PUT /upstreams '{"upstreams": [' "$TOKEN"
	check "  ... the message says where" body_has '.error | test("bad JSON at line 1")'
	check "bad upstream value: 400" \
		status_is 400 PUT /upstreams '{"upstreams": ["192.0.2.3:notaport"]}' "$TOKEN"
	check "unknown key: 400" status_is 400 PUT /upstreams '{"servers": []}' "$TOKEN"
	check "after refused requests the upstream set is unchanged" sh -c \
		"[ \"\$(ip netns exec $NS_SRV curl -sf $API/upstreams | jq -c .upstreams)\" = '[\"$CLI4:11123\"]' ]"
	check "  ... and so is the served time (stratum 3, refid A)" serves "stratum=3 refid=$CLI4"

	check "PUT /upstreams with the token: 200" \
		status_is 200 PUT /upstreams "{\"upstreams\":[\"$CLI4_B:11123\"]}" "$TOKEN"
	check "served refid changes to upstream B (stratum 5)" serves "stratum=5 refid=$CLI4_B"
	check "XDP stayed attached: same program id" sh -c '[ -n "$1" ] && [ "$1" = "$2" ]' _ "$(prog_id)" "$PROG"
	check "/status lists the new upstream" sh -c \
		"ip netns exec $NS_SRV curl -sf $API/status | jq -e '.sources | length == 1 and .[0].name == \"$CLI4_B:11123\"'"
	check "xdp-ntpd status: tracking shows the served stratum and refid" sh -c \
		"nsenter --net=/run/netns/$NS_SRV $BIN status 127.0.0.1:9123 tracking | grep -q '^Stratum         : 5\$' &&
		 nsenter --net=/run/netns/$NS_SRV $BIN status 127.0.0.1:9123 tracking | grep -q '^Reference ID    : C0000203 (192.0.2.3)\$'"
	check "xdp-ntpd status: sources marks the system peer with *" sh -c \
		"nsenter --net=/run/netns/$NS_SRV $BIN status 127.0.0.1:9123 sources | grep -q '^\\* $CLI4_B:11123 '"
	cli_answered=$(in_srv_net "$BIN" status 127.0.0.1:9123 serverstats | awk -F': ' '/answered in XDP/ { print $2 }')
	map_answered=$(xdp_answered)
	check "xdp-ntpd status: serverstats counts XDP answers as the map does ($map_answered)" \
		test -n "$cli_answered" -a "$cli_answered" -gt 0 -a "$cli_answered" = "$map_answered"
	check "DELETE /upstreams goes back to the configured set" status_is 200 DELETE /upstreams "" "$TOKEN"
	check "served from upstream A again" serves "stratum=3 refid=$CLI4"

	# rate limit: one client, 1 request/s, burst 2, no leak
	before=$(xdp_count rate_limited_dropped over_limit)
	check "bad rate limit (burst 0): 400" status_is 400 PUT /ratelimit '{"burst": 0}' "$TOKEN"
	check "  ... limits unchanged: 10 requests all answered" test "$(burst 10)" = 10
	check "PUT /ratelimit {rate 0.01, burst 2, leak 0}: 200" \
		status_is 200 PUT /ratelimit '{"enabled": true, "rate": 0.01, "burst": 2, "leak": 0}' "$TOKEN"
	check "GET /ratelimit shows it" sh -c \
		"ip netns exec $NS_SRV curl -sf $API/ratelimit | jq -e '.enabled and .burst == 2 and .leak == 0'"
	check "the XDP program limits now: 2 of 6 requests answered" test "$(burst 6)" = 2
	check "  ... the other 4 counted as rate_limited dropped" \
		test "$(xdp_count rate_limited_dropped over_limit)" = $((before + 4))
	check "PUT /ratelimit {enabled: false}: answered again" sh -c \
		"[ \"\$(ip netns exec $NS_SRV curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Authorization: Bearer $TOKEN' --data-binary '{\"enabled\": false}' $API/ratelimit)\" = 200 ]"
	check "  ... 5 of 5 answered" test "$(burst 5)" = 5

	# access lists
	check "bad CIDR: 400" status_is 400 PUT /acl '{"deny": ["192.0.2.0/33"]}' "$TOKEN"
	check "PUT /acl deny the client's /24: 200" status_is 200 PUT /acl '{"deny": ["192.0.2.0/24"]}' "$TOKEN"
	denied=$(xdp_count denied dropped)
	check "  ... the client is dropped by XDP" test "$(burst 3)" = 0
	check "  ... counted as denied" test "$(xdp_count denied dropped)" = $((denied + 3))
	check "a more specific allow wins" status_is 200 PUT /acl \
		'{"deny": ["192.0.2.0/24"], "allow": ["192.0.2.2/32"]}' "$TOKEN"
	check "  ... the client is answered" test "$(burst 3)" = 3
	check "GET /acl shows both lists" sh -c \
		"ip netns exec $NS_SRV curl -sf $API/acl | jq -e '.deny == [\"192.0.2.0/24\"] and .allow == [\"192.0.2.2/32\"]'"
	check "PUT /acl {} empties the lists" status_is 200 PUT /acl '{}' "$TOKEN"
	check "XDP still the same program after every change" \
		sh -c '[ -n "$1" ] && [ "$1" = "$2" ]' _ "$(prog_id)" "$PROG"
	daemon_stop
else
	not_ok "daemon starts with --api-token-file"
fi

# --- a change that fails half way is not applied at all ------------------------
# The test hook fails every list change of two or more rules after half of
# them are written: the daemon must put the previous lists back.
acl4_map_rules() {
	bpftool -j map dump pinned "/sys/fs/bpf/xdp-ntpd/$VETH_SRV/ntpd_acl4" | jq -c '[.[] | .key]'
}
export XDP_NTPD_TEST_FAULT=acl-write-fail:0
if daemon_start --xdp-mode native -i "$VETH_SRV" --local-stratum 7 --deny 192.0.2.0/24 \
	--api-token-file "$WORK/token"; then
	unset XDP_NTPD_TEST_FAULT
	before=$(acl4_map_rules)
	check "the client's /24 is denied: 0 of 3 answered" test "$(burst 3)" = 0
	# allow rules are written first: half way, the client would be let in
	check "a four-rule ACL failing half way: 500" status_is 500 PUT /acl \
		'{"allow": ["192.0.2.2/32", "192.0.2.3/32"], "deny": ["198.51.100.0/24", "203.0.113.0/24"]}' "$TOKEN"
	check "  ... the answer says not applied, previous policy kept" \
		body_has '(.error | test("^not applied, previous policy kept")) and .applied == false'
	check "  ... the maps hold exactly the previous list (one rule)" \
		test "$(acl4_map_rules)" = "$before" -a "$(acl4_map_rules | jq length)" = 1
	check "  ... GET /acl says the same" sh -c \
		"ip netns exec $NS_SRV curl -sf $API/acl | jq -e '.deny == [\"192.0.2.0/24\"] and .allow == []'"
	check "  ... and XDP still drops the client: 0 of 3 answered" test "$(burst 3)" = 0
	check "a one-rule change is not failed by the hook: 200" \
		status_is 200 PUT /acl '{"deny": ["198.51.100.0/24"]}' "$TOKEN"
	check "  ... and the client is answered: 3 of 3" test "$(burst 3)" = 3
	daemon_stop
else
	unset XDP_NTPD_TEST_FAULT
	not_ok "daemon starts with the acl-write-fail test hook"
fi

# --- socket mode: the same API changes the socket server's own table ------------
if daemon_start --xdp-mode socket --local-stratum 7 --api-token-file "$WORK/token"; then
	check "socket mode answers the client" test "$(burst 2)" = 2
	check "PUT /acl deny the client: 200" status_is 200 PUT /acl '{"deny": ["192.0.2.2"]}' "$TOKEN"
	check "  ... the socket server drops it (0 of 3 answered)" test "$(burst 3)" = 0
	check "  ... counted as denied on the socket path" test "$(socket_count denied dropped)" = 3
	check "PUT /ratelimit {rate 0.01, burst 1, leak 0}, lists emptied" sh -c \
		"[ \"\$(ip netns exec $NS_SRV curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Authorization: Bearer $TOKEN' --data-binary '{\"rate\": 0.01, \"burst\": 1, \"leak\": 0, \"enabled\": true}' $API/ratelimit)\" = 200 ] &&
		 [ \"\$(ip netns exec $NS_SRV curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Authorization: Bearer $TOKEN' --data-binary '{}' $API/acl)\" = 200 ]"
	check "  ... the socket server limits: 1 of 4 answered" test "$(burst 4)" = 1
	daemon_stop
else
	not_ok "daemon starts in socket mode with --api-token-file"
fi

e2e_finish
