#!/usr/bin/env bash
# Restart without a gap (what the systemd unit does: --keep-attached
# --replace): SIGTERM leaves the XDP program answering from its pinned maps,
# the next daemon swaps its own program in over them in one netlink request,
# and a bounded stream of requests sent across the restart is answered in
# full, none of it unsynchronised.  Then --detach removes what is left.
set -u
. "$(dirname "$0")/lib.sh"
LOAD="$E2E_ROOT/build/bench/ntp-load"
trap e2e_cleanup_detached EXIT
e2e_setup_net
in_srv ip route add 198.18.0.0/15 via $CLI4
fake_upstream $CLI4 11123 -s 2

FLAGS="-i $VETH_SRV --xdp-mode native -s $CLI4:11123 --upstream-min-poll 0 --upstream-max-poll 0 --keep-attached --replace"
prog_id() { in_srv ip -j link show dev "$VETH_SRV" | jq -r '.[0].xdp.prog.id // empty'; }
synced() { served_matches "stratum=3 "; }

answered_above() { [ "$(xdp_answered)" -gt "$1" ]; }
refuses_outside() {
	local out
	! out=$(in_cli "$LOAD" -i "$VETH_CLI" -m "$SRV_MAC" -d 10.1.2.3 -s 198.18.0.0/15 -n 10 2>&1) &&
		grep -q 'outside the test ranges' <<<"$out"
}
detach_again_fails() {
	! in_srv_net "$BIN" --detach -i "$VETH_SRV" 2>"$WORK/detach.err" &&
		grep -q 'no xdp-ntpd program to detach' "$WORK/detach.err"
}

# the load generator itself: a short smoke so it cannot rot
check "ntp-load refuses a destination outside the test ranges" refuses_outside

if daemon_start $FLAGS && wait_for 30 synced; then
	id1=$(prog_id)
	before=$(xdp_answered)
	# 3000 requests over 3 s from 1024 clients; the restart happens inside
	in_cli "$LOAD" -i "$VETH_CLI" -m "$SRV_MAC" -d $SRV4 -s 198.18.0.0/15 -r 1000 -R 1000 \
		-f 2 -t 3 -n 3000 -T 20 >"$WORK/load.md" &
	load=$!
	wait_for 5 answered_above $((before + 200))	# the load is flowing: restart now
	daemon_stop
	check "SIGTERM with --keep-attached leaves the program attached" test "$(prog_id)" = "$id1"
	check "  ... and its maps pinned" test -e "/sys/fs/bpf/xdp-ntpd/$VETH_SRV/ntpd_counters"
	daemon_start $FLAGS
	check "the new daemon swaps its program in place" \
		grep -q "replaced the running xdp-ntpd program in place" "$WORK/daemon.log"
	check "  ... a new program id on the interface" sh -c "[ -n '$(prog_id)' ] && [ '$(prog_id)' != '$id1' ]"
	check "  ... and keeps serving the old state until its own is ready" \
		grep -q "serving the previous daemon's state (stratum 3)" "$WORK/daemon.log"
	# the stop, the gap and the swap all happened while the stream ran
	check "  ... all of it inside the request stream's window" kill -0 "$load"
	wait "$load"
	read -r sent answered <<<"$(awk '/^total:/ { print $3, $5 }' "$WORK/load.md")"
	check "all $sent requests sent across the restart were answered ($answered)" \
		test "${sent:-0}" -ge 2900 -a "${answered:-0}" -eq "${sent:-0}"
	check "none of them unsynchronised (XDP stale counter 0)" \
		test "$(xdp_count stale unsynchronised_reply)" = 0
	check "the counters went on from where they were (maps kept)" \
		test "$(xdp_answered)" -ge $((before + ${sent:-0}))
	daemon_stop
	check "xdp-ntpd --detach removes the program left attached" \
		in_srv_net "$BIN" --detach -i "$VETH_SRV"
	check "  ... nothing attached any more" test -z "$(prog_id)"
	check "  ... and the pins are gone" test ! -e "/sys/fs/bpf/xdp-ntpd/$VETH_SRV"
	check "a second --detach says there is nothing and exits 1" detach_again_fails
else
	not_ok "daemon starts with --keep-attached and synchronises"
fi
e2e_finish
