// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * OpenSSL opened on first need (openssl_lazy.h says why).  Each library is
 * opened once under pthread_once, all its functions resolved, then every
 * pointer published; callers read them with one load.
 */
#define OPENSSL_LAZY_DIRECT	/* this file names the real functions */
#include "openssl_lazy.h"
#include "log.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

void *openssl_lazy_table[OPENSSL_SYM_COUNT];

/* The sonames of OpenSSL 3's ABI, what Debian's libssl3 ships. */
static const char *const lib_soname[OPENSSL_LIB_COUNT] = {
	[OPENSSL_LIB_CRYPTO] = "libcrypto.so.3",
	[OPENSSL_LIB_SSL] = "libssl.so.3",
};

#define OPENSSL_LAZY_NAME(lib, name) #name,
static const char *const sym_name[OPENSSL_SYM_COUNT] = { OPENSSL_LAZY_SYMS(OPENSSL_LAZY_NAME) };
#undef OPENSSL_LAZY_NAME

#define OPENSSL_LAZY_LIB(lib, name) OPENSSL_LIB_##lib,
static const enum openssl_lib sym_lib[OPENSSL_SYM_COUNT] = { OPENSSL_LAZY_SYMS(OPENSSL_LAZY_LIB) };
#undef OPENSSL_LAZY_LIB

static pthread_once_t lib_once[OPENSSL_LIB_COUNT] = { PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT };
static int lib_err[OPENSSL_LIB_COUNT];	/* written inside the once, read after it */

static int open_lib(enum openssl_lib lib)
{
	void *fn[OPENSSL_SYM_COUNT];
	void *handle;
	int i;

	/* RTLD_NOW: a missing function fails here, at start-up, not mid-answer */
	handle = dlopen(lib_soname[lib], RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		pr_err("OpenSSL: %s (install libssl3; NTS and key files need it)\n", dlerror());
		return -ENOENT;
	}
	for (i = 0; i < OPENSSL_SYM_COUNT; i++) {
		if (sym_lib[i] != lib)
			continue;
		fn[i] = dlsym(handle, sym_name[i]);
		if (!fn[i]) {
			pr_err("OpenSSL: %s lacks %s\n", lib_soname[lib], sym_name[i]);
			dlclose(handle);
			return -ENOENT;
		}
	}
	/* kept open for the life of the process: nothing unloads OpenSSL */
	for (i = 0; i < OPENSSL_SYM_COUNT; i++)
		if (sym_lib[i] == lib)
			__atomic_store_n(&openssl_lazy_table[i], fn[i], __ATOMIC_RELEASE);
	return 0;
}

static void open_crypto(void)
{
	lib_err[OPENSSL_LIB_CRYPTO] = open_lib(OPENSSL_LIB_CRYPTO);
}

static void open_ssl(void)
{
	lib_err[OPENSSL_LIB_SSL] = open_lib(OPENSSL_LIB_SSL);
}

static void (*const lib_opener[OPENSSL_LIB_COUNT])(void) = {
	[OPENSSL_LIB_CRYPTO] = open_crypto,
	[OPENSSL_LIB_SSL] = open_ssl,
};

int openssl_lazy_load(enum openssl_lib lib)
{
	/* libssl calls into libcrypto, and so does every user of libssl here */
	if (lib == OPENSSL_LIB_SSL) {
		int err = openssl_lazy_load(OPENSSL_LIB_CRYPTO);

		if (err)
			return err;
	}
	pthread_once(&lib_once[lib], lib_opener[lib]);
	return lib_err[lib];
}

void *openssl_sym_slow(enum openssl_sym sym)
{
	/* the daemon loaded at start-up what its configuration needs; a call
	 * that gets here in the daemon is a path the start-up check missed,
	 * and under the sandbox the open below may be refused */
	if (openssl_lazy_load(sym_lib[sym])) {
		pr_err("OpenSSL: %s needed by %s and not loaded\n", lib_soname[sym_lib[sym]],
		       sym_name[sym]);
		abort();
	}
	return openssl_lazy_table[sym];
}
