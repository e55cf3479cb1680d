/* SPDX-License-Identifier: MIT */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"
#include "scancache.h"
#include "stats.h"
#include "timeutil.h"

#ifndef DCRE_VERSION /* meson passes the project version */
#define DCRE_VERSION "unknown"
#endif

/* ---- the families ---- */

enum family {
	F_TEMPERATURE,
	F_HUMIDITY,
	F_FAN,
	F_VOLTAGE,
	F_CURRENT,
	F_POWER_W,
	F_PRESSURE,
	F_POWER_ON,
	F_LED_ON,
	F_BATTERY,
	F_HEALTH,
	F_BOARD_UP,
	F_SCRAPE,
	F_COUNT,
};

static const struct {
	const char *name, *help;
} families[F_COUNT] = {
    [F_TEMPERATURE] = {"opendcre_temperature_celsius", "Temperature in degrees Celsius."},
    [F_HUMIDITY] = {"opendcre_humidity_percent", "Relative humidity in percent."},
    [F_FAN] = {"opendcre_fan_speed_rpm", "Fan speed in revolutions per minute."},
    [F_VOLTAGE] = {"opendcre_voltage_volts", "Voltage in volts."},
    [F_CURRENT] = {"opendcre_current_amperes", "Current in amperes."},
    [F_POWER_W] = {"opendcre_power_watts", "Power in watts."},
    [F_PRESSURE] = {"opendcre_pressure_pascals", "Pressure in pascals."},
    [F_POWER_ON] = {"opendcre_power_on", "1 when the device or system is powered on, 0 when off."},
    [F_LED_ON] = {"opendcre_led_on", "1 when the LED is on, 0 when it is off."},
    [F_BATTERY] = {"opendcre_battery_charge_percent", "Battery charge in percent."},
    [F_HEALTH] = {"opendcre_sensor_health",
                  "Health the board reports for the sensor: 0 ok, 1 warning, 2 critical."},
    [F_BOARD_UP] = {"opendcre_board_up",
                    "1 when the board answered this scrape, 0 when it did not."},
    [F_SCRAPE] = {"opendcre_scrape_duration_seconds",
                  "Seconds the last collection of each backend's readings took."},
};

/* ---- one backend's part of a collection ---- */

struct board_ref {
	const char *rack;
	/* borrowed from the scan document; NULL: the backend's one board,
	 * configured but not in the scan document */
	const cJSON *record;
};

/* One backend's reads, in a thread. mu guards fam, done and finished: at
 * the deadline the collector takes what is there and leaves the thread to
 * finish on its own (dcre_metrics_settle joins it before this worker uses
 * its backends again). */
struct job {
	struct dcre_backend *b;
	struct board_ref *boards;
	size_t n;
	double deadline;
	unsigned collection; /* dcre_target.collection of its reads */
	pthread_mutex_t mu;
	struct dcre_prom fam[F_COUNT];
	size_t done; /* boards whose board_up sample is written */
	bool finished;
	double seconds;
};

/* A collection whose threads outlived its deadline: its scan document and
 * jobs stay until the threads end. */
struct pending {
	cJSON *doc;
	struct job *jobs;
	pthread_t *th;
	bool *started;
	size_t n;
	struct pending *next;
};
static struct pending *pendings; /* this process's, see dcre_metrics_settle */
static unsigned collections;     /* this process's collections so far */

/* The labels of a device sample. */
static void device_labels(struct dcre_prom_labels *l, const struct job *j,
                          const struct board_ref *br, const char *dev, const char *type,
                          const char *name)
{
	memset(l, 0, sizeof(*l));
	dcre_prom_label(l, "rack", br->rack);
	dcre_prom_label(l, "board",
	                cJSON_GetStringValue(cJSON_GetObjectItem(br->record, "board_id")));
	dcre_prom_label(l, "device", dev);
	dcre_prom_label(l, "device_type", type);
	dcre_prom_label(l, "backend", j->b->kind);
	dcre_prom_label(l, "name", name && *name ? name : NULL);
}

static bool num_value(const struct dcre_num *n, double *v)
{
	if (n->kind != DCRE_NUM_DOUBLE && n->kind != DCRE_NUM_DIGITS)
		return false;
	*v = n->value;
	return true;
}

static void sample(struct job *j, enum family f, const struct dcre_prom_labels *l, double v)
{
	pthread_mutex_lock(&j->mu);
	dcre_prom_sample(&j->fam[f], families[f].name, l, v);
	pthread_mutex_unlock(&j->mu);
}

