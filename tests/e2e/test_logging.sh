#!/usr/bin/env bash
# --syslog: messages go to /dev/log (facility daemon, tagged xdp-ntpd[PID]),
# not to stderr.  The daemon runs in a private mount namespace whose /dev is
# a tmpfs holding only our listener's socket, so the host's logging is
# untouched whether or not it has a syslog daemon.
set -u
. "$(dirname "$0")/lib.sh"
trap e2e_cleanup EXIT
e2e_setup_net

cat >"$WORK/listen.py" <<'EOP'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
s.settimeout(20)			# bounded: the test gives up after this
out = open(sys.argv[1], "a", buffering=1)
try:
    while True:
        out.write(s.recv(4096).decode(errors="replace") + "\n")
except socket.timeout:
    pass
EOP
# listener and daemon share the mount namespace; the daemon stops on SIGTERM
# from the namespace's shell, which then lets the listener time out
in_srv_net unshare -m --propagation private sh -c "
	mount -t tmpfs tmpfs /dev &&
	python3 '$WORK/listen.py' '$WORK/syslog.txt' & lp=\$!
	i=0; while [ ! -S /dev/log ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done
	'$BIN' --syslog --xdp-mode socket -4 1 -6 1 --local-stratum 9 --rate-limit off \
		--metrics-listen 127.0.0.1:9123 2>'$WORK/stderr.txt' & dp=\$!
	echo \$dp >'$WORK/daemon.pid'
	wait \$dp; echo \$? >'$WORK/daemon.rc'
	kill \$lp 2>/dev/null; wait \$lp 2>/dev/null" 2>/dev/null &
SHELL_PID=$!
logged() { grep -q "$1" "$WORK/syslog.txt" 2>/dev/null; }
if wait_for 20 logged "serving on UDP port"; then
	pid=$(cat "$WORK/daemon.pid")
	check "start-up reaches syslog as daemon.info, tagged xdp-ntpd[PID]" \
		grep -qE "^<30>.*xdp-ntpd\[$pid\]: serving on UDP port 123" "$WORK/syslog.txt"
	check "answers while logging there" sh -c "ip netns exec $NS_CLI ntpdig -t 2 $SRV4 | grep -q ' s9 '"
	kill -TERM "$pid"
	wait "$SHELL_PID"
	check "shutdown is logged there too" grep -q "shutting down" "$WORK/syslog.txt"
	check "it exits 0" test "$(cat "$WORK/daemon.rc")" = 0
	check "nothing went to stderr" test ! -s "$WORK/stderr.txt"
else
	not_ok "daemon logs its start to syslog"
	cat "$WORK/stderr.txt" "$WORK/syslog.txt" 2>/dev/null | sed 's/^/# /'
	kill "$SHELL_PID" 2>/dev/null
fi
e2e_finish
