#!/usr/bin/env bash
# The upstream client against hostile or odd servers (tests/tools/ntp_fakeserver.c):
#  - every request from a fresh random source port with a random transmit
#    timestamp (RFC 9109): N distinct of N, as the server logged them;
#  - a spoofed kiss-o'-death (right address and port, wrong origin) is
#    ignored: counted as a bad response, the source still used;
#  - KoD RATE: the poll interval grows (4 -> 6, i.e. x4) in /status;
#  - KoD RSTR: the source is retired (state "denied");
#  - an upstream given by name is looked up again after --max-missed polls
#    without answer: the name is moved (in a hosts file of the daemon's own
#    mount namespace, so no DNS query is made, let alone leaves) and the
#    daemon follows it.
# The daemon runs in socket mode: nothing here is about XDP.
set -u
. "$(dirname "$0")/lib.sh"
trap e2e_cleanup EXIT
e2e_setup_net

status() { in_srv curl -sf http://127.0.0.1:9123/status; }
src() { status | jq -r --arg n "$1" ".sources[] | select(.name == \$n) | .$2"; }
src_is() { [ "$(src "$1" "$2")" = "$3" ]; }
src_above() { [ "$(src "$1" "$2")" -gt "$3" ] 2>/dev/null; }
bad_responses() {
	metric "xdp_ntpd_upstream_bad_responses_total{upstream=\"$1\"}"
}
bad_above() { [ "$(bad_responses "$1")" -gt "$2" ] 2>/dev/null; }
# a fake upstream on the server's loopback (polled every second), PID in LAST_UP
fake_local() {
	local port=$1; shift
	# no shell function before the &: $! must be the server itself
	nsenter --net="/run/netns/$NS_SRV" "$FAKE" -a 127.0.0.1 -p "$port" -T 300 "$@" \
		>"$WORK/fake-local-$port.log" 2>&1 &
	UP_PIDS+=($!)
	LAST_UP=$!
	wait_for 5 grep -q listening "$WORK/fake-local-$port.log"
}

N=8
fake_local 11141 -L
fake_upstream $CLI4 11142 -X
fake_upstream $CLI4 11143 -k RATE
fake_upstream $CLI4 11144 -k RSTR
if daemon_start --xdp-mode socket -i "$VETH_SRV" -s 127.0.0.1:11141 -s $CLI4:11142 \
	-s $CLI4:11143 -s $CLI4:11144; then
	# --- random port and transmit timestamp per request ----------------------
	requests() { [ "$(grep -c '^request ' "$WORK/fake-local-11141.log")" -ge $N ]; }
	check "the loopback upstream was asked $N times" wait_for 30 requests
	grep '^request ' "$WORK/fake-local-11141.log" | head -$N >"$WORK/requests"
	sed 's/^/# /' "$WORK/requests"
	check "  ... from $N distinct source ports" \
		test "$(sed 's/.*port=\([0-9]*\).*/\1/' "$WORK/requests" | sort -u | wc -l)" = $N
	check "  ... with $N distinct transmit timestamps" \
		test "$(sed 's/.*xmt=//' "$WORK/requests" | sort -u | wc -l)" = $N

	# --- a spoofed KoD DENY with a wrong origin ------------------------------
	up=$CLI4:11142
	check "spoofed KoD (wrong origin): counted as a bad response" \
		wait_for 30 bad_above $up 0
	check "  ... and the source is still used (samples from it)" wait_for 30 src_above $up samples 0
	check "  ... not retired: no DENY taken" src_is $up kod_deny 0
	check "  ... its state is not denied" not src_is $up state denied

	# --- KoD RATE: poll less often ----------------------------------------------
	up=$CLI4:11143
	check "KoD RATE: counted" wait_for 30 src_above $up kod_rate 0
	check "  ... poll 6 in /status: the default 2^4 s interval times 4" src_is $up poll 6
	check "  ... the log says so" grep -q "upstream $CLI4: kiss-o'-death RATE, polling every 64 s" \
		"$WORK/daemon.log"

	# --- KoD RSTR: retire it -----------------------------------------------------
	up=$CLI4:11144
	check "KoD RSTR: the source is retired (state denied)" wait_for 30 src_is $up state denied
	check "  ... counted as a DENY/RSTR kiss" src_is $up kod_deny 1
	check "  ... and never used" src_is $up samples 0
	daemon_stop
else
	not_ok "daemon starts with four fake upstreams"
fi

# --- a name looked up again after --max-missed polls --------------------------
in_cli ip addr add 192.0.2.3/24 dev "$VETH_CLI"
echo "192.0.2.2 ntp-upstream.test" >"$WORK/hosts"
fake_upstream $CLI4 11145; OLD=$LAST_UP
: >"$WORK/daemon.log"
# the hosts file bound over /etc/hosts in a mount namespace of the daemon's
# own; exec all the way down, so $! is the daemon
nsenter --net="/run/netns/$NS_SRV" unshare -m --propagation private \
	sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$WORK/hosts" \
	"$BIN" --metrics-listen 127.0.0.1:9123 -4 1 -6 0 --seccomp on --xdp-mode socket \
	-i "$VETH_SRV" -s ntp-upstream.test:11145 --upstream-min-poll 0 --upstream-max-poll 0 \
	--max-missed 2 >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!
if wait_for 15 grep -q "serving on UDP port" "$WORK/daemon.log"; then
	up=ntp-upstream.test:11145
	check "a name-given upstream: resolved from the hosts file and used" \
		wait_for 30 src_above $up samples 0
	# the name moves to 192.0.2.3 (same inode: the bind mount sees it) and the
	# old address stops answering
	echo "192.0.2.3 ntp-upstream.test" >"$WORK/hosts"
	kill "$OLD"; wait "$OLD" 2>/dev/null
	ip netns exec "$NS_CLI" "$FAKE" -a 192.0.2.3 -p 11145 -T 300 -L >"$WORK/fake-new.log" 2>&1 &
	UP_PIDS+=($!)
	wait_for 5 grep -q listening "$WORK/fake-new.log"
	check "  ... the old address goes unreachable after 2 missed polls" \
		wait_for 30 grep -q "upstream ntp-upstream.test: unreachable after 2 missed polls" \
		"$WORK/daemon.log"
	check "  ... then the name is looked up again: the new address is asked" \
		wait_for 30 grep -q "^request " "$WORK/fake-new.log"
	before=$(src $up samples)
	check "  ... and answers from it are used" wait_for 30 src_above $up samples "$before"
	daemon_stop
else
	not_ok "daemon starts with a name-given upstream"; sed 's/^/# /' "$WORK/daemon.log"
fi

e2e_finish
