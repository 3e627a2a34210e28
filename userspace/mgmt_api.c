// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "mgmt_api.h"

#include "errbuf.h"
#include "knobs.h"
#include "log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <nettle/memops.h>	/* memeql_sec: constant time, no OpenSSL */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct mgmt_api {
	char *token;		/* NULL: read-only */
	size_t token_len;
	struct mgmt_ops ops;
};

static int read_token(const char *path, char **out, size_t *out_len)
{
	char buf[512];
	struct stat st;
	ssize_t n;
	size_t len, i;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_warn("--api-token-file %s: %s\n", path, strerror(errno));
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		pr_warn("--api-token-file %s: %s\n", path, strerror(errno));
		goto cleanup;
	}
	/* a token anyone on the host can read protects nothing */
	if (st.st_mode & (S_IRWXO)) {
		pr_warn("--api-token-file %s: readable by others (mode %03o); chmod o-rwx it\n",
			path, st.st_mode & 0777);
		err = -EPERM;
		goto cleanup;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		err = -errno;
		pr_warn("--api-token-file %s: %s\n", path, strerror(errno));
		goto cleanup;
	}
	len = (size_t)n;
	while (len && isspace((unsigned char)buf[len - 1]))
		len--;
	buf[len] = '\0';
	for (i = 0; i < len; i++)
		if (!isgraph((unsigned char)buf[i]))
			break;
	if (i < len || len < MGMT_TOKEN_MIN || (size_t)n == sizeof(buf) - 1) {
		pr_warn("--api-token-file %s: want one token of %d to %zu printable characters "
			"without spaces\n", path, MGMT_TOKEN_MIN, sizeof(buf) - 2);
		err = -EINVAL;
		goto cleanup;
	}
	*out = strdup(buf);
	*out_len = len;
	if (!*out)
		err = -ENOMEM;
cleanup:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return err;
}

int mgmt_open(struct mgmt_api **out, const char *token_file, const struct mgmt_ops *ops)
{
	struct mgmt_api *m = calloc(1, sizeof(*m));
	int err;

	if (!m)
		return -ENOMEM;
	m->ops = *ops;
	if (token_file) {
		err = read_token(token_file, &m->token, &m->token_len);
		if (err) {
			free(m);
			return err;
		}
	}
	*out = m;
	return 0;
}

void mgmt_close(struct mgmt_api *m)
{
	if (!m)
		return;
	if (m->token)
		explicit_bzero(m->token, m->token_len);
	free(m->token);
	free(m);
}

void mgmt_set_serving(struct mgmt_api *m, struct serving *sv)
{
	m->ops.serving = sv;
}

struct serving *mgmt_serving(const struct mgmt_api *m)
{
	return m ? m->ops.serving : NULL;
}

bool mgmt_is_resource(const char *url)
{
	return !strcmp(url, "/upstreams") || !strcmp(url, "/upstreams/default") ||
	       !strcmp(url, "/ratelimit") || !strcmp(url, "/acl") || !strcmp(url, "/control");
}

/* ---- parsers ---------------------------------------------------------- */

/* Every key of `obj` must be one of `allowed` (NULL-terminated). */
static int only_keys(json_t *obj, const char *const *allowed, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	int i;

	json_object_foreach(obj, key, v) {
		for (i = 0; allowed[i]; i++)
			if (!strcmp(key, allowed[i]))
				break;
		if (!allowed[i])
			return errbuf_fail(err, errlen, "unknown key \"%s\"", key);
	}
	return 0;
}

/* The body as a JSON object with only `allowed` keys, or NULL and a message. */
static json_t *load_object(const char *body, size_t len, const char *const *allowed,
			   char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);

	if (!root) {
		errbuf_fail(err, errlen, "bad JSON at line %d column %d: %s", jerr.line, jerr.column,
		     jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		errbuf_fail(err, errlen, "the body must be a JSON object");
		goto fail;
	}
	if (only_keys(root, allowed, err, errlen))
		goto fail;
	return root;
fail:
	json_decref(root);
	return NULL;
}

