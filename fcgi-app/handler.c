/* SPDX-License-Identifier: MIT */
#include "handler.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "json_out.h"
#include "log.h"
#include "metrics.h"
#include "number.h"
#include "rf_http.h"
#include "route.h"
#include "stats.h"
#include "text.h"
#include "url.h"

#define MAX_BODY_DRAIN (1024 * 1024)

const char *dcre_http_status_line(int status)
{
	switch (status) {
	case 200:
		return "200 OK";
	case 204:
		return "204 No Content";
	case 400:
		return "400 Bad Request";
	case 403:
		return "403 Forbidden";
	case 404:
		return "404 Not Found";
	case 405:
		return "405 Method Not Allowed";
	case 412:
		return "412 Precondition Failed";
	case 413:
		return "413 Payload Too Large";
	default:
		return "500 Internal Server Error";
	}
}

/* The operation of the request being answered (DCRE_OP_NONE until a
 * route matched), for the request counters. A worker serves one request
 * at a time. */
static enum dcre_op serving;

static void reply_text(FCGX_Request *req, int status, const char *type, const char *allow,
                       const char *text, size_t len)
{
	dcre_stats_request(serving, status);
	char head[320];
	int n = snprintf(head, sizeof(head),
	                 "Status: %s\r\nContent-Type: %s\r\n"
	                 "Access-Control-Allow-Origin: *\r\nCache-Control: no-store\r\n"
	                 "Content-Length: %zu\r\n%s%s%s\r\n",
	                 dcre_http_status_line(status), type, len, allow ? "Allow: " : "",
	                 allow ? allow : "", allow ? "\r\n" : "");
	FCGX_PutStr(head, n, req->out);
	if (text && len)
		FCGX_PutStr(text, (int)len, req->out);
}

static void reply(FCGX_Request *req, int status, const char *allow, cJSON *body)
{
	size_t len = 0;
	char *text = body ? dcre_json_print(body, &len) : NULL;

	reply_text(req, status, "application/json", allow, text, len);
	free(text);
}

/* The version's error body (api.md §3.1); message is sanitised to UTF-8. */
static cJSON *error_body(enum dcre_api api, int status, const char *message)
{
	cJSON *body = cJSON_CreateObject();
	if (api == DCRE_API_13)
		cJSON_AddItemToObject(body, "http_code", dcre_json_int(status));
	char *text = dcre_text_clean(message, strlen(message));
	cJSON_AddStringToObject(body, "message", text);
	free(text);
	return body;
}

static void reply_error(FCGX_Request *req, enum dcre_api api, int status, const char *allow,
                        const char *message)
{
	cJSON *body = error_body(api, status, message);
	reply(req, status, allow, body);
	cJSON_Delete(body);
}

static void bad_request(FCGX_Request *req, enum dcre_api api, const char *reason)
{
	char text[DCRE_MSG_MAX + 128];
	if (api == DCRE_API_12) {
		snprintf(text, sizeof(text), "400: Bad Request (%s)", reason);
	} else {
		char r[DCRE_MSG_MAX];
		snprintf(r, sizeof(r), "%s", reason);
		r[0] = (char)toupper((unsigned char)r[0]);
		snprintf(text, sizeof(text),
		         "The browser (or proxy) sent a request that this server could not "
		         "understand. %s.",
		         r);
	}
	reply_error(req, api, 400, NULL, text);
}

bool dcre_handler_read_input(FCGX_Request *req)
{
	char buf[4096];
	long total = 0;
	int n;

	while (total < MAX_BODY_DRAIN && (n = FCGX_GetStr(buf, sizeof(buf), req->in)) > 0)
		total += n;
	return FCGX_HasSeenEOF(req->in) == EOF;
}

/* The request line "METHOD TARGET VERSION" a web server refused: a 400 with
 * the reason the service itself finds, or a generic one. */
