/* SPDX-License-Identifier: MIT */
#include "rf_http.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alloc.h"
#include "log.h"
#include "rf_parse.h"
#include "stats.h"
#include "timeutil.h"

#define RF_BODY_MAX (4u << 20) /* larger answers are refused */
#define RF_MAX_REDIRECTS 3
#define RF_TASK_POLL_S 0.25 /* task monitor poll interval without Retry-After */

enum rf_auth {
	RF_AUTH_UNKNOWN, /* no login tried yet */
	RF_AUTH_SESSION, /* X-Auth-Token */
	RF_AUTH_BASIC,   /* fallback (§3.3 step 4) */
};

struct rf_http {
	const struct dcre_redfish_server *sv;
	CURL *curl;      /* created on first use */
	char *base;      /* "https://host:port" */
	char *host;      /* host as it appears in a URL ([v6]) */
	char label[192]; /* "Redfish board 70000000 (https://host:port)" */
	char errbuf[CURL_ERROR_SIZE];
	long timeout_ms;
	bool limited; /* the last request's time was cut to the operation's deadline */
	long status;  /* of the last answer; 0 = none */
	enum rf_auth auth;
	char *sessions;    /* sessions collection (path or URL), NULL: none */
	char *token;       /* X-Auth-Token of our session */
	char *session_url; /* absolute URL of our session, for the logout */
	struct {
		bool active;
		double deadline;   /* monotonic */
		double budget;     /* seconds, for messages */
		unsigned sent;     /* requests sent (task polls not counted) */
		unsigned max_sent; /* cap */
	} op;
};

/* One answer. */
struct rf_resp {
	long status;
	char *body;
	size_t len;
	bool too_big;
	char *etag, *location, *token, *retry_after;
	char *url; /* the request URL (absolute) */
};

static void resp_free(struct rf_resp *r)
{
	free(r->body);
	free(r->etag);
	free(r->location);
	if (r->token)
		memset(r->token, 0, strlen(r->token));
	free(r->token);
	free(r->retry_after);
	free(r->url);
	memset(r, 0, sizeof(*r));
}

static void wipe_free(char *s)
{
	if (s)
		memset(s, 0, strlen(s));
	free(s);
}

/* ---- libcurl callbacks ---- */

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct rf_resp *r = arg;
	size_t len = size * n;

	if (r->len + len > RF_BODY_MAX) {
		r->too_big = true;
		return 0; /* aborts the transfer */
	}
	r->body = dcre_xrealloc(r->body, r->len + len + 1);
	memcpy(r->body + r->len, data, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

static void set_header(char **slot, const char *v, size_t n)
{
	free(*slot);
	*slot = dcre_xstrndup(v, n);
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct rf_resp *r = arg;
	size_t len = size * n;
	const char *colon, *v, *end = data + len;
	size_t klen;

	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		/* a new response head (after 100 Continue): forget the old one */
		free(r->etag);
		free(r->location);
		wipe_free(r->token);
		free(r->retry_after);
		r->etag = r->location = r->token = r->retry_after = NULL;
		return len;
	}
	colon = memchr(data, ':', len);
	if (!colon)
		return len;
	klen = (size_t)(colon - data);
	v = colon + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (klen == 4 && strncasecmp(data, "ETag", 4) == 0)
		set_header(&r->etag, v, (size_t)(end - v));
	else if (klen == 8 && strncasecmp(data, "Location", 8) == 0)
		set_header(&r->location, v, (size_t)(end - v));
	else if (klen == 12 && strncasecmp(data, "X-Auth-Token", 12) == 0)
		set_header(&r->token, v, (size_t)(end - v));
	else if (klen == 11 && strncasecmp(data, "Retry-After", 11) == 0)
		set_header(&r->retry_after, v, (size_t)(end - v));
	return len;
}

/* ---- URLs ---- */

/* ref resolved against base (absolute URL); NULL if either does not parse.
 * Caller frees. */
