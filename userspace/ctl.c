// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `xdp-ntpd status`: what chronyc's tracking, sources and serverstats show,
 * read from a running daemon's GET /status.  HTTP is libcurl's, JSON is
 * jansson's; this file only lays the numbers out.  libcurl is opened here,
 * when the command runs, not linked: linked, it and the dozen libraries it
 * brings (Kerberos, LDAP, SSH...) sat in every daemon's memory unused.
 */
#include "ctl.h"
#include "ntpd_shared.h"
#include "options.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CTL_OK = 0, CTL_FAIL = 1, CTL_USAGE = 2 };

struct buffer {
	char *data;
	size_t len;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct buffer *b = userdata;
	size_t n = size * nmemb;
	char *grown;

	if (b->len + n > (1u << 24))	/* 16 MiB: no status is that large */
		return 0;
	grown = realloc(b->data, b->len + n + 1);
	if (!grown)
		return 0;
	memcpy(grown + b->len, ptr, n);
	b->data = grown;
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* The libcurl calls we make, from the library opened at run time. */
struct curl_api {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
};

/* 0, or -ENOENT after saying why (the package depends on libcurl4). */
static int curl_open(struct curl_api *api)
{
	void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);

	if (!lib) {
		fprintf(stderr, "xdp-ntpd status: %s (install libcurl4)\n", dlerror());
		return -ENOENT;
	}
	/* POSIX's way from a symbol to a function pointer */
	*(void **)&api->easy_init = dlsym(lib, "curl_easy_init");
	*(void **)&api->easy_setopt = dlsym(lib, "curl_easy_setopt");
	*(void **)&api->easy_perform = dlsym(lib, "curl_easy_perform");
	*(void **)&api->easy_getinfo = dlsym(lib, "curl_easy_getinfo");
	*(void **)&api->easy_cleanup = dlsym(lib, "curl_easy_cleanup");
	*(void **)&api->easy_strerror = dlsym(lib, "curl_easy_strerror");
	if (!api->easy_init || !api->easy_setopt || !api->easy_perform || !api->easy_getinfo ||
	    !api->easy_cleanup || !api->easy_strerror) {
		fprintf(stderr, "xdp-ntpd status: libcurl.so.4 lacks curl_easy_*\n");
		dlclose(lib);
		return -ENOENT;
	}
	return 0;	/* kept open: the process exits after one status */
}

static json_t *fetch_status(const char *url)
{
	struct buffer body = { 0 };
	char err[CURL_ERROR_SIZE] = "";
	json_error_t jerr;
	json_t *root = NULL;
	long code = 0;
	struct curl_api api;
	CURL *curl;
	CURLcode rc;

	if (curl_open(&api))
		return NULL;
	curl = api.easy_init();
	if (!curl)
		return NULL;
	api.easy_setopt(curl, CURLOPT_URL, url);
	api.easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	api.easy_setopt(curl, CURLOPT_WRITEDATA, &body);
	api.easy_setopt(curl, CURLOPT_ERRORBUFFER, err);
	api.easy_setopt(curl, CURLOPT_TIMEOUT, 5L);
	api.easy_setopt(curl, CURLOPT_NOPROXY, "*");	/* a proxy never knows our loopback */
	rc = api.easy_perform(curl);
	if (rc == CURLE_OK)
		api.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	api.easy_cleanup(curl);
	if (rc != CURLE_OK) {
		fprintf(stderr, "xdp-ntpd status: %s: %s (is the daemon running, and is this its "
			"--metrics-listen address?)\n", url, err[0] ? err : api.easy_strerror(rc));
		goto cleanup;
	}
	if (code != 200) {
		fprintf(stderr, "xdp-ntpd status: %s: HTTP %ld\n", url, code);
		goto cleanup;
	}
	root = json_loads(body.data ? body.data : "", 0, &jerr);
	if (!root || !json_is_object(json_object_get(root, "tracking")))
		fprintf(stderr, "xdp-ntpd status: %s: not an xdp-ntpd status document\n", url);
cleanup:
	free(body.data);
	return root;
}

static double num(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "?";
}

