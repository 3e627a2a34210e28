#!/usr/bin/env bash
# OpenSSL is loaded only when the configuration uses it (userspace/openssl_lazy.h):
# socket mode without NTS or a key file maps neither libcrypto nor libssl,
# and traffic that could reach crypto code (a signed request, an NTS-shaped
# request, a WebSocket handshake, whose SHA-1 is nettle's) does not load it;
# with a key file libcrypto is mapped (libssl is not) and signed requests
# are answered and signed; with NTS both are mapped and a key exchange and
# an NTS request succeed.  Every start runs under the seccomp filter, so a
# load after it would be refused and kill the daemon.  With OpenSSL's files
# made unreadable (/dev/null bound over them in a mount namespace of the
# daemon's own) socket mode still serves, and a key file or NTS stops the
# start with a non-zero exit naming the library.
set -u
. "$(dirname "$0")/lib.sh"
PROBE="$E2E_ROOT/build/tests/nts_probe"
trap e2e_cleanup EXIT
echo "1..16"
e2e_setup_net

# mapped LIB: the running daemon has LIB (libcrypto, libssl) mapped
mapped() { grep -q "/$1\.so" "/proc/$DAEMON_PID/maps"; }
alive() { kill -0 "$DAEMON_PID" 2>/dev/null; }
# socket_requests: every request the socket server counted, any outcome
socket_requests() {
	in_srv curl -sf http://127.0.0.1:9123/metrics |
		awk '/^xdp_ntpd_requests_total\{path="socket"/ { s += $2 } END { print s + 0 }'
}
counted_since() { [ "$(socket_requests)" -ge $(($1 + $2)) ]; }

cat >"$WORK/server.keys" <<'EOK'
10 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70
EOK
chmod 600 "$WORK/server.keys"

# signed_request EXPECT: one request signed with key 10; EXPECT "signed"
# wants a 72-byte answer signed with the key, "any" only sends it
signed_request() {
	in_cli python3 - "$SRV4" "$1" <<'EOP'
import hashlib, os, socket, struct, sys
key = bytes.fromhex("933F62BE1D604E68A81B557F18CFA200483F5B70")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((sys.argv[1], 123))
pkt = bytes([0x23]) + bytes(39) + os.urandom(8)
s.send(pkt + struct.pack("!I", 10) + hashlib.sha1(key + pkt).digest())
if sys.argv[2] == "any":
    sys.exit(0)
r = s.recv(100)
assert len(r) == 72, len(r)
assert r[24:32] == pkt[40:48]
assert hashlib.sha1(key + r[:48]).digest() == r[52:72], "not signed with key 10"
EOP
}

# nts_shaped_request: a request with NTS's fields (unique identifier, a
# cookie, an authenticator) to a server that has no NTS
nts_shaped_request() {
	in_cli python3 - "$SRV4" <<'EOP'
import os, socket, struct, sys
def ef(t, body):
    return struct.pack("!HH", t, 4 + len(body)) + body
pkt = bytes([0x23]) + bytes(39) + os.urandom(8)
pkt += ef(0x0104, os.urandom(32)) + ef(0x0204, os.urandom(100))
pkt += ef(0x0404, struct.pack("!HH", 16, 0) + os.urandom(16))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((sys.argv[1], 123))
s.send(pkt)
EOP
}

# ws_handshake: an RFC 6455 upgrade on the metrics listener; the accept
# value checked against Python's own SHA-1 (section 4.2.2's derivation)
ws_handshake() {
	in_srv python3 - <<'EOP'
import base64, hashlib, os, socket
key = base64.b64encode(os.urandom(16)).decode()
s = socket.create_connection(("127.0.0.1", 9123), timeout=5)
s.send(("GET / HTTP/1.1\r\nHost: 127.0.0.1:9123\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
        % key).encode())
head = b""
while b"\r\n\r\n" not in head:
    chunk = s.recv(1024)
    assert chunk, head
    head += chunk
want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                                     .encode()).digest()).decode()
assert head.startswith(b"HTTP/1.1 101"), head
assert ("sec-websocket-accept: " + want).lower().encode() in head.lower(), head
EOP
}

# --- socket mode, no NTS, no key file ------------------------------------
if daemon_start --local-stratum 10 --xdp-mode socket -i "$VETH_SRV"; then
	ok "socket mode starts without NTS or a key file"
else
	not_ok "socket mode starts without NTS or a key file"
fi
check "no NTS, no key file: libcrypto is not mapped" not mapped libcrypto
check "no NTS, no key file: libssl is not mapped" not mapped libssl
before=$(socket_answered_total)
check "an unsigned request is answered by the socket server" \
	eval 'served >/dev/null && [ "$(socket_answered_total)" -gt "$before" ]'
