#!/usr/bin/env bash
# Runtime promises of the man page and --help, seen from outside the daemon:
# -r DIR really is its root; the pins belong to the -u user; SIGINT detaches
# like SIGTERM; -4 0 / -6 0 leave that family without a socket; auto mode
# falls back from native to generic where native is refused (lo); exit status 1 on a runtime failure after the flags were good,
# 2 on a bad flag; the key type spelled AES128CMAC (ntpd's) works.
# A system user is created for the -u checks and removed at the end.
set -u
. "$(dirname "$0")/lib.sh"
USER_T="xntpt$$"
cleanup() {
	[ -n "${BLOCKER:-}" ] && { kill "$BLOCKER" 2>/dev/null; wait "$BLOCKER" 2>/dev/null; }
	daemon_stop
	e2e_cleanup_detached
	id "$USER_T" >/dev/null 2>&1 && userdel "$USER_T"
}
trap cleanup EXIT
e2e_setup_net
xdp_on() { ip -n "$NS_SRV" -j link show "$1" | jq -e '.[0].xdp != null' >/dev/null; }

# --- -u USER -r DIR: the chroot is entered, the pins are USER's ----------------
useradd --system --no-create-home --shell /usr/sbin/nologin "$USER_T"
mkdir -m 0755 "$WORK/jail"
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native -u "$USER_T" -r "$WORK/jail"; then
	check "-r DIR: the daemon's root is DIR (readlink /proc/PID/root)" \
		test "$(readlink /proc/$DAEMON_PID/root)" = "$WORK/jail"
	check "-u USER: it runs as that user" \
		test "$(awk '$1 == "Uid:" { print $2 }' /proc/$DAEMON_PID/status)" = "$(id -u "$USER_T")"
	pins="/sys/fs/bpf/xdp-ntpd/$VETH_SRV"
	check "-u USER: the pin directory belongs to USER" test "$(stat -c %U:%G "$pins")" = \
		"$USER_T:$(id -gn "$USER_T")"
	check "-u USER: every pinned map belongs to USER" sh -c \
		"ls $pins | grep -q . && for f in $pins/*; do [ \"\$(stat -c %U \$f)\" = $USER_T ] || exit 1; done"
	before=$(xdp_count answered ipv4)
	check "  ... and it still serves, through XDP" serves "li=0 stratum=10 "
	check "  ... counted by XDP" test "$(xdp_count answered ipv4)" -gt "$before"
	daemon_stop
else
	not_ok "daemon starts with -u $USER_T -r DIR"
fi

# --- SIGINT detaches, as SIGTERM does without --keep-attached ------------------
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native; then
	check "XDP attached before the signal" xdp_on "$VETH_SRV"
	kill -INT "$DAEMON_PID"
	# exited: gone, or a zombie waiting for us (bounded: an ignored SIGINT hangs)
	exited() { [ ! -e "/proc/$1" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat")" = Z ]; }
	check "SIGINT: the daemon stops" wait_for 15 exited "$DAEMON_PID"
	exited "$DAEMON_PID" || kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID"; rc=$?; DAEMON_PID=""
	check "SIGINT: exit status 0" test "$rc" = 0
	check "SIGINT: no XDP program left on the interface (ip -j link)" not xdp_on "$VETH_SRV"
	check "SIGINT: the pins are gone" test ! -e "/sys/fs/bpf/xdp-ntpd/$VETH_SRV"
	check "SIGINT: the log says detached" grep -q "$VETH_SRV: XDP detached" "$WORK/daemon.log"
else
	not_ok "daemon starts for SIGINT"
fi

# --- -4 0 and -6 0: no socket on that family (later flags win over lib.sh's) ---
has_socket() { in_srv ss -Hulpn | grep "pid=$DAEMON_PID," | awk '{ print $4 }' | grep -qxF "$1"; }
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode socket -4 0; then
	check "-4 0: no IPv4 socket on port 123 (ss -ulpn)" not has_socket 0.0.0.0:123
	check "-4 0: the IPv6 socket is there" has_socket "[::]:123"
	check "-4 0: an IPv4 request is not answered" not in_cli ntpdig -t 1 $SRV4
	daemon_stop
else
	not_ok "daemon starts with -4 0"
