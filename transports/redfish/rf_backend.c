/* SPDX-License-Identifier: MIT */
/* The Redfish backend's operations (redfish.md §5): glue between the command
 * layer, discovery (rf_walk), the HTTP client (rf_http) and the pure JSON
 * mapping (rf_parse). */
#include "rf_backend.h"

#include <curl/curl.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alloc.h"
#include "bridge.h"
#include "log.h"
#include "rf_http.h"
#include "rf_parse.h"
#include "rf_walk.h"
#include "timeutil.h"

#define FIRMWARE_VERSION "OpenDCRE Redfish Bridge v1.0"
/* One API request to a server is one operation with one deadline, this many
 * times the per-request timeout, and at most this many HTTP requests
 * (discovery, a second discovery after a 404, redirects, the operation);
 * a power change adds timeout + power_wait and one request per second of
 * power_wait (redfish.md §5). A hostile service cannot hold a worker longer. */
#define RF_OP_TIMEOUTS 4
#define RF_OP_MAX_REQUESTS 64
/* resources one collection reads: Thermal, Power, the System, the Chassis */
#define RF_SHARED_MAX 8

/* The documents one metrics collection has read (dcre_target.collection):
 * its reads share one GET of each resource. */
struct rf_shared {
	unsigned collection; /* 0: none */
	size_t n;
	char *path[RF_SHARED_MAX];
	cJSON *doc[RF_SHARED_MAX];
};

struct rf_server {
	struct dcre_backend base;
	const struct dcre_redfish_server *sv;
	struct rf_http *http;      /* created on first use */
	struct rf_links *links;    /* discovery result, NULL until discovered */
	struct dcre_boards record; /* the board record (n 0 until built) */
	bool stale;                /* a request of this operation answered 404 */
	struct rf_shared shared;
};

static struct rf_server *server_of(struct dcre_backend *b)
{
	return (struct rf_server *)(void *)((char *)b - offsetof(struct rf_server, base));
}

static struct rf_http *http_of(struct rf_server *s)
{
	if (!s->http)
		s->http = rf_http_new(s->sv);
	return s->http;
}

static const char *label(struct rf_server *s)
{
	return rf_http_label(http_of(s));
}

static void shared_clear(struct rf_shared *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->path[i]);
		cJSON_Delete(c->doc[i]);
	}
	memset(c, 0, sizeof(*c));
}

static void forget(struct rf_server *s)
{
	shared_clear(&s->shared);
	rf_links_free(s->links);
	s->links = NULL;
	dcre_boards_clear(&s->record);
}

static enum dcre_err discover(struct rf_server *s, struct dcre_msg *msg)
{
	forget(s);
	return rf_walk_discover(http_of(s), &s->links, msg);
}

static enum dcre_err ensure_links(struct rf_server *s, struct dcre_msg *msg)
{
	return s->links ? DCRE_OK : discover(s, msg);
}

/* GET with the session; a 404 marks the discovered links stale. */
static enum dcre_err get(struct rf_server *s, const char *path, cJSON **doc, char **etag,
                         struct dcre_msg *msg)
{
	enum dcre_err e = rf_http_get(http_of(s), path, RF_CRED_SESSION, doc, etag, msg);
	if (e && rf_http_status(s->http) == 404)
		s->stale = true;
	return e;
}

/* GET for a read of t: within a metrics collection, one GET of each
 * resource serves all its reads. *doc is the caller's either way. */
static enum dcre_err get_read(struct rf_server *s, const struct dcre_target *t, const char *path,
                              cJSON **doc, struct dcre_msg *msg)
{
	struct rf_shared *c = &s->shared;

	if (!t || !t->collection)
		return get(s, path, doc, NULL, msg);
	if (c->collection != t->collection) {
		shared_clear(c);
		c->collection = t->collection;
	}
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->path[i], path) == 0) {
			*doc = cJSON_Duplicate(c->doc[i], true);
			return DCRE_OK;
		}
	enum dcre_err e = get(s, path, doc, NULL, msg);
	if (!e && c->n < RF_SHARED_MAX) {
		c->path[c->n] = dcre_xstrdup(path);
		c->doc[c->n++] = cJSON_Duplicate(*doc, true);
	}
	return e;
}

