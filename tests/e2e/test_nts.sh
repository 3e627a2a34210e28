#!/usr/bin/env bash
# NTS (RFC 8915) end to end, in namespaces, with a test CA made by openssl:
# the key exchange (ALPN, TLS 1.3 only, a per-connection deadline), chronyd
# 4.3 and NTPsec's ntpd as NTS clients synchronising through XDP (which
# passes NTS up, counted passed/nts) to the socket server (answered/nts);
# then each attack's documented outcome with our own client (nts_probe): a
# tampered request dropped, a tampered answer rejected by the client, a
# replayed request answered again (stateless), a truncated field dropped,
# a cookie from a rotated-out key NAKed (NTSN); cookies surviving a restart
# through the key file, a certificate reloaded on SIGHUP, the Server
# Negotiation record; the key exchange's Error records (codes 0 and 1, a
# client's Warning record, a request with no End of Message), its deadline
# and its bound (refused at once past it); ntp-load's NTS mode.  The NTS
# counters of /metrics are read at each case: they prove its outcome.
# Every NTS answer on the wire during the suite is checked not longer than
# its request (tcpdump on the server's end).
set -u
. "$(dirname "$0")/lib.sh"
PROBE="$E2E_ROOT/build/tests/nts_probe"
LOAD="$E2E_ROOT/build/bench/ntp-load"
CLOCK_EPERM="$E2E_ROOT/build/tests/clock_eperm"
NTPSEC_PID_FILE=""
TCPDUMP_PID=""
HOLD_PIDS=()

nts_cleanup() {
	[ -n "$TCPDUMP_PID" ] && kill "$TCPDUMP_PID" 2>/dev/null && wait "$TCPDUMP_PID" 2>/dev/null
	[ -n "$NTPSEC_PID_FILE" ] && [ -s "$NTPSEC_PID_FILE" ] && kill "$(cat "$NTPSEC_PID_FILE")" 2>/dev/null
	for p in "${HOLD_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	e2e_cleanup
}
trap nts_cleanup EXIT
echo "1..30"
exec 3>&1	# figures as TAP comments on stdout, past check's log

e2e_setup_net
chmod 755 "$WORK"	# chronyd reads the CA after dropping to _chrony

# make_cert NAME: a CA NAME-ca.crt and a server certificate NAME.crt/.key
# for our addresses, P-256 (what a real deployment would get from ACME)
make_cert() {
	local n=$1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-keyout "$WORK/$n-ca.key" -out "$WORK/$n-ca.crt" -subj "/CN=xdp-ntpd test CA $n" 2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$WORK/$n.key" -out "$WORK/$n.csr" -subj /CN=ntp.test 2>/dev/null &&
	printf 'subjectAltName=IP:%s,IP:%s,DNS:ntp.test\nbasicConstraints=CA:FALSE\n' $SRV4 $SRV6 \
		>"$WORK/$n.ext" &&
	openssl x509 -req -in "$WORK/$n.csr" -CA "$WORK/$n-ca.crt" -CAkey "$WORK/$n-ca.key" \
		-CAcreateserial -days 2 -extfile "$WORK/$n.ext" -out "$WORK/$n.crt" 2>/dev/null &&
	chmod 644 "$WORK/$n-ca.crt" && chmod 600 "$WORK/$n.key"
}
make_cert one && make_cert two || { echo "Bail out! openssl could not make the test CA"; exit 1; }

# --check loads what a start would: a key not matching its certificate, a
# certificate alone, a missing file each exit 2 naming the problem
bad_configs_refused() {
	local out
	out=$("$BIN" --nts-cert "$WORK/one.crt" --nts-key "$WORK/two.key" --check 2>&1) &&
		{ echo "mismatched key accepted"; return 1; }
	grep -q "two.key: .*mismatch" <<<"$out" || { echo "$out"; return 1; }
	out=$("$BIN" --nts-cert "$WORK/one.crt" --check 2>&1) && return 1
	grep -q "go together" <<<"$out" || { echo "$out"; return 1; }
	out=$("$BIN" --nts-cert "$WORK/none.crt" --nts-key "$WORK/one.key" --check 2>&1)
	[ $? -eq 2 ] && grep -q "none.crt" <<<"$out" || { echo "$out"; return 1; }
	"$BIN" --nts-cert "$WORK/one.crt" --nts-key "$WORK/one.key" --check | grep -q "config OK"
}
check "--check refuses a key that does not match its certificate, a lone certificate, a missing file" \
	bad_configs_refused