static char *resolve_url(const char *base, const char *ref)
{
	CURLU *u = curl_url();
	char *out = NULL, *r = NULL;

	if (!u)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK)
		r = dcre_xstrdup(out);
	curl_free(out);
	curl_url_cleanup(u);
	return r;
}

/* Same scheme, host and port as the configured server? */
static bool same_origin(const struct rf_http *h, const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	bool ok = false;

	if (!u)
		return false;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		char *e = NULL;
		long p = strtol(port, &e, 10);
		ok = strcasecmp(scheme, h->sv->https ? "https" : "http") == 0 &&
		     strcasecmp(host, h->host) == 0 && e && !*e && p == h->sv->b.port;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ok;
}

/* The URL of a link: a path on this server or a same-origin URL. Caller
 * frees. */
static enum dcre_err make_url(const struct rf_http *h, const char *method, const char *path,
                              char **url, struct dcre_msg *msg)
{
	if (path[0] == '/') {
		*url = dcre_xasprintf("%s%s", h->base, path);
		return DCRE_OK;
	}
	if ((strncasecmp(path, "http://", 7) == 0 || strncasecmp(path, "https://", 8) == 0) &&
	    same_origin(h, path)) {
		*url = dcre_xstrdup(path);
		return DCRE_OK;
	}
	*url = NULL;
	return dcre_msg_set(msg, DCRE_EPROTO, "%s: %s %.200s: not a path on this server", h->label,
	                    method, path);
}

/* ---- one exchange ---- */

static enum dcre_err ensure_curl(struct rf_http *h, struct dcre_msg *msg)
{
	CURL *c;

	if (h->curl)
		return DCRE_OK;
	c = curl_easy_init();
	if (!c)
		return dcre_msg_set(msg, DCRE_EINTERNAL,
		                    "Internal error: %s: cannot create a libcurl handle", h->label);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROXY, ""); /* never through a proxy from the environment */
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "opendcre");
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, h->sv->verify_tls ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, h->sv->verify_tls ? 2L : 0L);
	if (h->sv->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->sv->ca_file);
	h->curl = c;
	return DCRE_OK;
}

static enum dcre_err curl_failure(struct rf_http *h, CURLcode cc, const struct rf_resp *r,
                                  const char *method, const char *path, struct dcre_msg *msg)
{
	const char *detail = h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc);
	double secs = (double)h->timeout_ms / 1000.0;
	curl_off_t connected = 0;
	enum dcre_err e = DCRE_EIO;
	char cause[CURL_ERROR_SIZE + 96];

	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(h->curl, CURLINFO_CONNECT_TIME_T, &connected);
		if (h->limited)
			snprintf(cause, sizeof(cause),
			         "%s timed out: the operation's deadline of %g s passed after %u "
			         "HTTP requests",
			         connected > 0 ? "answer" : "connect", h->op.budget, h->op.sent);
		else
			snprintf(cause, sizeof(cause), "%s timed out after %g s",
			         connected > 0 ? "answer" : "connect", secs);
		e = DCRE_ETIMEDOUT;
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		snprintf(cause, sizeof(cause), "certificate verification failed (%s)", detail);
		e = DCRE_EAUTH;
		break;
	case CURLE_SSL_CONNECT_ERROR:
		snprintf(cause, sizeof(cause), "TLS handshake failed (%s)", detail);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(cause, sizeof(cause), "cannot resolve the host name (%s)", detail);
		break;
	case CURLE_COULDNT_CONNECT:
		snprintf(cause, sizeof(cause), "cannot connect (%s)", detail);
		break;
	case CURLE_WRITE_ERROR:
		if (r->too_big) {
			snprintf(cause, sizeof(cause), "answer larger than %u bytes", RF_BODY_MAX);
			e = DCRE_EPROTO;
			break;
		}
		/* fall through */
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		snprintf(cause, sizeof(cause), "connection closed before the whole answer (%s)",
		         detail);
		break;
	default:
		snprintf(cause, sizeof(cause), "%s", detail);
		break;
	}
	dcre_debug("%s: %s %.200s: %s", h->label, method, path, cause);
	return dcre_msg_set(msg, e, "%s: %s %.200s: %s", h->label, method, path, cause);
}

