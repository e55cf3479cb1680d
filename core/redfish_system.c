/* SPDX-License-Identifier: MIT */
/* Systems (a board with power control: power state, reset, boot override)
 * and Managers (the service itself, and the BMC of a bridge board). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"
#include "redfish_proto.h"
#include "redfish_res.h"

#define T_SYSTEM "#ComputerSystem.v1_27_0.ComputerSystem"
#define T_MANAGER "#Manager.v1_24_0.Manager"
#define RESET "ComputerSystem.Reset"

/* ResetType values and the power actions they are: what every backend's
 * power operation does (on, off, cycle). */
static const struct {
	const char *name;
	enum dcre_power_action action;
} resets[] = {
    {"On", DCRE_POWER_ON},
    {"ForceOff", DCRE_POWER_OFF},
    {"PowerCycle", DCRE_POWER_CYCLE},
};

static const char *const boot_names[] = {"None", "Hdd", "Pxe"}; /* enum dcre_boot_target order */

/* The board of {board} with a power device, or a 404 in out. */
static const struct dcre_rf_board *system_of(const struct dcre_rf_inv *inv,
                                             const struct dcre_route_match *m,
                                             struct dcre_rf_reply *out)
{
	const struct dcre_rf_board *bd = dcre_rf_inv_board(inv, m->var[DCRE_VAR_BOARD]);
	if (!bd || !bd->b || !dcre_rf_device(bd, "power", 0)) {
		dcre_rf_error(out, 404, NULL, DCRE_RF_RESOURCE_NOT_FOUND, "ComputerSystem",
		              m->var[DCRE_VAR_BOARD]);
		return NULL;
	}
	return bd;
}

static enum dcre_err power_op(const struct dcre_rf_board *bd, enum dcre_power_action a,
                              struct dcre_power *p, struct dcre_msg *msg)
{
	const cJSON *dev = dcre_rf_device(bd, "power", 0);
	struct dcre_target t;

	if (!bd->b->ops->power)
		return dcre_msg_set(msg, DCRE_ENOTSUP, "no power control");
	dcre_rf_target(bd, dev, &t);
	return bd->b->ops->power(bd->b, &t, bd->b->one_board ? NULL : dcre_rf_dev_type(dev), a, p,
	                         msg);
}

static bool has_boot(const struct dcre_rf_board *bd)
{
	return bd->b->ops->boot_target && dcre_rf_device(bd, "system", 0);
}

static enum dcre_err boot_op(const struct dcre_rf_board *bd, enum dcre_boot_target set,
                             struct dcre_boot *now, struct dcre_msg *msg)
{
	struct dcre_target t;
	dcre_rf_target(bd, dcre_rf_device(bd, "system", 0), &t);
	return bd->b->ops->boot_target(bd->b, &t, set, now, msg);
}

