/* SPDX-License-Identifier: MIT */
#include "bridge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "convert.h"

static cJSON *string_array(char **list, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, dcre_convert_text(list[i], strlen(list[i])));
	return a;
}

/* A text from a BMC as a JSON string: UTF-8 if valid, else ISO-8859-1. */
static void add_text(cJSON *o, const char *key, const char *v)
{
	cJSON_AddItemToObject(o, key, dcre_convert_text(v ? v : "", v ? strlen(v) : 0));
}

void dcre_bridge_add_sensor(cJSON *sensors, uint16_t id, const char *info, const char *type)
{
	char hex[5];
	cJSON *d = cJSON_CreateObject();

	snprintf(hex, sizeof(hex), "%04x", id);
	cJSON_AddStringToObject(d, "device_id", hex);
	cJSON_AddItemToObject(d, "device_info", dcre_convert_text(info, strlen(info)));
	cJSON_AddStringToObject(d, "device_type", type);
	cJSON_AddItemToArray(sensors, d);
}

cJSON *dcre_bridge_record(const struct dcre_backend *b, cJSON *sensors)
{
	const struct dcre_bridge_config *c = b->bridge;
	cJSON *r = cJSON_CreateObject();
	cJSON *devs = cJSON_CreateArray();
	char id[9];
	cJSON *it;

	snprintf(id, sizeof(id), "%08x", c->board_id);
	cJSON_AddStringToObject(r, "backend", b->kind);
	cJSON_AddNumberToObject(r, "index", c->index);
	cJSON_AddStringToObject(r, "board_id", id);
	cJSON_AddItemToObject(r, "hostnames", string_array(c->hostnames, c->n_hostnames));
	cJSON_AddItemToObject(r, "ip_addresses", string_array(c->ip_addresses, c->n_ip_addresses));
	dcre_bridge_add_sensor(devs, DCRE_BRIDGE_DEV_POWER, "power", "power");
	dcre_bridge_add_sensor(devs, DCRE_BRIDGE_DEV_SYSTEM, "system", "system");
	dcre_bridge_add_sensor(devs, DCRE_BRIDGE_DEV_LED, "led", "led");
	while (sensors && (it = cJSON_DetachItemFromArray(sensors, 0)))
		cJSON_AddItemToArray(devs, it);
	cJSON_Delete(sensors);
	cJSON_AddItemToObject(r, "devices", devs);
	return r;
}

const cJSON *dcre_bridge_find_device(const cJSON *record, const struct dcre_target *t)
{
	const cJSON *d;
	char hex[5];

	snprintf(hex, sizeof(hex), "%04x", t->device);
	cJSON_ArrayForEach(d, cJSON_GetObjectItem(record, "devices"))
	{
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(d, "device_id"));
		const char *info = cJSON_GetStringValue(cJSON_GetObjectItem(d, "device_info"));
		if (t->device_name ? (info && strcasecmp(info, t->device_name) == 0)
		                   : (id && strcmp(id, hex) == 0))
			return d;
	}
	return NULL;
}

bool dcre_bridge_is_device(const struct dcre_target *t, uint16_t id, const char *name)
{
	if (t->device_name)
		return strcasecmp(t->device_name, name) == 0;
	return t->device == id;
}

const char *dcre_bridge_label(const struct dcre_backend *b)
{
	return strcmp(b->kind, "ipmi") == 0 ? "IPMI" : "Redfish";
}

enum dcre_err dcre_bridge_no_device(const struct dcre_backend *b, const struct dcre_target *t,
                                    const char *type, struct dcre_msg *msg)
{
	return dcre_msg_set(msg, DCRE_ENODEV, "%s board %08x has no %s%sdevice '%s'",
	                    dcre_bridge_label(b), b->bridge->board_id, type ? type : "",
	                    type ? " " : "", t->device_name ? t->device_name : t->device_hex);
}

static const char *value_key(const char *type)
{
	if (strcmp(type, "temperature") == 0)
		return "temperature_c";
	if (strcmp(type, "fan_speed") == 0)
		return "speed_rpm";
	if (strcmp(type, "voltage") == 0)
		return "voltage";
	return NULL; /* power_supply */
}

