/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Every setting of the daemon, declared once: its flag(s), its config
 * directive, its type and range, its help text and the struct ntpd_options
 * field it sets.  The command line (options.c) builds its getopt array and
 * --help from the table, the config file (config.c) looks its directives up
 * in it, tests/cli/test_manpages.sh holds the man pages against it, and the
 * management API validates a value with knob_find() + knob_check().
 *
 * Nothing here prints: a rejected value is described in the caller's buffer
 * as "WHAT: 'VALUE' is not ...", WHAT being the flag or the directive, and
 * the caller adds "FILE:LINE: " or logs it.
 */
#ifndef NTPD_KNOBS_H
#define NTPD_KNOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "options.h"

enum knob_type {
	KNOB_BOOL,	/* a flag without value, a directive without words: true */
	KNOB_INT,	/* a decimal in [min, max], times scale, in a size-byte field */
	KNOB_STRING,	/* a copy the options own (options_free) */
	KNOB_ENDPOINT,	/* a literal ADDR:PORT of `family` (AF_UNSPEC: either) */
	KNOB_ENUM,	/* one of names[], stored as an int-sized enum */
	KNOB_CALL,	/* set() does it: lists, rate limits, access rules */
};

enum knob_flags {
	KNOB_REPEATABLE	= 1 << 0,	/* a list: each use adds one */
	/* the first use on the command line empties what the file listed */
	KNOB_CLI_REPLACES = 1 << 1,
	KNOB_INFO	= 1 << 2,	/* --help, --version: the command is handled */
	KNOB_CONFIG_FILE = 1 << 3,	/* -c: read before the other flags, under them */
	KNOB_WORDS_OPTIONAL = 1 << 4,	/* KNOB_CALL directive that may stand alone */
};

struct knob_name {
	const char *name;
	int value;
};

/* Room for the knob table (checked at compile time in knobs.c). */
#define KNOB_TABLE_MAX 256

/* Where the value being applied comes from, and what earlier ones left. */
struct knob_src {
	bool from_file;
	unsigned int line;		/* of the file */
	unsigned int mode_line;		/* the line whose interface set xdp_mode; 0 none */
	/* bit per KNOB_CLI_REPLACES knob, by table index: list begun */
	unsigned char cli_started[KNOB_TABLE_MAX / 8];
};

struct knob;
/* argv: the directive's words after its name (argc >= 1), or the flag's one
 * value (argc 1, or 0 for a flag without value). */
typedef int (*knob_set_fn)(const struct knob *k, struct ntpd_options *o, struct knob_src *src,
			   int argc, char **argv, char *err, size_t errlen);

struct knob {
	const char *long_flag;		/* without "--"; NULL: short flag only */
	char short_flag;		/* 0: none */
	const char *directive;		/* config word; NULL: command line only */
	const char *keyword;		/* word the directive wants first: "local stratum N" */
	enum knob_type type;
	unsigned int flags;		/* enum knob_flags */
	size_t offset, size;		/* the field in struct ntpd_options */
	long min, max;			/* KNOB_INT's range */
	unsigned long long scale;	/* KNOB_INT: stored value = typed value * scale */
	int family;			/* KNOB_ENDPOINT */
	const struct knob_name *names;	/* KNOB_ENUM, NULL-terminated */
	knob_set_fn set;		/* KNOB_CALL */
	int max_words;			/* KNOB_CALL: words a directive may have */
	const char *usage;		/* KNOB_CALL: the directive's words, for errors */
	const char *arg;		/* value's name in --help and usage: "N", "FILE" */
	const char *help;		/* lines joined by '\n'; NULL: shares the row above's */
};

extern const struct knob knob_table[];
extern const size_t knob_count;

/* The knob whose long flag or directive is `name` (no leading "--"); NULL. */
const struct knob *knob_find(const char *name);
/* ... by its short flag, or by its directive only. */
const struct knob *knob_find_short(int c);
const struct knob *knob_find_directive(const char *name);

/*
 * Would `value` be accepted for k?  0, or -EINVAL with "WHAT: 'value' is not
 * ..." in err (WHAT: the long flag, else the directive).  Nothing is set: the
 * management API's validation (a KNOB_CALL knob is checked on a scratch copy
 * of the defaults).
 */
int knob_check(const struct knob *k, const char *value, char *err, size_t errlen);

/*
 * Apply one use of k to *o: `what` names it in messages ("--max-age", "-4",
 * "max-age"), argv are its value words as for knob_set_fn.  0, -EINVAL with
 * the reason in err, or -ENOMEM.
 */
int knob_apply(const struct knob *k, struct ntpd_options *o, struct knob_src *src,
	       const char *what, int argc, char **argv, char *err, size_t errlen);

/* The options' defaults: what --help states and no flag or file changed. */
int knob_defaults(struct ntpd_options *o);

/* --help, from the table. */
void knob_usage(FILE *out);

/* Free every string the table's knobs stored in *o; the fields become NULL. */
void knob_free_strings(struct ntpd_options *o);

#endif /* NTPD_KNOBS_H */
