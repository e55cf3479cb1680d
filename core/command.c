/* SPDX-License-Identifier: MIT */
#include "command.h"

#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "log.h"
#include "number.h"
#include "render.h"
#include "scancache.h"

/* Lower-cased copy; caller frees. */
static char *lower(const char *s)
{
	char *r = dcre_xstrdup(s);
	for (char *p = r; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return r;
}

/* The significant hex digits of an id segment, lower-cased, for the bus
 * device id of wide values and for messages (plc-protocol.md §2). */
static void hex_digits(const char *seg, char *out, size_t outsz)
{
	const char *s = seg;
	size_t n = 0;

	while (isspace((unsigned char)*s) || *s == '+' || *s == '-')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	while (*s == '0' && isxdigit((unsigned char)s[1]))
		s++;
	while (isxdigit((unsigned char)*s) && n + 1 < outsz)
		out[n++] = (char)tolower((unsigned char)*s++);
	out[n] = '\0';
}

/* ---- the worker's backends ---- */

void dcre_backends_add(struct dcre_backends *l, struct dcre_backend *b)
{
	l->v = dcre_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = b;
}

void dcre_backends_clear(struct dcre_backends *l)
{
	for (size_t i = 0; i < l->n; i++)
		dcre_backend_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

struct dcre_ctx *dcre_ctx_new(const struct dcre_config *cfg, void *const *states)
{
	struct dcre_ctx *ctx = dcre_xcalloc(1, sizeof(*ctx));
	const struct dcre_registry *reg = cfg->reg;

	ctx->cfg = cfg;
	for (size_t t = 0; t < reg->n; t++)
		if (reg->v[t].hooks && cfg->sections[t])
			reg->v[t].hooks->open(cfg->sections[t], states ? states[t] : NULL,
			                      &ctx->backends);
	return ctx;
}

void dcre_ctx_free(struct dcre_ctx *ctx)
{
	if (!ctx)
		return;
	dcre_backends_clear(&ctx->backends);
	free(ctx);
}

size_t dcre_ctx_count(const struct dcre_ctx *ctx)
{
	return ctx->backends.n;
}

struct dcre_backend *dcre_ctx_backend(struct dcre_ctx *ctx, size_t i)
{
	return i < ctx->backends.n ? ctx->backends.v[i] : NULL;
}

/* ---- board resolution ---- */

/* The one-board backend with this id, or (name != NULL) with this hostname
 * or address; the first in registry and configuration order wins. */
static struct dcre_backend *find_one_board(struct dcre_ctx *ctx, uint64_t id, const char *name)
{
	for (size_t i = 0; i < ctx->backends.n; i++) {
		struct dcre_backend *b = ctx->backends.v[i];
		if (!b->one_board)
			continue;
		if (!name) {
			if (b->board_lo == id)
				return b;
			continue;
		}
		for (size_t k = 0; k < b->n_hostnames; k++)
			if (strcmp(b->hostnames[k], name) == 0)
				return b;
		for (size_t k = 0; k < b->n_ip_addresses; k++)
			if (strcmp(b->ip_addresses[k], name) == 0)
				return b;
	}
	return NULL;
}

/* The bus transport (not one-board) whose id space holds id, or NULL. */
static const struct dcre_transport *bus_transport(const struct dcre_ctx *ctx, uint64_t id)
{
	const struct dcre_registry *reg = ctx->cfg->reg;
	for (size_t t = 0; t < reg->n; t++)
		if (!reg->v[t].ids.one_board && id >= reg->v[t].ids.lo && id <= reg->v[t].ids.hi)
			return &reg->v[t];
	return NULL;
}

/* The bus backend of transport tr, or NULL when none is configured. With
 * in_range, only one whose configured board ids hold id. */
static struct dcre_backend *bus_backend(struct dcre_ctx *ctx, const struct dcre_transport *tr,
                                        uint64_t id, bool in_range)
{
	for (size_t i = 0; tr && i < ctx->backends.n; i++) {
		struct dcre_backend *b = ctx->backends.v[i];
		if (!b->one_board && strcmp(b->kind, tr->name) == 0 &&
		    (!in_range || (id >= b->board_lo && id <= b->board_hi)))
			return b;
	}
	return NULL;
}

/* "IPMI or Redfish": the labels of the one-board transports (compiled in
 * or not, so the answer does not depend on the build). */
static void one_board_labels(const struct dcre_ctx *ctx, char *buf, size_t size)
{
	const struct dcre_registry *reg = ctx->cfg->reg;
	size_t n = 0;

	buf[0] = '\0';
	for (size_t t = 0; t < reg->n; t++) {
		if (!reg->v[t].ids.one_board)
			continue;
		size_t len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", n++ ? " or " : "", reg->v[t].label);
	}
}

/* The device segment: 1.2 hex only; 1.3 hex, or a bridge device's name. */
static enum dcre_err parse_device(const struct dcre_route_match *m, const char *device,
                                  const struct dcre_backend *b, struct dcre_target *t,
                                  struct dcre_msg *msg)
{
	struct dcre_hexid dev;
	bool dev_int = dcre_number_parse_hex(device, &dev) == DCRE_OK && !dev.negative;

	if (!dev_int) {
		if (m->api == DCRE_API_12)
			return dcre_msg_set(msg, DCRE_EINVAL,
			                    "Error converting device_num to integer (device '%s' "
			                    "is not a non-negative hex number)",
			                    device);
		if (b->one_board) {
			t->device_name = device;
			return DCRE_OK;
		}
		return dcre_msg_set(msg, DCRE_EINVAL,
		                    "%s: device id '%s' of board %08x is not a hex number",
		                    b->ops->name, device, t->board);
	}
	char digits[64];
	hex_digits(device, digits, sizeof(digits));
	if (!dev.overflow && dev.value <= 0xFFFF) {
		t->device = (uint16_t)dev.value;
		snprintf(t->device_hex, sizeof(t->device_hex), "%04x", t->device);
	} else if (b->one_board) {
		t->device = 0xFFFF; /* no one-board device has an id this wide */
		snprintf(t->device_hex, sizeof(t->device_hex), "%.15s", digits);
	} else {
		/* wider than 16 bits: the first 4 hex digits go on the bus */
		char first[5];
		memcpy(first, digits, 4);
		first[4] = '\0';
		t->device = (uint16_t)strtoul(first, NULL, 16);
		snprintf(t->device_hex, sizeof(t->device_hex), "%.15s", digits);
	}
	return DCRE_OK;
}

/* Resolve the board (and, if device is not NULL, the device) of a request
 * to its backend (api.md §4.3-§4.5). */
static enum dcre_err resolve(struct dcre_ctx *ctx, const struct dcre_route_match *m,
                             const char *device, struct dcre_target *t, struct dcre_backend **b,
                             struct dcre_msg *msg)
{
	const char *board = m->var[DCRE_VAR_BOARD];
	struct dcre_hexid id;
	bool is_int = dcre_number_parse_hex(board, &id) == DCRE_OK;
	struct dcre_backend *one = NULL, *bus = NULL;
	const struct dcre_transport *tr = NULL;

	memset(t, 0, sizeof(*t));
	t->rules = m->api == DCRE_API_12 ? DCRE_RULE_VALUE_REQUIRED | DCRE_RULE_SYSTEM_LED |
	                                       DCRE_RULE_BUS_NO_ASSET_BOOT
	                                 : DCRE_RULE_STRICT_NUMBERS | DCRE_RULE_EXT_READINGS;
	t->rack = m->var[DCRE_VAR_RACK];
	if (m->api == DCRE_API_12) {
		if (!is_int || id.negative)
			return dcre_msg_set(msg, DCRE_EINVAL,
			                    "Error converting board_num to integer (board '%s' is "
			                    "not a non-negative hex number)",
			                    board);
		if (id.value & DCRE_ID12_ONE_BOARD_BIT) {
			one = id.overflow ? NULL : find_one_board(ctx, id.value, NULL);
			if (!one) {
				char labels[128];
				one_board_labels(ctx, labels, sizeof(labels));
				return dcre_msg_set(
				    msg, DCRE_ENODEV,
				    "BMC with board_num was not found. (board %s, no "
				    "%s board has this id)",
				    board, labels);
			}
		} else if (id.value > DCRE_ID12_MAX) {
			return dcre_msg_set(msg, DCRE_EINVAL,
			                    "Error converting board_num to integer (board '%s' is "
			                    "above 00ffffff and is not a bridge board id)",
			                    board);
		} else {
			tr = bus_transport(ctx, id.value);
			bus = bus_backend(ctx, tr, id.value, false);
		}
	} else {
		bool int_id = is_int && !id.negative && !id.overflow && id.value <= 0xFFFFFFFFu;
		one = int_id ? find_one_board(ctx, id.value, NULL) : find_one_board(ctx, 0, board);
		if (!one && !int_id)
			return dcre_msg_set(msg, DCRE_ENODEV,
			                    "Board ID (\"%s\") not associated with any registered "
			                    "devicebus handler.",
			                    board);
		if (!one) {
			tr = bus_transport(ctx, id.value);
			bus = bus_backend(ctx, tr, id.value, true);
			/* a configured bus whose range leaves id out does not serve it */
			if (!bus && (!tr || bus_backend(ctx, tr, id.value, false)))
				return dcre_msg_set(msg, DCRE_ENODEV,
				                    "Board ID (0x%08llx) not associated with any "
				                    "registered devicebus handler.",
				                    (unsigned long long)id.value);
		}
	}
	if (one) {
		t->board = one->board_lo;
		snprintf(t->board_hex, sizeof(t->board_hex), "%08x", t->board);
		*b = one;
		return device ? parse_device(m, device, one, t, msg) : DCRE_OK;
	}
	t->board = (uint32_t)id.value;
	snprintf(t->board_hex, sizeof(t->board_hex), "%08x", t->board);
	if (!bus)
		return dcre_msg_set(msg, DCRE_ENODEV, "No %s is configured (board %08x)",
		                    tr ? tr->label : "bus", t->board);
	*b = bus;
	return device ? parse_device(m, device, bus, t, msg) : DCRE_OK;
}

static enum dcre_err unsupported(const char *cmd, const struct dcre_backend *b,
                                 const struct dcre_target *t, struct dcre_msg *msg)
{
	return dcre_msg_set(msg, DCRE_ENOTSUP, "Command \"%s\" not supported for %s board %s", cmd,
	                    b->ops->name, t->board_hex);
}

/* ---- scan ---- */

/* The rack object of racks with this id, created at the end if new. */
static cJSON *rack_of(cJSON *racks, const char *rack_id)
{
	cJSON *r;
	cJSON_ArrayForEach(r, racks)
	{
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(r, "rack_id")), rack_id) == 0)
			return r;
	}
	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "rack_id", rack_id);
	cJSON_AddArrayToObject(r, "boards");
	cJSON_AddItemToArray(racks, r);
	return r;
}

