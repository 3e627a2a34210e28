// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * options_parse: flags on top of the -c file (lists replaced or added to as
 * documented), errors naming the flag or FILE:LINE through the log (stderr
 * captured by pointing fd 2 at a temporary file), and the strings the
 * options own: freed by options_free, never kept elsewhere, so parsing
 * again and again (as every SIGHUP does) does not grow the heap.
 */
#include <errno.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "options.h"

static char conf_path[64];
static char captured[4096];

static void write_conf(const char *text)
{
	FILE *f;
	int fd;

	snprintf(conf_path, sizeof(conf_path), "/tmp/xdp-ntpd-opts-XXXXXX");
	fd = mkstemp(conf_path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* options_parse with fd 2 captured into `captured` */
static int parse(struct ntpd_options *o, int argc, char **argv)
{
	char cap[] = "/tmp/xdp-ntpd-opts-err-XXXXXX";
	int saved, fd, rc;
	ssize_t n;

	fd = mkstemp(cap);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	rc = options_parse(o, argc, argv);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, captured, sizeof(captured) - 1, 0);
	captured[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(cap);
	return rc;
}

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

static void flags_replace_the_files_lists(void **state)
{
	struct ntpd_options o;

	(void)state;
	write_conf("server 127.0.0.1 port 11123\nserver 127.0.0.2\ninterface eth0\n"
		   "allow 10.0.0.0/8\nuser ntp\n");
	char *argv[] = { "xdp-ntpd", "-s", "192.0.2.1:4123", "-c", conf_path, "-s",
			 "192.0.2.2", "-i", "eth9", "--allow", "10.1.0.0/16", "-u", "chrony",
			 NULL };

	assert_int_equal(parse(&o, ARGC(argv), argv), 0);
	/* the first -s empties the file's servers, the next adds */
	assert_int_equal(o.n_upstreams, 2);
	assert_string_equal(o.upstream[0].host, "192.0.2.1");
	assert_int_equal(o.upstream[0].port, 4123);
	assert_string_equal(o.upstream[1].host, "192.0.2.2");
	assert_int_equal(o.n_ifaces, 1);
	assert_string_equal(o.ifaces[0], "eth9");
	/* --allow adds to the file's rules */
	assert_int_equal(o.policy.n_acl, 2);
	assert_string_equal(o.user, "chrony");
	assert_string_equal(o.config_file, conf_path);
	options_free(&o);
	assert_null(o.user);
	assert_null(o.config_file);
	assert_int_equal(o.n_ifaces, 0);
	unlink(conf_path);
}

/* description, argv, what the log line says */
struct bad_flag {
	const char *desc;
	char *argv[6];
	const char *logged;
};

static const struct bad_flag bad_flags[] = {
	{ "a range names the long flag", { "xdp-ntpd", "--max-age", "0" },
	  "xdp-ntpd: --max-age: '0' is not a number in [1, 1000]\n" },
	{ "a range names the short flag", { "xdp-ntpd", "-4", "-1" },
	  "xdp-ntpd: -4: '-1' is not a number in [0, 1024]\n" },
	{ "an enum lists its names", { "xdp-ntpd", "--clock", "atomic" },
	  "xdp-ntpd: --clock: 'atomic' is not system, corrected or auto\n" },
	{ "a family is required", { "xdp-ntpd", "-b", "127.0.0.1:123" },
	  "xdp-ntpd: -b: '127.0.0.1:123' is not an IPv6 [ADDR]:PORT\n" },
	{ "a pair is checked", { "xdp-ntpd", "--min-poll", "10", "--max-poll", "6" },
	  "xdp-ntpd: --min-poll 10 is above --max-poll 6\n" },
	{ "an unknown flag", { "xdp-ntpd", "--bogus" },
	  "xdp-ntpd: unknown option '--bogus' (see --help)\n" },
	{ "a missing value", { "xdp-ntpd", "--dscp" }, "xdp-ntpd: option '--dscp' needs a value\n" },
	{ "a chroot without a user", { "xdp-ntpd", "-r", "/var/empty" },
	  "xdp-ntpd: -r needs -u: a chroot kept as root is no jail\n" },
};

static void bad_flag(void **state)
{
	const struct bad_flag *b = *state;
	struct ntpd_options o;
	int argc = 0;

	while (b->argv[argc])
		argc++;
	assert_int_equal(parse(&o, argc, (char **)b->argv), -EINVAL);
	assert_string_equal(captured, b->logged);
	/* nothing is left to free after a failure (the sanitizer run checks) */
}

static void file_errors_name_file_and_line(void **state)
{
	struct ntpd_options o;
	char want[128];

	(void)state;
	write_conf("user ntp\n\nmax-age 1001\n");
	char *argv[] = { "xdp-ntpd", "-c", conf_path, NULL };

	assert_int_equal(parse(&o, ARGC(argv), argv), -EINVAL);
	snprintf(want, sizeof(want), "xdp-ntpd: %s:3: max-age: '1001' is not a number in "
		 "[1, 1000]\n", conf_path);
	assert_string_equal(captured, want);
	unlink(conf_path);
}

static void help_is_handled(void **state)
{
	struct ntpd_options o;
	char *argv[] = { "xdp-ntpd", "--version", NULL };

	(void)state;
	assert_int_equal(parse(&o, ARGC(argv), argv), 1);
}

static void defaults_follow_the_flags(void **state)
{
	struct ntpd_options o;
	char *argv[] = { "xdp-ntpd", "-d", "--xdp-mode", "socket", NULL };

	(void)state;
	assert_int_equal(parse(&o, ARGC(argv), argv), 0);
	assert_int_equal(o.log_requests, 10);	/* -d: the request log at 10 lines/s */
	assert_int_equal(o.n_ifaces, 0);	/* socket mode: no "lo" */
	assert_int_equal(o.n_upstreams, 1);
	assert_string_equal(o.upstream[0].host, "127.0.0.1");
	options_free(&o);
}

/* What a SIGHUP does, 1,000 times: parse the file again, use it, free it.
 * Nothing kept between rounds, so the heap in use ends where it began. */
static void parsing_again_does_not_grow_the_heap(void **state)
{
	char text[16384] = "", *argv[] = { "xdp-ntpd", "-c", conf_path, "-u", "ntp", NULL };
	struct ntpd_options o;
	size_t before, after;
	int i;

	(void)state;
	for (i = 0; i < 16; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "interface veth%d\ndriftfile /var/lib/xdp-ntpd/drift-%d\n"
			 "keyfile /etc/xdp-ntpd/keys-%d\n", i, i, i);
	write_conf(text);
	assert_int_equal(options_parse(&o, ARGC(argv), argv), 0);
	options_free(&o);
	before = mallinfo2().uordblks;
	for (i = 0; i < 1000; i++) {
		assert_int_equal(options_parse(&o, ARGC(argv), argv), 0);
		assert_int_equal(o.n_ifaces, 16);
		options_free(&o);
	}
	after = mallinfo2().uordblks;
	unlink(conf_path);
	/* 48 strings a round: one kept per round would be 1.5 MB */
	if (after > before)
		fail_msg("heap in use grew %zu bytes over 1000 parses", after - before);
}

int main(void)
{
	static const struct CMUnitTest named[] = {
		cmocka_unit_test(flags_replace_the_files_lists),
		cmocka_unit_test(file_errors_name_file_and_line),
		cmocka_unit_test(help_is_handled),
		cmocka_unit_test(defaults_follow_the_flags),
		cmocka_unit_test(parsing_again_does_not_grow_the_heap),
	};
	static struct CMUnitTest tests[sizeof(named) / sizeof(named[0]) +
				       sizeof(bad_flags) / sizeof(bad_flags[0])];
	size_t i, n = 0;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		tests[n++] = named[i];
	for (i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++)
		tests[n++] = (struct CMUnitTest){ .name = bad_flags[i].desc, .test_func = bad_flag,
						  .initial_state = (void *)&bad_flags[i] };
	return _cmocka_run_group_tests("options", tests, n, NULL, NULL);
}
