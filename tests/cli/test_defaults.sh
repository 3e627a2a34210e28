#!/usr/bin/env bash
# The documented defaults, asserted literally (the numbers are written here,
# not read from the code), from the outside: --help; a daemon started with
# no flags at all in a namespace of its own (and a BPF filesystem of its
# own, so its pins under /sys/fs/bpf/xdp-ntpd/lo meet no one else's), seen
# through /metrics, GET /ratelimit and /status on 127.0.0.1:9978, bpftool,
# `ip link`, `ss` and its log.
set -u
. "$(dirname "$0")/../e2e/lib.sh"
NS="xntp-def-$TAG"
PID=""
cleanup() {
	[ -n "$PID" ] && { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }
	for p in "${UP_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# --- --help says them ----------------------------------------------------------
"$BIN" --help >"$WORK/help.txt"
helps() { grep -qF -- "$1" "$WORK/help.txt"; }
check "--help: metrics and API on 127.0.0.1:9978" helps "(default 127.0.0.1:9978)"
check "--help: rate 2/s, burst 16" helps "bucket size (default 2/16)"
check "--help: leak 1 in 2^2 (1 in 4)" helps "answer 1 in 2^N requests over the limit (default 2;"
check "--help: prefixes /32 and /64" helps "bits that name a client (default 32, 64)"
check "--help: rate table 65536 entries" helps "clients tracked (LRU, default 65536;"
check "--help: --max-age 10 s" helps "reference state older than this is stale (default 10)"
check "--help: --max-missed 8" helps "unreachable (default 8)"
check "--help: upstream 127.0.0.1:11123" helps "upstream server, repeatable (default 127.0.0.1:11123)"
check "--help: interface lo" helps "attach XDP to IFACE, repeatable (default lo)"

# --- a daemon with no flags ----------------------------------------------------
ip netns add "$NS"
ip -n "$NS" link set lo up
in_ns() { nsenter --net="/run/netns/$NS" "$@"; }
# exec all the way down (no shell function in between): $! is the daemon itself
nsenter --net="/run/netns/$NS" unshare -m --propagation private sh -c 'mount -t bpf bpf /sys/fs/bpf && exec "$0"' "$BIN" \
	>"$WORK/daemon.log" 2>&1 &
PID=$!
if ! wait_for 15 grep -q "serving on UDP port 123" "$WORK/daemon.log"; then
	not_ok "a daemon with no flags starts"; sed 's/^/# /' "$WORK/daemon.log"
	e2e_finish; exit 1
fi
ok "a daemon with no flags starts and serves on UDP port 123"
api() { in_ns curl -sf "http://127.0.0.1:9978$1"; }

check "metrics answer on 127.0.0.1:9978" sh -c \
	"nsenter --net=/run/netns/$NS curl -sf http://127.0.0.1:9978/metrics | grep -q '^xdp_ntpd_requests_total'"
check "  ... and the HTTP port listens on loopback only" sh -c \
	"nsenter --net=/run/netns/$NS ss -Hltn | awk '{ print \$4 }' | grep -qx '127.0.0.1:9978' &&
	 ! nsenter --net=/run/netns/$NS ss -Hltn | awk '{ print \$4 }' | grep -v '^127.0.0.1:' | grep -q ':9978\$'"

api /ratelimit >"$WORK/ratelimit.json"
rl() { [ "$(jq -c "$1" "$WORK/ratelimit.json")" = "$2" ]; }
check "GET /ratelimit: limits on" rl .enabled true
check "GET /ratelimit: rate 2 requests/s" rl .rate 2
check "GET /ratelimit: burst 16" rl .burst 16
check "GET /ratelimit: leak 2 (1 in 4 over the limit answered)" rl .leak 2
check "GET /ratelimit: IPv4 clients by /32" rl .prefix4 32
check "GET /ratelimit: IPv6 clients by /64" rl .prefix6 64
check "GET /ratelimit: table of 65536" rl .table_size 65536

# the kernel's view of our maps: the ids of the maps the daemon holds
# (/proc/PID/fdinfo), then bpftool on each
for f in /proc/$PID/fdinfo/*; do awk '$1 == "map_id:" { print $2 }' "$f"; done 2>/dev/null |
	sort -un | while read -r id; do bpftool -j map show id "$id"; echo; done |
	jq -s . >"$WORK/maps.json"
ours_map() { jq --arg n "$1" '[.[] | select(.name == $n)][0]' "$WORK/maps.json"; }
check "the daemon is the process we started (it holds its maps)" \
	test "$(jq length "$WORK/maps.json")" -gt 5
check "bpftool: the rate table (ntpd_rate) holds 65536 entries" \
	test "$(ours_map ntpd_rate | jq .max_entries)" = 65536
rodata_id=$(ours_map xdp_ntpd.rodata | jq .id)
bpftool -j map dump id "$rodata_id" >"$WORK/rodata.json" 2>&1
check "bpftool: the XDP program's --max-age is 10 s (10000000000 ns)" \
	test "$(jq '[.. | .max_state_age_ns? | select(. != null)][0]' "$WORK/rodata.json")" = 10000000000
check "bpftool: the program answers on port 123" \
	test "$(jq '[.. | .ntp_port? | select(. != null)][0]' "$WORK/rodata.json")" = $((123 << 8))

check "interface lo: XDP is attached to it" sh -c \
	"ip -n $NS -j link show lo | jq -e '.[0].xdp.prog.id // .[0].xdp.attached_prog.id // empty' >/dev/null"
check "  ... the log says so" grep -qE "^(xdp-ntpd: )?lo: XDP attached in (native|generic) mode" "$WORK/daemon.log"
check "UDP 0.0.0.0:123 and [::]:123 are bound" sh -c \
	"nsenter --net=/run/netns/$NS ss -Hulpn | grep -q '0.0.0.0:123 ' &&
	 nsenter --net=/run/netns/$NS ss -Hulpn | grep -q '\[::\]:123 '"

check "/status: one upstream, 127.0.0.1:11123" test \
	"$(api /status | jq -c '[.sources[].name]')" = '["127.0.0.1:11123"]'
check "--max-missed 8: nobody on 127.0.0.1:11123 is unreachable after 8 missed polls" \
	wait_for 60 grep -q "upstream 127.0.0.1: unreachable after 8 missed polls" "$WORK/daemon.log"
# an answer there is used: the default upstream really is that port
nsenter --net="/run/netns/$NS" "$FAKE" -a 127.0.0.1 -p 11123 -T 120 >"$WORK/fake.log" 2>&1 &
UP_PIDS+=($!)
wait_for 5 grep -q listening "$WORK/fake.log"
samples() { [ "$(api /status | jq '.sources[0].samples')" -gt 0 ]; }
check "  ... and a server started there gives it samples" wait_for 30 samples

kill -TERM "$PID"; wait "$PID"; rc=$?; PID=""
check "SIGTERM: exit status 0" test "$rc" = 0
e2e_finish
