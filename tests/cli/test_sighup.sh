#!/usr/bin/env bash
# SIGHUP, many times and once wrong, with --syslog:
#   - 1,000 reloads of a file full of string directives leave the daemon's
#     memory where it was: VmRSS after the last reload is within 2 MiB of
#     what it was after the first 50 (each reload parses 100 lines of
#     ~900-character paths: a copy kept per reload would grow it by ~85 MiB);
#   - a file with an error is rejected, and why (FILE:LINE: message) reaches
#     syslog as daemon.err, not only stderr; nothing goes to stderr at all.
# The daemon runs in socket mode in a network namespace of its own, with a
# private /dev whose /dev/log is our listener's socket (as test_logging.sh),
# so neither the host's network nor its logging sees any of it.
set -u
. "$(dirname "$0")/../tap.sh"
WORK=$(mktemp -d /tmp/xdp-ntpd-cli-sighup.XXXXXX)
SHELL_PID=""
cleanup() {
	local pid
	pid=$(cat "$WORK/daemon.pid" 2>/dev/null)
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	[ -n "$SHELL_PID" ] && wait "$SHELL_PID" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
require_bin

RELOADS=1000
WARMUP=50
RSS_BOUND_KB=2048

# 100 lines of a long, valid path: later lines override earlier ones
long=$(printf '/d%.0s' $(seq 1 450))
{
	echo "local stratum 9"
	echo "ratelimit off"
	for i in $(seq 1 100); do echo "driftfile $long/$i"; done
	echo "driftfile $WORK/drift"
} >"$WORK/xdp-ntpd.conf"

cat >"$WORK/listen.py" <<'EOP'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
s.settimeout(30)			# bounded: it ends once the daemon is quiet this long
out = open(sys.argv[1], "a", buffering=1)
try:
    while True:
        out.write(s.recv(8192).decode(errors="replace") + "\n")
except socket.timeout:
    pass
EOP
unshare -n -m --propagation private sh -c "
	ip link set lo up &&
	mount -t tmpfs tmpfs /dev &&
	python3 '$WORK/listen.py' '$WORK/syslog.txt' & lp=\$!
	i=0; while [ ! -S /dev/log ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done
	'$BIN' --syslog --xdp-mode socket -4 1 -6 1 -c '$WORK/xdp-ntpd.conf' \
		2>'$WORK/stderr.txt' & dp=\$!
	echo \$dp >'$WORK/daemon.pid'
	wait \$dp; echo \$? >'$WORK/daemon.rc'
	kill \$lp 2>/dev/null; wait \$lp 2>/dev/null" 2>/dev/null &
SHELL_PID=$!

reloads() { grep -c 'SIGHUP: .* reloaded' "$WORK/syslog.txt" 2>/dev/null; }
reloaded_at_least() { [ "$(reloads)" -ge "$1" ]; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

if ! wait_for 20 grep -q "serving on UDP port" "$WORK/syslog.txt"; then
	not_ok "the daemon starts with the file and logs to syslog"
	cat "$WORK/stderr.txt" "$WORK/syslog.txt" 2>/dev/null | sed 's/^/# /' | tail -5
	plan
	exit 1
fi
pid=$(cat "$WORK/daemon.pid")

# one SIGHUP at a time: the next only once the last is logged as done
# (signals sent faster would merge into fewer reloads)
sent=0
while [ $sent -lt $RELOADS ]; do
	kill -HUP "$pid" || break
	sent=$((sent + 1))
	wait_for 10 reloaded_at_least $sent || break
	[ $sent -eq $WARMUP ] && rss_warm=$(rss_kb "$pid")
done
rss_end=$(rss_kb "$pid")
check "$RELOADS SIGHUPs, each reloaded (logged $(reloads))" reloaded_at_least $RELOADS
growth=$(( ${rss_end:-0} - ${rss_warm:-0} ))
check "memory flat across them: VmRSS ${rss_warm:-?} kB after $WARMUP, ${rss_end:-?} kB after $RELOADS (growth $growth kB, bound $RSS_BOUND_KB)" \
	test -n "${rss_warm:-}" -a -n "${rss_end:-}" -a "$growth" -lt $RSS_BOUND_KB

# a mistake on the last line: rejected, and the reason logged as daemon.err
# (<27>: facility daemon 3 * 8 + priority err 3)
echo "bogus 1" >>"$WORK/xdp-ntpd.conf"
bad_line=$(wc -l <"$WORK/xdp-ntpd.conf")
kill -HUP "$pid"
check "a broken file is rejected, and that is logged as an error" \
	wait_for 10 grep -qE "^<27>.*SIGHUP: $WORK/xdp-ntpd.conf rejected, the running configuration is kept" \
	"$WORK/syslog.txt"
check "  ... with the reason, FILE:LINE, as an error in syslog" \
	grep -qE "^<27>.*xdp-ntpd\[$pid\]: $WORK/xdp-ntpd.conf:$bad_line: unknown directive 'bogus'" \
	"$WORK/syslog.txt"
check "  ... and the daemon is still running" kill -0 "$pid"

kill -TERM "$pid"
wait "$SHELL_PID"
SHELL_PID=""
check "it exits 0" test "$(cat "$WORK/daemon.rc")" = 0
check "nothing went to stderr" test ! -s "$WORK/stderr.txt"
plan