/* One backend's part of a live scan-all. */
struct scan_job {
	struct dcre_backend *b;
	struct dcre_boards boards;
	enum dcre_err e;
	struct dcre_msg why;
};

static void *scan_job_run(void *arg)
{
	struct scan_job *j = arg;
	struct dcre_backend *b = j->b;

	j->e = b->ops->scan_all
	           ? b->ops->scan_all(b, &j->boards, &j->why)
	           : dcre_msg_set(&j->why, DCRE_ENOTSUP, "%s: scan not supported", b->ops->name);
	return NULL;
}

/* Backends scanned at once: each has its own bus, session or connection in
 * this worker, so an unreachable BMC costs its own time bound, not the sum. */
#define SCAN_THREADS 16

static void scan_jobs(struct scan_job *jobs, size_t n)
{
	for (size_t start = 0; start < n; start += SCAN_THREADS) {
		size_t end = n - start > SCAN_THREADS ? start + SCAN_THREADS : n;
		pthread_t th[SCAN_THREADS];
		bool started[SCAN_THREADS] = {false};
		for (size_t i = start; i < end; i++)
			started[i - start] =
			    pthread_create(&th[i - start], NULL, scan_job_run, &jobs[i]) == 0;
		for (size_t i = start; i < end; i++) {
			if (started[i - start])
				pthread_join(th[i - start], NULL);
			else
				scan_job_run(&jobs[i]); /* no thread: scan it here */
		}
	}
}

