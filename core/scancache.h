/* SPDX-License-Identifier: MIT */
/* The scan cache shared by all workers (config.md §6, Decision 6): one file,
 * replaced atomically, live scans serialised by "<file>.lock". The files are
 * state an attacker with access to their directory may tamper with: nothing
 * is followed through a symlink, only regular files are read, and every
 * field read back is checked before it reaches an answer. */
#ifndef DCRE_SCANCACHE_H
#define DCRE_SCANCACHE_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "err.h"

#define DCRE_SCANCACHE_FORMAT "opendcre-scan-cache/1"

/* Unix time in seconds (with milliseconds) for the "created" key. */
double dcre_scancache_now(void);

/* The cached document if the file is a regular file (not a symlink), parses,
 * has the current format, every field has the type and form the service
 * writes (dcre_scancache_valid), "created" lies between 0 and now, and it
 * has not expired (timeout 0 = never expires); else NULL. Caller owns the
 * result. */
cJSON *dcre_scancache_load(const char *file, double timeout);
/* Whether doc has the shape of a scan-cache document (format, created,
 * racks, boards, devices, errors; no other keys; strings valid UTF-8). On
 * false, why (if not NULL) names the first bad field. */
bool dcre_scancache_valid(const cJSON *doc, struct dcre_msg *why);
/* Write doc atomically: a new file from mkstemp in the cache's directory,
 * fsync, rename over the cache file. */
enum dcre_err dcre_scancache_store(const char *file, const cJSON *doc, struct dcre_msg *msg);
/* Take the live-scan lock "<file>.lock", waiting at most wait seconds. On
 * success *fd is the descriptor to pass to _unlock. Fails with
 * DCRE_ETIMEDOUT past the wait, DCRE_EIO when the lock file cannot be
 * opened (a symlink or not a regular file included) or locked; msg names
 * the cause. */
enum dcre_err dcre_scancache_lock(const char *file, double wait, int *fd, struct dcre_msg *msg);
void dcre_scancache_unlock(int fd);
/* Start-up: delete an existing cache file (and the readings /metrics keeps
 * next to it, "<file>.metrics"); check the directory. */
enum dcre_err dcre_scancache_reset(const char *file, struct dcre_msg *msg);

#endif
