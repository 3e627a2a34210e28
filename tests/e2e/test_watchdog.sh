#!/usr/bin/env bash
# The watchdog, with the test hook XDP_NTPD_TEST_FAULT (docs/testing.md):
# the agent thread hanging with its lock held or leaving its loop, a socket
# worker leaving its loop, the publisher stalling.  After each fault every
# answer is LI=3 (counted by the path that answered), the metrics and the
# log name the thread; a name lookup that hangs stalls nobody.  A dead agent or worker is published as LI=3 by the
# publisher, before --max-age (the answers are fresh: the stale counter
# stays put); a stalled publisher is caught by the readers' freshness check.
set -u
. "$(dirname "$0")/lib.sh"
trap e2e_cleanup_detached EXIT
e2e_setup_net

LOST=76.79.83.84	# "LOST": served synchronised before, not now
# --max-age 6: the watchdog's bound is 4 s
ARGS="--local-stratum 10 --max-age 6 -i $VETH_SRV"

# with_fault FAULT ARGS...: daemon_start with the test hook armed
with_fault() {
	local fault=$1; shift
	export XDP_NTPD_TEST_FAULT=$fault
	daemon_start "$@"
	local rc=$?
	unset XDP_NTPD_TEST_FAULT
	return $rc
}
# all_answers PATTERN N: N answers in a row, each matching
all_answers() {
	local i line
	for i in $(seq "$2"); do
		line=$(served 2>&1)
		grep -q -- "$1" <<<"$line" || { echo "answer $i: $line"; return 1; }
	done
}
replies_by() { echo $(( $($1 answered ipv4) + $($1 stale unsynchronised_reply) )); }
# kill_stuck: a thread holding the agent's lock for good blocks a clean
# stop (agent_stop waits for the lock): SIGKILL our daemon, detach its program
kill_stuck() {
	kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=""
	in_srv_net "$BIN" --detach -i "$VETH_SRV" >/dev/null 2>&1
}

# --- 1. agent thread hangs holding its lock (XDP) ----------------------------
if with_fault agent-hang:3 $ARGS --xdp-mode native; then
	check "agent hang: answers turn LI=3, refid LOST" serves "li=3 stratum=0 refid=$LOST "
	before=$(xdp_answered); stale=$(xdp_count stale unsynchronised_reply)
	check "  ... every answer LI=3 LOST" all_answers "li=3 stratum=0 refid=$LOST " 10
	check "  ... answered by XDP (its counter moved by 10)" test "$(xdp_answered)" -eq $((before + 10))
	check "  ... from a fresh state the publisher published, before --max-age" \
		test "$(xdp_count stale unsynchronised_reply)" -eq "$stale"
	check "  ... metrics: the agent thread unhealthy, fired once" sh -c \
		"[ \"\$1\" = 0 ] && [ \"\$2\" = 1 ]" _ "$(metric 'xdp_ntpd_thread_healthy{thread="agent"}')" \
		"$(metric 'xdp_ntpd_watchdog_fired_total{thread="agent"}')"
	check "  ... the other threads healthy" sh -c "[ \"\$1\" = 1 ] && [ \"\$2\" = 1 ]" _ \
		"$(metric 'xdp_ntpd_thread_healthy{thread="publisher"}')" \
		"$(metric 'xdp_ntpd_thread_healthy{thread="socket"}')"
	check "  ... the log names the agent thread" \
		grep -q "watchdog: the agent thread has not run for" "$WORK/daemon.log"
	check "  ... and what is served" grep -q "serving time from: unsynchronised: the agent thread is dead or stuck" "$WORK/daemon.log"
	kill_stuck
else
	not_ok "daemon starts with the agent-hang hook"
fi

# --- 2. agent thread leaves its loop (socket mode) ----------------------------
if with_fault agent-exit:2 $ARGS --xdp-mode socket; then
	check "agent exit: answers turn LI=3, refid LOST" serves "li=3 stratum=0 refid=$LOST "
	before=$(replies_by socket_count); stale=$(socket_count stale unsynchronised_reply)
	check "  ... every answer LI=3 LOST" all_answers "li=3 stratum=0 refid=$LOST " 10
	check "  ... answered by the socket server (its counters moved by 10)" \
		test "$(replies_by socket_count)" -eq $((before + 10))
	check "  ... from a fresh state, before --max-age" \
		test "$(socket_count stale unsynchronised_reply)" -eq "$stale"
	check "  ... metrics: the agent thread unhealthy" \
		test "$(metric 'xdp_ntpd_thread_healthy{thread="agent"}')" = 0
	check "  ... the log says the agent thread stopped, and the watchdog saw it" sh -c \
		"grep -q 'agent: test hook: the agent thread stops' '$WORK/daemon.log' &&
		 grep -q 'watchdog: the agent thread has not run for' '$WORK/daemon.log'"
	check "  ... SIGTERM still stops it cleanly" daemon_stop
