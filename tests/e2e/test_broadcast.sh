#!/usr/bin/env bash
# The broadcast server (--broadcast / `broadcast ADDR [INTERVAL] [key ID]`):
# mode-5 packets to the subnet broadcast and to an IPv6 link-local group,
# only while synchronised, signed when a key is named; the time they carry
# is checked against truth (an upstream 0.25 s ahead of the host clock).
#
# The clients: a listener written here, checking every field, and classic
# ntpd 4.2.8p15 (Debian 11's `ntp`, unpacked by tests/tools/ntp-classic.sh)
# with `broadcastclient`, which must select us.  NTPsec cannot be that
# client: it dropped broadcast clients ("broadcastclient" is a syntax error
# to its ntpd), and Debian 12's `ntp` is a transitional package to NTPsec.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ntp_classic.sh"
cleanup() {
	ntpd_stop
	e2e_cleanup
}
trap cleanup EXIT
e2e_setup_net
# a LAN interface has a broadcast address (lib.sh's has none): classic ntpd
# listens for broadcasts on it
in_cli ip addr del $CLI4/24 dev "$VETH_CLI"
in_cli ip addr add $CLI4/24 brd + dev "$VETH_CLI"

KEY_HEX=933F62BE1D604E68A81B557F18CFA200483F5B70
cat >"$WORK/server.keys" <<EOK
5 SHA1 HEX:$KEY_HEX
EOK
chmod 600 "$WORK/server.keys"

# listen.py FAMILY GROUP_IFACE COUNT WINDOW_S [KEYID]: take up to COUNT mode-5
# packets on port 123 within WINDOW_S; check each (from the server's port
# 123, mode 5 version 4, LI 0, stratum 2, poll 0, origin and receive 0,
# transmit 0.25 s ahead of the host clock within 50 ms, MAC when KEYID);
# print how many.
cat >"$WORK/listen.py" <<'EOP'
import hashlib, socket, struct, sys, time
fam, iface, count, window = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
keyid = int(sys.argv[5]) if len(sys.argv) > 5 else 0
key = bytes.fromhex(sys.argv[6]) if keyid else b""
if fam == "4":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", 123))
    server = "192.0.2.1"
else:
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::", 123))
    idx = socket.if_nametoindex(iface)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                 socket.inet_pton(socket.AF_INET6, "ff02::101") + struct.pack("@I", idx))
    server = None     # a link-local source
print("listening", flush=True)
got, deadline = 0, time.time() + window
while got < count and time.time() < deadline:
    s.settimeout(max(0.01, deadline - time.time()))
    try:
        data, peer = s.recvfrom(1024)
    except socket.timeout:
        break
    now = time.time()
    if server and peer[0] != server:
        continue
    lvm, stratum, poll = data[0], data[1], struct.unpack("b", data[2:3])[0]
    org, rec, xmt = struct.unpack("!QQQ", data[24:48])
    served = (xmt >> 32) - 2208988800 + (xmt & 0xffffffff) / 2**32
    bad = []
    if peer[1] != 123: bad.append("source port %d, not 123" % peer[1])
    if lvm != 0x25: bad.append("li_vn_mode %#x" % lvm)
    if stratum != 2: bad.append("stratum %d" % stratum)
    if poll != 0: bad.append("poll %d" % poll)
    if org or rec: bad.append("origin/receive not 0")
    if abs(served - now - 0.25) > 0.05: bad.append("offset %.3f" % (served - now))
    if keyid:
        if len(data) != 72 or struct.unpack("!I", data[48:52])[0] != keyid:
            bad.append("len %d, no keyid %d" % (len(data), keyid))
        elif hashlib.sha1(key + data[:48]).digest() != data[52:72]:
            bad.append("MAC does not verify")
    elif len(data) != 48:
        bad.append("len %d" % len(data))
    if bad:
        print("bad packet from %s: %s" % (peer[0], ", ".join(bad)), flush=True)
        sys.exit(1)
    got += 1