enum cred_use {
	USE_NONE,
	USE_TOKEN,
	USE_BASIC,
};

/* One HTTP exchange, no auth logic, no redirects. Success = an HTTP answer
 * of any status (in r). */
static enum dcre_err perform(struct rf_http *h, const char *method, const char *path,
                             const char *body, const char *if_match, enum cred_use use, bool poll,
                             struct rf_resp *r, struct dcre_msg *msg)
{
	struct curl_slist *hdrs = NULL;
	char *hdr = NULL;
	enum dcre_err e;
	CURLcode cc;
	struct timespec t0, t1;
	long limit_ms = h->timeout_ms;

	memset(r, 0, sizeof(*r));
	h->status = 0;
	h->limited = false;
	e = ensure_curl(h, msg);
	if (e)
		return e;
	e = make_url(h, method, path, &r->url, msg);
	if (e)
		return e;
	if (h->op.active) {
		double left = h->op.deadline - dcre_time_now();
		if (!poll && h->op.sent >= h->op.max_sent)
			return dcre_msg_set(msg, DCRE_EPROTO,
			                    "%s: %s %.200s: not sent: this operation already made "
			                    "%u HTTP requests (at most %u per operation)",
			                    h->label, method, path, h->op.sent, h->op.max_sent);
		if (left < 0.001)
			return dcre_msg_set(msg, DCRE_ETIMEDOUT,
			                    "%s: %s %.200s: not sent: the operation's deadline of "
			                    "%g s passed after %u HTTP requests",
			                    h->label, method, path, h->op.budget, h->op.sent);
		if (!poll)
			h->op.sent++;
		if ((double)limit_ms > left * 1000.0) {
			limit_ms = (long)(left * 1000.0);
			h->limited = true;
		}
		if (limit_ms < 1)
			limit_ms = 1;
	}
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, limit_ms);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, limit_ms);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	hdrs = curl_slist_append(hdrs, "OData-Version: 4.0");
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (body)
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	if (if_match) {
		hdr = dcre_xasprintf("If-Match: %s", if_match);
		hdrs = curl_slist_append(hdrs, hdr);
		free(hdr);
	}
	if (use == USE_TOKEN && h->token) {
		hdr = dcre_xasprintf("X-Auth-Token: %s", h->token);
		hdrs = curl_slist_append(hdrs, hdr);
		wipe_free(hdr);
	}
	if (!hdrs) {
		e = dcre_msg_set(msg, DCRE_EINTERNAL, "Internal error: %s: out of memory",
		                 h->label);
		goto out;
	}
	curl_easy_setopt(h->curl, CURLOPT_URL, r->url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, r);
	if (body) {
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
		curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST,
		                 strcmp(method, "POST") == 0 ? NULL : method);
	} else {
		curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST,
		                 strcmp(method, "GET") == 0 ? NULL : method);
	}
	if (use == USE_BASIC) {
		curl_easy_setopt(h->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h->curl, CURLOPT_USERNAME, h->sv->b.username);
		curl_easy_setopt(h->curl, CURLOPT_PASSWORD, h->sv->b.password);
	} else {
		curl_easy_setopt(h->curl, CURLOPT_USERNAME, NULL);
		curl_easy_setopt(h->curl, CURLOPT_PASSWORD, NULL);
		curl_easy_setopt(h->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_NONE);
	}
	h->errbuf[0] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cc = curl_easy_perform(h->curl);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* nothing of this request may stay on the handle */
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, NULL);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, NULL);
	curl_easy_setopt(h->curl, CURLOPT_USERNAME, NULL);
	curl_easy_setopt(h->curl, CURLOPT_PASSWORD, NULL);
	if (cc != CURLE_OK) {
		e = curl_failure(h, cc, r, method, path, msg);
		goto out;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->status);
	h->status = r->status;
	dcre_debug("%s: %s %.200s -> %ld (%ld ms)", h->label, method, path, r->status,
	           (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	e = DCRE_OK;
out:
	curl_slist_free_all(hdrs);
	return e;
}

/* ---- authentication ---- */

static void drop_session(struct rf_http *h)
{
	wipe_free(h->token);
	h->token = NULL;
	free(h->session_url);
	h->session_url = NULL;
}

/* Session login (§3.3 step 2); falls back to Basic on an HTTP-level
 * failure. A transport failure is an error. */
static enum dcre_err login(struct rf_http *h, struct dcre_msg *msg)
{
	cJSON *o = cJSON_CreateObject();
	char *body;
	struct rf_resp r;
	enum dcre_err e;

	cJSON_AddStringToObject(o, "UserName", h->sv->b.username);
	cJSON_AddStringToObject(o, "Password", h->sv->b.password);
	body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o); /* cJSON keeps no copy of the password elsewhere */
	e = perform(h, "POST", h->sessions, body, NULL, USE_NONE, false, &r, msg);
	wipe_free(body);
	if (e)
		goto out;
	if (r.status >= 200 && r.status < 300 && r.token && r.token[0]) {
		cJSON *doc = r.body ? cJSON_ParseWithLength(r.body, r.len) : NULL;
		const char *id = rf_parse_str(doc, "@odata.id");
		const char *ref = r.location ? r.location : id;

		drop_session(h);
		h->token = r.token;
		r.token = NULL;
		h->session_url = ref ? resolve_url(r.url, ref) : NULL;
		if (h->session_url && !same_origin(h, h->session_url)) {
			free(h->session_url); /* never send the token elsewhere */
			h->session_url = NULL;
		}
		cJSON_Delete(doc);
		h->auth = RF_AUTH_SESSION;
		dcre_stats_add(DCRE_STAT_REDFISH_LOGINS, 1);
		dcre_debug("%s: session opened", h->label);
	} else {
		h->auth = RF_AUTH_BASIC;
		dcre_info("%s: session login answered %ld%s; using HTTP Basic authentication",
		          h->label, r.status,
		          r.status >= 200 && r.status < 300 ? " without X-Auth-Token" : "");
	}
	e = DCRE_OK;
out:
	resp_free(&r);
	return e;
}