else
	not_ok "daemon starts with the agent-exit hook"
fi

# --- 3. a socket worker leaves its loop (XDP) ---------------------------------
if with_fault socket-exit:2 $ARGS --xdp-mode native; then
	check "socket worker exit: XDP answers turn LI=3, refid LOST" serves "li=3 stratum=0 refid=$LOST "
	before=$(xdp_answered)
	check "  ... every answer LI=3 LOST" all_answers "li=3 stratum=0 refid=$LOST " 10
	check "  ... answered by XDP (its counter moved by 10)" test "$(xdp_answered)" -eq $((before + 10))
	check "  ... metrics: a socket worker unhealthy, the agent healthy" sh -c \
		"[ \"\$1\" = 0 ] && [ \"\$2\" = 1 ]" _ "$(metric 'xdp_ntpd_thread_healthy{thread="socket"}')" \
		"$(metric 'xdp_ntpd_thread_healthy{thread="agent"}')"
	check "  ... the log names the worker" \
		grep -q "watchdog: the socket thread (worker 0) has not run for" "$WORK/daemon.log"
	check "  ... SIGTERM still stops it cleanly" daemon_stop
else
	not_ok "daemon starts with the socket-exit hook"
fi

# --- 4. the publisher stalls (XDP): the readers' freshness check -------------
if with_fault publisher-stall:3 $ARGS --xdp-mode native; then
	check "publisher stall: answers turn LI=3 once the state is older than --max-age" \
		serves "li=3 stratum=0 "
	stale=$(xdp_count stale unsynchronised_reply)
	check "  ... every answer LI=3" all_answers "li=3 stratum=0 " 10
	check "  ... each one XDP's stale answer (its stale counter moved by 10)" \
		test "$(xdp_count stale unsynchronised_reply)" -eq $((stale + 10))
	check "  ... metrics: the publisher unhealthy" \
		test "$(metric 'xdp_ntpd_thread_healthy{thread="publisher"}')" = 0
	check "  ... the log names the publisher" \
		grep -q "watchdog: the publisher thread (main) has not run for" "$WORK/daemon.log"
	check "  ... SIGTERM still stops it cleanly" daemon_stop
else
	not_ok "daemon starts with the publisher-stall hook"
fi

# --- 5. a name lookup that hangs (a dead DNS server): resolved by the
# resolver thread, so neither the publisher (which needs the agent's lock
# every second) nor the agent thread (which the watchdog watches) waits on it
# An upstream given by name (localhost: /etc/hosts, no DNS query leaves the
# namespace) that does not answer: after --max-missed polls its address is
# looked up again, and with the hook that lookup takes 10 s.
if with_fault slow-lookup:2 $ARGS --xdp-mode native --upstream-min-poll 0 --upstream-max-poll 0 \
	--max-missed 2 -s localhost:11140; then
	check "slow lookup: the hook's lookup has begun" \
		wait_for 20 grep -q "test hook: looking up localhost takes" "$WORK/daemon.log"
	# a paced client across longer than --max-age (6 s) while the lookup hangs
	paced_local() {
		local i line
		for i in $(seq 8); do
			line=$(served 2>&1)
			grep -q -- "li=0 stratum=10 " <<<"$line" || { echo "answer $i: $line"; return 1; }
			sleep 1
		done
	}
	check "  ... every answer meanwhile still the fresh local reference (LI=0, stratum 10)" paced_local
	check "  ... the agent thread stayed healthy" \
		test "$(metric 'xdp_ntpd_thread_healthy{thread="agent"}')" = 1
	check "  ... and no watchdog or lock timeout was logged" \
		sh -c "! grep -qE 'watchdog: the agent|agent not responding' '$WORK/daemon.log'"
	check "  ... SIGTERM still stops it (after the lookup returns)" daemon_stop
else
	not_ok "daemon starts with the slow-lookup hook"
fi

check "a malformed hook is refused at start, before serving" sh -c \
	"XDP_NTPD_TEST_FAULT=agent-hang nsenter --net=/run/netns/$NS_SRV timeout 10 $BIN --xdp-mode socket \
	   --local-stratum 10 >$WORK/badhook.log 2>&1; [ \$? = 2 ] && grep -q 'want NAME:SECONDS' $WORK/badhook.log"
e2e_finish