/* A live scan-all of every configured backend (api.md §6.3), queried in
 * parallel and merged in registry, then configuration order. Returns the cache document, or NULL
 * with msg set when every backend failed. */
static cJSON *live_scan(struct dcre_ctx *ctx, struct dcre_msg *msg, enum dcre_err *err)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *racks = cJSON_CreateArray();
	cJSON *errors = cJSON_CreateArray();
	size_t backends = ctx->backends.n, failed = 0;
	struct scan_job *jobs = dcre_xcalloc(backends ? backends : 1, sizeof(*jobs));
	struct dcre_msg all;

	snprintf(all.text, sizeof(all.text), "Scan failed:");
	cJSON_AddStringToObject(doc, "format", DCRE_SCANCACHE_FORMAT);
	cJSON_AddNumberToObject(doc, "created", dcre_scancache_now());
	for (size_t i = 0; i < backends; i++)
		jobs[i].b = ctx->backends.v[i];
	scan_jobs(jobs, backends);
	for (size_t i = 0; i < backends; i++) {
		struct dcre_backend *b = jobs[i].b;
		if (jobs[i].e) {
			dcre_boards_clear(&jobs[i].boards);
			failed++;
			*err = jobs[i].e;
			dcre_warn("%s", jobs[i].why.text);
			cJSON *eo = cJSON_CreateObject();
			cJSON_AddStringToObject(eo, "backend", b->kind);
			if (b->one_board) {
				char id[9];
				snprintf(id, sizeof(id), "%08x", b->board_lo);
				cJSON_AddStringToObject(eo, "board_id", id);
			}
			cJSON_AddStringToObject(eo, "message", jobs[i].why.text);
			cJSON_AddItemToArray(errors, eo);
			dcre_msg_append(&all, "%s %s", failed > 1 ? ";" : "", jobs[i].why.text);
			continue;
		}
		cJSON *rack = rack_of(racks, b->rack_id);
		for (size_t k = 0; k < jobs[i].boards.n; k++)
			cJSON_AddItemToArray(cJSON_GetObjectItem(rack, "boards"),
			                     dcre_render_board_record(&jobs[i].boards.v[k]));
		dcre_boards_clear(&jobs[i].boards);
	}
	free(jobs);
	cJSON_AddItemToObject(doc, "racks", racks);
	if (cJSON_GetArraySize(errors) > 0)
		cJSON_AddItemToObject(doc, "errors", errors);
	else
		cJSON_Delete(errors);
	if (backends > 0 && failed == backends) {
		cJSON_Delete(doc);
		memcpy(msg->text, all.text, sizeof(all.text));
		return NULL;
	}
	return doc;
}

