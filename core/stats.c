/* SPDX-License-Identifier: MIT */
#include "stats.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* The counters live in memory shared by processes: an atomic that needs a
 * lock would take a lock of one process only. 64-bit where the machine adds
 * 64 bits without a lock, else the native word. */
#if ATOMIC_LLONG_LOCK_FREE == 2
typedef atomic_ullong counter;
#else
typedef atomic_ulong counter;
#endif

#define STATUS_MIN 100
#define STATUS_MAX 599
#define N_STATUS (STATUS_MAX - STATUS_MIN + 1)

/* Upper bounds of the lock-wait buckets in seconds; one more bucket, +Inf,
 * follows. */
static const double lock_le[] = {0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};
#define N_LE (sizeof(lock_le) / sizeof(lock_le[0]))

struct area {
	counter stat[DCRE_STAT_COUNT];
	counter lock_bucket[N_LE + 1]; /* per bucket, not cumulative; last = above 5 s */
	counter lock_sum_ns;
	counter request[DCRE_OP_COUNT][N_STATUS];
};

static struct area *area; /* NULL: not created, every call a no-op */

/* The route families: the operation names (the label route). */
static const char *const op_name[DCRE_OP_COUNT] = {
    [DCRE_OP_TEST] = "test",
    [DCRE_OP_SERVICE_VERSION] = "service_version",
    [DCRE_OP_PLC_CONFIG] = "plc_config",
    [DCRE_OP_VERSION] = "version",
    [DCRE_OP_SCAN] = "scan",
    [DCRE_OP_SCAN_FORCE] = "scan_force",
    [DCRE_OP_SCAN_RACK] = "scan_rack",
    [DCRE_OP_SCAN_BOARD] = "scan_board",
    [DCRE_OP_READ] = "read",
    [DCRE_OP_POWER] = "power",
    [DCRE_OP_ASSET] = "asset",
    [DCRE_OP_BOOT_TARGET] = "boot_target",
    [DCRE_OP_LOCATION] = "location",
    [DCRE_OP_LED] = "led",
    [DCRE_OP_FAN] = "fan",
    [DCRE_OP_HOST_INFO] = "host_info",
    [DCRE_OP_METRICS] = "metrics",
    [DCRE_OP_REDFISH] = "redfish",
    [DCRE_OP_NONE] = "none",
};

static const struct {
	const char *name, *help;
} stat_family[DCRE_STAT_COUNT] = {
    [DCRE_STAT_BUS_TRANSACTIONS] = {"opendcre_bus_transactions_total",
                                    "PLC bus transactions (bus lock held, one command or scan "
                                    "with its retries)."},
    [DCRE_STAT_BUS_RETRIES] = {"opendcre_bus_retries_total",
                               "PLC bus retries after a corrupt answer ('?' requests and scan "
                               "re-sends)."},
    [DCRE_STAT_BUS_TIMEOUTS] = {"opendcre_bus_timeouts_total",
                                "PLC bus transactions that ended without a valid answer in "
                                "time."},
    [DCRE_STAT_BUS_CORRUPT] = {"opendcre_bus_corrupt_packets_total",
                               "Corrupt packets (bad framing or checksum) received on the PLC "
                               "bus."},
    [DCRE_STAT_IPMI_OPENED] = {"opendcre_ipmi_sessions_opened_total",
                               "IPMI sessions opened, reopened sessions included."},
    [DCRE_STAT_IPMI_REOPENED] = {"opendcre_ipmi_sessions_reopened_total",
                                 "IPMI sessions opened to replace an earlier session of the "
                                 "same board (idle, expired or failed)."},
    [DCRE_STAT_REDFISH_LOGINS] = {"opendcre_redfish_logins_total",
                                  "Redfish session logins that returned a session token."},
};

void dcre_stats_init(void)
{
	if (area)
		return;
	void *p =
	    mmap(NULL, sizeof(*area), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		static const char msg[] = "opendcre: out of memory (shared counters)\n";
		ssize_t r = write(STDERR_FILENO, msg, sizeof(msg) - 1);
		(void)r;
		abort();
	}
	area = p; /* the mapping starts zeroed */
}

