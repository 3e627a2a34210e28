# shellcheck shell=bash
# TAP for the shell suites of tests/cli (sourced; tests/e2e have lib.sh):
#   ok DESC / not_ok DESC      one result line
#   skip DESC                  "ok N # SKIP DESC": counted, not failed
#   check DESC COMMAND...      one line from the command's exit status; its
#                              output is shown as diagnostics when it fails
#   expect STATUS DESC FRAGMENT ARGS...  run the daemon ($BIN ARGS): its exit
#                              status must be STATUS and its output (stdout and
#                              stderr) must contain FRAGMENT
#   require_bin                stop with one failed check when $BIN is not built
#   wait_for TIMEOUT_S CMD...  poll until CMD succeeds, at most TIMEOUT_S seconds
#   plan                       print "1..N" for the checks run; fails if any did
# tests/run.sh fails a suite whose plan differs from the checks it ran.
TAP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$TAP_ROOT/build/xdp-ntpd}"
TAP_RUN=0
TAP_FAILED=0

ok()     { TAP_RUN=$((TAP_RUN + 1)); echo "ok $TAP_RUN - $*"; }
not_ok() { TAP_RUN=$((TAP_RUN + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_RUN - $*"; }
skip()   { TAP_RUN=$((TAP_RUN + 1)); echo "ok $TAP_RUN # SKIP $*"; }

check() {
	local desc=$1 out; shift
	if out=$("$@" 2>&1); then
		ok "$desc"
	else
		not_ok "$desc"
		[ -n "$out" ] && sed 's/^/# /' <<<"$out" | tail -5
	fi
	return 0
}

expect() {
	local want_rc=$1 desc=$2 want=$3 out rc; shift 3
	out=$("$BIN" "$@" 2>&1); rc=$?
	if [ $rc -eq "$want_rc" ] && grep -qF -- "$want" <<<"$out"; then
		ok "$desc"
	else
		not_ok "$desc (status $rc, want $want_rc; output: $out)"
	fi
}

require_bin() {
	if [ ! -x "$BIN" ]; then
		not_ok "$BIN was not built"
		plan
		exit 1
	fi
}

plan() {
	echo "1..$TAP_RUN"
	[ "$TAP_FAILED" -eq 0 ]
}

# wait_for TIMEOUT_S COMMAND...: poll a condition, bounded, never a bare sleep
wait_for() {
	local deadline=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.01
	done
}
