/* SPDX-License-Identifier: MIT */
/* In-process tests of the command layer: requests through the real handler
 * (fcgi-app/handler.c: URL normalisation, the route table, the command
 * layer, rendering; its FastCGI calls are replaced by an in-memory request
 * here) over the fake transport (test/fake/fake_transport.h), configured and
 * opened through the registry of the tests like any transport.
 *
 * 1. Every OpenDCRE API row of the route table (dcre_route_info) is reached by at least
 *    one case of the answer table, on a bus board and, where the route names
 *    a board, on a one-board server too.
 * 2. Each case's answer (status and body, byte for byte).
 * 3. Board resolution's error paths in both API versions, with their exact
 *    messages (as api.md and test/integration/test_api.py have them).
 *
 * TEST_COMMAND_PRINT=1 prints every answer as a C literal (for writing a new
 * case; check it against etc/doc/api.md before pasting it in). */
#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "command.h"
#include "config.h"
#include "fake_fcgi.h"
#include "fake_registry.h"
#include "fake_transport.h"
#include "handler.h"
#include "log.h"
#include "route.h"
#include "tap.h"
#include "url.h"

/* ---- the worker ---- */

static char dir[64];
static struct dcre_config *cfg;
static struct dcre_ctx *ctx;

/* a fake bus (00f00000-00ffffff) and two fake servers; "beef" is a
 * hostname that is valid hex, so it is read as a board id */
static const char config_text[] =
    "{\"fake\": {\"rack_id\": \"rack_1\", \"servers\": ["
    "  {\"board_id\": \"50000001\", \"hostnames\": [\"srv-a\"], \"ip_addresses\": "
    "[\"192.0.2.50\"]},"
    "  {\"board_id\": \"50000002\", \"hostnames\": [\"srv-b\", \"beef\"], \"ip_addresses\": "
    "[\"192.0.2.52\"]}]},"
    " \"scan_cache\": {\"file\": \"scan.json\", \"cache_timeout\": 600}}";

static void cleanup(void)
{
	fake_remove_dir(dir);
}

