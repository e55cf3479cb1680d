/* SPDX-License-Identifier: MIT */
/* Chassis: one per rack and one per board; the board's LED, asset, Thermal,
 * Power and Sensors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"
#include "redfish_proto.h"
#include "redfish_res.h"
#include "render.h"

#define T_CHASSIS "#Chassis.v1_28_0.Chassis"
#define T_THERMAL "#Thermal.v1_7_3.Thermal"
#define T_POWER "#Power.v1_7_3.Power"
#define T_SENSOR "#Sensor.v1_12_0.Sensor"

#define TEMPS "temperature|thermistor"
#define FANS "fan_speed|vapor_fan"

/* The reading types of devices: what a Sensor says of each. */
static const struct {
	const char *types;
	const char *reading_type, *units;
	int q; /* enum dcre_quantity, or -1: power's input watts, -2: health only */
} kinds[] = {
    {TEMPS, "Temperature", "Cel", DCRE_Q_TEMPERATURE},
    {"humidity", "Humidity", "%", DCRE_Q_HUMIDITY},
    {FANS, "Rotational", "RPM", DCRE_Q_FAN_SPEED},
    {"pressure", "PressurekPa", "kPa", DCRE_Q_PRESSURE},
    {"voltage", "Voltage", "V", DCRE_Q_VOLTAGE},
    {"power", "Power", "W", -1},
    {"power_supply", NULL, NULL, -2},
};

static int kind_of(const char *type)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (dcre_rf_type_in(type, kinds[i].types))
			return (int)i;
	return -1;
}

static cJSON *num(const struct dcre_num *n)
{
	cJSON *v = NULL;
	if (n->kind == DCRE_NUM_DOUBLE)
		v = dcre_json_double(n->value);
	else if (n->kind == DCRE_NUM_DIGITS)
		v = dcre_json_digits(n->digits);
	return v ? v : cJSON_CreateNull();
}

/* One device read: the value (a JSON number or null) and its Status. */
struct sample {
	cJSON *value;
	cJSON *status;
	struct dcre_power power; /* the power device's answer */
	bool power_ok;
};

static cJSON *status(const char *state, const char *health)
{
	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "State", state);
	if (health)
		cJSON_AddStringToObject(s, "Health", health);
	else
		cJSON_AddNullToObject(s, "Health");
	return s;
}

static const char *health_of(const struct dcre_reading *r)
{
	if (!r->has_health || !r->health)
		return "OK"; /* it answered, and reports no health of its own */
	if (strcmp(r->health, "ok") == 0)
		return "OK";
	if (strcmp(r->health, "warning") == 0)
		return "Warning";
	if (strcmp(r->health, "critical") == 0 || strcmp(r->health, "failed") == 0)
		return "Critical";
	return NULL;
}

static void sample_read(const struct dcre_rf_board *bd, const cJSON *dev, struct sample *s)
{
	const char *type = dcre_rf_dev_type(dev);
	struct dcre_backend *b = bd->b;
	struct dcre_target t;
	struct dcre_msg msg;
	enum dcre_err e = DCRE_ENOTSUP;
	int k = kind_of(type);

	memset(s, 0, sizeof(*s));
	dcre_rf_target(bd, dev, &t);
	if (b && k >= 0 && kinds[k].q == -1) {
		if (b->ops->power)
			e = b->ops->power(b, &t, b->one_board ? NULL : type, DCRE_POWER_STATUS,
			                  &s->power, &msg);
		s->power_ok = e == DCRE_OK;
		s->value = e ? cJSON_CreateNull() : num(&s->power.input_power);
		const char *h = e ? NULL
		                : s->power.power_ok == DCRE_TRI_NO ||
		                        s->power.over_current == DCRE_TRI_YES ||
		                        s->power.under_voltage == DCRE_TRI_YES
		                    ? "Critical"
		                    : "OK";
		s->status = status(e ? "UnavailableOffline" : "Enabled", h);
	} else if (b && k >= 0) {
		struct dcre_reading r = {0};
		if (b->ops->read)
			e = b->ops->read(b, &t, type, &r, &msg);
		s->value = e || kinds[k].q < 0 ? cJSON_CreateNull() : num(&r.q[kinds[k].q]);
		s->status = status(e ? "UnavailableOffline" : "Enabled", e ? NULL : health_of(&r));
		dcre_reading_clear(&r);
	} else {
		s->value = cJSON_CreateNull();
		s->status = status("UnavailableOffline", NULL);
	}
	if (e && e != DCRE_ENOTSUP)
		dcre_debug("redfish: board %s device %s: %s", bd->hex, dcre_rf_dev_id(dev),
		           msg.text);
}

