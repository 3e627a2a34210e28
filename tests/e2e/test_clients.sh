#!/usr/bin/env bash
# Real NTP clients in one namespace, xdp-ntpd in another, joined by veth:
# answers over IPv4, IPv6, 802.1Q and QinQ, in XDP native and generic mode and
# in socket mode, and the counters say which path answered.
set -u
. "$(dirname "$0")/lib.sh"
trap e2e_cleanup EXIT

e2e_setup_net

# delta_is VAR EXPECTED OUTCOME REASON COUNT_FN: counter moved by exactly EXPECTED
counter_moved() {
	local fn=$1 outcome=$2 reason=$3 before=$4 want=$5 now
	now=$($fn "$outcome" "$reason")
	[ "$((now - before))" -eq "$want" ] || { echo "$fn $outcome/$reason moved by $((now - before)), want $want"; return 1; }
}

counter_grew() {
	local fn=$1 outcome=$2 reason=$3 before=$4
	[ "$($fn "$outcome" "$reason")" -gt "$before" ]
}

second_daemon_refused() {
	local out rc
	out=$(in_srv_net "$BIN" -i "$VETH_SRV" -a $SRV4:1123 -b "[$SRV6]:1123" \
		--metrics-listen 127.0.0.1:9124 2>&1)
	rc=$?
	[ $rc -ne 0 ] && echo "$out" | grep -q "already attached"
}

# address_follows add|del ADDR: the netlink watch updates the XDP map
address_follows() {
	local op=$1 addr=$2 before
	in_srv ip addr "$op" "$addr/24" dev "$VETH_SRV"
	if [ "$op" = add ]; then
		# bounded poll: the daemon learns of the address asynchronously;
		# then one more request, which XDP must count (the socket server
		# would answer it too)
		wait_for 5 in_cli "$RAWCLIENT" -i "$VETH_CLI" -m "$SRV_MAC" -s $CLI4 -d "$addr" -t 200 || return 1
		before=$(xdp_count answered ipv4)
		in_cli "$RAWCLIENT" -i "$VETH_CLI" -m "$SRV_MAC" -s $CLI4 -d "$addr" -t 200 &&
			[ "$(xdp_count answered ipv4)" -eq $((before + 1)) ]
	else
		before=$(xdp_count passed not_local)
		wait_for 5 sh -c "! ip netns exec $NS_CLI $RAWCLIENT -i $VETH_CLI -m $SRV_MAC -s $CLI4 -d $addr -t 200 &&
			[ \$(nsenter --net=/run/netns/$NS_SRV $BIN --stats -i $VETH_SRV | awk '\$3 == \"not_local\" { print \$4 }') -gt $before ]"
	fi
}

# A second daemon with --replace takes over; the first, when stopped, must
# leave the newcomer's program and pins alone.
replace_works() {
	local second rc
	nsenter --net="/run/netns/$NS_SRV" "$BIN" -i "$VETH_SRV" --replace -a $SRV4:1123 \
		-b "[$SRV6]:1123" --metrics-listen 127.0.0.1:9124 --local-stratum 10 >"$WORK/second.log" 2>&1 &
	second=$!
	wait_for 15 grep -q "serving on UDP port" "$WORK/second.log" || { cat "$WORK/second.log"; kill $second; return 1; }
	grep -q "replaced the .*xdp-ntpd program" "$WORK/second.log" || { kill $second; return 1; }
	daemon_stop	# the first daemon
	rc=0
	[ "$(xdp_mode "$VETH_SRV")" = native ] || rc=1
	test -e "/sys/fs/bpf/xdp-ntpd/$VETH_SRV/ntpd_counters" || rc=1
	in_cli "$RAWCLIENT" -i "$VETH_CLI" -m "$SRV_MAC" -s $CLI4 -d $SRV4 -p 1123 || rc=1
	kill -TERM $second; wait $second
	# back to one daemon on port 123 for the tests that follow
	daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native || rc=1
	return $rc
}

raw() { in_cli "$RAWCLIENT" -i "$VETH_CLI" -m "$SRV_MAC" -s $CLI4 -d $SRV4 "$@"; }

ip_options_to_socket() {
	local xdp_before sock_before
	xdp_before=$(xdp_count passed ip_options)
	sock_before=$(socket_count answered ipv4)
	raw -O >/dev/null &&
		counter_moved xdp_count passed ip_options "$xdp_before" 1 &&
		counter_moved socket_count answered ipv4 "$sock_before" 1
}

