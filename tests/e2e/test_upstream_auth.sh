#!/usr/bin/env bash
# Authenticated upstreams (`server HOST key ID`) against chronyd holding
# keys, in the client namespace: our requests are signed (chronyd answers a
# signed request with a reply signed by the same key, and only such a reply
# is taken), SHA1 and AES128CMAC both give a source the agent selects and
# serves through XDP.  A chronyd whose key 3 differs from ours, one that does
# not know our key 4, and a server answering unsigned are rejected: never
# reachable, never selected, and the log says why, once each.  With only
# those left the answers are unsynchronised.
set -u
. "$(dirname "$0")/lib.sh"

trap e2e_cleanup EXIT
e2e_setup_net

SHA1_KEY=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c
AES_KEY=00112233445566778899aabbccddeeff
cat >"$WORK/keys" <<EOK
# ours
1 SHA1 HEX:$SHA1_KEY
2 AES128 HEX:$AES_KEY
3 SHA1 HEX:1111111111111111111111111111111111111111
4 SHA1 ASCII:nobody-else-has-this
5 SHA1 ASCII:for-the-unsigned-one
EOK
chmod 600 "$WORK/keys"

# chronyd_up PORT STRATUM KEYLINE: a chronyd upstream holding one key
chronyd_up() {
	echo "$3" >"$WORK/chrony-$1.keys"
	chmod 600 "$WORK/chrony-$1.keys"
	cat >"$WORK/chrony-$1.conf" <<EOC
port $1
local stratum $2
allow
cmdport 0
bindcmdaddress $WORK/chrony-$1.sock
keyfile $WORK/chrony-$1.keys
pidfile $WORK/chrony-$1.pid
EOC
	ip netns exec "$NS_CLI" chronyd -x -d -u root -f "$WORK/chrony-$1.conf" >"$WORK/chrony-$1.log" 2>&1 &
	UP_PIDS+=($!)
	LAST_UP=$!
}
# chrony_stat PORT FIELD: a number of chronyc serverstats, "NTP packets received" ...
chrony_stat() {
	chronyc -h "$WORK/chrony-$1.sock" serverstats | awk -F: -v f="$2" '$1 ~ f { print $2 + 0 }'
}
stop_up() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

chronyd_up 11123 3 "1 SHA1 HEX:$SHA1_KEY"; A=$LAST_UP
chronyd_up 11124 4 "2 AES128 HEX:$AES_KEY"; B=$LAST_UP
chronyd_up 11125 2 "3 SHA1 HEX:2222222222222222222222222222222222222222"
chronyd_up 11126 2 "1 SHA1 HEX:$SHA1_KEY"
fake_upstream $CLI4 11127 -s 1
# a server signing with our key ID 1 and a digest that is not the key's:
# stratum 2 with the right origin, everything else an answer would need
cat >"$WORK/badmac.py" <<'EOP'
import os, socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(120)			# bounded: gone after two idle minutes
print("listening", flush=True)
while True:
    req, peer = s.recvfrom(1024)
    now = time.time() + 2208988800
    ts = struct.pack("!II", int(now), int((now % 1) * 2**32))
    rsp = bytes([0x24, 2, req[2], 0xec]) + bytes(8) + b"GPS\0" + ts + req[40:48] + ts + ts
    s.sendto(rsp + struct.pack("!I", 1) + os.urandom(20), peer)
EOP
ip netns exec "$NS_CLI" timeout 300 python3 "$WORK/badmac.py" $CLI4 11128 >"$WORK/badmac.log" 2>&1 &
UP_PIDS+=($!)
wait_for 5 grep -q listening "$WORK/badmac.log"

cat >"$WORK/xdp-ntpd.conf" <<EOC
keyfile $WORK/keys
trustedkey 1-5
server $CLI4 port 11123 key 1
server $CLI4 port 11124 key 2
server $CLI4 port 11125 key 3
server $CLI4 port 11126 key 4
server $CLI4 port 11127 key 5
server $CLI4 port 11128 key 1
EOC