enum dcre_err dcre_bridge_reading(enum dcre_api api, const char *type, double value,
                                  const char *health, cJSON *states, cJSON **out,
                                  struct dcre_msg *msg)
{
	const char *key = value_key(type);
	cJSON *r;

	if (!key && api == DCRE_API_12) {
		cJSON_Delete(states);
		return dcre_msg_set(msg, DCRE_ENOTSUP,
		                    "a %s reading has no 1.2 API shape (use the 1.3 API)", type);
	}
	r = cJSON_CreateObject();
	if (key) {
		cJSON *v = dcre_json_double(value);
		if (!v) {
			cJSON_Delete(r);
			cJSON_Delete(states);
			return dcre_msg_set(msg, DCRE_EPROTO,
			                    "the %s reading is not a finite number", type);
		}
		cJSON_AddItemToObject(r, key, v);
	}
	if (api == DCRE_API_13) {
		add_text(r, "health", health ? health : "unknown");
		cJSON_AddItemToObject(r, "states", states ? states : cJSON_CreateArray());
	} else {
		cJSON_Delete(states);
	}
	*out = r;
	return DCRE_OK;
}

static cJSON *tristate(int v, bool unknown_as_string)
{
	if (v < 0)
		return unknown_as_string ? cJSON_CreateString("unknown") : cJSON_CreateFalse();
	return cJSON_CreateBool(v);
}

cJSON *dcre_bridge_power(enum dcre_api api, bool on, int power_ok, int over_current, double watts)
{
	return dcre_bridge_power_state(api, on ? "on" : "off", power_ok, over_current, watts);
}

cJSON *dcre_bridge_power_state(enum dcre_api api, const char *state, int power_ok, int over_current,
                               double watts)
{
	cJSON *r = cJSON_CreateObject();
	bool v13 = api == DCRE_API_13;

	add_text(r, "power_status", state);
	cJSON_AddItemToObject(r, "power_ok", tristate(power_ok, v13));
	cJSON_AddItemToObject(r, "over_current", tristate(over_current, v13));
	if (watts >= 0)
		cJSON_AddItemToObject(r, "input_power", dcre_json_double(watts));
	else
		cJSON_AddItemToObject(r, "input_power",
		                      v13 ? cJSON_CreateString("unknown") : dcre_json_int(0));
	if (!v13) {
		cJSON_AddItemToObject(r, "input_voltage", dcre_json_int(0));
		cJSON_AddItemToObject(r, "output_current", dcre_json_int(0));
		cJSON_AddStringToObject(r, "pmbus_raw", "0,0,0,0");
		cJSON_AddFalseToObject(r, "under_voltage");
	}
	return r;
}

cJSON *dcre_bridge_led(enum dcre_api api, const char *state)
{
	cJSON *r = cJSON_CreateObject();
	if (api == DCRE_API_12)
		cJSON_AddStringToObject(r, "led_color", "unknown");
	add_text(r, "led_state", state);
	return r;
}

cJSON *dcre_bridge_asset(const char *const f[13], const char *ip_key, const char *ip)
{
	cJSON *r = cJSON_CreateObject();
	cJSON *board = cJSON_AddObjectToObject(r, "board_info");
	cJSON *chassis = cJSON_AddObjectToObject(r, "chassis_info");
	cJSON *product = cJSON_AddObjectToObject(r, "product_info");

	add_text(board, "manufacturer", f[0]);
	add_text(board, "part_number", f[1]);
	add_text(board, "product_name", f[2]);
	add_text(board, "serial_number", f[3]);
	add_text(chassis, "chassis_type", f[4]);
	add_text(chassis, "part_number", f[5]);
	add_text(chassis, "serial_number", f[6]);
	add_text(product, "asset_tag", f[7]);
	add_text(product, "manufacturer", f[8]);
	add_text(product, "part_number", f[9]);
	add_text(product, "product_name", f[10]);
	add_text(product, "serial_number", f[11]);
	add_text(product, "version", f[12]);
	add_text(r, ip_key, ip);
	return r;
}

cJSON *dcre_bridge_host_info(const struct dcre_bridge_config *b)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddItemToObject(r, "hostnames", string_array(b->hostnames, b->n_hostnames));
	cJSON_AddItemToObject(r, "ip_addresses", string_array(b->ip_addresses, b->n_ip_addresses));
	return r;
}