static int health_code(const char *h)
{
	if (!h)
		return -1;
	if (strcmp(h, "ok") == 0)
		return 0;
	if (strcmp(h, "warning") == 0)
		return 1;
	if (strcmp(h, "critical") == 0 || strcmp(h, "failed") == 0)
		return 2;
	return -1; /* unknown: left out */
}

static void reading_samples(struct job *j, const struct dcre_prom_labels *l,
                            const struct dcre_reading *r)
{
	static const struct {
		enum dcre_quantity q;
		enum family f;
		double scale;
	} map[] = {
	    {DCRE_Q_TEMPERATURE, F_TEMPERATURE, 1},
	    {DCRE_Q_HUMIDITY, F_HUMIDITY, 1},
	    {DCRE_Q_FAN_SPEED, F_FAN, 1},
	    {DCRE_Q_PRESSURE, F_PRESSURE, 1000}, /* kPa in the API */
	    {DCRE_Q_VOLTAGE, F_VOLTAGE, 1},
	};
	double v;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (num_value(&r->q[map[i].q], &v))
			sample(j, map[i].f, l, v * map[i].scale);
	if (r->led != DCRE_TRI_UNKNOWN)
		sample(j, F_LED_ON, l, r->led == DCRE_TRI_YES);
	if (r->has_health && health_code(r->health) >= 0)
		sample(j, F_HEALTH, l, health_code(r->health));
}

static void power_samples(struct job *j, const struct dcre_prom_labels *l,
                          const struct dcre_power *p)
{
	double v;

	if (p->battery) {
		if (num_value(&p->battery_charge, &v))
			sample(j, F_BATTERY, l, v);
		return;
	}
	if (strcmp(p->state, "on") == 0 || strcmp(p->state, "off") == 0)
		sample(j, F_POWER_ON, l, strcmp(p->state, "on") == 0);
	if (num_value(&p->input_power, &v))
		sample(j, F_POWER_W, l, v);
	if (num_value(&p->input_voltage, &v))
		sample(j, F_VOLTAGE, l, v);
	if (num_value(&p->output_current, &v))
		sample(j, F_CURRENT, l, v);
}

/* Read one device: DCRE_OK when the board answered (*err the error
 * otherwise). */
static enum dcre_err read_device(struct job *j, const struct board_ref *br, const cJSON *d,
                                 uint32_t board)
{
	const char *dev = cJSON_GetStringValue(cJSON_GetObjectItem(d, "device_id"));
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(d, "device_type"));
	const char *info = cJSON_GetStringValue(cJSON_GetObjectItem(d, "device_info"));
	struct dcre_backend *b = j->b;
	struct dcre_target t = {.rules = DCRE_RULE_STRICT_NUMBERS | DCRE_RULE_EXT_READINGS,
	                        .board = board,
	                        .deadline = j->deadline,
	                        .collection = j->collection};
	struct dcre_prom_labels l;
	struct dcre_msg msg;
	enum dcre_err e = DCRE_ENOTSUP;

	if (!dev || !type || strlen(dev) != 4)
		return DCRE_ENOTSUP;
	t.device = (uint16_t)strtoul(dev, NULL, 16);
	snprintf(t.board_hex, sizeof(t.board_hex), "%08x", board);
	snprintf(t.device_hex, sizeof(t.device_hex), "%s", dev);
	/* a bridge's static devices carry their role as their name */
	bool named = info && strcmp(info, type) != 0;
	device_labels(&l, j, br, dev, type, named ? info : NULL);

	if (strcmp(type, "power") == 0 || strcmp(type, "vapor_battery") == 0 ||
	    strcmp(type, "vapor_rectifier") == 0) {
		struct dcre_power p = {0};
		if (b->ops->power) {
			e = b->ops->power(b, &t, b->one_board ? NULL : type, DCRE_POWER_STATUS, &p,
			                  &msg);
			if (!e)
				power_samples(j, &l, &p);
		}
		dcre_power_clear(&p);
	} else if (strcmp(type, "led") == 0) {
		struct dcre_led led = {0};
		if (b->ops->led) {
			e = b->ops->led(b, &t, DCRE_LED_GET, &led, &msg);
			if (!e && led.state &&
			    (!strcmp(led.state, "on") || !strcmp(led.state, "off")))
				sample(j, F_LED_ON, &l, strcmp(led.state, "on") == 0);
		}
		dcre_led_clear(&led);
	} else if (strcmp(type, "system") == 0 || strcmp(type, "vapor_led") == 0 ||
	           strcmp(type, "none") == 0) {
		return DCRE_ENOTSUP; /* nothing to read: no reading, and no answer */
	} else {
		struct dcre_reading r = {0};
		if (b->ops->read) {
			e = b->ops->read(b, &t, type, &r, &msg);
			if (!e)
				reading_samples(j, &l, &r);
		}
		dcre_reading_clear(&r);
	}
	if (e && e != DCRE_ENOTSUP)
		dcre_debug("metrics: board %08x device %s: %s", board, dev, msg.text);
	return e;
}

