#!/usr/bin/env bash
# make install into a staging DESTDIR: the binary runs from there, the man
# page renders without warnings, the unit starts what was installed.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
STAGE=$(mktemp -d /tmp/xdp-ntpd-install.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
. "$(dirname "$0")/../tap.sh"

check "make install PREFIX=/usr DESTDIR=stage" make -C "$ROOT" -s install PREFIX=/usr DESTDIR="$STAGE"
check "installed binary runs" "$STAGE/usr/sbin/xdp-ntpd" --version
check "man page renders without warnings" sh -c \
	"groff -man -ww -z '$STAGE/usr/share/man/man8/xdp-ntpd.8' 2>&1 | grep -q . && exit 1 || exit 0"
check "xdp-ntpd.conf(5) renders without warnings" sh -c \
	"test -f '$STAGE/usr/share/man/man5/xdp-ntpd.conf.5' &&
	 ! groff -man -ww -z '$STAGE/usr/share/man/man5/xdp-ntpd.conf.5' 2>&1 | grep -q ."
# every directive the parser knows is documented in xdp-ntpd.conf(5)
missing=""
directives=$(grep -oE '\.directive = "[a-z0-9-]+"' "$ROOT/userspace/knobs.c" | sed 's/.*"\(.*\)"/\1/')
[ -n "$directives" ] || missing="(no directive found in userspace/knobs.c)"
for d in $(grep -oE '\.directive = "[a-z0-9-]+"' "$ROOT/userspace/knobs.c" | sed 's/.*"\(.*\)"/\1/'); do
	groff -man -Tutf8 "$ROOT/docs/xdp-ntpd.conf.5" 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g; s/.\x08//g' |
		grep -qE "(^ +|, )$d( |$)" || missing="$missing $d"
done
check "xdp-ntpd.conf(5) documents every directive${missing:+ (missing:$missing)}" test -z "$missing"
check "unit starts the installed binary as a dedicated user" \
	grep -q '^ExecStart=/usr/sbin/xdp-ntpd -u xdp-ntpd' "$STAGE/usr/lib/systemd/system/xdp-ntpd.service"
check "unit is Type=notify with our seccomp filter and a gapless restart" sh -c \
	"grep -q '^Type=notify' '$STAGE/usr/lib/systemd/system/xdp-ntpd.service' &&
	 grep -q '^ExecStart=.*--keep-attached --replace --seccomp on' '$STAGE/usr/lib/systemd/system/xdp-ntpd.service'"
check "unit bounds capabilities" grep -q '^CapabilityBoundingSet=CAP_BPF' "$STAGE/usr/lib/systemd/system/xdp-ntpd.service"
# ProtectClock=yes refuses read-only adjtimex (EPERM): the daemon could only
# serve LI=3; CAP_SYS_TIME outside the bounding set keeps the clock safe
check "unit has no ProtectClock, and no CAP_SYS_TIME to set the clock with" sh -c \
	"! grep -q '^ProtectClock=' '$STAGE/usr/lib/systemd/system/xdp-ntpd.service' &&
	 ! grep '^CapabilityBoundingSet=' '$STAGE/usr/lib/systemd/system/xdp-ntpd.service' | grep -q CAP_SYS_TIME"
check "make uninstall removes it" sh -c \
	"make -C '$ROOT' -s uninstall PREFIX=/usr DESTDIR='$STAGE' && [ ! -e '$STAGE/usr/sbin/xdp-ntpd' ]"
plan
