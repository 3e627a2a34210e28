#!/usr/bin/env bash
# The socket server's packet ring (--socket-ring), end to end.  IPv4
# requests without options on the one interface are the ring's (AF_PACKET
# TPACKET_V3, answered as frames; signed ones too), IPv6 and IPv4 with
# options the UDP socket's; which path answered is proven by the counters
# of each (path="socket_ring" against path="socket"), and each request is
# answered exactly once across the two paths and the two rings of the
# fanout group (-4 2), in fragments too.  The time served from the ring is
# checked against truth: client and server share one kernel clock, so
# every answer's offset must lie within its own delay/2.  What the kernel
# would refuse before a UDP socket (a destination that is not ours, a
# source that is ours, wrong checksums, a VLAN tag) the ring refuses too,
# counted.
set -u
. "$(dirname "$0")/lib.sh"
LOAD="$E2E_ROOT/build/bench/ntp-load"
NTPQ="$(bash "$E2E_ROOT/tests/tools/ntpsec.sh" 2>/dev/null)/usr/bin/ntpq"
trap e2e_cleanup EXIT
e2e_setup_net
in_srv ip route add 198.18.0.0/15 via $CLI4	# ntp-load's clients, for the socket path

cat >"$WORK/server.keys" <<'EOK'
10 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70
EOK
chmod 600 "$WORK/server.keys"

# NTS: a CA and a server certificate for our address (as test_nts.sh makes them)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-keyout "$WORK/ca.key" -out "$WORK/ca.crt" -subj "/CN=xdp-ntpd test CA" 2>/dev/null &&
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/nts.key" \
	-out "$WORK/nts.csr" -subj /CN=ntp.test 2>/dev/null &&
printf 'subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\n' $SRV4 >"$WORK/nts.ext" &&
openssl x509 -req -in "$WORK/nts.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" -CAcreateserial \
	-days 2 -extfile "$WORK/nts.ext" -out "$WORK/nts.crt" 2>/dev/null && chmod 600 "$WORK/nts.key" ||
	{ echo "Bail out! openssl could not make the test CA"; exit 1; }
PROBE="$E2E_ROOT/build/tests/nts_probe"

