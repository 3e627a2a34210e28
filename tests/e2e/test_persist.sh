#!/usr/bin/env bash
# Changes made through the management API outlast a restart: --state-file
# keeps the upstream set, the rate limit and the access lists (written
# atomically, under the system call filter, owner-only), a restart serves
# from what was saved, PUT /upstreams/default and DELETE /upstreams return
# to the configured set for good, a broken state file is named and the
# configuration applies, and a change that cannot be saved says so.
set -u
. "$(dirname "$0")/lib.sh"
API=http://127.0.0.1:9123
CLI4_B=192.0.2.3

trap e2e_cleanup EXIT
e2e_setup_net
in_cli ip addr add $CLI4_B/24 dev "$VETH_CLI"

get_is() { local got; got=$(in_srv curl -sf "$API$1" | jq -c "$2"); [ "$got" = "$3" ] || { echo "$1 $2: $got"; return 1; }; }
state_is() { local got; got=$(jq -c "$1" "$STATE"); [ "$got" = "$2" ] || { echo "state $1: $got"; return 1; }; }

TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
umask 077
echo "$TOKEN" >"$WORK/token"
umask 022
mkdir -p "$WORK/lib"
STATE="$WORK/lib/state.json"
fake_upstream $CLI4 11123 -s 2
fake_upstream $CLI4_B 11123 -s 4
RUN=(--upstream-min-poll 0 --upstream-max-poll 0 --max-missed 2 --xdp-mode native -i "$VETH_SRV"
     -s $CLI4:11123 --api-token-file "$WORK/token" --state-file "$STATE")

if daemon_start "${RUN[@]}"; then
	check "without a state file yet: the configured upstream" get_is /upstreams .upstreams "[\"$CLI4:11123\"]"
	check "PUT /upstreams B: 200" status_is 200 PUT /upstreams "{\"upstreams\":[\"$CLI4_B:11123\"]}" "$TOKEN"
	check "  ... saved in the state file" state_is .upstreams "{\"upstreams\":[\"$CLI4_B:11123\"]}"
	check "  ... which only the daemon's user can read (0600)" test "$(stat -c %a "$STATE")" = 600
	check "  ... and no temporary file is left beside it" test ! -e "$STATE.tmp"
	check "PUT /ratelimit: 200 and saved" sh -c "
		[ \"\$(ip netns exec $NS_SRV curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Authorization: Bearer $TOKEN' \
		   --data-binary '{\"enabled\": true, \"rate\": 0.5, \"burst\": 3}' $API/ratelimit)\" = 200 ] &&
		jq -e '.ratelimit.enabled and .ratelimit.burst == 3 and .ratelimit.rate == 0.5' $STATE"
	check "PUT /acl: 200 and saved" status_is 200 PUT /acl '{"deny": ["198.51.100.0/24"]}' "$TOKEN"
	check "  ... in the state file" state_is .acl.deny '["198.51.100.0/24"]'
	daemon_stop
else
	not_ok "daemon starts with --state-file"
fi

if daemon_start "${RUN[@]}"; then
	check "after a restart GET /upstreams is the API's set" get_is /upstreams .upstreams "[\"$CLI4_B:11123\"]"
	check "  ... and the time served comes from it (stratum 5, refid B)" serves "stratum=5 refid=$CLI4_B"
	check "  ... the rate limit is the API's" get_is /ratelimit '[.enabled, .burst, .rate]' '[true,3,0.5]'
	check "  ... and so are the lists" get_is /acl .deny '["198.51.100.0/24"]'
	check "the log names the state file for each section" \
		test "$(grep -c "state file $STATE: \"[a-z]*\" as the API last set it" "$WORK/daemon.log")" = 3
	check "PUT /upstreams/default: 200, the configured set" status_is 200 PUT /upstreams/default "" "$TOKEN"
	check "  ... GET /upstreams says so" get_is /upstreams .upstreams "[\"$CLI4:11123\"]"
	check "  ... the state file no longer holds upstreams" state_is 'has("upstreams")' false
	check "  ... served from A again (stratum 3)" serves "stratum=3 refid=$CLI4"
	check "GET /upstreams/default: 405" status_is 405 GET /upstreams/default
	daemon_stop
else
	not_ok "daemon restarts with the saved state"
fi

