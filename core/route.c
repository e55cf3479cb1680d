/* SPDX-License-Identifier: MIT */
#include "route.h"

#include "command.h"
#include "prom.h"
#include "redfish_res.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define GET 1u
#define POST 2u
#define PATCH 4u

struct route {
	enum dcre_api api;
	unsigned methods;
	enum dcre_op op;
	dcre_route_run run;
	dcre_route_text text; /* instead of run: a text answer of this type */
	const char *content_type;
	enum dcre_route_effect effect;
	const char *pattern; /* segments after "/", '{name}' = variable */
	dcre_route_rf rf;    /* instead of run: a Redfish resource */
};

#define R DCRE_EFFECT_READ
#define C DCRE_EFFECT_CHANGE
#define P DCRE_EFFECT_CHANGE_UNLESS_STATUS
#define W DCRE_EFFECT_CHANGE_ON_WRITE

/* A Redfish row: PATCH and POST change state (W), GET and HEAD read. */
#define RF(methods, effect, cmd, pattern)                                                          \
	{                                                                                          \
		DCRE_API_REDFISH, methods, DCRE_OP_REDFISH, NULL, NULL, NULL, effect, pattern,     \
		    dcre_rf_##cmd                                                                  \
	}

/* Literal routes come before variable ones with the same segment count, so
 * /opendcre/1.3/scan/force is never a rack named "force". */
