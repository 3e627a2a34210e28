# shellcheck shell=bash
# Classic ntpd 4.2.8p15 (tests/tools/ntp-classic.sh) in the client namespace,
# for the tests that need a real broadcast client or symmetric peer.  It
# must never touch this machine's clock, which every namespace shares: each
# configuration gets `disable ntp` and `disable kernel` (no discipline), and
# ntpd runs without CAP_SYS_TIME in any capability set, so not even a
# mistake could step the clock.  Source after lib.sh; call ntpd_stop from
# the EXIT trap.

NTPD_PID=""
NTPC_ROOT=$(bash "$E2E_ROOT/tests/tools/ntp-classic.sh" 2>"$WORK/ntp-classic.err")
NTPC_RC=$?		# 0 ready, 2 not on this architecture, else broken

ntpc() {
	local prog=$1; shift
	in_cli env LD_LIBRARY_PATH="$NTPC_ROOT/usr/lib/x86_64-linux-gnu" "$NTPC_ROOT/$prog" "$@"
}
ntpq_c() { ntpc usr/bin/ntpq -n -c "$1" 127.0.0.1; }

# ntpc_unavailable N WHAT: when classic ntpd cannot run, N TAP lines for the
# checks that need it (skipped with the reason, or failed) and status 0
ntpc_unavailable() {
	local n=$1 what=$2 i
	[ "$NTPC_RC" -eq 0 ] && return 1
	if [ "$NTPC_RC" -eq 2 ]; then
		for i in $(seq "$n"); do ok "$what # SKIP $(head -1 "$WORK/ntp-classic.err")"; done
	else
		sed 's/^/# /' "$WORK/ntp-classic.err"
		for i in $(seq "$n"); do not_ok "$what: tests/tools/ntp-classic.sh failed"; done
	fi
}

# ntpd_start KEY_SECRET CONF_LINES: ntpd -n in the client namespace with those
# lines, the safety lines and key 5 (SHA1, 40 hex digits); its PID in NTPD_PID
ntpd_start() {
	local d=$WORK/ntpd
	rm -rf "$d" && mkdir -p "$d"
	echo "5 SHA1 $1" >"$d/keys" && chmod 600 "$d/keys"
	cat >"$d/ntp.conf" <<EOC
$2
keys $d/keys
trustedkey 5
disable ntp
disable kernel
driftfile $d/drift
statsdir $d/
logfile $d/log
EOC
	# not through in_cli: a function run with & is a subshell, and the PID
	# stopped must be ntpd's own
	ip netns exec "$NS_CLI" setpriv --bounding-set=-sys_time --inh-caps=-all \
		env LD_LIBRARY_PATH="$NTPC_ROOT/usr/lib/x86_64-linux-gnu" \
		"$NTPC_ROOT/usr/sbin/ntpd" -n -c "$d/ntp.conf" -p "$d/pid" >"$d/out" 2>&1 &
	NTPD_PID=$!
	wait_for 10 ntpq_c rv || { sed 's/^/# /' "$d/out"; return 1; }
}

ntpd_stop() {
	[ -n "$NTPD_PID" ] || return 0
	kill "$NTPD_PID" 2>/dev/null
	wait "$NTPD_PID" 2>/dev/null
	NTPD_PID=""
}

# ntpd_no_sys_time: CAP_SYS_TIME (bit 25) in none of ntpd's capability sets
ntpd_no_sys_time() {
	local set
	[ "$(cat /proc/"$NTPD_PID"/comm)" = ntpd ] || { echo "PID $NTPD_PID is not ntpd"; return 1; }
	for set in CapPrm CapEff CapBnd CapInh CapAmb; do
		(( 0x$(awk -v s="$set:" '$1 == s { print $2 }' /proc/"$NTPD_PID"/status) & (1 << 25) )) &&
			{ echo "$set has CAP_SYS_TIME"; return 1; }
	done
	return 0
}