static void sample_clear(struct sample *s)
{
	cJSON_Delete(s->value);
	cJSON_Delete(s->status);
	dcre_power_clear(&s->power);
}

/* The board of the route's {board}, or a 404 in out. */
static const struct dcre_rf_board *board_of(const struct dcre_rf_inv *inv,
                                            const struct dcre_route_match *m, const char *what,
                                            struct dcre_rf_reply *out)
{
	const struct dcre_rf_board *bd = dcre_rf_inv_board(inv, m->var[DCRE_VAR_BOARD]);
	if (!bd)
		dcre_rf_error(out, 404, NULL, DCRE_RF_RESOURCE_NOT_FOUND, what,
		              m->var[DCRE_VAR_BOARD]);
	return bd;
}

DCRE_RF_CMD(chassis_collection)
{
	struct dcre_rf_inv inv;
	(void)m, (void)req;
	if (!dcre_rf_open(ctx, &inv, out))
		return;
	cJSON *members = cJSON_CreateArray();
	for (size_t i = 0; i < inv.n_racks; i++) {
		char *id = dcre_xasprintf("/redfish/v1/Chassis/%s", inv.racks[i]);
		cJSON_AddItemToArray(members, dcre_rf_link(id));
		free(id);
	}
	for (size_t i = 0; i < inv.n; i++) {
		char *id = dcre_xasprintf("/redfish/v1/Chassis/%s", inv.v[i].hex);
		cJSON_AddItemToArray(members, dcre_rf_link(id));
		free(id);
	}
	out->body =
	    dcre_rf_collection("/redfish/v1/Chassis", "#ChassisCollection.ChassisCollection",
	                       "Chassis Collection", members);
	dcre_rf_inv_free(&inv);
}

static cJSON *rack_chassis(const struct dcre_rf_inv *inv, const char *rack)
{
	char *id = dcre_xasprintf("/redfish/v1/Chassis/%s", rack);
	char *name = dcre_xasprintf("Rack %s", rack);
	cJSON *c = dcre_rf_resource(id, T_CHASSIS, rack, name);
	cJSON_AddStringToObject(c, "ChassisType", "Rack");
	cJSON_AddItemToObject(c, "Status", status("Enabled", "OK"));
	cJSON *links = cJSON_AddObjectToObject(c, "Links");
	cJSON *contains = cJSON_AddArrayToObject(links, "Contains");
	for (size_t i = 0; i < inv->n; i++) {
		if (strcmp(inv->v[i].rack, rack) != 0)
			continue;
		char *bid = dcre_xasprintf("/redfish/v1/Chassis/%s", inv->v[i].hex);
		cJSON_AddItemToArray(contains, dcre_rf_link(bid));
		free(bid);
	}
	cJSON *mgr = cJSON_AddArrayToObject(links, "ManagedBy");
	cJSON_AddItemToArray(mgr, dcre_rf_link("/redfish/v1/Managers/opendcre"));
	free(name);
	free(id);
	return c;
}

static void put_text(cJSON *o, const char *key, const char *a, const char *b, const char *c)
{
	const char *v = a && *a ? a : b && *b ? b : c && *c ? c : NULL;
	if (v) {
		char *clean = dcre_rf_clean(v);
		cJSON_AddStringToObject(o, key, clean);
		free(clean);
	}
}

