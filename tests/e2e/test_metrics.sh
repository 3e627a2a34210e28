#!/usr/bin/env bash
# The HTTP endpoint as operators use it: promtool on a live scrape, a real
# Prometheus scraping it, /status, /version, /time and /.well-known/time.
set -u
. "$(dirname "$0")/lib.sh"
PROM_PID=""
cleanup() {
	[ -n "$PROM_PID" ] && { kill "$PROM_PID" 2>/dev/null; wait "$PROM_PID" 2>/dev/null; }
	e2e_cleanup
}
trap cleanup EXIT
e2e_setup_net

http() { in_srv curl -sf "$@"; }
prom_query() {
	in_srv curl -sf --data-urlencode "query=$1" http://127.0.0.1:9090/api/v1/query |
		jq -r '.data.result[0].value[1] // empty'
}
prom_equals() { [ "$(prom_query "$1")" = "$2" ]; }

status_matches_served() {
	local line st
	line=$(in_cli "$RAWCLIENT" -i "$VETH_CLI" -m "$SRV_MAC" -s $CLI4 -d $SRV4) || return 1
	st=$(http http://127.0.0.1:9123/status) || return 1
	[ "$(jq -r .tracking.stratum <<<"$st")" = 10 ] &&
		[ "$(jq -r .tracking.refid <<<"$st")" = 76.79.67.76 ] &&
		grep -q "stratum=10 refid=76.79.67.76" <<<"$line" &&
		[ "$(jq -r '.sources[0].name' <<<"$st")" = "127.0.0.1:11123" ] &&
		[ "$(jq -r ".serverstats.xdp.\"$VETH_SRV\".mode" <<<"$st")" = native ]
}

https_time_close() {
	local before after stamp
	before=$(date +%s.%N)
	stamp=$(http -I http://127.0.0.1:9123/.well-known/time | tr -d '\r' |
		awk -F': ' 'tolower($1) == "x-httpstime" { print $2 }')
	after=$(date +%s.%N)
	echo "before $before stamp $stamp after $after"
	awk -v b="$before" -v s="$stamp" -v a="$after" 'BEGIN { exit !(s != "" && s >= b - 0.001 && s <= a + 0.001) }'
}

time_json_ok() {
	local t
	t=$(http http://127.0.0.1:9123/time) || return 1
	[ "$(jq -r .synchronised <<<"$t")" = true ] && [ "$(jq -r .leap <<<"$t")" = 0 ] &&
		awk -v u="$(jq -r .unix <<<"$t")" -v n="$(date +%s)" 'BEGIN { exit !(u > n - 2 && u < n + 2) }'
}

if ! daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native; then
	not_ok "daemon starts"; e2e_finish; exit 0
fi
check "promtool accepts a live scrape" sh -c \
	"ip netns exec $NS_SRV curl -sf http://127.0.0.1:9123/metrics | promtool check metrics"
check "/metrics is text format 0.0.4" sh -c \
	"ip netns exec $NS_SRV curl -sfI http://127.0.0.1:9123/metrics | grep -qi 'content-type: text/plain; version=0.0.4'"
check "/version names the version" sh -c "ip netns exec $NS_SRV curl -sf http://127.0.0.1:9123/version | jq -e '.version | startswith(\"0.\")'"
check "/status matches what XDP serves" status_matches_served
check "/time is JSON with the served time and leap state" time_json_ok
check "/.well-known/time within a millisecond of the host clock" https_time_close

cat >"$WORK/prometheus.yml" <<EOP
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: xdp-ntpd
    static_configs:
      - targets: ['127.0.0.1:9123']
EOP
ip netns exec "$NS_SRV" prometheus --config.file="$WORK/prometheus.yml" \
	--storage.tsdb.path="$WORK/prom-data" --web.listen-address=127.0.0.1:9090 \
	>"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!
check "Prometheus scrapes xdp-ntpd (up == 1)" wait_for 60 prom_equals 'up{job="xdp-ntpd"}' 1
before=$(xdp_count answered ipv4)
for i in 1 2 3 4 5; do in_cli ntpdig -t 2 $SRV4 >/dev/null; done
sent=$(( $(xdp_count answered ipv4) - before ))
check "five ntpdig requests answered by XDP" test "$sent" -eq 5
check "Prometheus sees exactly the answered count" wait_for 30 prom_equals \
	"xdp_ntpd_requests_total{path=\"xdp_native\",outcome=\"answered\",reason=\"ipv4\"}" \
	"$(xdp_count answered ipv4)"
daemon_stop
e2e_finish
