/* SPDX-License-Identifier: MIT */
/* The service's own resources: /redfish, the service root, the OData
 * service document, $metadata, the SessionService (authentication is the
 * web server's), and the steps every command shares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "redfish_proto.h"
#include "redfish_res.h"

void dcre_rf_run(struct dcre_ctx *ctx, const struct dcre_route_match *m,
                 const struct dcre_rf_request *req, struct dcre_rf_reply *out)
{
	memset(out, 0, sizeof(*out));
	out->status = 200;
	m->rf(ctx, m, req, out);
	if (out->status == 200 && (out->body || out->text))
		dcre_rf_set_etag(out);
}

bool dcre_rf_open(struct dcre_ctx *ctx, struct dcre_rf_inv *inv, struct dcre_rf_reply *out)
{
	struct dcre_msg msg = {{0}};
	if (dcre_rf_inv_load(ctx, inv, &msg) == DCRE_OK)
		return true;
	dcre_rf_error(out, 500, msg.text, DCRE_RF_INTERNAL_ERROR);
	return false;
}

cJSON *dcre_rf_patch_body(const struct dcre_rf_request *req, const cJSON *cur, const char *writable,
                          struct dcre_rf_reply *out)
{
	if (req->if_match) {
		struct dcre_rf_reply now = {.body = (cJSON *)cur};
		dcre_rf_set_etag(&now);
		if (!dcre_rf_if_match(req->if_match, now.etag)) {
			dcre_rf_error(out, 412, NULL, DCRE_RF_PRECONDITION_FAILED);
			return NULL;
		}
	}
	cJSON *body = dcre_rf_parse_body(req, out);
	const cJSON *v;
	cJSON_ArrayForEach(v, body)
	{
		if (dcre_rf_type_in(v->string, writable))
			continue;
		dcre_rf_error(out, 400, NULL,
		              cJSON_GetObjectItem(cur, v->string) ? DCRE_RF_PROPERTY_NOT_WRITABLE
		                                                  : DCRE_RF_PROPERTY_UNKNOWN,
		              v->string);
		cJSON_Delete(body);
		return NULL;
	}
	return body;
}

DCRE_RF_CMD(versions)
{
	(void)ctx, (void)m, (void)req;
	out->body = cJSON_CreateObject();
	cJSON_AddStringToObject(out->body, "v1", "/redfish/v1/");
}

DCRE_RF_CMD(root)
{
	(void)ctx, (void)m, (void)req;
	cJSON *r = dcre_rf_resource("/redfish/v1/", "#ServiceRoot.v1_20_0.ServiceRoot",
	                            "RootService", "opendcre Redfish service");
	cJSON_AddStringToObject(r, "RedfishVersion", "1.21.0");
	cJSON_AddStringToObject(r, "Product", "opendcre");
	cJSON_AddStringToObject(r, "Vendor", "OpenDCRE");
	cJSON_AddItemToObject(r, "Chassis", dcre_rf_link("/redfish/v1/Chassis"));
	cJSON_AddItemToObject(r, "Systems", dcre_rf_link("/redfish/v1/Systems"));
	cJSON_AddItemToObject(r, "Managers", dcre_rf_link("/redfish/v1/Managers"));
	cJSON_AddItemToObject(r, "SessionService", dcre_rf_link("/redfish/v1/SessionService"));
	cJSON *links = cJSON_AddObjectToObject(r, "Links");
	cJSON_AddItemToObject(links, "Sessions",
	                      dcre_rf_link("/redfish/v1/SessionService/Sessions"));
	out->body = r;
}

DCRE_RF_CMD(odata)
{
	static const char *const sets[][2] = {
	    {"Chassis", "/redfish/v1/Chassis"},
	    {"Systems", "/redfish/v1/Systems"},
	    {"Managers", "/redfish/v1/Managers"},
	    {"SessionService", "/redfish/v1/SessionService"},
	};
	(void)ctx, (void)m, (void)req;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "@odata.context", "/redfish/v1/$metadata");
	cJSON *v = cJSON_AddArrayToObject(o, "value");
	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "name", "Service");
	cJSON_AddStringToObject(s, "kind", "Singleton");
	cJSON_AddStringToObject(s, "url", "/redfish/v1/");
	cJSON_AddItemToArray(v, s);
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "name", sets[i][0]);
		cJSON_AddStringToObject(s, "kind", "Singleton");
		cJSON_AddStringToObject(s, "url", sets[i][1]);
		cJSON_AddItemToArray(v, s);
	}
	out->body = o;
}

/* The CSDL documents the service's payloads use (DMTF DSP8010): the
 * namespace of the file and the versioned one of their @odata.type (the
 * extensions file declares only the versioned one). */