static enum dcre_err ensure_auth(struct rf_http *h, struct dcre_msg *msg)
{
	if (h->auth != RF_AUTH_UNKNOWN)
		return DCRE_OK;
	if (!h->sessions) {
		h->auth = RF_AUTH_BASIC;
		return DCRE_OK;
	}
	return login(h, msg);
}

/* ---- a request with auth and redirects ---- */

static enum dcre_err status_error(struct rf_http *h, const char *method, const char *path,
                                  const struct rf_resp *r, struct dcre_msg *msg)
{
	char text[256];

	rf_parse_error_text(r->body, r->len, text, sizeof(text));
	dcre_msg_set(msg, r->status == 404 ? DCRE_ENODEV : DCRE_EPROTO,
	             "%s: %s %.200s answered %ld", h->label, method, path, r->status);
	if (text[0])
		dcre_msg_append(msg, " (%s)", text);
	if (r->retry_after)
		dcre_msg_append(msg, " (Retry-After: %.32s)", r->retry_after);
	return r->status == 404 ? DCRE_ENODEV : DCRE_EPROTO;
}

/* method path with the credentials cred, following same-host 307/308 of a
 * GET, one re-login on a 401 with a token. Success = a 2xx answer in r
 * (caller frees with resp_free). */
static enum dcre_err call(struct rf_http *h, const char *method, const char *path, const char *body,
                          const char *if_match, enum rf_cred cred, bool poll, struct rf_resp *r,
                          struct dcre_msg *msg)
{
	char *cur = dcre_xstrdup(path);
	bool relogin = true;
	int redirects = 0;
	enum dcre_err e;