metrics() { in_srv curl -sf http://127.0.0.1:9123/metrics; }
# ring_count OUTCOME REASON: the ring's counter (0 when absent), from /metrics
ring_count() {
	metrics | awk -v o="outcome=\"$1\"" -v r="reason=\"$2\"" '
		/^xdp_ntpd_requests_total\{path="socket_ring"/ && index($0, o) && index($0, r) { v = $2 }
		END { print v + 0 }'
}
# path_total PATH: every request a path counted, all outcomes (fails when
# /metrics cannot be read, so "nothing counted" is not an unreachable endpoint)
path_total() {
	local m
	m=$(metrics) && grep -q '^xdp_ntpd_' <<<"$m" || return 1
	awk -v p="path=\"$1\"" '/^xdp_ntpd_requests_total\{/ && index($0, p) { s += $2 } END { print s + 0 }' <<<"$m"
}
has_ring_metrics() {
	local m
	m=$(metrics) && grep -q '^xdp_ntpd_requests_total{path="socket_ring"' <<<"$m" &&
		grep -q '^xdp_ntpd_socket_ring_drops_total ' <<<"$m"
}
sock_count() { local v; v=$(socket_count "$1" "$2"); echo "${v:-0}"; }
ring_moved_by() { [ "$(ring_count "$1" "$2")" -eq $(($3 + $4)) ]; }
sock_moved_by() { [ "$(sock_count "$1" "$2")" -eq $(($3 + $4)) ]; }

# ask SRC DST ARGS...: one raw request from the client end, as off a wire
ask() {
	local src=$1 dst=$2; shift 2
	in_cli "$RAWCLIENT" -i "$VETH_CLI" -m "$SRV_MAC" -s "$src" -d "$dst" -t 300 "$@" \
		>"$WORK/ask.out" 2>&1
}
# refused_by_ring OUTCOME REASON SRC DST ARGS...: no answer, the ring's
# counter moved by one, nothing answered by either path meanwhile
refused_by_ring() {
	local outcome=$1 reason=$2 before ra sa; shift 2
	before=$(ring_count "$outcome" "$reason")
	ra=$(ring_count answered ipv4)
	sa=$(socket_answered_total)
	if ask "$@"; then echo "answered: $(cat "$WORK/ask.out")"; return 1; fi
	wait_for 5 ring_moved_by "$outcome" "$reason" "$before" 1 ||
		{ echo "ring $outcome/$reason: $before -> $(ring_count "$outcome" "$reason")"; return 1; }
	[ "$(ring_count answered ipv4)" = "$ra" ] && [ "$(socket_answered_total)" = "$sa" ]
}

client_ntpdig() { in_cli timeout 10 ntpdig -t 2 "$1" | grep -q " s10 "; }
client_sntp()   { in_cli timeout 10 sntp -t 2 "$1" | grep -q " s10 "; }
# by_ring CMD...: CMD succeeds, the ring answered one more, the socket no IPv4 answer
by_ring() {
	local r s
	r=$(ring_count answered ipv4); s=$(sock_count answered ipv4)
	"$@" || return 1
	wait_for 5 ring_moved_by answered ipv4 "$r" 1 ||
		{ echo "ring answered/ipv4: $r -> $(ring_count answered ipv4)"; return 1; }
	[ "$(sock_count answered ipv4)" = "$s" ] || { echo "socket answered/ipv4 moved from $s"; return 1; }
}

# offsets_within_delay N: N exchanges from the ring (one every 20 ms); each
# answer's offset (truth 0: one kernel clock) within its delay/2, the only
# bound an exchange proves, plus the 2^-32 s of the timestamps' rounding
offsets_within_delay() {
	in_cli "$RAWCLIENT" -S -n "$1" -w 20 -t 500 -i "$VETH_CLI" -m "$SRV_MAC" -s $CLI4 -d $SRV4 \
		>"$WORK/samples" || return 1
	awk -v n="$1" '
		$1 == "sample" { s++; o = $3 < 0 ? -$3 : $3; if (o > $4 / 2 + 1e-9) bad++
			if (o > worst) worst = o; if ($7 != 0) unsync++ }
		END { printf "# %d samples, worst |offset| %.1f us, %d outside delay/2, %d unsynchronised\n",
			s, worst * 1e6, bad, unsync
			exit !(s == n && bad == 0 && unsync == 0) }' "$WORK/samples"
}

# signed_request: one SHA1-signed request (key 10), its 72-byte signed answer
signed_request() {
	in_cli python3 - "$SRV4" <<'EOP'
import hashlib, os, socket, struct, sys
key = bytes.fromhex("933F62BE1D604E68A81B557F18CFA200483F5B70")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((sys.argv[1], 123))
xmt = os.urandom(8)
pkt = bytes([0x23]) + bytes(39) + xmt
s.send(pkt + struct.pack("!I", 10) + hashlib.sha1(key + pkt).digest())
r = s.recv(200)
assert len(r) == 72 and r[24:32] == xmt, (len(r), r[24:32], xmt)
assert hashlib.sha1(key + r[:48]).digest() == r[52:72]
EOP
}

# raw_request KIND: one plain 48-byte request sent raw from the client end,
# KIND frag (two IPv4 fragments, 24 + 32 bytes of the UDP datagram),
# bad_udp_sum or bad_ip_sum; the answers to its source port counted for
# 1 s after the first (2 s for none); prints them
raw_request() {
	in_cli python3 - "$1" "$VETH_CLI" "$SRV_MAC" $CLI4 $SRV4 <<'EOP'
import os, socket, struct, sys
kind, ifname, dmac, src, dst = sys.argv[1:6]
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind((src, 0))
sport = rx.getsockname()[1]
xmt = os.urandom(8)
ntp = bytes([0x23]) + bytes(39) + xmt
sa, da = socket.inet_aton(src), socket.inet_aton(dst)
udp = struct.pack("!HHHH", sport, 123, 56, 0) + ntp
c = csum(sa + da + struct.pack("!BBH", 0, 17, 56) + udp) or 0xffff
if kind == "bad_udp_sum": c ^= 0x1111
udp = udp[:6] + struct.pack("!H", c) + udp[8:]
smac = open("/sys/class/net/%s/address" % ifname).read().strip()
eth = bytes.fromhex(dmac.replace(":", "")) + bytes.fromhex(smac.replace(":", "")) + b"\x08\x00"
ident = int.from_bytes(os.urandom(2), "big")
def ip_frame(data, off8=0, more=False):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(data), ident,
                    (0x2000 if more else 0) | off8, 64, 17, 0, sa, da)
    ck = csum(h) ^ (0x1111 if kind == "bad_ip_sum" else 0)
    return eth + h[:10] + struct.pack("!H", ck) + h[12:] + data
raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
raw.bind((ifname, 0))
if kind == "frag":
    raw.send(ip_frame(udp[:24], 0, True))
    raw.send(ip_frame(udp[24:], 3, False))
else:
    raw.send(ip_frame(udp))
rx.settimeout(2)
answers = 0
try:
    while True:
        r = rx.recv(200)
        if len(r) == 48 and r[24:32] == xmt and r[0] & 7 == 4:
            answers += 1
        rx.settimeout(1)
except socket.timeout:
    pass
print(answers)
EOP
}
# raw_refused KIND REASON: no answer, the ring's passed/REASON moved by one,
# nothing answered by either path
raw_refused() {
	local before ra sa n
	before=$(ring_count passed "$2"); ra=$(ring_count answered ipv4); sa=$(socket_answered_total)
	n=$(raw_request "$1") || return 1
	[ "$n" = 0 ] || { echo "$n answers"; return 1; }
	wait_for 5 ring_moved_by passed "$2" "$before" 1 ||
		{ echo "ring passed/$2: $before -> $(ring_count passed "$2")"; return 1; }
	[ "$(ring_count answered ipv4)" = "$ra" ] && [ "$(socket_answered_total)" = "$sa" ]
}

# load_once N: N requests from 1024 clients (bench/ntp-load, answers counted
# in XDP on the client end); "sent answered invalid duplicate"
load_once() {
	in_cli "$LOAD" -i "$VETH_CLI" -m "$SRV_MAC" -X -d $SRV4 -s 198.18.0.0/15 \
		-r "$1" -R "$1" -n "$1" -t 1 -f 2 -T 20 >"$WORK/load.md" || return 1
	awk '/^total:/ { print $3, $5, $7, $11 }' "$WORK/load.md"
}

if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode socket --socket-ring 1 -4 2 \
	--keys "$WORK/server.keys" --allow-query $CLI4/32 --nts-cert "$WORK/nts.crt" --nts-key "$WORK/nts.key"; then
	check "socket mode: no XDP program on the interface" \
		sh -c "! ip -n $NS_SRV link show $VETH_SRV | grep -qw xdp"
	check "/metrics has the ring's counters (path=\"socket_ring\") and its drops" has_ring_metrics
	check "ntpdig over IPv4: answered by the ring (socket_ring answered/ipv4 +1, socket +0)" \
		by_ring client_ntpdig $SRV4
	check "sntp over IPv4: answered by the ring" by_ring client_sntp $SRV4
	check "the socket path answered no IPv4 request so far" test "$(sock_count answered ipv4)" = 0

	r=$(ring_count answered ipv4)
	check "50 raw exchanges: every offset within its own delay/2 of truth, synchronised" \
		offsets_within_delay 50
	sed -n 's/^# /# offsets: /p' "$WORK/check.log" | tail -1
	check "  ... all 50 answered by the ring" ring_moved_by answered ipv4 "$r" 50

	r=$(ring_count answered ipv4); s=$(sock_count answered ipv4)
	read -r sent answered invalid dup <<<"$(load_once 600)"
	echo "# ntp-load: sent ${sent:-?} answered ${answered:-?} invalid ${invalid:-?} duplicate ${dup:-?}"
	check "600 requests from 1024 sources: 600 answered, none twice, none invalid" \
		test "${sent:-0}" = 600 -a "${answered:-0}" = 600 -a "${invalid:-1}" = 0 -a "${dup:-1}" = 0
	check "  ... exactly 600 answered by the two rings, none by the socket" \
		sh -c "[ $(($(ring_count answered ipv4) - r)) = 600 ] && [ $(sock_count answered ipv4) = $s ]"

	a=$(ring_count answered authenticated); sock_before=$(path_total socket)
	check "a SHA1-signed request: a signed answer" signed_request
	check "  ... by the ring (answered/authenticated +1), the socket counted nothing" \
		sh -c "[ $(ring_count answered authenticated) = $((a + 1)) ] &&
			[ $(path_total socket) = $sock_before ]"
	# NTS: the key exchange over TCP, then authenticated requests of some
	# hundred bytes, sealed answers
	a=$(ring_count answered nts); sock_before=$(path_total socket)
	check "NTS: a key exchange, then 3 requests: 3 authenticated answers" \
		sh -c "ip netns exec $NS_CLI $PROBE -c $WORK/ca.crt -k $SRV4 -n 3 | grep -c '^answer .* stratum=10 li=0 ' | grep -qx 3"
	check "  ... answered by the ring (answered/nts +3), the socket counted nothing" \
		sh -c "[ $(ring_count answered nts) = $((a + 3)) ] && [ $(path_total socket) = $sock_before ]"

	# mode 6: a 12-byte request, an answer longer than any request
	a=$(ring_count control answered); sock_before=$(path_total socket)
	if [ -x "$NTPQ" ]; then
		check "ntpq -c rv from the client (--allow-query): our variables in the answer" \
			sh -c "ip netns exec $NS_CLI $NTPQ -n -c 'timeout 1000' -c rv $SRV4 2>&1 | grep -q 'version=\"xdp-ntpd'"
		check "  ... answered by the ring (control/answered), the socket counted nothing" \
			sh -c "[ $(ring_count control answered) -gt $a ] && [ $(path_total socket) = $sock_before ]"
	else
		ok "# SKIP ntpq -c rv: no NTPsec ntpq"
		ok "# SKIP   ... answered by the ring"
	fi
	ring_before=$(path_total socket_ring)
	a=$(sock_count answered ipv6)
	check "ntpdig over IPv6: answered by the socket path (answered/ipv6 +1)" \
		sh -c "timeout 10 ip netns exec $NS_CLI ntpdig -t 2 $SRV6 | grep -q ' s10 '"
	check "  ... and not by the ring" \
		sh -c "[ $(sock_count answered ipv6) = $((a + 1)) ] && [ $(path_total socket_ring) = $ring_before ]"

	a=$(sock_count answered ipv4)
	check "a request with IPv4 options (IHL 6): answered by the socket path, not the ring" \
		ask $CLI4 $SRV4 -O
	check "  ... (socket answered/ipv4 +1, the ring took nothing)" \
		sh -c "[ $(sock_count answered ipv4) = $((a + 1)) ] && [ $(path_total socket_ring) = $ring_before ]"

	check "a frame to our MAC for 192.0.2.99 (not ours): no answer, ring passed/not_local" \
		refused_by_ring passed not_local $CLI4 192.0.2.99
	check "a spoofed source that is the server's own address: no answer, ring dropped/source_local" \
		refused_by_ring dropped source_local $SRV4 $SRV4

	check "a wrong UDP checksum: no answer, ring passed/bad_checksum" raw_refused bad_udp_sum bad_checksum
	check "a wrong IP header checksum: no answer, ring passed/bad_ip_checksum" \
		raw_refused bad_ip_sum bad_ip_checksum

	# a tagged frame: no VLAN device here, so nothing takes it; it must
	# reach the interface and be counted by neither path
	ring_before=$(path_total socket_ring); sock_before=$(path_total socket)
	rx_before=$(in_srv cat /sys/class/net/"$VETH_SRV"/statistics/rx_packets)
	check "an 802.1Q-tagged request (VLAN 10): no answer" not ask $CLI4 $SRV4 -o 10
	check "  ... it reached the interface, and neither the ring nor the socket counted it" \
		sh -c "[ \$(ip netns exec $NS_SRV cat /sys/class/net/$VETH_SRV/statistics/rx_packets) -gt $rx_before ] &&
			[ $(path_total socket_ring) = $ring_before ] && [ $(path_total socket) = $sock_before ]"

	r=$(ring_count answered ipv4); s=$(socket_answered_total)
	frag_answers=$(raw_request frag 2>"$WORK/frag.err")
	echo "# fragmented request: ${frag_answers:-none} answer(s) $(tr '\n' ' ' <"$WORK/frag.err")"
	check "a request in two IPv4 fragments: exactly one answer" test "${frag_answers:-0}" = 1
	check "  ... from the ring (reassembled by the fanout group), the socket answered nothing" \
		sh -c "[ $(ring_count answered ipv4) = $((r + 1)) ] && [ $(socket_answered_total) = $s ]"

	check "after all that, a plain request is still answered by the ring" by_ring ask $CLI4 $SRV4
	check "no frame dropped by the ring's kernel side (xdp_ntpd_socket_ring_drops_total 0)" \
		test "$(metrics | awk '$1 == "xdp_ntpd_socket_ring_drops_total" { print $2 }')" = 0
	in_srv curl -sf http://127.0.0.1:9123/status >"$WORK/status.json"
	check "/status: serverstats.socket_ring has the ring's answers, and validates against the schema" \
		sh -c "jq -e '.serverstats.socket_ring.answered_ipv4 == $(ring_count answered ipv4)' '$WORK/status.json' &&
		python3 -c 'import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[2])),
			json.load(open(sys.argv[1])), cls=jsonschema.Draft202012Validator)' \
			'$E2E_ROOT/docs/status.schema.json' '$WORK/status.json'"
	daemon_stop
	rc=$?
	check "the daemon exits 0 on SIGTERM" test "$rc" = 0
