// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The management API without HTTP: the body parsers as a table of bodies
 * and verdicts, and mgmt_handle with the daemon replaced by recording
 * callbacks, so that "refused means nothing applied" is checked directly.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "mgmt_api.h"

#define TOKEN "s3cret-token-0123456789"

/* ---- the parsers, as a table ---- */

enum which { UPSTREAMS, RATELIMIT, ACL };

struct parse_case {
	const char *desc;
	enum which which;
	const char *body;
	int ret;
	const char *err_has;	/* part of the message when refused */
};

static const struct parse_case cases[] = {
	{ "upstreams: two, v4 and v6", UPSTREAMS,
	  "{\"upstreams\": [\"192.0.2.1:11123\", \"[2001:db8::1]:123\"]}", 0, NULL },
	{ "upstreams: a name, default port", UPSTREAMS, "{\"upstreams\": [\"ntp.example\"]}", 0, NULL },
	{ "upstreams: empty list", UPSTREAMS, "{\"upstreams\": []}", -EINVAL, "array of 1 to 16" },
	{ "upstreams: 17 is too many", UPSTREAMS,
	  "{\"upstreams\": [\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\","
	  "\"a\",\"a\",\"a\",\"a\",\"a\"]}", -EINVAL, "array of 1 to 16" },
	{ "upstreams: not a string", UPSTREAMS, "{\"upstreams\": [123]}", -EINVAL, "upstreams[0]" },
	{ "upstreams: bad port", UPSTREAMS, "{\"upstreams\": [\"192.0.2.1:99999\"]}", -EINVAL,
	  "upstreams[0]" },
	{ "upstreams: unknown key", UPSTREAMS, "{\"upstreams\": [\"a\"], \"x\": 1}", -EINVAL,
	  "unknown key \"x\"" },
	{ "upstreams: not JSON", UPSTREAMS, "upstreams=a", -EINVAL, "bad JSON" },
	{ "upstreams: not an object", UPSTREAMS, "[\"a\"]", -EINVAL, "JSON object" },
	{ "upstreams: duplicate key", UPSTREAMS, "{\"upstreams\": [\"a\"], \"upstreams\": [\"b\"]}",
	  -EINVAL, "bad JSON" },
	{ "ratelimit: every key", RATELIMIT,
	  "{\"enabled\": true, \"rate\": 4, \"burst\": 8, \"leak\": 3, \"kod\": true, "
	  "\"kod_deny\": true, \"prefix4\": 24, \"prefix6\": 48}", 0, NULL },
	{ "ratelimit: empty object changes nothing", RATELIMIT, "{}", 0, NULL },
	{ "ratelimit: rate 0", RATELIMIT, "{\"rate\": 0}", -EINVAL, "\"rate\" must be" },
	{ "ratelimit: rate as a string", RATELIMIT, "{\"rate\": \"2\"}", -EINVAL, "\"rate\" must be" },
	{ "ratelimit: burst 0", RATELIMIT, "{\"burst\": 0}", -EINVAL, "\"burst\" must be" },
	{ "ratelimit: burst fractional", RATELIMIT, "{\"burst\": 1.5}", -EINVAL, "\"burst\" must be" },
	{ "ratelimit: leak 17", RATELIMIT, "{\"leak\": 17}", -EINVAL, "\"leak\" must be" },
	{ "ratelimit: prefix4 33", RATELIMIT, "{\"prefix4\": 33}", -EINVAL, "\"prefix4\" must be" },
	{ "ratelimit: enabled as 1", RATELIMIT, "{\"enabled\": 1}", -EINVAL, "true or false" },
	{ "ratelimit: table_size is not live", RATELIMIT, "{\"table_size\": 10}", -EINVAL,
	  "unknown key \"table_size\"" },
	{ "acl: both lists", ACL, "{\"allow\": [\"10.1.0.0/16\"], \"deny\": [\"10.0.0.0/8\", \"::/0\"]}",
	  0, NULL },
	{ "acl: empty object empties", ACL, "{}", 0, NULL },
	{ "acl: /33", ACL, "{\"deny\": [\"10.0.0.0/33\"]}", -EINVAL, "deny[0]" },
	{ "acl: not a list", ACL, "{\"deny\": \"10.0.0.0/8\"}", -EINVAL, "must be an array" },
	{ "acl: unknown key", ACL, "{\"block\": []}", -EINVAL, "unknown key" },
};

