# shellcheck shell=bash
# Helpers for the end-to-end tests: TAP output, two namespaces joined by a
# veth pair, the daemon started and stopped by PID.  Everything created here
# is removed by e2e_cleanup, which the tests install as an EXIT trap.

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN="$E2E_ROOT/build/xdp-ntpd"
RAWCLIENT="$E2E_ROOT/build/tests/ntp_rawclient"
PASS_OBJ="$E2E_ROOT/build/xdp_pass.bpf.o"
FAKE="$E2E_ROOT/build/tests/ntp_fakeserver"

TAG="x$$"
NS_SRV="xntp-srv-$TAG"
NS_CLI="xntp-cli-$TAG"
VETH_SRV="vs$TAG"		# interface names are at most 15 bytes
VETH_CLI="vc$TAG"
SRV4=192.0.2.1
CLI4=192.0.2.2
SRV6=2001:db8::1
CLI6=2001:db8::2
WORK=$(mktemp -d /tmp/xdp-ntpd-e2e.XXXXXX)
DAEMON_PID=""
UP_PIDS=()		# upstreams started by fake_upstream (and tests), stopped by e2e_cleanup
TESTS_RUN=0

ok()     { TESTS_RUN=$((TESTS_RUN + 1)); echo "ok $TESTS_RUN - $*"; }
not_ok() { TESTS_RUN=$((TESTS_RUN + 1)); echo "not ok $TESTS_RUN - $*"; }
# check DESCRIPTION COMMAND...: one TAP line from the command's status
# not CMD...: CMD fails (for check, which runs a command, not a pipeline)
not() { ! "$@"; }

check() {
	local desc=$1; shift
	if "$@" >>"$WORK/check.log" 2>&1; then ok "$desc"; else not_ok "$desc"; tail -5 "$WORK/check.log" | sed 's/^/# /'; fi
}

in_srv() { ip netns exec "$NS_SRV" "$@"; }
# The daemon and --stats enter only the network namespace: `ip netns exec`
# also remounts /sys, which would hide the pinned maps in /sys/fs/bpf.
in_srv_net() { nsenter --net="/run/netns/$NS_SRV" "$@"; }
in_cli() { ip netns exec "$NS_CLI" "$@"; }

# The management API at $API (the test sets it), from the server namespace.
# api METHOD PATH [BODY] [TOKEN]: prints the HTTP status, the body to $WORK/api.out
api() {
	local auth=()
	[ -n "${4:-}" ] && auth=(-H "Authorization: Bearer $4")
	in_srv curl -s -o "$WORK/api.out" -w '%{http_code}' -X "$1" "${auth[@]}" \
		${3:+--data-binary "$3"} "$API$2"
}
# status_is CODE METHOD PATH [BODY] [TOKEN]: api's status is CODE (else say what came)
status_is() { local want=$1; shift; local got; got=$(api "$@"); [ "$got" = "$want" ] || { echo "HTTP $got: $(cat "$WORK/api.out")"; return 1; }; }

# wait_for TIMEOUT_S COMMAND...: poll a condition, bounded, never a bare sleep
wait_for() {
	local deadline=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.05
	done
}

e2e_setup_net() {
	ip netns add "$NS_SRV"
	ip netns add "$NS_CLI"
	# VETH_QUEUES (bench) gives each end several queues, so both cores work
	local q=${VETH_QUEUES:+numtxqueues $VETH_QUEUES numrxqueues $VETH_QUEUES}
	ip link add "$VETH_SRV" netns "$NS_SRV" $q type veth peer name "$VETH_CLI" netns "$NS_CLI" $q
	in_srv ip link set lo up
	in_cli ip link set lo up
	in_srv ip addr add $SRV4/24 dev "$VETH_SRV"
	in_cli ip addr add $CLI4/24 dev "$VETH_CLI"
	in_srv ip addr add $SRV6/64 dev "$VETH_SRV" nodad
	in_cli ip addr add $CLI6/64 dev "$VETH_CLI" nodad
	in_srv ip link set "$VETH_SRV" up
	in_cli ip link set "$VETH_CLI" up
	# Requests must carry a full UDP checksum as they do off a real wire;
	# veth's offload would leave a partial one (see docs/testing.md).
	in_cli ethtool -K "$VETH_CLI" tx off >/dev/null
	in_srv ethtool -K "$VETH_SRV" tx off >/dev/null	# and so must answers
	# veth delivers the server's XDP_TX frames only to a peer with XDP
	in_cli ip link set dev "$VETH_CLI" xdpdrv obj "$PASS_OBJ" sec xdp
	SRV_MAC=$(in_srv cat /sys/class/net/"$VETH_SRV"/address)
}

