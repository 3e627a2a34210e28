#!/usr/bin/env bash
# The request log and the processing-time histogram, end to end: a burst of
# 10,000 requests from 1024 clients through XDP logs no more lines than the
# cap allows (RATE a second, burst RATE), every one of them is accounted for
# (logged + held back + lost = sent), the lines name the client and the
# outcome; XDP answers have no processing-time histogram (one stamp each),
# the kernel's run-time statistics time the handler; the socket path's
# histogram counts exactly its answers.
set -u
. "$(dirname "$0")/lib.sh"
LOAD="$E2E_ROOT/build/bench/ntp-load"
RATE=20
STATS_PID=""
cleanup() {
	[ -n "$STATS_PID" ] && { kill "$STATS_PID" 2>/dev/null; wait "$STATS_PID" 2>/dev/null; }
	e2e_cleanup
}
trap cleanup EXIT
# Holds the kernel's BPF run-time statistics on (bpf(BPF_ENABLE_STATS),
# counted per holder, released with the fd) for at most 60 s.
STATS_HOLDER='
import ctypes, os, platform, sys, time
nr = {"x86_64": 321, "aarch64": 280}[platform.machine()]
attr = ctypes.create_string_buffer(8)          # enable_stats.type = BPF_STATS_RUN_TIME (0)
fd = ctypes.CDLL(None, use_errno=True).syscall(nr, 32, attr, 8)   # BPF_ENABLE_STATS
if fd < 0:
    sys.exit("BPF_ENABLE_STATS: " + os.strerror(ctypes.get_errno()))
print("on", flush=True)
time.sleep(60)
'
e2e_setup_net
in_srv ip route add 198.18.0.0/15 via $CLI4

lines() { grep -c "request: $1" "$WORK/daemon.log"; }
events() { metric "xdp_ntpd_request_log_events_total{result=\"$1\"}"; }
hist_count() { metric "xdp_ntpd_request_processing_seconds_count{path=\"$1\",interface=\"$2\"}"; }
accounted() { [ "$(( $(events logged) + $(events suppressed) + $(events lost) ))" -ge "$1" ]; }

if daemon_start --local-stratum 9 -i "$VETH_SRV" --xdp-mode native --log-requests $RATE; then
	t0=$(date +%s.%N)
	in_cli "$LOAD" -i "$VETH_CLI" -m "$SRV_MAC" -d $SRV4 -s 198.18.0.0/15 -r 5000 -R 5000 -f 2 \
		-t 2 -n 10000 -T 20 >"$WORK/load.md"
	read -r sent answered <<<"$(awk '/^total:/ { print $3, $5 }' "$WORK/load.md")"
	check "the burst of $sent requests was answered in full" test "$answered" = "$sent" -a "$sent" -ge 9900
	check "every request reached the log's accounting" wait_for 10 accounted "$sent"
	t1=$(date +%s.%N)
	logged=$(lines "198\.18\.")
	# the token bucket's bound over the time the burst could have been logged in
	cap=$(awk -v a="$t0" -v b="$t1" -v r=$RATE 'BEGIN { printf "%d", r + r * (b - a) + 1 }')
	check "logged $logged lines, within the cap of $cap for $RATE lines/s" test "$logged" -le "$cap"
	check "  ... and at least the burst allowance" test "$logged" -ge $RATE
	check "logged + held back + lost = sent" \
		test "$(( $(events logged) + $(events suppressed) + $(events lost) ))" = "$sent"
	check "the log says how many it held back" grep -q "requests not logged (over $RATE lines/s)" "$WORK/daemon.log"
	check "lines name the client and its port, version, mode, outcome and path" \
		grep -qE "request: 198\.18\.[0-9]+\.[0-9]+:[0-9]+ v4 mode 3 -> answered/ipv4 \(xdp\)" "$WORK/daemon.log"
	# an XDP answer is stamped once (T3 = T2): no histogram of its own;
	# the handler's time is the kernel's run-time statistics', on while
	# the holder below keeps a BPF_ENABLE_STATS fd open (the sysctl is
	# the machine's, and other users may be reading it)
	check "no processing-time histogram for XDP answers (stamped once)" \
		test -z "$(hist_count xdp_native "$VETH_SRV")"
	runs0=$(metric "xdp_ntpd_xdp_run_count_total{interface=\"$VETH_SRV\"}")
	time0=$(metric "xdp_ntpd_xdp_run_time_seconds_total{interface=\"$VETH_SRV\"}")
	python3 -c "$STATS_HOLDER" >"$WORK/stats-holder" 2>&1 &
	STATS_PID=$!
	wait_for 10 grep -q on "$WORK/stats-holder"
	in_cli "$LOAD" -i "$VETH_CLI" -m "$SRV_MAC" -d $SRV4 -s 198.18.0.0/15 -r 1000 -R 1000 -f 2 \
		-t 1 -n 2000 -T 20 >"$WORK/load2.md"
	kill "$STATS_PID"; wait "$STATS_PID" 2>/dev/null; STATS_PID=""
	answered2=$(awk '/^total:/ { print $5 }' "$WORK/load2.md")
	runs1=$(metric "xdp_ntpd_xdp_run_count_total{interface=\"$VETH_SRV\"}")
	time1=$(metric "xdp_ntpd_xdp_run_time_seconds_total{interface=\"$VETH_SRV\"}")
	check "the handler's runs while the statistics were on: $((runs1 - runs0)) for $answered2 answers" \
		test "$((runs1 - runs0))" -ge "${answered2:-1}" -a "${answered2:-0}" -gt 0
	check "  ... and their time ($time0 -> $time1 s)" awk -v a="$time0" -v b="$time1" 'BEGIN { exit !(b > a) }'
	daemon_stop
else
	not_ok "daemon starts with --log-requests"
fi

if daemon_start --local-stratum 9 --xdp-mode socket --log-requests $RATE; then
	for i in 1 2 3; do in_cli ntpdig -t 2 $SRV4 >/dev/null 2>&1; done
	check "socket path: the requests are logged as such" wait_for 10 sh -c \
		"[ \$(grep -c 'request: $CLI4:[0-9]* v4 mode 3 -> answered/ipv4 (socket)' '$WORK/daemon.log') = 3 ]"
	check "socket path: histogram _count equals the socket answers" \
		test "$(hist_count socket "")" = "$(socket_count answered ipv4)"
	daemon_stop
else
	not_ok "socket-mode daemon starts with --log-requests"
fi
e2e_finish
