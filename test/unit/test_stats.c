/* SPDX-License-Identifier: MIT */
/* core/stats: counters summed over forked workers, one of them killed with
 * SIGKILL mid-way; the rendered families under promtool check metrics. */
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "prom.h"
#include "stats.h"
#include "tap.h"

#define WORKERS 3
#define ADDS 200000 /* per worker, on the same counter: lost updates would show */
#define REQUESTS 3000

static const int codes[] = {200, 404, 500, 503};
#define N_CODES (sizeof(codes) / sizeof(codes[0]))

/* Lock waits each worker records, and the bucket each lands in (the
 * bounds are inclusive: le="0.0001" holds 0.0001). */
static const double waits[] = {0.00005, 0.0001, 0.003, 0.0099, 0.2, 2.0, 10.0, -1.0};
static const char *const le_text[] = {"0.0001", "0.001", "0.005", "0.01", "0.05",
                                      "0.1",    "0.5",   "1",     "5",    "+Inf"};
static const int wait_bucket[] = {0, 0, 2, 3, 6, 8, 9, 0};
#define N_WAITS (sizeof(waits) / sizeof(waits[0]))
#define N_LE (sizeof(le_text) / sizeof(le_text[0]))

static void worker(int id)
{
	for (int i = 0; i < ADDS; i++) {
		dcre_stats_add(DCRE_STAT_BUS_TRANSACTIONS, 1);
		if (i % 4 == 0)
			dcre_stats_add(DCRE_STAT_BUS_RETRIES, 2);
	}
	dcre_stats_add(DCRE_STAT_IPMI_OPENED, (uint64_t)id + 1);
	for (int i = 0; i < REQUESTS; i++)
		dcre_stats_request((enum dcre_op)(i % DCRE_OP_COUNT), codes[i % N_CODES]);
	for (size_t i = 0; i < N_WAITS; i++)
		dcre_stats_lock_wait(waits[i]);
	exit(0);
}

/* Adds to one counter until killed, and tells the test how far it got
 * after each add: the counter is at most one ahead of *done. */
static void victim(atomic_long *done)
{
	for (long i = 1;; i++) {
		dcre_stats_add(DCRE_STAT_BUS_TIMEOUTS, 1);
		atomic_store(done, i);
	}
}

/* The value of the sample written exactly as line (name and labels), or
 * -1 when the text has no such sample. */
static double sample(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, line, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	}
	return -1;
}

static double request_sample(const char *text, int op, int code)
{
	char line[128];
	snprintf(line, sizeof(line), "opendcre_http_requests_total{route=\"%s\",code=\"%d\"}",
	         dcre_stats_route_name((enum dcre_op)op), code);
	return sample(text, line);
}

static void check_requests(const char *text)
{
	long want[DCRE_OP_COUNT][N_CODES] = {{0}};
	int bad = 0;

	for (int i = 0; i < REQUESTS; i++)
		want[i % DCRE_OP_COUNT][i % N_CODES] += WORKERS;
	for (int op = 0; op < DCRE_OP_COUNT; op++)
		for (size_t c = 0; c < N_CODES; c++) {
			double got = request_sample(text, op, codes[c]);
			/* a zero count is left out, except code 200 (always there) */
			double expect = want[op][c] || codes[c] == 200 ? (double)want[op][c] : -1;
			if (got != expect) {
				tap_diag("route %s code %d: got %g, want %g",
				         dcre_stats_route_name((enum dcre_op)op), codes[c], got,
				         expect);
				bad++;
			}
		}
	tap_ok(bad == 0, "requests by route and code: the sums of %d workers", WORKERS);
	tap_ok(strstr(text, "code=\"99\"") == NULL && strstr(text, "code=\"600\"") == NULL,
	       "statuses outside 100-599 are not counted");
}

