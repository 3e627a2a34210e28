#!/usr/bin/env bash
# The pin directories, against a local user who plants things in a bpffs
# others may write to (bpffs's own default mode is 1777).  Each case runs the
# daemon in a mount namespace of its own with a private bpffs at
# /sys/fs/bpf, prepared first (as such a user would leave it) and inspected
# after the daemon ends: a symbolic link at the pin directory or at a map's
# pin name, NTPD_PIN_ROOT owned by someone else, a pin directory open to
# others, a bpffs root writable by all without the sticky bit: each refused
# before anything is attached, with a message naming the path and what is
# wrong, and what the link points at keeps its owner although the daemon
# was told to hand its pins to `-u nobody`.  A clean 1777 bpffs is used,
# with directories of our own, and a restart with --replace takes over the
# pins a `-u` daemon handed to its user (as the systemd unit does).
set -u
. "$(dirname "$0")/lib.sh"
trap e2e_cleanup_detached EXIT
e2e_setup_net

PINS=/sys/fs/bpf/xdp-ntpd
ARGS=(--metrics-listen 127.0.0.1:9123 -4 1 -6 1 --rate-limit off --seccomp on
      --local-stratum 10 -i "$VETH_SRV" --xdp-mode native -u nobody)

# pinwrap.sh MODE SETUP POST CMD...: a bpffs of MODE at /sys/fs/bpf, SETUP
# run there, then CMD; POST run after it (":" for none: CMD is exec'd, so
# it keeps the PID); CMD's status
cat >"$WORK/pinwrap.sh" <<'EOS'
mode=$1 setup=$2 post=$3
shift 3
mount -t bpf -o mode="$mode" bpf /sys/fs/bpf || exit 99
sh -ec "$setup" || exit 98
[ "$post" = : ] && exec "$@"
"$@"
rc=$?
sh -c "$post"
exit $rc
EOS

# refused NAME MODE SETUP POST: the daemon started on that bpffs, bounded
# (a daemon that does not refuse is stopped by SIGTERM after 15 s); its log
# in NAME.log and its exit status in NAME.rc
refused() {
	local name=$1 mode=$2 setup=$3 post=$4
	in_srv_net unshare -m --propagation private sh "$WORK/pinwrap.sh" "$mode" "$setup" "$post" \
		timeout -s TERM 15 "$BIN" "${ARGS[@]}" >"$WORK/$name.log" 2>&1
	echo $? >"$WORK/$name.rc"
}
# refused_run NAME: exit status neither 0 (served, stopped) nor 124 (timeout)
refused_rc() { local rc; rc=$(cat "$WORK/$1.rc"); [ "$rc" != 0 ] && [ "$rc" != 124 ] && [ "$rc" -lt 98 ]; }
says() { grep -qF -- "$2" "$WORK/$1.log"; }
no_xdp() { test "$(xdp_mode "$VETH_SRV")" = none; }
owner_is() { test "$(cat "$WORK/$1")" = "$2"; }

# --- a symbolic link at the pin directory, to a file outside bpffs ------------
echo "precious" >"$WORK/target"
chown root:root "$WORK/target"
refused link-dir 1777 "mkdir -m 0700 $PINS; ln -s $WORK/target $PINS/$VETH_SRV" :
check "pin directory a symlink to a file: the daemon refuses" refused_rc link-dir
check "  ... saying the pin directory is a symbolic link" \
	says link-dir "$PINS/$VETH_SRV: is a symbolic link, not a directory"
check "  ... the file keeps its owner and content" \
	test "$(stat -c %U:%G "$WORK/target"):$(cat "$WORK/target")" = "root:root:precious"
check "  ... nothing attached" no_xdp

# --- a symbolic link at the pin directory, to another tool's bpffs directory --
# (today's mkdir-if-absent and fchownat followed it: root handed that
# directory to the -u user)
refused link-bpffs 1777 "mkdir -m 0700 /sys/fs/bpf/other $PINS; ln -s /sys/fs/bpf/other $PINS/$VETH_SRV" \
	"stat -c %U:%G /sys/fs/bpf/other >$WORK/other.owner"