else
	not_ok "daemon starts in socket mode with --socket-ring 1"
fi

# The ring on lo: clients on the server's own host.  A frame written to lo
# would arrive without a route and be dropped as a martian, so the answers
# must leave by the UDP socket; lo delivers the whole of 127/8.
local_ntpdig() { in_srv timeout 10 ntpdig -t 2 "$1" | grep -q " s10 "; }
if daemon_start --local-stratum 10 -i lo --xdp-mode socket --socket-ring 1; then
	for a in 127.0.0.1 127.0.0.2 $SRV4; do
		check "lo: ntpdig to $a from the server's host answered by the ring" by_ring local_ntpdig $a
	done
	check "lo: the socket path answered no IPv4 request" test "$(sock_count answered ipv4)" = 0
	daemon_stop
	rc=$?
	check "lo: the daemon exits 0 on SIGTERM" test "$rc" = 0
else
	not_ok "daemon starts in socket mode with --socket-ring 1 on lo"
fi

# -u nobody: CAP_NET_RAW is needed to open the ring only; reading it,
# sending frames and its statistics work without any capability
no_caps_anywhere() {
	local t n=0
	for t in /proc/"$DAEMON_PID"/task/*; do
		grep -q '^Uid:.*\b'"$(id -u nobody)"'\b' "$t/status" &&
			grep -q '^CapEff:[[:space:]]*0000000000000000$' "$t/status" || {
			echo "thread ${t##*/}: $(grep -E '^(Uid|CapEff):' "$t/status" | tr '\n' ' ')"; return 1; }
		n=$((n + 1))
	done
	[ "$n" -ge 2 ]
}
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode socket --socket-ring 1 -u nobody; then
	check "-u nobody: every thread nobody with no effective capability" no_caps_anywhere
	check "-u nobody: ntpdig answered by the ring" by_ring client_ntpdig $SRV4
	check "-u nobody: a raw request answered by the ring" by_ring ask $CLI4 $SRV4
	daemon_stop
	rc=$?
	check "-u nobody: the daemon exits 0 on SIGTERM" test "$rc" = 0
