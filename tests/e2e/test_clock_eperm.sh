#!/usr/bin/env bash
# The daemon under the filter systemd's ProtectClock=yes installs (every
# @clock call, read-only adjtimex included, fails with EPERM), with a local
# stratum and no reachable upstream, in socket mode and in XDP mode.  It
# cannot know the kernel's TAI offset, leap warning or synchronisation, so
# every answer must be unsynchronised (LI=3, refid INIT) or a correct
# stratum-10 one, never the uninitialised stratum 0 with LI=0; the log names
# the cause once; --clock auto does not take the failure for "synchronised".
set -u
. "$(dirname "$0")/lib.sh"
CLOCK_EPERM="$E2E_ROOT/build/tests/clock_eperm"
trap e2e_cleanup_detached EXIT

e2e_setup_net

INIT=73.78.73.84	# "INIT"
LOCL=76.79.67.76	# "LOCL"
# the upstream is an address in the client namespace nobody answers on
ARGS="--local-stratum 10 --upstream-min-poll 0 --upstream-max-poll 0 -s $CLI4:11123 -i $VETH_SRV"

# honest_answers N: N answers in a row, each unsynchronised with refid INIT
# or a correct stratum-10 one; any other (LI=0 with stratum 0) fails
honest_answers() {
	local i line
	for i in $(seq "$1"); do
		line=$(served) || { echo "no answer: $line"; return 1; }
		case "$line" in
		*" li=3 stratum=0 refid=$INIT "*) ;;
		*" li=0 stratum=10 refid=$LOCL "*) ;;
		*) echo "dishonest answer: $line"; return 1 ;;
		esac
	done
}
# replies_by PATH_FN: answered plus unsynchronised replies on that path
replies_by() { echo $(( $($1 answered ipv4) + $($1 stale unsynchronised_reply) )); }
# failures_at_least N: the daemon has failed to read the clock state N times
failures_at_least() {
	[ "$(metric 'xdp_ntpd_kernel_clock_errors_total{call="adjtimex"}')" -ge "$1" ] 2>/dev/null
}
eperm_logged_once() {
	test "$(grep -c 'kernel clock: cannot read the clock state: adjtimex: EPERM' "$WORK/daemon.log")" = 1
}

for mode in socket native; do
	if [ $mode = socket ]; then counter=socket_count; else counter=xdp_count; fi
	if DAEMON_WRAPPER="$CLOCK_EPERM" daemon_start $ARGS --xdp-mode $mode; then
		before=$(replies_by $counter)
		check "$mode: every answer is LI=3 refid INIT or a correct stratum 10" honest_answers 20
		check "  ... answered by the $mode path (its counters moved by 20)" \
			test "$(replies_by $counter)" -eq $((before + 20))
		check "  ... the log names the cause: EPERM from adjtimex" \
			grep -q 'kernel clock: cannot read the clock state: adjtimex: EPERM' "$WORK/daemon.log"
		check "  ... served_leap 3" test "$(metric xdp_ntpd_served_leap)" = 3
		check "  ... served_stratum 16" test "$(metric xdp_ntpd_served_stratum)" = 16
		check "  ... --clock auto does not pick the system model on an error, and says why" \
			grep -qE 'clock model: corrected \(.*adjtimex.*\)' "$WORK/daemon.log"
		check "  ... the failure is counted each time (three publications)" wait_for 10 failures_at_least 3
		check "  ... but logged once, not at each publication" eperm_logged_once
		daemon_stop
	else
		not_ok "$mode: daemon starts under the @clock EPERM filter"
	fi
done

# without the filter, the same command line serves the local stratum
if daemon_start $ARGS --xdp-mode native; then
	check "no filter: local stratum 10 served, LOCL" serves "li=0 stratum=10 refid=$LOCL "
	check "  ... no kernel clock error logged" sh -c "! grep -q 'adjtimex' '$WORK/daemon.log'"
	daemon_stop
else
	not_ok "daemon starts without the filter"
fi
e2e_finish