	memset(r, 0, sizeof(*r));
	for (;;) {
		enum cred_use use = USE_NONE;
		if (cred == RF_CRED_SESSION) {
			e = ensure_auth(h, msg);
			if (e)
				goto out;
			use = h->auth == RF_AUTH_SESSION ? USE_TOKEN : USE_BASIC;
		} else if (cred == RF_CRED_BASIC) {
			use = USE_BASIC;
		}
		resp_free(r);
		e = perform(h, method, cur, body, if_match, use, poll, r, msg);
		if (e)
			goto out;
		if (r->status == 401 && use == USE_TOKEN && relogin) {
			/* §3.3 step 5: the session expired; log in once more */
			dcre_info("%s: %s %.200s answered 401; logging in again", h->label, method,
			          cur);
			drop_session(h);
			h->auth = RF_AUTH_UNKNOWN;
			relogin = false;
			continue;
		}
		if (r->status == 401 && use != USE_NONE) {
			e = dcre_msg_set(msg, DCRE_EAUTH,
			                 "%s: %s %.200s: authentication failed (401)", h->label,
			                 method, cur);
			goto out;
		}
		if (r->status >= 300 && r->status < 400) {
			char *to = NULL;
			bool same = false;
			if (r->location)
				to = resolve_url(r->url, r->location);
			same = to && same_origin(h, to);
			if ((r->status == 307 || r->status == 308) && strcmp(method, "GET") == 0 &&
			    same && redirects < RF_MAX_REDIRECTS) {
				redirects++;
				free(cur);
				cur = to;
				continue;
			}
			e = dcre_msg_set(
			    msg, DCRE_EPROTO, "%s: %s %.200s answered %ld to %.200s (%s)", h->label,
			    method, cur, r->status, to ? to : "nowhere",
			    !same                           ? "another host; not followed"
			    : strcmp(method, "GET") != 0    ? "redirect of a write; not followed"
			    : redirects >= RF_MAX_REDIRECTS ? "too many redirects"
			                                    : "redirect not followed");
			free(to);
			goto out;
		}
		if (r->status < 200 || r->status >= 300) {
			e = status_error(h, method, cur, r, msg);
			goto out;
		}
		e = DCRE_OK;
		goto out;
	}
out:
	free(cur);
	return e;
}

/* ---- public ---- */

struct rf_http *rf_http_new(const struct dcre_redfish_server *sv)
{
	struct rf_http *h = dcre_xcalloc(1, sizeof(*h));
	bool v6 = strchr(sv->b.address, ':') != NULL;

	h->sv = sv;
	h->host = v6 ? dcre_xasprintf("[%s]", sv->b.address) : dcre_xstrdup(sv->b.address);
	h->base = dcre_xasprintf("%s://%s:%d", sv->https ? "https" : "http", h->host, sv->b.port);
	snprintf(h->label, sizeof(h->label), "Redfish board %08x (%.150s)", sv->b.board_id,
	         h->base);
	h->timeout_ms = (long)(sv->b.timeout * 1000.0 + 0.5);
	if (h->timeout_ms < 1)
		h->timeout_ms = 1;
	return h;
}

void rf_http_free(struct rf_http *h)
{
	if (!h)
		return;
	if (h->curl && h->token && h->session_url) {
		struct rf_resp r;
		struct dcre_msg m;
		/* §3.3 step 6: best effort */
		rf_http_op_end(h); /* the logout has its own timeout */
		if (perform(h, "DELETE", h->session_url, NULL, NULL, USE_TOKEN, false, &r, &m) ==
		    DCRE_OK)
			dcre_debug("%s: session closed (%ld)", h->label, r.status);
		resp_free(&r); /* a failure was logged by perform() */
	}
	drop_session(h);
	if (h->curl)
		curl_easy_cleanup(h->curl);
	free(h->sessions);
	free(h->base);
	free(h->host);
	free(h);
}

