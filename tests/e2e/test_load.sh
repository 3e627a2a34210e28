#!/usr/bin/env bash
# The load generator (bench/ntp-load), so it cannot rot: both ways of
# receiving answers (a packet socket; -X, an XDP counter on the client end)
# count exactly what the server's XDP counters say it answered, several
# sender threads do not answer twice, the client end's own program is put
# back, and a server answering in the wrong mode is counted invalid, not
# answered, by both.
set -u
. "$(dirname "$0")/lib.sh"
LOAD="$E2E_ROOT/build/bench/ntp-load"
trap e2e_cleanup EXIT
e2e_setup_net
in_srv ip route add 198.18.0.0/15 via $CLI4
in_srv ip -6 route add 2001:db8:1::/64 via $CLI6

client_prog() { in_cli ip -j link show dev "$VETH_CLI" | jq -r '.[0].xdp.prog.id // empty'; }
# load OUT ARGS...: a bounded run (every step 1 s, at most 20 s)
load() {
	local out=$1; shift
	in_cli "$LOAD" -i "$VETH_CLI" -m "$SRV_MAC" -f 2 -t 1 -T 20 "$@" >"$WORK/$out.md"
}
# totals OUT: "sent answered invalid duplicate"
totals() { awk '/^total:/ { print $3, $5, $7, $11 }' "$WORK/$1.md"; }
all_answered() {
	local sent answered invalid dup
	read -r sent answered invalid dup <<<"$(totals "$1")"
	[ "${sent:-0}" -eq "$2" ] && [ "${answered:-0}" -eq "$2" ] && [ "$invalid" = 0 ] && [ "$dup" = 0 ]
}

if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native; then
	pass_id=$(client_prog)
	before=$(xdp_answered)
	load socket4 -d $SRV4 -s 198.18.0.0/15 -r 600 -R 600 -n 600
	check "packet-socket receive: 600 of 600 answered, none invalid" all_answered socket4 600
	check "  ... and XDP counted exactly those 600" test "$(xdp_answered)" -eq $((before + 600))

	before=$(xdp_answered)
	load xdp4 -X -d $SRV4 -s 198.18.0.0/15 -r 600 -R 600 -n 600
	check "-X (XDP counter on the client end): 600 of 600 answered, none invalid" all_answered xdp4 600
	check "  ... XDP on the server counted the same 600" test "$(xdp_answered)" -eq $((before + 600))
	check "  ... and the client end's own program is back" test "$(client_prog)" = "$pass_id"

	load xdp6 -X -P 2 -d $SRV6 -s 2001:db8:1::/64 -r 2000 -R 2000 -n 2000
	check "-X -P 2 over IPv6: 2000 of 2000 answered, no answer counted twice" all_answered xdp6 2000
	daemon_stop
else
	not_ok "daemon starts in XDP native mode"
fi

# a broken server: answers every request, in mode 3
# directly, not through the in_srv function: $! must be the server itself
ip netns exec "$NS_SRV" "$FAKE" -a $SRV4 -p 11123 -m 3 -n 1000 -T 60 >"$WORK/broken.log" 2>&1 &
UP_PIDS+=($!)
if wait_for 5 grep -q listening "$WORK/broken.log"; then
	load broken-socket -d $SRV4 -p 11123 -s 198.18.0.0/15 -r 100 -R 100 -n 100
	check "packet-socket receive: mode 3 answers are invalid, not answered" \
		test "$(totals broken-socket | cut -d' ' -f2,3)" = "0 100"
	load broken-xdp -X -d $SRV4 -p 11123 -s 198.18.0.0/15 -r 100 -R 100 -n 100
	check "-X: mode 3 answers are invalid, not answered" \
		test "$(totals broken-xdp | cut -d' ' -f2,3)" = "0 100"
else
	not_ok "the broken server starts"
fi
e2e_finish