else
	not_ok "daemon starts with --socket-ring 1 -u nobody"
fi

# -a ADDR: the ring's filter checks the destination too; a request to
# another of the host's addresses is neither the ring's nor the socket's
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode socket --socket-ring 1 -a $SRV4:123; then
	in_srv ip addr add 192.0.2.5/32 dev "$VETH_SRV"
	check "-a $SRV4:123: ntpdig answered by the ring" by_ring client_ntpdig $SRV4
	before=$(path_total socket_ring)
	check "-a $SRV4:123: a request to 192.0.2.5 (also ours) unanswered" not ask $CLI4 192.0.2.5
	check "  ... and not taken by the ring (its filter has the address)" \
		test "$(path_total socket_ring)" = "$before"
	daemon_stop
	in_srv ip addr del 192.0.2.5/32 dev "$VETH_SRV"
else
	not_ok "daemon starts with --socket-ring 1 -a $SRV4:123"
fi

# With XDP attached on the same interface the ring reads what XDP passes
# up: XDP answers the plain requests, the ring a signed one
plain_by_xdp_not_ring() {
	local x r
	x=$(xdp_answered); r=$(ring_count answered ipv4)
	client_ntpdig $SRV4 || return 1
	[ "$(xdp_answered)" -gt "$x" ] || { echo "XDP answered: $x -> $(xdp_answered)"; return 1; }
	[ "$(ring_count answered ipv4)" = "$r" ] || { echo "ring answered/ipv4 moved from $r"; return 1; }
}
signed_by_ring() {
	local a s
	a=$(ring_count answered authenticated); s=$(path_total socket)
	signed_request || return 1
	wait_for 5 ring_moved_by answered authenticated "$a" 1 ||
		{ echo "ring answered/authenticated: $a -> $(ring_count answered authenticated)"; return 1; }
	[ "$(path_total socket)" = "$s" ] || { echo "the socket counted: $s -> $(path_total socket)"; return 1; }
}
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native --socket-ring 1 \
		--keys "$WORK/server.keys"; then
	check "XDP native beside the ring: ntpdig answered by XDP, not by the ring" plain_by_xdp_not_ring
	check "XDP native beside the ring: a signed request (XDP passes it up) answered signed by the ring" \
		signed_by_ring
	daemon_stop