/* As chronyc: hex, then the address, or the text when it is a code (LOCL, INIT) */
static void print_refid(const char *dotted)
{
	unsigned int b[4];
	char text[5];
	int i;

	if (sscanf(dotted, "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3]) != 4) {
		printf("Reference ID    : %s\n", dotted);
		return;
	}
	for (i = 0; i < 4; i++)
		text[i] = (char)b[i];
	text[4] = '\0';
	for (i = 0; i < 4; i++)
		if (!((text[i] >= 'A' && text[i] <= 'Z') || (i > 0 && (text[i] == ' ' || !text[i]))))
			break;
	printf("Reference ID    : %02X%02X%02X%02X (%s)\n", b[0] & 0xff, b[1] & 0xff, b[2] & 0xff,
	       b[3] & 0xff, i == 4 ? text : dotted);
}

static void print_tracking(json_t *t)
{
	static const char *const leap[] = { "Normal", "Insert second", "Delete second",
					    "Not synchronised" };
	int li = (int)json_integer_value(json_object_get(t, "leap")) & 3;

	double sys = num(t, "system_time"), freq = num(t, "frequency_ppm");

	print_refid(str(t, "refid"));
	printf("Stratum         : %lld\n", (long long)json_integer_value(json_object_get(t, "stratum")));
	printf("Ref time (UTC)  : %s\n", str(t, "ref_time_utc"));
	printf("Ref time age    : %.3f seconds\n", num(t, "reference_age"));
	/* chronyc's words: a positive correction means the system clock is slow */
	printf("System time     : %.9f seconds %s of NTP time\n", fabs(sys),
	       sys >= 0 ? "slow" : "fast");
	printf("Last offset     : %+.9f seconds\n", num(t, "last_offset"));
	printf("RMS offset      : %.9f seconds\n", num(t, "rms_offset"));
	printf("Frequency       : %.3f ppm %s\n", fabs(freq), freq >= 0 ? "slow" : "fast");
	printf("Residual freq   : %+.3f ppm\n", num(t, "residual_freq_ppm"));
	printf("Skew            : %.3f ppm\n", num(t, "skew_ppm"));
	printf("Update interval : %.1f seconds\n", num(t, "update_interval"));
	printf("Clock model     : %s\n", str(t, "clock_model"));
	printf("Correction      : %+.9f seconds\n", num(t, "correction"));
	printf("Root delay      : %.9f seconds\n", num(t, "root_delay"));
	printf("Root dispersion : %.9f seconds\n", num(t, "root_dispersion"));
	printf("TAI offset      : %.0f seconds\n", num(t, "tai_offset"));
	printf("Leap status     : %s\n", leap[li]);
}

/* chronyc's state marks: * system peer, + combined, - not combined, x falseticker */
static char state_mark(const char *state)
{
	static const struct { const char *name; char mark; } marks[] = {
		{ "system_peer", '*' }, { "selected", '+' }, { "candidate", '-' },
		{ "falseticker", 'x' }, { "unreachable", '?' }, { "denied", '!' },
	};
	size_t i;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (!strcmp(state, marks[i].name))
			return marks[i].mark;
	return ' ';
}

/* Seconds in the unit that keeps three digits, as chronyc prints them. */
static void fmt_seconds(char *buf, size_t len, double s, bool sign)
{
	static const struct { double scale; const char *unit; } units[] = {
		{ 1e9, "ns" }, { 1e6, "us" }, { 1e3, "ms" }, { 1, "s" },
	};
	size_t i;

	for (i = 0; i + 1 < sizeof(units) / sizeof(units[0]); i++)
		if (fabs(s) * units[i].scale < 9999.5)
			break;
	snprintf(buf, len, sign ? "%+.0f%s" : "%.0f%s", s * units[i].scale, units[i].unit);
}

static void print_sources(json_t *sources)
{
	char off[32], delay[32], disp[32];
	json_t *s;
	size_t i;

	char lastrx[16];

	printf("S Name/IP address               Stratum Poll Reach LastRx   Offset    Delay     Disp\n");
	printf("= ============================= ======= ==== ===== ====== ======== ======== ========\n");
	json_array_foreach(sources, i, s) {
		fmt_seconds(off, sizeof(off), num(s, "offset"), true);
		fmt_seconds(delay, sizeof(delay), num(s, "delay"), false);
		fmt_seconds(disp, sizeof(disp), num(s, "dispersion"), false);
		/* chronyc prints '-' before the first sample */
		if (json_is_number(json_object_get(s, "lastrx")))
			snprintf(lastrx, sizeof(lastrx), "%.0f", num(s, "lastrx"));
		else
			snprintf(lastrx, sizeof(lastrx), "-");
		printf("%c %-29s %7lld %4lld %5llo %6s %8s %8s %8s\n", state_mark(str(s, "state")),
		       str(s, "name"), (long long)json_integer_value(json_object_get(s, "stratum")),
		       (long long)json_integer_value(json_object_get(s, "poll")),
		       (unsigned long long)json_integer_value(json_object_get(s, "reach")),
		       lastrx, off, delay, disp);
	}
}

/* One path's counters: the answered ones first, then whatever else is non-zero. */
static void print_counters(const char *title, json_t *c)
{
	json_int_t answered = 0;
	const char *key;
	json_t *v;

	json_object_foreach(c, key, v)
		if (!strncmp(key, "answered_", 9))
			answered += json_integer_value(v);
	printf("%-40s: %lld\n", title, (long long)answered);
	json_object_foreach(c, key, v)
		if (json_is_integer(v) && json_integer_value(v) && strncmp(key, "answered_", 9))
			printf("  %-38s: %lld\n", key, (long long)json_integer_value(v));
}

/* Replies used, refused, not ours, and polls unanswered, over every source. */
static void print_activity(json_t *a)
{
	static const char *const keys[] = { "ok", "failed", "bogus", "timeout" };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		printf("%-8s: %lld\n", keys[i], (long long)json_integer_value(json_object_get(a, keys[i])));
}

static void print_serverstats(json_t *stats)
{
	json_t *xdp = json_object_get(stats, "xdp"), *c;
	const char *ifname;
	char title[96];

	json_object_foreach(xdp, ifname, c) {
		snprintf(title, sizeof(title), "NTP answered in XDP (%s, %s)", ifname, str(c, "mode"));
		print_counters(title, c);
	}
	print_counters("NTP answered by the socket server", json_object_get(stats, "socket"));
}

static int usage(void)
{
	fprintf(stderr,
		"usage: xdp-ntpd status [ADDR:PORT | -c FILE] [tracking|sources|activity|serverstats]\n"
		"  asks a running xdp-ntpd at its --metrics-listen address (default\n"
		"  127.0.0.1:%d, or the file's metrics-listen) and prints all four views\n"
		"  unless one is named\n", NTPD_METRICS_PORT_DEFAULT);
	return CTL_USAGE;
}

/* Where the daemon listens, as its defaults and the -c file (or NULL) say. */
static int configured_endpoint(const char *config, struct ntpd_endpoint *ep)
{
	/* a whole option set, kilobytes: on the heap, not in a static */
	struct ntpd_options *opts = calloc(1, sizeof(*opts));
	char *pargv[] = { "xdp-ntpd", "-c", (char *)config, NULL };
	int err = -ENOMEM;

	if (!opts)
		return err;
	err = options_parse(opts, config ? 3 : 1, pargv);
	if (!err)
		*ep = opts->metrics_listen;
	options_free(opts);
	free(opts);
	return err ? -EINVAL : 0;
}

static void print_views(json_t *root, const char *view)
{
	if (!view || !strcmp(view, "tracking")) {
		print_tracking(json_object_get(root, "tracking"));
		/* POST /control's word: serving, or stopped on purpose */
		if (json_is_object(json_object_get(root, "serving")))
			printf("NTP service     : %s\n", str(json_object_get(root, "serving"), "state"));
	}
	if (!view)
		putchar('\n');
	if (!view || !strcmp(view, "sources"))
		print_sources(json_object_get(root, "sources"));
	if (!view)
		putchar('\n');
	if (!view || !strcmp(view, "activity"))
		print_activity(json_object_get(root, "activity"));
	if (!view)
		putchar('\n');
	if (!view || !strcmp(view, "serverstats"))
		print_serverstats(json_object_get(root, "serverstats"));
}

int ctl_main(int argc, char **argv)
{
	const char *view = NULL, *config = NULL;
	struct ntpd_endpoint ep;
	bool have_ep = false;
	char url[320], hostport[ENDPOINT_TEXT_MAX];
	json_t *root;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			config = argv[++i];
		} else if (!strcmp(argv[i], "tracking") || !strcmp(argv[i], "sources") ||
			   !strcmp(argv[i], "activity") || !strcmp(argv[i], "serverstats")) {
			view = argv[i];
		} else if (!have_ep && !endpoint_parse(argv[i], NTPD_METRICS_PORT_DEFAULT, &ep) &&
			   ep.resolved) {
			have_ep = true;
		} else {
			fprintf(stderr, "xdp-ntpd status: '%s' is not ADDR:PORT, -c FILE or a view\n",
				argv[i]);
			return usage();
		}
	}
	/* the daemon's own defaults and file decide where it listens */
	if (!have_ep && configured_endpoint(config, &ep))
		return CTL_USAGE;
	endpoint_format(&ep, hostport, sizeof(hostport));
	snprintf(url, sizeof(url), "http://%s/status", hostport);
	/* curl_easy_init initialises libcurl itself: one thread, one request */
	root = fetch_status(url);
	if (!root || !json_is_object(json_object_get(root, "tracking"))) {
		json_decref(root);
		return CTL_FAIL;
	}
	print_views(root, view);
	json_decref(root);
	return CTL_OK;
}