/* Asset properties from the board's system device, where it has them. */
static void asset_props(const struct dcre_rf_board *bd, cJSON *c)
{
	const cJSON *dev = dcre_rf_device(bd, "system", 0);
	struct dcre_asset a = {0};
	struct dcre_target t;
	struct dcre_msg msg;

	if (!dev || !bd->b || !bd->b->ops->asset)
		return;
	dcre_rf_target(bd, dev, &t);
	if (bd->b->ops->asset(bd->b, &t, &a, &msg) == DCRE_OK) {
		char **f = a.field;
		put_text(c, "Manufacturer", f[DCRE_ASSET_PRODUCT_MANUFACTURER],
		         f[DCRE_ASSET_BOARD_MANUFACTURER], NULL);
		put_text(c, "Model", f[DCRE_ASSET_PRODUCT_NAME], f[DCRE_ASSET_BOARD_PRODUCT_NAME],
		         NULL);
		put_text(c, "SerialNumber", f[DCRE_ASSET_CHASSIS_SERIAL_NUMBER],
		         f[DCRE_ASSET_PRODUCT_SERIAL_NUMBER], f[DCRE_ASSET_BOARD_SERIAL_NUMBER]);
		put_text(c, "PartNumber", f[DCRE_ASSET_CHASSIS_PART_NUMBER],
		         f[DCRE_ASSET_PRODUCT_PART_NUMBER], f[DCRE_ASSET_BOARD_PART_NUMBER]);
		put_text(c, "AssetTag", f[DCRE_ASSET_PRODUCT_ASSET_TAG], NULL, NULL);
	} else {
		dcre_debug("redfish: asset of board %s: %s", bd->hex, msg.text);
	}
	dcre_asset_clear(&a);
}

/* The LED of the board (its "led" device): state "on"/"off"/..., or
 * NULL when it has none. */
static bool led_op(const struct dcre_rf_board *bd, enum dcre_led_set set, struct dcre_led *l,
                   struct dcre_msg *msg)
{
	const cJSON *dev = dcre_rf_device(bd, "led", 0);
	struct dcre_target t;

	if (!dev || !bd->b || !bd->b->ops->led)
		return false;
	dcre_rf_target(bd, dev, &t);
	return bd->b->ops->led(bd->b, &t, set, l, msg) == DCRE_OK;
}

static bool has_led(const struct dcre_rf_board *bd)
{
	return dcre_rf_device(bd, "led", 0) && bd->b && bd->b->ops->led;
}

static cJSON *board_chassis(const struct dcre_rf_board *bd)
{
	char path[64];
	snprintf(path, sizeof(path), "/redfish/v1/Chassis/%s", bd->hex);
	char *name = dcre_xasprintf("Board %s", bd->hex);
	cJSON *c = dcre_rf_resource(path, T_CHASSIS, bd->hex, name);
	free(name);
	cJSON_AddStringToObject(c, "ChassisType",
	                        bd->b && bd->b->one_board ? "RackMount" : "Module");
	asset_props(bd, c);
	cJSON *loc = cJSON_AddObjectToObject(c, "Location");
	cJSON *placement = cJSON_AddObjectToObject(loc, "Placement");
	put_text(placement, "Rack", bd->rack, NULL, NULL);
	if (has_led(bd)) {
		struct dcre_led l = {0};
		struct dcre_msg msg;
		const char *ind = NULL;
		cJSON *active = NULL;
		if (led_op(bd, DCRE_LED_GET, &l, &msg) && l.state) {
			if (strcmp(l.state, "on") == 0)
				ind = "Lit", active = cJSON_CreateTrue();
			else if (strcmp(l.state, "off") == 0)
				ind = "Off", active = cJSON_CreateFalse();
			else if (strcmp(l.state, "blink") == 0)
				ind = "Blinking", active = cJSON_CreateTrue();
		}
		if (ind)
			cJSON_AddStringToObject(c, "IndicatorLED", ind);
		else
			cJSON_AddNullToObject(c, "IndicatorLED");
		cJSON_AddItemToObject(c, "LocationIndicatorActive",
		                      active ? active : cJSON_CreateNull());
		dcre_led_clear(&l);
	}
	cJSON_AddItemToObject(
	    c, "Status", status(bd->b ? "Enabled" : "UnavailableOffline", bd->b ? "OK" : NULL));
	char sub[96];
	snprintf(sub, sizeof(sub), "%s/Thermal", path);
	cJSON_AddItemToObject(c, "Thermal", dcre_rf_link(sub));
	snprintf(sub, sizeof(sub), "%s/Power", path);
	cJSON_AddItemToObject(c, "Power", dcre_rf_link(sub));
	snprintf(sub, sizeof(sub), "%s/Sensors", path);
	cJSON_AddItemToObject(c, "Sensors", dcre_rf_link(sub));

	cJSON *links = cJSON_AddObjectToObject(c, "Links");
	snprintf(sub, sizeof(sub), "/redfish/v1/Chassis/%s", bd->rack);
	cJSON_AddItemToObject(links, "ContainedBy", dcre_rf_link(sub));
	if (dcre_rf_device(bd, "power", 0)) {
		cJSON *sys = cJSON_AddArrayToObject(links, "ComputerSystems");
		snprintf(sub, sizeof(sub), "/redfish/v1/Systems/%s", bd->hex);
		cJSON_AddItemToArray(sys, dcre_rf_link(sub));
	}
	cJSON *mgr = cJSON_AddArrayToObject(links, "ManagedBy");
	if (bd->b && bd->b->one_board)
		snprintf(sub, sizeof(sub), "/redfish/v1/Managers/%s", bd->hex);
	else
		snprintf(sub, sizeof(sub), "/redfish/v1/Managers/opendcre");
	cJSON_AddItemToArray(mgr, dcre_rf_link(sub));
	return c;
}

