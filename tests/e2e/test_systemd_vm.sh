#!/usr/bin/env bash
# The Debian package under systemd as PID 1: a Debian 12 guest
# (tests/vm/build-image.sh, cached in build/vm/) booted under KVM, its
# virtio_net NIC a tap in a namespace of ours. In the guest the .deb is
# installed offline and started the way operators do (`systemctl enable
# --now`, the shipped unit, only /etc/default/xdp-ntpd edited); from the
# namespace real clients ask it, and the unit's reload, restart, stop and the
# NIC's removal and return are checked against what the docs promise.
set -u
. "$(dirname "$0")/lib.sh"
. "$E2E_ROOT/tests/vm/lib.sh"

PLAN=29
# Bounds: qemu dies at VM_DEADLINE whatever the guest does, and every step
# below has its own timeout, so the suite ends even with a hung guest.
VM_DEADLINE=${VM_DEADLINE:-900}
BOOT_TIMEOUT=${VM_BOOT_TIMEOUT:-240}

cleanup() {
	[ -n "${LOAD_PID:-}" ] && { kill "$LOAD_PID" 2>/dev/null; wait "$LOAD_PID" 2>/dev/null; }
	vm_cleanup
	e2e_cleanup
}
trap cleanup EXIT
echo "1..$PLAN"

# no KVM is a broken CI machine, not a reason to pass: say so and fail
if [ ! -c /dev/kvm ] || ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	not_ok "/dev/kvm present and usable: the systemd guest needs KVM"
	exit 1
fi
ok "/dev/kvm present and usable"

t0=$SECONDS
check "the guest image is built or up to date (make vm-image)" make -C "$E2E_ROOT" -s vm-image
echo "# image step: $((SECONDS - t0)) s"
t0=$SECONDS
# the package of this checkout's HEAD, as test_package.sh builds it;
# VM_DEB names one built already
if [ -n "${VM_DEB:-}" ]; then
	DEB=$VM_DEB
else
	make -C "$E2E_ROOT" -s deb >"$WORK/deb.log" 2>&1 || tail -20 "$WORK/deb.log" | sed 's/^/# /'
	DEB=$(ls "$E2E_ROOT"/build/deb/xdp-ntpd_*_amd64.deb 2>/dev/null | head -1)
fi
check "the .deb is built (make deb)" test -f "${DEB:-}"
echo "# deb step: $((SECONDS - t0)) s"

# --- helpers, all bounded -----------------------------------------------------
# guest_xdp: "MODE PROG_ID" of eth0 as the guest's kernel reports it (ip -j:
# mode 1 is the driver's own, native XDP; 2 generic); "none 0" when absent
guest_xdp() {
	vm_sh 'ip -j link show dev eth0' 2>/dev/null |
		jq -r '.[0].xdp // {} | "\(if .mode == 1 then "native" elif .mode == 2 then "generic" elif .mode == null then "none" else "other" end) \(.prog.id // 0)"' 2>/dev/null ||
		echo "none 0"
}
native_attached() { [ "$(guest_xdp | cut -d' ' -f1)" = native ]; }
# guest_count OUTCOME REASON: XDP's summed per-CPU counter, from the pins
guest_count() {
	vm_sh 'xdp-ntpd --stats -i eth0' | awk -v o="$1" -v r="$2" '$2 == o && $3 == r { print $4 }'
}
guest_answered() {
	vm_sh 'xdp-ntpd --stats -i eth0' | awk '$2 == "answered" { s += $4 } END { print s + 0 }'
}
main_pid() { vm_sh 'systemctl show -p MainPID --value xdp-ntpd' | tr -dc 0-9; }
unit_active() { vm_sh 'systemctl is-active --quiet xdp-ntpd'; }
ntpdig_answers() { in_vm_ns timeout 10 ntpdig -t 2 "$1" | grep -q " s10 "; }
chronyd_answers() {
	printf 'server %s iburst maxsamples 1\n' "$1" >"$WORK/chrony-client.conf"
	in_vm_ns timeout 20 chronyd -Q -f "$WORK/chrony-client.conf" -t 15 2>&1 | grep -q "System clock wrong by"
}
# answered_by_xdp FAMILY CLIENT...: the client is answered and XDP's
# answered counter for FAMILY moved (the socket server would not move it)
answered_by_xdp() {
	local fam=$1 before; shift
	before=$(guest_count answered "$fam")
	"$@" && [ "$(guest_count answered "$fam")" -gt "${before:-0}" ]
}
answered_above() { [ "$(guest_answered)" -gt "$1" ]; }
eth0_gone() { ! vm_sh 'test -e /sys/class/net/eth0'; }
uid_of() { vm_sh "awk '/^Uid:/ { print \$2 }' /proc/$1/status"; }
unit_user_uid() { vm_sh 'id -u xdp-ntpd'; }
runs_as_unit_user() {
	local pid uid
	pid=$(main_pid)
	[ -n "$pid" ] && [ "$pid" != 0 ] || return 1
	uid=$(uid_of "$pid")
	[ -n "$uid" ] && [ "$uid" != 0 ] && [ "$uid" = "$(unit_user_uid)" ]
}
# CapEff inside {NET_ADMIN 12, BPF 39, NET_BIND_SERVICE 10, SYS_TIME 25,
# PERFMON 38, NET_RAW 13, SYS_RESOURCE 24, IPC_LOCK 14}: what the daemon may
# need after its drop (docs/security.md lists what it keeps and why)
CAP_ALLOWED=$(((1 << 12) | (1 << 39) | (1 << 10) | (1 << 25) | (1 << 38) | (1 << 13) | (1 << 24) | (1 << 14)))
capeff_allowed() { [ $((0x$1 & ~CAP_ALLOWED)) -eq 0 ]; }

