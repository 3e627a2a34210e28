#!/usr/bin/env bash
# What a start says about libxdp's dispatcher.  Where the kernel refuses it
# (this development kernel: EPERM on its compatibility probe), libbpf used
# to print a program load failure and "try raising 'ulimit -l'" at every
# start, although libxdp then attaches our program alone and all is well.
# Now a normal start prints no libbpf line at all; when the program sits
# alone on the interface, one line of ours says so and why; libbpf's own
# text is still there with -d.  On the veth (native mode) and on lo in auto
# mode, as `make run` starts it (in a bpffs of its own, so its pins under
# xdp-ntpd/lo meet no one else's).
set -u
. "$(dirname "$0")/lib.sh"
trap e2e_cleanup EXIT
e2e_setup_net

printf 'mount -t bpf bpf /sys/fs/bpf && exec "$@"\n' >"$WORK/bpffs.sh"
LOG="$WORK/daemon.log"

# attached IFACE: the name of the program the kernel has on IFACE
attached() { ip -n "$NS_SRV" -j link show dev "$1" | jq -r '.[0].xdp.prog.name // "none"'; }
no_library_lines() { ! grep -E "libbpf:|libxdp:|ulimit" "$LOG"; }
# alone_line IFACE: the number of our lines saying IFACE's program is alone
alone_lines() { grep -c "^xdp-ntpd: $1: .*attached as a single program" "$LOG"; }
# says_alone_iff IFACE: one such line when alone, none behind a dispatcher
says_alone_iff() {
	local prog want
	prog=$(attached "$1")
	case $prog in
	xdp_ntpd) want=1 ;;
	xdp_dispatcher) want=0 ;;
	*) echo "attached: $prog"; return 1 ;;
	esac
	test "$(alone_lines "$1")" = "$want"
}
# names_refusal IFACE: with -d, the reason libxdp gave for the dispatcher
# is the one our line gives (nothing to compare when it was not refused)
names_refusal() {
	local why
	why=$(sed -n 's/.*debug: libxdp: Compatibility check for dispatcher program failed: //p' "$LOG" | head -1)
	[ -z "$why" ] && ! grep -q "dispatcher is unavailable" "$LOG" && return 0
	grep -qF "$1: the multi-program dispatcher is unavailable (the kernel refused to load it: $why)" "$LOG"
}

# --- the veth, native mode ------------------------------------------------------
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native; then
	check "native start: no libbpf, libxdp or ulimit line" no_library_lines
	check "  ... one line of ours when the program is alone on the interface" says_alone_iff "$VETH_SRV"
	check "  ... and it serves through XDP" serves "li=0 stratum=10 "
	daemon_stop
else
	not_ok "native start"
fi

# --- -d: the libraries' text at debug level, our line naming their reason -------
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native -d; then
	check "-d: libbpf's text shown, at debug level only" sh -c \
		"grep -q '^xdp-ntpd: debug: libbpf: ' '$LOG' && ! grep -v '^xdp-ntpd: debug: ' '$LOG' | grep -q 'libbpf:'"
	check "  ... our line gives the reason libxdp gave" names_refusal "$VETH_SRV"
	daemon_stop
else
	not_ok "start with -d"
fi

# --- lo, auto mode: make run's start ----------------------------------------------
if DAEMON_WRAPPER="unshare -m --propagation private sh $WORK/bpffs.sh" \
		daemon_start --local-stratum 10 -i lo; then
	check "lo, auto: no libbpf, libxdp or ulimit line" no_library_lines
	check "  ... one line of ours when the program is alone on lo" says_alone_iff lo
	check "  ... native refused with the kernel's reason, generic taken" sh -c \
		"grep -q 'lo: XDP native mode attach failed: .*(the kernel: ' '$LOG' && grep -q 'lo: XDP attached in generic mode' '$LOG'"
	daemon_stop
else
	not_ok "lo, auto: the daemon starts"
fi

e2e_finish