static void check_histogram(const char *text)
{
	long per[N_LE] = {0}, cum = 0;
	double sum = 0;
	int bad = 0;
	char line[128];

	for (size_t i = 0; i < N_WAITS; i++) {
		per[wait_bucket[i]] += WORKERS;
		sum += WORKERS * (waits[i] > 0 ? waits[i] : 0);
	}
	for (size_t b = 0; b < N_LE; b++) {
		cum += per[b];
		snprintf(line, sizeof(line), "opendcre_bus_lock_wait_seconds_bucket{le=\"%s\"}",
		         le_text[b]);
		double got = sample(text, line);
		if (got != (double)cum) {
			tap_diag("le %s: got %g, want %ld", le_text[b], got, cum);
			bad++;
		}
	}
	tap_ok(bad == 0, "lock wait histogram: cumulative buckets");
	tap_is_int(sample(text, "opendcre_bus_lock_wait_seconds_count"), cum,
	           "lock wait _count equals the +Inf bucket");
	double got_sum = sample(text, "opendcre_bus_lock_wait_seconds_sum");
	tap_ok(fabs(got_sum - sum) < 1e-6, "lock wait _sum %.9f (want %.9f)", got_sum, sum);
}

/* promtool check metrics < file; skipped when promtool is not installed. */
static void check_promtool(const char *text, size_t len)
{
	static const char promtool[] = "/usr/bin/promtool";
	char in[] = "/tmp/test_stats_in.XXXXXX", out[] = "/tmp/test_stats_out.XXXXXX";

	if (access(promtool, X_OK) != 0) {
		printf("ok %d # SKIP %s is not installed (Debian package prometheus)\n", ++tap_n,
		       promtool);
		return;
	}
	int fi = mkstemp(in), fo = mkstemp(out);
	if (fi < 0 || fo < 0 || write(fi, text, len) != (ssize_t)len) {
		tap_ok(0, "promtool check metrics: cannot write a temporary file");
		return;
	}
	lseek(fi, 0, SEEK_SET);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fi, 0);
		dup2(fo, 1);
		dup2(fo, 2);
		execl(promtool, promtool, "check", "metrics", (char *)NULL);
		_exit(127);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	char msg[2048] = "";
	ssize_t n = pread(fo, msg, sizeof(msg) - 1, 0);
	msg[n > 0 ? n : 0] = '\0';
	if (!tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && msg[0] == '\0',
	            "promtool check metrics: clean"))
		tap_diag("promtool (status %d): %s", st, msg);
	close(fi);
	close(fo);
	unlink(in);
	unlink(out);
}

/* Every operation has a route family name: lower case, distinct. */
static void check_route_names(void)
{
	int bad = 0;

	for (int op = 0; op < DCRE_OP_COUNT; op++) {
		const char *n = dcre_stats_route_name((enum dcre_op)op);
		if (!n || !n[0] || strspn(n, "abcdefghijklmnopqrstuvwxyz_") != strlen(n)) {
			tap_diag("operation %d: route name '%s'", op, n ? n : "(null)");
			bad++;
			continue;
		}
		for (int o = 0; o < op; o++)
			if (strcmp(n, dcre_stats_route_name((enum dcre_op)o)) == 0) {
				tap_diag("operations %d and %d: both '%s'", o, op, n);
				bad++;
			}
	}
	tap_ok(bad == 0, "every one of the %d operations has its own route name", DCRE_OP_COUNT);
	tap_is_str(dcre_stats_route_name(DCRE_OP_READ), "read", "DCRE_OP_READ: read");
	tap_is_str(dcre_stats_route_name(DCRE_OP_SCAN_FORCE), "scan_force",
	           "DCRE_OP_SCAN_FORCE: scan_force");
	tap_is_str(dcre_stats_route_name(DCRE_OP_HOST_INFO), "host_info",
	           "DCRE_OP_HOST_INFO: host_info");
	tap_is_str(dcre_stats_route_name(DCRE_OP_METRICS), "metrics", "DCRE_OP_METRICS: metrics");
	tap_ok(dcre_stats_route_name(DCRE_OP_COUNT) == NULL, "DCRE_OP_COUNT has no name");
}