fi
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode socket -6 0; then
	check "-6 0: no IPv6 socket on port 123 (ss -ulpn)" not has_socket "[::]:123"
	check "-6 0: the IPv4 socket is there" has_socket 0.0.0.0:123
	check "-6 0: an IPv6 request is not answered" not in_cli ntpdig -t 1 $SRV6
	daemon_stop
else
	not_ok "daemon starts with -6 0"
fi

# --- auto mode: native refused on lo (no driver XDP), generic taken ----------
# No dummy module here; the namespace's lo has no native XDP either.  Its
# pins would be /sys/fs/bpf/xdp-ntpd/lo, so the daemon gets a BPF
# filesystem of its own in a private mount namespace (exec all the way
# down: $! is the daemon).  The log is emptied first: the redirection below
# happens in the child, and until it does the last daemon's "serving on UDP
# port" would satisfy the wait (seen under load: every check then ran before
# this daemon had attached).
: >"$WORK/daemon.log"
nsenter --net="/run/netns/$NS_SRV" unshare -m --propagation private \
	sh -c 'mount -t bpf bpf /sys/fs/bpf && exec "$@"' sh \
	"$BIN" --metrics-listen 127.0.0.1:9123 -4 1 -6 1 --seccomp on --local-stratum 10 -i lo \
	>"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!
if wait_for 15 grep -q "serving on UDP port" "$WORK/daemon.log"; then
	# ip -j link: xdp.mode 2 is XDP_ATTACHED_SKB (generic), 1 would be native
	check "auto on lo: attached in generic mode (ip -j link: xdp mode 2)" \
		test "$(ip -n $NS_SRV -j link show lo | jq '.[0].xdp.mode')" = 2
	check "  ... after the native attempt failed, logged" \
		grep -q "lo: XDP native mode attach failed" "$WORK/daemon.log"
	check "  ... and the log names generic" grep -q "lo: XDP attached in generic mode" \
		"$WORK/daemon.log"
	daemon_stop
	check "  ... detached at stop" not xdp_on lo
else
	not_ok "daemon starts in auto mode on lo"; sed 's/^/# /' "$WORK/daemon.log"
fi

# --- exit status: 1 on a runtime failure, 2 on a bad flag ----------------------
# (the metrics port taken is test_faults.sh's; here the NTP port)
cat >"$WORK/block.py" <<'EOP'
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 123))
print("listening", flush=True)
time.sleep(60)				# bounded; the test kills it first
EOP
nsenter --net="/run/netns/$NS_SRV" python3 "$WORK/block.py" >"$WORK/block.log" 2>&1 &
BLOCKER=$!
wait_for 5 grep -q listening "$WORK/block.log"
in_srv_net "$BIN" --xdp-mode socket -i "$VETH_SRV" --local-stratum 10 \
	--metrics-listen 127.0.0.1:9124 >"$WORK/taken.log" 2>&1
rc=$?
check "NTP port taken: exit status 1 (runtime failure)" test "$rc" = 1
check "  ... naming the address" grep -q "cannot listen on 0.0.0.0 port 123" "$WORK/taken.log"
kill "$BLOCKER"; wait "$BLOCKER" 2>/dev/null; BLOCKER=""
"$BIN" --max-missed 0 >"$WORK/bad.log" 2>&1
check "a bad flag value (--max-missed 0): exit status 2" test "$?" = 2

# --- the key type as ntpd spells it: AES128CMAC ---------------------------------
echo "11 AES128CMAC HEX:7EA62AE64D190114D46D5A082F948EC1" >"$WORK/server.keys"
chmod 600 "$WORK/server.keys"	# a key file others may read is refused
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native --keys "$WORK/server.keys"; then
	ok "a key file with AES128CMAC is accepted"
	echo "11 AES128 HEX:7EA62AE64D190114D46D5A082F948EC1" >"$WORK/client.keys"
	printf 'server %s key 11 iburst maxsamples 1\nkeyfile %s\n' $SRV4 "$WORK/client.keys" \
		>"$WORK/client.conf"
	before=$(socket_count answered authenticated)
	check "  ... chronyd with that key (AES128) synchronises" sh -c \
		"ip netns exec $NS_CLI timeout 20 chronyd -Q -f $WORK/client.conf -t 15 2>&1 |
		 grep -q 'System clock wrong by'"
	check "  ... answered signed by the socket server (answered/authenticated)" \
		test "$(socket_count answered authenticated)" -gt "$before"
	daemon_stop
else
	not_ok "a key file with AES128CMAC is accepted"
fi

e2e_finish