static const struct route routes[] = {
    {DCRE_API_12, GET | POST, DCRE_OP_TEST, dcre_cmd_test, NULL, NULL, R, "opendcre/1.2/test",
     NULL},
    {DCRE_API_12, GET | POST, DCRE_OP_PLC_CONFIG, dcre_cmd_config_facts, NULL, NULL, R,
     "opendcre/1.2/plc_config", NULL},
    {DCRE_API_12, GET, DCRE_OP_VERSION, dcre_cmd_version, NULL, NULL, R,
     "opendcre/1.2/version/{board}", NULL},
    {DCRE_API_12, GET, DCRE_OP_SCAN, dcre_cmd_scan_all, NULL, NULL, R, "opendcre/1.2/scan", NULL},
    {DCRE_API_12, GET, DCRE_OP_SCAN_BOARD, dcre_cmd_scan_board, NULL, NULL, R,
     "opendcre/1.2/scan/{board}", NULL},
    {DCRE_API_12, GET, DCRE_OP_READ, dcre_cmd_read, NULL, NULL, R,
     "opendcre/1.2/read/{type}/{board}/{device}", NULL},
    {DCRE_API_12, GET, DCRE_OP_POWER, dcre_cmd_power, NULL, NULL, P,
     "opendcre/1.2/power/{board}/{device}", NULL},
    {DCRE_API_12, GET, DCRE_OP_POWER, dcre_cmd_power, NULL, NULL, P,
     "opendcre/1.2/power/{board}/{device}/{action}", NULL},
    {DCRE_API_12, GET, DCRE_OP_POWER, dcre_cmd_power, NULL, NULL, P,
     "opendcre/1.2/power/{type}/{board}/{device}/{action}", NULL},
    {DCRE_API_12, GET, DCRE_OP_ASSET, dcre_cmd_asset, NULL, NULL, R,
     "opendcre/1.2/asset/{board}/{device}", NULL},
    {DCRE_API_12, GET, DCRE_OP_BOOT_TARGET, dcre_cmd_boot_target, NULL, NULL, R,
     "opendcre/1.2/boot_target/{board}/{device}", NULL},
    {DCRE_API_12, GET, DCRE_OP_BOOT_TARGET, dcre_cmd_boot_target, NULL, NULL, C,
     "opendcre/1.2/boot_target/{board}/{device}/{target}", NULL},
    {DCRE_API_12, GET, DCRE_OP_LOCATION, dcre_cmd_location, NULL, NULL, R,
     "opendcre/1.2/location/{board}", NULL},
    {DCRE_API_12, GET, DCRE_OP_LOCATION, dcre_cmd_location, NULL, NULL, R,
     "opendcre/1.2/location/{board}/{device}", NULL},
    {DCRE_API_12, GET, DCRE_OP_LED, dcre_cmd_led, NULL, NULL, R,
     "opendcre/1.2/led/{board}/{device}", NULL},
    {DCRE_API_12, GET, DCRE_OP_LED, dcre_cmd_led, NULL, NULL, C,
     "opendcre/1.2/led/{board}/{device}/{state}", NULL},
    {DCRE_API_12, GET, DCRE_OP_LED, dcre_cmd_led, NULL, NULL, C,
     "opendcre/1.2/led/{board}/{device}/{state}/{color}", NULL},
    {DCRE_API_12, GET, DCRE_OP_FAN, dcre_cmd_fan, NULL, NULL, R,
     "opendcre/1.2/fan/{board}/{device}", NULL},
    {DCRE_API_12, GET, DCRE_OP_FAN, dcre_cmd_fan, NULL, NULL, C,
     "opendcre/1.2/fan/{board}/{device}/{speed}", NULL},

    {DCRE_API_13, GET | POST, DCRE_OP_TEST, dcre_cmd_test, NULL, NULL, R, "opendcre/1.3/test",
     NULL},
    {DCRE_API_13, GET, DCRE_OP_METRICS, NULL, dcre_cmd_metrics, DCRE_PROM_CONTENT_TYPE, R,
     "opendcre/metrics", NULL},
    {DCRE_API_13, GET, DCRE_OP_METRICS, NULL, dcre_cmd_metrics, DCRE_PROM_CONTENT_TYPE, R,
     "metrics", NULL},
    {DCRE_API_13, GET | POST, DCRE_OP_SERVICE_VERSION, dcre_cmd_service_version, NULL, NULL, R,
     "opendcre/version", NULL},
    {DCRE_API_13, GET | POST, DCRE_OP_PLC_CONFIG, dcre_cmd_config_facts, NULL, NULL, R,
     "opendcre/1.3/plc_config", NULL},
    {DCRE_API_13, GET, DCRE_OP_VERSION, dcre_cmd_version, NULL, NULL, R,
     "opendcre/1.3/version/{rack}/{board}", NULL},
    {DCRE_API_13, GET, DCRE_OP_SCAN, dcre_cmd_scan_all, NULL, NULL, R, "opendcre/1.3/scan", NULL},
    {DCRE_API_13, GET, DCRE_OP_SCAN_FORCE, dcre_cmd_scan_all, NULL, NULL, C,
     "opendcre/1.3/scan/force", NULL},
    {DCRE_API_13, GET, DCRE_OP_SCAN_RACK, dcre_cmd_scan_all, NULL, NULL, R,
     "opendcre/1.3/scan/{rack}", NULL},
    {DCRE_API_13, GET, DCRE_OP_SCAN_BOARD, dcre_cmd_scan_board, NULL, NULL, R,
     "opendcre/1.3/scan/{rack}/{board}", NULL},
    {DCRE_API_13, GET, DCRE_OP_READ, dcre_cmd_read, NULL, NULL, R,
     "opendcre/1.3/read/{type}/{rack}/{board}/{device}", NULL},
    {DCRE_API_13, GET, DCRE_OP_POWER, dcre_cmd_power, NULL, NULL, P,
     "opendcre/1.3/power/{rack}/{board}/{device}", NULL},
    {DCRE_API_13, GET, DCRE_OP_POWER, dcre_cmd_power, NULL, NULL, P,
     "opendcre/1.3/power/{rack}/{board}/{device}/{action}", NULL},
    {DCRE_API_13, GET, DCRE_OP_POWER, dcre_cmd_power, NULL, NULL, P,
     "opendcre/1.3/power/{type}/{rack}/{board}/{device}/{action}", NULL},
    {DCRE_API_13, GET, DCRE_OP_ASSET, dcre_cmd_asset, NULL, NULL, R,
     "opendcre/1.3/asset/{rack}/{board}/{device}", NULL},
    {DCRE_API_13, GET, DCRE_OP_BOOT_TARGET, dcre_cmd_boot_target, NULL, NULL, R,
     "opendcre/1.3/boot_target/{rack}/{board}/{device}", NULL},
    {DCRE_API_13, GET, DCRE_OP_BOOT_TARGET, dcre_cmd_boot_target, NULL, NULL, C,
     "opendcre/1.3/boot_target/{rack}/{board}/{device}/{target}", NULL},
    {DCRE_API_13, GET, DCRE_OP_LOCATION, dcre_cmd_location, NULL, NULL, R,
     "opendcre/1.3/location/{rack}/{board}", NULL},
    {DCRE_API_13, GET, DCRE_OP_LOCATION, dcre_cmd_location, NULL, NULL, R,
     "opendcre/1.3/location/{rack}/{board}/{device}", NULL},
    {DCRE_API_13, GET, DCRE_OP_LED, dcre_cmd_led, NULL, NULL, R,
     "opendcre/1.3/led/{rack}/{board}/{device}", NULL},
    {DCRE_API_13, GET, DCRE_OP_LED, dcre_cmd_led, NULL, NULL, C,
     "opendcre/1.3/led/{rack}/{board}/{device}/{state}", NULL},
    {DCRE_API_13, GET, DCRE_OP_LED, dcre_cmd_led, NULL, NULL, C,
     "opendcre/1.3/led/{rack}/{board}/{device}/{state}/{color}/{blink}", NULL},
    {DCRE_API_13, GET, DCRE_OP_FAN, dcre_cmd_fan, NULL, NULL, R,
     "opendcre/1.3/fan/{rack}/{board}/{device}", NULL},
    {DCRE_API_13, GET, DCRE_OP_FAN, dcre_cmd_fan, NULL, NULL, C,
     "opendcre/1.3/fan/{rack}/{board}/{device}/{speed}", NULL},
    {DCRE_API_13, GET, DCRE_OP_HOST_INFO, dcre_cmd_host_info, NULL, NULL, R,
     "opendcre/1.3/host_info/{rack}/{board}/{device}", NULL},

    RF(GET, R, versions, "redfish"),
    RF(GET, R, root, "redfish/v1"),
    RF(GET, R, metadata, "redfish/v1/$metadata"),
    RF(GET, R, odata, "redfish/v1/odata"),
    RF(GET, R, chassis_collection, "redfish/v1/Chassis"),
    RF(GET | PATCH, W, chassis, "redfish/v1/Chassis/{board}"),
    RF(GET, R, thermal, "redfish/v1/Chassis/{board}/Thermal"),
    RF(GET, R, power, "redfish/v1/Chassis/{board}/Power"),
    RF(GET, R, sensors, "redfish/v1/Chassis/{board}/Sensors"),
    RF(GET, R, sensor, "redfish/v1/Chassis/{board}/Sensors/{device}"),
    RF(GET, R, systems, "redfish/v1/Systems"),
    RF(GET | PATCH, W, system, "redfish/v1/Systems/{board}"),
    RF(POST, W, reset, "redfish/v1/Systems/{board}/Actions/ComputerSystem.Reset"),
    RF(GET, R, managers, "redfish/v1/Managers"),
    RF(GET, R, manager, "redfish/v1/Managers/{board}"),
    RF(GET, R, session_service, "redfish/v1/SessionService"),
    /* a login POST is answered with an error: the web server authenticates */
    RF(GET | POST, R, sessions, "redfish/v1/SessionService/Sessions"),
};