static enum dcre_err patch(struct rf_server *s, const char *path, const cJSON *body,
                           const char *etag, struct dcre_msg *msg)
{
	enum dcre_err e = rf_http_patch(http_of(s), path, body, etag, msg);
	if (e && rf_http_status(s->http) == 404)
		s->stale = true;
	return e;
}

static enum dcre_err build_record(struct rf_server *s, struct dcre_msg *msg)
{
	cJSON *thermal = NULL, *power = NULL;
	enum dcre_err e = DCRE_OK;
	size_t dropped;

	if (s->links->thermal && (e = get(s, s->links->thermal, &thermal, NULL, msg)))
		goto out;
	if (s->links->power && (e = get(s, s->links->power, &power, NULL, msg)))
		goto out;
	dropped = rf_parse_sensors(thermal, power, dcre_bridge_board(&s->base, &s->record));
	if (dropped)
		dcre_warn("%s: %zu sensors left out (device ids stop at 00ff)", label(s), dropped);
out:
	cJSON_Delete(thermal);
	cJSON_Delete(power);
	return e;
}

static enum dcre_err ensure_record(struct rf_server *s, struct dcre_msg *msg)
{
	enum dcre_err e = ensure_links(s, msg);
	if (e || s->record.n)
		return e;
	return build_record(s, msg);
}

/* ---- operations, run with discovery done ---- */

struct op_args {
	const struct dcre_target *t;
	const char *type;      /* read */
	enum dcre_led_set set; /* led */
	enum dcre_power_action action;
	enum dcre_boot_target target;
};

/* out: the typed result of the operation (struct dcre_reading, ...). */
typedef enum dcre_err (*op_fn)(struct rf_server *s, const struct op_args *a, void *out,
                               struct dcre_msg *msg);

/* Discovery (lazy), then the operation; when a link found by an earlier
 * discovery answers 404, discover again and repeat the operation once
 * (redfish.md §4). */
static enum dcre_err run(struct rf_server *s, op_fn fn, const struct op_args *a, void *out,
                         struct dcre_msg *msg)
{
	bool fresh = s->links == NULL;
	enum dcre_err e = ensure_links(s, msg);

	if (e)
		return e;
	s->stale = false;
	e = fn(s, a, out, msg);
	if (e && s->stale && !fresh) {
		dcre_info("%s: a known resource answered 404; discovering the service again",
		          label(s));
		s->stale = false;
		e = discover(s, msg);
		if (!e)
			e = fn(s, a, out, msg);
	}
	if (e)
		dcre_debug("%s", msg->text);
	return e;
}

/* The API request as one operation (see RF_OP_TIMEOUTS): live = discover
 * again first (a live scan-all); extra_s and extra_requests widen the
 * bounds (power changes). */
static enum dcre_err operate(struct rf_server *s, op_fn fn, const struct op_args *a, bool live,
                             double extra_s, unsigned extra_requests, void *out,
                             struct dcre_msg *msg)
{
	struct rf_http *h = http_of(s);
	enum dcre_err e = DCRE_OK;

	rf_http_op_begin(
	    h, dcre_target_budget(a ? a->t : NULL, RF_OP_TIMEOUTS * s->sv->b.timeout + extra_s),
	    RF_OP_MAX_REQUESTS + extra_requests);
	if (live)
		e = discover(s, msg);
	if (!e)
		e = run(s, fn, a, out, msg);
	rf_http_op_end(h);
	return e;
}

static enum dcre_err op_read(struct rf_server *s, const struct op_args *a, void *out,
                             struct dcre_msg *msg)
{
	const struct dcre_target *t = a->t;
	const struct dcre_device *dev;
	const cJSON *entry;
	const char *array, *name, *path;
	bool in_power = false;
	cJSON *doc = NULL;
	struct dcre_msg why = {.text = ""};
	enum dcre_err e = ensure_record(s, msg);