check "pin directory a symlink to a bpffs directory: the daemon refuses" refused_rc link-bpffs
check "  ... saying the pin directory is a symbolic link" \
	says link-bpffs "$PINS/$VETH_SRV: is a symbolic link, not a directory"
check "  ... that directory is still root's, not nobody's" owner_is other.owner root:root

# --- a symbolic link at a map's pin name ---------------------------------------
refused link-map 1777 "mkdir -m 0700 $PINS $PINS/$VETH_SRV; ln -s $WORK/target $PINS/$VETH_SRV/ntpd_counters" \
	"stat -c %F $PINS/$VETH_SRV/ntpd_counters >$WORK/link-map.kind"
check "a map's pin name a symlink: the daemon refuses" refused_rc link-map
check "  ... naming the pin and what it is" \
	says link-map "$PINS/$VETH_SRV/ntpd_counters: is a symbolic link, not a map we pinned"
check "  ... the link left as it was, the file keeps its owner and content" sh -c \
	"grep -qx 'symbolic link' $WORK/link-map.kind && test \"\$(stat -c %U:%G $WORK/target):\$(cat $WORK/target)\" = root:root:precious"
check "  ... nothing attached" no_xdp

# --- NTPD_PIN_ROOT made by another user ----------------------------------------
refused owner 1777 "mkdir -m 0700 $PINS; chown nobody $PINS" :
check "$PINS owned by nobody: the daemon refuses" refused_rc owner
check "  ... saying whose it is" says owner "$PINS: belongs to uid $(id -u nobody), not root"

# --- a pin directory open to others --------------------------------------------
refused mode 1777 "mkdir -m 0700 $PINS; mkdir -m 0777 $PINS/$VETH_SRV" :
check "pin directory mode 0777: the daemon refuses" refused_rc mode
check "  ... naming its mode" says mode "$PINS/$VETH_SRV: has mode 0777, not 0700"

# --- a bpffs root anyone may write to, without the sticky bit ------------------
# (bpffs sets the sticky bit at mount whatever mode= says: chmod takes it off)
refused root-0777 0777 "chmod 0777 /sys/fs/bpf" :
check "bpffs root mode 0777 (no sticky bit): the daemon refuses" refused_rc root-0777
check "  ... saying why" \
	says root-0777 "/sys/fs/bpf: mode 0777 is writable by others without the sticky bit"
check "  ... nothing attached" no_xdp

# --- a clean 1777 bpffs: our directories, ours and closed ----------------------
if DAEMON_WRAPPER="unshare -m --propagation private sh $WORK/pinwrap.sh 1777 : :" \
		daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native -u nobody; then
	in_ns() { nsenter --mount="/proc/$DAEMON_PID/ns/mnt" "$@"; }
	check "bpffs 1777: $PINS is root's, mode 700" \
		test "$(in_ns stat -c '%U %a %F' "$PINS")" = "root 700 directory"
	check "  ... the pin directory mode 700, handed to nobody" \
		test "$(in_ns stat -c '%U %a %F' "$PINS/$VETH_SRV")" = "nobody 700 directory"
	check "  ... nine maps pinned there, every one nobody's" test \
		"$(in_ns find "$PINS/$VETH_SRV" -type f -user nobody | wc -l)" = 9
	check "  ... and XDP serves" serves "li=0 stratum=10 "
	daemon_stop
else
	not_ok "bpffs 1777: the daemon starts"
fi

# --- a restart with --replace over the pins a -u daemon handed to its user ----
# (the host's bpffs: a mount namespace would take its pins with it)
if daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native -u nobody --keep-attached &&
		daemon_stop &&
		daemon_start --local-stratum 10 -i "$VETH_SRV" --xdp-mode native -u nobody --replace; then
	check "--replace over a pin directory -u gave to nobody: swapped in place" \
		grep -q "replaced the running xdp-ntpd program in place" "$WORK/daemon.log"
	check "  ... and XDP serves" serves "li=0 stratum=10 "
	daemon_stop
else
	not_ok "--keep-attached -u nobody, then --replace: both start"
fi

e2e_finish