static const char *const var_names[DCRE_VAR_COUNT] = {
    "type", "rack", "board", "device", "action", "target", "state", "color", "blink", "speed",
};

static int var_index(const char *name, size_t len)
{
	for (int i = 0; i < DCRE_VAR_COUNT; i++)
		if (strlen(var_names[i]) == len && memcmp(var_names[i], name, len) == 0)
			return i;
	return -1;
}

/* Does p match pattern? Fills vars on success. */
static bool match(const struct route *r, const struct dcre_path *p, const char **vars)
{
	const char *s = r->pattern;
	size_t i = 0;

	for (int v = 0; v < DCRE_VAR_COUNT; v++)
		vars[v] = NULL;
	while (*s) {
		const char *end = strchr(s, '/');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		if (i >= p->nseg)
			return false;
		if (s[0] == '{') {
			if (p->seg[i][0] == '\0')
				return false; /* an empty segment never matches a variable */
			vars[var_index(s + 1, len - 2)] = p->seg[i];
		} else if (strlen(p->seg[i]) != len || memcmp(p->seg[i], s, len) != 0) {
			return false;
		}
		i++;
		s += len;
		if (*s == '/')
			s++;
	}
	return i == p->nseg;
}

enum dcre_api dcre_route_api(const struct dcre_path *p)
{
	if (p->nseg >= 3 && strcmp(p->seg[0], "opendcre") == 0 && strcmp(p->seg[1], "1.2") == 0)
		return DCRE_API_12;
	return DCRE_API_13;
}

enum dcre_api dcre_route_api_raw(const char *target)
{
	/* the raw prefix, with repeated slashes merged */
	const char *want = "/opendcre/1.2/";
	const char *s = target;
	while (*want) {
		if (*s != *want)
			return DCRE_API_13;
		if (*s == '/')
			while (*s == '/')
				s++;
		else
			s++;
		want++;
	}
	return DCRE_API_12;
}

