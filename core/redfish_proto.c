/* SPDX-License-Identifier: MIT */
#include "redfish_proto.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "text.h"

#define REGISTRY "Base.1.22"

static const struct {
	const char *id, *message, *severity, *resolution;
	int nargs;
} messages[] = {
    [DCRE_RF_RESOURCE_NOT_FOUND] = {"ResourceNotFound",
                                    "The requested resource of type %1 named '%2' was not found.",
                                    "Critical",
                                    "Provide a valid resource identifier and resubmit the request.",
                                    2},
    [DCRE_RF_PROPERTY_VALUE_NOT_IN_LIST] = {"PropertyValueNotInList",
                                            "The value '%1' for the property %2 is not in the list "
                                            "of acceptable values.",
                                            "Warning",
                                            "Choose a value from the enumeration list that the "
                                            "implementation can support and resubmit the request "
                                            "if the operation failed.",
                                            2},
    [DCRE_RF_ACTION_PARAM_NOT_IN_LIST] = {"ActionParameterValueNotInList",
                                          "The value '%1' for the parameter %2 in the action %3 is "
                                          "not in the list of acceptable values.",
                                          "Warning",
                                          "Choose a value from the enumeration list that the "
                                          "implementation can support and resubmit the request if "
                                          "the operation failed.",
                                          3},
    [DCRE_RF_PROPERTY_UNKNOWN] = {"PropertyUnknown",
                                  "The property %1 is not in the list of valid properties for the "
                                  "resource.",
                                  "Warning",
                                  "Remove the unknown property from the request body and resubmit "
                                  "the request if the operation failed.",
                                  1},
    [DCRE_RF_PROPERTY_NOT_WRITABLE] = {"PropertyNotWritable",
                                       "The property %1 is a read-only property and cannot be "
                                       "assigned a value.",
                                       "Warning",
                                       "Remove the property from the request body and resubmit "
                                       "the request if the operation failed.",
                                       1},
    [DCRE_RF_PROPERTY_VALUE_TYPE_ERROR] = {"PropertyValueTypeError",
                                           "The value '%1' for the property %2 is not a type that "
                                           "the property can accept.",
                                           "Warning",
                                           "Correct the value for the property in the request "
                                           "body and resubmit the request if the operation failed.",
                                           2},
    [DCRE_RF_MALFORMED_JSON] = {"MalformedJSON",
                                "The request body submitted was malformed JSON and could not be "
                                "parsed by the receiving service.",
                                "Critical",
                                "Ensure that the request body is valid JSON and resubmit the "
                                "request.",
                                0},
    [DCRE_RF_ACTION_PARAM_MISSING] = {"ActionParameterMissing",
                                      "The action %1 requires the parameter %2 to be present in "
                                      "the request body.",
                                      "Critical",
                                      "Supply the action with the required parameter in the "
                                      "request body when the request is resubmitted.",
                                      2},
    [DCRE_RF_ACTION_PARAM_TYPE_ERROR] = {"ActionParameterValueTypeError",
                                         "The value '%1' for the parameter %2 in the action %3 is "
                                         "not a type that the parameter can accept.",
                                         "Warning",
                                         "Correct the value for the parameter in the request body "
                                         "and resubmit the request if the operation failed.",
                                         3},
    [DCRE_RF_ACTION_PARAM_UNKNOWN] = {"ActionParameterUnknown",
                                      "The action %1 was submitted with the invalid parameter %2.",
                                      "Warning",
                                      "Correct the invalid action parameter and resubmit the "
                                      "request if the operation failed.",
                                      2},
    [DCRE_RF_ACTION_NOT_SUPPORTED] = {"ActionNotSupported",
                                      "The action %1 is not supported by the resource.", "Critical",
                                      "Check the Actions property in the resource for the "
                                      "supported actions.",
                                      1},
    [DCRE_RF_PRECONDITION_FAILED] = {"PreconditionFailed",
                                     "The ETag supplied did not match the ETag required to change "
                                     "this resource.",
                                     "Critical",
                                     "Try the operation again using the appropriate ETag.", 0},
    [DCRE_RF_OPERATION_NOT_ALLOWED] = {"OperationNotAllowed",
                                       "The HTTP method is not allowed on this resource.",
                                       "Critical", "None.", 0},
    [DCRE_RF_INSUFFICIENT_PRIVILEGE] = {"InsufficientPrivilege",
                                        "There are insufficient privileges for the account or "
                                        "credentials associated with the current session to "
                                        "perform the requested operation.",
                                        "Critical",
                                        "Either abandon the operation or change the associated "
                                        "access rights and resubmit the request if the operation "
                                        "failed.",
                                        0},
    [DCRE_RF_PAYLOAD_TOO_LARGE] = {"PayloadTooLarge",
                                   "The supplied payload exceeds the maximum size supported by the "
                                   "service.",
                                   "Critical",
                                   "Check that the supplied payload is correct and supported by "
                                   "this service.",
                                   0},
    [DCRE_RF_INTERNAL_ERROR] = {"InternalError",
                                "The request failed due to an internal service error.  The service "
                                "is still operational.",
                                "Critical",
                                "Resubmit the request.  If the problem persists, consider "
                                "resetting the service.",
                                0},
    [DCRE_RF_GENERAL_ERROR] = {"GeneralError",
                               "A general error has occurred.  See Resolution for information on "
                               "how to resolve the error, or @Message.ExtendedInfo if Resolution "
                               "is not provided.",
                               "Critical", "None.", 0},
};

void dcre_rf_reply_clear(struct dcre_rf_reply *r)
{
	cJSON_Delete(r->body);
	free(r->text);
	r->body = NULL;
	r->text = NULL;
}

