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
#include "text.h"

#define RF_MAX_SENSOR_ID 0x00ff

/* *slot (allocated with cJSON's allocator) made valid UTF-8. */
static void clean_string(char **slot)
{
	char *t = dcre_text_clean(*slot, strlen(*slot));

	if (strcmp(t, *slot) != 0) {
		size_t n = strlen(t) + 1;
		char *c = cJSON_malloc(n);
		if (!c)
			abort(); /* only on OOM with cJSON's default hooks */
		memcpy(c, t, n);
		cJSON_free(*slot);
		*slot = c;
	}
	free(t);
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
	/* a service's text reaches answers: clean UTF-8 (text.h), ASCII lowered */
	r = dcre_text_clean(s, strlen(s));
	for (char *p = r; *p; p++)
		if ((unsigned char)*p < 0x80)
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

size_t rf_parse_sensors(const cJSON *thermal, const cJSON *power, struct dcre_board *board)
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
			dcre_bridge_add_sensor(board, (uint16_t)next++, entry_name(e),
			                       arrays[i].type);
		}
	}
	return dropped;
}

int rf_parse_occurrence(const struct dcre_board *board, const struct dcre_device *device)
{
	int n = 0;

	if (!device->type || !device->info)
		return 0;
	for (size_t k = 0; k < board->n_devices; k++) {
		const struct dcre_device *d = &board->devices[k];
		if (d->type && d->info && strcmp(d->type, device->type) == 0 &&
		    strcmp(d->info, device->info) == 0)
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

/* The quantity of a sensor array's value. */
static enum dcre_quantity quantity_of(const struct sensor_array *a)
{
	if (strcmp(a->type, "fan_speed") == 0)
		return DCRE_Q_FAN_SPEED;
	if (strcmp(a->type, "temperature") == 0)
		return DCRE_Q_TEMPERATURE;
	return DCRE_Q_VOLTAGE;
}

enum dcre_err rf_parse_reading(unsigned rules, const char *type, const cJSON *entry,
                               struct dcre_reading *out, struct dcre_msg *why)
{
	const struct sensor_array *a = array_of(type);
	const cJSON *status = rf_parse_get(entry, "Status");
	char *health = rf_parse_lower(rf_parse_str(status, "Health"));
	char *state = NULL;
	enum dcre_err rc = DCRE_EINTERNAL;

	if (!a) {
		rc = dcre_msg_set(why, DCRE_EINVAL, "%s is not a readable device type", type);
		goto out;
	}
	if (!a->value_key && (rules & DCRE_RULE_VALUE_REQUIRED)) {
		rc = dcre_msg_set(why, DCRE_ENOTSUP,
		                  "a %s reading has no 1.2 API shape (use the 1.3 API)", type);
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
		if (!isfinite(v->valuedouble)) {
			rc = dcre_msg_set(why, DCRE_EPROTO, "'%s': %s is not finite",
			                  entry_name(entry), a->value_key);
			goto out;
		}
		dcre_num_set_double(&out->q[quantity_of(a)], v->valuedouble);
	}
	if (health && strcmp(health, "ok") != 0 && strcmp(health, "unknown") != 0) {
		state = rf_parse_lower(rf_parse_str(status, "State"));
		if (state)
			dcre_strv_add(&out->states, state);
	}
	out->has_health = true;
	/* Status.Health passes through lower-cased (redfish.md §5) */
	out->health = health ? health : dcre_xstrdup("unknown");
	health = NULL;
	out->name = dcre_text_clean(entry_name(entry), strlen(entry_name(entry)));
	rc = DCRE_OK;
out:
	free(state);
	free(health);
	return rc;
}

/* ---- power, LED, boot, asset ---- */

static enum dcre_tri health_ok(const cJSON *obj)
{
	const char *h = rf_parse_str(rf_parse_get(obj, "Status"), "Health");
	if (!h)
		return DCRE_TRI_UNKNOWN;
	return DCRE_TRI(strcasecmp(h, "OK") == 0);
}

/* Copy s into buf[n], cut at a UTF-8 character boundary. */
static void copy_utf8(char *buf, size_t n, const char *s)
{
	size_t len = strlen(s);

	if (len >= n) {
		len = n - 1;
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
}

void rf_parse_power(const cJSON *system, const cJSON *power, struct dcre_power *out)
{
	const cJSON *pcs = rf_parse_get(power, "PowerControl");
	const cJSON *pc = cJSON_IsArray(pcs) ? cJSON_GetArrayItem(pcs, 0) : NULL;
	char *state = rf_parse_lower(rf_parse_str(system, "PowerState"));

	out->power_ok = DCRE_TRI_UNKNOWN;
	out->over_current = DCRE_TRI_UNKNOWN;
	out->input_power.kind = DCRE_NUM_UNKNOWN;
	if (cJSON_IsObject(pc)) {
		const cJSON *w = rf_parse_get(pc, "PowerConsumedWatts");
		const cJSON *lim = rf_parse_get(rf_parse_get(pc, "PowerLimit"), "LimitInWatts");
		bool have_w = cJSON_IsNumber(w) && isfinite(w->valuedouble) && w->valuedouble >= 0;

		out->power_ok = health_ok(pc);
		if (have_w)
			dcre_num_set_double(&out->input_power, w->valuedouble);
		if (have_w && cJSON_IsNumber(lim) && isfinite(lim->valuedouble))
			out->over_current = DCRE_TRI(w->valuedouble > lim->valuedouble);
	}
	copy_utf8(out->state, sizeof(out->state), state ? state : "unknown");
	free(state);
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

void rf_parse_asset(const cJSON *chassis, const cJSON *system, const cJSON *manager, const char *ip,
                    struct dcre_asset *out)
{
	/* field order of enum dcre_asset_field (conversions.md §9) */
	const char *const f[DCRE_ASSET_COUNT] = {
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
	for (int i = 0; i < DCRE_ASSET_COUNT; i++)
		out->field[i] = f[i] ? dcre_text_clean(f[i], strlen(f[i])) : NULL;
	out->address_key = "redfish_ip";
	out->address = dcre_text_clean(ip, strlen(ip));
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