int dcre_route_power_action(const char *s, bool any_case)
{
	static const char *const actions[] = {"on", "off", "cycle", "status"};
	for (int i = 0; s && i < 4; i++)
		if (any_case ? strcasecmp(s, actions[i]) == 0 : strcmp(s, actions[i]) == 0)
			return i;
	return -1;
}

static bool is_power_action(const char *s)
{
	return dcre_route_power_action(s, true) >= 0;
}

/* api.md §6.5: the action of a power route, and old-style URLs. 1.2: a
 * board segment that is an action (any case) rotates the values (action,
 * board, device). 1.3: a rack segment that is an action (any case) is the
 * action, as given. No action means "status". */
static void power_vars(struct dcre_route_match *m)
{
	const char **v = m->var;

	if (m->api == DCRE_API_12 && is_power_action(v[DCRE_VAR_BOARD])) {
		const char *action = v[DCRE_VAR_BOARD];
		v[DCRE_VAR_BOARD] = v[DCRE_VAR_DEVICE];
		v[DCRE_VAR_DEVICE] = v[DCRE_VAR_ACTION] ? v[DCRE_VAR_ACTION] : "status";
		v[DCRE_VAR_ACTION] = action;
	} else if (m->api == DCRE_API_13 && is_power_action(v[DCRE_VAR_RACK])) {
		v[DCRE_VAR_ACTION] = v[DCRE_VAR_RACK];
	}
	if (!v[DCRE_VAR_ACTION])
		v[DCRE_VAR_ACTION] = "status";
}

bool dcre_route_info(size_t i, struct dcre_route_info *out)
{
	if (i >= sizeof(routes) / sizeof(routes[0]))
		return false;
	*out = (struct dcre_route_info){.api = routes[i].api,
	                                .op = routes[i].op,
	                                .post = (routes[i].methods & POST) != 0,
	                                .patch = (routes[i].methods & PATCH) != 0,
	                                .get = (routes[i].methods & GET) != 0,
	                                .effect = routes[i].effect,
	                                .pattern = routes[i].pattern};
	return true;
}

enum dcre_route_result dcre_route_match(const struct dcre_path *p, const char *method,
                                        struct dcre_route_match *m)
{
	unsigned want;

	struct dcre_path rp = *p;

	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		want = GET;
	else if (strcmp(method, "POST") == 0)
		want = POST;
	else if (strcmp(method, "PATCH") == 0)
		want = PATCH;
	else
		want = 0; /* OPTIONS or anything else */
	/* a Redfish path may end in '/' ("/redfish/v1/") */
	if (rp.nseg > 1 && strcmp(rp.seg[0], "redfish") == 0 && rp.seg[rp.nseg - 1][0] == '\0')
		rp.nseg--;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		if (!match(r, r->api == DCRE_API_REDFISH ? &rp : p, m->var))
			continue;
		m->api = r->api;
		m->op = r->op;
		m->run = r->run;
		m->text = r->text;
		m->content_type = r->content_type;
		m->rf = r->rf;
		if (r->op == DCRE_OP_POWER)
			power_vars(m);
		m->changes = r->effect == DCRE_EFFECT_CHANGE ||
		             (r->effect == DCRE_EFFECT_CHANGE_UNLESS_STATUS &&
		              strcasecmp(m->var[DCRE_VAR_ACTION], "status") != 0) ||
		             (r->effect == DCRE_EFFECT_CHANGE_ON_WRITE && (want & (PATCH | POST)));
		if (r->api == DCRE_API_REDFISH)
			snprintf(m->allow, sizeof(m->allow), "%s%s%s",
			         (r->methods & GET) ? "GET, HEAD" : "",
			         (r->methods & PATCH) ? ", PATCH" : "",
			         (r->methods & POST) ? ((r->methods & GET) ? ", POST" : "POST")
			                             : "");
		else
			snprintf(m->allow, sizeof(m->allow), "%s",
			         (r->methods & POST) ? "GET, HEAD, POST, OPTIONS"
			                             : "GET, HEAD, OPTIONS");
		if (strcmp(method, "OPTIONS") == 0)
			return DCRE_ROUTE_OPTIONS;
		return (r->methods & want) ? DCRE_ROUTE_OK : DCRE_ROUTE_BAD_METHOD;
	}
	return DCRE_ROUTE_NOT_FOUND;
}
