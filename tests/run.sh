#!/usr/bin/env bash
# Run every suite, in TAP, and end with the line CI reads: "N passed, N failed".
# Unit and BPF suites are cmocka binaries (TAP via CMOCKA_MESSAGE_OUTPUT);
# CLI and end-to-end suites are scripts printing TAP themselves.
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0
export CMOCKA_MESSAGE_OUTPUT=TAP

# run_suite NAME [--no-plan] COMMAND...: one suite's TAP.  A suite must say
# how many checks it has (a "1..N" plan; several for a suite of suites) and
# run exactly that many: one that dies half way, or runs none, fails.
# --no-plan for the composite suites below, which report a line per part.
run_suite() {
	local name=$1 out rc ok nok plan=1 planned; shift
	[ "$1" = --no-plan ] && { plan=""; shift; }
	echo "# suite: $name"
	out=$("$@" 2>&1)
	rc=$?
	echo "$out"
	ok=$(grep -c '^ok ' <<<"$out")
	nok=$(grep -c '^not ok ' <<<"$out")
	planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' <<<"$out" | awk '{ s += $1 } END { print s + 0 }')
	if [ -n "$plan" ] && { [ "$planned" -eq 0 ] || [ $((ok + nok)) -ne "$planned" ]; }; then
		echo "not ok - $name planned $planned checks and ran $((ok + nok))"
		nok=$((nok + 1))
	fi
	# a suite that dies or fails without saying which test failed still fails
	if [ $rc -ne 0 ] && [ "$nok" -eq 0 ]; then
		echo "not ok - $name exited with status $rc"
		nok=1
	fi
	passed=$((passed + ok))
	failed=$((failed + nok))
}

# every unit and BPF suite there is a source for
for t in $(ls tests/unit/test_*.c tests/bpf/test_*.c 2>/dev/null |
	   sed 's|tests/[a-z]*/\(.*\)\.c|build/tests/\1|'); do
	if [ -x "$t" ]; then
		run_suite "$(basename "$t")" "$t"
	else
		echo "not ok - $t was not built"
		failed=$((failed + 1))
	fi
done
for t in tests/cli/test_*.sh tests/e2e/test_*.sh; do
	run_suite "$t" bash "$t"
done

# The unit suites again under AddressSanitizer and UBSan, one check per
# suite (its checks were counted above: counting them again would count one
# behaviour twice), and every fuzz target over its seed corpus (which keeps
# the inputs of past crashes).
run_suite "sanitizers" --no-plan make -s sanitize
run_suite "fuzz corpus replay" --no-plan make -s fuzz-replay

# The verifier of Debian 12's stock kernel (6.1), booted under qemu (TCG:
# nested KVM is unreliable on these VMs).
run_suite "kernel 6.1 verifier" --no-plan bash -c \
	'QEMU_ACCEL=${QEMU_ACCEL:-tcg} tests/kernel/verify-6.1.sh >/tmp/xdp-ntpd-verify-6.1.log 2>&1 &&
	 echo "ok - XDP object loads and answers (XDP_TX) on Debian 12 kernel $(grep -o "KERNEL [^ ]*" /tmp/xdp-ntpd-verify-6.1.log | cut -d" " -f2)" ||
	 { tail -20 /tmp/xdp-ntpd-verify-6.1.log; echo "not ok - XDP object on Debian 12 kernel 6.1 (see above)"; }' 

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