/* A board that fails like this is not there: reading its other devices
 * would only spend the scrape's time. */
static bool board_gone(enum dcre_err e)
{
	return e == DCRE_ETIMEDOUT || e == DCRE_EIO || e == DCRE_EAUTH || e == DCRE_EBUSY;
}

static void board_up_sample(struct job *j, const struct board_ref *br, bool up)
{
	struct dcre_prom_labels l = {0};
	char id[9];
	snprintf(id, sizeof(id), "%08x", j->b->board_lo);
	dcre_prom_label(&l, "rack", br->rack);
	dcre_prom_label(
	    &l, "board",
	    br->record ? cJSON_GetStringValue(cJSON_GetObjectItem(br->record, "board_id")) : id);
	dcre_prom_label(&l, "backend", j->b->kind);
	dcre_prom_sample(&j->fam[F_BOARD_UP], families[F_BOARD_UP].name, &l, up);
}

/* Does the one board of j's backend, configured but not in the scan
 * document (it did not answer the scan), answer now? Its readings come
 * with the next scan that lists it. */
static bool answers(struct job *j)
{
	struct dcre_target t = {
	    .board = j->b->board_lo, .deadline = j->deadline, .collection = j->collection};
	struct dcre_boards found = {0};
	struct dcre_msg msg;
	bool up;

	snprintf(t.board_hex, sizeof(t.board_hex), "%08x", t.board);
	up = j->b->ops->scan_board && j->b->ops->scan_board(j->b, &t, &found, &msg) == DCRE_OK;
	dcre_boards_clear(&found);
	return up;
}

static void *job_run(void *arg)
{
	struct job *j = arg;
	double start = dcre_time_now();

	for (size_t i = 0; i < j->n; i++) {
		const struct board_ref *br = &j->boards[i];
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(br->record, "board_id"));
		uint32_t board = id ? (uint32_t)strtoul(id, NULL, 16) : 0;
		bool up = false, tried = false;
		const cJSON *d;

		if (!br->record) {
			/* not under mu: the collector may take it at the deadline */
			up = answers(j);
			pthread_mutex_lock(&j->mu);
			board_up_sample(j, br, up);
			j->done++;
			pthread_mutex_unlock(&j->mu);
			continue;
		}
		cJSON_ArrayForEach(d, cJSON_GetObjectItem(br->record, "devices"))
		{
			if (dcre_time_now() >= j->deadline)
				break;
			const char *type =
			    cJSON_GetStringValue(cJSON_GetObjectItem(d, "device_type"));
			tried = tried || (type && strcmp(type, "system") &&
			                  strcmp(type, "vapor_led") && strcmp(type, "none"));
			enum dcre_err e = read_device(j, br, d, board);
			if (e == DCRE_OK)
				up = true;
			else if (board_gone(e))
				break;
		}
		if (!tried && dcre_time_now() < j->deadline && j->b->ops->version) {
			/* nothing readable: the board's version says whether it answers */
			struct dcre_target t = {.board = board,
			                        .device = 0xFFFF,
			                        .deadline = j->deadline,
			                        .collection = j->collection};
			struct dcre_msg msg;
			char *fw = NULL;
			snprintf(t.board_hex, sizeof(t.board_hex), "%08x", board);
			up = j->b->ops->version(j->b, &t, &fw, &msg) == DCRE_OK;
			free(fw);
		}
		pthread_mutex_lock(&j->mu);
		board_up_sample(j, br, up);
		j->done++;
		pthread_mutex_unlock(&j->mu);
	}
	pthread_mutex_lock(&j->mu);
	j->seconds = dcre_time_now() - start;
	j->finished = true;
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

static void jobs_free(struct job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (int f = 0; f < F_COUNT; f++)
			dcre_prom_free(&jobs[i].fam[f]);
		free(jobs[i].boards);
		pthread_mutex_destroy(&jobs[i].mu);
	}
	free(jobs);
}

void dcre_metrics_settle(void)
{
	while (pendings) {
		struct pending *p = pendings;
		pendings = p->next;
		for (size_t i = 0; i < p->n; i++)
			if (p->started[i])
				pthread_join(p->th[i], NULL);
		jobs_free(p->jobs, p->n);
		free(p->th);
		free(p->started);
		cJSON_Delete(p->doc);
		free(p);
	}
}

