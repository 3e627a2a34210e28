#!/usr/bin/env bash
# The container image (docs/container/) with a real engine: Debian's dockerd
# started for this run inside the server's namespace (no bridge, no firewall
# rules, its data, exec root, pid file and socket under build/), a base image
# made with debootstrap (tests/container/base-image.sh, cached by recipe
# hash) and `docker import`ed, our image built FROM it with the .deb, run
# with host networking (that namespace's) and the capabilities compose.yaml
# lists: ntpdig and chronyd in the client namespace answered in native XDP
# (counters, ip link); then without the XDP capabilities: answered by the
# socket server. The engine is stopped by PID and everything removed.
#
# dockerd is started with nsenter --net and a private mount namespace
# rather than `ip netns exec`: the latter mounts a fresh /sys, which hides
# the host's cgroup hierarchies runc needs. --network host is the server's
# namespace all the same.
set -u
. "$(dirname "$0")/lib.sh"

CDIR="$E2E_ROOT/build/container"
RUN="$CDIR/run-$$"
DOCKERD_PID=""
IMAGE="xdp-ntpd-test:$$"
D() { docker -H "unix://$RUN/docker.sock" "$@"; }

container_cleanup() {
	if [ -n "$DOCKERD_PID" ]; then
		D rm -f "xntp-$$-xdp" "xntp-$$-sock" >/dev/null 2>&1
		kill -TERM "$DOCKERD_PID" 2>/dev/null
		wait "$DOCKERD_PID" 2>/dev/null
	fi
	rm -rf "$RUN"
	e2e_cleanup
}
trap container_cleanup EXIT
e2e_setup_net

# the .deb: CONTAINER_DEB, or built from HEAD (commit first)
DEB=${CONTAINER_DEB:-}
if [ -z "$DEB" ]; then
	make -C "$E2E_ROOT" deb >"$WORK/deb.log" 2>&1 || { tail -20 "$WORK/deb.log" | sed 's/^/# /'; }
	DEB=$(ls "$E2E_ROOT"/build/deb/xdp-ntpd_*.deb 2>/dev/null | tail -1)
fi
BASE_TAR=$(bash "$E2E_ROOT/tests/container/base-image.sh" 2>"$WORK/base.log")
if [ ! -f "${DEB:-}" ] || [ ! -f "${BASE_TAR:-}" ]; then
	not_ok "the .deb ($DEB) and the base image ($BASE_TAR) are made"
	sed 's/^/# /' "$WORK/base.log"
	e2e_finish
	exit 1
fi
ok "the .deb and the debootstrap base are there ($(basename "$DEB"), $(basename "$BASE_TAR"))"

mkdir -p "$RUN/ctx"
echo '{}' >"$RUN/daemon.json"	# nothing of the host's /etc/docker/daemon.json
nsenter --net="/run/netns/$NS_SRV" unshare -m --propagation private \
	dockerd --config-file "$RUN/daemon.json" --bridge=none --iptables=false --ip6tables=false \
	--data-root "$RUN/data" --exec-root "$RUN/exec" --pidfile "$RUN/docker.pid" \
	-H "unix://$RUN/docker.sock" >"$RUN/dockerd.log" 2>&1 &
DOCKERD_PID=$!
if ! check "dockerd answers on its own socket" wait_for 60 D info; then
	tail -20 "$RUN/dockerd.log" | sed 's/^/# /'
	e2e_finish
	exit 1
fi

BASE_TAG="xdp-ntpd-test-base:$(basename "$BASE_TAR" .tar.gz)"
check "the base imported" D import "$BASE_TAR" "$BASE_TAG"
cp "$E2E_ROOT/docs/container/Dockerfile" "$DEB" "$RUN/ctx/"
check "our image built FROM it with the .deb (docs/container/Dockerfile)" \
	D build --network none --build-arg BASE="$BASE_TAG" -t "$IMAGE" "$RUN/ctx"

# the capabilities of docs/container/compose.yaml, and those without XDP's
mapfile -t CAPS < <(python3 -c 'import sys, yaml
print("\n".join(yaml.safe_load(open(sys.argv[1]))["services"]["xdp-ntpd"]["cap_add"]))' \
	"$E2E_ROOT/docs/container/compose.yaml")
NO_XDP=()
for c in "${CAPS[@]}"; do
	case $c in NET_ADMIN|SYS_ADMIN) ;; *) NO_XDP+=("$c") ;; esac
