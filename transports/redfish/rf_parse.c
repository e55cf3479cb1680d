/* SPDX-License-Identifier: MIT */
#include "rf_parse.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "bridge.h"

#define RF_MAX_SENSOR_ID 0x00ff

/* *slot (allocated with cJSON's allocator) made valid UTF-8. */
static void clean_string(char **slot)
{
	cJSON *t = dcre_convert_text(*slot, strlen(*slot));

	/* no NUL inside, so t is a string item whose text we can take over */
	if (cJSON_IsString(t) && strcmp(t->valuestring, *slot) != 0) {
		cJSON_free(*slot);
		*slot = t->valuestring;
		t->valuestring = NULL;
	}
	cJSON_Delete(t);
}

void rf_parse_clean(cJSON *doc)
{
	for (cJSON *it = doc; it; it = it->next) {
		if (it->string && !(it->type & cJSON_StringIsConst))
			clean_string(&it->string);
		if (cJSON_IsString(it) && it->valuestring)
			clean_string(&it->valuestring);
		if (it->child)
			rf_parse_clean(it->child);
	}
}

const cJSON *rf_parse_get(const cJSON *obj, const char *key)
{
	const cJSON *v;

	if (!cJSON_IsObject(obj))
		return NULL;
	v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsNull(v) ? NULL : v;
}

const char *rf_parse_str(const cJSON *obj, const char *key)
{
	const cJSON *v = rf_parse_get(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *rf_parse_link(const cJSON *obj, const char *key)
{
	const char *id = rf_parse_str(rf_parse_get(obj, key), "@odata.id");
	return id && id[0] ? id : NULL;
}

const char *rf_parse_first_link(const cJSON *obj, const char *key)
{
	const cJSON *a = rf_parse_get(obj, key);
	const char *id;

	if (!cJSON_IsArray(a))
		return NULL;
	id = rf_parse_str(cJSON_GetArrayItem(a, 0), "@odata.id");
	return id && id[0] ? id : NULL;
}

char *rf_parse_lower(const char *s)
{
	char *r;

	if (!s)
		return NULL;
	r = dcre_xstrdup(s);
	for (char *p = r; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return r;
}

char *rf_parse_root_path(const cJSON *doc)
{
	const cJSON *v = rf_parse_get(doc, "v1");
	size_t n;

	if (!v && cJSON_IsObject(doc))
		v = doc->child;
	if (!cJSON_IsString(v))
		return NULL;
	n = strlen(v->valuestring);
	while (n > 0 && v->valuestring[n - 1] == '/')
		n--;
	return n ? dcre_xstrndup(v->valuestring, n) : NULL;
}

char *rf_parse_reset_target(const cJSON *system, const char *system_path)
{
	const cJSON *act = rf_parse_get(rf_parse_get(system, "Actions"), "#ComputerSystem.Reset");
	const char *target = rf_parse_str(act, "target");
	size_t n = strlen(system_path);

	if (target && target[0])
		return dcre_xstrdup(target);
	while (n > 0 && system_path[n - 1] == '/')
		n--;
	return dcre_xasprintf("%.*s/Actions/ComputerSystem.Reset", (int)n, system_path);
}

/* ---- sensors ---- */

static const struct sensor_array {
	const char *type;
	const char *array;
	bool in_power;
	const char *value_key; /* NULL: no value (power supplies) */
	const char *old_value_key;
} arrays[] = {
    {"fan_speed", "Fans", false, "Reading", "ReadingRPM"},
    {"temperature", "Temperatures", false, "ReadingCelsius", NULL},
    {"voltage", "Voltages", true, "ReadingVolts", NULL},
    {"power_supply", "PowerSupplies", true, NULL, NULL},
};

static const struct sensor_array *array_of(const char *type)
{
	for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++)
		if (strcmp(arrays[i].type, type) == 0)
			return &arrays[i];
	return NULL;
}

const char *rf_parse_array_of(const char *type, bool *in_power)
{
	const struct sensor_array *a = array_of(type);

	if (!a)
		return NULL;
	*in_power = a->in_power;
	return a->array;
}

/* An entry's name: Name, or FanName (Thermal 1.0), or "". */
static const char *entry_name(const cJSON *e)
{
	const char *n = rf_parse_str(e, "Name");

	if (!n)
		n = rf_parse_str(e, "FanName");
	return n ? n : "";
}

size_t rf_parse_sensors(const cJSON *thermal, const cJSON *power, cJSON *sensors)
{
	unsigned next = 0;
	size_t dropped = 0;

	for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) {
		const cJSON *a =
		    rf_parse_get(arrays[i].in_power ? power : thermal, arrays[i].array);
		const cJSON *e;

		if (!cJSON_IsArray(a))
			continue;
		cJSON_ArrayForEach(e, a)
		{
			if (next > RF_MAX_SENSOR_ID) {
				dropped++;
				continue;
			}
			dcre_bridge_add_sensor(sensors, (uint16_t)next++, entry_name(e),
			                       arrays[i].type);
		}
	}
	return dropped;
}

int rf_parse_occurrence(const cJSON *record, const cJSON *device)
{
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(device, "device_type"));
	const char *info = cJSON_GetStringValue(cJSON_GetObjectItem(device, "device_info"));
	const cJSON *d;
	int n = 0;

	if (!type || !info)
		return 0;
	cJSON_ArrayForEach(d, cJSON_GetObjectItem(record, "devices"))
	{
		const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(d, "device_type"));
		const char *i = cJSON_GetStringValue(cJSON_GetObjectItem(d, "device_info"));
		if (t && i && strcmp(t, type) == 0 && strcmp(i, info) == 0)
			n++;
		if (d == device)
			return n;
	}
	return 0;
}

