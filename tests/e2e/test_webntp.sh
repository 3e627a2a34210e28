#!/usr/bin/env bash
# The webntp protocol as its users speak it: curl, and a webntp-style client
# over HTTP and WebSocket (tests/tools/webntp_client.py, Python's websockets)
# against a daemon whose time is known: a fake stratum-1 upstream TRUTH_S
# ahead of the host clock, the daemon on its corrected clock, so the served
# time is the host's + TRUTH_S and every client here (same host clock) must
# measure that offset within a millisecond.  Before the upstream starts the
# daemon is unsynchronised, and the answers must say so.
set -u
. "$(dirname "$0")/lib.sh"
trap e2e_cleanup EXIT
e2e_setup_net

CLIENT="$E2E_ROOT/tests/tools/webntp_client.py"
FIXTURE="$E2E_ROOT/tests/fixtures/webntp_answer.json"
LEAPS=/usr/share/zoneinfo/leap-seconds.list
URL=http://127.0.0.1:9123
TRUTH_S=0.2500

webntp() { in_srv "$CLIENT" "$@"; }
# the answer's headers and body of a curl in the server namespace
headers() { in_srv curl -s -o /dev/null -D - "$@" | tr -d '\r'; }
header() { awk -F': ' -v h="$1" 'tolower($1) == tolower(h) { print $2 }'; }

# within_ms OFFSET: |OFFSET - TRUTH_S| < 1 ms
within_ms() {
	echo "# offset $1 s, truth $TRUTH_S s"
	awk -v o="$1" -v t="$TRUTH_S" 'BEGIN { d = o - t; exit !(d < 0.001 && d > -0.001) }'
}

# What webntp's server derives from leap-seconds.list for the time now: TAI-UTC
# before the next (or last) leap, that leap's unix time and step, and whether
# the list has expired (our answers then say so in X-Leap-Seconds-List).
expected_leap() {
	awk -v now="$(date +%s)" '
		/^#@/ { expires = $2 - 2208988800 }
		/^[0-9]/ { n++; at[n] = $1 - 2208988800; v[n] = $2 }
		END {
			for (i = 2; i < n && at[i] <= now; i++) ;
			printf "%d %d %d %s\n", v[i - 1], at[i], v[i] - v[i - 1], (now >= expires ? "expired" : "ok")
		}' "$LEAPS"
}

leap_fields_ok() {
	local a h want got
	a=$(in_srv curl -sf "$URL/?1") && h=$(headers "$URL/?1") || return 1
	want=$(expected_leap)
	got="$(jq -r '"\(.leap) \(.next | floor) \(.step)"' <<<"$a") $(header X-Leap-Seconds-List <<<"$h")"
	got=${got% }
	[ "${got##* }" = expired ] || got="$got ok"
	echo "# leap fields: $got, from $LEAPS: $want"
	[ "$got" = "$want" ]
}

unsync_said() {
	local h a
	h=$(headers "$URL/") && a=$(in_srv curl -sf "$URL/") || return 1
	[ "$(header X-Time-Synchronised <<<"$h")" = no ] &&
		[ "$(jq -r .synchronised <<<"$a")" = false ]
}

# fake upstream not yet running: the daemon has nothing to serve but LI=3
if ! daemon_start --clock corrected --upstream-min-poll 0 --upstream-max-poll 0 \
	--xdp-mode native -i "$VETH_SRV" -s $CLI4:11140 --allow-cross-origin; then
	not_ok "daemon starts"; e2e_finish; exit 0
fi
check "unsynchronised: GET / says so in a field and a header" unsync_said
check "unsynchronised: HEAD / says so in the header" \
	sh -c "ip netns exec $NS_SRV curl -sI $URL/ | tr -d '\r' | grep -qix 'X-Time-Synchronised: no'"
