#!/usr/bin/env bash
# -u USER: after start-up every thread of the daemon runs as that user with
# exactly the capability sets docs/security.md documents (none in socket
# mode; CAP_NET_ADMIN alone with XDP, for the relink and the detach), the
# bounding set cut to the same; no thread reads the network
# before the drop and the filter; and what needs those capabilities later
# (re-attaching XDP to a re-created interface, detaching at stop) works as
# that user.
set -u
. "$(dirname "$0")/lib.sh"
trap e2e_cleanup_detached EXIT
e2e_setup_net

nobody_uid=$(id -u nobody)
# bit 12 CAP_NET_ADMIN
XDP_CAPS=0000000000001000
NO_CAPS=0000000000000000

# every_thread FIELD VALUE: that /proc status field has VALUE in each thread
every_thread() {
	local t v n=0
	for t in /proc/"$DAEMON_PID"/task/*; do
		v=$(awk -v f="$1:" '$1 == f { print $2 }' "$t/status")
		[ "$v" = "$2" ] || { echo "thread ${t##*/}: $1 $v, want $2"; return 1; }
		n=$((n + 1))
	done
	[ "$n" -ge 2 ]	# the daemon is threaded: one thread would mean it is not up
}

# sets_are CAPS: effective, permitted and bounding sets CAPS in every thread,
# nothing inheritable or ambient, uid nobody (real, effective, saved, fs)
sets_are() {
	every_thread Uid "$nobody_uid" && every_thread CapEff "$1" && every_thread CapPrm "$1" &&
		every_thread CapBnd "$1" && every_thread CapInh $NO_CAPS &&
		every_thread CapAmb $NO_CAPS &&
		awk '$1 == "Uid:" { exit !($2 == $3 && $3 == $4 && $4 == $5) }' /proc/"$DAEMON_PID"/status
}

answered_by() {
	local fn=$1 reason=$2 before
	before=$($fn answered "$reason")
	# stratum 10 (local) or 3 (the fake upstream's 2, once selected)
	in_cli timeout 10 ntpdig -t 2 $SRV4 | grep -qE " s(3|10) " &&
		[ "$($fn answered "$reason")" -gt "$before" ]
}

# hook_lines: the test hook's line for each network-reading thread
hook_lines() { grep "TEST HOOK network input:" "$WORK/daemon.log"; }
# every thread that reads the network logged, before its first read, the
# uid, sets and seccomp mode of the drop (Seccomp 2: our filter)
inputs_after_drop() {
	local caps=$1 kind line
	for kind in "$@"; do
		[ "$kind" = "$caps" ] && continue
		hook_lines | grep -q "input: $kind:" || { echo "no line for $kind"; return 1; }
	done
	hook_lines | while read -r line; do
		for want in "Uid=$nobody_uid" "CapEff=$caps" "CapPrm=$caps" "CapBnd=$caps" Seccomp=2; do
			grep -q "$want" <<<"$line" || { echo "$line: want $want"; exit 1; }
		done
	done
}
# the drop is logged before any thread's first input
drop_logged_first() {
	local drop first
	drop=$(grep -n "running as nobody" "$WORK/daemon.log" | head -1 | cut -d: -f1)
	first=$(grep -n "TEST HOOK network input:" "$WORK/daemon.log" | head -1 | cut -d: -f1)
	[ -n "$drop" ] && [ -n "$first" ] && [ "$drop" -lt "$first" ]
}

# log_count PATTERN: how many daemon log lines match
log_count() { grep -c "$1" "$WORK/daemon.log"; }
more_than() { [ "$(log_count "$1")" -gt "$2" ]; }

# the veth pair deleted (the daemon's interface with it) and made again;
# true once the daemon has logged one more deletion and one more relink
recreate_link() {
	local deleted relinked
	deleted=$(log_count "$VETH_SRV: interface deleted")
	relinked=$(log_count "$VETH_SRV: interface back (index [0-9]*): XDP attached again")
	in_srv ip link del "$VETH_SRV"
	wait_for 10 more_than "$VETH_SRV: interface deleted" "$deleted" || return 1
	ip link add "$VETH_SRV" netns "$NS_SRV" type veth peer name "$VETH_CLI" netns "$NS_CLI"
	in_srv ip addr add $SRV4/24 dev "$VETH_SRV"
	in_cli ip addr add $CLI4/24 dev "$VETH_CLI"
	in_srv ip link set "$VETH_SRV" up
	in_cli ip link set "$VETH_CLI" up
	in_cli ethtool -K "$VETH_CLI" tx off >/dev/null
	in_srv ethtool -K "$VETH_SRV" tx off >/dev/null
	in_cli ip link set dev "$VETH_CLI" xdpdrv obj "$PASS_OBJ" sec xdp
	SRV_MAC=$(in_srv cat /sys/class/net/"$VETH_SRV"/address)
	wait_for 10 more_than "$VETH_SRV: interface back (index [0-9]*): XDP attached again" "$relinked"
}

