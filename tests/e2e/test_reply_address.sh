#!/usr/bin/env bash
# Every socket-path answer leaves from the address its request was sent to:
# secondary IPv4 and IPv6 addresses on the server's veth, and an anycast /32
# and /128 on the server's lo routed to it from the client namespace; in
# socket mode and in XDP mode for the requests XDP passes up.  chronyd (a
# connected socket per server: an answer from another address never
# reaches it) must measure an offset; ntp_rawclient checks the answer's
# source address against the request's destination.  A request sent to a
# broadcast or multicast address gets no answer, counted as passed/not_local.
set -u
. "$(dirname "$0")/lib.sh"
trap e2e_cleanup EXIT

SEC4=192.0.2.20
SEC6=2001:db8::20
ANY4=198.51.100.123
ANY6=2001:db8:123::123

e2e_setup_net
in_srv ip addr add $SEC4/24 dev "$VETH_SRV"
in_srv ip addr add $SEC6/64 dev "$VETH_SRV" nodad
in_srv ip addr add $ANY4/32 dev lo
in_srv ip addr add $ANY6/128 dev lo nodad
in_cli ip route add $ANY4/32 via $SRV4
in_cli ip -6 route add $ANY6/128 via $SRV6

src_for() { case $1 in *:*) echo $CLI6 ;; *) echo $CLI4 ;; esac; }
# raw_from ADDR [ARGS]: one request to ADDR; the raw client fails unless the
# answer's source address is ADDR (and everything else about it is right)
raw_from() {
	local dst=$1; shift
	in_cli "$RAWCLIENT" -i "$VETH_CLI" -m "$SRV_MAC" -s "$(src_for "$dst")" -d "$dst" -t 1000 "$@"
}
client_chronyd() {
	printf 'server %s iburst maxsamples 1\n' "$1" >"$WORK/chrony-$1.conf"
	in_cli timeout 20 chronyd -Q -f "$WORK/chrony-$1.conf" -t 15 >"$WORK/chrony-$1.log" 2>&1
	grep -q "System clock wrong by" "$WORK/chrony-$1.log" || { cat "$WORK/chrony-$1.log"; return 1; }
}
client_ntpdig() { in_cli timeout 10 ntpdig -t 2 "$1" | grep -q " s10 "; }

counter_moved() {
	local fn=$1 outcome=$2 reason=$3 before=$4 want=$5 now
	now=$($fn "$outcome" "$reason")
	[ "$((${now:-0} - before))" -eq "$want" ] ||
		{ echo "$fn $outcome/$reason moved by $((${now:-0} - before)), want $want"; return 1; }
}
socket_grew() { [ "$(socket_answered_total)" -gt "$1" ]; }

# to_group ADDR: a request to a broadcast or multicast address is not
# answered (no frame at all comes back) and is counted once
to_group() {
	local dst=$1 before out
	before=$(socket_count passed not_local)
	out=$(raw_from "$dst" -t 500 2>&1)
	echo "$out" | grep -q "no reply within" || { echo "answered: $out"; return 1; }
	counter_moved socket_count passed not_local "${before:-0}" 1
}

# --- socket mode ------------------------------------------------------------
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode socket; then
	for a in $SEC4 $SEC6 $ANY4 $ANY6; do
		check "socket: answer to $a comes from $a" raw_from $a
		check "socket: chronyd with server $a measures an offset" client_chronyd $a
		check "socket: ntpdig to $a answered" client_ntpdig $a
	done
	check "socket: the primary address still answers from itself" raw_from $SRV4
	check "socket: no answer to the subnet broadcast 192.0.2.255" to_group 192.0.2.255
	check "socket: no answer to the limited broadcast 255.255.255.255" to_group 255.255.255.255
	check "socket: no answer to the IPv6 multicast ff02::1" to_group ff02::1
	check "socket: still answering after the group requests" raw_from $SEC4
	daemon_stop
else
	not_ok "socket: daemon starts"
fi

# --- XDP mode: what XDP passes up --------------------------------------------
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native; then
	# IP options: XDP passes the request up; the socket server answers it
	before=$(socket_answered_total)
	check "xdp: IP-options request to $SEC4 answered from $SEC4 (socket path)" raw_from $SEC4 -O
	check "xdp: IP-options request to $ANY4 answered from $ANY4 (socket path)" raw_from $ANY4 -O
	check "xdp: those went through the socket server" socket_grew "$before"
	# anycast on lo is not the attached interface's: XDP passes it up
	for a in $ANY4 $ANY6; do
		before=$(socket_answered_total)
		check "xdp: chronyd with server $a (passed up) measures an offset" client_chronyd $a
		check "xdp: chronyd's $a requests answered by the socket server" socket_grew "$before"
		check "xdp: ntpdig to $a answered" client_ntpdig $a
	done
	# partial checksums cannot be checked in XDP: passed up, to the secondaries
	in_cli ethtool -K "$VETH_CLI" tx on >/dev/null
	for a in $SEC4 $SEC6; do
		before=$(socket_answered_total)
		check "xdp: chronyd with server $a (partial checksums, passed up) measures an offset" \
			client_chronyd $a
		check "xdp: chronyd's $a requests answered by the socket server" socket_grew "$before"
	done
	in_cli ethtool -K "$VETH_CLI" tx off >/dev/null
	check "xdp: no answer to the subnet broadcast (passed up, dropped there)" to_group 192.0.2.255
	check "xdp: no answer to the IPv6 multicast ff02::1" to_group ff02::1
	daemon_stop
else
	not_ok "xdp: daemon starts"
fi

e2e_finish
