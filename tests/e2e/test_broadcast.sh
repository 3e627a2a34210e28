#!/usr/bin/env bash
# The broadcast server (--broadcast / `broadcast ADDR [INTERVAL] [key ID]`):
# mode-5 packets to the subnet broadcast and to an IPv6 link-local group,
# only while synchronised, signed when a key is named; the time they carry
# is checked against truth (an upstream 0.25 s ahead of the host clock).
#
# The client is a listener written here, not NTPsec's ntpd: NTPsec dropped
# broadcast clients ("broadcastclient" is a syntax error to its ntpd; its
# NEWS: "support for broadcast/multicast clients has been dropped"), and
# Debian 12's `ntp` is a transitional package to NTPsec.
set -u
. "$(dirname "$0")/lib.sh"
trap e2e_cleanup EXIT
e2e_setup_net

KEY_HEX=933F62BE1D604E68A81B557F18CFA200483F5B70
cat >"$WORK/server.keys" <<EOK
5 SHA1 HEX:$KEY_HEX
EOK
chmod 600 "$WORK/server.keys"

# listen.py FAMILY GROUP_IFACE COUNT WINDOW_S [KEYID]: take up to COUNT mode-5
# packets on port 123 within WINDOW_S; check each (from the server, mode 5
# version 4, LI 0, stratum 2, poll 0, origin and receive 0, transmit 0.25 s
# ahead of the host clock within 50 ms, MAC when KEYID); print how many.
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

e2e_finish
