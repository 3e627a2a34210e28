#!/usr/bin/env bash
# bench/ntp-load's pre-sealed NTS mode (-N CA -Z COUNT), so it cannot rot:
# requests sealed once after a real key exchange and sent round-robin are
# answered by our server (by the socket path: XDP passes NTS up) and by
# chronyd's NTS server on its own port, and the XDP counter on the client
# end counts each answer once, from the port under test; cookies another
# server issued get NAKs, which count as invalid, never as answered.
set -u
. "$(dirname "$0")/lib.sh"
LOAD="$E2E_ROOT/build/bench/ntp-load"
CHRONY_NTP=11123
CHRONY_KE=14460
CHRONY_PID=""
presealed_cleanup() {
	[ -n "$CHRONY_PID" ] && kill "$CHRONY_PID" 2>/dev/null && wait "$CHRONY_PID" 2>/dev/null
	e2e_cleanup
}
trap presealed_cleanup EXIT
echo "1..5"

e2e_setup_net
in_srv ip route add 198.18.0.0/15 via $CLI4
chmod 755 "$WORK"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -keyout "$WORK/ca.key" \
	-out "$WORK/ca.crt" -subj "/CN=presealed test CA" 2>/dev/null &&
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/srv.key" \
	-out "$WORK/srv.csr" -subj /CN=ntp.test 2>/dev/null &&
printf 'subjectAltName=IP:%s\n' $SRV4 >"$WORK/ext" &&
openssl x509 -req -in "$WORK/srv.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" -CAcreateserial \
	-days 2 -extfile "$WORK/ext" -out "$WORK/srv.crt" 2>/dev/null &&
chmod 644 "$WORK/ca.crt" "$WORK/srv.crt" || { echo "Bail out! openssl could not make the test CA"; exit 1; }

daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native \
	--nts-cert "$WORK/srv.crt" --nts-key "$WORK/srv.key" || { echo "Bail out! no daemon"; exit 1; }
# chronyd's NTS server beside it, as bench/nts-bench runs it
mkdir -m 700 "$WORK/chrony-nts"
cat >"$WORK/chrony-nts.conf" <<EOC
local stratum 10
allow
port $CHRONY_NTP
ntsport $CHRONY_KE
cmdport 0
pidfile $WORK/chrony-nts.pid
ntsservercert $WORK/srv.crt
ntsserverkey $WORK/srv.key
ntsdumpdir $WORK/chrony-nts
EOC
# not through in_srv: a function run with & is a subshell, and killing
# that would leave chronyd running; `ip netns exec` execs chronyd itself
ip netns exec "$NS_SRV" chronyd -x -d -u root -f "$WORK/chrony-nts.conf" >"$WORK/chrony.log" 2>&1 &
CHRONY_PID=$!
wait_for 10 in_srv sh -c "ss -Htln | grep -q ':$CHRONY_KE '" ||
	{ echo "Bail out! chronyd's NTS-KE did not listen"; cat "$WORK/chrony.log"; exit 1; }

# presealed OUT ARGS...: 600 requests at 600/s, 200 of them pre-sealed (each
# sent three times), one step, bounded in count and time
presealed() {
	local out=$1; shift
	in_cli "$LOAD" -i "$VETH_CLI" -m "$SRV_MAC" -d $SRV4 -s 198.18.0.0/15 -c 64 \
		-N "$WORK/ca.crt" -Z 200 -r 600 -R 600 -t 1 -n 600 -T 10 "$@" >"$WORK/$out.md" 2>&1
}
# counted OUT SENT ANSWERED INVALID KISS: ntp-load's totals are exactly these
counted() {
	local f="$WORK/$1.md"
	grep -q "^nts: 200 requests pre-sealed, sent round-robin; answers counted in XDP, not verified$" "$f" &&
		grep -q "^total: sent $2 answered $3 invalid $4 late 0 duplicate 0$" "$f" &&
		grep -q "^nts: pre-sealed, not verified: answered $3 kiss $5$" "$f" ||
		{ cat "$f"; return 1; }
}

pass0=$(xdp_count passed nts)
sock0=$(socket_count answered nts)
xdp0=$(xdp_answered)
presealed ours
check "pre-sealed against xdp-ntpd: 600 sent (200 requests, each three times), 600 answered, none invalid" \
	counted ours 600 600 0 0
check "XDP passed the 600 up (passed/nts), the socket server answered them (answered/nts), XDP answered none" \
	test "$(( $(xdp_count passed nts) - pass0 ))" -eq 600 -a \
	"$(( $(socket_count answered nts) - sock0 ))" -eq 600 -a "$(xdp_answered)" -eq "$xdp0"
presealed chronyd -p $CHRONY_NTP -K $CHRONY_KE
check "pre-sealed against chronyd's NTS on port $CHRONY_NTP (key exchange on $CHRONY_KE): all 600 counted from that port" \
	counted chronyd 600 600 0 0
# chronyd's cookies, sent to our server: none opens, each answer a NAK
# (NTSN, stratum 0), which an unverified count must not take for an answer
presealed naks -K $CHRONY_KE
check "chronyd's cookies sent to xdp-ntpd: 600 NAKs, counted kiss and invalid, none answered" \
	counted naks 600 0 600 600
check "the key exchange that run used was chronyd's (8 cookies), the requests went to port 123" \
	grep -q "^nts: key exchange with $SRV4 port $CHRONY_KE: 8 cookies" "$WORK/naks.md"
