#!/usr/bin/env bash
# Served time against truth, over veth, with real processes: seven scenarios
# of tests/e2e/time_truth_scenario.sh run side by side, each in its own
# namespaces, for TIME_TRUTH_SECONDS (default 600, the acceptance figure;
# developers shorten it, e.g. TIME_TRUTH_SECONDS=90).  The wall clock is one
# scenario's, about TIME_TRUTH_SECONDS + 40 s.
#
#   drift MODE PPM  a stratum-1 fake upstream whose clock runs PPM fast:
#                   |error| against truth, less each exchange's delay/2
#                   (median <= 50 us, max <= 250 us),
#                   every answer within its advertised bound, never LI=3
#   flap MODE       two chronyd upstreams and a 5 s falseticker: not one
#                   unsynchronised answer over IPv4 and IPv6, and only the
#                   falseticker ever called one
#   tight           our advertised bound <= 2 x chronyd's, same upstream
#
# Each scenario's TAP is renumbered into this one; its figures are comments.
set -u
DIR=$(cd "$(dirname "$0")" && pwd)
D=${TIME_TRUTH_SECONDS:-600}
OUT=$(mktemp -d /tmp/xdp-ntpd-time-truth.XXXXXX)
SCENARIOS=("drift native 20" "drift native -100" "drift socket 20" "drift socket -100"
	   "flap native" "flap socket" "tight")
PIDS=()

# Stop only the scenarios we started; each cleans up its own namespaces,
# processes and XDP attachments in its EXIT trap.
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

for i in "${!SCENARIOS[@]}"; do
	# bounded: the clients stop after D s; setup, sync and analysis get 300 s more
	timeout -s TERM $((D + 300)) bash "$DIR/time_truth_scenario.sh" ${SCENARIOS[$i]} \
		>"$OUT/$i.tap" 2>"$OUT/$i.err" &
	PIDS+=($!)
done

n=0
failed=0
for i in "${!SCENARIOS[@]}"; do
	wait "${PIDS[$i]}"
	rc=$?
	name=${SCENARIOS[$i]}
	echo "# scenario: $name"
	nok=0
	while IFS= read -r line; do
		case $line in
		"ok "*) n=$((n + 1)); echo "ok $n - $name: ${line#ok * - }" ;;
		"not ok "*) n=$((n + 1)); nok=$((nok + 1)); echo "not ok $n - $name: ${line#not ok * - }" ;;
		"#"*) echo "$line" ;;
		esac
	done <"$OUT/$i.tap"
	if [ $rc -ne 0 ] || ! grep -q '^1\.\.[0-9]' "$OUT/$i.tap"; then
		# a scenario that died without a plan fails, whatever it printed
		if [ "$nok" -eq 0 ]; then
			n=$((n + 1)); nok=1
			echo "not ok $n - $name: the scenario exited with status $rc"
		fi
		tail -5 "$OUT/$i.err" | sed 's/^/#   /'
	fi
	[ "$nok" -gt 0 ] && failed=$((failed + 1))
done
echo "1..$n"
[ "$failed" -eq 0 ]
