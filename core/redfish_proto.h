/* SPDX-License-Identifier: MIT */
/* Redfish protocol pieces: error bodies with Base registry MessageIds,
 * ETags, request-body parsing and the common resource keys. */
#ifndef DCRE_REDFISH_PROTO_H
#define DCRE_REDFISH_PROTO_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "redfish.h"

/* The Base registry messages the service answers with. */
enum dcre_rf_msgid {
	DCRE_RF_RESOURCE_NOT_FOUND,         /* type, name */
	DCRE_RF_PROPERTY_VALUE_NOT_IN_LIST, /* value, property */
	DCRE_RF_ACTION_PARAM_NOT_IN_LIST,   /* value, parameter, action */
	DCRE_RF_PROPERTY_UNKNOWN,           /* property */
	DCRE_RF_PROPERTY_NOT_WRITABLE,      /* property */
	DCRE_RF_PROPERTY_VALUE_TYPE_ERROR,  /* value, property */
	DCRE_RF_MALFORMED_JSON,
	DCRE_RF_ACTION_PARAM_MISSING,    /* action, parameter */
	DCRE_RF_ACTION_PARAM_TYPE_ERROR, /* value, parameter, action */
	DCRE_RF_ACTION_PARAM_UNKNOWN,    /* action, parameter */
	DCRE_RF_ACTION_NOT_SUPPORTED,    /* action */
	DCRE_RF_PRECONDITION_FAILED,
	DCRE_RF_OPERATION_NOT_ALLOWED,
	DCRE_RF_INSUFFICIENT_PRIVILEGE,
	DCRE_RF_PAYLOAD_TOO_LARGE,
	DCRE_RF_INTERNAL_ERROR,
	DCRE_RF_GENERAL_ERROR,
};

/* Replace r's answer with an error body of status: error.code and
 * error.message from the message (its %1.. filled from the string
 * arguments, as many as the message takes) and the message in
 * @Message.ExtendedInfo; detail (if not NULL) is appended to
 * error.message (what the backend said). */
void dcre_rf_error(struct dcre_rf_reply *r, int status, const char *detail, enum dcre_rf_msgid id,
                   ...);

/* A clean UTF-8 copy of s (caller frees). */
char *dcre_rf_clean(const char *s);

/* The MessageId of a message ("Base.1.22.ResourceNotFound"). */
const char *dcre_rf_msgid_text(enum dcre_rf_msgid id, char *buf, size_t cap);

/* A resource: {"@odata.id": id, "@odata.type": type, "Id": rid, "Name":
 * name}. */
cJSON *dcre_rf_resource(const char *odata_id, const char *type, const char *rid, const char *name);
/* {"@odata.id": id} */
cJSON *dcre_rf_link(const char *odata_id);
/* A collection of members (links) under odata_id. */
cJSON *dcre_rf_collection(const char *odata_id, const char *type, const char *name, cJSON *members);

/* Set r->etag from the body (or text) of r. */
void dcre_rf_set_etag(struct dcre_rf_reply *r);
/* Whether an If-Match header value allows a change of a resource whose
 * ETag is etag ("*", or one of a comma-separated list, W/ ignored). */
bool dcre_rf_if_match(const char *header, const char *etag);

/* Parse a request body as a JSON object; on failure answers 400
 * MalformedJSON in r and returns NULL. */
cJSON *dcre_rf_parse_body(const struct dcre_rf_request *req, struct dcre_rf_reply *r);

#endif
