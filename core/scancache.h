/* SPDX-License-Identifier: MIT */
/* The scan cache shared by all workers (config.md §6, Decision 6): one file,
 * replaced atomically, live scans serialised by "<file>.lock". */
#ifndef DCRE_SCANCACHE_H
#define DCRE_SCANCACHE_H

#include <cjson/cJSON.h>

#include "err.h"

#define DCRE_SCANCACHE_FORMAT "opendcre-scan-cache/1"

/* Unix time in seconds (with milliseconds) for the "created" key. */
double dcre_scancache_now(void);

/* The cached document if the file exists, parses, has the current format
 * and has not expired (timeout 0 = never expires); else NULL. Caller owns
 * the result. */
cJSON *dcre_scancache_load(const char *file, double timeout);
/* Write doc atomically (tmp file, fsync, rename). */
enum dcre_err dcre_scancache_store(const char *file, const cJSON *doc, struct dcre_msg *msg);
/* Take the live-scan lock; returns an fd to pass to _unlock, or -1. */
int dcre_scancache_lock(const char *file);
void dcre_scancache_unlock(int fd);
/* Start-up: delete an existing cache file; check the directory. */
enum dcre_err dcre_scancache_reset(const char *file, struct dcre_msg *msg);

#endif
