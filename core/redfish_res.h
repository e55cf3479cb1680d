/* SPDX-License-Identifier: MIT */
/* The Redfish resources: one command per row of the route table's Redfish
 * rows. A command fills out (status 200 with a JSON body or a text, or an
 * error body of core/redfish_proto.h); GET and HEAD read, PATCH and POST
 * change state as the route table says. */
#ifndef DCRE_REDFISH_RES_H
#define DCRE_REDFISH_RES_H

#include "command.h"
#include "redfish.h"
#include "redfish_inv.h"
#include "route.h"

#define DCRE_RF_CMD(name)                                                                          \
	void dcre_rf_##name(struct dcre_ctx *ctx, const struct dcre_route_match *m,                \
	                    const struct dcre_rf_request *req, struct dcre_rf_reply *out)

/* core/redfish_service.c */
DCRE_RF_CMD(versions);
DCRE_RF_CMD(root);
DCRE_RF_CMD(odata);
DCRE_RF_CMD(metadata);
DCRE_RF_CMD(session_service);
DCRE_RF_CMD(sessions);
/* core/redfish_chassis.c */
DCRE_RF_CMD(chassis_collection);
DCRE_RF_CMD(chassis);
DCRE_RF_CMD(thermal);
DCRE_RF_CMD(power);
DCRE_RF_CMD(sensors);
DCRE_RF_CMD(sensor);
/* core/redfish_system.c */
DCRE_RF_CMD(systems);
DCRE_RF_CMD(system);
DCRE_RF_CMD(reset);
DCRE_RF_CMD(managers);
DCRE_RF_CMD(manager);

/* Run the matched Redfish command: status 200 first, the ETag of a
 * successful answer after. */
void dcre_rf_run(struct dcre_ctx *ctx, const struct dcre_route_match *m,
                 const struct dcre_rf_request *req, struct dcre_rf_reply *out);

/* Shared by the resource files: the inventory, or a 500 in out. */
bool dcre_rf_open(struct dcre_ctx *ctx, struct dcre_rf_inv *inv, struct dcre_rf_reply *out);
/* A PATCH's common steps on the current representation cur: If-Match
 * (412), the body (400 MalformedJSON), and every property either in
 * writable ('|'-separated) or answered PropertyNotWritable (present in cur)
 * or PropertyUnknown. Returns the body (caller deletes) or NULL after
 * answering the error. */
cJSON *dcre_rf_patch_body(const struct dcre_rf_request *req, const cJSON *cur, const char *writable,
                          struct dcre_rf_reply *out);

#endif
