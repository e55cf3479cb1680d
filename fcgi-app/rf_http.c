/* SPDX-License-Identifier: MIT */
#include "rf_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "handler.h"
#include "json_out.h"
#include "log.h"
#include "stats.h"
#include "redfish_proto.h"
#include "redfish_res.h"
#include "route.h"

bool dcre_rf_http_is(const struct dcre_path *p)
{
	return p->nseg >= 1 && strcmp(p->seg[0], "redfish") == 0;
}

static void send_reply(FCGX_Request *req, const struct dcre_rf_reply *r, const char *allow)
{
	size_t len = 0;
	char *text = NULL;
	const char *type = "application/json; charset=utf-8";

	dcre_stats_request(DCRE_OP_REDFISH, r->status);
	if (r->body)
		text = dcre_json_print(r->body, &len);
	else if (r->text) {
		text = dcre_xstrdup(r->text);
		len = strlen(text);
		type = r->content_type ? r->content_type : "text/plain";
	}
	char head[512];
	int n = snprintf(head, sizeof(head),
	                 "Status: %s\r\nOData-Version: 4.0\r\nCache-Control: no-store\r\n",
	                 dcre_http_status_line(r->status));
	if (r->status != 204)
		n += snprintf(head + n, sizeof(head) - (size_t)n,
		              "Content-Type: %s\r\nContent-Length: %zu\r\n", type, len);
	if (r->etag[0])
		n += snprintf(head + n, sizeof(head) - (size_t)n, "ETag: %s\r\n", r->etag);
	if (allow && *allow)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "Allow: %s\r\n", allow);
	if (r->status == 200 && !r->text)
		n += snprintf(head + n, sizeof(head) - (size_t)n,
		              "Link: </redfish/v1/$metadata>; rel=describedby\r\n");
	n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
	FCGX_PutStr(head, n, req->out);
	if (text && len && r->status != 204)
		FCGX_PutStr(text, (int)len, req->out);
	free(text);
}

/* Read the body: true with *body (caller frees) unless it is over the
 * limit. */
static bool read_body(FCGX_Request *req, char **body, size_t *len)
{
	size_t cap = DCRE_RF_BODY_MAX + 1, n = 0;
	char *buf = dcre_xmalloc(cap + 1);
	int got;

	while (n < cap && (got = FCGX_GetStr(buf + n, (int)(cap - n), req->in)) > 0)
		n += (size_t)got;
	buf[n] = '\0';
	*body = buf;
	*len = n;
	return n <= DCRE_RF_BODY_MAX;
}

void dcre_rf_http_serve(struct dcre_ctx *ctx, FCGX_Request *req, const struct dcre_path *p,
                        const char *method, const char *uri)
{
	struct dcre_route_match m;
	struct dcre_rf_reply r = {0};
	char *body = NULL;
	size_t len = 0;

	switch (dcre_route_match(p, method, &m)) {
	case DCRE_ROUTE_NOT_FOUND: {
		size_t ulen = strcspn(uri, "?");
		char *path = dcre_xstrndup(uri, ulen);
		dcre_rf_error(&r, 404, NULL, DCRE_RF_RESOURCE_NOT_FOUND, "Resource", path);
		free(path);
		send_reply(req, &r, NULL);
		goto out;
	}
	case DCRE_ROUTE_OPTIONS:
		r.status = 204;
		send_reply(req, &r, m.allow);
		goto out;
	case DCRE_ROUTE_BAD_METHOD:
		dcre_rf_error(&r, 405, NULL, DCRE_RF_OPERATION_NOT_ALLOWED);
		send_reply(req, &r, m.allow);
		goto out;
	case DCRE_ROUTE_OK:
		break;
	}
	bool writes = strcmp(method, "PATCH") == 0 || strcmp(method, "POST") == 0;
	const char *role;
	if (dcre_handler_forbidden(req, &m, &role)) {
		/* a viewer's PATCH or POST: nothing runs, the refusal is audited */
		dcre_rf_error(&r, 403, NULL, DCRE_RF_INSUFFICIENT_PRIVILEGE);
		dcre_handler_audit_refusal(req, &m, method, uri, role);
		send_reply(req, &r, m.allow);
		goto out;
	}
	if (writes && !read_body(req, &body, &len)) {
		dcre_rf_error(&r, 413, NULL, DCRE_RF_PAYLOAD_TOO_LARGE);
	} else {
		struct dcre_rf_request rq = {.method = method,
		                             .body = body ? body : "",
		                             .body_len = len,
		                             .if_match = FCGX_GetParam("HTTP_IF_MATCH", req->envp)};
		dcre_rf_run(ctx, &m, &rq, &r);
	}
	if (m.changes) {
		char outcome[160];
		if (r.status < 300)
			snprintf(outcome, sizeof(outcome), "%d", r.status);
		else
			snprintf(outcome, sizeof(outcome), "%d %s", r.status, r.outcome);
		dcre_handler_audit(req, &m, method, uri, outcome);
	}
	if (r.status >= 500)
		dcre_warn("%s %s: %d %s", method, uri, r.status, r.outcome);
	send_reply(req, &r, m.allow);
out:
	dcre_rf_reply_clear(&r);
	free(body);
}