/* How long a worker waits for the scan-cache lock, which another worker
 * holds for one live scan-all: 10 times the longest time unit of a
 * configured backend (its time_unit), at least 5 s and at most 50 s, below
 * the web server's 60 s FastCGI read timeout (config.md §8), so the client
 * gets the service's JSON 500 and not the web server's page. */
static double scan_lock_wait(const struct dcre_ctx *ctx)
{
	double unit = 0;

	for (size_t i = 0; i < ctx->backends.n; i++)
		if (ctx->backends.v[i]->time_unit > unit)
			unit = ctx->backends.v[i]->time_unit;
	unit *= 10;
	return unit < 5 ? 5 : unit > 50 ? 50 : unit;
}

/* The scan-all document: from the cache when valid (unless forced), else
 * live under the scan lock, then cached. */
enum dcre_err dcre_command_scan_doc(struct dcre_ctx *ctx, bool force, cJSON **doc,
                                    struct dcre_msg *msg)
{
	const char *file = ctx->cfg->scan_cache.file;
	double timeout = ctx->cfg->scan_cache.timeout;
	enum dcre_err e = DCRE_EINTERNAL;

	if (!force) {
		*doc = dcre_scancache_load(file, timeout);
		if (*doc)
			return DCRE_OK;
	}
	int lock;
	e = dcre_scancache_lock(file, scan_lock_wait(ctx), &lock, msg);
	if (e)
		return e;
	e = DCRE_EINTERNAL;
	if (!force) {
		*doc = dcre_scancache_load(file, timeout); /* another worker may have scanned */
		if (*doc) {
			dcre_scancache_unlock(lock);
			return DCRE_OK;
		}
	}
	*doc = live_scan(ctx, msg, &e);
	if (*doc) {
		struct dcre_msg why;
		if (dcre_scancache_store(file, *doc, &why))
			dcre_warn("%s", why.text);
		e = DCRE_OK;
	}
	dcre_scancache_unlock(lock);
	return e;
}

DCRE_CMD(scan_all)
{
	cJSON *doc = NULL;
	const char *want_rack = m->op == DCRE_OP_SCAN_RACK ? m->var[DCRE_VAR_RACK] : NULL;
	enum dcre_err e = dcre_command_scan_doc(ctx, m->op == DCRE_OP_SCAN_FORCE, &doc, msg);
	if (e)
		return e;

	cJSON *res = cJSON_CreateObject();
	cJSON *rack;
	if (m->api == DCRE_API_12) {
		cJSON *boards = cJSON_AddArrayToObject(res, "boards");
		cJSON_ArrayForEach(rack, cJSON_GetObjectItem(doc, "racks"))
		{
			cJSON *b;
			cJSON_ArrayForEach(b, cJSON_GetObjectItem(rack, "boards"))
			    cJSON_AddItemToArray(boards, dcre_render_board(m->api, b));
		}
	} else {
		cJSON *racks = cJSON_AddArrayToObject(res, "racks");
		cJSON_ArrayForEach(rack, cJSON_GetObjectItem(doc, "racks"))
		{
			const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(rack, "rack_id"));
			if (want_rack && (!id || strcmp(id, want_rack) != 0))
				continue;
			cJSON *r = cJSON_CreateObject();
			cJSON_AddStringToObject(r, "rack_id", id ? id : "");
			cJSON *boards = cJSON_AddArrayToObject(r, "boards");
			cJSON *b;
			cJSON_ArrayForEach(b, cJSON_GetObjectItem(rack, "boards"))
			    cJSON_AddItemToArray(boards, dcre_render_board(m->api, b));
			cJSON_AddItemToArray(racks, r);
		}
		if (want_rack && cJSON_GetArraySize(racks) == 0) {
			dcre_msg_set(msg, DCRE_ENODEV, "No rack found with id: %s", want_rack);
			cJSON *errs = cJSON_GetObjectItem(doc, "errors"), *eo;
			cJSON_ArrayForEach(eo, errs)
			{
				dcre_msg_append(
				    msg, "%s %s", eo == errs->child ? " (failed backends:" : ";",
				    cJSON_GetStringValue(cJSON_GetObjectItem(eo, "message")));
				if (!eo->next)
					dcre_msg_append(msg, ")");
			}
			cJSON_Delete(res);
			cJSON_Delete(doc);
			return DCRE_ENODEV;
		}
	}
	cJSON *errors = cJSON_GetObjectItem(doc, "errors");
	if (errors)
		cJSON_AddItemToObject(res, "errors", cJSON_Duplicate(errors, 1));
	cJSON_Delete(doc);
	*out = res;
	return DCRE_OK;
}