const char *dcre_rf_msgid_text(enum dcre_rf_msgid id, char *buf, size_t cap)
{
	snprintf(buf, cap, REGISTRY ".%s", messages[id].id);
	return buf;
}

char *dcre_rf_clean(const char *s)
{
	return dcre_text_clean(s, strlen(s));
}

/* A string value for the body: clean UTF-8. */
static cJSON *clean_string(const char *s)
{
	char *c = dcre_text_clean(s, strlen(s));
	cJSON *item = cJSON_CreateString(c);
	free(c);
	return item;
}

void dcre_rf_error(struct dcre_rf_reply *r, int status, const char *detail, enum dcre_rf_msgid id,
                   ...)
{
	const char *args[3] = {0};
	va_list ap;
	char mid[96];
	char text[2048];
	size_t n = 0;

	va_start(ap, id);
	for (int i = 0; i < messages[id].nargs; i++)
		args[i] = va_arg(ap, const char *);
	va_end(ap);
	/* the message with %1..%3 replaced */
	for (const char *s = messages[id].message; *s && n + 1 < sizeof(text); s++) {
		if (s[0] == '%' && s[1] >= '1' && s[1] <= '3') {
			const char *a = args[s[1] - '1'] ? args[s[1] - '1'] : "";
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", a);
			if (n >= sizeof(text))
				n = sizeof(text) - 1;
			s++;
		} else {
			text[n++] = *s;
		}
	}
	text[n] = '\0';
	dcre_rf_reply_clear(r);
	dcre_rf_msgid_text(id, mid, sizeof(mid));
	snprintf(r->outcome, sizeof(r->outcome), "%s", messages[id].id);
	r->status = status;
	r->etag[0] = '\0';

	cJSON *info = cJSON_CreateObject();
	cJSON_AddStringToObject(info, "@odata.type", "#Message.v1_1_1.Message");
	cJSON_AddStringToObject(info, "MessageId", mid);
	cJSON_AddItemToObject(info, "Message", clean_string(text));
	cJSON *margs = cJSON_AddArrayToObject(info, "MessageArgs");
	for (int i = 0; i < messages[id].nargs; i++)
		cJSON_AddItemToArray(margs, clean_string(args[i] ? args[i] : ""));
	cJSON_AddStringToObject(info, "MessageSeverity", messages[id].severity);
	cJSON_AddStringToObject(info, "Resolution", messages[id].resolution);

	r->body = cJSON_CreateObject();
	cJSON *err = cJSON_AddObjectToObject(r->body, "error");
	cJSON_AddStringToObject(err, "code", mid);
	if (detail && *detail) {
		char *full = dcre_xasprintf("%s (%s)", text, detail);
		cJSON_AddItemToObject(err, "message", clean_string(full));
		free(full);
	} else {
		cJSON_AddItemToObject(err, "message", clean_string(text));
	}
	cJSON *ext = cJSON_AddArrayToObject(err, "@Message.ExtendedInfo");
	cJSON_AddItemToArray(ext, info);
}

cJSON *dcre_rf_link(const char *odata_id)
{
	cJSON *l = cJSON_CreateObject();
	cJSON_AddItemToObject(l, "@odata.id", clean_string(odata_id));
	return l;
}

cJSON *dcre_rf_resource(const char *odata_id, const char *type, const char *rid, const char *name)
{
	cJSON *o = dcre_rf_link(odata_id);
	cJSON_AddStringToObject(o, "@odata.type", type);
	cJSON_AddItemToObject(o, "Id", clean_string(rid));
	cJSON_AddItemToObject(o, "Name", clean_string(name));
	return o;
}

cJSON *dcre_rf_collection(const char *odata_id, const char *type, const char *name, cJSON *members)
{
	cJSON *o = dcre_rf_link(odata_id);
	cJSON_AddStringToObject(o, "@odata.type", type);
	cJSON_AddItemToObject(o, "Name", clean_string(name));
	cJSON_AddNumberToObject(o, "Members@odata.count", cJSON_GetArraySize(members));
	cJSON_AddItemToObject(o, "Members", members);
	return o;
}

/* FNV-1a, 64 bits */
static uint64_t fnv(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

void dcre_rf_set_etag(struct dcre_rf_reply *r)
{
	char *text = r->body ? cJSON_PrintUnformatted(r->body) : NULL;
	const char *s = text ? text : (r->text ? r->text : "");
	snprintf(r->etag, sizeof(r->etag), "\"%016llx\"", (unsigned long long)fnv(s, strlen(s)));
	if (text)
		cJSON_free(text);
}

bool dcre_rf_if_match(const char *header, const char *etag)
{
	const char *s = header;
	size_t elen = strlen(etag);

	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (*s == '*')
			return true;
		if (s[0] == 'W' && s[1] == '/')
			s += 2;
		size_t len = strcspn(s, ",");
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len == elen && memcmp(s, etag, len) == 0)
			return true;
		s += strcspn(s, ",");
	}
	return false;
}

cJSON *dcre_rf_parse_body(const struct dcre_rf_request *req, struct dcre_rf_reply *r)
{
	const char *end = NULL;
	cJSON *doc = cJSON_ParseWithLengthOpts(req->body, req->body_len, &end, false);

	if (doc && end) {
		while (end < req->body + req->body_len &&
		       (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
			end++;
		if (end != req->body + req->body_len) {
			cJSON_Delete(doc);
			doc = NULL;
		}
	}
	if (!doc || !cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		dcre_rf_error(r, 400, NULL, DCRE_RF_MALFORMED_JSON);
		return NULL;
	}
	return doc;
}