int mgmt_parse_upstreams(const char *body, size_t len, struct ntpd_endpoint *eps, int *n,
			 char *err, size_t errlen)
{
	static const char *const keys[] = { "upstreams", NULL };
	json_t *root, *list, *v;
	size_t i;
	int ret = 0;

	root = load_object(body, len, keys, err, errlen);
	if (!root)
		return -EINVAL;
	list = json_object_get(root, "upstreams");
	if (!json_is_array(list) || json_array_size(list) < 1 ||
	    json_array_size(list) > NTPD_MAX_UPSTREAMS) {
		ret = errbuf_fail(err, errlen, "\"upstreams\" must be an array of 1 to %d \"HOST:PORT\" "
			   "strings", NTPD_MAX_UPSTREAMS);
		goto cleanup;
	}
	json_array_foreach(list, i, v) {
		const char *text = json_string_value(v);

		if (!text || endpoint_parse(text, NTP_PORT_DEFAULT, &eps[i])) {
			ret = errbuf_fail(err, errlen, "upstreams[%zu]: not HOST, HOST:PORT or [V6]:PORT",
				   i);
			goto cleanup;
		}
	}
	*n = (int)json_array_size(list);
cleanup:
	json_decref(root);
	return ret;
}

static int get_int(json_t *root, const char *key, long min, long max, long *out,
		   char *err, size_t errlen)
{
	json_t *v = json_object_get(root, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return errbuf_fail(err, errlen, "\"%s\" must be an integer in [%ld, %ld]", key, min, max);
	*out = (long)json_integer_value(v);
	return 0;
}

/* a field whose range is a command-line knob's: the range the table gives */
static int get_knob_int(json_t *root, const char *key, const char *knob_name, long *out,
			char *err, size_t errlen)
{
	const struct knob *k = knob_find(knob_name);

	return get_int(root, key, k->min, k->max, out, err, errlen);
}

static int get_bool(json_t *root, const char *key, __u8 *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(root, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return errbuf_fail(err, errlen, "\"%s\" must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

int mgmt_parse_ratelimit(const char *body, size_t len, struct ntpd_policy *p,
			 char *err, size_t errlen)
{
	static const char *const keys[] = {
		"enabled", "rate", "burst", "leak", "kod", "kod_deny", "prefix4", "prefix6", NULL
	};
	struct ntpd_policy next = *p;
	__u64 cost = p->rate.cost_ns ? p->rate.cost_ns : NSEC_PER_SEC_U64;
	double rate = 1e9 / (double)cost;
	long burst = (long)(p->rate.burst_ns / cost);
	long leak = p->rate.leak_shift, prefix4 = p->rate.prefix4, prefix6 = p->rate.prefix6;
	json_t *root, *v;
	int ret = 0;

	root = load_object(body, len, keys, err, errlen);
	if (!root)
		return -EINVAL;
	v = json_object_get(root, "rate");
	if (v) {
		rate = json_number_value(v);
		/* written so that a non-number (value 0) and NaN fail too */
		if (!json_is_number(v) || !(rate >= POLICY_RATE_MIN && rate <= POLICY_RATE_MAX)) {
			ret = errbuf_fail(err, errlen, "\"rate\" must be a number of requests/s in [%g, %g]",
				   POLICY_RATE_MIN, POLICY_RATE_MAX);
			goto cleanup;
		}
	}
	ret = get_int(root, "burst", 1, POLICY_BURST_MAX, &burst, err, errlen) ?:
	      get_knob_int(root, "leak", "rate-leak", &leak, err, errlen) ?:
	      get_knob_int(root, "prefix4", "rate-prefix4", &prefix4, err, errlen) ?:
	      get_knob_int(root, "prefix6", "rate-prefix6", &prefix6, err, errlen) ?:
	      get_bool(root, "enabled", &next.rate.enabled, err, errlen) ?:
	      get_bool(root, "kod", &next.rate.kod, err, errlen) ?:
	      get_bool(root, "kod_deny", &next.rate.kod_deny, err, errlen);
	if (ret)
		goto cleanup;
	policy_set_rate(&next, rate, (__u32)burst);
	next.rate.leak_shift = (__u8)leak;
	next.rate.prefix4 = (__u8)prefix4;
	next.rate.prefix6 = (__u8)prefix6;
	*p = next;
cleanup:
	json_decref(root);
	return ret;
}

static int add_list(json_t *root, const char *key, __u8 action, struct ntpd_policy *p,
		    char *err, size_t errlen)
{
	json_t *list = json_object_get(root, key), *v;
	size_t i;

	if (!list)
		return 0;
	if (!json_is_array(list))
		return errbuf_fail(err, errlen, "\"%s\" must be an array of CIDR strings", key);
	json_array_foreach(list, i, v) {
		const char *text = json_string_value(v);

		if (!text || policy_add_acl(p, text, action))
			return errbuf_fail(err, errlen, "%s[%zu]: not an address or CIDR (or more than %d "
				    "rules in all)", key, i, POLICY_MAX_ACL);
	}
	return 0;
}

int mgmt_parse_acl(const char *body, size_t len, struct ntpd_policy *p, char *err, size_t errlen)
{
	static const char *const keys[] = { "allow", "deny", NULL };
	struct ntpd_policy *next;	/* 5 KiB: off the HTTP thread's stack */
	json_t *root;
	int ret;

	root = load_object(body, len, keys, err, errlen);
	if (!root)
		return -EINVAL;
	next = malloc(sizeof(*next));
	if (!next) {
		ret = errbuf_fail(err, errlen, "out of memory");
		goto cleanup;
	}
	*next = *p;
	/* the body is the whole list: what it leaves out is removed */
	next->n_acl = 0;
	next->rate.acl4_enabled = 0;
	next->rate.acl6_enabled = 0;
	ret = add_list(root, "allow", NTPD_ACL_ALLOW, next, err, errlen) ?:
	      add_list(root, "deny", NTPD_ACL_DENY, next, err, errlen);
	if (!ret)
		*p = *next;
cleanup:
	free(next);
	json_decref(root);
	return ret;
}

int mgmt_parse_control(const char *body, size_t len, const char **action,
		       char *err, size_t errlen)
{
	static const char *const keys[] = { "action", NULL };
	static const char *const actions[] = { "stop", "start", "restart" };
	json_t *root;
	const char *text;
	size_t i;
	int ret = -EINVAL;

	root = load_object(body, len, keys, err, errlen);
	if (!root)
		return -EINVAL;
	text = json_string_value(json_object_get(root, "action"));
	for (i = 0; text && i < sizeof(actions) / sizeof(actions[0]); i++)
		if (!strcmp(text, actions[i])) {
			*action = actions[i];
			ret = 0;
		}
	if (ret)
		errbuf_fail(err, errlen, "\"action\" must be \"stop\", \"start\" or \"restart\"");
	json_decref(root);
	return ret;
}

/* ---- rendering -------------------------------------------------------- */

static char *dump(json_t *o)
{
	char *text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;

	json_decref(o);
	return text;
}

static json_t *endpoint_json(const struct ntpd_endpoint *ep)
{
	char buf[300];

	endpoint_format(ep, buf, sizeof(buf));
	return json_string(buf);
}

/* Each resource as GET shows it, and as PUT takes it back (the state file). */
static json_t *upstreams_json(struct mgmt_api *m)
{
	struct ntpd_endpoint eps[NTPD_MAX_UPSTREAMS];
	json_t *list = json_array();
	int n = 0, i;

	m->ops.get_upstreams(m->ops.ctx, eps, &n);
	for (i = 0; i < n; i++)
		json_array_append_new(list, endpoint_json(&eps[i]));
	return json_pack("{s:o}", "upstreams", list);
}

static json_t *ratelimit_json(const struct ntpd_policy *p)
{
	__u64 cost = p->rate.cost_ns ? p->rate.cost_ns : NSEC_PER_SEC_U64;

	return json_pack("{s:b, s:f, s:I, s:i, s:b, s:b, s:i, s:i}",
			 "enabled", p->rate.enabled,
			 "rate", 1e9 / (double)cost,
			 "burst", (json_int_t)(p->rate.burst_ns / cost),
			 "leak", p->rate.leak_shift, "kod", p->rate.kod,
			 "kod_deny", p->rate.kod_deny, "prefix4", p->rate.prefix4,
			 "prefix6", p->rate.prefix6);
}

static char *upstreams_body(struct mgmt_api *m)
{
	return dump(upstreams_json(m));
}

static char *ratelimit_body(const struct ntpd_policy *p)
{
	json_t *o = ratelimit_json(p);

	/* fixed when the map is made: shown, not something PUT takes */
	if (o)
		json_object_set_new(o, "table_size", json_integer((json_int_t)p->table_size));
	return dump(o);
}

static json_t *acl_json(const struct ntpd_policy *p);

static char *acl_body(const struct ntpd_policy *p)
{
	return dump(acl_json(p));
}

static json_t *acl_json(const struct ntpd_policy *p)
{
	json_t *allow = json_array(), *deny = json_array();
	char addr[INET6_ADDRSTRLEN], cidr[INET6_ADDRSTRLEN + 8];
	int i;

	for (i = 0; i < p->n_acl; i++) {
		const struct acl_rule *r = &p->acl[i];

		inet_ntop(r->family, r->addr, addr, sizeof(addr));
		snprintf(cidr, sizeof(cidr), "%s/%u", addr, r->prefixlen);
		json_array_append_new(r->action == NTPD_ACL_DENY ? deny : allow, json_string(cidr));
	}
	return json_pack("{s:o, s:o}", "allow", allow, "deny", deny);
}

static void reply_error(struct mgmt_reply *r, unsigned int status, const char *msg)
{
	r->status = status;
	r->body = dump(json_pack("{s:s}", "error", msg));
}

/* ---- dispatch --------------------------------------------------------- */

static bool authorised(const struct mgmt_api *m, const char *authorization)
{
	static const char prefix[] = "Bearer ";
	size_t len;

	if (!authorization || strncmp(authorization, prefix, sizeof(prefix) - 1))
		return false;
	authorization += sizeof(prefix) - 1;
	len = strlen(authorization);
	/* constant time in the token's bytes; its length is no secret worth keeping */
	return len == m->token_len && memeql_sec(authorization, m->token, len);
}

static char *control_body(struct mgmt_api *m)
{
	unsigned long actions;
	const char *state;
	double since;

	state = serving_state(m->ops.serving, &since, &actions);
	return dump(json_pack("{s:s, s:f, s:I}", "state", state, "since", since,
			      "actions", (json_int_t)actions));
}

static void handle_read(struct mgmt_api *m, const char *url, struct mgmt_reply *r)
{
	struct ntpd_policy *p;	/* 5 KiB: off the HTTP thread's stack */

	r->status = 200;
	if (!strcmp(url, "/control")) {
		if (!m->ops.serving)
			return reply_error(r, 503, "service control is not available");
		r->body = control_body(m);
		return;
	}
	if (!strcmp(url, "/upstreams")) {
		r->body = upstreams_body(m);
		return;
	}
	p = malloc(sizeof(*p));
	if (!p)
		return reply_error(r, 500, "out of memory");
	m->ops.get_policy(m->ops.ctx, p);
	r->body = !strcmp(url, "/ratelimit") ? ratelimit_body(p) : acl_body(p);
	free(p);
}

/* 500 that says what is in force now: the change was not applied, or (only
 * when putting the old state back failed too) it was applied in part. */
static void reply_not_applied(struct mgmt_reply *r, const char *what, int err)
{
	char msg[192];

	if (err == -ENOTRECOVERABLE)
		snprintf(msg, sizeof(msg), "partly applied: putting the previous %s back failed; "
			 "PUT it again", what);
	else
		snprintf(msg, sizeof(msg), "not applied, previous %s kept: %s", what,
			 strerror(-err));
	r->status = 500;
	r->body = dump(json_pack("{s:s, s:b}", "error", msg, "applied",
				 err == -ENOTRECOVERABLE));
}

/*
 * Save what is in force now under `key` (value NULL: the configured one is
 * in force, drop the key).  false after a 500 saying the change is applied
 * but will not outlast a restart.
 */
static bool persist(struct mgmt_api *m, const char *key, json_t *value, struct mgmt_reply *r)
{
	char msg[192];
	int err;

	if (!m->ops.state) {
		json_decref(value);
		return true;
	}
	err = statefile_put(m->ops.state, key, value);
	if (!err)
		return true;
	snprintf(msg, sizeof(msg), "applied, but not saved to %s (lost at restart): %s",
		 statefile_path(m->ops.state), strerror(-err));
	r->status = 500;
	r->body = dump(json_pack("{s:s, s:b}", "error", msg, "applied", true));
	return false;
}

static void change_upstreams(struct mgmt_api *m, const char *method, const char *url,
			     const char *body, size_t len, struct mgmt_reply *r)
{
	struct ntpd_endpoint eps[NTPD_MAX_UPSTREAMS];
	bool reset = !strcmp(method, "DELETE") || !strcmp(url, "/upstreams/default");
	char err[256];
	int n = 0, ret;

	if (reset)
		ret = m->ops.reset_upstreams(m->ops.ctx);
	else if (mgmt_parse_upstreams(body, len, eps, &n, err, sizeof(err)))
		return reply_error(r, 400, err);
	else
		ret = m->ops.set_upstreams(m->ops.ctx, eps, n);
	if (ret) {
		pr_warn("management: %s /upstreams not applied: %s\n", method, strerror(-ret));
		return reply_not_applied(r, "upstreams", ret);
	}
	pr_info("management: %s %s applied\n", method, url);
	if (persist(m, "upstreams", reset ? NULL : upstreams_json(m), r))
		handle_read(m, "/upstreams", r);
}

static void control(struct mgmt_api *m, const char *body, size_t len, struct mgmt_reply *r)
{
	const char *action;
	char err[256];
	int ret;

	if (!m->ops.serving)
		return reply_error(r, 503, "service control is not available");
	if (mgmt_parse_control(body, len, &action, err, sizeof(err)))
		return reply_error(r, 400, err);
	ret = serving_control(m->ops.serving, action);
	if (ret) {
		snprintf(err, sizeof(err), "%s failed: %s (the log names the path)", action,
			 strerror(-ret));
		return reply_error(r, 500, err);
	}
	pr_info("management: POST /control %s applied\n", action);
	handle_read(m, "/control", r);
}

static void handle_change(struct mgmt_api *m, const char *method, const char *url,
			  const char *body, size_t len, struct mgmt_reply *r)
{
	struct ntpd_policy *p;
	char err[256];
	int ret;

	if (!strcmp(url, "/control"))
		return control(m, body, len, r);

	if (!strncmp(url, "/upstreams", 10))
		return change_upstreams(m, method, url, body, len, r);
	if (!strcmp(method, "DELETE"))
		return reply_error(r, 405, "use PUT to change limits and lists");
	p = malloc(sizeof(*p));
	if (!p)
		return reply_error(r, 500, "out of memory, nothing applied");
	m->ops.get_policy(m->ops.ctx, p);
	ret = !strcmp(url, "/ratelimit") ? mgmt_parse_ratelimit(body, len, p, err, sizeof(err)) :
					   mgmt_parse_acl(body, len, p, err, sizeof(err));
	if (ret) {
		reply_error(r, 400, err);
		goto cleanup;
	}
	ret = m->ops.set_policy(m->ops.ctx, p);
	if (ret) {
		pr_warn("management: PUT %s not applied: %s\n", url, strerror(-ret));
		reply_not_applied(r, "policy", ret);
		goto cleanup;
	}
	pr_info("management: PUT %s applied\n", url);
	m->ops.get_policy(m->ops.ctx, p);
	if (persist(m, url + 1, !strcmp(url, "/ratelimit") ? ratelimit_json(p) : acl_json(p), r))
		handle_read(m, url, r);
cleanup:
	free(p);
}

void mgmt_handle(struct mgmt_api *m, const char *method, const char *url,
		 const char *authorization, const char *body, size_t len,
		 struct mgmt_reply *reply)
{
	memset(reply, 0, sizeof(*reply));
	if (!strcmp(url, "/upstreams/default") && strcmp(method, "PUT"))
		return reply_error(reply, 405, "PUT /upstreams/default: back to the configured set");
	if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
		return handle_read(m, url, reply);
	if (!strcmp(url, "/control") != !strcmp(method, "POST"))
		return reply_error(reply, 405, !strcmp(url, "/control") ? "methods: GET, POST" :
					       "methods: GET, PUT (and DELETE /upstreams)");
	if (strcmp(method, "PUT") && strcmp(method, "POST") &&
	    !(strcmp(method, "DELETE") == 0 && !strcmp(url, "/upstreams")))
		return reply_error(reply, 405, "methods: GET, PUT (and DELETE /upstreams)");
	if (!m->token)
		return reply_error(reply, 403, "read-only: the daemon runs without --api-token-file");
	if (!authorised(m, authorization)) {
		pr_warn("management: %s %s refused: missing or wrong bearer token\n", method, url);
		reply->want_auth = true;
		return reply_error(reply, 401, "missing or wrong bearer token");
	}
	if (len > MGMT_MAX_BODY)
		return reply_error(reply, 413, "body too large");
	handle_change(m, method, url, body, len, reply);
}