# the fields both paths must agree on; root dispersion grows between the
# two requests, so it is compared in units of 2^-16 s to within one
answer_pair_agrees() {
	local a b
	a=$(raw) && b=$(raw -O) || return 1
	fields() { grep -o 'li=.* rootdelay=[^ ]*\|vn=.*' <<<"$1" | tr '\n' ' '; }
	disp() { sed 's/.*rootdisp=\([^ ]*\).*/\1/' <<<"$1"; }
	echo "xdp:    $a"; echo "socket: $b"
	[ "$(fields "$a")" = "$(fields "$b")" ] &&
		awk -v x="$(disp "$a")" -v y="$(disp "$b")" 'BEGIN { d = (y - x) * 65536; exit !(d >= -1 && d <= 1.5) }'
}
# The state is republished four times a second with a new reference time: a
# pair that straddles a publication differs by it, so one of three pairs must
# agree (a real difference between the paths shows in all three).
same_answer_both_paths() {
	answer_pair_agrees || answer_pair_agrees || answer_pair_agrees
}

client_ntpdig() { in_cli timeout 10 ntpdig -t 2 "$1" | grep -q " s10 "; }
client_sntp()   { in_cli timeout 10 sntp -t 2 "$1" | grep -q " s10 "; }
client_chronyd() {
	printf 'server %s iburst maxsamples 1\n' "$1" >"$WORK/chrony-client.conf"
	in_cli timeout 20 chronyd -Q -f "$WORK/chrony-client.conf" -t 15 2>&1 | grep -q "System clock wrong by"
}

# one client run, and the XDP counter for its family must move by exactly $4
xdp_answers() {
	local client=$1 server=$2 reason=$3 want=$4 before
	before=$(xdp_count answered "$reason")
	$client "$server" || { echo "$client $server got no valid answer"; return 1; }
	counter_moved xdp_count answered "$reason" "$before" "$want"
}

raw_answers() {
	local reason=$1 want=1 before; shift
	before=$(xdp_count answered "$reason")
	in_cli "$RAWCLIENT" -i "$VETH_CLI" -m "$SRV_MAC" "$@" || return 1
	counter_moved xdp_count answered "$reason" "$before" "$want"
}

# raw_passed_vlan ARGS...: the tagged request gets no answer, and XDP counted
# it passed for its VLAN
raw_passed_vlan() {
	local before
	before=$(xdp_count passed vlan_not_served)
	! in_cli "$RAWCLIENT" -i "$VETH_CLI" -m "$SRV_MAC" -t 300 "$@" &&
		counter_moved xdp_count passed vlan_not_served "$before" 1
}

