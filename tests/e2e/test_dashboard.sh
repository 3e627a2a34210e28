#!/usr/bin/env bash
# The live dashboard in a real browser: Debian's headless Chromium, started
# in the server's namespace, loads /dashboard from a daemon answering a
# bounded NTP load through XDP (some of it over a per-client rate limit) and
# synchronised to a fake upstream; tests/tools/cdp_check.py watches it over
# the DevTools protocol.  The charts must draw (canvas pixels and chart data)
# with no console error.  DASHBOARD_SCREENSHOT=FILE keeps the screenshot
# (docs/dashboard.png is made so).
set -u
. "$(dirname "$0")/lib.sh"
CHROME_PID=""
LOAD_PID=""
cleanup() {
	# chromium was started as its own process group: its helpers go with it
	[ -n "$CHROME_PID" ] && { kill -TERM -- "-$CHROME_PID" 2>/dev/null; wait "$CHROME_PID" 2>/dev/null; }
	[ -n "$LOAD_PID" ] && { kill "$LOAD_PID" 2>/dev/null; wait "$LOAD_PID" 2>/dev/null; }
	e2e_cleanup
}
trap cleanup EXIT
e2e_setup_net

URL=http://127.0.0.1:9123
CHART_JS=/usr/share/javascript/chart.js/chart.min.js
CDP_PORT=9222
SHOT="$WORK/dashboard.png"

fake_upstream $CLI4 11150 -G -o 0.003
# 100 requests/s from one client against 50/s: about half are limited
if ! daemon_start --clock corrected --upstream-min-poll 0 --upstream-max-poll 0 \
	--xdp-mode native -i "$VETH_SRV" -s $CLI4:11150 --rate-limit 50/50 --rate-leak 0; then
	not_ok "daemon starts"; e2e_finish; exit 0
fi
check "/dashboard is an HTML page" sh -c \
	"ip netns exec $NS_SRV curl -sf $URL/dashboard | grep -q '<canvas id=\"answers\">'"
check "Chart.js is served from Debian's libjs-chart.js, byte for byte" sh -c \
	"ip netns exec $NS_SRV curl -sf $URL/dashboard/chart.min.js | cmp -s - $CHART_JS"
check "/dashboard/data.json has the paths, the histogram bounds and the sources" sh -c \
	"ip netns exec $NS_SRV curl -sf $URL/dashboard/data.json |
	 jq -e '(.paths | map(.path) | index(\"xdp_native\")) != null and (.latency_le_seconds | length) > 0 and (.sources | length) == 1'"
check "the dashboard is read-only: POST is refused" \
	test "$(in_srv curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/dashboard")" = 405

# the load: 100/s for at most 40 s (stopped once the browser has looked);
# a limited request is given up after 20 ms, so the pace holds
# (ip netns exec, not the in_cli function: $! must be the client itself)
ip netns exec "$NS_CLI" "$RAWCLIENT" -i "$VETH_CLI" -m "$SRV_MAC" -s $CLI4 -d $SRV4 -S -n 4000 -w 10 -t 20 \
	>"$WORK/load.log" 2>&1 &
LOAD_PID=$!
xdp_before=$(xdp_answered)

mkdir -p "$WORK/chrome"
# nsenter, not the in_srv_net function, so $! is chromium (setsid execs
# it as the leader of a new process group, which cleanup ends)
nsenter --net="/run/netns/$NS_SRV" setsid /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic \
	--no-first-run --disable-background-networking --disable-component-update --disable-sync \
	--disable-crash-reporter --user-data-dir="$WORK/chrome" --remote-debugging-address=127.0.0.1 \
	--remote-debugging-port=$CDP_PORT --window-size=1280,720 about:blank \
	>"$WORK/chrome.log" 2>&1 &
CHROME_PID=$!

out=$(in_srv_net "$E2E_ROOT/tests/tools/cdp_check.py" --port $CDP_PORT --url "$URL/dashboard" \
	--refreshes 6 --timeout 40 --screenshot "$SHOT")
echo "# browser: $out"
canvas() { jq -r ".canvases.$1.$2 // 0" <<<"$out"; }
check "the page refreshed itself from data.json ($(jq -r '.state.refreshes // 0' <<<"$out") times)" \
	test "$(jq -r '.state.refreshes // 0' <<<"$out")" -ge 6
check "no console error, exception or failed load ($(jq -c .errors <<<"$out"))" \
	test "$(jq -r '.errors | length' <<<"$out")" = 0
check "no error the page itself met" test "$(jq -r '.state.errors | length' <<<"$out")" = 0
# its cost: one data.json per refresh drawn (one more may be in flight),
# nothing fetched but the page, Chart.js and data.json
fetches=$(jq -r '.requests["/dashboard/data.json"] // 0' <<<"$out")
check "one data.json per refresh ($fetches requests for $(jq -r '.state.refreshes // 0' <<<"$out") refreshes)" \
	awk -v f="$fetches" -v r="$(jq -r '.state.refreshes // 0' <<<"$out")" 'BEGIN { exit !(f >= r && f <= r + 1) }'
check "nothing fetched from elsewhere ($(jq -c '.requests | keys' <<<"$out"))" \
	test "$(jq -c '.requests | keys' <<<"$out")" = '["/dashboard","/dashboard/chart.min.js","/dashboard/data.json"]'

for c in answers limited latency sources; do
	check "canvas $c is not blank ($(canvas $c drawn) of $(canvas $c pixels) pixels drawn)" \
		test "$(canvas $c drawn)" -gt 0
done
check "answers/s chart shows the load (max $(canvas answers max)/s)" \
	awk -v m="$(canvas answers max)" 'BEGIN { exit !(m > 0) }'
check "rate-limited chart shows the limit at work (max $(canvas limited max)/s)" \
	awk -v m="$(canvas limited max)" 'BEGIN { exit !(m > 0) }'
# an XDP answer is stamped once (T3 = T2): the histogram is the socket
# path's, the handler's own time the kernel's BPF statistics'
check "processing-time histogram is the socket path's alone ($(canvas latency datasets) dataset)" \
	test "$(canvas latency datasets)" = 1
handler=$(jq -r '.state.xdpHandler // ""' <<<"$out")
check "the XDP handler's time is reported ($handler)" sh -c "echo '$handler' | grep -q '^XDP handler'"
check "sources chart has the upstream's offset and delay ($(canvas sources points) points)" \
	test "$(canvas sources points)" -gt 0
check "the load was answered by XDP (counter moved by $(( $(xdp_answered) - xdp_before )))" \
	test "$(xdp_answered)" -gt "$xdp_before"
check "a screenshot was taken (PNG)" sh -c "file '$SHOT' | grep -q 'PNG image'"
[ -n "${DASHBOARD_SCREENSHOT:-}" ] && cp "$SHOT" "$DASHBOARD_SCREENSHOT"
e2e_finish