else
	not_ok "daemon starts with --xdp-mode native --socket-ring 1"
fi

# The sockets leave the ring exactly the addresses it answers for: one the
# kernel accepts only by a local route (AnyIP) is the socket's, and one
# added while serving moves to the ring once the address watch publishes it
# (each answered once: the other path's counters stay)
answered_by() {	# PATH DST: one answer to DST, counted answered/ipv4 on PATH only
	local path=$1 dst=$2 r s
	r=$(ring_count answered ipv4); s=$(sock_count answered ipv4)
	ask $CLI4 "$dst" || { echo "no answer from $dst"; return 1; }
	if [ "$path" = socket_ring ]; then
		wait_for 5 ring_moved_by answered ipv4 "$r" 1 && [ "$(sock_count answered ipv4)" = "$s" ]
	else
		wait_for 5 sock_moved_by answered ipv4 "$s" 1 && [ "$(ring_count answered ipv4)" = "$r" ]
	fi || { echo "ring $r -> $(ring_count answered ipv4), socket $s -> $(sock_count answered ipv4)"; return 1; }
}
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode socket --socket-ring 1; then
	in_srv ip route add local 198.51.100.0/24 dev lo
	in_cli ip route add 198.51.100.0/24 via $SRV4
	check "a destination ours only by a local route: answered once, by the socket" \
		answered_by socket 198.51.100.7
	in_srv ip addr add 192.0.2.77/32 dev "$VETH_SRV"
	check "an address added while serving: answered once, by the ring, once published" \
		wait_for 10 answered_by socket_ring 192.0.2.77
	check "  ... and again (no answer from the socket beside it)" answered_by socket_ring 192.0.2.77
	daemon_stop
	in_srv ip addr del 192.0.2.77/32 dev "$VETH_SRV"
	in_cli ip route del 198.51.100.0/24 via $SRV4
	in_srv ip route del local 198.51.100.0/24 dev lo
else
	not_ok "daemon starts with --socket-ring 1 (address changes)"
fi

# the request log names the path that read the request
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode socket --socket-ring 1 \
		--log-requests 100; then
	for i in 1 2 3; do in_cli ntpdig -t 2 $SRV4 >/dev/null 2>&1; done
	check "the request log says socket_ring for the ring's requests" wait_for 10 sh -c \
		"[ \$(grep -c 'request: $CLI4:[0-9]* v4 mode 3 -> answered/ipv4 (socket_ring)' '$WORK/daemon.log') = 3 ]"
	daemon_stop
else
	not_ok "daemon starts with --socket-ring 1 --log-requests 100"
fi

e2e_finish