for mode in native generic; do
	link_flag=$([ $mode = native ] && echo xdp || echo xdpgeneric)
	if ! daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode $mode; then
		not_ok "$mode: daemon starts"; continue
	fi
	ok "$mode: daemon starts"
	check "$mode: attached in $mode mode" sh -c "ip -n $NS_SRV link show $VETH_SRV | grep -qw $link_flag"
	check "$mode: ntpdig over IPv4 answered by XDP" xdp_answers client_ntpdig $SRV4 ipv4 1
	check "$mode: ntpdig over IPv6 answered by XDP" xdp_answers client_ntpdig $SRV6 ipv6 1
	check "$mode: sntp over IPv4 answered by XDP" xdp_answers client_sntp $SRV4 ipv4 1
	check "$mode: sntp over IPv6 answered by XDP" xdp_answers client_sntp $SRV6 ipv6 1
	before=$(xdp_count answered ipv4)
	check "$mode: chronyd -Q over IPv4 synchronises" client_chronyd $SRV4
	check "$mode: chronyd's requests were answered by XDP" counter_grew xdp_count answered ipv4 "$before"
	check "$mode: chronyd -Q over IPv6 synchronises" client_chronyd $SRV6
	# tagged frames are answered only for VLANs the host has on the
	# interface (BPF table tests answer them with the tags kept: this
	# kernel has no 8021q module for a VLAN device here); without one,
	# XDP passes them up, counted, and the kernel has no use for them
	check "$mode: 802.1Q-tagged IPv4 request for a VLAN the host lacks: passed, not answered" \
		raw_passed_vlan -s $CLI4 -d $SRV4 -o 100
	check "$mode: QinQ IPv4 request for a VLAN the host lacks: passed, not answered" \
		raw_passed_vlan -s $CLI4 -d $SRV4 -o 200 -v 300
	check "$mode: 802.1Q-tagged IPv6 request for a VLAN the host lacks: passed, not answered" \
		raw_passed_vlan -s $CLI6 -d $SRV6 -o 100
	check "$mode: the socket server answered none of it" test "$(socket_answered_total)" = 0
	check "$mode: metrics report the XDP answers" sh -c "ip netns exec $NS_SRV curl -sf http://127.0.0.1:9123/metrics | grep -q 'path=\"xdp_$mode\",interface=\"$VETH_SRV\",outcome=\"answered\",reason=\"ipv4\"} [1-9]'"
	if [ $mode = native ]; then
		check "second daemon on the same interface refuses with a clear message" second_daemon_refused
		check "an address added while serving is answered by XDP" \
			address_follows add 192.0.2.3
		check "an address removed while serving is no longer answered by XDP" \
			address_follows del 192.0.2.3
		check "--replace takes over the interface from a running daemon" replace_works
		check "IP options: passed by XDP, answered by the socket server" ip_options_to_socket
		check "XDP and socket answers agree field by field (timestamps aside)" same_answer_both_paths
		# Offloaded (partial) checksums cannot be verified in XDP: passed up,
		# the kernel accepts them, and the socket server answers.
		in_cli ethtool -K "$VETH_CLI" tx on >/dev/null
		before=$(xdp_count passed bad_checksum)
		check "partial-checksum request passed by XDP, answered by the socket server" \
			client_ntpdig $SRV4
		check "that request counted as passed (bad_checksum)" counter_moved xdp_count passed bad_checksum "$before" 1
		in_cli ethtool -K "$VETH_CLI" tx off >/dev/null
	fi
	check "$mode: SIGTERM stops the daemon cleanly" daemon_stop
	check "$mode: XDP detached on exit" sh -c "! ip -n $NS_SRV link show $VETH_SRV | grep -qw $link_flag"
	check "$mode: pinned maps removed on exit" test ! -e "/sys/fs/bpf/xdp-ntpd/$VETH_SRV"
done

if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode socket; then
	ok "socket: daemon starts without XDP"
	check "socket: nothing attached" sh -c "! ip -n $NS_SRV link show $VETH_SRV | grep -q 'prog/xdp'"
	before=$(socket_count answered ipv4)
	check "socket: ntpdig over IPv4 answered" client_ntpdig $SRV4
	check "socket: answered by the socket server" counter_moved socket_count answered ipv4 "$before" 1
	before=$(socket_count answered ipv6)
	check "socket: ntpdig over IPv6 answered" client_ntpdig $SRV6
	check "socket: IPv6 answered by the socket server" counter_moved socket_count answered ipv6 "$before" 1
	check "socket: chronyd -Q synchronises" client_chronyd $SRV4
	daemon_stop
else
	not_ok "socket: daemon starts without XDP"
fi

# auto mode: native where the driver has it; sockets where BPF is not allowed
if daemon_start --local-stratum 10 -i "$VETH_SRV"; then
	check "auto: picks native mode on veth" test "$(xdp_mode "$VETH_SRV")" = native
	daemon_stop
else
	not_ok "auto: picks native mode on veth"
fi
# Root without CAP_BPF, CAP_SYS_ADMIN, CAP_NET_ADMIN and CAP_PERFMON: BPF is
# refused, so auto mode must land in socket mode and say why.
NO_BPF="setpriv --bounding-set -bpf,-sys_admin,-net_admin,-perfmon --inh-caps -bpf,-sys_admin,-net_admin,-perfmon"
: >"$WORK/daemon.log"
nsenter --net="/run/netns/$NS_SRV" $NO_BPF "$BIN" --metrics-listen 127.0.0.1:9123 -4 1 -6 1 \
	--local-stratum 10 -i "$VETH_SRV" >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!
if wait_for 15 grep -q "serving on UDP port" "$WORK/daemon.log"; then
	check "no BPF rights: auto mode falls back to sockets and says why" \
		grep -q "XDP unavailable (Operation not permitted): falling back to socket mode" "$WORK/daemon.log"
	before=$(socket_count answered ipv4)
	check "no BPF rights: ntpdig answered" client_ntpdig $SRV4
	check "no BPF rights: by the socket server" counter_moved socket_count answered ipv4 "$before" 1
else
	not_ok "no BPF rights: auto mode falls back to sockets"
	sed 's/^/#   /' "$WORK/daemon.log"
fi
daemon_stop

e2e_finish