	if (e)
		return e;
	dev = dcre_bridge_find_device(&s->record.v[0], t);
	if (!dev || strcmp(dev->type, a->type) != 0)
		return dcre_bridge_no_device(&s->base, t, a->type, msg);
	array = rf_parse_array_of(a->type, &in_power);
	if (!array)
		return dcre_msg_set(msg, DCRE_EINVAL,
		                    "Redfish board %s: a %s device has no reading", t->board_hex,
		                    a->type);
	if ((t->rules & DCRE_RULE_VALUE_REQUIRED) && strcmp(a->type, "power_supply") == 0)
		return dcre_msg_set(msg, DCRE_ENOTSUP,
		                    "Redfish board %s: a power_supply reading has no 1.2 API shape "
		                    "(use the 1.3 API)",
		                    t->board_hex);
	path = in_power ? s->links->power : s->links->thermal;
	name = dev->info ? dev->info : "";
	if (!path)
		return dcre_msg_set(msg, DCRE_ENODEV, "%s: the board no longer has a %s resource",
		                    label(s), in_power ? "Power" : "Thermal");
	e = get_read(s, t, path, &doc, msg);
	if (e)
		goto out;
	entry = rf_parse_entry(doc, array, name, rf_parse_occurrence(&s->record.v[0], dev));
	if (!entry) {
		e = dcre_msg_set(msg, DCRE_ENODEV, "%s: GET %s: %s has no entry '%s' for device %s",
		                 label(s), path, array, name,
		                 t->device_hex[0] ? t->device_hex : name);
		goto out;
	}
	e = rf_parse_reading(t->rules, a->type, entry, out, &why);
	if (e)
		dcre_msg_set(msg, e, "%s: GET %s: %s", label(s), path, why.text);
out:
	cJSON_Delete(doc);
	return e;
}

static enum dcre_err power_status(struct rf_server *s, const struct dcre_target *t,
                                  const cJSON *sys, struct dcre_power *out, struct dcre_msg *msg)
{
	cJSON *pw = NULL, *own = NULL;
	enum dcre_err e = DCRE_OK;

	if (s->links->power && (e = get_read(s, t, s->links->power, &pw, msg)))
		goto out;
	if (!sys && (e = get_read(s, t, s->links->system, &own, msg)))
		goto out;
	rf_parse_power(sys ? sys : own, pw, out);
out:
	cJSON_Delete(own);
	cJSON_Delete(pw);
	return e;
}

static enum dcre_err op_power(struct rf_server *s, const struct op_args *a, void *out,
                              struct dcre_msg *msg)
{
	static const char *const reset[] = {"On", "ForceOff", "ForceRestart"};
	const char *want = a->action == DCRE_POWER_OFF ? "Off" : "On";
	cJSON *body = NULL, *sys = NULL;
	enum dcre_err e = DCRE_OK;
	bool posted = false;

	if (a->action != DCRE_POWER_STATUS) {
		double deadline;
		body = cJSON_CreateObject();
		cJSON_AddStringToObject(body, "ResetType", reset[a->action]);
		e = rf_http_post_action(http_of(s), s->links->reset, body, &posted, msg);
		if (e) {
			s->stale = !posted && rf_http_status(s->http) == 404;
			goto out;
		}
		/* §5: poll PowerState every second, up to power_wait */
		deadline = dcre_time_now() + s->sv->b.power_wait;
		while (s->sv->b.power_wait > 0) {
			const char *st;
			cJSON_Delete(sys);
			sys = NULL;
			e = get(s, s->links->system, &sys, NULL, msg);
			if (e)
				goto out;
			st = rf_parse_str(sys, "PowerState");
			double left = deadline - dcre_time_now();
			if ((st && strcasecmp(st, want) == 0) || left <= 0)
				break;
			dcre_time_sleep(left < 1.0 ? left : 1.0);
		}
	}
	e = power_status(s, a->t, sys, out, msg);
out:
	if (posted)
		s->stale = false; /* the reset was sent: never send it twice */
	cJSON_Delete(sys);
	cJSON_Delete(body);
	return e;
}