cp "$WORK/one.crt" "$WORK/server.crt"
cp "$WORK/one.key" "$WORK/server.key"
mkdir -m 700 "$WORK/ntsdir"

# every request and answer on port 123 at the server's end, for the length check
in_srv tcpdump -i "$VETH_SRV" -n -U -w "$WORK/ntp.pcap" udp port 123 2>"$WORK/tcpdump.log" &
TCPDUMP_PID=$!
wait_for 5 grep -q "listening on" "$WORK/tcpdump.log"

write_conf() {
	cat >"$WORK/xdp-ntpd.conf" <<-EOC
	ntsservercert $WORK/server.crt
	ntsserverkey $WORK/server.key
	ntsdumpdir $WORK/ntsdir
	ntsprocesses 2
	$*
	EOC
}
write_conf
daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native -c "$WORK/xdp-ntpd.conf" ||
	{ echo "Bail out! daemon did not start"; exit 1; }

probe() { in_cli "$PROBE" -c "$WORK/one-ca.crt" "$@" | tee -a "$WORK/probe.log"; }
# answers_ok OUTPUT N COOKIES: N authenticated answers, each with COOKIES cookies
answers_ok() {
	[ "$(grep -c "^answer .* cookies=$3 stratum=10 li=0 " <<<"$1")" -eq "$2" ] ||
		{ echo "$1"; return 1; }
}

# the NTS rows of /metrics: key exchanges by outcome and reason, NTS
# requests by outcome and reason, cookies issued by where they went
ke_count() { metric "xdp_ntpd_nts_key_exchanges_total{outcome=\"$1\",reason=\"$2\"}"; }
req_count() { metric "xdp_ntpd_nts_requests_total{outcome=\"$1\",reason=\"$2\"}"; }
cookies_issued() { metric "xdp_ntpd_nts_cookies_issued_total{via=\"$1\"}"; }
ke_load() { metric "xdp_ntpd_nts_key_exchange_connections{state=\"$1\"}"; }
# moved NAME BEFORE N: the counter read by NAME (a function and its
# arguments, quoted as one word) is N more than BEFORE
moved() { local now; now=$(eval "$1"); [ "$(( ${now:-0} - $2 ))" -eq "$3" ] || { echo "$1: $2 -> $now, want +$3"; return 1; }; }

ke0=$(ke_count completed cookies)
kec0=$(cookies_issued key_exchange)
out=$(probe -k $SRV4 -n 0)
check "NTS-KE over IPv4: ALPN ntske/1, TLS 1.3, eight cookies" grep -q "^ke cookies=8 " <<<"$out"
out=$(probe -k $SRV6 -n 0)
check "NTS-KE over IPv6: eight cookies" grep -q "^ke cookies=8 " <<<"$out"
check "/metrics: two key exchanges completed/cookies, 16 cookies issued via key_exchange" \
	eval 'moved "ke_count completed cookies" $ke0 2 && moved "cookies_issued key_exchange" $kec0 16'

xdp_nts0=$(xdp_count passed nts)
sock_nts0=$(socket_count answered nts)
xdp_ans0=$(xdp_answered)
auth0=$(req_count answered authenticated)
ntpc0=$(cookies_issued ntp)
out=$(probe -k $SRV4 -n 3 -P 2)
check "IPv4: three NTS answers authenticate under S2C, three cookies each (cookie + 2 placeholders)" \
	answers_ok "$out" 3 3
out=$(probe -k $SRV6 -n 1 -P 7)
check "IPv6: seven placeholders get eight cookies (988 bytes each way)" answers_ok "$out" 1 8
check "XDP passed those four up, counted passed/nts; the socket server answered them (answered/nts)" \
	test "$(( $(xdp_count passed nts) - xdp_nts0 ))" -eq 4 -a \
	"$(( $(socket_count answered nts) - sock_nts0 ))" -eq 4 -a "$(xdp_answered)" -eq "$xdp_ans0"
check "/metrics: those four counted answered/authenticated, 3 x 3 + 8 = 17 cookies issued via ntp" \
	eval 'moved "req_count answered authenticated" $auth0 4 && moved "cookies_issued ntp" $ntpc0 17'