int main(void)
{
	struct dcre_prom p = {0};
	size_t len;
	char *text;

	check_route_names();

	/* before the area exists: no-ops */
	dcre_stats_add(DCRE_STAT_BUS_TRANSACTIONS, 5);
	dcre_stats_request(DCRE_OP_READ, 200);
	dcre_stats_lock_wait(0.5);
	dcre_stats_render(&p);
	tap_is_int(p.len, 0, "before dcre_stats_init: nothing rendered");
	tap_is_int(dcre_stats_value(DCRE_STAT_BUS_TRANSACTIONS), 0,
	           "before dcre_stats_init: counters read 0");

	dcre_stats_init();
	tap_is_int(dcre_stats_value(DCRE_STAT_BUS_TRANSACTIONS), 0,
	           "counts made before dcre_stats_init went nowhere");
	dcre_stats_request(DCRE_OP_COUNT, 200);
	dcre_stats_request(DCRE_OP_READ, 99);
	dcre_stats_request(DCRE_OP_READ, 600);

	atomic_long *done =
	    mmap(NULL, sizeof(*done), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (done == MAP_FAILED)
		return 1;
	atomic_init(done, 0);
	fflush(stdout); /* the children must not print the parent's buffered lines */
	pid_t vpid = fork();
	if (vpid == 0)
		victim(done);
	pid_t pids[WORKERS];
	for (int w = 0; w < WORKERS; w++)
		if ((pids[w] = fork()) == 0)
			worker(w);

	/* kill the victim mid-way: once it has counted, while it still counts */
	for (int i = 0; i < 5000 && atomic_load(done) < 100000; i++)
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	kill(vpid, SIGKILL);
	int st, clean = 0;
	waitpid(vpid, &st, 0);
	tap_ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the victim worker died of SIGKILL");
	for (int w = 0; w < WORKERS; w++)
		if (waitpid(pids[w], &st, 0) == pids[w] && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			clean++;
	tap_is_int(clean, WORKERS, "the other workers exited");

	long v_done = atomic_load(done);
	uint64_t v_count = dcre_stats_value(DCRE_STAT_BUS_TIMEOUTS);
	tap_ok(v_done > 0, "the victim counted before it was killed (%ld)", v_done);
	tap_ok(v_count == (uint64_t)v_done || v_count == (uint64_t)v_done + 1,
	       "the killed worker's counts are kept: %llu counted, %ld reported (+1 in flight)",
	       (unsigned long long)v_count, v_done);
	tap_is_int(dcre_stats_value(DCRE_STAT_BUS_TRANSACTIONS), (long long)WORKERS * ADDS,
	           "concurrent adds of %d workers to one counter: none lost", WORKERS);
	tap_is_int(dcre_stats_value(DCRE_STAT_BUS_RETRIES), (long long)WORKERS * (ADDS / 4) * 2,
	           "adds of n > 1");
	tap_is_int(dcre_stats_value(DCRE_STAT_IPMI_OPENED), 1 + 2 + 3, "one add per worker");
	tap_is_int(dcre_stats_value(DCRE_STAT_REDFISH_LOGINS), 0, "an untouched counter is 0");

	dcre_stats_render(&p);
	text = dcre_prom_take(&p, &len);
	check_requests(text);
	check_histogram(text);
	tap_is_int(sample(text, "opendcre_bus_transactions_total"), (long long)WORKERS * ADDS,
	           "rendered: opendcre_bus_transactions_total");
	tap_is_int(sample(text, "opendcre_bus_timeouts_total"), (long long)v_count,
	           "rendered: opendcre_bus_timeouts_total");
	tap_is_int(sample(text, "opendcre_redfish_logins_total"), 0,
	           "rendered: opendcre_redfish_logins_total 0");
	static const char *const families[] = {
	    "opendcre_http_requests_total",        "opendcre_bus_transactions_total",
	    "opendcre_bus_retries_total",          "opendcre_bus_timeouts_total",
	    "opendcre_bus_corrupt_packets_total",  "opendcre_bus_lock_wait_seconds",
	    "opendcre_ipmi_sessions_opened_total", "opendcre_ipmi_sessions_reopened_total",
	    "opendcre_redfish_logins_total"};
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		char help[128], type[128];
		snprintf(help, sizeof(help), "# HELP %s ", families[i]);
		snprintf(type, sizeof(type), "# TYPE %s %s\n", families[i],
		         strcmp(families[i], "opendcre_bus_lock_wait_seconds") ? "counter"
		                                                               : "histogram");
		tap_ok(strstr(text, help) && strstr(text, type), "family %s with HELP and TYPE",
		       families[i]);
	}
	check_promtool(text, len);
	if (tap_failed) {
		tap_diag("the rendered text:");
		for (const char *l = text; *l;) {
			size_t n = strcspn(l, "\n");
			printf("#   %.*s\n", (int)n, l);
			l += n + (l[n] == '\n');
		}
	}
	free(text);
	return tap_done();
}
