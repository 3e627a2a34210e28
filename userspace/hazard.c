// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "hazard.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

/* A record on its own cache line: its owner's stores touch no other's. */
struct hazard_rec {
	void *ptr;			/* the snapshot this thread reads, or NULL */
	int used;			/* a live thread owns it */
	struct hazard_rec *next;	/* pushed once, never unlinked */
} __attribute__((aligned(64)));

static struct hazard_rec *records;
static pthread_once_t hazard_once = PTHREAD_ONCE_INIT;
static pthread_key_t hazard_key;
static int hazard_key_err;
static __thread struct hazard_rec *mine;

static void hazard_thread_exit(void *rec)
{
	struct hazard_rec *h = rec;

	__atomic_store_n(&h->ptr, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&h->used, 0, __ATOMIC_RELEASE);
}

static void hazard_setup(void)
{
	hazard_key_err = pthread_key_create(&hazard_key, hazard_thread_exit);
}

/* A free record (an ended thread's) or a new one, pushed at the head. */
static struct hazard_rec *claim(void)
{
	struct hazard_rec *h;
	int zero;

	pthread_once(&hazard_once, hazard_setup);
	if (hazard_key_err)
		return NULL;
	for (h = __atomic_load_n(&records, __ATOMIC_ACQUIRE); h; h = h->next) {
		zero = 0;
		if (__atomic_compare_exchange_n(&h->used, &zero, 1, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			goto owned;
	}
	h = aligned_alloc(64, sizeof(*h));
	if (!h)
		return NULL;
	h->ptr = NULL;
	h->used = 1;
	h->next = __atomic_load_n(&records, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&records, &h->next, h, true, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED))
		;
owned:
	if (pthread_setspecific(hazard_key, h)) {
		__atomic_store_n(&h->used, 0, __ATOMIC_RELEASE);
		return NULL;
	}
	return h;
}

int hazard_acquire(void *const *src, void **out)
{
	void *p;

	if (!mine)
		mine = claim();
	if (!mine)
		return -ENOMEM;
	/*
	 * Publish, then check the source still holds it: a writer that
	 * replaced it after our load and scanned before our store would
	 * otherwise free what we are about to read.  Both sides sequentially
	 * consistent, so the writer's scan sees our store or we see its swap.
	 */
	p = __atomic_load_n(src, __ATOMIC_SEQ_CST);
	for (;;) {
		void *again;

		__atomic_store_n(&mine->ptr, p, __ATOMIC_SEQ_CST);
		again = __atomic_load_n(src, __ATOMIC_SEQ_CST);
		if (again == p)
			break;
		p = again;
	}
	*out = p;
	return 0;
}

void hazard_release(void)
{
	if (mine)
		__atomic_store_n(&mine->ptr, NULL, __ATOMIC_RELEASE);
}

bool hazard_held(const void *p)
{
	struct hazard_rec *h;

	for (h = __atomic_load_n(&records, __ATOMIC_ACQUIRE); h; h = h->next)
		if (__atomic_load_n(&h->ptr, __ATOMIC_SEQ_CST) == p)
			return true;
	return false;
}
