# xdp-ntpd build.  `make` builds everything; `make run` and `make test` are
# the two commands the README promises; both install missing Debian packages.
#
#   bpf/*.bpf.c --clang--> build/*.bpf.o --bpftool--> build/*.skel.h
#   userspace/ loader/ (+ skeleton) --gcc--> build/xdp-ntpd

.DELETE_ON_ERROR:
.DEFAULT_GOAL := all

BUILD     ?= build
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
PKG_CONFIG ?= pkg-config

HOST_ARCH ?= $(shell uname -m)
VMLINUX_ARCH := $(subst aarch64,arm64,$(HOST_ARCH))
BPF_TARGET_ARCH := $(subst x86_64,x86,$(VMLINUX_ARCH))

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Debian packages: build, test peers (clients, upstream, scraper), tools.
DEB_BUILD := clang llvm gcc make pkg-config libbpf-dev libxdp-dev libelf-dev \
	zlib1g-dev libmnl-dev bpftool libcmocka-dev libmicrohttpd-dev libssl-dev libjansson-dev \
	libcurl4-openssl-dev libseccomp-dev nettle-dev
DEB_TEST  := iproute2 ethtool curl strace util-linux prometheus jq python3 systemd gnuplot-nox valgrind qemu-system-x86 busybox-static groff-base chrony ntpsec-ntpdate sntp xdp-tools tcpdump
DEB_ALL   := $(DEB_BUILD) $(DEB_TEST)

# peers of the deployment suites: BIRD (anycast), a Docker engine (container),
# headless Chromium and Chart.js (dashboard), WebSocket and JSON-schema checks;
# NTPsec is unpacked beside chrony by tests/tools/ntpsec.sh, never installed
DEB_ALL   += bird2 docker.io chromium python3-websockets libjs-chart.js python3-jsonschema python3-ntp

# the systemd guest's image (make vm-image): debootstrap, mkfs.ext4 -d, qemu-img
DEB_ALL   += debootstrap e2fsprogs qemu-utils
# the container suite reads docs/container/compose.yaml's capability list
DEB_ALL   += python3-yaml
# the log file suite runs the package's logrotate snippet
DEB_ALL   += logrotate
# make bench only: ntpperf (bench/ntpperf builds it from its source) needs
# libpcap, and GnuTLS for its NTS mode; make test does not
DEB_BENCH := libpcap-dev libgnutls28-dev
# make bench-bpf-crypto only: clang 16 emits the BTF type tag "kptr" that a
# bpf_crypto context in a map needs (clang 14, which builds the product, does not)
DEB_BENCH += clang-16
# and BearSSL, whose T-table and bitsliced AES bench/nts_bpf_aes_ct.c compares
DEB_BENCH += libbearssl-dev

LIBS := libbpf libxdp libmnl libelf libmicrohttpd jansson libseccomp nettle
# libcurl: its header only; `xdp-ntpd status` opens it at run time (ctl.c).
# OpenSSL: headers only for the daemon, which opens it when NTS or a key file
# is configured (userspace/openssl_lazy.h); tests and tools that call it
# themselves link it directly, OPENSSL_LIBS
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(LIBS) libcurl libssl libcrypto 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(LIBS) 2>/dev/null)
OPENSSL_LIBS := $(shell $(PKG_CONFIG) --libs libssl libcrypto 2>/dev/null)

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	  -Ibpf -I$(BUILD) -Iuserspace -Iloader $(PKG_CFLAGS)
LDLIBS += $(PKG_LIBS) -lpthread -lm

