#!/usr/bin/env bash
# valgrind memcheck on the daemon through an end-to-end run: socket mode
# (valgrind cannot follow into the kernel's XDP path; the agent, the socket
# server, the HTTP endpoint, the management API and reload all run), real
# clients, scrapes, a reload, a management change, then SIGTERM.  No
# invalid access, no uninitialised use, nothing definitely or indirectly
# lost.
set -u
. "$(dirname "$0")/lib.sh"
trap e2e_cleanup EXIT
e2e_setup_net
API=http://127.0.0.1:9123
TOKEN=0123456789abcdef0123456789abcdef
(umask 077; echo $TOKEN >"$WORK/token")
printf 'local stratum 8\nratelimit rate 100 burst 200\n' >"$WORK/xdp-ntpd.conf"
VG="valgrind --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 --log-file=$WORK/valgrind.log"

# the filter is off: valgrind makes system calls of its own
if DAEMON_WRAPPER=$VG E2E_SECCOMP=off daemon_start -c "$WORK/xdp-ntpd.conf" --xdp-mode socket \
	--api-token-file "$WORK/token" -s $CLI4:11123; then
	fake_upstream $CLI4 11123 -s 2
	check "under valgrind: ntpdig over IPv4 answered" sh -c "ip netns exec $NS_CLI ntpdig -t 5 $SRV4 | grep -q ' s[38] '"
	check "under valgrind: ntpdig over IPv6 answered" sh -c "ip netns exec $NS_CLI ntpdig -t 5 $SRV6 | grep -q ' s[38] '"
	check "under valgrind: /metrics scraped" sh -c "ip netns exec $NS_SRV curl -sf $API/metrics | grep -q xdp_ntpd_build_info"
	check "under valgrind: /status scraped" sh -c "ip netns exec $NS_SRV curl -sf $API/status | jq -e .tracking >/dev/null"
	check "under valgrind: PUT /acl applied" sh -c \
		"[ \$(ip netns exec $NS_SRV curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Authorization: Bearer $TOKEN' --data-binary '{\"deny\": [\"198.51.100.0/24\"]}' $API/acl) = 200 ]"
	check "under valgrind: bad JSON refused" sh -c \
		"[ \$(ip netns exec $NS_SRV curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Authorization: Bearer $TOKEN' --data-binary '{' $API/upstreams) = 400 ]"
	kill -HUP "$DAEMON_PID"
	check "under valgrind: SIGHUP reload" wait_for 30 grep -q "SIGHUP: .* reloaded" "$WORK/daemon.log"
	kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; rc=$?; DAEMON_PID=""
	check "exits cleanly under valgrind (status $rc; 99 means memcheck errors)" test "$rc" = 0
	# an empty or missing log would have no errors in it either: memcheck's
	# own summary must be there, saying 0 (so valgrind runs without --quiet)
	check "memcheck ran to the end and said so (ERROR SUMMARY: 0 errors)" \
		sh -c "grep -q 'ERROR SUMMARY: 0 errors' '$WORK/valgrind.log' || { tail -5 '$WORK/valgrind.log'; exit 1; }"
	check "no memcheck errors, nothing definitely or indirectly lost" sh -c \
		"! grep -qE 'Invalid|uninitialised|(definitely|indirectly) lost: [1-9]' '$WORK/valgrind.log'"
	[ -s "$WORK/valgrind.log" ] && sed 's/^/# /' "$WORK/valgrind.log" | head -40
else
	not_ok "daemon starts under valgrind"
fi
e2e_finish