/* Does backend b own the board record (its kind, and for a one-board
 * backend its id)? */
static bool owns(const struct dcre_backend *b, const cJSON *record)
{
	const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(record, "backend"));
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(record, "board_id"));

	if (!kind || !id || strcmp(kind, b->kind) != 0)
		return false;
	unsigned long v = strtoul(id, NULL, 16);
	return v >= b->board_lo && v <= b->board_hi;
}

/* Collect every reading now: the text of the reading families. */
static char *collect(struct dcre_ctx *ctx, struct dcre_msg *msg)
{
	cJSON *doc = NULL;
	if (dcre_command_scan_doc(ctx, false, &doc, msg))
		return NULL;

	size_t n = dcre_ctx_count(ctx);
	struct job *jobs = dcre_xcalloc(n ? n : 1, sizeof(*jobs));
	double deadline = dcre_time_now() + ctx->cfg->metrics.timeout;
	if (++collections == 0)
		collections = 1; /* 0 is no collection */
	unsigned collection = collections;
	const cJSON *rack, *board;

	for (size_t i = 0; i < n; i++) {
		jobs[i].b = dcre_ctx_backend(ctx, i);
		jobs[i].deadline = deadline;
		jobs[i].collection = collection;
		pthread_mutex_init(&jobs[i].mu, NULL);
	}
	cJSON_ArrayForEach(rack, cJSON_GetObjectItem(doc, "racks"))
	{
		const char *rack_id = cJSON_GetStringValue(cJSON_GetObjectItem(rack, "rack_id"));
		cJSON_ArrayForEach(board, cJSON_GetObjectItem(rack, "boards"))
		{
			for (size_t i = 0; i < n; i++) {
				if (!owns(jobs[i].b, board))
					continue;
				struct job *j = &jobs[i];
				j->boards =
				    dcre_xrealloc(j->boards, (j->n + 1) * sizeof(*j->boards));
				j->boards[j->n++] =
				    (struct board_ref){rack_id ? rack_id : "", board};
				break;
			}
		}
	}
	/* a configured BMC or server that the scan did not list: ask whether
	 * it answers now, so that a board dead since the scan shows as down */
	for (size_t i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		if (j->n == 0 && j->b->one_board) {
			j->boards = dcre_xcalloc(1, sizeof(*j->boards));
			j->boards[j->n++] =
			    (struct board_ref){j->b->rack_id ? j->b->rack_id : "", NULL};
		}
	}
	/* every backend in a thread of its own: a dead BMC costs its own bound */
	pthread_t *th = dcre_xcalloc(n ? n : 1, sizeof(*th));
	bool *started = dcre_xcalloc(n ? n : 1, sizeof(*started));
	for (size_t i = 0; i < n; i++)
		if (jobs[i].n > 0)
			started[i] = pthread_create(&th[i], NULL, job_run, &jobs[i]) == 0;
	bool late = false;
	for (size_t i = 0; i < n; i++) {
		if (!started[i]) {
			if (jobs[i].n > 0)
				job_run(&jobs[i]);
			continue;
		}
		/* a read may overrun the deadline by its own timeout: wait no
		 * longer than the deadline, take what is there */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		double left = deadline - dcre_time_now();
		if (left > 0) {
			until.tv_sec += (time_t)left;
			until.tv_nsec += (long)((left - (double)(time_t)left) * 1e9);
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
		}
		if (pthread_timedjoin_np(th[i], NULL, &until) == 0)
			started[i] = false;
		else
			late = true;
	}
	/* the jobs still running: their unread boards are down */
	for (size_t i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		pthread_mutex_lock(&j->mu);
		if (started[i] && !j->finished) {
			for (size_t k = j->done; k < j->n; k++)
				board_up_sample(j, &j->boards[k], false);
			j->seconds = ctx->cfg->metrics.timeout;
		}
		pthread_mutex_unlock(&j->mu);
	}

	struct dcre_prom out = {0};
	double per_kind[8] = {0};
	const char *kinds[8] = {0};
	size_t nkinds = 0;
	for (size_t i = 0; i < n; i++)
		pthread_mutex_lock(&jobs[i].mu);
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < nkinds && strcmp(kinds[k], jobs[i].b->kind) != 0)
			k++;
		if (k == nkinds && nkinds < 8)
			kinds[nkinds++] = jobs[i].b->kind;
		if (k < 8 && jobs[i].seconds > per_kind[k])
			per_kind[k] = jobs[i].seconds; /* in parallel: the slowest one */
	}
	for (int f = 0; f < F_COUNT; f++) {
		if (f == F_SCRAPE) {
			dcre_prom_family(&out, families[f].name, "gauge", families[f].help);
			for (size_t k = 0; k < nkinds; k++) {
				struct dcre_prom_labels l = {0};
				dcre_prom_label(&l, "backend", kinds[k]);
				dcre_prom_sample(&out, families[f].name, &l, per_kind[k]);
			}
			continue;
		}
		dcre_prom_family(&out, families[f].name, "gauge", families[f].help);
		for (size_t i = 0; i < n; i++)
			if (jobs[i].fam[f].len)
				dcre_prom_append(&out, jobs[i].fam[f].buf, jobs[i].fam[f].len);
	}
	for (size_t i = 0; i < n; i++)
		pthread_mutex_unlock(&jobs[i].mu);
	if (late) {
		/* a late thread may still add samples to its (now unread) job */
		struct pending *p = dcre_xcalloc(1, sizeof(*p));
		*p = (struct pending){doc, jobs, th, started, n, pendings};
		pendings = p;
		dcre_warn("metrics: a collection ran past metrics.timeout (%g s); its boards that "
		          "had not answered show as down",
		          ctx->cfg->metrics.timeout);
		return dcre_prom_take(&out, NULL);
	}
	jobs_free(jobs, n);
	free(th);
	free(started);
	cJSON_Delete(doc);
	return dcre_prom_take(&out, NULL);
}

