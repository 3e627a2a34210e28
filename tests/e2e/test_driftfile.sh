#!/usr/bin/env bash
# The drift file: the corrected clock model's frequency is written once it
# is known and on stop, read back at start (so a restart does not begin
# from 0 ppm), and a broken file is refused with a message while the daemon
# still starts.  The upstream is a fake stratum 1 whose clock runs 50 ppm
# fast against the host's, so the frequency to expect is known.
set -u
. "$(dirname "$0")/lib.sh"

trap e2e_cleanup EXIT
e2e_setup_net

DRIFT="$WORK/drift"
FAST="--upstream-min-poll 0 --upstream-max-poll 0 --xdp-mode native -i $VETH_SRV --clock corrected"
# drift_near PPM: the file's frequency within 2 ppm of PPM, widened by three
# times the skew it writes beside it (what the estimate itself claims: a
# loaded host's delays bend a short fit by a few ppm, and say so)
drift_near() {
	echo "drift file: $(cat "$DRIFT" 2>&1)"
	awk -v want="$1" '{ d = $1 - want; if (d < 0) d = -d; exit !(NF == 2 && $2 >= 0 && d <= 2 + 3 * $2) }' "$DRIFT"
}

fake_upstream $CLI4 11123 -G -r 50; UP=$LAST_UP
if daemon_start $FAST --drift-file "$DRIFT" -s $CLI4:11123; then
	check "without a drift file the daemon says it starts from an unknown frequency" \
		grep -q "drift file $DRIFT: none yet" "$WORK/daemon.log"
	check "the drift file is written once the frequency is known" wait_for 40 test -s "$DRIFT"
	check "it holds the upstream's rate against ours: +50 ppm (to 2 ppm + 3 x its skew)" drift_near 50
	: >"$DRIFT"
	daemon_stop
	check "... and it is written again on stop (under the seccomp filter)" drift_near 50
	check "no temporary file is left beside it" test ! -e "$DRIFT.tmp"
else
	not_ok "daemon starts with --drift-file"
fi

# read before the start: the restarted daemon writes the file again itself
saved=$(awk '{ printf "%+.3f", $1 }' "$DRIFT")
if daemon_start $FAST --drift-file "$DRIFT" -s $CLI4:11123; then
	check "a restart starts from the saved frequency ($saved ppm)" \
		grep -qF "drift file $DRIFT: starting from $saved ppm" "$WORK/daemon.log"
	check "... and serves synchronised time" serves "li=0 stratum=2 "
	daemon_stop
fi

echo "12.5 garbage" >"$DRIFT"
if daemon_start $FAST --drift-file "$DRIFT" -s $CLI4:11123; then
	check "a broken drift file is named and refused, the daemon starts anyway" \
		grep -q "drift file $DRIFT: not two numbers" "$WORK/daemon.log"
	check "... from an unknown frequency, and still serves synchronised time" \
		serves "li=0 stratum=2 "
	daemon_stop
else
	not_ok "daemon starts with a broken drift file"
fi
stop_up() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
stop_up "$UP"
echo "1..$TESTS_RUN"
