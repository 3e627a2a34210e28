// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * endpoint_parse and endpoint_format: the one spelling of an endpoint.  A
 * table of texts and what each parses to; what format writes parses back to
 * the same endpoint.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "endpoint.h"

/* text, default port -> rc, host, port, resolved family (0: a name) */
struct parse_case {
	const char *text;
	__u16 default_port;
	int rc;
	const char *host;
	__u16 port;
	int family;
	const char *formatted;	/* endpoint_format of the result */
};

static const struct parse_case cases[] = {
	{ "127.0.0.1:1123", 123, 0, "127.0.0.1", 1123, AF_INET, "127.0.0.1:1123" },
	{ "127.0.0.1", 123, 0, "127.0.0.1", 123, AF_INET, "127.0.0.1:123" },
	{ "[::1]:4123", 123, 0, "::1", 4123, AF_INET6, "[::1]:4123" },
	{ "[2001:db8::1]", 9978, 0, "2001:db8::1", 9978, AF_INET6, "[2001:db8::1]:9978" },
	/* a bare IPv6 has several ':': all of it is the host */
	{ "2001:db8::1", 123, 0, "2001:db8::1", 123, AF_INET6, "[2001:db8::1]:123" },
	{ "ntp.example.org", 123, 0, "ntp.example.org", 123, 0, "ntp.example.org:123" },
	{ "ntp.example.org:4123", 123, 0, "ntp.example.org", 4123, 0, "ntp.example.org:4123" },
	{ "", 123, -EINVAL, NULL, 0, 0, NULL },
	{ "host:0", 123, -EINVAL, NULL, 0, 0, NULL },
	{ "host:65536", 123, -EINVAL, NULL, 0, 0, NULL },
	{ "host:12x", 123, -EINVAL, NULL, 0, 0, NULL },
	{ "host:", 123, -EINVAL, NULL, 0, 0, NULL },
	{ ":123", 123, -EINVAL, NULL, 0, 0, NULL },
	{ "[::1", 123, -EINVAL, NULL, 0, 0, NULL },
	{ "[::1]123", 123, -EINVAL, NULL, 0, 0, NULL },
	{ "[]:123", 123, -EINVAL, NULL, 0, 0, NULL },
};

static void parse_case(void **state)
{
	const struct parse_case *c = *state;
	struct ntpd_endpoint ep, again;
	char text[ENDPOINT_TEXT_MAX];

	assert_int_equal(endpoint_parse(c->text, c->default_port, &ep), c->rc);
	if (c->rc)
		return;
	assert_string_equal(ep.host, c->host);
	assert_int_equal(ep.port, c->port);
	assert_int_equal(ep.resolved, c->family != 0);
	if (c->family == AF_INET)
		assert_int_equal(ntohs(((struct sockaddr_in *)&ep.addr)->sin_port), c->port);
	if (c->family)
		assert_int_equal(ep.addr.ss_family, c->family);
	assert_int_equal(endpoint_format(&ep, text, sizeof(text)), (int)strlen(c->formatted));
	assert_string_equal(text, c->formatted);
	/* what format writes, parse reads back (whatever the default port) */
	assert_int_equal(endpoint_parse(text, 1, &again), 0);
	assert_memory_equal(&again, &ep, sizeof(ep));
}

static void too_long_a_host(void **state)
{
	char text[300];
	struct ntpd_endpoint ep;

	(void)state;
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(endpoint_parse(text, 123, &ep), -EINVAL);
	text[255] = '\0';		/* 255 characters: the longest host */
	assert_int_equal(endpoint_parse(text, 123, &ep), 0);
	assert_int_equal(strlen(ep.host), 255);
}

static void format_into_a_short_buffer(void **state)
{
	struct ntpd_endpoint ep;
	char text[8] = "garbage";

	(void)state;
	assert_int_equal(endpoint_parse("[2001:db8::1]:123", 123, &ep), 0);
	assert_int_equal(endpoint_format(&ep, text, sizeof(text)), -ENOSPC);
	assert_string_equal(text, "");		/* never a cut-off address */
}

static void has_port(void **state)
{
	(void)state;
	assert_true(endpoint_text_has_port("a.example:123"));
	assert_true(endpoint_text_has_port("[::1]:123"));
	assert_false(endpoint_text_has_port("a.example"));
	assert_false(endpoint_text_has_port("::1"));
	assert_false(endpoint_text_has_port("[::1]"));
}

int main(void)
{
	static const struct CMUnitTest named[] = {
		cmocka_unit_test(too_long_a_host),
		cmocka_unit_test(format_into_a_short_buffer),
		cmocka_unit_test(has_port),
	};
	static struct CMUnitTest tests[sizeof(named) / sizeof(named[0]) +
				       sizeof(cases) / sizeof(cases[0])];
	static char names[sizeof(cases) / sizeof(cases[0])][96];
	size_t i, n = 0;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		tests[n++] = named[i];
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(names[i], sizeof(names[i]), "parse '%s'", cases[i].text);
		tests[n++] = (struct CMUnitTest){ .name = names[i], .test_func = parse_case,
						  .initial_state = (void *)&cases[i] };
	}
	return _cmocka_run_group_tests("endpoint", tests, n, NULL, NULL);
}