static void patch_led(const struct dcre_rf_board *bd, const struct dcre_rf_request *req,
                      struct dcre_rf_reply *out)
{
	cJSON *body = dcre_rf_patch_body(
	    req, out->body, has_led(bd) ? "IndicatorLED|LocationIndicatorActive" : "", out);
	if (!body)
		return;
	int want = -1; /* 1 on, 0 off */
	const cJSON *v = cJSON_GetObjectItem(body, "IndicatorLED");
	if (v) {
		const char *s = cJSON_GetStringValue(v);
		char *text = cJSON_PrintUnformatted(v);
		if (!s)
			dcre_rf_error(out, 400, NULL, DCRE_RF_PROPERTY_VALUE_TYPE_ERROR, text,
			              "IndicatorLED");
		else if (strcmp(s, "Lit") == 0 || strcmp(s, "Off") == 0)
			want = strcmp(s, "Lit") == 0;
		else
			dcre_rf_error(out, 400, NULL, DCRE_RF_PROPERTY_VALUE_NOT_IN_LIST, s,
			              "IndicatorLED");
		cJSON_free(text);
		if (want < 0)
			goto done;
	}
	v = cJSON_GetObjectItem(body, "LocationIndicatorActive");
	if (v) {
		if (!cJSON_IsBool(v)) {
			char *text = cJSON_PrintUnformatted(v);
			dcre_rf_error(out, 400, NULL, DCRE_RF_PROPERTY_VALUE_TYPE_ERROR, text,
			              "LocationIndicatorActive");
			cJSON_free(text);
			goto done;
		}
		want = cJSON_IsTrue(v);
	}
	if (want >= 0) {
		struct dcre_led l = {0};
		struct dcre_msg msg = {{0}};
		bool ok = led_op(bd, want ? DCRE_LED_ON : DCRE_LED_OFF, &l, &msg);
		dcre_led_clear(&l);
		if (!ok) {
			dcre_rf_error(out, 500, msg.text, DCRE_RF_INTERNAL_ERROR);
			goto done;
		}
	}
	dcre_rf_reply_clear(out);
	out->body = board_chassis(bd);
done:
	cJSON_Delete(body);
}

DCRE_RF_CMD(chassis)
{
	struct dcre_rf_inv inv;
	const char *id = m->var[DCRE_VAR_BOARD];
	if (!dcre_rf_open(ctx, &inv, out))
		return;
	const struct dcre_rf_board *bd = dcre_rf_inv_board(&inv, id);
	if (bd) {
		out->body = board_chassis(bd);
		if (strcmp(req->method, "PATCH") == 0)
			patch_led(bd, req, out);
	} else if (dcre_rf_inv_has_rack(&inv, id)) {
		out->body = rack_chassis(&inv, id);
		if (strcmp(req->method, "PATCH") == 0) {
			cJSON *body = dcre_rf_patch_body(req, out->body, "", out);
			cJSON_Delete(body); /* nothing of a rack is writable */
		}
	} else {
		dcre_rf_error(out, 404, NULL, DCRE_RF_RESOURCE_NOT_FOUND, "Chassis", id);
	}
	dcre_rf_inv_free(&inv);
}