ws_unsync=$(webntp ws ws://127.0.0.1:9123/ -n 1 | jq -r .answer.synchronised)
check "unsynchronised: the WebSocket answer says so ($ws_unsync)" test "$ws_unsync" = false

fake_upstream $CLI4 11140 -G -o $TRUTH_S
ntp_near_truth() {
	local o
	o=$(in_cli "$CLIENT" ntp $SRV4 -n 4 | jq -r .offset) && within_ms "$o"
}
check "the NTP path (XDP) serves the upstream's time within 1 ms" wait_for 60 ntp_near_truth
xdp_before=$(xdp_answered)

out=$(webntp http "$URL/" -n 16 --fixture "$FIXTURE")
echo "# http: $out"
check "webntp over HTTP: 16 answers shaped exactly as webntp's (keys, order, types, decimals)" \
	test -n "$out"
check "webntp over HTTP: offset within 1 ms of truth" within_ms "$(jq -r .offset <<<"$out")"
check "webntp over HTTP: synchronised, no extra key" \
	test "$(jq -r '.answer | has("synchronised")' <<<"$out")" = false
check "webntp over HTTP: X-Time-Synchronised: yes" \
	test "$(jq -r '.headers["x-time-synchronised"]' <<<"$out")" = yes
check "webntp over HTTP: id is the host:port asked" \
	test "$(jq -r .answer.id <<<"$out")" = 127.0.0.1:9123
check "--allow-cross-origin: Access-Control-Allow-Origin: *" \
	test "$(jq -r '.headers["access-control-allow-origin"]' <<<"$out")" = "*"

out=$(webntp ws ws://127.0.0.1:9123/ -n 16 --fixture "$FIXTURE")
echo "# ws: $out"
check "webntp over WebSocket: 16 answers on one session, shaped as webntp's" test -n "$out"
check "webntp over WebSocket: offset within 1 ms of truth" within_ms "$(jq -r .offset <<<"$out")"
check "webntp over WebSocket: the webntp subprotocol echoed" \
	test "$(jq -r .headers.subprotocol <<<"$out")" = webntp.shogo82148.com
check "answers came over HTTP: the XDP counters did not move for them" \
	test "$(xdp_answered)" -eq "$xdp_before"

check "leap, next, step from $LEAPS as webntp derives them, its expiry said" leap_fields_ok
status_leap_state_ok() {
	local want
	want=$(expected_leap | cut -d' ' -f4)
	[ "$(in_srv curl -sf "$URL/status" | jq -r .leap_seconds_list.state)" = "$want" ]
}
check "/status says whether the leap list has expired, as the file says" status_leap_state_ok

# HEAD / as curl -I sends it: 204 and the served time in the header
head_stamp_ok() {
	local h stamp before after
	before=$(date +%s.%N)
	h=$(headers -I "$URL/") || return 1
	after=$(date +%s.%N)
	stamp=$(header X-HTTPSTIME <<<"$h")
	echo "# HEAD /: X-HTTPSTIME $stamp, host time $before .. $after"
	grep -q '^HTTP/1.1 204' <<<"$h" &&
		awk -v s="$stamp" -v b="$before" -v a="$after" -v t=$TRUTH_S \
			'BEGIN { exit !(s != "" && s - t > b - 0.001 && s - t < a + 0.001) }'
}
check "HEAD / (curl -I): 204, X-HTTPSTIME within 1 ms of truth over the exchange" head_stamp_ok
check "HEAD /.well-known/time: 204 with X-HTTPSTIME" sh -c \
	"ip netns exec $NS_SRV curl -sI $URL/.well-known/time | tr -d '\r' |
	 grep -q '^HTTP/1.1 204' && ip netns exec $NS_SRV curl -sI $URL/.well-known/time | grep -qi '^X-HTTPSTIME: [0-9]*\.[0-9]\{6\}'"
check "GET / without a stamp echoes it as 0" \
	test "$(in_srv curl -sf "$URL/" | jq -r .it)" = 0
check "GET /?junk: 400, not an answer" \
	test "$(in_srv curl -s -o /dev/null -w '%{http_code}' "$URL/?12x")" = 400
# HTTP requests are cut 20 s after they began (http.h's deadline); a
# WebSocket is a long exchange and must not be
long=$(webntp ws ws://127.0.0.1:9123/ -n 2 --gap 22 | jq -r '.answers // 0')
check "a WebSocket session outlives the 20 s HTTP request deadline ($long answers)" test "$long" = 2
bad=$(webntp ws ws://127.0.0.1:9123/ --raw 'not a time' | jq -r .answer.closed)
check "WebSocket: a message that is no timestamp closes with 1007 ($bad)" test "$bad" = 1007
# RFC 6455 by hand: what a library client never sends
wscase() { webntp wscase ws://127.0.0.1:9123/ "$1"; }
wscase_is() {
	local got
	got=$(wscase "$1" | jq -c "$2")
	echo "# wscase $1: $got, want $3"
	[ "$got" = "$3" ]
}
check "WebSocket: an unmasked client frame closes with 1002" wscase_is unmasked '.frames[-1]' '[8,1002]'
check "WebSocket: a message over 1024 bytes closes with 1009" wscase_is oversized '.frames[-1]' '[8,1009]'
check "WebSocket: a fragmented stamp is joined and answered" \
	wscase_is fragmented '.frames[0][1] | fromjson | .it' '1489217288.328757'
check "WebSocket: ping answered with its payload, then the stamp" \
	wscase_is ping '[.frames[0], (.frames[1][1] | fromjson | .it)]' '[[10,"abc"],1]'
check "WebSocket: close echoed with its code" wscase_is close '.frames' '[[8,1000]]'
check "WebSocket: a version other than 13 gets 426" wscase_is badversion '.status' '426'
check "WebSocket: no Sec-WebSocket-Key gets 400" wscase_is nokey '.status' '400'
check "the daemon is still serving HTTP after the bad inputs" \
	sh -c "ip netns exec $NS_SRV curl -sf $URL/?1 | jq -e .st"
check "/time keeps its fields for its existing users" sh -c \
	"ip netns exec $NS_SRV curl -sf $URL/time | jq -e 'has(\"unix\") and has(\"unix_ns\") and has(\"synchronised\")'"
e2e_finish
