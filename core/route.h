/* SPDX-License-Identifier: MIT */
/* The route table of both API versions (api.md §2.2-§2.4, §5). Pure. */
#ifndef DCRE_ROUTE_H
#define DCRE_ROUTE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "render.h"
#include "url.h"

enum dcre_op {
	DCRE_OP_TEST,
	DCRE_OP_SERVICE_VERSION,
	DCRE_OP_PLC_CONFIG,
	DCRE_OP_VERSION,
	DCRE_OP_SCAN,
	DCRE_OP_SCAN_FORCE,
	DCRE_OP_SCAN_RACK,
	DCRE_OP_SCAN_BOARD,
	DCRE_OP_READ,
	DCRE_OP_POWER,
	DCRE_OP_ASSET,
	DCRE_OP_BOOT_TARGET,
	DCRE_OP_LOCATION,
	DCRE_OP_LED,
	DCRE_OP_FAN,
	DCRE_OP_HOST_INFO,
	DCRE_OP_METRICS,
	DCRE_OP_REDFISH, /* a Redfish resource (core/redfish_res.h) */
	DCRE_OP_NONE,    /* no route matched (counted as such) */
	DCRE_OP_COUNT    /* the number of operations, not one */
};

enum dcre_var {
	DCRE_VAR_TYPE,
	DCRE_VAR_RACK,
	DCRE_VAR_BOARD,
	DCRE_VAR_DEVICE,
	DCRE_VAR_ACTION,
	DCRE_VAR_TARGET,
	DCRE_VAR_STATE,
	DCRE_VAR_COLOR,
	DCRE_VAR_BLINK,
	DCRE_VAR_SPEED,
	DCRE_VAR_COUNT,
};

struct dcre_ctx;
struct dcre_route_match;

/* The command that serves a route (core/command.h). On success *out is the
 * answer body (caller owns); on failure msg says what failed. */
typedef enum dcre_err (*dcre_route_run)(struct dcre_ctx *ctx, const struct dcre_route_match *m,
                                        cJSON **out, struct dcre_msg *msg);

/* The command of a route whose answer is text, not JSON (the metrics):
 * *text (caller frees) of *len bytes, of the route's content type. */
typedef enum dcre_err (*dcre_route_text)(struct dcre_ctx *ctx, const struct dcre_route_match *m,
                                         char **text, size_t *len, struct dcre_msg *msg);

struct dcre_rf_request;
struct dcre_rf_reply;

/* The command of a Redfish route (core/redfish_res.h): method, body and
 * headers in req; status, body and ETag in out. */
typedef void (*dcre_route_rf)(struct dcre_ctx *ctx, const struct dcre_route_match *m,
                              const struct dcre_rf_request *req, struct dcre_rf_reply *out);

/* Whether a route changes state: what is audited, and what a viewer may
 * not do. */
enum dcre_route_effect {
	DCRE_EFFECT_READ,
	DCRE_EFFECT_CHANGE,
	DCRE_EFFECT_CHANGE_UNLESS_STATUS, /* power: every action but "status" */
	DCRE_EFFECT_CHANGE_ON_WRITE,      /* Redfish: PATCH and POST change state */
};

struct dcre_route_match {
	enum dcre_api api;
	enum dcre_op op;
	dcre_route_run run;       /* a JSON answer; or: */
	dcre_route_text text;     /* a text answer */
	dcre_route_rf rf;         /* a Redfish resource */
	const char *content_type; /* of the text answer */
	bool changes;             /* the matched route changes state (resolved for power) */
	/* borrowed from the path (or static); NULL = absent. For power routes
	 * the old-style URLs of api.md §6.5 are already resolved: action is
	 * always set ("status" by default) and board/device are the ids. */
	const char *var[DCRE_VAR_COUNT];
	char allow[48]; /* "GET, HEAD, OPTIONS" or with POST; Redfish: its methods */
};

enum dcre_route_result {
	DCRE_ROUTE_OK,
	DCRE_ROUTE_NOT_FOUND,  /* 404 */
	DCRE_ROUTE_BAD_METHOD, /* 405, m->allow set */
	DCRE_ROUTE_OPTIONS,    /* 200 with Allow, empty body */
};

/* API version that renders the answer (§2.2): 1.2 for paths under
 * /opendcre/1.2/, else 1.3. */
enum dcre_api dcre_route_api(const struct dcre_path *p);
/* The same from a raw request target (for a 400 before decoding). */
enum dcre_api dcre_route_api_raw(const char *target);

/* Index of a power action in on, off, cycle, status (the order of enum
 * dcre_power_action), compared exactly or ignoring case; -1 if none. */
int dcre_route_power_action(const char *s, bool any_case);

/* One row of the route table, for listings (the API reference check). */
struct dcre_route_info {
	enum dcre_api api;
	enum dcre_op op;
	bool post;  /* POST too; every route takes GET, HEAD and OPTIONS */
	bool patch; /* PATCH too (Redfish) */
	bool get;   /* GET and HEAD (every route but a Redfish action) */
	enum dcre_route_effect effect;
	const char *pattern; /* "opendcre/1.3/scan/{rack}": segments, '{name}' a variable; static */
};

/* Row i of the route table, in matching order; false when i is past the
 * end. */
bool dcre_route_info(size_t i, struct dcre_route_info *out);

/* Match method + path. HEAD is treated as GET. m->var point into p. A
 * Redfish path ("/redfish/...") may end in '/'. */
enum dcre_route_result dcre_route_match(const struct dcre_path *p, const char *method,
                                        struct dcre_route_match *m);

#endif