# the load generator's NTS mode (bench/ntp-load -N), so it cannot rot: 500
# requests from 64 simulated clients, each sealed anew, every answer's
# authenticator opened; what it verified is what the server counted
in_srv ip route add 198.18.0.0/15 via $CLI4
load_nts() {
	local out auth0 ver
	auth0=$(req_count answered authenticated)
	out=$(in_cli "$LOAD" -i "$VETH_CLI" -m "$SRV_MAC" -d $SRV4 -s 198.18.0.0/15 -c 64 \
		-N "$WORK/one-ca.crt" -r 500 -R 500 -t 1 -n 500 -T 10) || { echo "$out"; return 1; }
	grep -q "^nts: key exchange with $SRV4 port 4460: 8 cookies" <<<"$out" &&
		grep -q "^total: sent 500 " <<<"$out" &&
		grep -q "^nts: verified [1-9][0-9]* naks 0 unverified 0$" <<<"$out" || { echo "$out"; return 1; }
	ver=$(sed -n 's/^nts: verified \([0-9]*\) .*/\1/p' <<<"$out")
	echo "$out" | sed -n 's/^nts: /# ntp-load: /p' >&3
	moved "req_count answered authenticated" "$auth0" "$ver"
}
check "ntp-load -N: a key exchange, 500 NTS requests, each answer verified; as many as the server counted answered/authenticated" \
	load_nts

chrony_nts() {
	printf 'server %s iburst nts maxsamples 1\nntstrustedcerts %s\n' "$1" "$WORK/one-ca.crt" \
		>"$WORK/chrony-nts.conf"
	in_cli timeout 25 chronyd -Q -f "$WORK/chrony-nts.conf" -t 20 >"$WORK/chronyd.log" 2>&1
	grep -q "System clock wrong by" "$WORK/chronyd.log" || { cat "$WORK/chronyd.log"; return 1; }
	grep "System clock wrong by" "$WORK/chronyd.log" | sed "s/^/# chronyd over $1: /" >&3
}
sock_nts0=$(socket_count answered nts)
auth0=$(req_count answered authenticated)
ke0=$(ke_count completed cookies)
check "chronyd 4.3 as an NTS client (server $SRV4 nts) synchronises: chronyd -Q reports an offset" \
	chrony_nts $SRV4
check "chronyd's key exchange counted completed/cookies, its NTS requests answered by the socket server (answered/nts, answered/authenticated)" \
	test "$(socket_count answered nts)" -gt "$sock_nts0" -a "$(ke_count completed cookies)" -gt "$ke0" -a \
	"$(req_count answered authenticated)" -gt "$auth0"
check "chronyd over IPv6 NTS synchronises" chrony_nts $SRV6

# NTPsec's ntpd with the clock calls failing (it must not touch the host's
# clock) and discipline off: synchronised when its peer statistics show our
# server selected as the system peer (status word select field 6)
ntpsec_nts() {
	local root rc=0
	root=$(bash "$E2E_ROOT/tests/tools/ntpsec.sh") || return 1
	mkdir -p "$WORK/ntpstats"
	cat >"$WORK/ntpsec.conf" <<-EOC
	server $SRV4 nts iburst minpoll 1 maxpoll 1 ca $WORK/one-ca.crt
	disable ntp
	disable kernel
	statsdir $WORK/ntpstats/
	statistics peerstats
	filegen peerstats file peerstats type none enable
	EOC
	NTPSEC_PID_FILE=$WORK/ntpsec.pid
	in_cli "$CLOCK_EPERM" "$root/usr/sbin/ntpd" -n -c "$WORK/ntpsec.conf" -l "$WORK/ntpsec.log" \
		-p "$NTPSEC_PID_FILE" >/dev/null 2>&1 &
	wait_for 60 grep -qE " $SRV4 [0-9a-f][6e][0-9a-f]{2} " "$WORK/ntpstats/peerstats" || rc=1
	grep -q "NTSc: Got 8 cookies" "$WORK/ntpsec.log" || rc=1
	grep -E " $SRV4 " "$WORK/ntpstats/peerstats" | tail -1 | awk '{ print "# ntpsec peerstats: status " $4 ", offset " $5 " s" }' >&3
	[ -s "$NTPSEC_PID_FILE" ] && kill "$(cat "$NTPSEC_PID_FILE")"
	return $rc
}
check "NTPsec's ntpd as an NTS client synchronises (system peer $SRV4, eight cookies from the key exchange)" \
	ntpsec_nts

