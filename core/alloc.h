/* SPDX-License-Identifier: MIT */
/* Allocation wrappers that abort on out-of-memory (lighttpd's ck_* idea): no
 * request path has an untested NULL branch; the supervisor respawns a worker
 * that aborts. */
#ifndef DCRE_ALLOC_H
#define DCRE_ALLOC_H

#include <stddef.h>

void *dcre_xmalloc(size_t n);
void *dcre_xcalloc(size_t nmemb, size_t size);
void *dcre_xrealloc(void *p, size_t n);
/* Caller frees with free(). */
char *dcre_xstrdup(const char *s);
char *dcre_xstrndup(const char *s, size_t n);
char *dcre_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Route cJSON's allocations through the wrappers (call once at start). */
void dcre_alloc_init_cjson(void);

#endif