/* The cached record of one-board backend b, if the scan cache is valid
 * and holds it (api.md §6.3). Caller owns the result. */
static cJSON *cached_record(struct dcre_ctx *ctx, const struct dcre_backend *bk,
                            const struct dcre_target *t)
{
	cJSON *doc = dcre_scancache_load(ctx->cfg->scan_cache.file, ctx->cfg->scan_cache.timeout);
	cJSON *rack, *b, *found = NULL;

	cJSON_ArrayForEach(rack, cJSON_GetObjectItem(doc, "racks"))
	{
		cJSON_ArrayForEach(b, cJSON_GetObjectItem(rack, "boards"))
		{
			const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(b, "board_id"));
			const char *be = cJSON_GetStringValue(cJSON_GetObjectItem(b, "backend"));
			if (!found && id && be && strcmp(id, t->board_hex) == 0 &&
			    strcmp(be, bk->kind) == 0)
				found = cJSON_Duplicate(b, 1);
		}
	}
	cJSON_Delete(doc);
	return found;
}

DCRE_CMD(scan_board)
{
	struct dcre_target t;
	struct dcre_backend *b = NULL;
	cJSON *boards = NULL, *cached;
	enum dcre_err e = resolve(ctx, m, NULL, &t, &b, msg);
	if (e)
		return e;
	if (b->one_board && (cached = cached_record(ctx, b, &t))) {
		boards = cJSON_CreateArray();
		cJSON_AddItemToArray(boards, cached);
	} else {
		struct dcre_boards typed = {0};
		if (!b->ops->scan_board)
			return unsupported("scan", b, &t, msg);
		e = b->ops->scan_board(b, &t, &typed, msg);
		if (!e) {
			boards = cJSON_CreateArray();
			for (size_t i = 0; i < typed.n; i++)
				cJSON_AddItemToArray(boards, dcre_render_board_record(&typed.v[i]));
		}
		dcre_boards_clear(&typed);
		if (e)
			return e;
	}
	cJSON *res = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(res, "boards");
	cJSON *it;
	cJSON_ArrayForEach(it, boards) cJSON_AddItemToArray(arr, dcre_render_board(m->api, it));
	cJSON_Delete(boards);
	*out = res;
	return DCRE_OK;
}

/* ---- device commands ---- */

/* The device type the valid scan cache records for a device of bus bk, or
 * NULL. Caller frees. */
static char *cached_bus_type(struct dcre_ctx *ctx, const struct dcre_backend *bk,
                             const struct dcre_target *t)
{
	cJSON *doc = dcre_scancache_load(ctx->cfg->scan_cache.file, ctx->cfg->scan_cache.timeout);
	cJSON *rack, *b, *d;
	char dev[8], *found = NULL;

	snprintf(dev, sizeof(dev), "%04x", t->device);
	cJSON_ArrayForEach(rack, cJSON_GetObjectItem(doc, "racks"))
	{
		cJSON_ArrayForEach(b, cJSON_GetObjectItem(rack, "boards"))
		{
			const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(b, "board_id"));
			const char *be = cJSON_GetStringValue(cJSON_GetObjectItem(b, "backend"));
			if (!id || !be || strcmp(id, t->board_hex) != 0 ||
			    strcmp(be, bk->kind) != 0)
				continue;
			cJSON_ArrayForEach(d, cJSON_GetObjectItem(b, "devices"))
			{
				const char *did =
				    cJSON_GetStringValue(cJSON_GetObjectItem(d, "device_id"));
				const char *type =
				    cJSON_GetStringValue(cJSON_GetObjectItem(d, "device_type"));
				if (!found && did && type && strcmp(did, dev) == 0)
					found = dcre_xstrdup(type);
			}
		}
	}
	cJSON_Delete(doc);
	return found;
}

/* Which routes a bus device type serves, for the hint below (the bus is
 * silent when the packet's type does not match the device, emulator.md §4). */
static void route_for_type(const char *type, char *route, size_t size)
{
	if (strcmp(type, "power") == 0 || strcmp(type, "vapor_rectifier") == 0)
		snprintf(route, size, "/power/...");
	else if (strcmp(type, "system") == 0)
		snprintf(route, size, "/asset/... or /boot_target/...");
	else if (strcmp(type, "led") == 0 || strcmp(type, "vapor_led") == 0)
		snprintf(route, size, "/led/...");
	else if (strcmp(type, "fan_speed") == 0 || strcmp(type, "vapor_fan") == 0)
		snprintf(route, size, "/read/%s/... or /fan/...", type);
	else
		snprintf(route, size, "/read/%s/...", type);
}

