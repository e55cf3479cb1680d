/* SPDX-License-Identifier: MIT */
#include "render.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"
#include "transport.h"

/* ---- numbers ---- */

static cJSON *raw(const char *text)
{
	cJSON *item = cJSON_CreateRaw(text);

	if (!item)
		abort(); /* only on OOM with cJSON's default hooks */
	return item;
}

cJSON *dcre_json_double(double v)
{
	char buf[DCRE_NUMBER_BUFSZ];

	if (dcre_number_format_double(v, buf) != DCRE_OK)
		return NULL;
	return raw(buf);
}

cJSON *dcre_json_int(long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return raw(buf);
}

cJSON *dcre_json_digits(const char *digits)
{
	assert(digits && *digits);
	return raw(digits);
}

cJSON *dcre_json_num(const struct dcre_num *n)
{
	switch (n->kind) {
	case DCRE_NUM_DOUBLE: {
		cJSON *v = dcre_json_double(n->value);
		return v ? v : cJSON_CreateString("unknown");
	}
	case DCRE_NUM_DIGITS:
		return dcre_json_digits(n->digits);
	case DCRE_NUM_UNKNOWN:
		return cJSON_CreateString("unknown");
	case DCRE_NUM_NONE:
		break;
	}
	return NULL;
}

/* ---- helpers ---- */

static void put(cJSON *obj, const char *key, cJSON *item)
{
	if (!item || !cJSON_AddItemToObject(obj, key, item))
		abort();
}

static void put_str(cJSON *obj, const char *key, const char *s)
{
	put(obj, key, cJSON_CreateString(s ? s : ""));
}

static cJSON *strv(const struct dcre_strv *s)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < s->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(s->v[i]));
	return a;
}

/* An unknown yes/no: "unknown" in 1.3, false in 1.2 (its shapes have
 * booleans only). */
static cJSON *tri(enum dcre_api api, enum dcre_tri t)
{
	if (t == DCRE_TRI_UNKNOWN)
		return api == DCRE_API_13 ? cJSON_CreateString("unknown") : cJSON_CreateFalse();
	return cJSON_CreateBool(t == DCRE_TRI_YES);
}

/* ---- answers ---- */

cJSON *dcre_render_version(enum dcre_api api, const char *firmware)
{
	cJSON *r = cJSON_CreateObject();
	bool v12 = api == DCRE_API_12;

	put_str(r, "firmware_version", firmware);
	put_str(r, "api_version", v12 ? "1.2" : "1.3");
	put_str(r, "opendcre_version", v12 ? "1.2.0" : "1.3.0");
	return r;
}

static const char *const quantity_key[DCRE_Q_COUNT] = {
    [DCRE_Q_TEMPERATURE] = "temperature_c", [DCRE_Q_HUMIDITY] = "humidity",
    [DCRE_Q_FAN_SPEED] = "speed_rpm",       [DCRE_Q_PRESSURE] = "pressure_kpa",
    [DCRE_Q_VOLTAGE] = "voltage",           [DCRE_Q_RAW] = "device_raw",
};

cJSON *dcre_render_reading(enum dcre_api api, const struct dcre_reading *r)
{
	cJSON *o = cJSON_CreateObject();

	for (int q = 0; q < DCRE_Q_COUNT; q++)
		if (r->q[q].kind != DCRE_NUM_NONE)
			put(o, quantity_key[q], dcre_json_num(&r->q[q]));
	if (r->led != DCRE_TRI_UNKNOWN)
		put_str(o, "led_state", r->led == DCRE_TRI_YES ? "on" : "off");
	if (api == DCRE_API_13 && r->fan_mode)
		put_str(o, "fan_mode", r->fan_mode);
	if (api == DCRE_API_13 && r->has_health) {
		put_str(o, "health", r->health ? r->health : "unknown");
		put(o, "states", strv(&r->states));
	}
	return o;
}