const cJSON *rf_parse_entry(const cJSON *res, const char *array, const char *name, int occurrence)
{
	const cJSON *a = rf_parse_get(res, array);
	const cJSON *e;
	int n = 0;

	if (!cJSON_IsArray(a) || occurrence < 1)
		return NULL;
	cJSON_ArrayForEach(e, a)
	{
		if (strcmp(entry_name(e), name) == 0 && ++n == occurrence)
			return e;
	}
	return NULL;
}

enum dcre_err rf_parse_reading(enum dcre_api api, const char *type, const cJSON *entry, cJSON **out,
                               struct dcre_msg *why)
{
	const struct sensor_array *a = array_of(type);
	const cJSON *status = rf_parse_get(entry, "Status");
	char *health = rf_parse_lower(rf_parse_str(status, "Health"));
	char *state = NULL;
	cJSON *states = NULL;
	double value = 0;
	enum dcre_err rc = DCRE_EINTERNAL;

	if (!a) {
		rc = dcre_msg_set(why, DCRE_EINVAL, "%s is not a readable device type", type);
		goto out;
	}
	if (a->value_key) {
		const cJSON *v = rf_parse_get(entry, a->value_key);
		if (!v && a->old_value_key)
			v = rf_parse_get(entry, a->old_value_key);
		if (!v || !cJSON_IsNumber(v)) {
			rc = dcre_msg_set(why, DCRE_EPROTO, "'%s' has no reading (%s is %s)",
			                  entry_name(entry), a->value_key,
			                  v ? "not a number" : "missing or null");
			goto out;
		}
		value = v->valuedouble;
		if (!isfinite(value)) {
			rc = dcre_msg_set(why, DCRE_EPROTO, "'%s': %s is not finite",
			                  entry_name(entry), a->value_key);
			goto out;
		}
	}
	states = cJSON_CreateArray();
	if (health && strcmp(health, "ok") != 0 && strcmp(health, "unknown") != 0) {
		state = rf_parse_lower(rf_parse_str(status, "State"));
		if (state)
			cJSON_AddItemToArray(states, dcre_convert_text(state, strlen(state)));
	}
	rc = dcre_bridge_reading(api, type, value, health ? health : "unknown", states, out, why);
	states = NULL; /* consumed */
out:
	cJSON_Delete(states);
	free(state);
	free(health);
	return rc;
}

/* ---- power, LED, boot, asset ---- */

static int health_ok(const cJSON *obj)
{
	const char *h = rf_parse_str(rf_parse_get(obj, "Status"), "Health");
	if (!h)
		return -1;
	return strcasecmp(h, "OK") == 0;
}