/* A bus device command got no answer (e, msg). When the scan cache knows
 * the device and its type does not serve this command, say so: a wrong
 * route is the usual cause of silence. sends: the device types the command
 * reaches, separated by '|'. The error code stays. */
static enum dcre_err explain_silence(struct dcre_ctx *ctx, const struct dcre_backend *b,
                                     const struct dcre_target *t, const char *sends,
                                     enum dcre_err e, struct dcre_msg *msg)
{
	if (e != DCRE_ETIMEDOUT || b->one_board || t->device_name)
		return e;
	char *type = cached_bus_type(ctx, b, t);
	if (!type)
		return e;
	size_t n = strlen(type);
	for (const char *p = sends; *p;) {
		size_t len = strcspn(p, "|");
		if (len == n && strncmp(p, type, n) == 0) {
			free(type);
			return e;
		}
		p += len + (p[len] == '|');
	}
	char route[64], was[DCRE_MSG_MAX];
	route_for_type(type, route, sizeof(route));
	snprintf(was, sizeof(was), "%s", msg->text);
	dcre_msg_set(msg, e, "device %04x of board %s is %s %s device; use %s (%s)", t->device,
	             t->board_hex, strchr("aeiou", type[0]) ? "an" : "a", type, route, was);
	free(type);
	return e;
}

DCRE_CMD(version)
{
	struct dcre_target t;
	struct dcre_backend *b = NULL;
	enum dcre_err e = resolve(ctx, m, NULL, &t, &b, msg);
	if (e)
		return e;
	if (!b->ops->version)
		return unsupported("version", b, &t, msg);
	char *firmware = NULL;
	e = b->ops->version(b, &t, &firmware, msg);
	if (!e)
		*out = dcre_render_version(m->api, firmware);
	free(firmware);
	return e;
}

DCRE_CMD(read)
{
	struct dcre_target t;
	struct dcre_backend *b = NULL;
	enum dcre_err e = resolve(ctx, m, m->var[DCRE_VAR_DEVICE], &t, &b, msg);
	if (e)
		return e;
	char *type = lower(m->var[DCRE_VAR_TYPE]);
	struct dcre_reading r = {0};
	e = b->ops->read ? b->ops->read(b, &t, type, &r, msg) : unsupported("read", b, &t, msg);
	if (!e)
		*out = dcre_render_reading(m->api, &r);
	dcre_reading_clear(&r);
	/* a fan_speed packet also reaches a vapor_fan device; power and system
	 * devices answer their own routes, never a read */
	char sends[64] = "";
	if (strcmp(type, "power") != 0 && strcmp(type, "system") != 0)
		snprintf(sends, sizeof(sends), "%s%s", type,
		         strcmp(type, "fan_speed") == 0 ? "|vapor_fan" : "");
	e = explain_silence(ctx, b, &t, sends, e, msg);
	free(type);
	return e;
}

DCRE_CMD(power)
{
	struct dcre_target t;
	struct dcre_backend *b = NULL;
	/* the route layer has already turned old-style URLs into these */
	const char *action = m->var[DCRE_VAR_ACTION];
	enum dcre_err e = resolve(ctx, m, m->var[DCRE_VAR_DEVICE], &t, &b, msg);
	if (e)
		return e;
	int a = dcre_route_power_action(action, m->api == DCRE_API_12);
	if (a < 0)
		return dcre_msg_set(msg, DCRE_EINVAL,
		                    "Invalid power action '%s' (expected on, off, cycle or status)",
		                    action);
	/* the 1.2 API ignores a device_type segment; 1.3 sends its type code */
	char *type =
	    m->api == DCRE_API_13 && m->var[DCRE_VAR_TYPE] ? lower(m->var[DCRE_VAR_TYPE]) : NULL;
	struct dcre_power p = {0};
	e = b->ops->power ? b->ops->power(b, &t, type, (enum dcre_power_action)a, &p, msg)
	                  : unsupported("power", b, &t, msg);
	if (!e)
		*out = dcre_render_power(m->api, &p);
	dcre_power_clear(&p);
	free(type);
	return explain_silence(ctx, b, &t, "power|vapor_rectifier|vapor_battery", e, msg);
}

DCRE_CMD(asset)
{
	struct dcre_target t;
	struct dcre_backend *b = NULL;
	enum dcre_err e = resolve(ctx, m, m->var[DCRE_VAR_DEVICE], &t, &b, msg);
	if (e)
		return e;
	if (!b->ops->asset)
		return unsupported("asset", b, &t, msg);
	struct dcre_asset a = {0};
	e = explain_silence(ctx, b, &t, "system", b->ops->asset(b, &t, &a, msg), msg);
	if (!e)
		*out = dcre_render_asset(&a);
	dcre_asset_clear(&a);
	return e;
}