void rf_http_op_begin(struct rf_http *h, double budget, unsigned max_requests)
{
	h->op.active = true;
	h->op.budget = budget;
	h->op.deadline = dcre_time_now() + budget;
	h->op.sent = 0;
	h->op.max_sent = max_requests;
}

void rf_http_op_extend(struct rf_http *h, double seconds, unsigned requests)
{
	if (!h->op.active)
		return;
	h->op.budget += seconds;
	h->op.deadline += seconds;
	h->op.max_sent += requests;
}

void rf_http_op_end(struct rf_http *h)
{
	h->op.active = false;
}

double rf_http_op_left(const struct rf_http *h)
{
	return h->op.active ? h->op.deadline - dcre_time_now() : 1e9;
}

const char *rf_http_label(const struct rf_http *h)
{
	return h->label;
}

long rf_http_status(const struct rf_http *h)
{
	return h->status;
}

void rf_http_set_sessions(struct rf_http *h, const char *path)
{
	free(h->sessions);
	h->sessions = path ? dcre_xstrdup(path) : NULL;
	if (h->auth == RF_AUTH_BASIC)
		h->auth = RF_AUTH_UNKNOWN;
}

/* The body of r as a JSON object. */
static enum dcre_err json_body(struct rf_http *h, const char *method, const char *path,
                               const struct rf_resp *r, cJSON **json, struct dcre_msg *msg)
{
	cJSON *doc = r->body ? cJSON_ParseWithLength(r->body, r->len) : NULL;

	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return dcre_msg_set(msg, DCRE_EPROTO,
		                    "%s: %s %.200s answered %ld with a body that is not a JSON "
		                    "object (%zu bytes)",
		                    h->label, method, path, r->status, r->len);
	}
	rf_parse_clean(doc); /* nothing of it reaches an answer as sent */
	*json = doc;
	return DCRE_OK;
}

enum dcre_err rf_http_get(struct rf_http *h, const char *path, enum rf_cred cred, cJSON **json,
                          char **etag, struct dcre_msg *msg)
{
	struct rf_resp r;
	enum dcre_err e;

	*json = NULL;
	if (etag)
		*etag = NULL;
	e = call(h, "GET", path, NULL, NULL, cred, false, &r, msg);
	if (!e)
		e = json_body(h, "GET", path, &r, json, msg);
	if (!e && etag) {
		const char *tag = r.etag ? r.etag : rf_parse_str(*json, "@odata.etag");
		*etag = tag && tag[0] ? dcre_xstrdup(tag) : NULL;
	}
	resp_free(&r);
	return e;
}

enum dcre_err rf_http_patch(struct rf_http *h, const char *path, const cJSON *body,
                            const char *etag, struct dcre_msg *msg)
{
	char *text = cJSON_PrintUnformatted(body);
	char *fresh = NULL;
	cJSON *doc = NULL;
	struct rf_resp r;
	enum dcre_err e;

	e = call(h, "PATCH", path, text, etag, RF_CRED_SESSION, false, &r, msg);
	if (e && h->status == 412) {
		/* §3.4: the resource changed since we read it: read it again and
		 * repeat the PATCH once with its new ETag */
		dcre_info("%s: PATCH %.200s answered 412; reading it again", h->label, path);
		resp_free(&r);
		e = rf_http_get(h, path, RF_CRED_SESSION, &doc, &fresh, msg);
		if (e)
			goto out;
		e = call(h, "PATCH", path, text, fresh, RF_CRED_SESSION, false, &r, msg);
	}
out:
	resp_free(&r);
	cJSON_Delete(doc);
	free(fresh);
	free(text);
	return e;
}

