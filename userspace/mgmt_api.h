/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The management API, on the metrics listener or, with --api-listen, on its
 * own (http.c routes): GET/PUT/DELETE /upstreams, GET/PUT /ratelimit,
 * GET/PUT /acl, PUT /upstreams/default (as DELETE /upstreams: back to the
 * configured set), GET/POST /control (serving.h: {"action": "stop" |
 * "start" | "restart"}).  Bodies are JSON (jansson).  Changes need
 * `Authorization: Bearer TOKEN` with the token read from --api-token-file;
 * without that file the API is read-only.  A request is validated
 * completely before anything is applied, so a bad one changes nothing; a
 * valid one the daemon fails to apply is rolled back whole, and the 500
 * says "not applied, previous ... kept".  This module parses and
 * authorises; the daemon applies, through the callbacks in struct mgmt_ops
 * (called from the HTTP threads, under the daemon's config lock).  With a
 * state file, each change in force is saved there (statefile.h) before the
 * 200; a change applied but not saved gets a 500 saying so.
 */
#ifndef NTPD_MGMT_API_H
#define NTPD_MGMT_API_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"
#include "policy.h"
#include "serving.h"
#include "statefile.h"

#define MGMT_MAX_BODY	65536	/* larger bodies get 413: an ACL of 256 rules is ~12 KiB */
#define MGMT_TOKEN_MIN	16	/* shorter tokens are guessable */

struct mgmt_ops {
	void *ctx;
	/* 0 or -errno */
	int (*set_upstreams)(void *ctx, const struct ntpd_endpoint *eps, int n);
	int (*reset_upstreams)(void *ctx);		/* back to -s / the config file */
	void (*get_upstreams)(void *ctx, struct ntpd_endpoint *eps, int *n);
	void (*get_policy)(void *ctx, struct ntpd_policy *out);
	int (*set_policy)(void *ctx, const struct ntpd_policy *p);
	struct statefile *state;	/* NULL: changes last until the restart */
	struct serving *serving;	/* POST /control; NULL: 503 */
};

struct mgmt_api;

struct mgmt_reply {
	unsigned int status;	/* HTTP status */
	char *body;		/* malloc'd JSON */
	bool want_auth;		/* 401: send WWW-Authenticate */
};

/*
 * token_file NULL: read-only API.  Otherwise the file must hold one token of
 * at least MGMT_TOKEN_MIN printable characters and must not be readable by
 * others.  0 or -errno after a message naming the file and the problem.
 */
int mgmt_open(struct mgmt_api **out, const char *token_file, const struct mgmt_ops *ops);
void mgmt_close(struct mgmt_api *m);
/* The serving paths exist only once XDP is attached and the sockets bound,
 * after mgmt_open (which reads the token before anything else). */
void mgmt_set_serving(struct mgmt_api *m, struct serving *sv);
struct serving *mgmt_serving(const struct mgmt_api *m);	/* NULL: none (yet) */

/* Whether `url` names a management resource (then mgmt_handle answers it). */
bool mgmt_is_resource(const char *url);

/* Answer one request; `authorization` is the header or NULL. */
void mgmt_handle(struct mgmt_api *m, const char *method, const char *url,
		 const char *authorization, const char *body, size_t len,
		 struct mgmt_reply *reply);

/*
 * The body parsers, for the handler, unit tests and the fuzzer.  Each
 * returns 0 or -EINVAL with a message in err.  The policy parsers start from
 * *p (the running policy) and change only what the body names.
 */
int mgmt_parse_upstreams(const char *body, size_t len, struct ntpd_endpoint *eps, int *n,
			 char *err, size_t errlen);
int mgmt_parse_ratelimit(const char *body, size_t len, struct ntpd_policy *p,
			 char *err, size_t errlen);
int mgmt_parse_acl(const char *body, size_t len, struct ntpd_policy *p,
		   char *err, size_t errlen);
/* {"action": "stop"|"start"|"restart"}: *action points into a static name. */
int mgmt_parse_control(const char *body, size_t len, const char **action,
		       char *err, size_t errlen);

#endif /* NTPD_MGMT_API_H */
