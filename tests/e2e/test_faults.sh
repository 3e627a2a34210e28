#!/usr/bin/env bash
# Fault injection, end to end: for each fault the daemon keeps serving or
# refuses clearly, never serves confident wrong time, and recovers by
# itself.  XDP counters say which path answered.
set -u
. "$(dirname "$0")/lib.sh"
LOAD="$E2E_ROOT/build/bench/ntp-load"
cleanup() {
	[ -n "${BLOCKER:-}" ] && { kill "$BLOCKER" 2>/dev/null; wait "$BLOCKER" 2>/dev/null; }
	e2e_cleanup_detached
}
trap cleanup EXIT
e2e_setup_net
in_srv ip route add 198.18.0.0/15 via $CLI4

FAST="--upstream-min-poll 0 --upstream-max-poll 0 --max-missed 2 -i $VETH_SRV --xdp-mode native"
# ntpdig's offset of the served time from this host's clock, in seconds
served_offset() { in_cli ntpdig -t 2 $SRV4 2>/dev/null | awk '{ print $4; exit }'; }
offset_near() {	# offset_near SECONDS: within 50 ms of it
	local o; o=$(served_offset)
	[ -n "$o" ] && awk -v o="$o" -v w="$1" 'BEGIN { d = o - w; exit !(d < 0.05 && d > -0.05) }'
}

# --- 1, 2. upstreams flapping, then all gone ----------------------------------
fake_upstream $CLI4 11123 -s 2; UP=$LAST_UP
if daemon_start $FAST -s $CLI4:11123; then
	check "synchronised to the upstream (stratum 3)" serves "li=0 stratum=3 "
	for round in 1 2 3; do
		kill "$UP"; wait "$UP" 2>/dev/null
		check "flap $round: upstream gone, no local stratum: unsynchronised (LI=3)" \
			serves "li=3 stratum=0 "
		fake_upstream $CLI4 11123 -s 2; UP=$LAST_UP
		check "flap $round: upstream back: synchronised again" serves "li=0 stratum=3 "
	done
	check "every flap was logged, not every poll" \
		test "$(grep -c 'unreachable after 2 missed polls' "$WORK/daemon.log")" = 3

	# --- 3. agent SIGKILL, then a new daemon takes over ----------------------
	kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=""
	check "SIGKILL: XDP keeps answering, unsynchronised once the state is stale" \
		serves "li=3 stratum=0 "
	if daemon_start $FAST -s $CLI4:11123 --replace; then
		check "a restarted daemon takes over the orphaned program in place" \
			grep -q "replaced the running xdp-ntpd program in place" "$WORK/daemon.log"
		check "  ... and serves synchronised time again" serves "li=0 stratum=3 "
	else
		not_ok "a daemon starts over the orphaned program"
	fi

	# --- 4. interface down and up: the attachment survives --------------------
	before=$(xdp_count answered ipv4)
	in_srv ip link set "$VETH_SRV" down
	in_srv ip link set "$VETH_SRV" up
	in_cli ip link set "$VETH_CLI" up
	check "link down/up: still served by XDP" serves "li=0 stratum=3 "
	check "  ... the XDP counter moved" test "$(xdp_count answered ipv4)" -gt "$before"

	# --- 4b. interface deleted and created again: XDP re-attached by itself --
	in_srv ip link del "$VETH_SRV"		# the veth pair goes, peer and all
	check "interface deleted: the daemon says so and keeps running" \
		wait_for 10 grep -q "$VETH_SRV: interface deleted" "$WORK/daemon.log"
	recreate_link() {
		ip link add "$VETH_SRV" netns "$NS_SRV" type veth peer name "$VETH_CLI" netns "$NS_CLI"
		in_srv ip addr add $SRV4/24 dev "$VETH_SRV"
		in_cli ip addr add $CLI4/24 dev "$VETH_CLI"
		in_srv ip addr add $SRV6/64 dev "$VETH_SRV" nodad
		in_cli ip addr add $CLI6/64 dev "$VETH_CLI" nodad
		in_srv ip link set "$VETH_SRV" up
		in_cli ip link set "$VETH_CLI" up
		in_cli ethtool -K "$VETH_CLI" tx off >/dev/null
		in_srv ethtool -K "$VETH_SRV" tx off >/dev/null
		in_cli ip link set dev "$VETH_CLI" xdpdrv obj "$PASS_OBJ" sec xdp
	}
	recreate_link
	SRV_MAC=$(in_srv cat /sys/class/net/"$VETH_SRV"/address)
	check "interface back: XDP attached again by the daemon itself" \
		wait_for 10 grep -q "$VETH_SRV: interface back (index [0-9]*): XDP attached again" "$WORK/daemon.log"
	check "  ... in native mode on the new interface" test "$(xdp_mode "$VETH_SRV")" = native
	before=$(xdp_count answered ipv4)
	fake_upstream $CLI4 11123 -s 2; UP=$LAST_UP	# its address went with the old link
	check "  ... and it serves synchronised time through XDP again" serves "li=0 stratum=3 "
	check "  ... counted by XDP (same maps: the counters carried on)" \
		test "$(xdp_count answered ipv4)" -gt "$before"

	# --- 8. the upstream's time steps by +2 s (as a host clock stepped back
	# by 2 s looks to the corrected model): the served time follows, and
	# meanwhile no answer claims to be synchronised with an error bound that
	# does not cover its actual error
	daemon_stop
	if daemon_start $FAST -s $CLI4:11123 --clock corrected; then
		check "corrected model: served time agrees with the host (and upstream)" \
			wait_for 25 offset_near 0
		kill "$UP"; wait "$UP" 2>/dev/null
		fake_upstream $CLI4 11123 -s 2 -o 2; UP=$LAST_UP
		check "after the +2 s step the served time follows the upstream" \
			wait_for 40 offset_near 2
		check "the step was not taken silently: it is logged" \
			grep -qE "time step: the served time moved \+(1\.99|2\.00)" "$WORK/daemon.log"
	else
		not_ok "daemon starts in the corrected clock model"
	fi
	daemon_stop
