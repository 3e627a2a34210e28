#!/usr/bin/env bash
# bench/ntp-load's NTS flags (-N, -K, -Z): each combination that cannot work exits 2
# before anything is sent, naming the flag and the problem (no network, no
# root needed: the flags are checked before any socket opens).
set -u
. "$(dirname "$0")/../e2e/lib.sh"
trap 'rm -rf "$WORK"' EXIT
LOAD="$E2E_ROOT/build/bench/ntp-load"
[ -x "$LOAD" ] || { echo "Bail out! $LOAD not built (make tests)"; exit 1; }
echo "1..11"
# a target in the test ranges; the interface is never reached
ARGS=(-i lo -m 02:00:00:00:00:01 -d 192.0.2.1 -s 198.18.0.0/16 -T 1 -n 10)
: >"$WORK/ca.pem"

# refused STATUS-AND-TEXT FLAGS...: exit 2 and the expected words on stderr
refused() {
	local want=$1; shift
	"$LOAD" "${ARGS[@]}" "$@" >"$WORK/out" 2>"$WORK/err"
	local rc=$?
	[ $rc -eq 2 ] && grep -qF -- "$want" "$WORK/err" && [ ! -s "$WORK/out" ] ||
		{ echo "rc=$rc"; cat "$WORK/err"; return 1; }
}
check "-N with a CA file that does not exist: named, exit 2" \
	refused "-N $WORK/none.pem: cannot read the CA file" -N "$WORK/none.pem"
check "-K without -N: exit 2" refused "-K 4460: the key exchange port needs -N" -K 4460
check "-K past 65535: exit 2" refused "-K 70000: not a TCP port" -N "$WORK/ca.pem" -K 70000
check "-K not a number: exit 2" refused "-K 44x: not a TCP port" -N "$WORK/ca.pem" -K 44x
check "-N with -X (answers counted in XDP cannot be verified): exit 2" \
	refused "-N with -X" -N "$WORK/ca.pem" -X
check "-N with -M (the malformed frames are plain NTP): exit 2" \
	refused "-N with -M" -N "$WORK/ca.pem" -M
check "-Z without -N (nothing to seal): exit 2" \
	refused "-Z 100: pre-sealed requests need -N CA.pem" -Z 100
check "-Z 0: exit 2" refused "-Z 0: not a count of requests (1-262144)" -N "$WORK/ca.pem" -Z 0
check "-Z past the most that can be kept: exit 2" \
	refused "-Z 262145: not a count of requests (1-262144)" -N "$WORK/ca.pem" -Z 262145
check "-Z not a number: exit 2" refused "-Z 1k: not a count of requests" -N "$WORK/ca.pem" -Z 1k
check "-Z with -M (the malformed frames are plain NTP): exit 2" \
	refused "-N with -M" -N "$WORK/ca.pem" -Z 100 -M