static void test_parse_table(void **state)
{
	struct ntpd_endpoint eps[NTPD_MAX_UPSTREAMS];
	struct ntpd_policy before, p;
	size_t i;

	(void)state;
	policy_defaults(&before);
	policy_add_acl(&before, "192.0.2.0/24", NTPD_ACL_DENY);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_case *c = &cases[i];
		char err[256] = "";
		int n = 0, ret;

		p = before;
		ret = c->which == UPSTREAMS ?
			mgmt_parse_upstreams(c->body, strlen(c->body), eps, &n, err, sizeof(err)) :
		      c->which == RATELIMIT ?
			mgmt_parse_ratelimit(c->body, strlen(c->body), &p, err, sizeof(err)) :
			mgmt_parse_acl(c->body, strlen(c->body), &p, err, sizeof(err));
		if (ret != c->ret)
			fail_msg("%s: returned %d, want %d (%s)", c->desc, ret, c->ret, err);
		if (c->err_has && !strstr(err, c->err_has))
			fail_msg("%s: message \"%s\" lacks \"%s\"", c->desc, err, c->err_has);
		if (ret && memcmp(&p, &before, sizeof(p)))
			fail_msg("%s: refused but the policy changed", c->desc);
	}
}

static void test_parse_values(void **state)
{
	struct ntpd_endpoint eps[NTPD_MAX_UPSTREAMS];
	struct ntpd_policy p;
	char err[256];
	int n = 0;
	static const char ups[] = "{\"upstreams\": [\"192.0.2.1:11123\", \"[2001:db8::1]\"]}";
	static const char rate[] = "{\"rate\": 4, \"leak\": 3, \"kod\": true}";
	static const char acl[] = "{\"allow\": [\"10.1.0.0/16\"], \"deny\": [\"2001:db8::/32\"]}";

	(void)state;
	assert_int_equal(mgmt_parse_upstreams(ups, strlen(ups), eps, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(eps[0].host, "192.0.2.1");
	assert_int_equal(eps[0].port, 11123);
	assert_string_equal(eps[1].host, "2001:db8::1");
	assert_int_equal(eps[1].port, 123);

	policy_defaults(&p);
	assert_int_equal(mgmt_parse_ratelimit(rate, strlen(rate), &p, err, sizeof(err)), 0);
	assert_int_equal(p.rate.cost_ns, 250000000ULL);
	/* the burst not named keeps its value (the default 16) */
	assert_int_equal(p.rate.burst_ns / p.rate.cost_ns, 16);
	assert_int_equal(p.rate.leak_shift, 3);
	assert_int_equal(p.rate.kod, 1);

	policy_add_acl(&p, "192.0.2.0/24", NTPD_ACL_DENY);
	assert_int_equal(mgmt_parse_acl(acl, strlen(acl), &p, err, sizeof(err)), 0);
	assert_int_equal(p.n_acl, 2);	/* the old rule is gone: the body is the whole list */
	assert_int_equal(p.acl[0].action, NTPD_ACL_ALLOW);
	assert_int_equal(p.acl[0].prefixlen, 16);
	assert_int_equal(p.acl[1].action, NTPD_ACL_DENY);
	assert_int_equal(p.rate.acl4_enabled, 1);
	assert_int_equal(p.rate.acl6_enabled, 1);
	assert_int_equal(p.rate.cost_ns, 250000000ULL);	/* limits untouched by /acl */
}

/* ---- mgmt_handle with recording callbacks ---- */

static struct {
	int set_upstreams, reset_upstreams, set_policy;
	int fail_with;		/* what applying returns: 0 or -errno, then nothing applied */
	struct ntpd_policy policy;
	struct ntpd_endpoint eps[NTPD_MAX_UPSTREAMS];
	int n;
} fake;

static int fake_set_upstreams(void *ctx, const struct ntpd_endpoint *eps, int n)
{
	(void)ctx;
	fake.set_upstreams++;
	if (fake.fail_with)
		return fake.fail_with;
	memcpy(fake.eps, eps, sizeof(eps[0]) * (size_t)n);
	fake.n = n;
	return 0;
}

static int fake_reset_upstreams(void *ctx)
{
	(void)ctx;
	fake.reset_upstreams++;
	return 0;
}

static void fake_get_upstreams(void *ctx, struct ntpd_endpoint *eps, int *n)
{
	(void)ctx;
	memcpy(eps, fake.eps, sizeof(eps[0]) * (size_t)fake.n);
	*n = fake.n;
}

static void fake_get_policy(void *ctx, struct ntpd_policy *out)
{
	(void)ctx;
	*out = fake.policy;
}

static int fake_set_policy(void *ctx, const struct ntpd_policy *p)
{
	(void)ctx;
	fake.set_policy++;
	if (fake.fail_with)
		return fake.fail_with;
	fake.policy = *p;
	return 0;
}

static const struct mgmt_ops ops = {
	.set_upstreams = fake_set_upstreams, .reset_upstreams = fake_reset_upstreams,
	.get_upstreams = fake_get_upstreams, .get_policy = fake_get_policy,
	.set_policy = fake_set_policy,
};

static char token_path[64];

static int setup(void **state)
{
	int fd;

	(void)state;
	memset(&fake, 0, sizeof(fake));
	policy_defaults(&fake.policy);
	snprintf(token_path, sizeof(token_path), "/tmp/xdp-ntpd-token-XXXXXX");
	fd = mkstemp(token_path);	/* mode 0600 */
	assert_true(fd >= 0);
	assert_int_equal(write(fd, TOKEN "\n", strlen(TOKEN) + 1), (ssize_t)strlen(TOKEN) + 1);
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(token_path);
	return 0;
}

static unsigned int call(struct mgmt_api *m, const char *method, const char *url,
			 const char *auth, const char *body)
{
	struct mgmt_reply r;

	mgmt_handle(m, method, url, auth, body, strlen(body), &r);
	assert_non_null(r.body);
	free(r.body);
	return r.status;
}

static void test_read_only_without_token(void **state)
{
	struct mgmt_api *m;

	(void)state;
	assert_int_equal(mgmt_open(&m, NULL, &ops), 0);
	assert_int_equal(call(m, "GET", "/ratelimit", NULL, ""), 200);
	assert_int_equal(call(m, "PUT", "/ratelimit", "Bearer " TOKEN, "{\"rate\": 1}"), 403);
	assert_int_equal(call(m, "DELETE", "/upstreams", "Bearer " TOKEN, ""), 403);
	assert_int_equal(fake.set_policy + fake.reset_upstreams, 0);
	mgmt_close(m);
}

static void test_token_required(void **state)
{
	struct mgmt_api *m;
	static const char body[] = "{\"upstreams\": [\"192.0.2.9\"]}";
	struct mgmt_reply r;

	(void)state;
	assert_int_equal(mgmt_open(&m, token_path, &ops), 0);
	assert_int_equal(call(m, "PUT", "/upstreams", NULL, body), 401);
	assert_int_equal(call(m, "PUT", "/upstreams", "Bearer wrong", body), 401);
	assert_int_equal(call(m, "PUT", "/upstreams", "Bearer " TOKEN "x", body), 401);
	assert_int_equal(call(m, "PUT", "/upstreams", "Basic " TOKEN, body), 401);
	mgmt_handle(m, "PUT", "/upstreams", NULL, body, strlen(body), &r);
	assert_true(r.want_auth);
	free(r.body);
	assert_int_equal(fake.set_upstreams, 0);
	assert_int_equal(call(m, "PUT", "/upstreams", "Bearer " TOKEN, body), 200);
	assert_int_equal(fake.set_upstreams, 1);
	assert_string_equal(fake.eps[0].host, "192.0.2.9");
	assert_int_equal(call(m, "DELETE", "/upstreams", "Bearer " TOKEN, ""), 200);
	assert_int_equal(fake.reset_upstreams, 1);
	mgmt_close(m);
}

static void test_bad_requests_change_nothing(void **state)
{
	struct mgmt_api *m;
	char *big;

	(void)state;
	assert_int_equal(mgmt_open(&m, token_path, &ops), 0);
	assert_int_equal(call(m, "PUT", "/ratelimit", "Bearer " TOKEN, "{\"burst\": -1}"), 400);
	assert_int_equal(call(m, "PUT", "/acl", "Bearer " TOKEN, "{\"deny\": [\"x\"]}"), 400);
	assert_int_equal(call(m, "PUT", "/upstreams", "Bearer " TOKEN, "{"), 400);
	assert_int_equal(call(m, "DELETE", "/acl", "Bearer " TOKEN, ""), 405);
	assert_int_equal(call(m, "POST", "/acl", "Bearer " TOKEN, "{}"), 405);
	big = calloc(1, MGMT_MAX_BODY + 2);
	assert_non_null(big);
	memset(big, ' ', MGMT_MAX_BODY + 1);
	assert_int_equal(call(m, "PUT", "/acl", "Bearer " TOKEN, big), 413);
	free(big);
	assert_int_equal(fake.set_policy + fake.set_upstreams + fake.reset_upstreams, 0);
	assert_int_equal(call(m, "PUT", "/ratelimit", "Bearer " TOKEN, "{\"enabled\": false}"), 200);
	assert_int_equal(fake.set_policy, 1);
	assert_int_equal(fake.policy.rate.enabled, 0);
	mgmt_close(m);
}

/* A valid change the daemon cannot apply: 500, and the body says what is in force. */
static void test_failed_apply_says_so(void **state)
{
	static const struct {
		const char *url, *body;
		int err;
		const char *error_starts;
		bool applied;
	} rows[] = {
		{ "/acl", "{\"deny\": [\"192.0.2.0/24\", \"198.51.100.0/24\"]}", -EIO,
		  "not applied, previous policy kept: Input/output error", false },
		{ "/ratelimit", "{\"rate\": 4}", -E2BIG, "not applied, previous policy kept", false },
		{ "/upstreams", "{\"upstreams\": [\"192.0.2.9\"]}", -ETIMEDOUT,
		  "not applied, previous upstreams kept", false },
		{ "/acl", "{\"deny\": [\"192.0.2.0/24\"]}", -ENOTRECOVERABLE,
		  "partly applied: putting the previous policy back failed", true },
	};
	struct ntpd_policy before;
	struct mgmt_reply r;
	struct mgmt_api *m;
	json_t *root;
	size_t i;

	(void)state;
	assert_int_equal(mgmt_open(&m, token_path, &ops), 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		fake.fail_with = rows[i].err;
		before = fake.policy;
		mgmt_handle(m, "PUT", rows[i].url, "Bearer " TOKEN, rows[i].body,
			    strlen(rows[i].body), &r);
		assert_int_equal(r.status, 500);
		root = json_loads(r.body, 0, NULL);
		assert_non_null(root);
		assert_true(!strncmp(json_string_value(json_object_get(root, "error")),
				     rows[i].error_starts, strlen(rows[i].error_starts)));
		assert_int_equal(json_is_true(json_object_get(root, "applied")), rows[i].applied);
		assert_memory_equal(&fake.policy, &before, sizeof(before));
		json_decref(root);
		free(r.body);
	}
	mgmt_close(m);
}

static void test_token_file_checks(void **state)
{
	struct mgmt_api *m;

	(void)state;
	assert_int_equal(mgmt_open(&m, "/nonexistent/token", &ops), -ENOENT);
	assert_int_equal(chmod(token_path, 0644), 0);
	assert_int_equal(mgmt_open(&m, token_path, &ops), -EPERM);
	assert_int_equal(chmod(token_path, 0600), 0);
	assert_int_equal(truncate(token_path, 0), 0);
	assert_int_equal(mgmt_open(&m, token_path, &ops), -EINVAL);	/* empty */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_values),
		cmocka_unit_test_setup_teardown(test_read_only_without_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_required, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_apply_says_so, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_file_checks, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