static enum dcre_err op_led(struct rf_server *s, const struct op_args *a, void *out,
                            struct dcre_msg *msg)
{
	struct dcre_led *led = out;
	cJSON *ch = NULL, *body = NULL;
	char *etag = NULL;
	bool change = a->set == DCRE_LED_ON || a->set == DCRE_LED_OFF;
	enum dcre_err e = change ? get(s, s->links->chassis, &ch, &etag, msg)
	                         : get_read(s, a->t, s->links->chassis, &ch, msg);

	if (e)
		goto out;
	if (change) {
		bool on = a->set == DCRE_LED_ON;
		body = cJSON_CreateObject();
		if (rf_parse_has_lia(ch))
			cJSON_AddBoolToObject(body, "LocationIndicatorActive", on);
		else
			cJSON_AddStringToObject(body, "IndicatorLED", on ? "Lit" : "Off");
		e = patch(s, s->links->chassis, body, etag, msg);
		if (e)
			goto out;
		cJSON_Delete(ch);
		ch = NULL;
		e = get(s, s->links->chassis, &ch, NULL, msg);
		if (e)
			goto out;
	}
	/* the service's own IndicatorLED values pass through (redfish.md §5) */
	led->state = rf_parse_led(ch);
	led->color_unknown = true; /* the 1.2 answer shows led_color "unknown" */
out:
	free(etag);
	cJSON_Delete(body);
	cJSON_Delete(ch);
	return e;
}

/* The API's name of a boot target; DCRE_BOOT_UNKNOWN for the service's
 * other targets. */
static enum dcre_boot_target boot_of(const char *target)
{
	static const char *const names[] = {"no_override", "hdd", "pxe"};

	for (int i = DCRE_BOOT_NO_OVERRIDE; i <= DCRE_BOOT_PXE; i++)
		if (target && strcmp(target, names[i]) == 0)
			return (enum dcre_boot_target)i;
	return DCRE_BOOT_UNKNOWN;
}

static enum dcre_err op_boot(struct rf_server *s, const struct op_args *a, void *out,
                             struct dcre_msg *msg)
{
	static const char *const values[] = {"None", "Hdd", "Pxe"};
	cJSON *sys = NULL, *body = NULL;
	char *etag = NULL, *target = NULL, *enabled = NULL;
	enum dcre_err e = get(s, s->links->system, &sys, &etag, msg);

	if (e)
		goto out;
	if (a->target < DCRE_BOOT_GET || a->target > DCRE_BOOT_PXE) {
		e = dcre_msg_set(msg, DCRE_EINVAL, "%s: no such boot target", label(s));
		goto out;
	}
	if (a->target != DCRE_BOOT_GET) {
		const cJSON *boot = rf_parse_get(sys, "Boot");
		const char *value = values[a->target];
		const char *cur = rf_parse_str(boot, "BootSourceOverrideTarget");
		enabled = rf_parse_lower(rf_parse_str(boot, "BootSourceOverrideEnabled"));
		if (enabled && strcmp(enabled, "disabled") == 0) {
			e = dcre_msg_set(msg, DCRE_ENOTSUP,
			                 "%s: BootSourceOverrideEnabled is Disabled; boot target "
			                 "cannot be set",
			                 label(s));
			goto out;
		}
		if (!cur || strcasecmp(cur, value) != 0) {
			body = cJSON_CreateObject();
			cJSON_AddStringToObject(cJSON_AddObjectToObject(body, "Boot"),
			                        "BootSourceOverrideTarget", value);
			e = patch(s, s->links->system, body, etag, msg);
			if (e)
				goto out;
			cJSON_Delete(sys);
			sys = NULL;
			e = get(s, s->links->system, &sys, NULL, msg);
			if (e)
				goto out;
		}
	}
	target = rf_parse_boot_target(sys);
	struct dcre_boot *now = out;
	now->target = boot_of(target);
	if (now->target == DCRE_BOOT_UNKNOWN && target) {
		/* the service's other targets pass through lower-cased (redfish.md §5) */
		now->target = DCRE_BOOT_OTHER;
		now->other = target; /* cleaned by rf_parse_lower */
		target = NULL;
	}
out:
	free(enabled);
	free(target);
	free(etag);
	cJSON_Delete(body);
	cJSON_Delete(sys);
	return e;
}

