/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The state file (--state-file, the package's /var/lib/xdp-ntpd/state.json):
 * what the management API changed, kept across restarts.  One JSON object
 * whose sections are the API's own bodies: "upstreams" as PUT /upstreams
 * takes it, "ratelimit" as PUT /ratelimit, "acl" as PUT /acl.  A section is
 * there only while the API's change is in force (DELETE /upstreams removes
 * it), so the config file decides everything the API never touched.
 *
 * Loaded once before the privilege drop and held in memory; every change
 * rewrites the whole file atomically (a temporary beside it, fsync, rename,
 * fsync of the directory): a crash leaves the old file or the new one.
 * Sections are read back through the API's parsers, so a file can hold
 * nothing the API would refuse; a section that does not parse is named in
 * the log and ignored, and the rest still applies.
 */
#ifndef NTPD_STATEFILE_H
#define NTPD_STATEFILE_H

#include <jansson.h>

#include "options.h"
#include "policy.h"

struct statefile;

/* Read `path` (missing is fine: nothing saved yet).  0, -ENOMEM, or -errno
 * after a message when it exists but cannot be read.  A file that is not a
 * JSON object is named in the log and treated as empty. */
int statefile_open(struct statefile **out, const char *path);
void statefile_close(struct statefile *sf);

/* The saved sections onto the running set and policy, each only when it
 * parses.  Returns how many sections were applied. */
int statefile_apply(struct statefile *sf, struct ntpd_endpoint *eps, int *n,
		    struct ntpd_policy *policy);

/* Set `key` to `value` (stolen; NULL removes the key) and write the file.
 * 0 or -errno; the file on disk is then unchanged. */
int statefile_put(struct statefile *sf, const char *key, json_t *value);

const char *statefile_path(const struct statefile *sf);

/* SIGHUP put the config file back in force: drop every section (NULL: no
 * state file, nothing to do). */
void statefile_forget_api(struct statefile *sf);

/* main()'s one call: open `path` (NULL: no state file, *out NULL) and apply
 * it.  0, or -errno when the file exists and cannot be read. */
int statefile_start(struct statefile **out, const char *path, struct ntpd_endpoint *eps,
		    int *n, struct ntpd_policy *policy);

#endif /* NTPD_STATEFILE_H */