static void reject_request_line(FCGX_Request *req, const char *line)
{
	const char *sp = strchr(line, ' ');
	const char *end = sp ? strrchr(sp + 1, ' ') : NULL;
	char *target =
	    sp ? dcre_xstrndup(sp + 1, end && end > sp ? (size_t)(end - sp - 1) : strlen(sp + 1))
	       : dcre_xstrdup("");
	struct dcre_path path = {0};
	struct dcre_msg msg;

	if (dcre_url_normalise(target, false, &path, &msg) == DCRE_OK)
		dcre_msg_set(&msg, DCRE_EINVAL, "the web server refused the request line");
	bad_request(req, dcre_route_api_raw(target), msg.text);
	dcre_path_free(&path);
	free(target);
}

/* ---- audit log: one line per state-changing request ---------------------
 * The web server authenticates; the service trusts REMOTE_USER because its
 * socket is private. Every request of a route that changes state (the route
 * table's effect: power actions other than status, LED set, fan set, boot
 * target set and forced scan) is logged at info level with the user, the
 * route, the target and the outcome. */

/* Copy src into dst (size cap) for a log line: control bytes, non-ASCII
 * bytes, backslashes and (unless keep_space) spaces become \xNN (the log
 * writer's escaping, plus backslash and space so the fields of the line stay
 * unambiguous); a text that does not fit ends in "...". NULL or empty gives
 * "-". */
static const char *audit_text(char *dst, size_t cap, const char *src, bool keep_space)
{
	unsigned flags = DCRE_LOG_ESC_BACKSLASH | (keep_space ? 0 : DCRE_LOG_ESC_SPACE);
	size_t len;

	if (!src || !*src)
		src = "-";
	len = strlen(src);
	/* keep room for "..." */
	if (dcre_log_escape(dst, cap - 3, src, len, flags) < len)
		memcpy(dst + strlen(dst), "...", 4);
	return dst;
}

/* An id as the answers write it (api.md §4.1: 8 or 4 lowercase hex digits)
 * when it parses as one, else the text as given. */
static const char *audit_id(char *dst, size_t cap, const char *text, int digits)
{
	struct dcre_hexid id;
	uint64_t max = digits == 8 ? 0xffffffffu : 0xffffu;

	if (text && dcre_number_parse_hex(text, &id) == DCRE_OK && !id.negative && !id.overflow &&
	    id.value <= max) {
		snprintf(dst, cap, "%0*llx", digits, (unsigned long long)id.value);
		return dst;
	}
	return audit_text(dst, cap, text, false);
}

void dcre_handler_audit(FCGX_Request *req, const struct dcre_route_match *m, const char *method,
                        const char *uri, const char *outcome)
{
	char user[256], meth[64], route[1024], board[128], device[128];
	size_t route_len = strcspn(uri, "?");
	char *path = dcre_xstrndup(uri, route_len);

	audit_text(user, sizeof(user), FCGX_GetParam("REMOTE_USER", req->envp), false);
	audit_text(meth, sizeof(meth), method, false);
	audit_text(route, sizeof(route), path, false);
	audit_id(board, sizeof(board), m->var[DCRE_VAR_BOARD], 8);
	audit_id(device, sizeof(device), m->var[DCRE_VAR_DEVICE], 4);
	dcre_info("audit: user=%s method=%s route=%s board=%s device=%s outcome=%s", user, meth,
	          route, board, device, outcome);
	free(path);
}

bool dcre_handler_forbidden(FCGX_Request *req, const struct dcre_route_match *m, const char **role)
{
	const char *r = FCGX_GetParam("OPENDCRE_ROLE", req->envp);

	*role = r;
	return m->changes && r && strcmp(r, "operator") != 0;
}

void dcre_handler_audit_refusal(FCGX_Request *req, const struct dcre_route_match *m,
                                const char *method, const char *uri, const char *role)
{
	char text[128], outcome[160];

	audit_text(text, sizeof(text), role, false);
	snprintf(outcome, sizeof(outcome), "403 forbidden role=%s", text);
	dcre_handler_audit(req, m, method, uri, outcome);
}

static void audit(FCGX_Request *req, const struct dcre_route_match *m, const char *method,
                  const char *uri, enum dcre_err e, const struct dcre_msg *msg)
{
	if (!m->changes)
		return;

	char outcome[DCRE_MSG_MAX + 16];
	if (e) {
		char text[DCRE_MSG_MAX];
		audit_text(text, sizeof(text), msg->text[0] ? msg->text : dcre_strerror(e), true);
		snprintf(outcome, sizeof(outcome), "500 %s", text);
	} else {
		snprintf(outcome, sizeof(outcome), "200");
	}
	dcre_handler_audit(req, m, method, uri, outcome);
}

