/* SPDX-License-Identifier: MIT */
/* core/redfish_proto: error bodies with Base MessageIds, ETags and If-Match, request bodies. */
#include <stdlib.h>
#include <string.h>

#include "redfish_proto.h"
#include "tap.h"

static const char *ext_field(const cJSON *body, const char *key)
{
	const cJSON *err = cJSON_GetObjectItem(body, "error");
	const cJSON *ext = cJSON_GetArrayItem(cJSON_GetObjectItem(err, "@Message.ExtendedInfo"), 0);
	return cJSON_GetStringValue(cJSON_GetObjectItem(ext, key));
}

int main(void)
{
	struct dcre_rf_reply r = {0};

	dcre_rf_error(&r, 400, NULL, DCRE_RF_PROPERTY_VALUE_NOT_IN_LIST, "Purple", "IndicatorLED");
	const cJSON *err = cJSON_GetObjectItem(r.body, "error");
	tap_is_int(r.status, 400, "status kept");
	tap_is_str(cJSON_GetStringValue(cJSON_GetObjectItem(err, "code")),
	           "Base.1.22.PropertyValueNotInList", "error.code is the MessageId");
	tap_is_str(ext_field(r.body, "Message"),
	           "The value 'Purple' for the property IndicatorLED is not in the list of "
	           "acceptable values.",
	           "the registry message with its arguments");
	const cJSON *args = cJSON_GetObjectItem(
	    cJSON_GetArrayItem(cJSON_GetObjectItem(err, "@Message.ExtendedInfo"), 0),
	    "MessageArgs");
	tap_ok(cJSON_GetArraySize(args) == 2 &&
	           strcmp(cJSON_GetStringValue(cJSON_GetArrayItem(args, 1)), "IndicatorLED") == 0,
	       "MessageArgs");
	tap_is_str(ext_field(r.body, "MessageSeverity"), "Warning", "severity from the registry");
	tap_is_str(r.outcome, "PropertyValueNotInList", "the outcome for the audit line");

	dcre_rf_error(&r, 500, "board 00000011: timed out", DCRE_RF_INTERNAL_ERROR);
	err = cJSON_GetObjectItem(r.body, "error");
	tap_ok(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(err, "message")),
	              "(board 00000011: timed out)") != NULL,
	       "the detail is appended to error.message");
	tap_is_str(ext_field(r.body, "MessageId"), "Base.1.22.InternalError",
	           "one message replaced");
	dcre_rf_error(&r, 400, NULL, DCRE_RF_PROPERTY_UNKNOWN, "bad\xff");
	tap_ok(strstr(ext_field(r.body, "Message"), "bad\xc3\xbf") != NULL,
	       "an argument that is not UTF-8 is cleaned (read as ISO-8859-1)");

	/* a viewer's PATCH or POST (issue 15): the Base registry's text, no arguments */
	dcre_rf_error(&r, 403, NULL, DCRE_RF_INSUFFICIENT_PRIVILEGE);
	tap_is_str(ext_field(r.body, "MessageId"), "Base.1.22.InsufficientPrivilege",
	           "InsufficientPrivilege");
	tap_is_str(ext_field(r.body, "Message"),
	           "There are insufficient privileges for the account or credentials associated "
	           "with the current session to perform the requested operation.",
	           "InsufficientPrivilege: the registry message");
	tap_is_str(ext_field(r.body, "MessageSeverity"), "Critical",
	           "InsufficientPrivilege: severity");
	tap_is_int(r.status, 403, "InsufficientPrivilege: status 403");

	/* ETags */
	dcre_rf_reply_clear(&r);
	r.body = cJSON_Parse("{\"a\": 1}");
	dcre_rf_set_etag(&r);
	char first[sizeof(r.etag)];
	memcpy(first, r.etag, sizeof(first));
	tap_ok(strlen(r.etag) == 18 && r.etag[0] == '"' && r.etag[17] == '"', "ETag %s", r.etag);
	cJSON_ReplaceItemInObject(r.body, "a", cJSON_CreateNumber(2));
	dcre_rf_set_etag(&r);
	tap_ok(strcmp(first, r.etag) != 0, "another body, another ETag");
	tap_ok(dcre_rf_if_match(r.etag, r.etag), "If-Match with the ETag");
	tap_ok(dcre_rf_if_match("*", r.etag), "If-Match *");
	char list[80];
	snprintf(list, sizeof(list), "\"x\", W/%s", r.etag);
	tap_ok(dcre_rf_if_match(list, r.etag), "If-Match list with a weak ETag");
	tap_ok(!dcre_rf_if_match(first, r.etag), "a stale ETag does not match");
	tap_ok(!dcre_rf_if_match("", r.etag), "an empty If-Match does not match");

	/* request bodies */
	struct dcre_rf_request q = {.method = "PATCH", .body = "{\"a\": true} \n", .body_len = 13};
	cJSON *doc = dcre_rf_parse_body(&q, &r);
	tap_ok(doc && cJSON_IsTrue(cJSON_GetObjectItem(doc, "a")), "an object body");
	cJSON_Delete(doc);
	const char *bad[] = {"{\"a\": true} x", "[1]", "", "{\"a\":", "\"s\""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		q.body = bad[i];
		q.body_len = strlen(bad[i]);
		doc = dcre_rf_parse_body(&q, &r);
		tap_ok(!doc && r.status == 400 && strcmp(r.outcome, "MalformedJSON") == 0,
		       "MalformedJSON for '%s'", bad[i]);
		cJSON_Delete(doc);
	}
	dcre_rf_reply_clear(&r);
	return tap_done();
}
