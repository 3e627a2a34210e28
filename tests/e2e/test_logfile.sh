#!/usr/bin/env bash
# --log-file and its rotation: the file is moved, then SIGUSR1 makes the
# daemon open the path again, once by hand (the daemon makes the new file)
# and once by logrotate with the package's snippet (debian/xdp-ntpd.logrotate,
# its path and user made this test's).  A stream of requests runs across
# the two rotations with every request logged (--log-requests far above
# the stream's rate); the request lines in the three files together are
# exactly the requests the stream sent and XDP answered: none lost, none
# twice.  The daemon runs as nobody, as the package's runs as its own user:
# the reopen happens after the privilege drop.  A path that cannot be
# reopened keeps the old file, which says why; the socket path's lines name
# the client's port; bad flags exit 2 naming the problem.
set -u
. "$(dirname "$0")/lib.sh"
trap e2e_cleanup EXIT
e2e_setup_net

LOGS="$WORK/logs"
LOG="$LOGS/ntp.log"
STREAM_N=400
SPORT=40123
chmod 0711 "$WORK"			# nobody reaches its directory below
mkdir "$LOGS" && chown nobody "$LOGS"

# logfile_daemon ARGS...: as lib.sh's daemon_start, but the log is the file
logfile_daemon() {
	nsenter --net="/run/netns/$NS_SRV" "$BIN" --metrics-listen 127.0.0.1:9123 -4 1 -6 1 \
		--rate-limit off --seccomp "${E2E_SECCOMP:-on}" --local-stratum 9 \
		--log-file "$LOG" "$@" >"$WORK/stderr.txt" 2>&1 &
	DAEMON_PID=$!
	wait_for 15 grep -q "serving on UDP port" "$LOG"
}
request_lines() { cat "$@" 2>/dev/null | grep -c "request: $CLI4:$SPORT v4 mode 3 -> answered/ipv4 (xdp)"; }
has_requests() { [ "$(request_lines "$1")" -ge "$2" ]; }
stream_done() { ! kill -0 "$STREAM_PID" 2>/dev/null; }

