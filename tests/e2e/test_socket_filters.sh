#!/usr/bin/env bash
# The socket server's filters, end to end (--xdp-mode socket: no XDP program,
# the kernel's UDP socket gets every request).  Raw frames from ntp_rawclient
# reach the server's kernel as off a wire; each request that must get no
# answer is shown to have arrived and been refused by the counter it names
# in /metrics (path="socket"), with nothing answered meanwhile.  Sources the
# kernel itself drops before any socket (multicast, limited broadcast and
# loopback sources are martians to IPv4 routing; IPv6 drops multicast and
# ::1 sources in ip6_rcv_core) are shown dropped by the kernel's counters.
set -u
. "$(dirname "$0")/lib.sh"
trap e2e_cleanup EXIT
e2e_setup_net

# one key, so that a MAC under another id is an unknown key
cat >"$WORK/server.keys" <<'EOK'
10 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70
EOK
chmod 600 "$WORK/server.keys"	# a key file others may read is refused

# ask SRC DST ARGS...: one raw request; the client's own verdict and output
ask() {
	local src=$1 dst=$2; shift 2
	in_cli "$RAWCLIENT" -u -i "$VETH_CLI" -m "$SRV_MAC" -s "$src" -d "$dst" -t 300 "$@" \
		>"$WORK/ask.out" 2>&1
}
# answered_with PATTERN SRC DST ARGS...: a valid answer whose line matches
answered_with() {
	local pat=$1; shift
	ask "$@" && grep -q -- "$pat" "$WORK/ask.out"
}
moved_by_one() { [ "$(socket_count "$1" "$2")" = $(($3 + 1)) ]; }

# refused OUTCOME REASON SRC DST ARGS...: no answer, the counter moved by one,
# nothing answered on the socket path meanwhile
refused() {
	local outcome=$1 reason=$2 before answered; shift 2
	before=$(socket_count "$outcome" "$reason")
	answered=$(socket_answered_total)
	if ask "$@"; then
		echo "answered: $(cat "$WORK/ask.out")"
		return 1
	fi
	wait_for 5 moved_by_one "$outcome" "$reason" "$before" || {
		echo "$outcome/$reason: $before -> $(socket_count "$outcome" "$reason")"
		return 1
	}
	[ "$(socket_answered_total)" = "$answered" ]
}

# kernel_drops COUNTER SRC DST: the frame reached IP (IpInReceives or
# Ip6InReceives moved), no UDP socket got it, COUNTER moved, the socket
# server counted nothing at all
socket_total() {
	in_srv curl -sf http://127.0.0.1:9123/metrics |
		awk '/^xdp_ntpd_requests_total\{path="socket"/ { s += $2 } END { print s + 0 }'
}
kernel_drops() {
	local counter=$1 before out; shift
	before=$(socket_total)
	in_srv nstat -n
	ask "$@" && { echo "answered: $(cat "$WORK/ask.out")"; return 1; }
	out=$(in_srv nstat -z IpInReceives Ip6InReceives UdpInDatagrams Udp6InDatagrams "$counter")
	echo "$out"
	awk -v c="$counter" '
		$1 == "IpInReceives" || $1 == "Ip6InReceives" { ip += $2 }
		$1 == "UdpInDatagrams" || $1 == "Udp6InDatagrams" { udp += $2 }
		$1 == c { k += $2 }
		END { exit !(ip >= 1 && udp == 0 && (c == "" || k >= 1)) }' <<<"$out" &&
		[ "$(socket_total)" = "$before" ]
}

