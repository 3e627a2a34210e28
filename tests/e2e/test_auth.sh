#!/usr/bin/env bash
# Symmetric-key authentication in the socket server (XDP passes the longer
# packets up): chronyd as a client with `key N` must synchronise for every key
# type; a wrong key gets nothing, an unknown key id a crypto-NAK only.
set -u
. "$(dirname "$0")/lib.sh"
trap e2e_cleanup EXIT
e2e_setup_net

cat >"$WORK/server.keys" <<'EOK'
# ID TYPE KEY, as chrony and ntpd write them
10 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70
11 AES128 HEX:7EA62AE64D190114D46D5A082F948EC1
12 MD5 ASCII:crocus
EOK
chmod 600 "$WORK/server.keys"	# a key file others may read is refused

# chrony_with_key ID KEYLINE: chronyd -Q using that key to our server
chrony_with_key() {
	printf '%s\n' "$2" >"$WORK/client.keys"
	printf 'server %s key %s iburst maxsamples 1\nkeyfile %s\n' $SRV4 "$1" "$WORK/client.keys" \
		>"$WORK/client.conf"
	in_cli timeout 20 chronyd -Q -f "$WORK/client.conf" -t "${3:-15}" 2>&1 | grep -q "System clock wrong by"
}


bad_keyfile_refused() {
	local out rc
	out=$("$BIN" --keys "$WORK/bad.keys" 2>&1); rc=$?
	[ $rc -eq 2 ] && grep -q "bad.keys:2: AES128 keys are exactly 128 bits" <<<"$out"
}

socket_moved() {
	local reason=$1 before=$2
	[ "$(socket_count "${3:-answered}" "$reason")" -gt "$before" ]
}

if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native --keys "$WORK/server.keys"; then
	ok "daemon starts with a key file"
	for k in "10 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70" \
		 "11 AES128 HEX:7EA62AE64D190114D46D5A082F948EC1" \
		 "12 MD5 ASCII:crocus"; do
		set -- $k
		before=$(socket_count answered authenticated)
		check "chronyd with a $2 key synchronises" chrony_with_key "$1" "$k"
		check "$2: answered, signed, by the socket server" socket_moved authenticated "$before"
	done
	before_pass=$(xdp_count passed length)
	check "XDP passed the signed requests up (counted as passed/length)" \
		test "$before_pass" -gt 0
	# a burst of signed requests, most of them read in one batch: each reply
	# has its own transmit timestamp, taken after its own MAC work (one per
	# batch would give every reply of a batch the same one)
	check "a burst of 64 signed requests: 64 signed answers, each its own transmit time" \
		in_cli python3 - "$SRV4" <<'EOP'
import hashlib, os, socket, struct, sys
key = bytes.fromhex("933F62BE1D604E68A81B557F18CFA200483F5B70")
socks, sent = [], {}
for i in range(64):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((sys.argv[1], 123))
    xmt = os.urandom(8)
    pkt = bytes([0x23]) + bytes(39) + xmt
    socks.append((s, xmt))
    s.send(pkt + struct.pack("!I", 10) + hashlib.sha1(key + pkt).digest())
t3 = []
for s, xmt in socks:
    r = s.recv(100)
    assert len(r) == 72, len(r)				# signed: 48 + key id + SHA1
    assert r[24:32] == xmt				# the answer to this request
    assert hashlib.sha1(key + r[:48]).digest() == r[52:72]	# signed with our key
    t3.append(r[40:48])
assert len(set(t3)) == 64, "%d distinct transmit timestamps of 64" % len(set(t3))
EOP
	before=$(socket_count dropped bad_mac)
	check "wrong key value: chronyd gets no usable answer" \
		not chrony_with_key 10 "10 SHA1 HEX:0000000000000000000000000000000000000000" 4
	check "wrong key value: request dropped as bad_mac" socket_moved bad_mac "$before" dropped
	before=$(socket_count refused crypto_nak)
	check "unknown key id: chronyd gets no usable answer" \
		not chrony_with_key 99 "99 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70" 4
	check "unknown key id: answered with a crypto-NAK only" socket_moved crypto_nak "$before" refused
	daemon_stop
else
	not_ok "daemon starts with a key file"
fi

# trustedkey: keys of the file outside the list are answered as unknown
if daemon_start --local-stratum 10 --xdp-mode socket --keys "$WORK/server.keys" --trusted-key 10,11; then
	before=$(socket_count answered authenticated)
	check "trustedkey 10,11: chronyd with key 10 synchronises" \
		chrony_with_key 10 "10 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70"
	check "  ... answered signed" socket_moved authenticated "$before"
	before=$(socket_count refused crypto_nak)
	check "key 12, in the file but not trusted: chronyd gets no usable answer" \
		not chrony_with_key 12 "12 MD5 ASCII:crocus" 4
	check "  ... a crypto-NAK only, as for an unknown key" socket_moved crypto_nak "$before" refused
	daemon_stop
else
	not_ok "daemon starts with --trusted-key"
fi
in_srv_net timeout 10 "$BIN" --xdp-mode socket --keys "$WORK/server.keys" --trusted-key 10,13 \
	>"$WORK/trust.txt" 2>&1
check "a trustedkey the file lacks: exit 2" test $? = 2
check "  ... naming it and the file" grep -q "trustedkey 13: no such key in $WORK/server.keys" "$WORK/trust.txt"

: >"$WORK/bad.keys"; echo "5 SHA1" >>"$WORK/bad.keys"; echo "6 AES128 HEX:00" >>"$WORK/bad.keys"
chmod 600 "$WORK/bad.keys"
check "a bad key file stops start-up with FILE:LINE" bad_keyfile_refused

e2e_finish