static int setup(void)
{
	char path[128];

	snprintf(dir, sizeof(dir), "%s/dcre-cmd-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 0;
	atexit(cleanup);
	snprintf(path, sizeof(path), "%s/dcre.json", dir);
	FILE *f = fopen(path, "w");
	if (!f || fputs(config_text, f) < 0 || fclose(f) != 0)
		return 0;
	cfg = dcre_config_load(path, fake_registry(), NULL, stderr);
	if (!cfg)
		return 0;
	ctx = dcre_ctx_new(cfg, NULL);
	return dcre_ctx_count(ctx) == 3;
}

/* One request: *status and the body (after the head of its output). */
static const char *serve(const char *method, const char *target, int *status)
{
	char *env[4];
	env[0] = dcre_xasprintf("REQUEST_METHOD=%s", method);
	env[1] = dcre_xasprintf("REQUEST_URI=%s", target);
	env[2] = dcre_xstrdup("REMOTE_USER=tester");
	env[3] = NULL;
	FCGX_Request req;
	memset(&req, 0, sizeof(req));
	req.envp = env;
	fake_fcgi_reset();
	dcre_handler_serve(ctx, &req);
	for (int i = 0; i < 3; i++)
		free(env[i]);
	*status = 0;
	const char *out = fake_fcgi_output(NULL);
	if (sscanf(out, "Status: %d ", status) != 1)
		return "";
	const char *end = strstr(out, "\r\n\r\n");
	return end ? end + 4 : "";
}

/* Print s as a C string literal. */
static void print_literal(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if (*s == '\n')
			printf("\\n\"\n\"");
		else if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			printf("\\x%02x\"\"", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* ---- 1 and 2: the answer of every route ---- */

struct answer_case {
	const char *method; /* NULL: GET */
	const char *target;
	int status;
	const char *body;
};

#include "test_command_answers.h"

/* Does the request path match the route pattern's shape (same segments,
 * literal segments equal)? */
static bool pattern_matches(const char *pattern, const char *target)
{
	struct dcre_path p;
	struct dcre_msg why;
	bool ok = true;
	if (dcre_url_normalise(target, false, &p, &why) != DCRE_OK)
		return false;
	const char *s = pattern;
	size_t i = 0;
	while (ok && *s) {
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (i >= p.nseg)
			ok = false;
		else if (s[0] != '{' && (strlen(p.seg[i]) != len || strncmp(p.seg[i], s, len) != 0))
			ok = false;
		i++;
		s += len + (e ? 1 : 0);
	}
	ok = ok && i == p.nseg;
	dcre_path_free(&p);
	return ok;
}

/* A one-board server's id or name in a target. */
static bool names_server(const char *target)
{
	return strstr(target, "/5000000") || strstr(target, "/srv-") ||
	       strstr(target, "/192.0.2.5");
}

static void check_routes(void)
{
	const size_t n = sizeof(answers) / sizeof(answers[0]);
	struct dcre_route_info r;
	size_t rows = 0;

	for (size_t i = 0; dcre_route_info(i, &r); i++) {
		/* the other front ends over the same backends have suites of their
		 * own: metrics (test/metrics), Redfish (test/redfish_service) */
		if (r.api == DCRE_API_REDFISH || r.op == DCRE_OP_METRICS)
			continue;
		size_t bus = 0, server = 0;
		bool post_seen = false;
		for (size_t k = 0; k < n; k++) {
			if (!pattern_matches(r.pattern, answers[k].target))
				continue;
			if (names_server(answers[k].target))
				server++;
			else
				bus++;
			post_seen |= answers[k].method && strcmp(answers[k].method, "POST") == 0;
		}
		bool wants_server = strstr(r.pattern, "{board}") != NULL;
		tap_ok(bus > 0 && (!wants_server || server > 0) && (!r.post || post_seen),
		       "route %s%s: %zu case(s) on the fake bus, %zu on a fake server%s", r.pattern,
		       r.post ? " (GET and POST)" : "", bus, server,
		       r.post && !post_seen ? ", POST missing" : "");
		rows++;
	}
	tap_ok(rows >= 40, "the route table has its %zu rows", rows);
}

static void check_answers(bool print)
{
	for (size_t k = 0; k < sizeof(answers) / sizeof(answers[0]); k++) {
		const struct answer_case *c = &answers[k];
		const char *method = c->method ? c->method : "GET";
		int status;
		const char *body = serve(method, c->target, &status);
		if (print) {
			printf("    {%s%s%s, \"%s\", %d,\n     ", c->method ? "\"" : "",
			       c->method ? c->method : "NULL", c->method ? "\"" : "", c->target,
			       status);
			print_literal(body);
			printf("},\n");
			continue;
		}
		tap_is_int(status, c->status, "%s %s: status", method, c->target);
		tap_is_str(body, c->body, "%s %s: body", method, c->target);
	}
}

/* ---- 3: board resolution's errors ---- */

struct resolve_case {
	const char *what, *target;
	int status;
	const char *message;
};

static const struct resolve_case resolve_cases[] = {
    /* 1.2: board ids are non-negative hex; bit 30 names a one-board backend */
    {"1.2 board not hex", "/opendcre/1.2/version/xyz", 500,
     "Error converting board_num to integer (board 'xyz' is not a non-negative hex number)"},
    {"1.2 negative board", "/opendcre/1.2/read/thermistor/-1/0001", 500,
     "Error converting board_num to integer (board '-1' is not a non-negative hex number)"},
    {"1.2 board above 00ffffff without bit 30", "/opendcre/1.2/version/1000000", 500,
     "Error converting board_num to integer (board '1000000' is above 00ffffff and is not a "
     "bridge board id)"},
    {"1.2 board 3fffffff is out of the 1.2 range", "/opendcre/1.2/version/3fffffff", 500,
     "Error converting board_num to integer (board '3fffffff' is above 00ffffff and is not a "
     "bridge board id)"},
    {"1.2 bit 30, no such one-board backend", "/opendcre/1.2/version/40000001", 500,
     "BMC with board_num was not found. (board 40000001, no IPMI or Redfish board has this id)"},
    {"1.2 bit 30, outside every space", "/opendcre/1.2/scan/50000009", 500,
     "BMC with board_num was not found. (board 50000009, no IPMI or Redfish board has this id)"},
    {"1.2 bus id with no bus configured", "/opendcre/1.2/version/1", 500,
     "No PLC bus is configured (board 00000001)"},
    {"1.2 bus id with no bus configured (read)", "/opendcre/1.2/read/thermistor/00ffff/0001", 500,
     "No PLC bus is configured (board 0000ffff)"},
    {"1.2 device not hex", "/opendcre/1.2/read/thermistor/f00001/xyz", 500,
     "Error converting device_num to integer (device 'xyz' is not a non-negative hex number)"},
    {"1.2 device name on a server", "/opendcre/1.2/read/temperature/50000001/cpu%20temp", 500,
     "Error converting device_num to integer (device 'cpu temp' is not a non-negative hex "
     "number)"},
    {"1.2 names are not board ids", "/opendcre/1.2/version/srv-a", 500,
     "Error converting board_num to integer (board 'srv-a' is not a non-negative hex number)"},
    /* 1.3: ids, then names and addresses of one-board backends */
    {"1.3 text board id", "/opendcre/1.3/version/rack_1/node-1", 500,
     "Board ID (\"node-1\") not associated with any registered devicebus handler."},
    {"1.3 id outside every space", "/opendcre/1.3/version/rack_1/50000000", 500,
     "Board ID (0x50000000) not associated with any registered devicebus handler."},
    {"1.3 one-board space, none configured", "/opendcre/1.3/version/rack_1/40000000", 500,
     "Board ID (0x40000000) not associated with any registered devicebus handler."},
    {"1.3 Redfish space, none configured", "/opendcre/1.3/scan/rack_1/70000001", 500,
     "Board ID (0x70000001) not associated with any registered devicebus handler."},
    {"1.3 id wider than 32 bits is a name", "/opendcre/1.3/version/rack_1/100000000", 500,
     "Board ID (\"100000000\") not associated with any registered devicebus handler."},
    {"1.3 negative id is a name", "/opendcre/1.3/version/rack_1/-1", 500,
     "Board ID (\"-1\") not associated with any registered devicebus handler."},
    {"1.3 bus id with no bus configured", "/opendcre/1.3/version/rack_1/00000001", 500,
     "No PLC bus is configured (board 00000001)"},
    {"1.3 a hex hostname is read as a board id", "/opendcre/1.3/host_info/rack_1/beef/system", 500,
     "No PLC bus is configured (board 0000beef)"},
    {"1.3 names are case-sensitive", "/opendcre/1.3/host_info/rack_1/SRV-A/system", 500,
     "Board ID (\"SRV-A\") not associated with any registered devicebus handler."},
    {"1.3 bus device not hex", "/opendcre/1.3/read/thermistor/rack_1/00f00001/abcz", 500,
     "Fake bus: device id 'abcz' of board 00f00001 is not a hex number"},
    {"1.3 wide device id of a server is no device",
     "/opendcre/1.3/read/temperature/rack_1/srv-a/10000", 500,
     "Fake server board 50000001 has no temperature device '10000'"},
    {"1.3 server device name of another type",
     "/opendcre/1.3/read/temperature/rack_1/srv-a/fan%201", 500,
     "Fake server board 50000001 has no temperature device 'fan 1'"},
};

static void check_resolve(void)
{
	for (size_t k = 0; k < sizeof(resolve_cases) / sizeof(resolve_cases[0]); k++) {
		const struct resolve_case *c = &resolve_cases[k];
		int status;
		const char *body = serve("GET", c->target, &status);
		tap_is_int(status, c->status, "%s: %s: status", c->what, c->target);
		cJSON *doc = cJSON_Parse(body);
		tap_is_str(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "message")), c->message,
		           "%s: message", c->what);
		cJSON_Delete(doc);
	}
}

int main(void)
{
	bool print = getenv("TEST_COMMAND_PRINT") != NULL;
	dcre_log_set_level(DCRE_LOG_ERROR);
	if (!tap_ok(setup(), "the fake transport is configured and opened through the registry"))
		return 1;
	check_routes();
	check_answers(print);
	if (!print)
		check_resolve();
	dcre_ctx_free(ctx);
	dcre_config_free(cfg);
	fake_fcgi_free();
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