else
	not_ok "daemon starts with a flapping upstream"
fi
kill "$UP" 2>/dev/null; wait "$UP" 2>/dev/null

# --- 5. the metrics port is taken: refuse clearly, leave nothing behind -------
cat >"$WORK/block.py" <<'EOP'
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 9123)); s.listen(1)
print("listening", flush=True)
time.sleep(60)				# bounded; the test kills it first
EOP
nsenter --net="/run/netns/$NS_SRV" python3 "$WORK/block.py" >"$WORK/block.log" 2>&1 &
BLOCKER=$!
wait_for 5 grep -q listening "$WORK/block.log"
check "metrics port taken: the daemon exits non-zero naming the address" sh -c \
	"! nsenter --net=/run/netns/$NS_SRV $BIN -i $VETH_SRV --xdp-mode native --local-stratum 10 \
	   --metrics-listen 127.0.0.1:9123 >$WORK/taken.log 2>&1 &&
	 grep -q 'metrics: cannot listen on 127.0.0.1 port 9123' $WORK/taken.log"
check "  ... and leaves no XDP program behind" test "$(xdp_mode "$VETH_SRV")" = none
kill "$BLOCKER"; wait "$BLOCKER" 2>/dev/null; BLOCKER=""

# --- 6. no BPF filesystem mounted: the daemon mounts one -----------------------
# in a mount namespace of its own, where /sys/fs/bpf is unmounted
cat >"$WORK/nobpffs.sh" <<EOS
umount /sys/fs/bpf 2>/dev/null
mountpoint -q /sys/fs/bpf && exit 9
$BIN -i $VETH_SRV --xdp-mode native --local-stratum 10 --metrics-listen 127.0.0.1:9124 \
	>$WORK/nobpffs.log 2>&1 &
pid=\$!
i=0
until grep -q "serving on UDP port" $WORK/nobpffs.log || [ \$i -ge 150 ]; do sleep 0.1; i=\$((i + 1)); done
ip netns exec $NS_CLI ntpdig -t 2 $SRV4 >/dev/null
rc=\$?
kill \$pid
wait \$pid
exit \$rc
EOS
check "bpffs missing: the daemon mounts one, attaches XDP and answers" \
	in_srv_net unshare -m --propagation private sh "$WORK/nobpffs.sh"
check "  ... and says so" grep -q "mounted a BPF filesystem at /sys/fs/bpf" "$WORK/nobpffs.log"
check "  ... XDP native, pins in its own bpffs" grep -q "XDP attached in native mode" "$WORK/nobpffs.log"

# --- 7. a full rate-limit table: serving goes on, the table stays bounded ------
if daemon_start $FAST --local-stratum 10 --rate-limit 2/16 --rate-table-size 64; then
	in_cli "$LOAD" -i "$VETH_CLI" -m "$SRV_MAC" -d $SRV4 -s 198.18.0.0/15 -c 1000 -r 1000 -R 1000 \
		-f 2 -t 2 -T 20 >"$WORK/churn.md"
	read -r sent answered <<<"$(awk '/^total:/ { print $3, $5 }' "$WORK/churn.md")"
	# 1000 clients at 1/s each stay under 2/s: all answered, though only 64 fit
	check "1000 clients through a 64-entry table: all $sent answered ($answered)" \
		test "${answered:-0}" = "${sent:-x}"
	check "the table holds at most its 64 entries" \
		test "$(bpftool -j map dump pinned /sys/fs/bpf/xdp-ntpd/$VETH_SRV/ntpd_rate | jq length)" -le 64
	check "the daemon still answers a client afterwards" serves "li=0 stratum=10 "
	daemon_stop
else
	not_ok "daemon starts with a 64-entry rate table"
fi

# --- 8. the kernel refuses to send an answer: counted, not hidden -------------
# An nftables drop on the server's output makes sendmsg fail (EPERM): the
# request is counted answered (that is its outcome), so without a counter of
# its own nothing would show that a client went unanswered.
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode socket; then
	before=$(socket_answered_total)
	in_srv nft -f - <<'EON'
table inet xntp_fault {
	chain out { type filter hook output priority 0; udp sport 123 drop; }
}
EON
	check "with the answers dropped at output, ntpdig gets none" not in_cli ntpdig -t 1 $SRV4
	check "  ... the refused send is counted (xdp_ntpd_socket_send_errors_total)" \
		test "$(metric xdp_ntpd_socket_send_errors_total)" -ge 1
	check "  ... as many as the answers counted meanwhile" \
		test "$(metric xdp_ntpd_socket_send_errors_total)" -eq $(( $(socket_answered_total) - before ))
	in_srv nft delete table inet xntp_fault
	errors=$(metric xdp_ntpd_socket_send_errors_total)
	check "the rule gone, the next request is answered" serves "li=0 stratum=10 "
	check "  ... and no send error is added" test "$(metric xdp_ntpd_socket_send_errors_total)" = "$errors"
	daemon_stop
else
	not_ok "daemon starts in socket mode for the refused-send case"
fi
e2e_finish