/* Poll a task monitor until it stops answering 202 (redfish.md §3.1: success
 * is any 2xx; a 202 action is done when its task is). */
static enum dcre_err follow_task(struct rf_http *h, const char *action, const struct rf_resp *first,
                                 struct dcre_msg *msg)
{
	char *mon = resolve_url(first->url, first->location);
	double deadline = dcre_time_now() + (double)h->timeout_ms / 1000.0;
	const char *retry = first->retry_after;
	char *retry_copy = NULL;
	enum dcre_err e = DCRE_EINTERNAL;
	struct rf_resp r = {0};
	cJSON *doc = NULL;
	const char *state;

	if (!mon || !same_origin(h, mon)) {
		e = dcre_msg_set(msg, DCRE_EPROTO,
		                 "%s: POST %.200s answered 202 with task monitor %.200s (another "
		                 "host; not followed)",
		                 h->label, action, first->location);
		goto out;
	}
	for (;;) {
		char *end = NULL;
		double wait = retry ? strtod(retry, &end) : RF_TASK_POLL_S;
		double left = deadline - dcre_time_now();
		double op_left = rf_http_op_left(h);
		if (!retry || end == retry || !(wait >= RF_TASK_POLL_S) || wait > 60)
			wait = RF_TASK_POLL_S; /* polls are never closer than this */
		if (op_left <= 0 && left > 0) {
			e = dcre_msg_set(
			    msg, DCRE_ETIMEDOUT,
			    "%s: POST %.200s: task %.200s not done when the operation's "
			    "deadline of %g s passed",
			    h->label, action, mon, h->op.budget);
			goto out;
		}
		if (op_left < left)
			left = op_left;
		if (left <= 0) {
			e = dcre_msg_set(msg, DCRE_ETIMEDOUT,
			                 "%s: POST %.200s: task %.200s not done within %g s",
			                 h->label, action, mon, (double)h->timeout_ms / 1000.0);
			goto out;
		}
		dcre_time_sleep(wait < left ? wait : left);
		resp_free(&r);
		e = call(h, "GET", mon, NULL, NULL, RF_CRED_SESSION, true, &r, msg);
		if (e)
			goto out;
		if (r.status != 202)
			break;
		free(retry_copy);
		retry_copy = r.retry_after ? dcre_xstrdup(r.retry_after) : NULL;
		retry = retry_copy;
	}
	/* a finished task may still report failure in its TaskState */
	doc = r.body ? cJSON_ParseWithLength(r.body, r.len) : NULL;
	state = rf_parse_str(doc, "TaskState");
	if (state && (strcmp(state, "Exception") == 0 || strcmp(state, "Killed") == 0 ||
	              strcmp(state, "Cancelled") == 0)) {
		char text[256];
		rf_parse_error_text(r.body, r.len, text, sizeof(text));
		e = dcre_msg_set(msg, DCRE_EIO, "%s: POST %.200s: task %.200s ended in state %s",
		                 h->label, action, mon, state);
		if (text[0])
			dcre_msg_append(msg, " (%s)", text);
	} else {
		e = DCRE_OK;
	}
out:
	cJSON_Delete(doc);
	resp_free(&r);
	free(retry_copy);
	free(mon);
	return e;
}

enum dcre_err rf_http_post_action(struct rf_http *h, const char *path, const cJSON *body,
                                  bool *accepted, struct dcre_msg *msg)
{
	char *text = cJSON_PrintUnformatted(body);
	struct rf_resp r;
	enum dcre_err e = call(h, "POST", path, text, NULL, RF_CRED_SESSION, false, &r, msg);

	*accepted = e == DCRE_OK;
	if (!e && r.status == 202 && r.location)
		e = follow_task(h, path, &r, msg);
	resp_free(&r);
	free(text);
	return e;
}