if logfile_daemon -i "$VETH_SRV" --xdp-mode native -u nobody --log-requests 100000; then
	check "start-up lines go to the file, stamped and tagged" \
		grep -qE "^20[0-9-]{8}T[0-9:.]{15}Z xdp-ntpd\[$DAEMON_PID\]: serving on UDP port 123" "$LOG"
	# one request every 10 ms for 4 s, from one port so every line is ours
	in_cli "$RAWCLIENT" -S -n $STREAM_N -w 10 -t 500 -P $SPORT -i "$VETH_CLI" -m "$SRV_MAC" \
		-s $CLI4 -d $SRV4 >"$WORK/stream.txt" &
	STREAM_PID=$!
	# rotation 1 by hand: moved, no new file made for it (the daemon makes it)
	wait_for 20 has_requests "$LOG" 50
	mv "$LOG" "$LOG.moved"
	kill -USR1 "$DAEMON_PID"
	check "rotation 1: the daemon, now nobody, opens the path again" \
		wait_for 10 grep -q "log file $LOG reopened" "$LOG"
	check "  ... requests are logged in the new file" wait_for 10 has_requests "$LOG" 1
	check "  ... the stream was still running then" kill -0 "$STREAM_PID"
	check "  ... the new file is nobody's: the daemon made it after the drop" \
		test "$(stat -c %U "$LOG")" = nobody
	# rotation 2 by logrotate, with the package's snippet (its path, user
	# and signal made this test's)
	sed -e "s|/var/log/xdp-ntpd/\*.log|$LOG|" -e "s|xdp-ntpd adm|nobody nogroup|g" \
		-e "s|systemctl kill .*xdp-ntpd.service|kill -USR1 $DAEMON_PID|" \
		"$E2E_ROOT/debian/xdp-ntpd.logrotate" >"$WORK/logrotate.conf"
	wait_for 20 has_requests "$LOG" 50
	check "rotation 2: logrotate -f with the package's snippet" \
		logrotate -f -s "$WORK/logrotate.state" "$WORK/logrotate.conf"
	check "  ... the daemon opens the path again" \
		wait_for 10 grep -q "log file $LOG reopened" "$LOG"
	check "  ... requests are logged in the new file" wait_for 10 has_requests "$LOG" 1
	check "  ... the stream was still running then" kill -0 "$STREAM_PID"
	check "  ... the rotated file left uncompressed (delaycompress), the new one 0640 nobody" \
		test -f "$LOG.1" -a "$(stat -c '%a %U' "$LOG")" = "640 nobody"
	wait_for 30 stream_done
	wait "$STREAM_PID"
	answered=$(grep -c '^sample' "$WORK/stream.txt")
	check "the stream of $STREAM_N was answered in full" test "$answered" = $STREAM_N
	check "XDP answered them (counter)" test "$(xdp_count answered ipv4)" -ge $STREAM_N
	check "the three files hold exactly one line per request ($(request_lines "$LOG" "$LOG".*))" \
		wait_for 10 sh -c "[ \$(cat '$LOG' '$LOG'.* | grep -c 'request: $CLI4:$SPORT v4 mode 3 -> answered/ipv4 (xdp)') = $STREAM_N ]"
	check "  ... each file some of them" sh -c "[ $(request_lines "$LOG.moved") -gt 0 -a $(request_lines "$LOG.1") -gt 0 -a $(request_lines "$LOG") -gt 0 ]"

	# a path that cannot be opened again: the old file stays in use and says why
	mv "$LOGS" "$WORK/logs.gone"
	kill -USR1 "$DAEMON_PID"
	check "an unreopenable path: the old file says why" \
		wait_for 10 grep -q "log file $LOG: cannot reopen (No such file or directory): still writing to the old file" "$WORK/logs.gone/ntp.log"
	in_cli "$RAWCLIENT" -P $SPORT -t 1000 -i "$VETH_CLI" -m "$SRV_MAC" -s $CLI4 -d $SRV4 >/dev/null
	check "  ... and keeps getting the lines" wait_for 10 has_requests "$WORK/logs.gone/ntp.log" 1
	mv "$WORK/logs.gone" "$LOGS"
	check "SIGTERM: exits 0" daemon_stop
	check "  ... its last line in the file" grep -q "shutting down" "$LOG"
	check "nothing went to stderr" test ! -s "$WORK/stderr.txt"
else
	not_ok "daemon starts with --log-file"
	sed 's/^/# /' "$WORK/stderr.txt" "$LOG" 2>/dev/null
fi

rm -f "$LOG"*
if logfile_daemon --xdp-mode socket --log-requests 100; then
	in_cli "$RAWCLIENT" -P $SPORT -t 1000 -i "$VETH_CLI" -m "$SRV_MAC" -s $CLI4 -d $SRV4 >/dev/null
	check "socket path: the line names the client's address and port, version, mode, outcome, path" \
		wait_for 10 grep -q "request: $CLI4:$SPORT v4 mode 3 -> answered/ipv4 (socket)" "$LOG"
	in_cli ntpdig -6 -t 2 "$SRV6" >/dev/null 2>&1
	check "  ... an IPv6 client as [ADDR]:PORT" \
		wait_for 10 grep -qE "request: \[$CLI6\]:[0-9]+ v4 mode 3 -> answered/ipv6 \(socket\)" "$LOG"
	check "  ... answered by the socket server (counter)" test "$(socket_count answered ipv4)" -ge 1
	daemon_stop
else
	not_ok "socket-mode daemon starts with --log-file"
	sed 's/^/# /' "$WORK/stderr.txt" "$LOG" 2>/dev/null
fi

in_srv_net timeout 10 "$BIN" --syslog --log-file "$LOG" --xdp-mode socket >"$WORK/both.txt" 2>&1
check "--syslog with --log-file: exit 2" test $? = 2
check "  ... saying to choose one" grep -q -- "--syslog and --log-file: choose one" "$WORK/both.txt"
in_srv_net timeout 10 "$BIN" --log-file "$WORK/no/such/dir/ntp.log" --xdp-mode socket >"$WORK/bad.txt" 2>&1
check "an unopenable --log-file: exit 2" test $? = 2
check "  ... naming the path and the cause" \
	grep -q -- "--log-file $WORK/no/such/dir/ntp.log: No such file or directory" "$WORK/bad.txt"
e2e_finish