# --- boot ---------------------------------------------------------------------
# VM_ACCEL: auto (default) boots under KVM and, when that guest does not come
# up, under TCG, saying so: a KVM that is itself nested in a VM may be unable
# to run Debian's kernel (seen: emulation failures on cmpxchg16b). kvm or tcg
# forces one.
vm_setup_net
VM_ACCEL=${VM_ACCEL:-auto}
booted=""
for accel in kvm tcg; do
	[ "$VM_ACCEL" = auto ] || [ "$VM_ACCEL" = "$accel" ] || continue
	t0=$SECONDS
	vm_boot $accel "$VM_DEADLINE" "${DEB:-/nonexistent}" "$RAWCLIENT" "$PASS_OBJ" || break
	limit=$BOOT_TIMEOUT
	[ "$VM_ACCEL" = auto ] && [ $accel = kvm ] && limit=${VM_KVM_BOOT_TIMEOUT:-45}
	if vm_wait_agent "$limit"; then
		booted=$accel
		echo "# booted under $accel: the guest agent answered after $((SECONDS - t0)) s"
		break
	fi
	echo "# no guest under $accel within $limit s; qemu's log and the console's end:"
	sed 's/^/#   /' "$VM_RUN/qemu.log" | head -5
	tr -d '\r' <"$VM_RUN/console.log" 2>/dev/null | tail -5 | sed 's/^/#   /'
done
guest_is_debian12_systemd() {
	vm_sh 'test "$(cat /proc/1/comm)" = systemd && grep -q "^VERSION_ID=\"12\"" /etc/os-release &&
	       uname -r | grep -q "^6\.1\." && ethtool -i eth0 | grep -q "^driver: virtio_net"'
}
check "the guest (${booted:-not booted}) runs Debian 12's 6.1 kernel, systemd as PID 1, eth0 on virtio_net" guest_is_debian12_systemd

# --- install, configure, enable -------------------------------------------------
check "apt-get installs the .deb in the guest with no archive to reach" vm_sh -t 120 \
	'mount -o ro /dev/vdb /mnt && apt-get install -y -q /mnt/xdp-ntpd_*.deb </dev/null'
# A second interface for the relink checks: a veth pair in the guest, its
# far end in a namespace there. Not the NIC: with XDP attached, unplugging
# virtio_net on Debian's 6.1 never completes (unregister_netdevice waits on
# a held reference, xdp_pass alone attached by ip(8) the same), so the NIC
# cannot be re-created. xdp_pass on the far end: veth delivers XDP_TX
# frames only to a peer with an XDP program.
GUEST_VETH='ip netns add relink 2>/dev/null; ip link add vr0 type veth peer name vr0c netns relink &&
	ip addr add 198.51.100.1/24 dev vr0 && ip link set vr0 up && ethtool -K vr0 tx off >/dev/null &&
	ip -n relink link set lo up && ip -n relink addr add 198.51.100.2/24 dev vr0c &&
	ip -n relink link set vr0c up && ip netns exec relink ethtool -K vr0c tx off >/dev/null &&
	ip -n relink link set dev vr0c xdpdrv obj /mnt/xdp_pass.bpf.o sec xdp'