void dcre_stats_add(enum dcre_stat s, uint64_t n)
{
	if (area && (unsigned)s < DCRE_STAT_COUNT)
		atomic_fetch_add_explicit(&area->stat[s], n, memory_order_relaxed);
}

void dcre_stats_request(enum dcre_op op, int status)
{
	if (area && (unsigned)op < DCRE_OP_COUNT && status >= STATUS_MIN && status <= STATUS_MAX)
		atomic_fetch_add_explicit(&area->request[op][status - STATUS_MIN], 1,
		                          memory_order_relaxed);
}

void dcre_stats_lock_wait(double seconds)
{
	size_t i = 0;

	if (!area)
		return;
	if (!(seconds > 0)) /* negative or NaN */
		seconds = 0;
	while (i < N_LE && seconds > lock_le[i])
		i++;
	atomic_fetch_add_explicit(&area->lock_bucket[i], 1, memory_order_relaxed);
	if (seconds > 1e6)
		seconds = 1e6; /* a clock gone wrong must not overflow the sum */
	atomic_fetch_add_explicit(&area->lock_sum_ns, (uint64_t)llround(seconds * 1e9),
	                          memory_order_relaxed);
}

const char *dcre_stats_route_name(enum dcre_op op)
{
	return (unsigned)op < DCRE_OP_COUNT ? op_name[op] : NULL;
}

uint64_t dcre_stats_value(enum dcre_stat s)
{
	if (!area || (unsigned)s >= DCRE_STAT_COUNT)
		return 0;
	return atomic_load_explicit(&area->stat[s], memory_order_relaxed);
}

static uint64_t load(counter *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static void render_requests(struct dcre_prom *p)
{
	char code[8];

	dcre_prom_family(p, "opendcre_http_requests_total", "counter",
	                 "HTTP requests answered, by route family (the API operation) and status "
	                 "code, summed over all workers.");
	for (int op = 0; op < DCRE_OP_COUNT; op++) {
		for (int k = 0; k < N_STATUS; k++) {
			uint64_t v = load(&area->request[op][k]);
			/* code 200 of every route is always there, so that rate()
			 * sees the first request */
			if (v == 0 && k + STATUS_MIN != 200)
				continue;
			struct dcre_prom_labels l = {.n = 0};
			snprintf(code, sizeof(code), "%d", k + STATUS_MIN);
			dcre_prom_label(&l, "route", op_name[op]);
			dcre_prom_label(&l, "code", code);
			dcre_prom_sample(p, "opendcre_http_requests_total", &l, (double)v);
		}
	}
}

/* Cumulative buckets; _count is the +Inf bucket, so the two always agree
 * even while workers add. */
static void render_lock_wait(struct dcre_prom *p)
{
	static const char *const le_text[N_LE + 1] = {"0.0001", "0.001", "0.005", "0.01", "0.05",
	                                              "0.1",    "0.5",   "1",     "5",    "+Inf"};
	uint64_t cum = 0;

	dcre_prom_family(p, "opendcre_bus_lock_wait_seconds", "histogram",
	                 "Time a PLC bus transaction waited for the bus lock (lock file and serial "
	                 "line), in seconds.");
	for (size_t i = 0; i <= N_LE; i++) {
		struct dcre_prom_labels l = {.n = 0};
		cum += load(&area->lock_bucket[i]);
		dcre_prom_label(&l, "le", le_text[i]);
		dcre_prom_sample(p, "opendcre_bus_lock_wait_seconds_bucket", &l, (double)cum);
	}
	dcre_prom_sample(p, "opendcre_bus_lock_wait_seconds_sum", NULL,
	                 (double)load(&area->lock_sum_ns) / 1e9);
	dcre_prom_sample(p, "opendcre_bus_lock_wait_seconds_count", NULL, (double)cum);
}

void dcre_stats_render(struct dcre_prom *p)
{
	if (!area)
		return;
	render_requests(p);
	for (int s = 0; s < DCRE_STAT_COUNT; s++) {
		dcre_prom_family(p, stat_family[s].name, "counter", stat_family[s].help);
		dcre_prom_sample(p, stat_family[s].name, NULL, (double)load(&area->stat[s]));
		if (s == DCRE_STAT_BUS_CORRUPT)
			render_lock_wait(p); /* the bus families together */
	}
}