static cJSON *strings(const char *const *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

static cJSON *system_body(const struct dcre_rf_board *bd)
{
	char path[96];
	struct dcre_msg msg;
	snprintf(path, sizeof(path), "/redfish/v1/Systems/%s", bd->hex);
	char *name = dcre_xasprintf("System %s", bd->hex);
	cJSON *s = dcre_rf_resource(path, T_SYSTEM, bd->hex, name);
	free(name);
	cJSON_AddStringToObject(s, "SystemType", "Physical");

	struct dcre_power p = {0};
	const char *state = NULL;
	if (power_op(bd, DCRE_POWER_STATUS, &p, &msg) == DCRE_OK) {
		if (strcmp(p.state, "on") == 0)
			state = "On";
		else if (strcmp(p.state, "off") == 0)
			state = "Off";
		else if (strcmp(p.state, "poweringon") == 0)
			state = "PoweringOn";
		else if (strcmp(p.state, "poweringoff") == 0)
			state = "PoweringOff";
	} else {
		dcre_debug("redfish: power of board %s: %s", bd->hex, msg.text);
	}
	dcre_power_clear(&p);
	if (state)
		cJSON_AddStringToObject(s, "PowerState", state);
	else
		cJSON_AddNullToObject(s, "PowerState");
	cJSON *st = cJSON_AddObjectToObject(s, "Status");
	cJSON_AddStringToObject(st, "State", state ? "Enabled" : "UnavailableOffline");
	if (state)
		cJSON_AddStringToObject(st, "Health", "OK");
	else
		cJSON_AddNullToObject(st, "Health");

	if (has_boot(bd)) {
		cJSON *boot = cJSON_AddObjectToObject(s, "Boot");
		struct dcre_boot now = {.target = DCRE_BOOT_UNKNOWN};
		const char *target = NULL;
		if (boot_op(bd, DCRE_BOOT_GET, &now, &msg) == DCRE_OK &&
		    now.target >= DCRE_BOOT_NO_OVERRIDE && now.target <= DCRE_BOOT_PXE)
			target = boot_names[now.target];
		dcre_boot_clear(&now);
		if (target) {
			cJSON_AddStringToObject(boot, "BootSourceOverrideTarget", target);
			cJSON_AddStringToObject(boot, "BootSourceOverrideEnabled",
			                        strcmp(target, "None") == 0 ? "Disabled" : "Once");
		} else {
			cJSON_AddNullToObject(boot, "BootSourceOverrideTarget");
			cJSON_AddNullToObject(boot, "BootSourceOverrideEnabled");
		}
		cJSON_AddItemToObject(boot, "BootSourceOverrideTarget@Redfish.AllowableValues",
		                      strings(boot_names, 3));
		static const char *const enabled[] = {"Once", "Disabled"};
		cJSON_AddItemToObject(boot, "BootSourceOverrideEnabled@Redfish.AllowableValues",
		                      strings(enabled, 2));
	}

	cJSON *actions = cJSON_AddObjectToObject(s, "Actions");
	cJSON *reset = cJSON_AddObjectToObject(actions, "#" RESET);
	snprintf(path, sizeof(path), "/redfish/v1/Systems/%s/Actions/" RESET, bd->hex);
	cJSON_AddStringToObject(reset, "target", path);
	cJSON *allowed = cJSON_AddArrayToObject(reset, "ResetType@Redfish.AllowableValues");
	for (size_t i = 0; i < sizeof(resets) / sizeof(resets[0]); i++)
		cJSON_AddItemToArray(allowed, cJSON_CreateString(resets[i].name));

	cJSON *links = cJSON_AddObjectToObject(s, "Links");
	cJSON *chassis = cJSON_AddArrayToObject(links, "Chassis");
	snprintf(path, sizeof(path), "/redfish/v1/Chassis/%s", bd->hex);
	cJSON_AddItemToArray(chassis, dcre_rf_link(path));
	cJSON *mgr = cJSON_AddArrayToObject(links, "ManagedBy");
	if (bd->b->one_board)
		snprintf(path, sizeof(path), "/redfish/v1/Managers/%s", bd->hex);
	else
		snprintf(path, sizeof(path), "/redfish/v1/Managers/opendcre");
	cJSON_AddItemToArray(mgr, dcre_rf_link(path));
	return s;
}

DCRE_RF_CMD(systems)
{
	struct dcre_rf_inv inv;
	(void)m, (void)req;
	if (!dcre_rf_open(ctx, &inv, out))
		return;
	cJSON *members = cJSON_CreateArray();
	for (size_t i = 0; i < inv.n; i++) {
		if (!inv.v[i].b || !dcre_rf_device(&inv.v[i], "power", 0))
			continue;
		char *id = dcre_xasprintf("/redfish/v1/Systems/%s", inv.v[i].hex);
		cJSON_AddItemToArray(members, dcre_rf_link(id));
		free(id);
	}
	out->body = dcre_rf_collection("/redfish/v1/Systems",
	                               "#ComputerSystemCollection.ComputerSystemCollection",
	                               "Computer System Collection", members);
	dcre_rf_inv_free(&inv);
}

/* PATCH Boot: validated whole before anything is set. */
static void patch_boot(const struct dcre_rf_board *bd, const struct dcre_rf_request *req,
                       struct dcre_rf_reply *out)
{
	cJSON *body = dcre_rf_patch_body(req, out->body, has_boot(bd) ? "Boot" : "", out);
	if (!body)
		return;
	const cJSON *boot = cJSON_GetObjectItem(body, "Boot");
	const cJSON *v;
	int target = -1, enabled = -1; /* enabled: 1 Once, 0 Disabled */

	if (!boot)
		goto apply;
	if (!cJSON_IsObject(boot)) {
		char *text = cJSON_PrintUnformatted(boot);
		dcre_rf_error(out, 400, NULL, DCRE_RF_PROPERTY_VALUE_TYPE_ERROR, text, "Boot");
		cJSON_free(text);
		goto done;
	}
	cJSON_ArrayForEach(v, boot)
	{
		bool is_target = strcmp(v->string, "BootSourceOverrideTarget") == 0;
		bool is_enabled = strcmp(v->string, "BootSourceOverrideEnabled") == 0;
		char prop[160];
		snprintf(prop, sizeof(prop), "Boot/%s", v->string);
		if (!is_target && !is_enabled) {
			cJSON *cur = cJSON_GetObjectItem(out->body, "Boot");
			dcre_rf_error(out, 400, NULL,
			              cJSON_GetObjectItem(cur, v->string)
			                  ? DCRE_RF_PROPERTY_NOT_WRITABLE
			                  : DCRE_RF_PROPERTY_UNKNOWN,
			              prop);
			goto done;
		}
		const char *s = cJSON_GetStringValue(v);
		if (!s) {
			char *text = cJSON_PrintUnformatted(v);
			dcre_rf_error(out, 400, NULL, DCRE_RF_PROPERTY_VALUE_TYPE_ERROR, text,
			              prop);
			cJSON_free(text);
			goto done;
		}
		if (is_target) {
			for (int i = 0; i < 3; i++)
				if (strcmp(s, boot_names[i]) == 0)
					target = i;
			if (target < 0) {
				dcre_rf_error(out, 400, NULL, DCRE_RF_PROPERTY_VALUE_NOT_IN_LIST, s,
				              prop);
				goto done;
			}
		} else {
			enabled = strcmp(s, "Once") == 0 ? 1 : strcmp(s, "Disabled") == 0 ? 0 : -2;
			if (enabled == -2) {
				dcre_rf_error(out, 400, NULL, DCRE_RF_PROPERTY_VALUE_NOT_IN_LIST, s,
				              prop);
				goto done;
			}
		}
	}
	/* Disabled, or the target None: no override; Once: the target given
	 * (or the current one) */
	enum dcre_boot_target set = DCRE_BOOT_GET;
	if (enabled == 0 || target == DCRE_BOOT_NO_OVERRIDE)
		set = DCRE_BOOT_NO_OVERRIDE;
	else if (target > 0)
		set = (enum dcre_boot_target)target;
	if (set != DCRE_BOOT_GET) {
		struct dcre_boot now = {.target = DCRE_BOOT_UNKNOWN};
		struct dcre_msg msg = {{0}};
		enum dcre_err e = boot_op(bd, set, &now, &msg);
		dcre_boot_clear(&now);
		if (e) {
			dcre_rf_error(out, 500, msg.text, DCRE_RF_INTERNAL_ERROR);
			goto done;
		}
	}
apply:
	dcre_rf_reply_clear(out);
	out->body = system_body(bd);
done:
	cJSON_Delete(body);
}

DCRE_RF_CMD(system)
{
	struct dcre_rf_inv inv;
	if (!dcre_rf_open(ctx, &inv, out))
		return;
	const struct dcre_rf_board *bd = system_of(&inv, m, out);
	if (bd) {
		out->body = system_body(bd);
		if (strcmp(req->method, "PATCH") == 0)
			patch_boot(bd, req, out);
	}
	dcre_rf_inv_free(&inv);
}

DCRE_RF_CMD(reset)
{
	struct dcre_rf_inv inv;
	if (!dcre_rf_open(ctx, &inv, out))
		return;
	const struct dcre_rf_board *bd = dcre_rf_inv_board(&inv, m->var[DCRE_VAR_BOARD]);
	cJSON *body = NULL;
	if (!bd) {
		dcre_rf_error(out, 404, NULL, DCRE_RF_RESOURCE_NOT_FOUND, "ComputerSystem",
		              m->var[DCRE_VAR_BOARD]);
		goto done;
	}
	if (!bd->b || !dcre_rf_device(bd, "power", 0) || !bd->b->ops->power) {
		/* a board without power control has no system to reset */
		dcre_rf_error(out, 400, "the board has no power control",
		              DCRE_RF_ACTION_NOT_SUPPORTED, RESET);
		goto done;
	}
	body = dcre_rf_parse_body(req, out);
	if (!body)
		goto done;
	const cJSON *v;
	cJSON_ArrayForEach(v, body)
	{
		if (strcmp(v->string, "ResetType") != 0) {
			dcre_rf_error(out, 400, NULL, DCRE_RF_ACTION_PARAM_UNKNOWN, RESET,
			              v->string);
			goto done;
		}
	}
	v = cJSON_GetObjectItem(body, "ResetType");
	if (!v) {
		dcre_rf_error(out, 400, NULL, DCRE_RF_ACTION_PARAM_MISSING, RESET, "ResetType");
		goto done;
	}
	const char *s = cJSON_GetStringValue(v);
	if (!s) {
		char *text = cJSON_PrintUnformatted(v);
		dcre_rf_error(out, 400, NULL, DCRE_RF_ACTION_PARAM_TYPE_ERROR, text, "ResetType",
		              RESET);
		cJSON_free(text);
		goto done;
	}
	int a = -1;
	for (size_t i = 0; i < sizeof(resets) / sizeof(resets[0]); i++)
		if (strcmp(s, resets[i].name) == 0)
			a = (int)i;
	if (a < 0) {
		dcre_rf_error(out, 400, NULL, DCRE_RF_ACTION_PARAM_NOT_IN_LIST, s, "ResetType",
		              RESET);
		goto done;
	}
	struct dcre_power p = {0};
	struct dcre_msg msg = {{0}};
	enum dcre_err e = power_op(bd, resets[a].action, &p, &msg);
	dcre_power_clear(&p);
	if (e) {
		dcre_rf_error(out, 500, msg.text, DCRE_RF_INTERNAL_ERROR);
		goto done;
	}
	out->status = 204;
done:
	cJSON_Delete(body);
	dcre_rf_inv_free(&inv);
}

DCRE_RF_CMD(managers)
{
	struct dcre_rf_inv inv;
	(void)m, (void)req;
	if (!dcre_rf_open(ctx, &inv, out))
		return;
	cJSON *members = cJSON_CreateArray();
	cJSON_AddItemToArray(members, dcre_rf_link("/redfish/v1/Managers/opendcre"));
	for (size_t i = 0; i < inv.n; i++) {
		if (!inv.v[i].b || !inv.v[i].b->one_board)
			continue;
		char *id = dcre_xasprintf("/redfish/v1/Managers/%s", inv.v[i].hex);
		cJSON_AddItemToArray(members, dcre_rf_link(id));
		free(id);
	}
	out->body =
	    dcre_rf_collection("/redfish/v1/Managers", "#ManagerCollection.ManagerCollection",
	                       "Manager Collection", members);
	dcre_rf_inv_free(&inv);
}

static cJSON *service_manager(const struct dcre_rf_inv *inv)
{
	cJSON *mg = dcre_rf_resource("/redfish/v1/Managers/opendcre", T_MANAGER, "opendcre",
	                             "opendcre service");
	cJSON_AddStringToObject(mg, "ManagerType", "Service");
	cJSON_AddStringToObject(mg, "FirmwareVersion", DCRE_VERSION);
	cJSON *st = cJSON_AddObjectToObject(mg, "Status");
	cJSON_AddStringToObject(st, "State", "Enabled");
	cJSON_AddStringToObject(st, "Health", "OK");
	cJSON *links = cJSON_AddObjectToObject(mg, "Links");
	cJSON *ch = cJSON_AddArrayToObject(links, "ManagerForChassis");
	cJSON *sys = cJSON_AddArrayToObject(links, "ManagerForServers");
	for (size_t i = 0; i < inv->n_racks; i++) {
		char *id = dcre_xasprintf("/redfish/v1/Chassis/%s", inv->racks[i]);
		cJSON_AddItemToArray(ch, dcre_rf_link(id));
		free(id);
	}
	for (size_t i = 0; i < inv->n; i++) {
		const struct dcre_rf_board *bd = &inv->v[i];
		if (bd->b && bd->b->one_board)
			continue;
		char *id = dcre_xasprintf("/redfish/v1/Chassis/%s", bd->hex);
		cJSON_AddItemToArray(ch, dcre_rf_link(id));
		free(id);
		if (bd->b && dcre_rf_device(bd, "power", 0)) {
			id = dcre_xasprintf("/redfish/v1/Systems/%s", bd->hex);
			cJSON_AddItemToArray(sys, dcre_rf_link(id));
			free(id);
		}
	}
	return mg;
}

static cJSON *bmc_manager(const struct dcre_rf_board *bd)
{
	char path[96];
	struct dcre_msg msg;
	snprintf(path, sizeof(path), "/redfish/v1/Managers/%s", bd->hex);
	char *name = dcre_xasprintf(
	    "%s of board %s", strcmp(bd->b->kind, "ipmi") == 0 ? "IPMI BMC" : "Redfish service",
	    bd->hex);
	cJSON *mg = dcre_rf_resource(path, T_MANAGER, bd->hex, name);
	free(name);
	cJSON_AddStringToObject(mg, "ManagerType", "BMC");
	char *fw = NULL;
	struct dcre_target t;
	dcre_rf_target(bd, NULL, &t);
	bool up = bd->b->ops->version && bd->b->ops->version(bd->b, &t, &fw, &msg) == DCRE_OK;
	if (up && fw) {
		char *clean = dcre_rf_clean(fw);
		cJSON_AddStringToObject(mg, "FirmwareVersion", clean);
		free(clean);
	}
	free(fw);
	cJSON *st = cJSON_AddObjectToObject(mg, "Status");
	cJSON_AddStringToObject(st, "State", up ? "Enabled" : "UnavailableOffline");
	if (up)
		cJSON_AddStringToObject(st, "Health", "OK");
	else
		cJSON_AddNullToObject(st, "Health");
	cJSON *links = cJSON_AddObjectToObject(mg, "Links");
	cJSON *ch = cJSON_AddArrayToObject(links, "ManagerForChassis");
	snprintf(path, sizeof(path), "/redfish/v1/Chassis/%s", bd->hex);
	cJSON_AddItemToArray(ch, dcre_rf_link(path));
	if (dcre_rf_device(bd, "power", 0)) {
		cJSON *sys = cJSON_AddArrayToObject(links, "ManagerForServers");
		snprintf(path, sizeof(path), "/redfish/v1/Systems/%s", bd->hex);
		cJSON_AddItemToArray(sys, dcre_rf_link(path));
	}
	return mg;
}

DCRE_RF_CMD(manager)
{
	struct dcre_rf_inv inv;
	const char *id = m->var[DCRE_VAR_BOARD];
	(void)req;
	if (!dcre_rf_open(ctx, &inv, out))
		return;
	const struct dcre_rf_board *bd = dcre_rf_inv_board(&inv, id);
	if (strcmp(id, "opendcre") == 0)
		out->body = service_manager(&inv);
	else if (bd && bd->b && bd->b->one_board)
		out->body = bmc_manager(bd);
	else
		dcre_rf_error(out, 404, NULL, DCRE_RF_RESOURCE_NOT_FOUND, "Manager", id);
	dcre_rf_inv_free(&inv);
}
