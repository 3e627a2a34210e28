#!/usr/bin/env bash
# SIGHUP re-reads the config file: new limits and lists apply without
# detaching XDP; a broken file is rejected and the running config kept.
set -u
. "$(dirname "$0")/lib.sh"
CLI4_B=192.0.2.3
trap e2e_cleanup EXIT
e2e_setup_net

raw() { in_cli "$RAWCLIENT" -i "$VETH_CLI" -m "$SRV_MAC" -s $CLI4 -d $SRV4 -t 300 >/dev/null 2>&1; }
prog_id() { ip -n "$NS_SRV" -d link show "$VETH_SRV" | awk '/prog\/xdp/ { print $3 }'; }
logged() { grep -q "$1" "$WORK/daemon.log"; }

printf 'local stratum 10\nratelimit off\n' >"$WORK/xdp-ntpd.conf"
if daemon_start -c "$WORK/xdp-ntpd.conf" -i "$VETH_SRV" --xdp-mode native; then
	id_before=$(prog_id)
	check "served before the reload" raw
	printf 'local stratum 10\nratelimit off\ndeny 192.0.2.0/24\n' >"$WORK/xdp-ntpd.conf"
	kill -HUP "$DAEMON_PID"
	check "reload logged" wait_for 10 logged "SIGHUP: .* reloaded"
	check "the new deny entry applies" not raw
	check "counted as denied" test "$(xdp_count denied dropped)" -ge 1
	check "XDP stayed attached: same program" sh -c '[ -n "$1" ] && [ "$1" = "$2" ]' _ "$(prog_id)" "$id_before"
	printf 'local stratum 10\nbogus directive\n' >"$WORK/xdp-ntpd.conf"
	kill -HUP "$DAEMON_PID"
	check "a broken file is rejected" wait_for 10 logged "rejected, the running configuration is kept"
	denied=$(xdp_count denied dropped)
	check "and the running config stays (still denied)" not raw
	# no answer from a dead daemon proves nothing: XDP counted the denial
	check "  ... denied by XDP, not unanswered for another reason" \
		test "$(xdp_count denied dropped)" -eq $((denied + 1))
	printf 'local stratum 10\nratelimit off\n' >"$WORK/xdp-ntpd.conf"
	kill -HUP "$DAEMON_PID"
	check "removing the entry serves the client again" wait_for 10 raw
	daemon_stop
else
	not_ok "daemon starts with -c"
fi

# upstreams change on SIGHUP too: the served refid follows the file
in_cli ip addr add $CLI4_B/24 dev "$VETH_CLI"
for a in $CLI4 $CLI4_B; do fake_upstream $a 11123 -s 2; done
answer_has() { in_cli "$RAWCLIENT" -u -i "$VETH_CLI" -m "$SRV_MAC" -s $CLI4 -d $SRV4 -t 300 2>/dev/null | grep -q -- "$1"; }
conf() { printf 'server %s port 11123\nupstream-min-poll 0\nupstream-max-poll 0\nmax-missed 2\nratelimit off\n' "$1" >"$WORK/xdp-ntpd.conf"; }
conf $CLI4
if daemon_start -c "$WORK/xdp-ntpd.conf" -i "$VETH_SRV" --xdp-mode native; then
	id_before=$(prog_id)
	check "served from the file's upstream (refid $CLI4)" wait_for 25 answer_has "refid=$CLI4 "
	conf $CLI4_B
	kill -HUP "$DAEMON_PID"
	check "after SIGHUP the new upstream is served (refid $CLI4_B)" wait_for 25 answer_has "refid=$CLI4_B "
	check "XDP stayed attached across the upstream change" test "$(prog_id)" = "$id_before"
	# answers go on through reloads: a bounded stream, two SIGHUPs inside it
	in_srv ip route add 198.18.0.0/15 via $CLI4
	in_cli "$E2E_ROOT/build/bench/ntp-load" -i "$VETH_CLI" -m "$SRV_MAC" -d $SRV4 -s 198.18.0.0/15 \
		-r 1000 -R 1000 -f 2 -t 3 -T 20 >"$WORK/load.md" &
	load=$!
	reloads=$(grep -c "SIGHUP: .* reloaded" "$WORK/daemon.log")
	reloaded_more() { [ "$(grep -c 'SIGHUP: .* reloaded' "$WORK/daemon.log")" -gt "$reloads" ]; }
	kill -HUP "$DAEMON_PID"
	wait_for 10 reloaded_more
	conf $CLI4
	reloads=$(grep -c "SIGHUP: .* reloaded" "$WORK/daemon.log")
	kill -HUP "$DAEMON_PID"
	wait_for 10 reloaded_more
	# both reloads done while the stream still runs: inside its window
	check "both SIGHUPs were taken while the request stream was running" kill -0 "$load"
	wait "$load"
	read -r sent answered <<<"$(awk '/^total:/ { print $3, $5 }' "$WORK/load.md")"
	check "$sent requests sent across two reloads, all answered ($answered)" \
		test "${sent:-0}" -ge 2900 -a "${answered:-0}" = "${sent:-0}"
	daemon_stop
else
	not_ok "daemon starts with -c and a server line"
fi
e2e_finish
