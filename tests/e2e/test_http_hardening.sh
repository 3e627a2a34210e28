#!/usr/bin/env bash
# The HTTP side under abuse, in two namespaces: the Host check (DNS
# rebinding), the write API only on --api-listen, 1,000 trickling and
# 10,000 idle connections from several addresses while a scrape from
# another address still answers within a second and NTP is served as
# before, the tricklers cut at the whole-request deadline, and a /metrics
# scrape that no longer walks the rate table (--rate-table-size 16M).
set -u
. "$(dirname "$0")/lib.sh"
FLOOD="$E2E_ROOT/tests/tools/http_flood.py"
METRICS=http://$SRV4:9123
API=http://$SRV4:9124
TRICKLE_FROM=$(seq -s, -f '192.0.2.%g' 10 19)	# ten addresses for the tricklers
HOLD_FROM=$(seq -s, -f '192.0.2.%g' 20 29)	# ten for the idle connections
PER_IP=8	# HTTP_PER_IP_LIMIT in userspace/http.h

trap e2e_cleanup EXIT
e2e_setup_net
for a in ${TRICKLE_FROM//,/ } ${HOLD_FROM//,/ }; do in_cli ip addr add "$a/24" dev "$VETH_CLI"; done

TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
umask 077
echo "$TOKEN" >"$WORK/token"
umask 022

# code URL [CURL ARGS...]: the HTTP status of a request from the client namespace
code() {
	local url=$1; shift
	in_cli curl -s -o "$WORK/body.out" -w '%{http_code}' "$@" "$url"
}
code_is() { local want=$1 got; shift; got=$(code "$@"); [ "$got" = "$want" ] || { echo "HTTP $got: $(cat "$WORK/body.out")"; return 1; }; }
put_acl() { code "$1/acl" -X PUT -H "Authorization: Bearer $TOKEN" --data-binary "$2" "${@:3}"; }
refused() { in_cli curl -sf "$METRICS/metrics" | awk -v r="reason=\"$1\"" 'index($0, "xdp_ntpd_http_requests_refused_total{" r "}") == 1 { print $2 }'; }
burst() {
	local i ok=0
	for i in $(seq "$1"); do served >/dev/null 2>&1 && ok=$((ok + 1)); done
	echo $ok
}

# --- Host header and the separate API listener ------------------------------------
if daemon_start --xdp-mode socket --local-stratum 7 --metrics-listen $SRV4:9123 \
	--api-listen $SRV4:9124 --api-token-file "$WORK/token" --http-host metrics.example; then
	check "a scrape naming our address in Host: 200" code_is 200 "$METRICS/metrics"
	check "Host without the port: 200" code_is 200 "$METRICS/metrics" -H "Host: $SRV4"
	check "Host a DNS-rebinding page sends (evil.example:9123): 421" \
		code_is 421 "$METRICS/status" -H "Host: evil.example:9123"
	check "Host localhost on a routable listener: 421" \
		code_is 421 "$METRICS/status" -H "Host: localhost:9123"
	check "Host our address on another port: 421" \
		code_is 421 "$METRICS/status" -H "Host: $SRV4:80"
	check "Host a --http-host name: 200" code_is 200 "$METRICS/status" -H "Host: metrics.example"
	check "HTTP/1.0 without Host (no browser sends that): 200" \
		code_is 200 "$METRICS/version" -0 -H "Host:"
	check "HTTP/1.1 without Host: 400" code_is 400 "$METRICS/version" -H "Host:"
	check "the refusals are counted (3 foreign Hosts)" test "$(refused foreign_host)" = 3

	check "PUT /acl on the --api-listen address: 200" \
		test "$(put_acl "$API" '{"deny": ["198.51.100.0/24"]}')" = 200
	check "PUT /acl on the metrics listener: 403" \
		test "$(put_acl "$METRICS" '{"deny": ["203.0.113.0/24"]}')" = 403
	check "  ... and nothing changed: the ACL is the one the API listener set" sh -c \
		"ip netns exec $NS_CLI curl -sf $API/acl | jq -e '.deny == [\"198.51.100.0/24\"]'"
	check "  ... counted as a write on the read-only listener" test "$(refused write_on_read_listener)" = 1
	check "the metrics listener still reads /acl: 200" code_is 200 "$METRICS/acl"
	check "the API listener serves no /metrics: 404" code_is 404 "$API/metrics"
	check "the API listener checks Host as well: 421" \
		test "$(put_acl "$API" '{}' -H 'Host: evil.example')" = 421
	daemon_stop
else
	not_ok "daemon starts with --api-listen and --http-host"
fi

# --- tricklers and idle connections ------------------------------------------------
if daemon_start --xdp-mode native -i "$VETH_SRV" --local-stratum 7 --metrics-listen $SRV4:9123; then
	answered=$(xdp_answered)
	in_cli python3 "$FLOOD" $SRV4 9123 --trickle 1000 --trickle-from "$TRICKLE_FROM" \
		--hold 10000 --hold-from "$HOLD_FROM" --every 3 --duration 40 \
		--status "$WORK/flood.status" >"$WORK/flood.json" 2>"$WORK/flood.err" &
	FLOOD_PID=$!
	UP_PIDS+=("$FLOOD_PID")
	check "1,000 trickling and 10,000 idle connections opened" wait_for 60 grep -q ready "$WORK/flood.status"
	check "during the flood a scrape from another address answers within a second" sh -c \
		"ip netns exec $NS_CLI curl -sf -m 1 $METRICS/metrics | grep -q '^xdp_ntpd_build_info'"
	check "during the flood NTP through XDP: 5 of 5 answered" test "$(burst 5)" = 5
	check "  ... and XDP counted exactly those 5" test "$(xdp_answered)" = $((answered + 5))
	check "the flood tool ends within its bound" wait_for 60 grep -q trickle "$WORK/flood.json"
	cat "$WORK/flood.json" "$WORK/flood.err" | sed 's/^/# /'
	tj() { jq -r "$1" "$WORK/flood.json"; }
	admitted=$(tj .trickle.closed_later)
	check "tricklers were admitted, at most $PER_IP per address ($admitted of 1000)" \
		test "$admitted" -gt 0 -a "$admitted" -le $((10 * PER_IP))
	check "  ... the rest refused at once (per-address limit)" \
		test "$(tj '.trickle.closed_at_once + .trickle.connect_failed')" = $((1000 - admitted))
	check "no trickler was still open at the end: each was closed by the server" \
		test "$(tj .trickle.still_open)" = 0
	check "  ... by the whole-request deadline: xdp_ntpd_http_connections_cut_total = $admitted" \
		sh -c "ip netns exec $NS_CLI curl -sf $METRICS/metrics | grep -qx 'xdp_ntpd_http_connections_cut_total $admitted'"
	check "all 10,000 idle connections were made, and none is open at the end" \
		test "$(tj .hold.connected)" = 10000 -a "$(tj .hold.still_open)" = 0
	check "after the flood a scrape answers" code_is 200 "$METRICS/metrics"
	daemon_stop
else
	not_ok "daemon starts in native XDP mode"
fi

# --- a scrape does not walk the rate table ----------------------------------------
# bpf(2) commands issued by every daemon thread but the census during one scrape
scrape_bpf_calls() {
	local t tids=() n
	for t in /proc/"$DAEMON_PID"/task/*; do
		[ "$(cat "$t/comm")" = ntpd-census ] || tids+=(-p "${t##*/}")
	done
	n=$((${#tids[@]} / 2))
	strace -qq -e trace=bpf -o "$WORK/scrape.strace" "${tids[@]}" 2>"$WORK/strace.err" &
	local spid=$!
	# attached once every chosen thread names strace as its tracer
	wait_for 10 sh -c "[ \$(grep -l '^TracerPid:[[:space:]]*$spid\$' /proc/$DAEMON_PID/task/*/status | wc -l) -ge $n ]"
	in_srv curl -sf -o /dev/null "$METRICS/metrics"
	kill -INT "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
}
if daemon_start --xdp-mode native -i "$VETH_SRV" --local-stratum 7 --metrics-listen $SRV4:9123 \
	--rate-table-size 16777216 --rate-limit 1000/1000; then
	served >/dev/null 2>&1
	cap="xdp_ntpd_rate_table_capacity{interface=\"$VETH_SRV\"} 16777216"
	check "the census counted the 16M-entry table" wait_for 60 sh -c \
		"ip netns exec $NS_SRV curl -sf $METRICS/metrics | grep -qxF '$cap'"
	check "  ... one client in it" wait_for 30 sh -c \
		"ip netns exec $NS_SRV curl -sf $METRICS/metrics | grep -qxF 'xdp_ntpd_rate_table_entries{interface=\"$VETH_SRV\"} 1'"
	scrape_bpf_calls
	check "a scrape was traced (it reads the counters: BPF_MAP_LOOKUP_ELEM)" \
		grep -q BPF_MAP_LOOKUP_ELEM "$WORK/scrape.strace"
	check "  ... and walks no table: no BPF_MAP_GET_NEXT_KEY or BPF_MAP_LOOKUP_BATCH" \
		sh -c "! grep -E 'BPF_MAP_GET_NEXT_KEY|BPF_MAP_LOOKUP_BATCH' '$WORK/scrape.strace'"
	daemon_stop
else
	not_ok "daemon starts with --rate-table-size 16777216"
fi

e2e_finish
