/* SPDX-License-Identifier: MIT */
/* The service's own counters, summed over all workers (issue 13): one
 * shared anonymous mapping made by the main process before it forks the
 * workers, updated with relaxed atomic adds. A worker that dies loses
 * nothing it counted and doubles nothing (only its request in flight goes
 * uncounted). Before dcre_stats_init (unit tests, the emulator) every call
 * is a no-op and dcre_stats_render writes nothing. */
#ifndef DCRE_STATS_H
#define DCRE_STATS_H

#include <stdint.h>

#include "prom.h"
#include "route.h"

enum dcre_stat {
	DCRE_STAT_BUS_TRANSACTIONS, /* PLC bus transactions (lock held, exchange done) */
	DCRE_STAT_BUS_RETRIES,      /* '?' retries and scan re-sends after corrupt answers */
	DCRE_STAT_BUS_TIMEOUTS,     /* PLC bus transactions that ended in a timeout */
	DCRE_STAT_BUS_CORRUPT,      /* corrupt packets received on the PLC bus */
	DCRE_STAT_IPMI_OPENED,      /* IPMI sessions opened (reopens included) */
	DCRE_STAT_IPMI_REOPENED,    /* IPMI sessions opened to replace an earlier one */
	DCRE_STAT_REDFISH_LOGINS,   /* Redfish session logins that gave a token */
	DCRE_STAT_COUNT             /* the number of counters, not one */
};

/* Map the shared area (main process, once, before forking). Aborts when
 * the kernel refuses 100 KiB, as the allocation wrappers do on OOM. */
void dcre_stats_init(void);

/* Add n to a counter. */
void dcre_stats_add(enum dcre_stat s, uint64_t n);

/* Count one answered request: op is the matched route's operation, status
 * the HTTP status sent (100-599; anything else is not counted). */
void dcre_stats_request(enum dcre_op op, int status);

/* One wait for the PLC bus lock, in seconds (histogram
 * opendcre_bus_lock_wait_seconds). */
void dcre_stats_lock_wait(double seconds);

/* The route family of an operation, the label route ("read", "metrics",
 * "none" when no route matched); static; NULL when op is out of range. */
const char *dcre_stats_route_name(enum dcre_op op);

/* The value of a counter now (0 before dcre_stats_init). */
uint64_t dcre_stats_value(enum dcre_stat s);

/* Append the service families (HELP, TYPE, samples) to p; nothing before
 * dcre_stats_init. */
void dcre_stats_render(struct dcre_prom *p);

#endif
