/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: one request through the real handler (URL
 * normalisation, route table, command layer, rendering) over the fake
 * transport (test/fake/fake_transport.h), configured and opened through the
 * registry of the tests like any transport: a fake bus (boards
 * 00f00000-00ffffff) and two fake servers (50000001, 50000002). The FastCGI
 * calls the handler makes are replaced here by an in-memory request.
 *
 * Input: "[METHOD ]TARGET[\nREMOTE_USER[\nBUS]]". METHOD is 1-10 capital letters;
 * "METHOD! TARGET" passes TARGET as PATH_INFO (already decoded) instead of
 * REQUEST_URI, and "REJ TARGET" passes it as a request line the web server
 * refused (OPENDCRE_REJECTED_REQUEST). Without METHOD the method is GET.
 * BUS (at most 246 bytes, the PLC packet limit) replaces the canned payload
 * of every fake bus answer: what a hostile or broken board would send.
 *
 * Asserted on every answer: a well-formed CGI head with one of the API's
 * status codes and a matching Content-Length, and a body that is a strict
 * UTF-8 JSON object (with "message" on errors); only OPTIONS has none.
 * With FUZZ_ECHO set in the environment every answer is printed. */
#include <fcgiapp.h>
#include <stdint.h>
#include <stdbool.h>
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
#include "fuzz_check.h"
#include "handler.h"

/* ---- the worker state: a configuration loaded from a temporary dir ---- */

static char dir[64];
static struct dcre_config *cfg;
static struct dcre_ctx *ctx;

static const char config_text[] =
    "{\"fake\": {\"rack_id\": \"rack_1\", \"servers\": ["
    "  {\"board_id\": \"50000001\", \"hostnames\": [\"srv-a\"], \"ip_addresses\": [\"10.0.0.5\"]},"
    "  {\"board_id\": \"50000002\", \"hostnames\": [\"srv-b\"]}]},"
    " \"scan_cache\": {\"file\": \"scan.json\", \"cache_timeout\": 600},"
    " \"log\": {\"level\": \"debug\", \"target\": \"stderr\"}}";

static void cleanup(void)
{
	fake_remove_dir(dir);
}

static void setup(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	char path[128];

	fuzz_quiet_log();
	snprintf(dir, sizeof(dir), "%s/dcre-fuzz-XXXXXX", base);
	fuzz_require(mkdtemp(dir) != NULL, "mkdtemp");
	atexit(cleanup);
	snprintf(path, sizeof(path), "%s/dcre.json", dir);
	FILE *f = fopen(path, "w");
	fuzz_require(f && fputs(config_text, f) >= 0 && fclose(f) == 0, "write the configuration");
	cfg = dcre_config_load(path, fake_registry(), NULL, stderr);
	fuzz_require(cfg != NULL, "the fuzz configuration loads");
	ctx = dcre_ctx_new(cfg, NULL);
	fuzz_require(dcre_ctx_count(ctx) == 3, "a fake bus and two fake servers");
}

/* ---- the checks of one answer ---- */