reachable() {
	in_srv curl -sf http://127.0.0.1:9123/metrics |
		awk -v m="xdp_ntpd_upstream_reachable{upstream=\"$CLI4:$1\"}" '$1 == m { print $2 }'
}
rejected_by() {
	in_srv curl -sf http://127.0.0.1:9123/metrics |
		awk -v m="xdp_ntpd_upstream_bad_responses_total{upstream=\"$CLI4:$1\"}" '$1 == m { print $2 }'
}
samples() {
	in_srv curl -sf http://127.0.0.1:9123/metrics |
		awk -v m="xdp_ntpd_upstream_samples_total{upstream=\"$CLI4:$1\"}" '$1 == m { print $2 }'
}
why() { grep -c "upstream $CLI4 port $1: reply rejected, key $2: $3" "$WORK/daemon.log"; }

if daemon_start -c "$WORK/xdp-ntpd.conf" --upstream-min-poll 0 --upstream-max-poll 0 \
		--max-missed 2 --xdp-mode native -i "$VETH_SRV"; then
	check "SHA1-keyed chronyd (stratum 3) selected: stratum 4 served through XDP" \
		serves "li=0 stratum=4 refid=192.0.2.2"
	check "  ... answered in XDP (counter)" test "$(xdp_count answered ipv4)" -ge 1
	check "  ... reachable, and chronyd counted our requests authenticated" \
		test "$(reachable 11123)" = 1 -a "$(chrony_stat 11123 "Authenticated NTP packets")" -ge 1
	check "AES128CMAC-keyed chronyd reachable too" wait_for 10 test "$(reachable 11124)" = 1
	check "  ... chronyd counted our requests authenticated" \
		test "$(chrony_stat 11124 "Authenticated NTP packets")" -ge 1
	# chronyd answers nothing it cannot verify: for us, no answer, and a hint
	check "a chronyd with another secret for key 3: never reachable, no sample" \
		test "$(reachable 11125)" = 0 -a "$(samples 11125)" = 0
	check "  ... the log says why" grep -q "upstream $CLI4 port 11125: unreachable after 2 missed polls; our requests are signed with key 3: a server without that key, or with another secret for it, does not answer" "$WORK/daemon.log"
	check "  ... chronyd received them, none authenticated" test \
		"$(chrony_stat 11125 "NTP packets received")" -ge 2 -a "$(chrony_stat 11125 "Authenticated NTP packets")" = 0
	check "a chronyd without our key 4: never reachable, no sample" \
		test "$(reachable 11126)" = 0 -a "$(samples 11126)" = 0
	check "  ... the log says why" grep -q "upstream $CLI4 port 11126: unreachable after 2 missed polls; our requests are signed with key 4" "$WORK/daemon.log"
	check "an upstream answering unsigned: rejected, never reachable" \
		test "$(rejected_by 11127)" -ge 2 -a "$(reachable 11127)" = 0
	check "  ... the log says why" test "$(why 11127 5 "the reply is not signed")" -ge 1
	check "  ... once, not per poll" test "$(why 11127 5 "the reply is not signed")" = 1
	check "an upstream signing with our key ID, a wrong digest: rejected, never reachable" \
		test "$(rejected_by 11128)" -ge 2 -a "$(reachable 11128)" = 0
	check "  ... the log says why" test "$(why 11128 1 "the reply's MAC does not verify with our key")" = 1

	stop_up "$A"
	check "SHA1 upstream stopped: the AES128CMAC one (stratum 4) takes over: stratum 5" \
		serves "li=0 stratum=5 refid=192.0.2.2"
	stop_up "$B"
	check "only the rejected ones left: answers unsynchronised" serves "li=3 stratum=0"
	daemon_stop
else
	not_ok "daemon starts with keyed upstreams"
fi

# refused at start, exit 2, naming the line: a key the file lacks, one not trusted
sed 's/^trustedkey 1-5$/trustedkey 1-2/' "$WORK/xdp-ntpd.conf" >"$WORK/untrusted.conf"
in_srv_net timeout 10 "$BIN" -c "$WORK/untrusted.conf" --check >"$WORK/untrusted.txt" 2>&1
check "server key not in trustedkey: --check exits 2" test $? = 2
check "  ... naming the server and the key" \
	grep -q "server $CLI4 key 3: not a trusted key (trustedkey)" "$WORK/untrusted.txt"
printf 'keyfile %s\nserver %s key 9\n' "$WORK/keys" $CLI4 >"$WORK/nokey.conf"
in_srv_net timeout 10 "$BIN" -c "$WORK/nokey.conf" --check >"$WORK/nokey.txt" 2>&1
check "server key not in the key file: --check exits 2" test $? = 2
check "  ... naming it" grep -q "server $CLI4 key 9: no such key in the key file" "$WORK/nokey.txt"
e2e_finish