cJSON *dcre_render_power(enum dcre_api api, const struct dcre_power *p)
{
	cJSON *o = cJSON_CreateObject();
	bool v13 = api == DCRE_API_13;

	if (p->battery) {
		put(o, "battery_charge_percent", dcre_json_num(&p->battery_charge));
		put_str(o, "battery_status", p->battery_status);
		return o;
	}
	put_str(o, "power_status", p->state[0] ? p->state : "unknown");
	put(o, "power_ok", tri(api, p->power_ok));
	put(o, "over_current", tri(api, p->over_current));
	if (p->input_power.kind == DCRE_NUM_UNKNOWN || p->input_power.kind == DCRE_NUM_NONE)
		put(o, "input_power", v13 ? cJSON_CreateString("unknown") : dcre_json_int(0));
	else
		put(o, "input_power", dcre_json_num(&p->input_power));
	/* what only a PMBus answer has: the 1.2 shape always shows it */
	if (p->input_voltage.kind == DCRE_NUM_DOUBLE || p->input_voltage.kind == DCRE_NUM_DIGITS)
		put(o, "input_voltage", dcre_json_num(&p->input_voltage));
	else if (!v13)
		put(o, "input_voltage", dcre_json_int(0));
	if (p->output_current.kind == DCRE_NUM_DOUBLE || p->output_current.kind == DCRE_NUM_DIGITS)
		put(o, "output_current", dcre_json_num(&p->output_current));
	else if (!v13)
		put(o, "output_current", dcre_json_int(0));
	if (p->pmbus_raw)
		put_str(o, "pmbus_raw", p->pmbus_raw);
	else if (!v13)
		put_str(o, "pmbus_raw", "0,0,0,0");
	if (p->under_voltage != DCRE_TRI_UNKNOWN)
		put(o, "under_voltage", cJSON_CreateBool(p->under_voltage == DCRE_TRI_YES));
	else if (!v13)
		put(o, "under_voltage", cJSON_CreateFalse());
	return o;
}

cJSON *dcre_render_asset(const struct dcre_asset *a)
{
	static const char *const key[DCRE_ASSET_COUNT] = {
	    "manufacturer", "part_number",   "product_name", "serial_number", "chassis_type",
	    "part_number",  "serial_number", "asset_tag",    "manufacturer",  "part_number",
	    "product_name", "serial_number", "version"};
	cJSON *o = cJSON_CreateObject();
	cJSON *board = cJSON_AddObjectToObject(o, "board_info");
	cJSON *chassis = cJSON_AddObjectToObject(o, "chassis_info");
	cJSON *product = cJSON_AddObjectToObject(o, "product_info");

	for (int i = 0; i < DCRE_ASSET_COUNT; i++) {
		cJSON *to = i < DCRE_ASSET_CHASSIS_TYPE        ? board
		            : i < DCRE_ASSET_PRODUCT_ASSET_TAG ? chassis
		                                               : product;
		put_str(to, key[i], a->field[i]);
	}
	if (a->address_key)
		put_str(o, a->address_key, a->address);
	return o;
}

cJSON *dcre_render_boot_target(const struct dcre_boot *b)
{
	static const char *const names[] = {"no_override", "hdd", "pxe"};
	cJSON *o = cJSON_CreateObject();

	if (b->target >= DCRE_BOOT_NO_OVERRIDE && b->target <= DCRE_BOOT_PXE)
		put_str(o, "target", names[b->target]);
	else if (b->target == DCRE_BOOT_OTHER && b->other)
		put_str(o, "target", b->other);
	else
		put(o, "target", cJSON_CreateNull());
	return o;
}

cJSON *dcre_render_led(enum dcre_api api, const struct dcre_led *l)
{
	cJSON *o = cJSON_CreateObject();

	if (api == DCRE_API_12 && l->color_unknown)
		put_str(o, "led_color", "unknown");
	put_str(o, "led_state", l->state);
	return o;
}

cJSON *dcre_render_chamber_led(const struct dcre_chamber_led *c)
{
	cJSON *o = cJSON_CreateObject();

	put_str(o, "led_state", c->state);
	put_str(o, "led_color", c->color);
	put_str(o, "blink_state", c->blink);
	return o;
}

cJSON *dcre_render_host_info(const struct dcre_host_info *h)
{
	cJSON *o = cJSON_CreateObject();

	put(o, "hostnames", strv(&h->hostnames));
	put(o, "ip_addresses", strv(&h->ip_addresses));
	return o;
}