DCRE_CMD(boot_target)
{
	static const char *const names[] = {"no_override", "hdd", "pxe"};
	struct dcre_target t;
	struct dcre_backend *b = NULL;
	enum dcre_boot_target target = DCRE_BOOT_GET;
	enum dcre_err e = resolve(ctx, m, m->var[DCRE_VAR_DEVICE], &t, &b, msg);
	if (e)
		return e;
	/* a bus under this rule refuses first, whatever the target says */
	bool refused = (t.rules & DCRE_RULE_BUS_NO_ASSET_BOOT) && !b->one_board;
	if (m->var[DCRE_VAR_TARGET] && !refused) {
		for (int i = 0; i < 3; i++)
			if (strcmp(m->var[DCRE_VAR_TARGET], names[i]) == 0)
				target = (enum dcre_boot_target)i;
		if (target == DCRE_BOOT_GET)
			return dcre_msg_set(msg, DCRE_EINVAL,
			                    "Invalid boot target '%s' (expected pxe, hdd or "
			                    "no_override)",
			                    m->var[DCRE_VAR_TARGET]);
	}
	if (!b->ops->boot_target)
		return unsupported("boot_target", b, &t, msg);
	struct dcre_boot now = {.target = DCRE_BOOT_UNKNOWN};
	e = explain_silence(ctx, b, &t, "system", b->ops->boot_target(b, &t, target, &now, msg),
	                    msg);
	if (!e)
		*out = dcre_render_boot_target(&now);
	dcre_boot_clear(&now);
	return e;
}

DCRE_CMD(location)
{
	struct dcre_target t;
	struct dcre_backend *b = NULL;
	const char *device = m->var[DCRE_VAR_DEVICE];
	enum dcre_err e = resolve(ctx, m, NULL, &t, &b, msg);

	/* 1.2 validates the ids only (a bridge or PLC board need not exist);
	 * 1.3 needs a backend */
	if (e && !(m->api == DCRE_API_12 && e == DCRE_ENODEV))
		return e;
	int32_t dev = -1;
	if (device) {
		struct dcre_hexid id;
		if (dcre_number_parse_hex(device, &id) != DCRE_OK || id.negative) {
			if (m->api == DCRE_API_12)
				return dcre_msg_set(
				    msg, DCRE_EINVAL,
				    "Error converting device_num to integer "
				    "(device '%s' is not a non-negative hex number)",
				    device);
			return dcre_msg_set(msg, DCRE_EINVAL,
			                    "Invalid device id '%s' for location (expected a hex "
			                    "number up to ffff)",
			                    device);
		}
		if (id.overflow || id.value > 0xFFFF)
			return dcre_msg_set(msg, DCRE_EINVAL,
			                    "Invalid device id '%s' for location (above ffff)",
			                    device);
		dev = (int32_t)id.value;
	}
	*out = dcre_render_location(dev);
	return DCRE_OK;
}

DCRE_CMD(led)
{
	struct dcre_target t;
	struct dcre_backend *b = NULL;
	const char *state = m->var[DCRE_VAR_STATE];
	const char *color = m->var[DCRE_VAR_COLOR];
	enum dcre_err e = resolve(ctx, m, m->var[DCRE_VAR_DEVICE], &t, &b, msg);
	if (e)
		return e;
	if (m->api == DCRE_API_12 && color)
		return dcre_msg_set(msg, DCRE_ENOTSUP,
		                    "LED color setting is not supported yet. (board %s device %s)",
		                    t.board_hex, t.device_hex);
	if (state && strcmp(state, "on") != 0 && strcmp(state, "off") != 0 &&
	    (m->api == DCRE_API_12 || strcmp(state, "no_override") != 0))
		return dcre_msg_set(msg, DCRE_EINVAL, "Invalid LED state '%s' (expected %s)", state,
		                    m->api == DCRE_API_12 ? "on or off" : "on, off or no_override");
	if (!color) {
		if (!b->ops->led)
			return unsupported("led", b, &t, msg);
		enum dcre_led_set set = !state                      ? DCRE_LED_GET
		                        : strcmp(state, "on") == 0  ? DCRE_LED_ON
		                        : strcmp(state, "off") == 0 ? DCRE_LED_OFF
		                                                    : DCRE_LED_NO_OVERRIDE;
		struct dcre_led l = {0};
		e = explain_silence(ctx, b, &t, "led", b->ops->led(b, &t, set, &l, msg), msg);
		if (!e)
			*out = dcre_render_led(m->api, &l);
		dcre_led_clear(&l);
		return e;
	}

	/* 1.3 chamber LED: state, colour, blink checked in that order */
	const char *blink = m->var[DCRE_VAR_BLINK];
	struct dcre_chamber_set set = {.state = strcmp(state, "on") == 0    ? 1
	                                        : strcmp(state, "off") == 0 ? 0
	                                                                    : -1};
	if (strcmp(color, "no_override") != 0) {
		struct dcre_hexid id;
		if (dcre_number_parse_hex(color, &id) != DCRE_OK || id.negative || id.overflow ||
		    id.value > 0xFFFFFF)
			return dcre_msg_set(msg, DCRE_EINVAL,
			                    "Invalid LED color '%s' (expected no_override or a hex "
			                    "value from 000000 to ffffff)",
			                    color);
		set.color = color;
	}
	if (strcmp(blink, "blink") == 0)
		set.blink = 1;
	else if (strcmp(blink, "steady") == 0)
		set.blink = 0;
	else if (strcmp(blink, "no_override") == 0)
		set.blink = -1;
	else
		return dcre_msg_set(msg, DCRE_EINVAL,
		                    "Invalid blink state '%s' (expected blink, steady or "
		                    "no_override)",
		                    blink);
	if (!b->ops->chamber_led)
		return unsupported("chamber_led", b, &t, msg);
	struct dcre_chamber_led c = {0};
	e = explain_silence(ctx, b, &t, "vapor_led", b->ops->chamber_led(b, &t, &set, &c, msg),
	                    msg);
	if (!e)
		*out = dcre_render_chamber_led(&c);
	dcre_chamber_led_clear(&c);
	return e;
}