# the upstream is an on-link address nobody has: nothing it does reaches IP
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode socket -s 192.0.2.99:123 \
	--keys "$WORK/server.keys"; then
	check "socket mode: no XDP program on the interface" \
		sh -c "! ip -n $NS_SRV link show $VETH_SRV | grep -qw xdp"
	before=$(socket_count answered ipv4)
	check "a plain request from a good source is answered (48 bytes)" \
		answered_with " len=48 " $CLI4 $SRV4
	check "  ... by the socket server (answered/ipv4)" moved_by_one answered ipv4 "$before"
	before=$(socket_count answered ipv6)
	check "a plain IPv6 request is answered" ask $CLI6 $SRV6
	check "  ... by the socket server (answered/ipv6)" moved_by_one answered ipv6 "$before"

	# sources the kernel delivers: the server must refuse them itself
	check "source 0.1.2.3 (this-network, 0/8): no answer, dropped/bad_source" \
		refused dropped bad_source 0.1.2.3 $SRV4
	check "source 240.0.0.1 (class E): no answer, dropped/bad_source" \
		refused dropped bad_source 240.0.0.1 $SRV4
	check "source :: (unspecified): no answer, dropped/bad_source" \
		refused dropped bad_source :: $SRV6
	check "source ::ffff:192.0.2.2 (v4-mapped): no answer, dropped/bad_source" \
		refused dropped bad_source ::ffff:192.0.2.2 $SRV6
	check "source port 0: no answer, dropped/bad_source" \
		refused dropped bad_source $CLI4 $SRV4 -P 0
	check "source port 0 over IPv6: no answer, dropped/bad_source" \
		refused dropped bad_source $CLI6 $SRV6 -P 0

	# sources the kernel drops first: no socket ever sees them
	check "source 224.0.0.5 (multicast): the kernel drops it, no socket sees it" \
		kernel_drops "" 224.0.0.5 $SRV4
	check "source 255.255.255.255 (broadcast): the kernel drops it" \
		kernel_drops "" 255.255.255.255 $SRV4
	check "source 127.0.0.1 off the wire: the kernel drops it (martian)" \
		kernel_drops "" 127.0.0.1 $SRV4
	check "source ff02::1 (multicast): the kernel drops it (Ip6InHdrErrors)" \
		kernel_drops Ip6InHdrErrors ff02::1 $SRV6
	check "source ::1 off the wire: the kernel drops it (Ip6InHdrErrors)" \
		kernel_drops Ip6InHdrErrors ::1 $SRV6

	# modes that are reflection or amplification traffic
	check "mode 4 (server) request: no answer, dropped/mode_server" \
		refused dropped mode_server $CLI4 $SRV4 -M 4
	check "mode 6 (control): no answer, dropped/mode_control" \
		refused dropped mode_control $CLI4 $SRV4 -M 6
	check "mode 7 (private): no answer, dropped/mode_control" \
		refused dropped mode_control $CLI4 $SRV4 -M 7

	# docs/design.md: longer than 48 bytes with extension fields, no answer
	check "an extension field (RFC 7822, 16 bytes): no answer, passed/length" \
		refused passed length $CLI4 $SRV4 -E 16
	check "an extension field before a MAC with an unknown key: no answer, not a NAK" \
		refused passed length $CLI4 $SRV4 -E 28 -K 99
	check "a MAC with the known key id but a wrong digest: no answer, dropped/bad_mac" \
		refused dropped bad_mac $CLI4 $SRV4 -K 10

	# RFC 5905 7.4: an unknown key gets a crypto-NAK, nothing more
	before=$(socket_count refused crypto_nak)
	answered=$(socket_answered_total)
	check "a MAC with an unknown key id: a crypto-NAK, 52 bytes with key id 0" \
		answered_with " len=52 keyid=0$" $CLI4 $SRV4 -K 99
	check "  ... counted refused/crypto_nak" moved_by_one refused crypto_nak "$before"
	check "  ... and not counted as an answer" test "$(socket_answered_total)" = "$answered"
	before=$(socket_count refused crypto_nak)
	check "  ... over IPv6 too (key id 4294967295)" \
		answered_with " len=52 keyid=0$" $CLI6 $SRV6 -K 4294967295
	check "  ... counted refused/crypto_nak" moved_by_one refused crypto_nak "$before"

	check "the server still answers a good request after all that" ask $CLI4 $SRV4
	daemon_stop
else
	not_ok "daemon starts in socket mode with a key file"
fi

e2e_finish