# --- socket mode: nothing needs a capability after start-up --------------
fake_upstream $CLI4 11123 -s 2
export XDP_NTPD_TEST_LOG_INPUT=1
if daemon_start --local-stratum 10 -s $CLI4:11123 -i "$VETH_SRV" --xdp-mode socket -u nobody; then
	check "socket mode: every thread nobody, no capability in any set" sets_are $NO_CAPS
	check "socket mode: still serving after the drop" answered_by socket_count ipv4
	in_srv curl -sf http://127.0.0.1:9123/metrics >/dev/null
	check "socket mode: agent, resolver, socket workers and HTTP read their first input as nobody, no capabilities, filter on" \
		wait_for 10 inputs_after_drop $NO_CAPS agent resolver "socket worker" http
	check "socket mode: SIGTERM stops it cleanly" daemon_stop
else
	not_ok "socket mode: starts with -u nobody"
fi

# --- XDP mode ---------------------------------------------------------------
ran_3s() { [ "$(ps -o etimes= -p "$DAEMON_PID")" -ge 3 ]; }
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native -u nobody --max-age 2; then
	check "XDP mode: every thread nobody with CAP_NET_ADMIN alone, bounding set the same" \
		sets_are $XDP_CAPS
	check "XDP mode: XDP still answers after the drop" answered_by xdp_count ipv4
	in_srv curl -sf http://127.0.0.1:9123/metrics >/dev/null
	in_srv timeout 10 ntpdig -t 2 127.0.0.1 >/dev/null	# lo has no XDP: a socket worker
	check "XDP mode: agent, address watch, socket workers and HTTP read their first input after the drop and the filter" \
		wait_for 10 inputs_after_drop $XDP_CAPS agent "address watch" "socket worker" http
	check "XDP mode: the drop is logged before any thread reads the network" drop_logged_first
	check "XDP mode: our system call filter is on, every thread" every_thread Seccomp 2
	check "XDP mode: NoNewPrivs set (the filter needs it; setuid binaries lose their power)" \
		every_thread NoNewPrivs 1
	# with --max-age 2, once the daemon has run 3 s after the drop a state
	# not republished since would be stale: a fresh synchronised answer
	# then proves the publisher kept going as nobody
	check "XDP mode: ran longer than --max-age since the drop" wait_for 10 ran_3s
	check "XDP mode: reference state still published (fresh, synchronised answer)" \
		served_matches "li=0 stratum=10 "

	# the interface deleted and created again: XDP re-attached as nobody
	check "relink as nobody: the deletion noticed, XDP attached again to the new interface" \
		recreate_link
	check "relink as nobody: in native mode on the new interface" test "$(xdp_mode "$VETH_SRV")" = native
	check "relink as nobody: XDP answers there, counted on the same maps" answered_by xdp_count ipv4
	check "relink as nobody: the daemon is still nobody with the same sets" sets_are $XDP_CAPS
	check "XDP mode: SIGTERM stops it cleanly" daemon_stop
	check "XDP mode: detached on exit as nobody" test "$(xdp_mode "$VETH_SRV")" = none
	check "XDP mode: pinned maps removed on exit" test ! -e "/sys/fs/bpf/xdp-ntpd/$VETH_SRV/ntpd_counters"
else
	not_ok "XDP mode: starts with -u nobody"
fi

# --- -r DIR: the relink needs nothing from the file system ----------------
mkdir -p "$WORK/root"
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native -u nobody -r "$WORK/root" \
	--log-requests 100; then
	check "-r DIR: relink in the chroot (no /sys/kernel/btf there: the program was loaded before)" \
		recreate_link
	check "-r DIR: XDP answers on the new interface" answered_by xdp_count ipv4
	check "-r DIR: a second relink attaches the same program again" recreate_link
	logged=$(log_count "request: $CLI4:[0-9]* .*answered")
	check "-r DIR: XDP answers after the second relink" answered_by xdp_count ipv4
	# the relinked program writes into the ring buffer the request log reads
	check "-r DIR: that answer is in the request log" \
		wait_for 5 more_than "request: $CLI4:[0-9]* .*answered" "$logged"
	check "-r DIR: SIGTERM stops it cleanly" daemon_stop
else
	not_ok "-r DIR: starts with -u nobody in a chroot"
fi

# --- --keep-attached, then --replace, both as nobody -----------------------
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native -u nobody --keep-attached; then
	check "--keep-attached: the same sets (a relink still attaches)" sets_are $XDP_CAPS
	check "--keep-attached: SIGTERM stops it cleanly" daemon_stop
	check "--keep-attached: the program still answers" test "$(xdp_mode "$VETH_SRV")" = native
	if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native -u nobody --replace; then
		check "--replace as nobody: swapped in over the running program" \
			grep -q "replaced the running xdp-ntpd program in place" "$WORK/daemon.log"
		check "--replace as nobody: answers through XDP" answered_by xdp_count ipv4
		check "--replace as nobody: detached on exit" daemon_stop
		check "--replace as nobody: nothing left attached" test "$(xdp_mode "$VETH_SRV")" = none
	else
		not_ok "--replace: starts with -u nobody over the kept program"
	fi
else
	not_ok "--keep-attached: starts with -u nobody"
fi

e2e_finish