done
check "compose.yaml lists the XDP capabilities (${CAPS[*]})" \
	test "${#CAPS[@]}" -eq $(( ${#NO_XDP[@]} + 2 ))

# run_image NAME CAPS... -- ARGS...: detached, host network, caps dropped but these
run_image() {
	local name=$1 args=(); shift
	while [ "$1" != -- ]; do args+=(--cap-add "$1"); shift; done
	shift
	D run -d --name "$name" --network host --cap-drop ALL "${args[@]}" \
		-v /sys/fs/bpf:/sys/fs/bpf "$IMAGE" --metrics-listen 127.0.0.1:9123 -4 1 -6 1 \
		--rate-limit off --local-stratum 9 "$@" >/dev/null &&
		wait_for 30 sh -c "docker -H unix://$RUN/docker.sock logs $name 2>&1 | grep -q 'serving on UDP port'"
}
ntpdig_s9() { in_cli ntpdig -t 2 $SRV4 2>&1 | grep -q ' s9 '; }
chronyd_syncs() {
	in_cli timeout 20 chronyd -Q -t 10 "server $SRV4 iburst maxsamples 1" 2>&1 |
		grep -q "System clock wrong by"
}
caps_of() {
	local pid
	pid=$(D inspect -f '{{.State.Pid}}' "$1")
	grep -E '^(Uid|CapEff|CapBnd)' "/proc/$pid/status" | tr '\t' ' ' | sed 's/^/# /'
}

# 1. with compose.yaml's capabilities: native XDP
if run_image "xntp-$$-xdp" "${CAPS[@]}" -- -i "$VETH_SRV" --xdp-mode native; then
	ok "the container serves with the XDP capabilities"
	caps_of "xntp-$$-xdp"
	check "  ... native XDP on $VETH_SRV in the server namespace (ip link)" \
		test "$(xdp_mode "$VETH_SRV")" = native
	check "ntpdig from the client namespace: stratum 9" ntpdig_s9
	check "chronyd -Q from the client namespace synchronises" chronyd_syncs
	check "  ... both answered in XDP (counter, pinned maps through the volume)" \
		test "$(xdp_count answered ipv4)" -ge 2
	check "  ... none by the socket server" test "$(socket_count answered ipv4)" = 0
	check "docker stop: the daemon exits 0" sh -c \
		"docker -H unix://$RUN/docker.sock stop -t 20 xntp-$$-xdp >/dev/null &&
		 [ \$(docker -H unix://$RUN/docker.sock inspect -f '{{.State.ExitCode}}' xntp-$$-xdp) = 0 ]"
	check "  ... and detached XDP" test "$(xdp_mode "$VETH_SRV")" = none
else
	not_ok "the container serves with the XDP capabilities"
	D logs "xntp-$$-xdp" 2>&1 | tail -20 | sed 's/^/# /'
fi
D rm -f "xntp-$$-xdp" >/dev/null 2>&1

# 2. without them: the same image falls back to the socket server
if run_image "xntp-$$-sock" "${NO_XDP[@]}" -- -i "$VETH_SRV" --xdp-mode auto; then
	ok "the container serves without NET_ADMIN and SYS_ADMIN"
	caps_of "xntp-$$-sock"
	check "  ... no XDP on $VETH_SRV" test "$(xdp_mode "$VETH_SRV")" = none
	check "  ... the log says why it serves on sockets" sh -c \
		"docker -H unix://$RUN/docker.sock logs xntp-$$-sock 2>&1 | grep -q 'XDP unavailable (Operation not permitted): falling back to socket mode'"
	check "ntpdig from the client namespace: stratum 9" ntpdig_s9
	check "chronyd -Q from the client namespace synchronises" chronyd_syncs
	check "  ... both answered by the socket server (counter)" \
		test "$(socket_count answered ipv4)" -ge 2
	check "docker stop: the daemon exits 0" sh -c \
		"docker -H unix://$RUN/docker.sock stop -t 20 xntp-$$-sock >/dev/null &&
		 [ \$(docker -H unix://$RUN/docker.sock inspect -f '{{.State.ExitCode}}' xntp-$$-sock) = 0 ]"
else
	not_ok "the container serves without the XDP capabilities"
	D logs "xntp-$$-sock" 2>&1 | tail -20 | sed 's/^/# /'
fi
D rm -f "xntp-$$-sock" >/dev/null 2>&1

kill -TERM "$DOCKERD_PID"
check "the engine stops (by PID)" wait_for 30 sh -c "! kill -0 $DOCKERD_PID"
wait "$DOCKERD_PID" 2>/dev/null
DOCKERD_PID=""
no_shim_left() { ! pgrep -af containerd-shim | grep -q -- "$RUN"; }
check "  ... leaving no container process behind" no_shim_left
e2e_finish
