// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The configuration file: lines cut into words, the first word looked up as
 * a directive in the knob table (knobs.c), the rest handed to the knob.
 * Every range, name and parser is the table's: nothing here knows a setting.
 */
#include "config.h"
#include "knobs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct config_ctx {
	const char *path;
	struct knob_src src;
	struct ntpd_options *o;
	char *err;
	size_t errlen;
};

/* "FILE:LINE: " before what the knob (or the line's shape) said */
__attribute__((format(printf, 2, 3)))
static int cfg_error(const struct config_ctx *c, const char *fmt, ...)
{
	int n = snprintf(c->err, c->errlen, "%s:%u: ", c->path, c->src.line);
	va_list ap;

	if (n < 0 || (size_t)n >= c->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "threads N", "local stratum N", "kod": the words a typed knob takes */
static void directive_usage(const struct knob *k, char *buf, size_t len)
{
	if (k->usage)
		snprintf(buf, len, "%s", k->usage);
	else
		snprintf(buf, len, "%s%s%s%s%s", k->directive, k->keyword ? " " : "",
			 k->keyword ? k->keyword : "", k->type == KNOB_BOOL ? "" : " ",
			 k->type == KNOB_BOOL ? "" : k->arg);
}

static int run_directive(struct config_ctx *c, const struct knob *k, int argc, char **argv)
{
	int min_words = k->type == KNOB_CALL ? !(k->flags & KNOB_WORDS_OPTIONAL) :
			(k->type == KNOB_BOOL ? 0 : 1) + !!k->keyword;
	int max_words = k->type == KNOB_CALL ? k->max_words : min_words;
	char usage[128], msg[512];
	int err;

	directive_usage(k, usage, sizeof(usage));
	if (argc - 1 > max_words)
		return cfg_error(c, "%s: unexpected '%s' (usage: %s)", k->directive,
				 argv[max_words + 1], usage);
	if (argc - 1 < min_words)
		return cfg_error(c, "%s: missing value (usage: %s)", k->directive, usage);
	err = knob_apply(k, c->o, &c->src, k->directive, argc - 1, argv + 1, msg, sizeof(msg));
	if (err < 0)
		cfg_error(c, "%s", msg);
	return err < 0 ? err : 0;
}

/* One line, comment already cut: split into words and run its directive. */
static int config_line(struct config_ctx *c, char *text)
{
	char *argv[CONFIG_MAX_WORDS + 1], *save = NULL, *w;
	const struct knob *k;
	int argc = 0;

	for (w = strtok_r(text, " \t\r\v\f", &save); w; w = strtok_r(NULL, " \t\r\v\f", &save)) {
		if (argc == CONFIG_MAX_WORDS)
			return cfg_error(c, "%s: unexpected '%s'", argv[0], w);
		argv[argc++] = w;
	}
	if (!argc)
		return 0;
	argv[argc] = NULL;
	k = knob_find_directive(argv[0]);
	if (!k)
		return cfg_error(c, "unknown directive '%s'", argv[0]);
	return run_directive(c, k, argc, argv);
}

int config_load(const char *path, struct ntpd_options *o, char *err, size_t errlen)
{
	struct config_ctx c = { .path = path, .src = { .from_file = true }, .o = o,
				.err = err, .errlen = errlen };
	char *buf = NULL, *hash;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int ret = 0;

	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-ret));
		return ret;
	}
	while ((len = getline(&buf, &cap, f)) >= 0) {
		c.src.line++;
		if (len && buf[len - 1] == '\n')
			buf[--len] = '\0';
		if (len > CONFIG_MAX_LINE) {
			ret = cfg_error(&c, "line longer than %d characters", CONFIG_MAX_LINE);
			goto out;
		}
		/* a NUL would hide the rest of the line from the parser */
		if (strlen(buf) != (size_t)len) {
			ret = cfg_error(&c, "NUL byte in line");
			goto out;
		}
		hash = strchr(buf, '#');
		if (hash)
			*hash = '\0';
		ret = config_line(&c, buf);
		if (ret)
			goto out;
	}
	if (ferror(f)) {
		ret = -EIO;
		snprintf(err, errlen, "%s:%u: read error", path, c.src.line + 1);
	}
out:
	free(buf);
	fclose(f);
	return ret;
}