DCRE_CMD(fan)
{
	struct dcre_target t;
	struct dcre_backend *b = NULL;
	const char *speed = m->var[DCRE_VAR_SPEED];
	enum dcre_err e = resolve(ctx, m, m->var[DCRE_VAR_DEVICE], &t, &b, msg);
	if (e)
		return e;
	struct dcre_fan_set set = {.digits = speed};
	if (speed) {
		char *digits = NULL;
		int64_t v = -1;
		bool ok = dcre_number_parse_int(speed, strlen(speed), &digits) == DCRE_OK &&
		          dcre_number_int_to_i64(digits, &v) == DCRE_OK && v >= 0 && v <= 10000;
		free(digits);
		if (!ok)
			return dcre_msg_set(msg, DCRE_EINVAL,
			                    "Invalid fan speed '%s' (expected an integer from 0 to "
			                    "10000 rpm)",
			                    speed);
		set.rpm = (int)v;
	}
	if (!b->ops->fan)
		return unsupported("fan", b, &t, msg);
	struct dcre_reading r = {0};
	e = explain_silence(ctx, b, &t, "fan_speed|vapor_fan",
	                    b->ops->fan(b, &t, speed ? &set : NULL, &r, msg), msg);
	if (!e)
		*out = dcre_render_reading(m->api, &r);
	dcre_reading_clear(&r);
	return e;
}

DCRE_CMD(host_info)
{
	struct dcre_target t;
	struct dcre_backend *b = NULL;
	/* one-board backends: the configured names, without checking the device */
	enum dcre_err e = resolve(ctx, m, NULL, &t, &b, msg);
	if (e)
		return e;
	struct dcre_host_info h = {0};
	if (b->one_board) {
		if (!b->ops->host_info)
			return unsupported("host_info", b, &t, msg);
		e = b->ops->host_info(b, &t, &h, msg);
	} else {
		e = resolve(ctx, m, m->var[DCRE_VAR_DEVICE], &t, &b, msg);
		if (e)
			return e;
		if (!b->ops->host_info)
			return unsupported("host_info", b, &t, msg);
		e = b->ops->host_info(b, &t, &h, msg);
	}
	if (!e)
		*out = dcre_render_host_info(&h);
	dcre_host_info_clear(&h);
	return e;
}

DCRE_CMD(config_facts)
{
	(void)m;
	struct dcre_backend *b = NULL;
	for (size_t i = 0; !b && i < ctx->backends.n; i++)
		if (ctx->backends.v[i]->ops->config_facts)
			b = ctx->backends.v[i];
	if (!b)
		return dcre_msg_set(msg, DCRE_ENOTSUP,
		                    "Unsupported hardware type in use. Unable to retrieve modem "
		                    "configuration.");
	struct dcre_facts f = {0};
	enum dcre_err e = b->ops->config_facts(b, &f, msg);
	if (!e)
		*out = dcre_render_facts(&f);
	dcre_facts_clear(&f);
	return e;
}

DCRE_CMD(test)
{
	(void)ctx, (void)m, (void)msg;
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "status", "ok");
	return DCRE_OK;
}

DCRE_CMD(service_version)
{
	(void)ctx, (void)m, (void)msg;
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "version", "1.3");
	return DCRE_OK;
}

enum dcre_err dcre_command_run(struct dcre_ctx *ctx, const struct dcre_route_match *m, cJSON **out,
                               struct dcre_msg *msg)
{
	*out = NULL;
	msg->text[0] = '\0';
	return m->run(ctx, m, out, msg);
}