static const char *const csdl[][2] = {
    {"ServiceRoot", "ServiceRoot.v1_20_0"},
    {"ChassisCollection", NULL},
    {"Chassis", "Chassis.v1_28_0"},
    {"Thermal", "Thermal.v1_7_3"},
    {"Power", "Power.v1_7_3"},
    {"SensorCollection", NULL},
    {"Sensor", "Sensor.v1_12_0"},
    {"ComputerSystemCollection", NULL},
    {"ComputerSystem", "ComputerSystem.v1_27_0"},
    {"ManagerCollection", NULL},
    {"Manager", "Manager.v1_24_0"},
    {"SessionService", "SessionService.v1_2_0"},
    {"SessionCollection", NULL},
    {"Resource", "Resource.v1_23_0"},
    {"Message", "Message.v1_1_1"},
    {NULL, "RedfishExtensions.v1_0_0"},
};

DCRE_RF_CMD(metadata)
{
	(void)ctx, (void)m, (void)req;
	size_t cap = 8192, len = 0;
	char *t = dcre_xmalloc(cap);
#define ADD(...) len += (size_t)snprintf(t + len, cap - len, __VA_ARGS__)
	ADD("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<edmx:Edmx xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\" "
	    "Version=\"4.0\">\n");
	for (size_t i = 0; i < sizeof(csdl) / sizeof(csdl[0]); i++) {
		if (csdl[i][0])
			ADD("  <edmx:Reference "
			    "Uri=\"http://redfish.dmtf.org/schemas/v1/%s_v1.xml\">\n"
			    "    <edmx:Include Namespace=\"%s\"/>\n",
			    csdl[i][0], csdl[i][0]);
		else
			ADD("  <edmx:Reference Uri=\"http://redfish.dmtf.org/schemas/v1/"
			    "RedfishExtensions_v1.xml\">\n");
		if (csdl[i][1])
			ADD("    <edmx:Include Namespace=\"%s\"%s/>\n", csdl[i][1],
			    csdl[i][0] ? "" : " Alias=\"Redfish\"");
		ADD("  </edmx:Reference>\n");
	}
	ADD("  <edmx:DataServices>\n"
	    "    <Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\" Namespace=\"Service\">\n"
	    "      <EntityContainer Name=\"Service\" "
	    "Extends=\"ServiceRoot.v1_20_0.ServiceContainer\"/>\n"
	    "    </Schema>\n"
	    "  </edmx:DataServices>\n"
	    "</edmx:Edmx>\n");
#undef ADD
	out->text = t;
	out->content_type = "application/xml";
}

DCRE_RF_CMD(session_service)
{
	(void)ctx, (void)m, (void)req;
	cJSON *s =
	    dcre_rf_resource("/redfish/v1/SessionService", "#SessionService.v1_2_0.SessionService",
	                     "SessionService", "Session Service");
	cJSON_AddStringToObject(s, "Description",
	                        "Sessions are not used: the web server authenticates every "
	                        "request (HTTP Basic).");
	cJSON_AddFalseToObject(s, "ServiceEnabled");
	cJSON *st = cJSON_AddObjectToObject(s, "Status");
	cJSON_AddStringToObject(st, "State", "Disabled");
	cJSON_AddStringToObject(st, "Health", "OK");
	cJSON_AddItemToObject(s, "Sessions", dcre_rf_link("/redfish/v1/SessionService/Sessions"));
	out->body = s;
}

DCRE_RF_CMD(sessions)
{
	(void)ctx, (void)m;
	if (strcmp(req->method, "POST") == 0) {
		dcre_rf_error(out, 405,
		              "this service creates no sessions: authentication is done by the web "
		              "server; send HTTP Basic credentials with every request",
		              DCRE_RF_OPERATION_NOT_ALLOWED);
		return;
	}
	out->body = dcre_rf_collection("/redfish/v1/SessionService/Sessions",
	                               "#SessionCollection.SessionCollection", "Session Collection",
	                               cJSON_CreateArray());
}
