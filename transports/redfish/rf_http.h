/* SPDX-License-Identifier: MIT */
/* The HTTP client of one Redfish server in one worker (redfish.md §3): one
 * libcurl easy handle, kept for the worker's life so connections are reused;
 * session login (X-Auth-Token) with the HTTP Basic fallback, one re-login on
 * a 401, logout when freed; TLS verification; a connect and a total timeout
 * on every call; same-host 307/308 redirects of a GET followed by us (never
 * by libcurl, never to another host); If-Match with one retry on 412; 202
 * task monitors followed to completion within the timeout.
 *
 * Every failure is reported in msg as "<label>: <METHOD> <path>: <cause>" or
 * "<label>: <METHOD> <path> answered <status> (<Redfish message>)". Passwords,
 * tokens and Authorization headers never reach a message or the log. */
#ifndef RF_HTTP_H
#define RF_HTTP_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "bridge_config.h"
#include "err.h"

struct rf_http;

/* Which credentials a request carries. */
enum rf_cred {
	RF_CRED_NONE,    /* /redfish and the service root (§4 step 1) */
	RF_CRED_SESSION, /* the session token, or Basic after the fallback */
	RF_CRED_BASIC,   /* HTTP Basic, whatever the session state */
};

/* A client for sv (borrowed; must outlive the client). Opens no connection
 * until the first request. Caller frees with rf_http_free(). */
struct rf_http *rf_http_new(const struct dcre_redfish_server *sv);
/* Deletes the session (best effort, bounded by the timeout), then frees.
 * NULL-safe. */
void rf_http_free(struct rf_http *h);

/* "Redfish board 70000000 (https://10.0.0.9:443)". Valid until h is freed. */
const char *rf_http_label(const struct rf_http *h);
/* HTTP status of the last answer; 0 when the last request got no answer
 * (connection, TLS or timeout failure). */
long rf_http_status(const struct rf_http *h);

/* One operation (an API request to this server): from now on every HTTP
 * request is bounded by one deadline, budget seconds from now (each libcurl
 * call gets the time left, at most the per-request timeout), and at most
 * max_requests requests are sent (task monitor polls, paced and bounded by
 * time, are not counted). Past either, a request is not sent and fails
 * naming the cause (DCRE_ETIMEDOUT, DCRE_EPROTO). Ends the previous one. */
void rf_http_op_begin(struct rf_http *h, double budget, unsigned max_requests);
/* Give the current operation extra time and requests (PowerState polling
 * after a reset, redfish.md §5). No-op without an operation. */
void rf_http_op_extend(struct rf_http *h, double seconds, unsigned requests);
/* No operation: requests are bounded by the per-request timeout only. */
void rf_http_op_end(struct rf_http *h);
/* Seconds left of the current operation (a large value without one). */
double rf_http_op_left(const struct rf_http *h);

/* The sessions collection found by discovery (NULL: none). Clears a Basic
 * fallback, so the next request tries a session login again; a live session
 * is kept. */
void rf_http_set_sessions(struct rf_http *h, const char *path);

/* GET path (a path or a same-origin URL); a 2xx answer whose body is a JSON
 * object is success. *json: caller frees with cJSON_Delete. etag (may be
 * NULL): the ETag header, else the body's @odata.etag, else NULL; caller
 * frees. */
enum dcre_err rf_http_get(struct rf_http *h, const char *path, enum rf_cred cred, cJSON **json,
                          char **etag, struct dcre_msg *msg);

/* PATCH path with body, If-Match: etag when etag is not NULL. A 412 makes it
 * GET path again and repeat the PATCH once with the new ETag. */
enum dcre_err rf_http_patch(struct rf_http *h, const char *path, const cJSON *body,
                            const char *etag, struct dcre_msg *msg);

/* POST an action. A 202 with a task monitor (Location) is polled until the
 * task is done, within the timeout. *accepted tells whether the service took
 * the action (a 2xx to the POST), also when following its task failed. */
enum dcre_err rf_http_post_action(struct rf_http *h, const char *path, const cJSON *body,
                                  bool *accepted, struct dcre_msg *msg);

#endif
