/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The configuration file (-c FILE, conventionally /etc/xdp-ntpd.conf):
 * chrony-like, one directive per line, '#' starts a comment, blank lines
 * are ignored.  Each directive is a knob of the table in knobs.c, the one
 * the matching command-line flag is, so it sets the same struct ntpd_options
 * field through the same parser: a value the command line refuses the file
 * refuses too.  docs/xdp-ntpd.conf.example lists every directive.
 *
 * The parser is strict: an unknown directive, a missing or extra word, or a
 * bad value stops it with "FILE:LINE: message".
 */
#ifndef NTPD_CONFIG_H
#define NTPD_CONFIG_H

#include <stddef.h>

#include "options.h"

/* Longest line accepted, comment included: a longer one is an error, not
 * a silently split directive. */
#define CONFIG_MAX_LINE		1024
/* Most words on one line: a chrony server line with every option
 * (server HOST iburst minpoll N maxpoll N port N key ID is 11). */
#define CONFIG_MAX_WORDS	16

/*
 * Apply the directives of `path` on top of *o, which already holds the
 * defaults (or whatever came before).  Strings are copies *o owns
 * (options_free).  Cross-field checks (min-poll <= max-poll, chroot needs
 * user) are left to options_parse, after the command line had its say.
 * Nothing is printed: the caller logs err.
 *
 * Returns 0; -EINVAL with "FILE:LINE: message" in err; or -errno with
 * "FILE: cannot open: reason" (or a read error) in err.
 */
int config_load(const char *path, struct ntpd_options *o, char *err, size_t errlen);

#endif /* NTPD_CONFIG_H */