check "a veth pair made in the guest (vr0, its peer in a namespace there)" vm_sh "$GUEST_VETH"
# the operator's one edit: the interfaces to answer on and a local stratum
vm_sh 'cat >/etc/default/xdp-ntpd <<EOF
XDP_NTPD_OPTS="-i eth0 -i vr0 --local-stratum 10"
EOF'
# networkd configures eth0; the unit's network-online.target orders after it
vm_sh -t 40 'until ip -br addr show dev eth0 | grep -q 192.0.2.2; do sleep 0.2; done' >/dev/null
check "systemctl enable --now xdp-ntpd: enabled and active (Type=notify: READY=1 sent)" vm_sh -t 60 \
	'systemctl enable --now xdp-ntpd && systemctl is-enabled --quiet xdp-ntpd && systemctl is-active --quiet xdp-ntpd'
echo "# guest: $(vm_sh 'ip link show dev eth0' | head -3 | tr '\n' ' ')"
# with the service active: a daemon that failed may have left its program
native_under_unit() { unit_active && native_attached; }
check "XDP attached to eth0 in native mode (virtio_net's driver XDP, ip -j link mode 1), the service active" native_under_unit
# the daemon's own account of its start, for whoever reads a failure here
vm_sh 'journalctl -u xdp-ntpd -b --no-pager -o cat | head -40' | sed 's/^/# journal: /'

# --- clients from the host's namespace ----------------------------------------
check "ntpdig over IPv4 answered by XDP (the program's counter moved)" answered_by_xdp ipv4 ntpdig_answers $VM4
check "ntpdig over IPv6 answered by XDP" answered_by_xdp ipv6 ntpdig_answers $VM6
check "chronyd -Q answered by XDP" answered_by_xdp ipv4 chronyd_answers $VM4
echo "# counters: $(vm_sh 'xdp-ntpd --stats -i eth0' | awk '$4 > 0 { printf "%s/%s/%s=%s ", $1, $2, $3, $4 }')"

# --- the running service: journal, identity, capabilities ----------------------
check "journalctl -u xdp-ntpd shows the daemon's start" sh -c \
	"$VMCTL exec $VM_RUN/qga.sock 30 'journalctl -u xdp-ntpd --no-pager -o cat' | grep -q 'serving on UDP port'"
pid=$(main_pid)
status=$(vm_sh "grep -E '^(Uid|Cap(Inh|Prm|Eff|Bnd|Amb)):' /proc/${pid:-0}/status")
sed 's/^/# service: /' <<<"$status"
capeff=$(awk '/^CapEff:/ { print $2 }' <<<"$status")
check "the service runs as the unit's user, not root" runs_as_unit_user
check "its CapEff ($capeff) holds nothing outside NET_ADMIN BPF NET_BIND_SERVICE SYS_TIME PERFMON NET_RAW SYS_RESOURCE IPC_LOCK" \
	capeff_allowed "${capeff:-ffffffffffffffff}"

# --- systemctl reload: SIGHUP keeps the program -------------------------------
read -r _ id1 <<<"$(guest_xdp)"
check "systemctl reload xdp-ntpd: still active" vm_sh -t 40 'systemctl reload xdp-ntpd && systemctl is-active --quiet xdp-ntpd'
attached_as() { [ "$(guest_xdp)" = "native $1" ]; }
check "  ... the same program ($id1) stays attached, native" attached_as "$id1"
check "  ... and answers" answered_by_xdp ipv4 ntpdig_answers $VM4

# --- systemctl restart: --keep-attached --replace loses nothing ----------------
# A bounded stream from one client, inside the default rate limit (2/s, burst
# 16): 20 requests 500 ms apart, each given 3 s (a TCG guest can be slow to
# answer), the restart issued once the first answers are back
stream_answers() { grep -c '^sample ' "$WORK/stream.out"; }
stream_started() { [ "$(stream_answers)" -ge 2 ]; }
pid1=$(main_pid)
in_vm_ns "$RAWCLIENT" -S -n 20 -w 500 -t 3000 -i "$VM_TAP" -m "$VM_MAC" -s $HOST4 -d $VM4 \
	>"$WORK/stream.out" 2>&1 &
LOAD_PID=$!
wait_for 15 stream_started
check "systemctl restart xdp-ntpd under a request stream: active again" vm_sh -t 60 \
	'systemctl restart xdp-ntpd && systemctl is-active --quiet xdp-ntpd'