cJSON *rf_parse_power(enum dcre_api api, const cJSON *system, const cJSON *power)
{
	const cJSON *pcs = rf_parse_get(power, "PowerControl");
	const cJSON *pc = cJSON_IsArray(pcs) ? cJSON_GetArrayItem(pcs, 0) : NULL;
	int power_ok = -1, over_current = -1;
	double watts = -1;
	char *state = rf_parse_lower(rf_parse_str(system, "PowerState"));
	cJSON *r;

	if (cJSON_IsObject(pc)) {
		const cJSON *w = rf_parse_get(pc, "PowerConsumedWatts");
		const cJSON *lim = rf_parse_get(rf_parse_get(pc, "PowerLimit"), "LimitInWatts");
		bool have_w = cJSON_IsNumber(w) && isfinite(w->valuedouble) && w->valuedouble >= 0;

		power_ok = health_ok(pc);
		if (have_w)
			watts = w->valuedouble;
		if (have_w && cJSON_IsNumber(lim) && isfinite(lim->valuedouble))
			over_current = w->valuedouble > lim->valuedouble;
	}
	r = dcre_bridge_power_state(api, state ? state : "unknown", power_ok, over_current, watts);
	free(state);
	return r;
}

bool rf_parse_has_lia(const cJSON *chassis)
{
	return cJSON_IsBool(rf_parse_get(chassis, "LocationIndicatorActive"));
}

char *rf_parse_led(const cJSON *chassis)
{
	const cJSON *lia = rf_parse_get(chassis, "LocationIndicatorActive");
	char *led;

	if (cJSON_IsBool(lia))
		return dcre_xstrdup(cJSON_IsTrue(lia) ? "on" : "off");
	led = rf_parse_lower(rf_parse_str(chassis, "IndicatorLED"));
	if (!led)
		return dcre_xstrdup("unknown");
	if (strcmp(led, "lit") == 0) {
		free(led);
		return dcre_xstrdup("on");
	}
	return led;
}

char *rf_parse_boot_target(const cJSON *system)
{
	char *t =
	    rf_parse_lower(rf_parse_str(rf_parse_get(system, "Boot"), "BootSourceOverrideTarget"));

	if (t && strcmp(t, "none") == 0) {
		free(t);
		return dcre_xstrdup("no_override");
	}
	return t;
}

cJSON *rf_parse_asset(const cJSON *chassis, const cJSON *system, const cJSON *manager,
                      const char *ip)
{
	/* field order of dcre_bridge_asset (conversions.md §9) */
	const char *const f[13] = {
	    rf_parse_str(system, "Manufacturer"),     /* board_info.manufacturer */
	    rf_parse_str(system, "PartNumber"),       /* board_info.part_number */
	    rf_parse_str(system, "Model"),            /* board_info.product_name */
	    rf_parse_str(system, "SerialNumber"),     /* board_info.serial_number */
	    rf_parse_str(chassis, "ChassisType"),     /* chassis_info.chassis_type */
	    rf_parse_str(chassis, "PartNumber"),      /* chassis_info.part_number */
	    rf_parse_str(chassis, "SerialNumber"),    /* chassis_info.serial_number */
	    rf_parse_str(chassis, "AssetTag"),        /* product_info.asset_tag */
	    "unknown",                                /* product_info.manufacturer */
	    "unknown",                                /* product_info.part_number */
	    rf_parse_str(manager, "Model"),           /* product_info.product_name */
	    "unknown",                                /* product_info.serial_number */
	    rf_parse_str(manager, "FirmwareVersion"), /* product_info.version */
	};
	return dcre_bridge_asset(f, "redfish_ip", ip);
}

void rf_parse_error_text(const char *body, size_t len, char *buf, size_t n)
{
	const char *end = NULL;
	cJSON *doc;
	const cJSON *err, *info;
	const char *id = NULL, *text = NULL;

	if (n == 0)
		return;
	buf[0] = '\0';
	if (!body || len == 0)
		return;
	doc = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	err = rf_parse_get(doc, "error");
	info = rf_parse_get(err, "@Message.ExtendedInfo");
	if (cJSON_IsArray(info) && cJSON_GetArraySize(info) > 0) {
		id = rf_parse_str(cJSON_GetArrayItem(info, 0), "MessageId");
		text = rf_parse_str(cJSON_GetArrayItem(info, 0), "Message");
	}
	if (!id && !text) {
		id = rf_parse_str(err, "code");
		text = rf_parse_str(err, "message");
	}
	if (id || text)
		snprintf(buf, n, "%.80s%s%.160s", id ? id : "", id && text ? ": " : "",
		         text ? text : "");
	cJSON_Delete(doc);
}