before=$(socket_requests)
signed_request any
nts_shaped_request
check "a WebSocket handshake: the accept key is RFC 6455's (nettle's SHA-1)" ws_handshake
check "a signed and an NTS-shaped request counted; still serving, libcrypto still not mapped" \
	eval 'wait_for 10 counted_since "$before" 2 && served >/dev/null && alive && not mapped libcrypto'
daemon_stop

# --- a key file: libcrypto, not libssl -----------------------------------
if daemon_start --local-stratum 10 --xdp-mode socket -i "$VETH_SRV" --keys "$WORK/server.keys"; then
	ok "socket mode starts with a key file"
else
	not_ok "socket mode starts with a key file"
fi
check "a key file: libcrypto is mapped at start-up" mapped libcrypto
check "a key file alone: libssl is not mapped" not mapped libssl
before=$(socket_count answered authenticated)
check "a signed request is answered, signed with the key, counted answered/authenticated" \
	eval 'signed_request signed && [ "$(socket_count answered authenticated)" -gt "$before" ]'
daemon_stop

# --- NTS: libssl and libcrypto -------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-keyout "$WORK/ca.key" -out "$WORK/ca.crt" -subj "/CN=xdp-ntpd test CA" 2>/dev/null &&
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$WORK/server.key" -out "$WORK/server.csr" -subj /CN=ntp.test 2>/dev/null &&
printf 'subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\n' $SRV4 >"$WORK/server.ext" &&
openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" \
	-CAcreateserial -days 2 -extfile "$WORK/server.ext" -out "$WORK/server.crt" 2>/dev/null &&
chmod 600 "$WORK/server.key" || { echo "Bail out! openssl could not make the test CA"; exit 1; }

if daemon_start --local-stratum 10 --xdp-mode socket -i "$VETH_SRV" \
		--nts-cert "$WORK/server.crt" --nts-key "$WORK/server.key"; then
	ok "socket mode starts with NTS"
else
	not_ok "socket mode starts with NTS"
fi
check "NTS: libssl and libcrypto are mapped at start-up" eval 'mapped libssl && mapped libcrypto'
nts_answered() {
	local out
	out=$(in_cli "$PROBE" -c "$WORK/ca.crt" -k $SRV4 -n 1)
	grep -q "^ke cookies=8 " <<<"$out" && grep -q "^answer .* stratum=10 li=0 " <<<"$out"
}
check "NTS: a key exchange and an authenticated NTS answer" nts_answered
daemon_stop

# --- OpenSSL unreadable ---------------------------------------------------
lib_path() { readlink -f "$(ldconfig -p | awk -v l="$1" '$1 == l { print $NF; exit }')"; }
CRYPTO_SO=$(lib_path libcrypto.so.3)
SSL_SO=$(lib_path libssl.so.3)
# hide FILE... -- COMMAND...: COMMAND in a private mount namespace where each
# FILE reads as empty; unshare and sh exec, so the PID is COMMAND's
cat >"$WORK/hide.sh" <<'EOS'
#!/bin/sh
exec unshare -m --propagation private sh -c '
	while [ "$1" != -- ]; do mount --bind /dev/null "$1" || exit 97; shift; done
	shift; exec "$@"' sh "$@"
EOS
chmod 755 "$WORK/hide.sh"
DAEMON_WRAPPER="$WORK/hide.sh $CRYPTO_SO $SSL_SO --"
if daemon_start --local-stratum 10 --xdp-mode socket -i "$VETH_SRV"; then
	check "OpenSSL unreadable: socket mode without NTS or a key file starts and answers" \
		eval 'served >/dev/null && ! grep -q /dev/null "/proc/$DAEMON_PID/maps"'
else
	not_ok "OpenSSL unreadable: socket mode without NTS or a key file starts and answers"
fi
daemon_stop
# refused_naming LIB ARGS...: the start exits non-zero, saying LIB
refused_naming() {
	local lib=$1 out rc
	shift
	out=$(nsenter --net="/run/netns/$NS_SRV" timeout 20 $DAEMON_WRAPPER "$BIN" --local-stratum 10 \
		--xdp-mode socket -i "$VETH_SRV" "$@" 2>&1); rc=$?
	echo "# exit $rc: $(grep OpenSSL <<<"$out")"
	[ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $rc -ne 97 ] && grep -q "OpenSSL: .*$lib" <<<"$out"
}
check "libcrypto unreadable, a key file: the start fails naming libcrypto.so.3" \
	refused_naming libcrypto.so.3 --keys "$WORK/server.keys"
DAEMON_WRAPPER="$WORK/hide.sh $SSL_SO --"
check "libssl unreadable, NTS: the start fails naming libssl.so.3" \
	refused_naming libssl.so.3 --nts-cert "$WORK/server.crt" --nts-key "$WORK/server.key"
DAEMON_WRAPPER=""
[ "$TESTS_RUN" -eq 16 ] || echo "# ran $TESTS_RUN checks of 16"