void dcre_handler_serve(struct dcre_ctx *ctx, FCGX_Request *req)
{
	const char *method = FCGX_GetParam("REQUEST_METHOD", req->envp);
	const char *uri = FCGX_GetParam("REQUEST_URI", req->envp);
	struct dcre_path path = {0};
	struct dcre_route_match m;
	struct dcre_msg msg;
	char *joined = NULL;
	bool decoded = false;

	serving = DCRE_OP_NONE;
	dcre_metrics_settle(); /* no reading thread may still use a backend */
	if (!method)
		method = "GET";
	const char *rejected = FCGX_GetParam("OPENDCRE_REJECTED_REQUEST", req->envp);
	if (rejected) {
		/* nginx's error_page for a request line it refused to parse itself
		 * (etc/nginx/opendcre.conf): answer the version's JSON 400 */
		reject_request_line(req, rejected);
		goto out;
	}
	if (!uri) {
		const char *sn = FCGX_GetParam("SCRIPT_NAME", req->envp);
		const char *pi = FCGX_GetParam("PATH_INFO", req->envp);
		joined = dcre_xasprintf("%s%s", sn ? sn : "", pi ? pi : "");
		uri = joined;
		decoded = true;
	}
	if (dcre_url_normalise(uri, decoded, &path, &msg) != DCRE_OK) {
		bad_request(req, dcre_route_api_raw(uri), msg.text);
		goto out;
	}
	if (dcre_rf_http_is(&path)) {
		dcre_rf_http_serve(ctx, req, &path, method, uri);
		goto out;
	}
	switch (dcre_route_match(&path, method, &m)) {
	case DCRE_ROUTE_NOT_FOUND:
		if (dcre_route_api(&path) == DCRE_API_12)
			reply_error(req, DCRE_API_12, 404, NULL, "404: Not Found");
		else
			reply_error(req, DCRE_API_13, 404, NULL,
			            "The requested URL was not found on the server.  If you "
			            "entered the URL manually please check your spelling and try "
			            "again.");
		goto out;
	case DCRE_ROUTE_BAD_METHOD:
		serving = m.op;
		reply_error(req, m.api, 405, m.allow,
		            m.api == DCRE_API_12
		                ? "405: Method Not Allowed"
		                : "The method is not allowed for the requested URL.");
		goto out;
	case DCRE_ROUTE_OPTIONS:
		serving = m.op;
		reply(req, 200, m.allow, NULL);
		goto out;
	case DCRE_ROUTE_OK:
		break;
	}
	serving = m.op;
	const char *role;
	if (dcre_handler_forbidden(req, &m, &role)) {
		/* a viewer's state change: nothing runs, the refusal is audited */
		dcre_handler_audit_refusal(req, &m, method, uri, role);
		reply_error(
		    req, m.api, 403, NULL,
		    m.api == DCRE_API_12
		        ? "403: Forbidden"
		        : "You do not have the permission to access the requested resource. "
		          "It is either read-protected or not readable by the server.");
		goto out;
	}
	cJSON *body = NULL;
	char *text = NULL;
	size_t len = 0;
	enum dcre_err e;
	if (m.text) {
		msg.text[0] = '\0';
		e = m.text(ctx, &m, &text, &len, &msg);
	} else {
		e = dcre_command_run(ctx, &m, &body, &msg);
	}
	audit(req, &m, method, uri, e, &msg);
	if (e) {
		dcre_warn("%s %s: %s", method, uri, msg.text);
		reply_error(req, m.api, 500, NULL, msg.text[0] ? msg.text : dcre_strerror(e));
	} else if (m.text) {
		reply_text(req, 200, m.content_type, NULL, text, len);
	} else {
		reply(req, 200, NULL, body);
	}
	free(text);
	cJSON_Delete(body);
out:
	dcre_path_free(&path);
	free(joined);
}