/* A member of a Thermal or Power array. */
static cJSON *member(const char *base, const char *array, int n, const struct dcre_rf_board *bd,
                     const cJSON *dev)
{
	char path[160];
	cJSON *o = cJSON_CreateObject();
	snprintf(path, sizeof(path), "%s#/%s/%d", base, array, n);
	cJSON_AddStringToObject(o, "@odata.id", path);
	snprintf(path, sizeof(path), "%d", n);
	cJSON_AddStringToObject(o, "MemberId", path);
	put_text(o, "Name", dcre_rf_dev_name(dev), NULL, NULL);
	(void)bd;
	return o;
}

DCRE_RF_CMD(thermal)
{
	struct dcre_rf_inv inv;
	(void)req;
	if (!dcre_rf_open(ctx, &inv, out))
		return;
	const struct dcre_rf_board *bd = board_of(&inv, m, "Thermal", out);
	if (bd) {
		char base[64];
		snprintf(base, sizeof(base), "/redfish/v1/Chassis/%s/Thermal", bd->hex);
		cJSON *th = dcre_rf_resource(base, T_THERMAL, "Thermal", "Thermal");
		cJSON *temps = cJSON_AddArrayToObject(th, "Temperatures");
		cJSON *fans = cJSON_AddArrayToObject(th, "Fans");
		const cJSON *dev;
		cJSON_ArrayForEach(dev, cJSON_GetObjectItem(bd->record, "devices"))
		{
			const char *type = dcre_rf_dev_type(dev);
			bool temp = dcre_rf_type_in(type, TEMPS);
			if (!temp && !dcre_rf_type_in(type, FANS))
				continue;
			cJSON *arr = temp ? temps : fans;
			cJSON *o = member(base, temp ? "Temperatures" : "Fans",
			                  cJSON_GetArraySize(arr), bd, dev);
			struct sample s;
			sample_read(bd, dev, &s);
			cJSON_AddItemToObject(o, temp ? "ReadingCelsius" : "Reading", s.value);
			if (!temp)
				cJSON_AddStringToObject(o, "ReadingUnits", "RPM");
			cJSON_AddItemToObject(o, "Status", s.status);
			s.value = s.status = NULL;
			sample_clear(&s);
			cJSON_AddItemToArray(arr, o);
		}
		out->body = th;
	}
	dcre_rf_inv_free(&inv);
}

