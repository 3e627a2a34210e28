#!/usr/bin/env bash
# The Debian package: built with dpkg-buildpackage, installed with apt,
# serving as its unit would start it (this machine has no systemd as PID 1),
# then purged without a trace.
set -u
. "$(dirname "$0")/lib.sh"
OURS=""		# set once this test installed the package: only then is it ours to purge
cleanup() {
	daemon_stop
	[ -n "$OURS" ] && dpkg -s xdp-ntpd >/dev/null 2>&1 && apt-get purge -y -q xdp-ntpd >/dev/null 2>&1
	e2e_cleanup
}
trap cleanup EXIT

# an installation that is not ours is left alone, and the package goes untested:
# that is a failure to report, not a pass
if dpkg -s xdp-ntpd >/dev/null 2>&1; then
	not_ok "xdp-ntpd is installed on this machine already: the package cannot be tested here"
	e2e_finish; exit 1
fi
check "make deb builds the package" make -C "$E2E_ROOT" -s deb
DEB=$(ls "$E2E_ROOT"/build/deb/xdp-ntpd_*_*.deb 2>/dev/null | head -1)
OURS=1
check "apt installs it" apt-get install -y -q "$DEB"
check "the xdp-ntpd system user exists" id xdp-ntpd
check "the unit is installed, not enabled or started" test -f /usr/lib/systemd/system/xdp-ntpd.service
check "systemd-analyze verify accepts the unit (binary, man page, directives)" \
	systemd-analyze verify /usr/lib/systemd/system/xdp-ntpd.service

e2e_setup_net
# what the unit runs: ExecStart with the flags of /etc/default/xdp-ntpd
BIN=/usr/sbin/xdp-ntpd
if daemon_start --local-stratum 10 -i "$VETH_SRV" -u xdp-ntpd; then
	before=$(xdp_count answered ipv4)
	check "the installed daemon answers through XDP as xdp-ntpd" sh -c \
		"ip netns exec $NS_CLI ntpdig -t 2 $SRV4 | grep -q ' s10 ' && [ \$(awk '/^Uid:/ { print \$2 }' /proc/$DAEMON_PID/status) = \$(id -u xdp-ntpd) ]"
	check "counted by XDP" test "$(xdp_count answered ipv4)" -gt "$before"
	daemon_stop
	# the unit's restart path: leave XDP on, then take over in place
	daemon_start --local-stratum 10 -i "$VETH_SRV" -u xdp-ntpd --keep-attached --replace
	daemon_stop
	check "stopped with --keep-attached, the program stays for the next start" \
		test "$(xdp_mode "$VETH_SRV")" = native
	# the purge runs where the interface is (on a server: the host's namespace)
	check "purging the package detaches what was left (prerm)" sh -c \
		"nsenter --net=/run/netns/$NS_SRV apt-get purge -y -q xdp-ntpd >/dev/null 2>&1 &&
		 ! ip -n $NS_SRV link show $VETH_SRV | grep -qw xdp && [ ! -e /sys/fs/bpf/xdp-ntpd/$VETH_SRV ]"
	apt-get install -y -q "$DEB" >/dev/null 2>&1
else
	not_ok "the installed daemon starts"
fi
check "apt purges it" apt-get purge -y -q xdp-ntpd
check "nothing left: binary, unit, user" sh -c \
	"[ ! -e /usr/sbin/xdp-ntpd ] && [ ! -e /usr/lib/systemd/system/xdp-ntpd.service ] && ! id xdp-ntpd"
e2e_finish