BPF_CFLAGS := -target bpf -mcpu=v3 -O2 -g -Wall -Werror -D__TARGET_ARCH_$(BPF_TARGET_ARCH) \
	      -Ivmlinux/$(VMLINUX_ARCH) -Ibpf

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
BPF_HDRS  := $(wildcard bpf/*.h)
SKELS     := $(BUILD)/xdp_ntpd.skel.h
BENCH_BPF := $(BUILD)/xdp_bench.bpf.o
BENCH_SKEL := $(BUILD)/xdp_bench.skel.h
# generated headers are kept: removing them would rebuild every object next time
.SECONDARY: $(SKELS) $(BENCH_SKEL) $(BUILD)/bench/ntp_load_rx.skel.h $(BUILD)/bench/ntp_load_rx.bpf.o

DAEMON_SRCS := $(wildcard userspace/*.c) $(wildcard loader/*.c)
DAEMON_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(DAEMON_SRCS))
# everything but main(), for the tests to link against
LIB_OBJS := $(filter-out $(BUILD)/userspace/main.o,$(DAEMON_OBJS))

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
BPF_TESTS := $(patsubst tests/bpf/%.c,$(BUILD)/tests/%,$(wildcard tests/bpf/test_*.c))
TEST_BINS := $(UNIT_TESTS) $(BPF_TESTS) \
	$(BUILD)/tests/ntp_rawclient $(BUILD)/tests/ntp_fakeserver $(BUILD)/tests/clock_eperm \
	$(BUILD)/tests/nts_probe \
	$(BUILD)/bench/ntp-load


.PHONY: all deps deps-arm64 bench-deps arm64 run test bench soak bench-micro verify-kernel vm-image vmlinux install uninstall deb clean

all: $(BUILD)/xdp-ntpd $(BUILD)/xdp_pass.bpf.o $(BUILD)/arm64/xdp_ntpd.bpf.o

# $(call install_missing,PACKAGES): install those not installed, nothing
# more; apt-get update only when the archive's lists are needed
define install_missing
@missing=""; for p in $(1); do \
	dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
done; \
if [ -n "$$missing" ]; then \
	echo "installing:$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get install -y -q $$missing >/dev/null 2>&1 || \
	{ apt-get update -q && apt-get install -y -q $$missing; }; \
fi
endef

deps:
	$(call install_missing,$(DEB_ALL))

$(BUILD) $(BUILD)/userspace $(BUILD)/loader $(BUILD)/tests $(BUILD)/bench:
	$(Q)mkdir -p $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# The same program for arm64 (a Raspberry Pi, Graviton): it must keep building.
$(BUILD)/arm64/xdp_ntpd.bpf.o: bpf/xdp_ntpd.bpf.c $(BPF_HDRS)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(subst $(VMLINUX_ARCH),arm64,$(subst __TARGET_ARCH_$(BPF_TARGET_ARCH),__TARGET_ARCH_arm64,$(BPF_CFLAGS))) -c $< -o $@

$(BUILD)/xdp_bench.bpf.o: bench/xdp_bench.bpf.c $(BPF_HDRS) | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# bench/run's helpers on the wire: an XDP_DROP baseline and a reply counter
BENCH_WIRE_BPF := $(BUILD)/bench/xdp_drop.bpf.o $(BUILD)/bench/xdp_reply_sink.bpf.o
$(BUILD)/bench/ntp_load_rx.bpf.o: bench/ntp_load_rx.h
$(BUILD)/bench/%.bpf.o: bench/%.bpf.c | $(BUILD)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst .bpf.o,,$(notdir $<))_bpf > $@

$(BUILD)/userspace/%.o: userspace/%.c $(SKELS) $(BPF_HDRS) $(wildcard userspace/*.h loader/*.h) | $(BUILD)/userspace
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@
# the dashboard page is built into dashboard.o (.incbin)
$(BUILD)/userspace/dashboard.o: userspace/dashboard.html

$(BUILD)/loader/%.o: loader/%.c $(SKELS) $(BPF_HDRS) $(wildcard userspace/*.h loader/*.h) | $(BUILD)/loader
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/xdp-ntpd: $(DAEMON_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS) | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB_OBJS) -o $@ $(UNIT_LDFLAGS_$*) $(LDLIBS) $(OPENSSL_LIBS) -lcmocka

# per unit test link flags, by test name (the sanitizer builds in
# tests/fuzz/fuzz.mk use them too): test_client_policy counts the bpf() calls
# the socket path makes on XDP's rate table
UNIT_LDFLAGS_test_client_policy := -Wl,--wrap=bpf_map_lookup_elem,--wrap=bpf_map_update_elem

# every BPF suite links the one fixture (load, run, read counters)
$(BUILD)/tests/%: tests/bpf/%.c tests/bpf/fixture.c $(wildcard tests/bpf/*.h) $(SKELS) $(LIB_OBJS) | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/bpf $< tests/bpf/fixture.c $(LIB_OBJS) -o $@ $(LDLIBS) $(OPENSSL_LIBS) -lcmocka

$(BUILD)/tests/ntp_rawclient: tests/tools/ntp_rawclient.c $(BPF_HDRS) | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ -lm

$(BUILD)/tests/ntp_fakeserver: tests/tools/ntp_fakeserver.c $(BPF_HDRS) | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ -lm

# the crypto of one NTS answer, in the socket server's own functions (docs/nts.md)
$(BUILD)/bench/nts-micro: bench/nts_micro.c $(LIB_OBJS) | $(BUILD)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB_OBJS) -o $@ $(LDLIBS) $(OPENSSL_LIBS)

.PHONY: bench-nts
bench-nts: $(BUILD)/bench/nts-micro
	$(Q)$(BUILD)/bench/nts-micro 50000

# an NTS client: key exchange, then checked requests (tests/e2e/test_nts.sh)
$(BUILD)/tests/nts_probe: tests/tools/nts_probe.c bench/nts_client.c bench/nts_client.h \
		userspace/nts_aes_siv.c | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -DOPENSSL_LAZY_DIRECT -Ibench $< bench/nts_client.c userspace/nts_aes_siv.c \
		-o $@ $(OPENSSL_LIBS)

# runs a command with the @clock calls failing EPERM, as ProtectClock=yes does
$(BUILD)/tests/clock_eperm: tests/tools/clock_eperm.c | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ $(LDLIBS)

# the generator, with the XDP answer counter of its -X mode built in
# the kernel's own UDP path: the floor of any socket server (bench/run's "floor" part)
$(BUILD)/bench/udp-floor: bench/udp_floor.c | $(BUILD)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

# the same through AF_PACKET rings (bench/run's "packet-floor" part)
$(BUILD)/bench/packet-floor: bench/packet_floor.c | $(BUILD)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

$(BUILD)/bench/ntp-load: bench/ntp-load.c bench/ntp_load_xdp.c bench/ntp_load_rx.h \
		bench/nts_client.c bench/nts_client.h userspace/nts_aes_siv.c \
		$(BUILD)/bench/ntp_load_rx.skel.h $(BPF_HDRS) | $(BUILD)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -DOPENSSL_LAZY_DIRECT -Ibench bench/ntp-load.c bench/ntp_load_xdp.c \
		bench/nts_client.c userspace/nts_aes_siv.c -o $@ $(LDLIBS) $(OPENSSL_LIBS)

$(BUILD)/bench/xdp_bench: bench/xdp_bench.c $(BENCH_SKEL) $(wildcard tests/bpf/*.h) $(LIB_OBJS) | $(BUILD)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/bpf $< $(LIB_OBJS) -o $@ $(LDLIBS) $(OPENSSL_LIBS)

tests: $(TEST_BINS)

# The build runs in a sub-make: pkg-config must be asked again once deps has
# installed the libraries, or a fresh machine links without them.
run: deps
	$(Q)$(MAKE) --no-print-directory all
	./$(BUILD)/xdp-ntpd --local-stratum 10

test: deps
	$(Q)$(MAKE) --no-print-directory all tests
	@bash tests/run.sh

# Throughput, CPU, memory and accuracy of every server on one topology.
bench: deps bench-deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/bench/ntp-load $(BENCH_WIRE_BPF) $(BUILD)/tests/nts_probe \
		$(BUILD)/bench/udp-floor $(BUILD)/bench/packet-floor
	bash bench/run

# The same servers in the systemd guest, XDP native on virtio_net (TCG here: ratios only); not in make test.
.PHONY: bench-vm
bench-vm: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/bench/ntp-load $(BENCH_WIRE_BPF)
	bash bench/vm-bench

# A long steady mixed load (default 10 minutes): memory and counters must stay sane.
soak: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/bench/ntp-load
	bash bench/soak

bench-deps:
	$(call install_missing,$(DEB_BENCH))

# AES inside XDP for docs/nts.md's design note, not in make test: one
# bpf_crypto_encrypt call (clang 16, the running kernel's BTF for the kfuncs'
# types) and AES-128 in plain BPF instructions (the product's clang)
CLANG_BPF_CRYPTO ?= clang-16
.SECONDARY: $(BUILD)/bench/nts_bpf_crypto.skel.h $(BUILD)/bench/nts_bpf_aes.skel.h \
	$(BUILD)/bench/nts_bpf_crypto.bpf.o $(BUILD)/bench/nts_bpf_aes.bpf.o
$(BUILD)/bench/vmlinux_host.h: | $(BUILD)/bench
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@
$(BUILD)/bench/nts_bpf_crypto.bpf.o: bench/nts_bpf_crypto.bpf.c $(BUILD)/bench/vmlinux_host.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG_BPF_CRYPTO) -target bpf -mcpu=v3 -O2 -g -Wall -Werror -I$(BUILD)/bench -c $< -o $@
$(BUILD)/bench/nts-bpf-%: bench/nts_bpf_%.c $(BUILD)/bench/nts_bpf_%.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -I$(BUILD)/bench $< -o $@ -lbpf -lcrypto
$(BUILD)/bench/nts-bpf-aes-ct: bench/nts_bpf_aes_ct.c | $(BUILD)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ -lbearssl -lcrypto
.PHONY: bench-bpf-crypto
bench-bpf-crypto: bench-deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/bench/nts-bpf-crypto $(BUILD)/bench/nts-bpf-aes \
		$(BUILD)/bench/nts-bpf-aes-ct
	./$(BUILD)/bench/nts-bpf-crypto
	./$(BUILD)/bench/nts-bpf-aes
	./$(BUILD)/bench/nts-bpf-aes-ct

bench-micro: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/bench/xdp_bench
	./$(BUILD)/bench/xdp_bench

# Boot Debian 12's stock 6.1 kernel in qemu and load the XDP object there
# (also run by make test).
verify-kernel: $(BUILD)/xdp_ntpd.bpf.o $(BUILD)/xdp_pass.bpf.o
	QEMU_ACCEL=$${QEMU_ACCEL:-tcg} tests/kernel/verify-6.1.sh

# The Debian 12 guest with systemd as PID 1 for tests/e2e/test_systemd_vm.sh,
# in $(BUILD)/vm/; rebuilt only when missing or its recipe (tests/vm/) changed.
vm-image: deps
	VM_DIR=$(abspath $(BUILD))/vm tests/vm/build-image.sh

# Regenerate this host's vmlinux.h from the running kernel's BTF.
vmlinux:
	vmlinux/gen.sh host

PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/xdp-ntpd
UNITDIR ?= $(PREFIX)/lib/systemd/system

install: $(BUILD)/xdp-ntpd
	install -D -m 0755 $(BUILD)/xdp-ntpd $(DESTDIR)$(SBINDIR)/xdp-ntpd
	install -D -m 0644 docs/xdp-ntpd.8 $(DESTDIR)$(MANDIR)/man8/xdp-ntpd.8
	install -D -m 0644 docs/xdp-ntpd.conf.5 $(DESTDIR)$(MANDIR)/man5/xdp-ntpd.conf.5
	install -D -m 0644 docs/systemd/xdp-ntpd.service $(DESTDIR)$(UNITDIR)/xdp-ntpd.service
	sed -i 's|/usr/sbin/xdp-ntpd|$(SBINDIR)/xdp-ntpd|' $(DESTDIR)$(UNITDIR)/xdp-ntpd.service
	install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -D -m 0644 docs/xdp-ntpd.conf.example $(DESTDIR)$(DOCDIR)/xdp-ntpd.conf.example
	install -D -m 0644 docs/systemd/socket-ring.conf $(DESTDIR)$(DOCDIR)/examples/socket-ring.conf
	for f in docs/*.md; do install -D -m 0644 $$f $(DESTDIR)$(DOCDIR)/$$(basename $$f); done

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/xdp-ntpd $(DESTDIR)$(MANDIR)/man8/xdp-ntpd.8 \
		$(DESTDIR)$(MANDIR)/man5/xdp-ntpd.conf.5 \
		$(DESTDIR)$(UNITDIR)/xdp-ntpd.service
	rm -rf $(DESTDIR)$(DOCDIR)

# Raspberry Pi and other arm64 boards: the cross toolchain and the arm64
# -dev packages through multiarch, and qemu-user to run what was built.
DEB_ARM64 := gcc-aarch64-linux-gnu qemu-user-static libbpf-dev:arm64 libxdp-dev:arm64 \
	libelf-dev:arm64 zlib1g-dev:arm64 libmnl-dev:arm64 libmicrohttpd-dev:arm64 \
	libssl-dev:arm64 libjansson-dev:arm64 libcmocka-dev:arm64 \
	libcurl4-openssl-dev:arm64 libseccomp-dev:arm64 nettle-dev:arm64
ARM64_BUILD := $(BUILD)/arm64-cross
ARM64_MAKE := $(MAKE) BUILD=$(ARM64_BUILD) CC=aarch64-linux-gnu-gcc HOST_ARCH=aarch64 \
	PKG_CONFIG="env PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig pkg-config"

deps-arm64:
	@dpkg --print-foreign-architectures | grep -qx arm64 || \
		{ dpkg --add-architecture arm64 && apt-get update -q; }
	@missing=""; for p in $(DEB_ARM64); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q $$missing >/dev/null 2>&1 || \
		{ apt-get update -q && apt-get install -y -q $$missing; }; \
	fi

# The daemon and the unit tests for arm64, in $(BUILD)/arm64-cross/.
arm64: deps-arm64
	$(ARM64_MAKE) $(ARM64_BUILD)/xdp-ntpd $(patsubst $(BUILD)/%,$(ARM64_BUILD)/%,$(UNIT_TESTS))

# Debian package with the standard tools; the .deb lands in $(BUILD)/deb/.
deb:
	@dpkg-query -W -f='$${Status}' debhelper 2>/dev/null | grep -q 'ok installed' || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q debhelper dpkg-dev
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb
	git archive --format=tar --prefix=xdp-ntpd/ HEAD | tar -x -C $(BUILD)/deb
	cd $(BUILD)/deb/xdp-ntpd && dpkg-buildpackage -us -uc -b
	ls $(BUILD)/deb/*.deb

clean:
	rm -rf $(BUILD)
-include tests/fuzz/fuzz.mk
