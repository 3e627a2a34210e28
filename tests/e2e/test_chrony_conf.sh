#!/usr/bin/env bash
# chrony.conf lines pasted into the config file work as they do in chrony:
# a server line's minpoll/maxpoll bound that server's polling, allow/deny
# in chrony's short forms and ratelimit interval reach the running policy,
# and a pool is every address its name has, looked up again when they are
# all lost.  Names resolve through a hosts file of the test's own, bound
# over /etc/hosts in a mount namespace of the daemon's alone (no DNS).
set -u
. "$(dirname "$0")/lib.sh"
API=http://127.0.0.1:9123
CLI4_B=192.0.2.3 CLI4_C=192.0.2.4

trap e2e_cleanup EXIT
e2e_setup_net
in_cli ip addr add $CLI4_B/24 dev "$VETH_CLI"
in_cli ip addr add $CLI4_C/24 dev "$VETH_CLI"

jqs() { in_srv curl -sf $API/status | jq -e "$1" >/dev/null; }
get_is() { local got; got=$(in_srv curl -sf "$API$1" | jq -c "$2"); [ "$got" = "$3" ] || { echo "$1 $2: $got"; return 1; }; }
names() { in_srv curl -sf $API/status | jq -c '[.sources[].name] | sort'; }
names_are() { [ "$(names)" = "$1" ] || { echo "sources: $(names)"; return 1; }; }

# the daemon's own /etc/hosts: written in place, so the bind mount follows
HOSTS="$WORK/hosts"
printf '%s ntp.pool.test\n%s ntp.pool.test\n' $CLI4_B $CLI4_C >"$HOSTS"
cat >"$WORK/with-hosts" <<SH
#!/bin/sh
mount --bind "$HOSTS" /etc/hosts && exec "\$@"
SH
chmod +x "$WORK/with-hosts"
export DAEMON_WRAPPER="unshare -m --propagation private $WORK/with-hosts"

# --- server options, chrony's allow/deny and ratelimit ------------------------------
cat >"$WORK/servers.conf" <<EOF2
server $CLI4 port 11123 iburst minpoll 0 maxpoll 0
server $CLI4_B port 11123 iburst
allow
deny 198.51
deny all 203.0.113.0/24
ratelimit interval -3 burst 4
local stratum 9
EOF2
fake_upstream $CLI4 11123 -s 2
fake_upstream $CLI4_B 11123 -s 2
check "the chrony lines pass --check" sh -c \
	"$BIN -c $WORK/servers.conf --check | grep -qx 'config OK'"
if daemon_start -c "$WORK/servers.conf" --xdp-mode native -i "$VETH_SRV"; then
	check "maxpoll 0: that server is polled every second (8 samples)" \
		wait_for 20 jqs ".sources[] | select(.name == \"$CLI4:11123\") | .poll == 0 and .samples >= 8"
	check "  ... the other keeps the global bounds (poll above 0, fewer samples)" \
		jqs ".sources[] | select(.name == \"$CLI4_B:11123\") | .poll >= 1 and .samples < 8"
	check "allow, deny 198.51 and deny all: the lists in force" get_is /acl '[.allow, .deny]' \
		'[["0.0.0.0/0","::/0"],["198.51.0.0/16","203.0.113.0/24"]]'
	# lib.sh's --rate-limit off switches the limit off, after the file set its values
	check "ratelimit interval -3 burst 4: 8 requests/s, bursts of 4, chrony's leak 2" \
		get_is /ratelimit '[.rate, .burst, .leak]' '[8,4,2]'
	check "served from the upstreams (stratum 3)" serves "stratum=3"
	daemon_stop
else
	not_ok "daemon starts with the chrony lines"
fi
for p in "${UP_PIDS[@]}"; do kill "$p"; wait "$p" 2>/dev/null; done
UP_PIDS=()

# --- pool -------------------------------------------------------------------------
echo "pool ntp.pool.test port 11123 iburst minpoll 0 maxpoll 0" >"$WORK/pool.conf"
fake_upstream $CLI4_B 11123 -s 4; UP_B=$LAST_UP
fake_upstream $CLI4_C 11123 -s 4; UP_C=$LAST_UP
if daemon_start -c "$WORK/pool.conf" --max-missed 3 --xdp-mode native -i "$VETH_SRV"; then
	check "pool: one upstream per address of the name" names_are "[\"$CLI4_B:11123\",\"$CLI4_C:11123\"]"
	check "  ... served from them (stratum 5)" serves "stratum=5"
	kill $UP_B $UP_C
	printf '%s ntp.pool.test\n' $CLI4 >"$HOSTS"
	fake_upstream $CLI4 11123 -s 2
	check "every pool source lost: the name is looked up again" \
		wait_for 30 grep -q "pool ntp.pool.test: every source lost; looked up again, 1 addresses" \
		"$WORK/daemon.log"
	check "  ... its new address replaces the lost ones" names_are "[\"$CLI4:11123\"]"
	check "  ... and serves (stratum 3)" serves "stratum=3 refid=$CLI4"
	daemon_stop
else
	not_ok "daemon starts with a pool line"
fi

e2e_finish
