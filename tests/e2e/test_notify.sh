#!/usr/bin/env bash
# sd_notify (the unit is Type=notify): READY=1 only once the daemon answers,
# RELOADING=1 then READY=1 around SIGHUP, STOPPING=1 on SIGTERM, and a
# STATUS= line saying where the time comes from.  No systemd here: a
# listener on $NOTIFY_SOCKET stands in for it.
set -u
. "$(dirname "$0")/lib.sh"
trap e2e_cleanup EXIT
e2e_setup_net

cat >"$WORK/listen.py" <<'EOP'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)			# bounded: gives up after 30 s of silence
out = open(sys.argv[2], "a", buffering=1)
try:
    while True:
        for line in s.recv(4096).decode().splitlines():
            out.write(line + "\n")
except socket.timeout:
    pass
EOP
python3 "$WORK/listen.py" "$WORK/notify.sock" "$WORK/notify.txt" &
LISTENER=$!
wait_for 5 test -S "$WORK/notify.sock"
said() { grep -q "^$1" "$WORK/notify.txt" 2>/dev/null; }
lines_of() { grep -c "^$1" "$WORK/notify.txt" 2>/dev/null; }

printf 'local stratum 8\nratelimit off\n' >"$WORK/xdp-ntpd.conf"
if NOTIFY_SOCKET="$WORK/notify.sock" daemon_start -c "$WORK/xdp-ntpd.conf" -i "$VETH_SRV" --xdp-mode native; then
	check "READY=1 is sent" wait_for 10 said "READY=1"
	# READY=1 comes after "serving on UDP port" (daemon_start waited for that
	# line); so an answer right now must work
	check "  ... and the daemon answers when it is" sh -c "ip netns exec $NS_CLI ntpdig -t 2 $SRV4 | grep -q ' s8 '"
	check "STATUS= says where the time comes from" wait_for 10 said "STATUS=serving time from local, stratum 8"
	kill -HUP "$DAEMON_PID"
	check "SIGHUP: RELOADING=1" wait_for 10 said "RELOADING=1"
	check "  ... with MONOTONIC_USEC" wait_for 10 said "MONOTONIC_USEC="
	ready_twice() { [ "$(lines_of READY=1)" = 2 ]; }
	check "  ... then READY=1 again" wait_for 10 ready_twice
	# in that order: READY, RELOADING, READY
	check "  ... RELOADING=1 between the two READY=1" sh -c \
		"grep -nE '^(READY|RELOADING)=1' '$WORK/notify.txt' | cut -d: -f2 | tr '\n' ' ' |
		 grep -qx 'READY=1 RELOADING=1 READY=1 '"
	daemon_stop
	check "SIGTERM: STOPPING=1" wait_for 10 said "STOPPING=1"
else
	not_ok "daemon starts with NOTIFY_SOCKET set"
fi
kill "$LISTENER" 2>/dev/null; wait "$LISTENER" 2>/dev/null
e2e_finish