if daemon_start "${RUN[@]}"; then
	check "after a restart the configured set stays" get_is /upstreams .upstreams "[\"$CLI4:11123\"]"
	check "PUT B then DELETE /upstreams" sh -c "
		[ \"\$(ip netns exec $NS_SRV curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Authorization: Bearer $TOKEN' \
		   --data-binary '{\"upstreams\":[\"$CLI4_B:11123\"]}' $API/upstreams)\" = 200 ] &&
		[ \"\$(ip netns exec $NS_SRV curl -s -o /dev/null -w '%{http_code}' -X DELETE -H 'Authorization: Bearer $TOKEN' \
		   $API/upstreams)\" = 200 ]"
	check "  ... leaves no upstreams in the state file" state_is 'has("upstreams")' false
	daemon_stop
else
	not_ok "daemon starts a third time"
fi

echo '{"upstreams": {"upstreams": ["bad:port:x"]}, "acl": {"deny": ["198.51.100.0/24"]}' >"$STATE"
if daemon_start "${RUN[@]}"; then
	check "a state file that is not JSON is named, and the configuration applies" sh -c \
		"grep -q 'state file $STATE: .* ignored' $WORK/daemon.log"
	check "  ... the configured upstream and empty lists" sh -c \
		"[ \"\$(ip netns exec $NS_SRV curl -sf $API/acl | jq -c .deny)\" = '[]' ] &&
		 [ \"\$(ip netns exec $NS_SRV curl -sf $API/upstreams | jq -c .upstreams)\" = '[\"$CLI4:11123\"]' ]"
	daemon_stop
else
	not_ok "daemon starts despite a broken state file"
fi

echo '{"upstreams": {"upstreams": ["192.0.2.3:notaport"]}, "acl": {"deny": ["198.51.100.0/24"]}}' >"$STATE"
if daemon_start "${RUN[@]}"; then
	check "a section the API would refuse is named and ignored, the others apply" sh -c \
		"grep -q 'state file $STATE: \"upstreams\" ignored: upstreams\[0\]' $WORK/daemon.log &&
		 [ \"\$(ip netns exec $NS_SRV curl -sf $API/acl | jq -c .deny)\" = '[\"198.51.100.0/24\"]' ] &&
		 [ \"\$(ip netns exec $NS_SRV curl -sf $API/upstreams | jq -c .upstreams)\" = '[\"$CLI4:11123\"]' ]"
	daemon_stop
else
	not_ok "daemon starts with a partly bad state file"
fi

# SIGHUP puts the file back in force: the state file must agree, or the
# next start would bring back what the reload undid
rm -f "$STATE"
echo "server $CLI4 port 11123" >"$WORK/xdp-ntpd.conf"
if daemon_start "${RUN[@]}" -c "$WORK/xdp-ntpd.conf"; then
	check "PUT /upstreams B, saved" sh -c "
		[ \"\$(ip netns exec $NS_SRV curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Authorization: Bearer $TOKEN' \
		   --data-binary '{\"upstreams\":[\"$CLI4_B:11123\"]}' $API/upstreams)\" = 200 ] &&
		jq -e '.upstreams.upstreams == [\"$CLI4_B:11123\"]' $STATE"
	kill -HUP "$DAEMON_PID"
	check "SIGHUP: the file's upstream in force again" \
		wait_for 10 get_is /upstreams .upstreams "[\"$CLI4:11123\"]"
	check "  ... and the state file emptied to match" \
		wait_for 10 state_is '[has("upstreams"), has("ratelimit"), has("acl")]' '[false,false,false]'
	daemon_stop
else
	not_ok "daemon starts with -c and --state-file"
fi

RUN[-1]="$WORK/missing-dir/state.json"
if daemon_start "${RUN[@]}"; then
	check "a change that cannot be saved: 500, applied but lost at restart" \
		status_is 500 PUT /upstreams "{\"upstreams\":[\"$CLI4_B:11123\"]}" "$TOKEN"
	check "  ... the answer says so" sh -c \
		"jq -e '(.error | test(\"^applied, but not saved to $WORK/missing-dir/state.json\")) and .applied' $WORK/api.out"
	check "  ... and it is in force" get_is /upstreams .upstreams "[\"$CLI4_B:11123\"]"
	daemon_stop
else
	not_ok "daemon starts with a state file in a missing directory"
fi

e2e_finish