static void check_answer(const char *method)
{
	size_t out_len;
	const char *out_buf = fake_fcgi_output(&out_len);
	fuzz_require(out_len > 0, "the handler answered");
	const char *end = strstr(out_buf, "\r\n\r\n");
	fuzz_require(end != NULL, "the head ends with an empty line");
	int status = 0;
	fuzz_require(sscanf(out_buf, "Status: %d ", &status) == 1, "a Status line comes first");
	const char *ct = strstr(out_buf, "Content-Type: ");
	fuzz_require(ct && ct < end, "a Content-Type header");
	ct += 14;
	/* the other front ends over the same backends: Redfish (JSON of its
	 * own, more statuses) and the metrics (Prometheus text) */
	bool redfish = strncmp(ct, "application/json; charset=utf-8\r\n", 33) == 0;
	bool metrics = strncmp(ct, "text/plain; version=0.0.4; charset=utf-8\r\n", 42) == 0;
	fuzz_require(redfish || metrics || strncmp(ct, "application/json\r\n", 18) == 0,
	             "Content-Type is application/json (Redfish: with charset; metrics: text)");
	if (redfish)
		fuzz_require(status == 200 || status == 204 || status == 400 || status == 403 ||
		                 status == 404 || status == 405 || status == 412 || status == 413 ||
		                 status == 500 || status == 501,
		             "a Redfish status");
	else
		fuzz_require(status == 200 || status == 400 || status == 404 || status == 405 ||
		                 status == 500,
		             "the status is one of 200, 400, 404, 405, 500");
	const char *cl = strstr(out_buf, "Content-Length: ");
	fuzz_require(cl && cl < end, "a Content-Length header");
	size_t body_len = strtoul(cl + 16, NULL, 10);
	const char *body = end + 4;
	fuzz_require(body_len == out_len - (size_t)(body - out_buf),
	             "Content-Length is the body's length");
	if (body_len == 0) {
		fuzz_require((status == 200 && strcmp(method, "OPTIONS") == 0) ||
		                 (redfish && (status == 204 || strcmp(method, "HEAD") == 0)),
		             "only OPTIONS (Redfish: 204, HEAD) answers without a body");
		return;
	}
	if (metrics) {
		size_t bad;
		fuzz_require(status == 200 && fuzz_utf8_valid(body, body_len, &bad),
		             "the metrics are UTF-8 text");
		return;
	}
	fuzz_require_json("answer body", body, body_len);
	cJSON *doc = cJSON_ParseWithLength(body, body_len);
	fuzz_require(cJSON_IsObject(doc), "the body is a JSON object");
	if (status >= 400)
		fuzz_require(redfish ? cJSON_IsObject(cJSON_GetObjectItem(doc, "error"))
		                     : cJSON_IsString(cJSON_GetObjectItem(doc, "message")),
		             "an error body has a message (Redfish: an error object)");
	cJSON_Delete(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!cfg)
		setup();
	if (size > 65536)
		return 0;

	char *in = dcre_xstrndup((const char *)data, size); /* stops at a NUL byte */
	char method[16] = "GET";
	char *target = in;
	enum { URI, PATH_INFO, REJECTED } mode = URI;
	size_t m = strspn(in, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
	if (m > 0 && m <= 10 && (in[m] == ' ' || (in[m] == '!' && in[m + 1] == ' '))) {
		memcpy(method, in, m);
		method[m] = '\0';
		mode = in[m] == '!' ? PATH_INFO : strcmp(method, "REJ") == 0 ? REJECTED : URI;
		target = in + m + (in[m] == '!' ? 2 : 1);
	}
	char *user = strchr(target, '\n');
	if (user)
		*user++ = '\0';
	char *bus = user ? strchr(user, '\n') : NULL;
	if (bus) {
		*bus++ = '\0';
		size_t n = strlen(bus);
		fake_bus_set_answer(bus, n > 246 ? 246 : n); /* PLC_MAX_DATA */
	} else {
		fake_bus_set_answer(NULL, 0);
	}

	char *env[5];
	size_t n = 0;
	env[n++] = dcre_xasprintf("REQUEST_METHOD=%s", mode == REJECTED ? "GET" : method);
	if (mode == URI)
		env[n++] = dcre_xasprintf("REQUEST_URI=%s", target);
	else if (mode == PATH_INFO)
		env[n++] = dcre_xasprintf("PATH_INFO=%s", target);
	else
		env[n++] = dcre_xasprintf("OPENDCRE_REJECTED_REQUEST=%s", target);
	if (user)
		env[n++] = dcre_xasprintf("REMOTE_USER=%s", user);
	env[n] = NULL;

	FCGX_Request req;
	memset(&req, 0, sizeof(req));
	req.envp = env;
	fake_fcgi_reset();
	dcre_handler_serve(ctx, &req);
	if (getenv("FUZZ_ECHO")) /* for looking at the answers of a corpus */
		fprintf(stderr, "%s %s\n%s\n\n", method, target, fake_fcgi_output(NULL));
	check_answer(mode == REJECTED ? "GET" : method);

	for (size_t i = 0; i < n; i++)
		free(env[i]);
	free(in);
	return 0;
}