print("received %d" % got, flush=True)
EOP

# received FAMILY COUNT WINDOW [KEYID]: the listener in the client namespace
received() {
	local fam=$1 count=$2 window=$3; shift 3
	in_cli python3 "$WORK/listen.py" "$fam" "$VETH_CLI" "$count" "$window" ${1:+$1 $KEY_HEX} \
		>"$WORK/listen.out" 2>&1
	tail -1 "$WORK/listen.out"
}
gets() { [ "$(received "$@")" = "received $2" ] || { cat "$WORK/listen.out"; return 1; }; }

# the corrected clock model serves the upstream's time, not the host clock's
FAST="--clock corrected --upstream-min-poll 0 --upstream-max-poll 0 --max-missed 2 --xdp-mode native -i $VETH_SRV"

# 1. the upstream is not up yet: we serve unsynchronised and broadcast nothing
if daemon_start $FAST -s $CLI4:11123 --broadcast "192.0.2.255 1" \
	--broadcast "ff02::101%$VETH_SRV 1"; then
	check "unsynchronised: nothing broadcast over three intervals" \
		test "$(received 4 1 3)" = "received 0"
	check "unsynchronised: the daemon says it is holding" \
		grep -q "broadcast 192.0.2.255: not synchronised: holding" "$WORK/daemon.log"
	fake_upstream $CLI4 11123 -o 0.25 -s 1
	check "synchronised to an upstream 0.25 s ahead: mode-5 broadcasts carry its time" \
		wait_for 20 gets 4 3 3
	check "the same to the IPv6 link-local group ff02::101" gets 6 2 3
	daemon_stop
else
	for i in 1 2 3 4; do not_ok "daemon with --broadcast did not start"; done
fi

# 2. signed with key 5 of --keys, from the config file's directive
cat >"$WORK/b.conf" <<EOC
broadcast 192.0.2.255 1 key 5
EOC
if daemon_start $FAST -s $CLI4:11123 -c "$WORK/b.conf" --keys "$WORK/server.keys"; then
	check "broadcast ... key 5: 72-byte packets, key ID 5, the SHA1 MAC verifies" \
		wait_for 20 gets 4 2 3 5
	daemon_stop
else
	not_ok "daemon with a signed broadcast did not start"
fi

bad_key_refused() {
	local out
	out=$(nsenter --net="/run/netns/$NS_SRV" "$BIN" --metrics-listen 127.0.0.1:9124 \
		--xdp-mode socket --broadcast "192.0.2.255 1 key 9" --keys "$WORK/server.keys" 2>&1)
	[ $? -ne 0 ] && grep -q "broadcast 192.0.2.255: key 9 is not in --keys" <<<"$out"
}
check "a key the key file lacks: the daemon refuses to start, naming it" bad_key_refused
bad_words_refused() {
	local out
	out=$("$BIN" --check --broadcast "192.0.2.255 1 key" 2>&1)
	[ $? -eq 2 ] && grep -q -- "--broadcast: 'key': expected key ID" <<<"$out"
}
check "broadcast ADDR INTERVAL key (no ID): exit 2, naming it" bad_words_refused

