# shellcheck shell=bash
# The systemd guest (tests/vm/build-image.sh) booted under KVM, its NIC a
# tap in a network namespace of our own, controlled through the qemu guest
# agent (tests/vm/vmctl.py). Sourced after tests/e2e/lib.sh (TAG, WORK).
# Everything started here is stopped by vm_cleanup, by PID.

VM_DIR=${VM_DIR:-$E2E_ROOT/build/vm}
VMCTL="python3 $E2E_ROOT/tests/vm/vmctl.py"
VM_NS="xntp-vm-$TAG"
VM_TAP="tv$TAG"			# at most 15 bytes
VM_MAC=52:54:00:00:02:02
VM4=192.0.2.2
VM6=2001:db8::2
HOST4=192.0.2.1
HOST6=2001:db8::1
VM_RUN=$WORK/vm
VM_PID=""
# virtio_net gives XDP_TX a tx queue of its own per CPU only when the device
# has spare queue pairs (curr + nr_cpu_ids <= max, drivers/net/virtio_net.c
# virtnet_xdp_set), else it falls back to shared, locked queues: 2 vCPUs
# use 2 pairs, XDP 2 more. MSI-X vectors: one per queue, config and control.
VM_CPUS=2
VM_QUEUES=4
VM_VECTORS=$((2 * VM_QUEUES + 2))

in_vm_ns() { ip netns exec "$VM_NS" "$@"; }

# vm_sh [-t SECONDS] SCRIPT: run SCRIPT in the guest as root; its output and status
vm_sh() {
	local t=30
	[ "$1" = -t ] && { t=$2; shift 2; }
	$VMCTL exec "$VM_RUN/qga.sock" "$t" "$1"
}

# vm_qmp SECONDS CMD [JSON] [--wait-event EVENT]: one QMP command to qemu
vm_qmp() {
	local t=$1; shift
	$VMCTL qmp "$VM_RUN/qmp.sock" "$t" "$@"
}

vm_setup_net() {
	ip netns add "$VM_NS"
	in_vm_ns ip link set lo up
	# multi_queue: one tap queue per virtio queue pair
	in_vm_ns ip tuntap add dev "$VM_TAP" mode tap multi_queue
	in_vm_ns ip addr add $HOST4/24 dev "$VM_TAP"
	in_vm_ns ip addr add $HOST6/64 dev "$VM_TAP" nodad
	in_vm_ns ip link set "$VM_TAP" up
}

# vm_boot ACCEL DEADLINE_S FILE...: boot the guest (ACCEL kvm or tcg) with
# the FILEs (the .deb, test tools) on a second disk, mounted at /mnt by the suite; qemu is killed after DEADLINE_S whatever happens, so a
# hung guest ends the suite. Booting again first stops the guest before.
vm_boot() {
	local accel=$1 deadline=$2 cpu; shift 2
	vm_stop
	# KVM hosts that are themselves guests may refuse MSR 0x10a
	# (arch-capabilities): qemu then aborts at start
	case $accel in
	kvm) cpu=host,-arch-capabilities ;;
	*) cpu=max ;;
	esac
	rm -rf "$VM_RUN" && mkdir -p "$VM_RUN/deb"
	# the cached image stays untouched: each run writes to its own overlay
	qemu-img create -q -f qcow2 -F raw -b "$VM_DIR/rootfs.img" "$VM_RUN/overlay.qcow2" || return 1
	cp "$@" "$VM_RUN/deb/" || return 1
	mkfs.ext4 -q -F -L debs -d "$VM_RUN/deb" "$VM_RUN/deb.img" 16M >/dev/null || return 1
	# Not through in_vm_ns: a function sent to the background is a subshell,
	# and $! would be that shell, not what runs qemu. ip netns exec execs
	# timeout, so $! is timeout, which passes a TERM on to qemu; qemu's own
	# pid file lets vm_stop make sure of it.
	ip netns exec "$VM_NS" timeout -k 5 "$deadline" qemu-system-x86_64 \
		-name xdp-ntpd-guest -pidfile "$VM_RUN/qemu.pid" -machine pc,accel=$accel -cpu $cpu -smp $VM_CPUS -m 1024 \
		-display none -monitor none -serial "file:$VM_RUN/console.log" -no-reboot \
		-qmp "unix:$VM_RUN/qmp.sock,server=on,wait=off" \
		-chardev "socket,id=qga0,path=$VM_RUN/qga.sock,server=on,wait=off" \
		-device virtio-serial-pci -device virtserialport,chardev=qga0,name=org.qemu.guest_agent.0 \
		-netdev "tap,id=n0,ifname=$VM_TAP,script=no,downscript=no,queues=$VM_QUEUES" \
		-device "virtio-net-pci,id=nic0,netdev=n0,mac=$VM_MAC,mq=on,vectors=$VM_VECTORS,addr=0x5" \
		-drive "file=$VM_RUN/overlay.qcow2,if=virtio,format=qcow2" \
		-drive "file=$VM_RUN/deb.img,if=virtio,format=raw,readonly=on" \
		-kernel "$VM_DIR/vmlinuz" -initrd "$VM_DIR/initrd.img" \
		-append "root=/dev/vda rw console=ttyS0 net.ifnames=0 panic=-1 systemd.show_status=0" \
		>"$VM_RUN/qemu.log" 2>&1 &
	VM_PID=$!
}

vm_alive() { [ -n "$VM_PID" ] && kill -0 "$VM_PID" 2>/dev/null; }

vm_stop() {
	local qpid
	[ -n "$VM_PID" ] || return 0
	qpid=$(cat "$VM_RUN/qemu.pid" 2>/dev/null)
	kill -TERM "$VM_PID" 2>/dev/null
	[ -n "$qpid" ] && kill -TERM "$qpid" 2>/dev/null
	wait "$VM_PID" 2>/dev/null
	# qemu exits on TERM; if it is wedged, KILL after a bounded wait
	[ -n "$qpid" ] && ! wait_for 10 sh -c "! kill -0 $qpid" && kill -KILL "$qpid" 2>/dev/null
	VM_PID=""
}

vm_cleanup() {
	vm_stop
	ip -n "$VM_NS" link del "$VM_TAP" 2>/dev/null
	ip netns del "$VM_NS" 2>/dev/null
}

# vm_wait_agent SECONDS: until the guest agent answers; gives up early when
# qemu is gone
vm_wait_agent() {
	local deadline=$((SECONDS + $1))
	while vm_alive && [ $SECONDS -lt $deadline ]; do
		$VMCTL ping "$VM_RUN/qga.sock" 5 2>/dev/null && return 0
	done
	return 1
}
