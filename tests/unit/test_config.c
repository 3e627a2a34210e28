// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The configuration file, driven through config_load on real files in /tmp:
 * every directive lands in its struct ntpd_options field, and every kind of
 * mistake stops the parser with "FILE:LINE: message" in the caller's buffer
 * (and nothing on stderr, captured by pointing fd 2 at a temporary file: the
 * caller logs it).  The mistakes are a table.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "agent.h"
#include "config.h"
#include "options.h"

struct loaded {
	char path[64];
	char err[4096];		/* the message config_load formatted */
	char printed[4096];	/* what it wrote to stderr itself: nothing */
	int rc;
};

static void write_file(char *path, const char *text, size_t len)
{
	int fd;

	snprintf(path, 64, "/tmp/xdp-ntpd-conf-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* Defaults as options_parse sets them, minus the fallbacks it adds when
 * nothing named an upstream or an interface. */
static void defaults(struct ntpd_options *o)
{
	char *argv[] = { "xdp-ntpd", NULL };

	assert_int_equal(options_parse(o, 1, argv), 0);
	o->n_upstreams = 0;
	while (o->n_ifaces)	/* the options' own copy of "lo" */
		free((char *)o->ifaces[--o->n_ifaces]);
}

static void load_n(struct loaded *l, struct ntpd_options *o, const char *text, size_t len)
{
	char cap[] = "/tmp/xdp-ntpd-stderr-XXXXXX";
	int saved, fd;
	ssize_t n;

	write_file(l->path, text, len);
	fd = mkstemp(cap);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	dup2(fd, STDERR_FILENO);
	l->err[0] = '\0';
	l->rc = config_load(l->path, o, l->err, sizeof(l->err));
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, l->printed, sizeof(l->printed) - 1, 0);
	l->printed[n > 0 ? n : 0] = '\0';
	assert_string_equal(l->printed, "");
	close(fd);
	unlink(cap);
	unlink(l->path);
}

static void load(struct loaded *l, struct ntpd_options *o, const char *text)
{
	load_n(l, o, text, strlen(text));
}

/* The message names the file and the line, then says `want`. */
static void assert_error_at(const struct loaded *l, unsigned int line, const char *want)
{
	char prefix[96];

	snprintf(prefix, sizeof(prefix), "%s:%u: ", l->path, line);
	if (l->rc != -EINVAL || strncmp(l->err, prefix, strlen(prefix)) ||
	    !strstr(l->err, want))
		fail_msg("rc %d, message '%s'; want -EINVAL and '%s...%s'", l->rc, l->err,
			 prefix, want);
}

static void every_directive(void **state)
{
	static const char text[] =
		"# all of them, in file order\n"
		"server 127.0.0.1 port 11123\n"
		"server ntp.example.org\n"
		"server ::1 port 11124\n"
		"server [2001:db8::1]:4123\n"
		"interface eth0 mode generic\n"
		"interface eth1\n"
		"listen 127.0.0.1:1123\n"
		"listen6 [::1]:1123\n"
		"threads 3\n"
		"threads6 0\n"
		"allow 192.0.2.0/24\n"
		"deny 2001:db8::/32\n"
		"ratelimit rate 0.5 burst 4 leak 3\n"
		"kod\n"
		"kod-deny\n"
		"rate-table-size 4096\n"
		"rate-prefix4 24\n"
		"rate-prefix6 48\n"
		"local stratum 7\n"
		"clock corrected\n"
		"metrics-listen 127.0.0.1:9100\n"
		"keyfile /etc/xdp-ntpd.keys\n"
		"leapsmear\n"
		"user ntp\n"
		"chroot /var/empty\n"
		"max-age 30\n"
		"stale-action pass\n"
		"min-poll 2\n"
		"max-poll 12\n"
		"upstream-min-poll 3\n"
		"upstream-max-poll 9\n"
		"max-missed 5\n"
		"replace\n";
	struct ntpd_options o;
	struct loaded l;
	const struct sockaddr_in6 *s6;

	(void)state;
	defaults(&o);
	load(&l, &o, text);
	assert_int_equal(l.rc, 0);
	assert_string_equal(l.err, "");

	assert_int_equal(o.n_upstreams, 4);
	assert_string_equal(o.upstream[0].host, "127.0.0.1");
	assert_int_equal(o.upstream[0].port, 11123);
	assert_true(o.upstream[0].resolved);
	assert_int_equal(ntohs(((struct sockaddr_in *)&o.upstream[0].addr)->sin_port), 11123);
	assert_string_equal(o.upstream[1].host, "ntp.example.org");
	assert_int_equal(o.upstream[1].port, 123);
	assert_false(o.upstream[1].resolved);
	s6 = (const struct sockaddr_in6 *)&o.upstream[2].addr;
	assert_string_equal(o.upstream[2].host, "::1");
	assert_int_equal(s6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(s6->sin6_port), 11124);
	assert_string_equal(o.upstream[3].host, "2001:db8::1");
	assert_int_equal(o.upstream[3].port, 4123);

	assert_int_equal(o.n_ifaces, 2);
	assert_string_equal(o.ifaces[0], "eth0");
	assert_string_equal(o.ifaces[1], "eth1");
	assert_int_equal(o.xdp_mode, NTPD_XDP_GENERIC);

	assert_int_equal(o.listen4.addr.ss_family, AF_INET);
	assert_int_equal(o.listen4.port, 1123);
	assert_int_equal(o.listen6.addr.ss_family, AF_INET6);
	assert_string_equal(o.listen6.host, "::1");
	assert_int_equal(o.listen6.port, 1123);
	assert_int_equal(o.threads4, 3);
	assert_int_equal(o.threads6, 0);

	assert_int_equal(o.policy.n_acl, 2);
	assert_int_equal(o.policy.acl[0].family, AF_INET);
	assert_int_equal(o.policy.acl[0].prefixlen, 24);
	assert_int_equal(o.policy.acl[0].action, NTPD_ACL_ALLOW);
	assert_int_equal(o.policy.acl[1].family, AF_INET6);
	assert_int_equal(o.policy.acl[1].prefixlen, 32);
	assert_int_equal(o.policy.acl[1].action, NTPD_ACL_DENY);
	assert_true(o.policy.rate.acl4_enabled && o.policy.rate.acl6_enabled);

	assert_int_equal(o.policy.rate.enabled, 1);
	assert_int_equal(o.policy.rate.cost_ns, 2000000000ULL);	/* 0.5/s */
	assert_int_equal(o.policy.rate.burst_ns, 8000000000ULL);
	assert_int_equal(o.policy.rate.leak_shift, 3);
	assert_int_equal(o.policy.rate.kod, 1);
	assert_int_equal(o.policy.rate.kod_deny, 1);
	assert_int_equal(o.policy.table_size, 4096);
	assert_int_equal(o.policy.rate.prefix4, 24);
	assert_int_equal(o.policy.rate.prefix6, 48);

	assert_int_equal(o.local_stratum, 7);
	assert_int_equal(o.clock_model, CLOCK_MODEL_CORRECTED);
	assert_int_equal(o.metrics_listen.port, 9100);
	assert_string_equal(o.metrics_listen.host, "127.0.0.1");
	assert_string_equal(o.keys_file, "/etc/xdp-ntpd.keys");
	assert_true(o.leap_smear);
	assert_string_equal(o.user, "ntp");
	assert_string_equal(o.chroot_dir, "/var/empty");
	assert_int_equal(o.cfg.max_state_age_ns, 30 * NSEC_PER_SEC_U64);
	assert_int_equal(o.cfg.stale_action, NTPD_STALE_PASS);
	assert_int_equal(o.cfg.poll_min, 2);
	assert_int_equal(o.cfg.poll_max, 12);
	assert_int_equal(o.upstream_min_poll, 3);
	assert_int_equal(o.upstream_max_poll, 9);
	assert_int_equal(o.max_missed, 5);
	assert_true(o.replace);
	options_free(&o);
}

static void comments_and_blank_lines(void **state)
{
	static const char text[] =
		"# a comment\n"
		"\n"
		"   \t  \n"
		"    # an indented comment\n"
		"threads 2   # a comment after a directive\n"
		"\tlocal   stratum\t9\r\n"		/* tabs, runs of blanks, CRLF */
		"clock system#no blank before the comment\n"
		"max-missed 12";			/* no newline at the end */
	struct ntpd_options o;
	struct loaded l;

	(void)state;
	defaults(&o);
	load(&l, &o, text);
	assert_int_equal(l.rc, 0);
	assert_int_equal(o.threads4, 2);
	assert_int_equal(o.local_stratum, 9);
	assert_int_equal(o.clock_model, CLOCK_MODEL_SYSTEM);
	assert_int_equal(o.max_missed, 12);
	options_free(&o);
}

static void empty_file_changes_nothing(void **state)
{
	struct ntpd_options o, before;
	struct loaded l;

	(void)state;
	defaults(&o);
	before = o;
	load(&l, &o, "# nothing but a comment\n\n");
	assert_int_equal(l.rc, 0);
	assert_memory_equal(&o, &before, sizeof(o));
	options_free(&o);
}

static void repeatable_directives_accumulate(void **state)
{
	static const char text[] =
		"server 127.0.0.1 port 11123\n"
		"server 127.0.0.2 port 11123\n"
		"server 127.0.0.3\n"
		"interface lo\n"
		"interface eth0\n"
		"allow 10.0.0.0/8\n"
		"deny 10.1.0.0/16\n"
		"allow 10.1.2.3\n"
		"deny ::/0\n";
	struct ntpd_options o;
	struct loaded l;

	(void)state;
	defaults(&o);
	load(&l, &o, text);
	assert_int_equal(l.rc, 0);
	assert_int_equal(o.n_upstreams, 3);
	assert_string_equal(o.upstream[2].host, "127.0.0.3");
	assert_int_equal(o.upstream[2].port, 123);
	assert_int_equal(o.n_ifaces, 2);
	assert_int_equal(o.xdp_mode, NTPD_XDP_AUTO);	/* no mode given: untouched */
	assert_int_equal(o.policy.n_acl, 4);
	assert_int_equal(o.policy.acl[2].prefixlen, 32);
	assert_int_equal(o.policy.acl[2].action, NTPD_ACL_ALLOW);
	assert_int_equal(o.policy.acl[3].prefixlen, 0);
	options_free(&o);
}

/* "key ID" in either order with "port"; trustedkey words and ranges add up */
static void server_keys_and_trustedkey(void **state)
{
	static const char text[] =
		"server 192.0.2.1 key 7\n"
		"server 192.0.2.2 key 4294967295 port 1123\n"
		"server 192.0.2.3\n"
		"trustedkey 7 10-12\n"
		"trustedkey 4294967295\n";
	struct ntpd_options o;
	struct loaded l;

	(void)state;
	defaults(&o);
	load(&l, &o, text);
	assert_int_equal(l.rc, 0);
	assert_int_equal(o.upstream[0].key_id, 7);
	assert_int_equal(o.upstream[1].key_id, 4294967295U);
	assert_int_equal(o.upstream[1].port, 1123);
	assert_int_equal(o.upstream[2].key_id, 0);
	assert_int_equal(o.trusted_keys.n, 3);
	assert_int_equal(o.trusted_keys.lo[1], 10);
	assert_int_equal(o.trusted_keys.hi[1], 12);
	assert_int_equal(o.trusted_keys.lo[2], 4294967295U);
	options_free(&o);
}

static void max_upstreams_fit(void **state)
{
	char text[NTPD_MAX_UPSTREAMS * 32] = "";
	struct ntpd_options o;
	struct loaded l;
	int i;

	(void)state;
	for (i = 0; i < NTPD_MAX_UPSTREAMS; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "server 127.0.0.%d port 11123\n", i + 1);
	defaults(&o);
	load(&l, &o, text);
	assert_int_equal(l.rc, 0);
	assert_int_equal(o.n_upstreams, NTPD_MAX_UPSTREAMS);
	options_free(&o);
}

static void later_lines_override_earlier(void **state)
{
	struct ntpd_options o;
	struct loaded l;

	(void)state;
	defaults(&o);
	load(&l, &o, "local stratum 3\nlocal stratum 5\nclock system\nclock auto\n"
		     "user a\nuser b\n");
	assert_int_equal(l.rc, 0);
	assert_int_equal(o.local_stratum, 5);
	assert_int_equal(o.clock_model, CLOCK_MODEL_AUTO);
	assert_string_equal(o.user, "b");
	options_free(&o);
}

/* The defaults --help and the man page promise, as numbers written here
 * (not read from the macros that set them): a change must change this too. */
static void documented_defaults(void **state)
{
	char *argv[] = { "xdp-ntpd", NULL };
	const struct sockaddr_in *m;
	struct ntpd_options o;

	(void)state;
	assert_int_equal(options_parse(&o, 1, argv), 0);
	m = (const struct sockaddr_in *)&o.metrics_listen.addr;
	assert_int_equal(m->sin_family, AF_INET);
	assert_int_equal(ntohl(m->sin_addr.s_addr), 0x7f000001);	/* 127.0.0.1 */
	assert_int_equal(o.metrics_listen.port, 9978);
	assert_int_equal(o.policy.rate.enabled, 1);
	assert_int_equal(o.policy.rate.cost_ns, 500000000ULL);		/* 2/s */
	assert_int_equal(o.policy.rate.burst_ns, 16 * 500000000ULL);	/* burst 16 */
	assert_int_equal(o.policy.rate.leak_shift, 2);			/* 1 in 4 */
	assert_int_equal(o.policy.rate.prefix4, 32);
	assert_int_equal(o.policy.rate.prefix6, 64);
	assert_int_equal(o.policy.table_size, 65536);
	assert_int_equal(o.cfg.max_state_age_ns, 10000000000ULL);	/* 10 s */
	assert_int_equal(o.max_missed, 8);
	assert_int_equal(o.cfg.poll_min, 4);
	assert_int_equal(o.cfg.poll_max, 17);
	assert_int_equal(o.upstream_min_poll, 4);
	assert_int_equal(o.upstream_max_poll, 10);
	assert_int_equal(o.n_upstreams, 1);
	assert_string_equal(o.upstream[0].host, "127.0.0.1");
	assert_int_equal(o.upstream[0].port, 11123);
	assert_int_equal(o.n_ifaces, 1);
	assert_string_equal(o.ifaces[0], "lo");
	assert_int_equal(o.xdp_mode, NTPD_XDP_AUTO);
	assert_int_equal(o.listen4.port, 123);
	assert_int_equal(o.listen6.port, 123);
	options_free(&o);
}

static void ratelimit_off_and_on(void **state)
{
	struct ntpd_options o;
	struct loaded l;
	__u8 leak;

	(void)state;
	defaults(&o);
	leak = 2;	/* the documented default: 1 in 2^2 over the limit answered */
	assert_int_equal(o.policy.rate.leak_shift, leak);
	load(&l, &o, "ratelimit off\n");
	assert_int_equal(l.rc, 0);
	assert_int_equal(o.policy.rate.enabled, 0);
	/* the words in any order; no leak keeps the default leak */
	load(&l, &o, "ratelimit burst 10 rate 20\n");
	assert_int_equal(l.rc, 0);
	assert_int_equal(o.policy.rate.enabled, 1);
	assert_int_equal(o.policy.rate.cost_ns, 50000000ULL);
	assert_int_equal(o.policy.rate.burst_ns, 500000000ULL);
	assert_int_equal(o.policy.rate.leak_shift, leak);
	load(&l, &o, "ratelimit rate 1 burst 1 leak 0\nratelimit off\n");
	assert_int_equal(l.rc, 0);
	assert_int_equal(o.policy.rate.enabled, 0);
	assert_int_equal(o.policy.rate.leak_shift, 0);
	options_free(&o);
}

static void one_mode_for_all_interfaces(void **state)
{
	struct ntpd_options o;
	struct loaded l;

	(void)state;
	defaults(&o);
	load(&l, &o, "interface eth0 mode native\ninterface eth1\ninterface eth2 mode native\n");
	assert_int_equal(l.rc, 0);
	assert_int_equal(o.xdp_mode, NTPD_XDP_NATIVE);
	assert_int_equal(o.n_ifaces, 3);
	options_free(&o);
	defaults(&o);
	load(&l, &o, "interface lo mode socket\n");
	assert_int_equal(l.rc, 0);
	assert_int_equal(o.xdp_mode, NTPD_XDP_SOCKET);
	options_free(&o);
}

static void missing_file_is_errno(void **state)
{
	char err[256] = "";
	struct ntpd_options o;
	int rc;

	(void)state;
	defaults(&o);
	rc = config_load("/nonexistent/xdp-ntpd.conf", &o, err, sizeof(err));
	assert_int_equal(rc, -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/xdp-ntpd.conf: cannot open: No such file"));
	options_free(&o);
}

static void nul_byte_is_an_error(void **state)
{
	static const char text[] = "threads 2\nthreads 3\0garbage\n";
	struct ntpd_options o;
	struct loaded l;

	(void)state;
	defaults(&o);
	load_n(&l, &o, text, sizeof(text) - 1);
	assert_error_at(&l, 2, "NUL byte");
	options_free(&o);
}

static void overlong_line_is_an_error(void **state)
{
	char text[CONFIG_MAX_LINE + 64];
	struct ntpd_options o;
	struct loaded l;

	(void)state;
	memset(text, ' ', sizeof(text));
	memcpy(text, "# ok\n", 5);
	memcpy(text + 5, "threads 1", 9);		/* then blanks past the limit */
	text[sizeof(text) - 2] = '\n';
	text[sizeof(text) - 1] = '\0';
	defaults(&o);
	load(&l, &o, text);
	assert_error_at(&l, 2, "line longer than 1024 characters");
	options_free(&o);
}

static void too_many_upstreams(void **state)
{
	char text[(NTPD_MAX_UPSTREAMS + 1) * 32] = "";
	struct ntpd_options o;
	struct loaded l;
	int i;

	(void)state;
	for (i = 0; i <= NTPD_MAX_UPSTREAMS; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "server 127.0.0.%d\n", i + 1);
	defaults(&o);
	load(&l, &o, text);
	assert_error_at(&l, NTPD_MAX_UPSTREAMS + 1, "server: at most 16 servers");
	options_free(&o);
}

static void too_many_interfaces(void **state)
{
	char text[(NTPD_MAX_IFACES + 1) * 24] = "";
	struct ntpd_options o;
	struct loaded l;
	int i;

	(void)state;
	for (i = 0; i <= NTPD_MAX_IFACES; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "interface veth%d\n", i);
	defaults(&o);
	load(&l, &o, text);
	assert_error_at(&l, NTPD_MAX_IFACES + 1, "interface: at most 16 interfaces");
	options_free(&o);
}

/* description, file, line of the mistake, what the message must say */
struct bad_file {
	const char *desc;
	const char *text;
	unsigned int line;
	const char *want;
};

static const struct bad_file bad_files[] = {
	{ "error: unknown directive after comments", "# c\n\nthreads 1\nbogus 1\n", 4,
	  "unknown directive 'bogus'" },
	{ "error: a flag spelled as on the command line", "--kod\n", 1,
	  "unknown directive '--kod'" },
	{ "error: trailing garbage after a value", "threads 4 extra\n", 1,
	  "threads: unexpected 'extra'" },
	{ "error: trailing garbage after a bare flag", "kod yes\n", 1, "kod: unexpected 'yes'" },
	{ "error: too many words for any directive", "server a port 1 b c d e f g\n", 1,
	  "server: unexpected" },
	{ "error: missing value", "\nthreads\n", 2, "threads: missing value (usage: threads N)" },
	{ "error: threads not a number", "threads many\n", 1,
	  "threads: 'many' is not a number in [0, 1024]" },
	{ "error: threads6 negative", "threads6 -1\n", 1,
	  "threads6: '-1' is not a number in [0, 1024]" },
	{ "error: threads with a unit", "threads 4k\n", 1, "threads: '4k' is not a number" },
	{ "error: server with a bad port", "server 127.0.0.1 port 0\n", 1,
	  "server port: '0' is not a number in [1, 65535]" },
	{ "error: server port 70000", "server 127.0.0.1:70000\n", 1,
	  "server: '127.0.0.1:70000' is not HOST[:PORT]" },
	{ "error: server with two ports", "server 127.0.0.1:123 port 5\n", 1,
	  "server: '127.0.0.1:123' already names a port" },
	{ "error: server with a misspelt keyword", "server a.example prt 5\n", 1,
	  "server: unexpected 'prt' (options: iburst, minpoll N, maxpoll N, port N or key ID)" },
	{ "error: server with key 0", "server a.example key 0\n", 1,
	  "server key: '0' is not a key ID in [1, 4294967295]" },
	{ "error: server with key but no ID", "server a.example port 123 key\n", 1,
	  "server: 'key' needs a value" },
	{ "error: trustedkey not a number", "trustedkey 1 x\n", 1,
	  "trustedkey: 'x' is not a key ID or LO-HI range in [1, 4294967295]" },
	{ "error: trustedkey range backwards", "trustedkey 9-3\n", 1,
	  "trustedkey: '9-3' is not a key ID or LO-HI range in [1, 4294967295]" },
	{ "error: server with port but no number", "server a.example port\n", 1,
	  "server: 'port' needs a value" },
	{ "error: server unclosed bracket", "server [::1\n", 1,
	  "server: '[::1' is not HOST[:PORT]" },
	{ "error: interface with an unknown mode", "interface eth0 mode turbo\n", 1,
	  "interface: mode 'turbo' is not one of auto, native, generic, socket" },
	{ "error: interface with a misspelt keyword", "interface eth0 xdp native\n", 1,
	  "interface: expected 'mode', not 'xdp'" },
	{ "error: interface with mode but no mode", "interface eth0 mode\n", 1,
	  "interface: 'mode' needs a value" },
	{ "error: interfaces with different modes",
	  "interface eth0 mode native\ninterface eth1 mode generic\n", 2,
	  "interface: mode generic differs from mode native on line 1" },
	{ "error: interface given twice", "interface eth0\ninterface eth0\n", 2,
	  "interface: 'eth0' given twice" },
	{ "error: interface name too long", "interface abcdefghijklmnopq\n", 1,
	  "interface: 'abcdefghijklmnopq' is not an interface name" },
	{ "error: listen given an IPv6 address", "listen [::1]:123\n", 1,
	  "listen: '[::1]:123' is not an IPv4 ADDR:PORT" },
	{ "error: listen given a name", "listen localhost:123\n", 1,
	  "listen: 'localhost:123' is not an IPv4 ADDR:PORT" },
	{ "error: listen port 0", "listen 0.0.0.0:0\n", 1,
	  "listen: '0.0.0.0:0' is not an IPv4 ADDR:PORT" },
	{ "error: listen6 given an IPv4 address", "listen6 127.0.0.1:123\n", 1,
	  "listen6: '127.0.0.1:123' is not an IPv6 [ADDR]:PORT" },
	{ "error: allow prefix too long", "allow 10.0.0.0/33\n", 1,
	  "allow: '10.0.0.0/33' is not an address or CIDR" },
	{ "error: deny a name", "deny example.org\n", 1,
	  "deny: 'example.org' is not an address or CIDR" },
	{ "error: ratelimit without burst", "ratelimit rate 5\n", 1,
	  "ratelimit: needs both 'rate R' and 'burst B'" },
	{ "error: ratelimit rate 0", "ratelimit rate 0 burst 4\n", 1,
	  "ratelimit: rate '0' burst '4' is not a rate" },
	{ "error: ratelimit fractional burst", "ratelimit rate 1 burst 2.5\n", 1,
	  "ratelimit: rate '1' burst '2.5' is not a rate" },
	{ "error: ratelimit rate with a slash", "ratelimit rate 1/2 burst 4\n", 1,
	  "ratelimit: rate '1/2' burst '4' is not a rate" },
	{ "error: ratelimit off with more", "ratelimit off now\n", 1,
	  "ratelimit: unexpected 'now' after 'off'" },
	{ "error: ratelimit unknown word", "ratelimit speed 5\n", 1,
	  "ratelimit: unexpected 'speed'" },
	{ "error: ratelimit word twice", "ratelimit rate 1 rate 2 burst 3\n", 1,
	  "ratelimit: 'rate' given twice" },
	{ "error: ratelimit word without value", "ratelimit rate 1 burst\n", 1,
	  "ratelimit: 'burst' needs a value" },
	{ "error: ratelimit leak 17", "ratelimit rate 1 burst 2 leak 17\n", 1,
	  "ratelimit leak: '17' is not a number in [0, 16]" },
	{ "error: rate-table-size too small", "rate-table-size 10\n", 1,
	  "rate-table-size: '10' is not a number in [64, 16777216]" },
	{ "error: rate-prefix4 33", "rate-prefix4 33\n", 1,
	  "rate-prefix4: '33' is not a number in [1, 32]" },
	{ "error: rate-prefix6 0", "rate-prefix6 0\n", 1,
	  "rate-prefix6: '0' is not a number in [1, 128]" },
	{ "error: local stratum 16", "local stratum 16\n", 1,
	  "local stratum: '16' is not a number in [1, 15]" },
	{ "error: local without stratum", "local level 3\n", 1,
	  "local: expected 'stratum', not 'level'" },
	{ "error: local stratum without value", "local stratum\n", 1, "local: missing value" },
	{ "error: unknown clock", "clock atomic\n", 1,
	  "clock: 'atomic' is not system, corrected or auto" },
	{ "error: metrics-listen a name", "metrics-listen nowhere\n", 1,
	  "metrics-listen: 'nowhere' is not ADDR:PORT" },
	{ "error: keyfile without a file", "keyfile\n", 1, "keyfile: missing value" },
	{ "error: keyfile with two files", "keyfile /a /b\n", 1, "keyfile: unexpected '/b'" },
	{ "error: leapsmear with a value", "leapsmear on\n", 1, "leapsmear: unexpected 'on'" },
	{ "error: user without a name", "user\n", 1, "user: missing value" },
	{ "error: chroot with two dirs", "chroot /a /b\n", 1, "chroot: unexpected '/b'" },
	{ "error: max-age 0", "max-age 0\n", 1, "max-age: '0' is not a number in [1, 1000]" },
	{ "error: max-age 1001", "max-age 1001\n", 1,
	  "max-age: '1001' is not a number in [1, 1000]" },
	{ "error: unknown stale action", "stale-action guess\n", 1,
	  "stale-action: 'guess' is not unsync or pass" },
	{ "error: min-poll -8", "min-poll -8\n", 1, "min-poll: '-8' is not a number in [-7, 17]" },
	{ "error: max-poll 18", "max-poll 18\n", 1, "max-poll: '18' is not a number in [-7, 17]" },
	{ "error: upstream-min-poll -1", "upstream-min-poll -1\n", 1,
	  "upstream-min-poll: '-1' is not a number in [0, 17]" },
	{ "error: upstream-max-poll 18", "upstream-max-poll 18\n", 1,
	  "upstream-max-poll: '18' is not a number in [0, 17]" },
	{ "error: max-missed 0", "max-missed 0\n", 1, "max-missed: '0' is not a number in [1, 64]" },
	{ "error: replace with a value", "replace now\n", 1, "replace: unexpected 'now'" },
	{ "error: stops at the first mistake", "threads x\nthreads y\n", 1, "'x'" },
};

static void bad_file(void **state)
{
	const struct bad_file *b = *state;
	struct ntpd_options o;
	struct loaded l;

	defaults(&o);
	load(&l, &o, b->text);
	assert_error_at(&l, b->line, b->want);
	/* one message, one line */
	assert_null(strchr(l.err, '\n'));
	options_free(&o);
}

#define N_BAD (sizeof(bad_files) / sizeof(bad_files[0]))

int main(void)
{
	static const struct CMUnitTest named[] = {
		cmocka_unit_test(every_directive),
		cmocka_unit_test(comments_and_blank_lines),
		cmocka_unit_test(empty_file_changes_nothing),
		cmocka_unit_test(repeatable_directives_accumulate),
		cmocka_unit_test(max_upstreams_fit),
		cmocka_unit_test(server_keys_and_trustedkey),
		cmocka_unit_test(later_lines_override_earlier),
		cmocka_unit_test(documented_defaults),
		cmocka_unit_test(ratelimit_off_and_on),
		cmocka_unit_test(one_mode_for_all_interfaces),
		cmocka_unit_test(missing_file_is_errno),
		cmocka_unit_test(nul_byte_is_an_error),
		cmocka_unit_test(overlong_line_is_an_error),
		cmocka_unit_test(too_many_upstreams),
		cmocka_unit_test(too_many_interfaces),
	};
	static struct CMUnitTest tests[sizeof(named) / sizeof(named[0]) + N_BAD];
	size_t i, n = 0;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		tests[n++] = named[i];
	/* one test per row, named by its description, so TAP says which failed */
	for (i = 0; i < N_BAD; i++)
		tests[n++] = (struct CMUnitTest){
			.name = bad_files[i].desc,
			.test_func = bad_file,
			.initial_state = (void *)&bad_files[i],
		};
	return _cmocka_run_group_tests("config", tests, n, NULL, NULL);
}
