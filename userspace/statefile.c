// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "statefile.h"

#include "log.h"
#include "mgmt_api.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct statefile {
	char *path;
	json_t *doc;		/* the file as it is on disk */
	pthread_mutex_t lock;	/* HTTP threads change it one at a time */
};

/* The file's object, or a new empty one when it is missing or broken. */
static int read_doc(const char *path, json_t **out)
{
	json_error_t jerr;
	json_t *doc;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		if (errno != ENOENT) {
			int err = -errno;

			pr_warn("state file %s: %s\n", path, strerror(errno));
			return err;
		}
		*out = json_object();
		return *out ? 0 : -ENOMEM;
	}
	doc = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	if (!json_is_object(doc)) {
		pr_warn("state file %s: %s at line %d, ignored (the config file applies; the next "
			"API change rewrites it)\n", path, doc ? "not a JSON object" : jerr.text,
			jerr.line);
		json_decref(doc);
		doc = json_object();
	}
	*out = doc;
	return doc ? 0 : -ENOMEM;
}

int statefile_open(struct statefile **out, const char *path)
{
	struct statefile *sf = calloc(1, sizeof(*sf));
	int err;

	if (!sf)
		return -ENOMEM;
	sf->path = strdup(path);
	err = sf->path ? read_doc(path, &sf->doc) : -ENOMEM;
	if (err) {
		free(sf->path);
		free(sf);
		return err;
	}
	pthread_mutex_init(&sf->lock, NULL);
	*out = sf;
	return 0;
}

void statefile_close(struct statefile *sf)
{
	if (!sf)
		return;
	json_decref(sf->doc);
	pthread_mutex_destroy(&sf->lock);
	free(sf->path);
	free(sf);
}

const char *statefile_path(const struct statefile *sf)
{
	return sf->path;
}

/* One section back through its API parser: 1 applied, 0 absent or refused. */
static int apply_section(struct statefile *sf, const char *key, struct ntpd_endpoint *eps,
			 int *n, struct ntpd_policy *policy)
{
	json_t *section = json_object_get(sf->doc, key);
	char err[256], *body;
	int ret;

	if (!section)
		return 0;
	body = json_dumps(section, 0);
	if (!body)
		return 0;
	if (!strcmp(key, "upstreams"))
		ret = mgmt_parse_upstreams(body, strlen(body), eps, n, err, sizeof(err));
	else if (!strcmp(key, "ratelimit"))
		ret = mgmt_parse_ratelimit(body, strlen(body), policy, err, sizeof(err));
	else
		ret = mgmt_parse_acl(body, strlen(body), policy, err, sizeof(err));
	free(body);
	if (ret) {
		pr_warn("state file %s: \"%s\" ignored: %s\n", sf->path, key, err);
		return 0;
	}
	pr_info("state file %s: \"%s\" as the API last set it\n", sf->path, key);
	return 1;
}

int statefile_apply(struct statefile *sf, struct ntpd_endpoint *eps, int *n,
		    struct ntpd_policy *policy)
{
	struct ntpd_endpoint next[NTPD_MAX_UPSTREAMS];
	int next_n = 0, applied;

	/* the upstreams parser fills what it is given even when it refuses */
	applied = apply_section(sf, "upstreams", next, &next_n, policy);
	if (applied) {
		memcpy(eps, next, sizeof(next[0]) * (size_t)next_n);
		*n = next_n;
	}
	/* the policy parsers change *policy only when they accept */
	applied += apply_section(sf, "ratelimit", NULL, NULL, policy);
	applied += apply_section(sf, "acl", NULL, NULL, policy);
	return applied;
}

/* Make a rename in the directory of `path` survive a crash. */
static int sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, err = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

static int write_atomically(const char *path, const char *text)
{
	size_t len = strlen(text);
	char tmp[4096];
	int fd, n, err = 0;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	/* it may hold the access lists: the daemon's own, like the token */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd))
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	return sync_dir(path);
}

int statefile_put(struct statefile *sf, const char *key, json_t *value)
{
	json_t *next;
	char *text;
	int err;

	pthread_mutex_lock(&sf->lock);
	next = json_deep_copy(sf->doc);
	if (!next) {
		json_decref(value);
		err = -ENOMEM;
		goto cleanup;
	}
	if (value)
		json_object_set_new(next, key, value);
	else
		json_object_del(next, key);
	text = json_dumps(next, JSON_INDENT(2) | JSON_SORT_KEYS);
	err = text ? write_atomically(sf->path, text) : -ENOMEM;
	free(text);
	if (err) {
		pr_warn("state file %s: not written: %s\n", sf->path, strerror(-err));
		json_decref(next);
		goto cleanup;
	}
	json_decref(sf->doc);
	sf->doc = next;
cleanup:
	pthread_mutex_unlock(&sf->lock);
	return err;
}

int statefile_start(struct statefile **out, const char *path, struct ntpd_endpoint *eps,
		    int *n, struct ntpd_policy *policy)
{
	int err;

	*out = NULL;
	if (!path)
		return 0;
	err = statefile_open(out, path);
	if (!err)
		statefile_apply(*out, eps, n, policy);
	return err;
}

void statefile_forget_api(struct statefile *sf)
{
	static const char *const keys[] = { "upstreams", "ratelimit", "acl" };
	size_t i;

	if (!sf)
		return;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		statefile_put(sf, keys[i], NULL);
}