pid_new=$(main_pid)
new_daemon_in_window() { [ -n "$pid_new" ] && [ "$pid_new" != "$pid1" ] && kill -0 "$LOAD_PID" 2>/dev/null; }
check "  ... a new daemon (pid $pid1 -> $pid_new), all inside the stream's window" new_daemon_in_window
wait "$LOAD_PID"
LOAD_PID=""
answered=$(stream_answers)
lost=$(grep -c '^lost ' "$WORK/stream.out")
echo "# restart stream: 20 sent, $answered answered, $lost lost"
grep '^lost ' "$WORK/stream.out" | sed 's/^/#   host time of a request lost: /'
vm_sh 'journalctl -u xdp-ntpd --no-pager -o cat | grep -E "replace|replaced|left attached"' | tail -4 | sed 's/^/# /'
check "every one of the stream's 20 requests answered across the restart ($answered)" \
	test "$answered" -eq 20 -a "$lost" -eq 0
# how: swapped in place (a lone program) or through libxdp's dispatcher
# (which loads on 6.1), never a detach and an attach, whose gap the driver
# is set up again in
check "  ... the new daemon's program took the old one's place on eth0 with no gap (journal)" vm_sh \
	'journalctl -u xdp-ntpd --no-pager -o cat | grep -q "eth0: .*maps: no gap"'

# --- systemctl stop, as docs/operations.md says: the unit's --keep-attached
# leaves the program answering; `xdp-ntpd --detach -i IFACE` removes it and
# its pins ---------------------------------------------------------------------
stopped_left_answering() {
	vm_sh -t 40 'systemctl stop xdp-ntpd; ! systemctl is-active --quiet xdp-ntpd' &&
		native_attached && ntpdig_answers $VM4
}
check "systemctl stop xdp-ntpd: inactive, the program left answering (--keep-attached)" stopped_left_answering
detached_clean() {
	vm_sh 'xdp-ntpd --detach -i eth0 && xdp-ntpd --detach -i vr0' &&
		[ "$(guest_xdp)" = "none 0" ] && vm_sh '! test -e /sys/fs/bpf/xdp-ntpd/eth0'
}
check "  ... then xdp-ntpd --detach -i eth0: no XDP on the NIC, pins gone" detached_clean

# --- the interface deleted and made again: XDP back under the unit's user ---
check "systemctl start xdp-ntpd again" vm_sh -t 60 'systemctl start xdp-ntpd && systemctl is-active --quiet xdp-ntpd'
# vr0_xdp: "MODE PROG_ID" of vr0, as guest_xdp for eth0
vr0_xdp() {
	vm_sh 'ip -j link show dev vr0' 2>/dev/null |
		jq -r '.[0].xdp // {} | "\(if .mode == 1 then "native" elif .mode == 2 then "generic" elif .mode == null then "none" else "other" end) \(.prog.id // 0)"' 2>/dev/null ||
		echo "none 0"
}
vr0_native() { [ "$(vr0_xdp | cut -d' ' -f1)" = native ]; }
# one answer through vr0's XDP, checked by the raw client (MACs, checksums,
# origin) from the namespace at its far end, and counted on vr0
vr0_answered_by_xdp() {
	local before
	before=$(vm_sh 'xdp-ntpd --stats -i vr0' | awk '$2 == "answered" && $3 == "ipv4" { print $4 }')
	vm_sh 'ip netns exec relink /mnt/ntp_rawclient -u -i vr0c -m $(cat /sys/class/net/vr0/address) -s 198.51.100.2 -d 198.51.100.1 -t 1000' &&
		[ "$(vm_sh 'xdp-ntpd --stats -i vr0' | awk '$2 == "answered" && $3 == "ipv4" { print $4 }')" -gt "${before:-0}" ]
}
vr0_ready() { vr0_native && vr0_answered_by_xdp; }
check "vr0 answered by XDP, native, before the relink" wait_for 20 vr0_ready
pid2=$(main_pid)
read -r _ vr0_id <<<"$(vr0_xdp)"
check "vr0 deleted (ip link del) and made again" vm_sh "ip link del vr0 && $GUEST_VETH"
vr0_back() { vr0_native && [ "$(vr0_xdp)" != "native $vr0_id" ]; }
check "  ... XDP attached to the new vr0 again, native, within 30 s" wait_for 30 vr0_back
relinked_as_unit_user() { [ "$(main_pid)" = "$pid2" ] && runs_as_unit_user; }
check "  ... by the same daemon (pid $pid2), still the unit's user" relinked_as_unit_user
check "  ... answering through XDP on the new vr0" wait_for 20 vr0_answered_by_xdp
echo "# the daemon's journal since the relink:"
vm_sh 'journalctl -u xdp-ntpd --no-pager -o cat | tail -8' | sed 's/^/#   /'

# the plan was printed first: a count that differs fails the suite in tests/run.sh
[ "$TESTS_RUN" -eq "$PLAN" ] || echo "# ran $TESTS_RUN checks, planned $PLAN"
