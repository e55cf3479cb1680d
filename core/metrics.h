/* SPDX-License-Identifier: MIT */
/* The readings of every board in the Prometheus text format (issue 13).
 *
 * The scan cache defines the boards and devices. One worker at a time reads
 * them all (a bus in one pass, every one-board backend in a thread of its
 * own, all within metrics.timeout) and stores the text next to the scan
 * cache ("<scan_cache.file>.metrics"); every worker serves that text while
 * it is younger than metrics.max_age, so more scrapers do not mean more bus
 * or BMC traffic. A board whose devices did not answer shows as
 * opendcre_board_up 0; an unknown reading is left out. */
#ifndef DCRE_METRICS_H
#define DCRE_METRICS_H

#include <stddef.h>

#include "command.h"
#include "err.h"
#include "prom.h"

/* Wait for the reading threads of a collection that ran past its deadline
 * (they may still be using this worker's backends). Call before any
 * backend is used again, e.g. before each request. */
void dcre_metrics_settle(void);

/* Append the readings' families (from the shared cache, collected anew
 * when it is older than metrics.max_age) to p. */
enum dcre_err dcre_metrics_readings(struct dcre_ctx *ctx, struct dcre_prom *p,
                                    struct dcre_msg *msg);

#endif