static enum dcre_err op_asset(struct rf_server *s, const struct op_args *a, void *out,
                              struct dcre_msg *msg)
{
	cJSON *ch = NULL, *sys = NULL, *mgr = NULL;
	enum dcre_err e;

	(void)a;
	if ((e = get(s, s->links->chassis, &ch, NULL, msg)) ||
	    (e = get(s, s->links->system, &sys, NULL, msg)) ||
	    (e = get(s, s->links->manager, &mgr, NULL, msg)))
		goto out;
	rf_parse_asset(ch, sys, mgr, s->sv->b.address, out);
out:
	cJSON_Delete(mgr);
	cJSON_Delete(sys);
	cJSON_Delete(ch);
	return e;
}

static void copy_strv(struct dcre_strv *to, const struct dcre_strv *from)
{
	for (size_t i = 0; i < from->n; i++)
		dcre_strv_add(to, from->v[i]);
}

static enum dcre_err op_record(struct rf_server *s, const struct op_args *a, void *out,
                               struct dcre_msg *msg)
{
	enum dcre_err e = ensure_record(s, msg);
	const struct dcre_board *r;
	struct dcre_board *b;

	(void)a;
	if (e)
		return e;
	r = &s->record.v[0];
	b = dcre_boards_add(out, r->id, r->backend);
	b->index = r->index;
	b->has_names = r->has_names;
	copy_strv(&b->hostnames, &r->hostnames);
	copy_strv(&b->ip_addresses, &r->ip_addresses);
	for (size_t i = 0; i < r->n_devices; i++)
		dcre_board_add_device(b, r->devices[i].id, r->devices[i].type, r->devices[i].info);
	return DCRE_OK;
}

/* ---- the backend interface ---- */

static enum dcre_err rf_version(struct dcre_backend *b, const struct dcre_target *t,
                                char **firmware, struct dcre_msg *msg)
{
	(void)b;
	(void)t;
	(void)msg;
	*firmware = dcre_xstrdup(FIRMWARE_VERSION);
	return DCRE_OK;
}

static enum dcre_err rf_scan_board(struct dcre_backend *b, const struct dcre_target *t,
                                   struct dcre_boards *boards, struct dcre_msg *msg)
{
	struct op_args a = {.t = t};
	return operate(server_of(b), op_record, &a, false, 0, 0, boards, msg);
}

static enum dcre_err rf_scan_all(struct dcre_backend *b, struct dcre_boards *boards,
                                 struct dcre_msg *msg)
{
	struct op_args a = {0};

	/* a live scan-all discovers the service again (§4) */
	return operate(server_of(b), op_record, &a, true, 0, 0, boards, msg);
}

static enum dcre_err rf_read(struct dcre_backend *b, const struct dcre_target *t, const char *type,
                             struct dcre_reading *out, struct dcre_msg *msg)
{
	struct op_args a = {.t = t, .type = type};
	return operate(server_of(b), op_read, &a, false, 0, 0, out, msg);
}

static enum dcre_err rf_power(struct dcre_backend *b, const struct dcre_target *t, const char *type,
                              enum dcre_power_action action, struct dcre_power *out,
                              struct dcre_msg *msg)
{
	struct op_args a = {.t = t, .action = action};
	const struct dcre_redfish_server *sv = server_of(b)->sv;