/* ---- the shared cache ---- */

/* The cached text if the file is a regular file younger than max_age. */
static char *cached(const char *path, double max_age)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	char *text = NULL;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < 64 * 1024 * 1024) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		double age = (double)(now.tv_sec - st.st_mtim.tv_sec) +
		             (double)(now.tv_nsec - st.st_mtim.tv_nsec) / 1e9;
		if (age >= 0 && age < max_age) {
			text = dcre_xmalloc((size_t)st.st_size + 1);
			ssize_t got = pread(fd, text, (size_t)st.st_size, 0);
			if (got != st.st_size) {
				free(text);
				text = NULL;
			} else {
				text[got] = '\0';
			}
		}
	}
	close(fd);
	return text;
}

/* Replace path atomically with text (a new file from mkstemp, rename). */
static void store(const char *path, const char *text)
{
	char *tmp = dcre_xasprintf("%s.tmp.XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	size_t len = strlen(text), off = 0;

	if (fd < 0) {
		dcre_warn("metrics: cannot create %s: %s", tmp, strerror(errno));
		free(tmp);
		return;
	}
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (fchmod(fd, 0640) < 0 || off < len || close(fd) < 0 || rename(tmp, path) < 0) {
		dcre_warn("metrics: cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
}

enum dcre_err dcre_metrics_readings(struct dcre_ctx *ctx, struct dcre_prom *p, struct dcre_msg *msg)
{
	const struct dcre_config *cfg = ctx->cfg;
	char *path = dcre_xasprintf("%s.metrics", cfg->scan_cache.file);
	char *text = cached(path, cfg->metrics.max_age);
	enum dcre_err e = DCRE_OK;

	if (!text) {
		/* one collector at a time; the others wait for its text */
		int lock = -1;
		e = dcre_scancache_lock(path, cfg->metrics.timeout + 1, &lock, msg);
		if (!e) {
			text = cached(path, cfg->metrics.max_age);
			if (!text) {
				text = collect(ctx, msg);
				if (text)
					store(path, text);
				else
					e = DCRE_EIO;
			}
			dcre_scancache_unlock(lock);
		}
	}
	if (text)
		dcre_prom_append(p, text, strlen(text));
	free(text);
	free(path);
	return e;
}

enum dcre_err dcre_cmd_metrics(struct dcre_ctx *ctx, const struct dcre_route_match *m, char **text,
                               size_t *len, struct dcre_msg *msg)
{
	struct dcre_prom p = {0};
	struct dcre_prom_labels l = {0};
	(void)m;

	enum dcre_err e = dcre_metrics_readings(ctx, &p, msg);
	if (e) {
		dcre_prom_free(&p);
		return e;
	}
	dcre_stats_render(&p);
	dcre_prom_family(&p, "opendcre_build_info", "gauge",
	                 "The version of opendcre that serves these metrics; always 1.");
	dcre_prom_label(&l, "version", DCRE_VERSION);
	dcre_prom_sample(&p, "opendcre_build_info", &l, 1);
	*text = dcre_prom_take(&p, len);
	return DCRE_OK;
}