cJSON *dcre_render_facts(const struct dcre_facts *f)
{
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; i < f->n; i++) {
		const struct dcre_fact *x = &f->v[i];
		switch (x->kind) {
		case DCRE_FACT_BOOL:
			put(o, x->name, cJSON_CreateBool(x->b));
			break;
		case DCRE_FACT_INT:
			put(o, x->name, dcre_json_int(x->i));
			break;
		case DCRE_FACT_DOUBLE: {
			cJSON *v = dcre_json_double(x->d);
			put(o, x->name, v ? v : cJSON_CreateNull());
			break;
		}
		case DCRE_FACT_TEXT:
			put_str(o, x->name, x->text);
			break;
		}
	}
	return o;
}

/* Two bits of a device id (conversions.md §10): the first alone, the second
 * alone, both ("middle") or neither ("unknown"). */
static const char *pair(int32_t id, int first_bit, const char *first, const char *second)
{
	bool a = id & (1 << first_bit), b = id & (1 << (first_bit - 1));

	if (a && b)
		return "middle";
	if (a)
		return first;
	if (b)
		return second;
	return "unknown";
}

cJSON *dcre_render_location(int32_t device_id)
{
	cJSON *obj = cJSON_CreateObject();
	cJSON *phys = cJSON_AddObjectToObject(obj, "physical_location");

	assert(device_id <= 0xFFFF);
	put_str(phys, "depth", "unknown");
	put_str(phys, "horizontal", "unknown");
	put_str(phys, "vertical", "unknown");
	if (device_id >= 0) {
		cJSON *ch = cJSON_AddObjectToObject(obj, "chassis_location");
		if (device_id & 0x8000) {
			put(ch, "server_node", dcre_json_int((device_id >> 8) & 0x1F));
			put_str(ch, "depth", "unknown");
			put_str(ch, "horiz_pos", "unknown");
			put_str(ch, "vert_pos", "unknown");
		} else {
			put_str(ch, "server_node", "unknown");
			put_str(ch, "depth", pair(device_id, 14, "front", "rear"));
			put_str(ch, "horiz_pos", pair(device_id, 12, "left", "right"));
			put_str(ch, "vert_pos", pair(device_id, 10, "top", "bottom"));
		}
	}
	return obj;
}

/* ---- inventory ---- */

cJSON *dcre_render_board_record(const struct dcre_board *b)
{
	cJSON *r = cJSON_CreateObject();
	cJSON *devs = cJSON_CreateArray();
	char hex[9];

	put_str(r, "backend", b->backend);
	if (b->index >= 0)
		cJSON_AddNumberToObject(r, "index", b->index);
	snprintf(hex, sizeof(hex), "%08x", b->id);
	put_str(r, "board_id", hex);
	if (b->has_names) {
		put(r, "hostnames", strv(&b->hostnames));
		put(r, "ip_addresses", strv(&b->ip_addresses));
	}
	for (size_t i = 0; i < b->n_devices; i++) {
		const struct dcre_device *d = &b->devices[i];
		cJSON *o = cJSON_CreateObject();
		snprintf(hex, sizeof(hex), "%04x", d->id);
		put_str(o, "device_id", hex);
		if (d->info)
			put_str(o, "device_info", d->info);
		put_str(o, "device_type", d->type);
		cJSON_AddItemToArray(devs, o);
	}
	put(r, "devices", devs);
	return r;
}

cJSON *dcre_render_board(enum dcre_api api, const cJSON *board)
{
	cJSON *b = cJSON_Duplicate(board, 1);
	const char *id_text = cJSON_GetStringValue(cJSON_GetObjectItem(b, "board_id"));
	/* 1.2: an id with the one-board bit is a one-board backend's board */
	bool bridge = id_text && (strtoul(id_text, NULL, 16) & DCRE_ID12_ONE_BOARD_BIT);
	cJSON *d;

	if (api == DCRE_API_12 && bridge) {
		cJSON_DeleteItemFromObject(b, "hostnames");
		cJSON_DeleteItemFromObject(b, "ip_addresses");
		cJSON_ArrayForEach(d, cJSON_GetObjectItem(b, "devices"))
		{
			const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(d, "device_id"));
			if (id &&
			    (!strcmp(id, "0100") || !strcmp(id, "0200") || !strcmp(id, "0300")))
				cJSON_DeleteItemFromObject(d, "device_info");
		}
	}
	cJSON_DeleteItemFromObject(b, "backend");
	cJSON_DeleteItemFromObject(b, "index");
	return b;
}
