#!/usr/bin/env bash
# Rate limits and access lists with real packets, in XDP and in socket mode,
# and across both paths at once (one bucket per client, whichever path).
set -u
. "$(dirname "$0")/lib.sh"
trap e2e_cleanup EXIT
e2e_setup_net

raw() { in_cli "$RAWCLIENT" -i "$VETH_CLI" -m "$SRV_MAC" -s $CLI4 -d $SRV4 -t 300 "$@"; }
# burst N [ARGS]: N requests back to back; prints how many got an answer
burst() {
	local n=$1 i got=0; shift
	for i in $(seq "$n"); do raw "$@" >/dev/null 2>&1 && got=$((got + 1)); done
	echo $got
}
is() { [ "$1" = "$2" ] || { echo "got $1, want $2"; return 1; }; }

# 1 request per 10 s, bucket of 3, leak 1 in 4: 10 requests in a row
# -> 3 answered, then limited 1..7: the 4th leaks, 6 dropped.
LIMITS="--rate-limit 0.1/3 --rate-leak 2"

for mode in native socket; do
	count=xdp_count
	[ $mode = socket ] && count=socket_count
	if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode $mode $LIMITS; then
		check "$mode: a burst of 10 gets the bucket (3) plus one leak" is "$(burst 10)" 4
		check "$mode: 3 counted as answered" is "$($count answered ipv4)" 3
		check "$mode: 1 counted as leaked" is "$($count answered rate_limit_leak)" 1
		check "$mode: 6 counted as dropped over the limit" is "$($count rate_limited_dropped over_limit)" 6
		daemon_stop
	else
		not_ok "$mode: daemon starts with rate limits"
	fi
done

if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native $LIMITS --kod; then
	burst 6 >/dev/null	# 3 answered, then limited 1..3
	check "--kod: the leaked answer is a kiss-o'-death RATE" \
		sh -c "ip netns exec $NS_CLI $RAWCLIENT -u -i $VETH_CLI -m $SRV_MAC -s $CLI4 -d $SRV4 | grep -q 'li=3 stratum=0 refid=82.65.84.69'"
	check "--kod: counted" is "$(xdp_count kod rate)" 1
	daemon_stop
else
	not_ok "daemon starts with --kod"
fi

# one bucket whichever path: IP options go to the socket server
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native --rate-limit 0.1/3 --rate-leak 0; then
	got=$(( $(burst 2) + $(burst 2 -O) ))
	check "XDP and socket paths share the client's bucket (3 of 4 answered)" is "$got" 3
	check "the socket path saw the limit too" is "$(socket_count rate_limited_dropped over_limit)" 1
	daemon_stop
else
	not_ok "daemon starts for the mixed-path test"
fi

if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native --deny 192.0.2.0/24 --allow 2001:db8::/32; then
	check "--deny: IPv4 client gets nothing" is "$(burst 1)" 0
	check "--deny: counted" is "$(xdp_count denied dropped)" 1
	check "--deny: an allowed IPv6 client is answered" sh -c \
		"ip netns exec $NS_CLI $RAWCLIENT -i $VETH_CLI -m $SRV_MAC -s $CLI6 -d $SRV6 >/dev/null"
	daemon_stop
else
	not_ok "daemon starts with access lists"
fi
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode socket --deny 192.0.2.2 --kod-deny; then
	check "socket mode --kod-deny: a kiss-o'-death DENY" \
		sh -c "ip netns exec $NS_CLI $RAWCLIENT -u -i $VETH_CLI -m $SRV_MAC -s $CLI4 -d $SRV4 | grep -q 'stratum=0 refid=68.69.78.89'"
	daemon_stop
else
	not_ok "socket mode starts with --kod-deny"
fi

# A bad MAC costs a digest: it is verified only once the request has passed
# the limit, so a flood of them is limited like any other (3 verified, 7
# dropped over the limit without a digest).
printf '12 MD5 ASCII:crocus\n' >"$WORK/server.keys"
chmod 600 "$WORK/server.keys"	# a key file others may read is refused
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode socket --keys "$WORK/server.keys" \
	--rate-limit 0.1/3 --rate-leak 0; then
	check "socket mode: 10 requests with bad MACs get nothing" is "$(burst 10 -K 12)" 0
	check "socket mode: only the 3 within the limit were verified (bad_mac)" \
		is "$(socket_count dropped bad_mac)" 3
	check "socket mode: the other 7 dropped over the limit, unverified" \
		is "$(socket_count rate_limited_dropped over_limit)" 7
	daemon_stop
else
	not_ok "socket mode starts with keys and limits"
fi

# the defaults must not bother a well-behaved client
if nsenter --net="/run/netns/$NS_SRV" true && daemon_start --local-stratum 10 -i "$VETH_SRV" --rate-limit 2/16; then
	printf 'server %s iburst maxsamples 4\n' $SRV4 >"$WORK/c.conf"
	check "default limits: chronyd with iburst synchronises" \
		sh -c "ip netns exec $NS_CLI timeout 30 chronyd -Q -f $WORK/c.conf -t 20 2>&1 | grep -q 'System clock wrong by'"
	check "default limits: nothing of it was limited" is "$(xdp_count rate_limited_dropped over_limit)" 0
	daemon_stop
else
	not_ok "daemon starts with the default limits"
fi

e2e_finish