DCRE_RF_CMD(power)
{
	struct dcre_rf_inv inv;
	(void)req;
	if (!dcre_rf_open(ctx, &inv, out))
		return;
	const struct dcre_rf_board *bd = board_of(&inv, m, "Power", out);
	if (bd) {
		char base[64];
		snprintf(base, sizeof(base), "/redfish/v1/Chassis/%s/Power", bd->hex);
		cJSON *pw = dcre_rf_resource(base, T_POWER, "Power", "Power");
		cJSON *control = cJSON_AddArrayToObject(pw, "PowerControl");
		cJSON *volts = cJSON_AddArrayToObject(pw, "Voltages");
		cJSON *psus = cJSON_AddArrayToObject(pw, "PowerSupplies");
		const cJSON *dev;
		cJSON_ArrayForEach(dev, cJSON_GetObjectItem(bd->record, "devices"))
		{
			const char *type = dcre_rf_dev_type(dev);
			struct sample s;
			cJSON *o;
			if (strcmp(type, "power") == 0) {
				sample_read(bd, dev, &s);
				o = member(base, "PowerControl", cJSON_GetArraySize(control), bd,
				           dev);
				cJSON_AddItemToObject(o, "PowerConsumedWatts", s.value);
				cJSON_AddItemToObject(o, "Status", cJSON_Duplicate(s.status, true));
				cJSON_AddItemToArray(control, o);
				if (s.power_ok && !bd->b->one_board) {
					/* a PLC power device measures its supply's input */
					o = member(base, "PowerSupplies", cJSON_GetArraySize(psus),
					           bd, dev);
					cJSON_AddItemToObject(o, "LineInputVoltage",
					                      num(&s.power.input_voltage));
					cJSON_AddItemToObject(o, "PowerInputWatts",
					                      num(&s.power.input_power));
					cJSON_AddItemToObject(o, "Status", s.status);
					s.status = NULL;
					cJSON_AddItemToArray(psus, o);
				}
				s.value = NULL;
			} else if (strcmp(type, "voltage") == 0) {
				sample_read(bd, dev, &s);
				o = member(base, "Voltages", cJSON_GetArraySize(volts), bd, dev);
				cJSON_AddItemToObject(o, "ReadingVolts", s.value);
				cJSON_AddItemToObject(o, "Status", s.status);
				s.value = s.status = NULL;
				cJSON_AddItemToArray(volts, o);
			} else if (strcmp(type, "power_supply") == 0) {
				sample_read(bd, dev, &s);
				o = member(base, "PowerSupplies", cJSON_GetArraySize(psus), bd,
				           dev);
				cJSON_AddItemToObject(o, "Status", s.status);
				s.status = NULL;
				cJSON_AddItemToArray(psus, o);
			} else {
				continue;
			}
			sample_clear(&s);
		}
		out->body = pw;
	}
	dcre_rf_inv_free(&inv);
}

DCRE_RF_CMD(sensors)
{
	struct dcre_rf_inv inv;
	(void)req;
	if (!dcre_rf_open(ctx, &inv, out))
		return;
	const struct dcre_rf_board *bd = board_of(&inv, m, "SensorCollection", out);
	if (bd) {
		char path[96];
		cJSON *members = cJSON_CreateArray();
		const cJSON *dev;
		cJSON_ArrayForEach(dev, cJSON_GetObjectItem(bd->record, "devices"))
		{
			if (kind_of(dcre_rf_dev_type(dev)) < 0)
				continue;
			snprintf(path, sizeof(path), "/redfish/v1/Chassis/%s/Sensors/%s", bd->hex,
			         dcre_rf_dev_id(dev));
			cJSON_AddItemToArray(members, dcre_rf_link(path));
		}
		snprintf(path, sizeof(path), "/redfish/v1/Chassis/%s/Sensors", bd->hex);
		out->body = dcre_rf_collection(path, "#SensorCollection.SensorCollection",
		                               "Sensors", members);
	}
	dcre_rf_inv_free(&inv);
}

DCRE_RF_CMD(sensor)
{
	struct dcre_rf_inv inv;
	const char *id = m->var[DCRE_VAR_DEVICE];
	(void)req;
	if (!dcre_rf_open(ctx, &inv, out))
		return;
	const struct dcre_rf_board *bd = board_of(&inv, m, "Chassis", out);
	const cJSON *dev = bd ? dcre_rf_device_by_id(bd, id) : NULL;
	int k = dev ? kind_of(dcre_rf_dev_type(dev)) : -1;
	if (bd && k < 0) {
		dcre_rf_error(out, 404, NULL, DCRE_RF_RESOURCE_NOT_FOUND, "Sensor", id);
	} else if (bd) {
		char path[96];
		snprintf(path, sizeof(path), "/redfish/v1/Chassis/%s/Sensors/%s", bd->hex, id);
		char *clean = dcre_rf_clean(dcre_rf_dev_name(dev));
		cJSON *s = dcre_rf_resource(path, T_SENSOR, id, clean);
		free(clean);
		struct sample v;
		sample_read(bd, dev, &v);
		if (kinds[k].reading_type) {
			cJSON_AddStringToObject(s, "ReadingType", kinds[k].reading_type);
			cJSON_AddStringToObject(s, "ReadingUnits", kinds[k].units);
		}
		cJSON_AddItemToObject(s, "Reading", v.value);
		cJSON_AddItemToObject(s, "Status", v.status);
		v.value = v.status = NULL;
		sample_clear(&v);
		out->body = s;
	}
	dcre_rf_inv_free(&inv);
}
