/* SPDX-License-Identifier: MIT */
/* The core command layer: one for both API versions. Validates the route's
 * variables, resolves the board to its backend, runs the operation and
 * returns the answer as JSON. No HTTP here. */
#ifndef DCRE_COMMAND_H
#define DCRE_COMMAND_H

#include <cjson/cJSON.h>

#include "backend.h"
#include "config.h"
#include "err.h"
#include "route.h"
#include "transport.h"

/* Per-process state of a worker: borrowed config, owned backends. */
struct dcre_ctx {
	const struct dcre_config *cfg; /* its registry is cfg->reg */
	/* in registry order, then configuration order (owned) */
	struct dcre_backends backends;
};

/* A worker's context: each configured transport's backends (its open
 * hook). states: per registry entry, what its prepare hook gave (NULL: no
 * states). Free with dcre_ctx_free. */
struct dcre_ctx *dcre_ctx_new(const struct dcre_config *cfg, void *const *states);
void dcre_ctx_free(struct dcre_ctx *ctx);

/* The worker's backends, in a fixed order: i from 0 to dcre_ctx_count - 1. */
size_t dcre_ctx_count(const struct dcre_ctx *ctx);
struct dcre_backend *dcre_ctx_backend(struct dcre_ctx *ctx, size_t i);

/* The scan-all document (the scan cache's shape): from the cache when valid
 * (unless force), else live under the scan lock, then cached. Caller owns
 * *doc. */
enum dcre_err dcre_command_scan_doc(struct dcre_ctx *ctx, bool force, cJSON **doc,
                                    struct dcre_msg *msg);

/* The metrics answer (Prometheus text, core/metrics.h): *text, caller frees. */
enum dcre_err dcre_cmd_metrics(struct dcre_ctx *ctx, const struct dcre_route_match *m, char **text,
                               size_t *len, struct dcre_msg *msg);

/* Run the matched route (m->run). On success *out is the answer body
 * (caller owns); on failure msg says what failed (the caller answers 500). */
enum dcre_err dcre_command_run(struct dcre_ctx *ctx, const struct dcre_route_match *m, cJSON **out,
                               struct dcre_msg *msg);

/* The commands of the route table (core/route.c), one per operation; each
 * is a dcre_route_run. */
#define DCRE_CMD(name)                                                                             \
	enum dcre_err dcre_cmd_##name(struct dcre_ctx *ctx, const struct dcre_route_match *m,      \
	                              cJSON **out, struct dcre_msg *msg)
DCRE_CMD(test);
DCRE_CMD(service_version);
DCRE_CMD(config_facts);
DCRE_CMD(version);
DCRE_CMD(scan_all);
DCRE_CMD(scan_board);
DCRE_CMD(read);
DCRE_CMD(power);
DCRE_CMD(asset);
DCRE_CMD(boot_target);
DCRE_CMD(location);
DCRE_CMD(led);
DCRE_CMD(fan);
DCRE_CMD(host_info);

#endif