	(void)type;
	if (!dcre_bridge_is_device(t, DCRE_BRIDGE_DEV_POWER, "power"))
		return dcre_bridge_no_device(b, t, "power", msg);
	if (action == DCRE_POWER_STATUS)
		return operate(server_of(b), op_power, &a, false, 0, 0, out, msg);
	/* the task monitor (timeout), then PowerState once a second */
	return operate(server_of(b), op_power, &a, false, sv->b.timeout + sv->b.power_wait,
	               (unsigned)(sv->b.power_wait + 1.0) + 2, out, msg);
}

static enum dcre_err rf_asset(struct dcre_backend *b, const struct dcre_target *t,
                              struct dcre_asset *out, struct dcre_msg *msg)
{
	struct op_args a = {.t = t};

	if (!dcre_bridge_is_device(t, DCRE_BRIDGE_DEV_SYSTEM, "system"))
		return dcre_bridge_no_device(b, t, "system", msg);
	return operate(server_of(b), op_asset, &a, false, 0, 0, out, msg);
}

static enum dcre_err rf_boot_target(struct dcre_backend *b, const struct dcre_target *t,
                                    enum dcre_boot_target target, struct dcre_boot *now,
                                    struct dcre_msg *msg)
{
	struct op_args a = {.t = t, .target = target};

	if (!dcre_bridge_is_device(t, DCRE_BRIDGE_DEV_SYSTEM, "system"))
		return dcre_bridge_no_device(b, t, "system", msg);
	return operate(server_of(b), op_boot, &a, false, 0, 0, now, msg);
}

static enum dcre_err rf_led(struct dcre_backend *b, const struct dcre_target *t,
                            enum dcre_led_set set, struct dcre_led *out, struct dcre_msg *msg)
{
	struct op_args a = {.t = t, .set = set};

	if (!dcre_bridge_is_device(t, DCRE_BRIDGE_DEV_LED, "led") &&
	    !((t->rules & DCRE_RULE_SYSTEM_LED) &&
	      dcre_bridge_is_device(t, DCRE_BRIDGE_DEV_SYSTEM, "system")))
		return dcre_bridge_no_device(b, t, "led", msg);
	return operate(server_of(b), op_led, &a, false, 0, 0, out, msg);
}

static enum dcre_err rf_fan(struct dcre_backend *b, const struct dcre_target *t,
                            const struct dcre_fan_set *set, struct dcre_reading *out,
                            struct dcre_msg *msg)
{
	if (set)
		return dcre_msg_set(msg, DCRE_ENOTSUP,
		                    "Setting of fan speed is not permitted for Redfish board %s",
		                    t->board_hex);
	return rf_read(b, t, "fan_speed", out, msg);
}

static enum dcre_err rf_host_info(struct dcre_backend *b, const struct dcre_target *t,
                                  struct dcre_host_info *out, struct dcre_msg *msg)
{
	(void)t;
	(void)msg;
	dcre_bridge_host_info(b, out);
	return DCRE_OK;
}

static void rf_free(struct dcre_backend *b)
{
	struct rf_server *s = server_of(b);

	forget(s);
	rf_http_free(s->http); /* logs out */
	free(s);
}

static const struct dcre_backend_ops rf_ops = {
    .name = "Redfish",
    .version = rf_version,
    .scan_board = rf_scan_board,
    .scan_all = rf_scan_all,
    .read = rf_read,
    .power = rf_power,
    .asset = rf_asset,
    .boot_target = rf_boot_target,
    .led = rf_led,
    .fan = rf_fan,
    .host_info = rf_host_info,
    .free = rf_free,
};

struct dcre_backend *dcre_redfish_backend_new(const struct dcre_redfish_server *sv)
{
	struct rf_server *s = dcre_xcalloc(1, sizeof(*s));

	/* before any thread (scan-all queries backends in parallel); counted,
	 * so once per server is fine */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	dcre_bridge_backend_init(&s->base, &rf_ops, "redfish", &sv->b);
	s->sv = sv;
	return &s->base;
}
