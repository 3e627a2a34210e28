/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One hazard pointer per thread (M. Michael, "Hazard Pointers: Safe
 * Memory Reclamation for Lock-Free Objects", IEEE TPDS 2004), for data
 * that many threads read on every packet and one writer replaces rarely:
 * the writer publishes a new immutable copy with an atomic store and
 * frees an old one only once no thread's hazard names it.  A reader
 * writes only its own record's cache line: nothing is shared-written per
 * read, unlike a lock's counter.
 *
 * A thread holds one hazard at a time (acquire, use, release; no nesting).
 * Its record is taken on first use and given back when the thread ends.
 */
#ifndef NTPD_HAZARD_H
#define NTPD_HAZARD_H

#include <stdbool.h>

/* *out = *src, safe to read until hazard_release.  0, or -ENOMEM when
 * this thread's first record could not be allocated. */
int hazard_acquire(void *const *src, void **out);
void hazard_release(void);
/* Whether any thread's hazard names p (the writer's test before a free). */
bool hazard_held(const void *p);

#endif /* NTPD_HAZARD_H */
