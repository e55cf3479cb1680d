/* SPDX-License-Identifier: MIT */
/* The Redfish front end (DSP0266): one request in, one reply out. The
 * route table (core/route.c) names a dcre_route_rf command for every
 * Redfish resource; the FastCGI handler reads the bounded request body and
 * writes the reply with its headers. No HTTP parsing here. */
#ifndef DCRE_REDFISH_H
#define DCRE_REDFISH_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* The largest request body the service reads (413 above). */
#define DCRE_RF_BODY_MAX (64 * 1024)

struct dcre_rf_request {
	const char *method; /* "GET", "HEAD", "PATCH" or "POST" */
	const char *body;   /* NUL-terminated; "" when none */
	size_t body_len;
	const char *if_match; /* the If-Match header, or NULL */
};

struct dcre_rf_reply {
	int status;               /* 200 unless an error or 204 */
	cJSON *body;              /* a JSON answer (owned), or: */
	char *text;               /* a text answer (owned) of content_type */
	const char *content_type; /* static */
	char etag[24];            /* "\"<16 hex>\"", set for every resource */
	char outcome[96];         /* the MessageId of an error, for the audit line */
};

void dcre_rf_reply_clear(struct dcre_rf_reply *r);

#endif