drop0=$(socket_count dropped nts_bad_auth)
bad0=$(req_count dropped bad_authenticator)
out=$(probe -k $SRV4 -n 2 -m tamper-request -w 300)
check "a request changed after it was authenticated gets no answer, counted dropped/nts_bad_auth and dropped/bad_authenticator" \
	test "$(grep -c '^none ' <<<"$out")" -eq 2 -a "$(( $(socket_count dropped nts_bad_auth) - drop0 ))" -eq 2 -a \
	"$(( $(req_count dropped bad_authenticator) - bad0 ))" -eq 2
out=$(probe -k $SRV4 -n 1 -m tamper-answer)
check "an answer changed in any one of its bytes is rejected by the client (the authenticator covers it all)" \
	grep -q "^tampered accepted=0 of 232" <<<"$out"
auth0=$(req_count answered authenticated)
out=$(probe -k $SRV4 -n 1 -m replay)
check "a replayed request is answered again, under the same keys (stateless, as RFC 8915 5.7 has it), both counted answered/authenticated" \
	eval 'answers_ok "$out" 2 1 && moved "req_count answered authenticated" $auth0 2'
mal0=$(socket_count malformed nts)
trunc0=$(req_count dropped truncated)
out=$(probe -k $SRV4 -n 1 -m truncate -w 300)
check "an authenticator cut short gets no answer, counted malformed/nts and dropped/truncated" \
	test "$(grep -c '^none ' <<<"$out")" -eq 1 -a "$(( $(socket_count malformed nts) - mal0 ))" -eq 1 -a \
	"$(( $(req_count dropped truncated) - trunc0 ))" -eq 1

# the Error records of RFC 8915 4.1.3, each alone before End of Message
# (no cookies, no key material), counted by the code sent
NEXT_AEAD=80010002000080040002000f
err_answer() { printf 'record type=2 critical=1 len=2\nerror code=%s\nrecord type=0 critical=1 len=0\n' "$1"; }
crit0=$(ke_count error_sent unrecognized_critical)
out=$(probe -k $SRV4 -R ${NEXT_AEAD}ffff000080000000)
check "an unknown record with the critical bit gets Error 0 alone, counted error_sent/unrecognized_critical" \
	eval '[ "$out" = "$(err_answer 0)" ] && moved "ke_count error_sent unrecognized_critical" $crit0 1'
badr0=$(ke_count error_sent bad_request)
out=$(probe -k $SRV4 -R ${NEXT_AEAD}80030002000080000000)
check "a Warning record from a client (RFC 8915 4.1.4: clients send none) gets Error 1, counted error_sent/bad_request" \
	eval '[ "$out" = "$(err_answer 1)" ] && moved "ke_count error_sent bad_request" $badr0 1' 
# 1024 bytes (one unknown record, not critical) and still no End of Message
long_req=400003fc$(printf '%02040d' 0)
out=$(probe -k $SRV4 -R $long_req)
check "a request with no End of Message within 1024 bytes gets Error 1, counted error_sent/bad_request" \
	eval '[ "$out" = "$(err_answer 1)" ] && moved "ke_count error_sent bad_request" $badr0 2' 

tls_refused() { ! in_cli timeout 5 openssl s_client -connect $SRV4:4460 -CAfile "$WORK/one-ca.crt" "$@" </dev/null >"$WORK/s_client.log" 2>&1; }
tls_both_refused() { tls_refused -tls1_3 && tls_refused -tls1_3 -alpn foo/1 && tls_refused -tls1_2 -alpn ntske/1; }
tls0=$(ke_count failed tls_handshake)
check "a TLS client offering no ALPN, or another protocol, is refused (alert 120), and TLS 1.2 even with ntske/1; three failed/tls_handshake" \
	eval 'tls_both_refused && wait_for 5 moved "ke_count failed tls_handshake" $tls0 3 >/dev/null'

# both key-exchange threads held by clients that never speak: each is cut
# at the 2 s deadline and the next client, waiting meanwhile, is served
hold() {
	in_cli bash -c "exec 3<>/dev/tcp/$SRV4/4460; sleep 30" &
	HOLD_PIDS+=($!)
}
load_is() { [ "$(ke_load serving)" = "$1" ] && [ "$(ke_load queued)" = "$2" ]; }
tmo0=$(ke_count timed_out tls_handshake)
hold; hold
wait_for 10 load_is 2 0
out=$(probe -k $SRV4 -n 1)
check "with every key-exchange thread held by a silent client, a new client is served after the deadline; the two counted timed_out" \
	eval 'answers_ok "$out" 1 1 && wait_for 5 moved "ke_count timed_out tls_handshake" $tmo0 2 >/dev/null'