# daemon_start ARGS...: start xdp-ntpd in the server namespace, wait until serving
daemon_start() {
	: >"$WORK/daemon.log"
	# Tests send bursts from one client address: limits are off unless a
	# test turns them on (later flags win).
	# DAEMON_WRAPPER: e.g. qemu-user for a cross-built binary
	# Every end-to-end test runs under our system call filter (E2E_SECCOMP:
	# on kills on a call outside it, log only logs; qemu-user has no seccomp)
	nsenter --net="/run/netns/$NS_SRV" ${DAEMON_WRAPPER:-} "$BIN" --metrics-listen 127.0.0.1:9123 -4 1 -6 1 \
		--rate-limit off --seccomp "${E2E_SECCOMP:-on}" "$@" \
		>"$WORK/daemon.log" 2>&1 &
	DAEMON_PID=$!
	if ! wait_for 15 grep -q "serving on UDP port" "$WORK/daemon.log"; then
		echo "# daemon did not come up:"; sed 's/^/#   /' "$WORK/daemon.log"
		return 1
	fi
}

daemon_stop() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	local rc=$?
	DAEMON_PID=""
	return $rc
}

# metric NAME_AND_LABELS: one sample's value from the daemon's /metrics
metric() {
	in_srv curl -sf http://127.0.0.1:9123/metrics | awk -v m="$1" '$1 == m { print $2 }'
}

# xdp_count OUTCOME REASON: the summed per-CPU counter, from the pinned map
xdp_count() {
	in_srv_net "$BIN" --stats -i "$VETH_SRV" | awk -v o="$1" -v r="$2" '$2 == o && $3 == r { print $4 }'
}

# xdp_answered: every answer XDP counted on the server end, all reasons
xdp_answered() {
	in_srv_net "$BIN" --stats -i "$VETH_SRV" | awk '$2 == "answered" { s += $4 } END { print s + 0 }'
}

# socket_count OUTCOME REASON: the socket server's counter, from /metrics
socket_count() {
	in_srv curl -sf http://127.0.0.1:9123/metrics |
		awk -v o="outcome=\"$1\"" -v r="reason=\"$2\"" \
			'/^xdp_ntpd_requests_total\{path="socket"/ && index($0, o) && index($0, r) { print $2 }'
}

# socket_answered_total: everything the socket server answered; nothing (and
# a failure) when the metrics cannot be read, so "none answered" is not
# what an unreachable endpoint says
socket_answered_total() {
	local m
	m=$(in_srv curl -sf http://127.0.0.1:9123/metrics) && grep -q '^xdp_ntpd_' <<<"$m" || return 1
	awk '/^xdp_ntpd_requests_total\{path="socket".*outcome="answered"/ { s += $2 } END { print s + 0 }' <<<"$m"
}

# xdp_mode IFACE: native, generic or none, as the kernel reports the
# attachment (ip -j: 1 driver, 2 generic); `ip link show` prints "prog/xdp"
# for both, so a grep cannot tell them apart
xdp_mode() {
	ip -n "$NS_SRV" -j link show dev "$1" |
		jq -r '.[0].xdp.mode // 0 | if . == 1 then "native" elif . == 2 then "generic" elif . == 0 then "none" else "other" end'
}

# served: one answer through XDP, its fields as printed by the raw client
served() {
	in_cli "$RAWCLIENT" -u -i "$VETH_CLI" -m "$SRV_MAC" -s $CLI4 -d $SRV4 -t 500
}
# serves PATTERN: bounded poll until an answer matches (the agent works
# asynchronously: upstreams are polled every second here)
served_matches() { served 2>/dev/null | grep -q -- "$1"; }
serves() {
	wait_for 25 served_matches "$1" && return 0
	echo "last answer: $(served 2>&1)"
	return 1
}

# fake_upstream ADDR PORT ARGS...: ntp_fakeserver in the client namespace,
# bounded by its own -T; its PID in LAST_UP
fake_upstream() {
	local addr=$1 port=$2; shift 2
	# emptied here, not by the child's redirection: a fake started again on
	# the same address and port would else be "listening" before it is
	: >"$WORK/fake-$addr-$port.log"
	ip netns exec "$NS_CLI" "$FAKE" -a "$addr" -p "$port" -T 300 "$@" \
		>"$WORK/fake-$addr-$port.log" 2>&1 &
	UP_PIDS+=($!)
	LAST_UP=$!
	wait_for 5 grep -q listening "$WORK/fake-$addr-$port.log"
}

e2e_cleanup() {
	local p
	for p in "${UP_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	daemon_stop
	ip netns del "$NS_CLI" 2>/dev/null
	ip netns del "$NS_SRV" 2>/dev/null
	rm -rf "/sys/fs/bpf/xdp-ntpd/$VETH_SRV" "$WORK"
}

# e2e_cleanup_detached: for tests whose daemons leave XDP attached
# (--keep-attached, SIGKILL): stop ours, remove what is left, then the rest
e2e_cleanup_detached() {
	daemon_stop
	in_srv_net "$BIN" --detach -i "$VETH_SRV" >/dev/null 2>&1
	e2e_cleanup
}

e2e_finish() {
	echo "1..$TESTS_RUN"
}