# 3. classic ntpd as the broadcast client (ntp_classic.sh: it cannot touch
# the host clock), signed with key 5.  Its upstream is on an address of its
# own (UP4): ntpd takes a server whose refid is its own address for a timing
# loop and will not select it.
UP4=192.0.2.3
BCLIENT=broadcastclient
# our_sys_peer: ntpq -pn shows us as the system peer ('*') of a broadcast
# association ('b'), at our stratum 2, with the upstream's refid
our_sys_peer() {
	ntpq_c peers >"$WORK/ntpq.out" 2>&1
	grep -qE "^\*$SRV4 +$UP4 +2 b " "$WORK/ntpq.out"
}
# offset_is_truth: ntpd measures us 0.25 s ahead of the host clock (+-50 ms)
offset_is_truth() {
	awk -v s="*$SRV4" '$1 == s { o = $9 } END { exit !(o > 200 && o < 300) }' "$WORK/ntpq.out" ||
		{ cat "$WORK/ntpq.out"; return 1; }
}
synced_stratum3() {
	ntpq_c rv >"$WORK/rv.out" 2>&1
	grep -q "sync_ntp" "$WORK/rv.out" && grep -q "stratum=3," "$WORK/rv.out" ||
		{ cat "$WORK/rv.out"; return 1; }
}
# volley_answered: ntpd calibrates the delay with client requests to the
# broadcast's source address and port, so they must leave from port 123 (the
# socket server counts our looped-back copy as passed/not_local); signed, its
# requests are passed up by XDP and answered by the socket server
volley_answered() {
	grep -q "request: $SRV4:123 v4 mode 5 -> passed/not_local (socket)" "$WORK/daemon.log" &&
		[ "$(socket_count passed not_local)" -gt 0 ] &&
		grep -q "request: $CLI4:123 v4 mode 3 -> answered/authenticated (socket)" "$WORK/daemon.log" &&
		[ "$(socket_count answered authenticated)" -gt 0 ]
}
# broadcasts_refused: ntpd turned away at least three packets ("restricted":
# a broadcast whose MAC does not verify is refused an association there)
# and used none for time
broadcasts_refused() {
	ntpq_c sysstats >"$WORK/sysstats.out" 2>&1
	awk -F: '/^restricted/ { r = $2 } /^processed for time/ { p = $2 }
		END { exit !(r >= 3 && p == 0) }' "$WORK/sysstats.out"
}
not_associated() {
	ntpq_c peers >"$WORK/ntpq.out" 2>&1
	! grep -q "$SRV4" "$WORK/ntpq.out" && ntpq_c rv | grep -q "sync_unspec" ||
		{ cat "$WORK/ntpq.out"; return 1; }
}
if ntpc_unavailable 7 "classic ntpd broadcast client"; then
	:
elif in_cli ip addr add $UP4/24 dev "$VETH_CLI" && fake_upstream $UP4 11124 -o 0.25 -s 1 &&
	daemon_start $FAST -s $UP4:11124 -c "$WORK/b.conf" --keys "$WORK/server.keys" \
		--log-requests 1000; then
	if ntpd_start $KEY_HEX "$BCLIENT"; then
		check "classic ntpd runs without CAP_SYS_TIME (it cannot set the clock)" \
			ntpd_no_sys_time
		check "classic ntpd broadcastclient: our broadcast association becomes its system peer" \
			wait_for 40 our_sys_peer
		sed 's/^/# /' "$WORK/ntpq.out"
		check "it measures our time 0.25 s ahead of the host clock, the upstream's (+-50 ms)" \
			offset_is_truth
		check "ntpq rv: synchronised (sync_ntp) at stratum 3, ours + 1" synced_stratum3
		check "broadcasts leave from port 123; ntpd's signed volley to it is answered" \
			volley_answered
		ntpd_stop
		# the same broadcasts to a client whose key 5 is another secret
		if ntpd_start 0123456789ABCDEF0123456789ABCDEF01234567 "$BCLIENT"; then
			check "a client with another key 5: it refuses our broadcasts, uses none for time" \
				wait_for 20 broadcasts_refused
			check "... and it stays unsynchronised, with no association for us" not_associated
		else
			for i in 1 2; do not_ok "classic ntpd (other key) did not start"; done
		fi
		ntpd_stop
	else
		for i in 1 2 3 4 5 6 7; do not_ok "classic ntpd did not start"; done
	fi
	daemon_stop
else
	for i in 1 2 3 4 5 6 7; do not_ok "daemon or upstream for classic ntpd did not start"; done
fi

e2e_finish