# past the bound (two served, two waiting) a connection is closed at once
wait_for 10 load_is 0 0
busy0=$(ke_count refused busy)
hold; hold; hold; hold
wait_for 10 load_is 2 2
out=$(probe -k $SRV4 -n 0)
check "with two held and two waiting, a fifth key exchange is refused at once, counted refused/busy" \
	eval '{ grep -q "^ke failed" <<<"$out" || { echo "$out"; false; }; } && moved "ke_count refused busy" $busy0 1'
wait_for 10 load_is 0 0

check "the cookie key file is mode 0600" test "$(stat -c %a "$WORK/ntsdir/ntskeys")" = 600
probe -k $SRV4 -n 0 -S "$WORK/session.bin" >/dev/null
daemon_stop
write_conf "ntsntpserver $SRV4" "
ntsrotate 1"
daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native -c "$WORK/xdp-ntpd.conf" ||
	{ echo "Bail out! daemon did not restart"; exit 1; }
out=$(probe -L "$WORK/session.bin" -n 1 -s $SRV4)
check "a cookie from before a restart still opens (the key file)" answers_ok "$out" 1 1
out=$(probe -k $SRV4 -n 1)
check "the Server Negotiation record names $SRV4 (ntsntpserver)" grep -q "^ke cookies=8 server=$SRV4 " <<<"$out"

# ntsrotate 1: a new key every second, four kept; a cookie sealed now is
# NAKed once four newer keys have pushed its key out
probe -k $SRV4 -n 0 -S "$WORK/rotating.bin" >/dev/null
nak0=$(socket_count refused nts_nak)
unk0=$(req_count nak unknown_key)
nak_now() { in_cli "$PROBE" -L "$WORK/rotating.bin" -n 1 -s $SRV4 -w 300 | grep -q "^nak req="; }
naked() { wait_for 20 nak_now && [ "$(socket_count refused nts_nak)" -gt "$nak0" ] &&
	[ "$(req_count nak unknown_key)" -gt "$unk0" ]; }
check "a cookie from a rotated-out key gets the NTS NAK (kiss NTSN), counted refused/nts_nak and nak/unknown_key" naked

# SIGHUP: the certificate of CA two replaces CA one's; new handshakes use it
cp "$WORK/two.crt" "$WORK/server.crt"
cp "$WORK/two.key" "$WORK/server.key"
kill -HUP "$DAEMON_PID"
new_ca_served() { in_cli "$PROBE" -c "$WORK/two-ca.crt" -k $SRV4 -n 0 | grep -q '^ke cookies=8'; }
check "SIGHUP reloads the certificate: a client trusting only the new CA is served" \
	wait_for 10 new_ca_served

# the same without a config file: flags only, as a renewal hook would have it
daemon_stop
daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native --nts-cert "$WORK/server.crt" \
	--nts-key "$WORK/server.key" || { echo "Bail out! daemon did not restart"; exit 1; }
cp "$WORK/one.crt" "$WORK/server.crt"
cp "$WORK/one.key" "$WORK/server.key"
kill -HUP "$DAEMON_PID"
old_ca_served() { in_cli "$PROBE" -c "$WORK/one-ca.crt" -k $SRV4 -n 0 | grep -q '^ke cookies=8'; }
check "SIGHUP reloads the certificate without a config file (flags only)" wait_for 10 old_ca_served

# every NTS answer seen on the wire against its request (same client port)
kill "$TCPDUMP_PID"; wait "$TCPDUMP_PID" 2>/dev/null; TCPDUMP_PID=""
lengths_ok() {
	tcpdump -r "$WORK/ntp.pcap" -n -tt 2>/dev/null | awk -v srv="$SRV4" '
		/ > / && /length/ {
			src = $3; dst = $5; sub(":$", "", dst); len = $NF
			if (index(dst, srv ".123") == 1) req[src] = len
			else if (index(src, srv ".123") == 1 && len > 48) {
				n++; if (!(dst in req) || len > req[dst]) { bad++; print "longer: " $0 }
			}
		}
		END { printf "# %d NTS answers on the wire, %d longer than their request\n", n, bad > "/dev/stderr"; exit !(n > 20 && bad == 0) }' 2>&3
}
check "every NTS answer in the suite is no longer than its request (tcpdump)" lengths_ok

daemon_stop
[ "$TESTS_RUN" -eq 30 ] || echo "# ran $TESTS_RUN checks, plan says 30"
