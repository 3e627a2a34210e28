/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The configuration file (-c FILE, conventionally /etc/xdp-ntpd.conf):
 * chrony-like, one directive per line, '#' starts a comment, blank lines
 * are ignored.  Each directive sets the same struct ntpd_options field as the
 * matching command-line flag and is checked by the same parsers, so a value
 * the command line refuses the file refuses too.  docs/xdp-ntpd.conf.example
 * lists every directive.
 *
 * The parser is strict: an unknown directive, a missing or extra word, or a
 * bad value stops it with "FILE:LINE: message" on stderr.
 */
#ifndef NTPD_CONFIG_H
#define NTPD_CONFIG_H

#include "options.h"

/* Longest line accepted, comment included: a longer one is an error, not
 * a silently split directive. */
#define CONFIG_MAX_LINE		1024
/* Most words on one line (ratelimit rate R burst B leak L is 7). */
#define CONFIG_MAX_WORDS	8

/*
 * Apply the directives of `path` on top of *o, which already holds the
 * defaults (or whatever came before).  Strings are copied (strdup), so the
 * pointers stored in *o stay valid after the file is closed; they live as
 * long as the process.  Cross-field checks (min-poll <= max-poll, chroot
 * needs user) are left to options_parse, after the command line had its say.
 *
 * Returns 0, -EINVAL after printing "FILE:LINE: message", or -errno after
 * printing why the file could not be read.
 */
int config_load(const char *path, struct ntpd_options *o);

/* Free the strings config_load() copied into options (invalidates them). */
void config_release(void);

#endif /* NTPD_CONFIG_H */
