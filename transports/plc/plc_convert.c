/* SPDX-License-Identifier: MIT */
/* PLC payload conversions (conversions.md §4-§10). */
#include "convert.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "number.h"

/* Longest part of a payload echoed into a message. */
#define ECHO_MAX 64

/* Printable echo of payload bytes for messages: printable ASCII kept,
 * '\'' and '\\' and every other byte as \xNN, cut after ECHO_MAX bytes
 * with "...". buf holds ECHO_BUFSZ bytes. */
#define ECHO_BUFSZ (ECHO_MAX * 4 + 4)
static const char *echo(const char *p, size_t len, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = len > ECHO_MAX ? ECHO_MAX : len;
	char *o = buf;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
			*o++ = (char)c;
		} else {
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	if (n < len) {
		memcpy(o, "...", 3);
		o += 3;
	}
	*o = '\0';
	return buf;
}

/* ---- JSON helpers ---- */

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

static cJSON *new_object(void)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		abort();
	return o;
}

/* Attach item (consumed) to obj under key. */
static void put(cJSON *obj, const char *key, cJSON *item)
{
	if (!item || !cJSON_AddItemToObject(obj, key, item))
		abort();
}

static void put_str(cJSON *obj, const char *key, const char *s)
{
	put(obj, key, cJSON_CreateString(s));
}

static void put_text(cJSON *obj, const char *key, const char *p, size_t len)
{
	put(obj, key, dcre_convert_text(p, len));
}

/* ---- text (UTF-8 or ISO-8859-1) ---- */

/* Strict UTF-8 (RFC 3629): no overlongs, no surrogates, <= U+10FFFF. */
static bool valid_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n, k;
		unsigned char lo = 0x80, hi = 0xBF;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			if (c == 0xE0)
				lo = 0xA0;
			else if (c == 0xED)
				hi = 0x9F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (k = 1; k <= n; k++) {
			unsigned char t = s[i + k];

			if (t < (k == 1 ? lo : 0x80) || t > (k == 1 ? hi : 0xBF))
				return false;
		}
		i += n + 1;
	}
	return true;
}

/* A JSON string literal for UTF-8 text that contains NUL bytes, which a
 * cJSON string cannot hold: emitted as a raw item. */
static cJSON *raw_string(const char *u, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char *lit = dcre_xmalloc(len * 6 + 3);
	char *o = lit;
	cJSON *item;
	size_t i;

	*o++ = '"';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)u[i];

		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c < 0x20) {
			memcpy(o, "\\u00", 4);
			o += 4;
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		} else {
			*o++ = (char)c;
		}
	}
	*o++ = '"';
	*o = '\0';
	item = raw(lit);
	free(lit);
	return item;
}

cJSON *dcre_convert_text(const char *payload, size_t len)
{
	const unsigned char *s = (const unsigned char *)payload;
	char *u;
	size_t n = 0, i;
	cJSON *item;

	assert(payload || len == 0);
	if (valid_utf8(s, len)) {
		u = dcre_xstrndup(len ? payload : "", len);
		n = len;
	} else {
		u = dcre_xmalloc(len * 2 + 1);
		for (i = 0; i < len; i++) {
			if (s[i] < 0x80) {
				u[n++] = (char)s[i];
			} else {
				u[n++] = (char)(0xC0 | (s[i] >> 6));
				u[n++] = (char)(0x80 | (s[i] & 0x3F));
			}
		}
		u[n] = '\0';
	}
	if (memchr(u, '\0', n))
		item = raw_string(u, n);
	else
		item = cJSON_CreateString(u);
	free(u);
	if (!item)
		abort();
	return item;
}

/* ---- fields ---- */

#define MAX_FIELDS 16

struct field {
	const char *p;
	size_t len;
};

/* Split on ',' like Python's str.split(','). Returns the field count; only
 * the first MAX_FIELDS are stored. */
static size_t split(const char *payload, size_t len, struct field *f)
{
	size_t n = 0, start = 0, i;

	for (i = 0; i <= len; i++) {
		if (i < len && payload[i] != ',')
			continue;
		if (n < MAX_FIELDS) {
			f[n].p = payload + start;
			f[n].len = i - start;
		}
		n++;
		start = i + 1;
	}
	return n;
}

static bool field_is(const struct field *f, const char *s)
{
	size_t n = strlen(s);

	return f->len == n && memcmp(f->p, s, n) == 0;
}

/* ---- numbers from payload text ---- */

static enum dcre_err parse_int(const char *p, size_t len, char **digits, struct dcre_msg *why)
{
	char e[ECHO_BUFSZ];

	if (dcre_number_parse_int(p, len, digits) != DCRE_OK)
		return dcre_msg_set(why, DCRE_EPROTO, "answered '%s', not a decimal integer",
		                    echo(p, len, e));
	return DCRE_OK;
}

static enum dcre_err parse_double(const char *p, size_t len, double *v, struct dcre_msg *why)
{
	char e[ECHO_BUFSZ];

	switch (dcre_number_parse_double(p, len, v)) {
	case DCRE_OK:
		return DCRE_OK;
	case DCRE_ERANGE:
		return dcre_msg_set(why, DCRE_EPROTO, "answered '%s', too large for a double",
		                    echo(p, len, e));
	default:
		return dcre_msg_set(why, DCRE_EPROTO, "answered '%s', not a decimal number",
		                    echo(p, len, e));
	}
}

/* Integer digit string -> nearest double (as Python's float(int)). Returns
 * false when the magnitude does not fit a double. */
static bool digits_to_double(const char *digits, double *v)
{
	*v = strtod(digits, NULL);
	return isfinite(*v);
}

static enum dcre_err put_double(cJSON *obj, const char *key, double v, const char *p, size_t len,
                                struct dcre_msg *why)
{
	char e[ECHO_BUFSZ];
	cJSON *item = dcre_json_double(v);

	if (!item)
		return dcre_msg_set(why, DCRE_EPROTO, "answered '%s', %s is not a finite number",
		                    echo(p, len, e), key);
	put(obj, key, item);
	return DCRE_OK;
}

/* ---- read conversions (conversions.md §4-§6) ---- */

static enum dcre_err thermistor(const char *digits, const char *p, size_t len, cJSON *obj,
                                struct dcre_msg *why)
{
	char e[ECHO_BUFSZ];
	double a, t;

	if ((digits[0] != '-' && (strlen(digits) > 5 || strtol(digits, NULL, 10) >= 65535)) ||
	    !digits_to_double(digits, &a))
		return dcre_msg_set(why, DCRE_EPROTO,
		                    "answered '%s', out of range for a thermistor",
		                    echo(p, len, e));
	/* Multiply and add are separate double operations (-ffp-contract=off
	 * keeps the compiler from fusing them). */
	if (a > 745) {
		t = a * -0.131;
		t = t + 118.638;
	} else if (a > 542) {
		t = a * -0.0985;
		t = t + 93.399;
	} else if (a > 354) {
		t = a * -0.106;
		t = t + 97.66;
	} else if (a > 218) {
		t = a * -0.147;
		t = t + 112.046;
	} else {
		t = a * -0.235;
		t = t + 131.294;
	}
	return put_double(obj, "temperature_c", dcre_number_round2(t), p, len, why);
}

static enum dcre_err humidity(const char *digits, const char *p, size_t len, cJSON *obj,
                              struct dcre_msg *why)
{
	char e[ECHO_BUFSZ];
	int64_t r;
	uint64_t u;
	double h, t;

	if (dcre_number_int_to_i64(digits, &r) != DCRE_OK || r > 0xFFFFFFFFll)
		return dcre_msg_set(why, DCRE_EPROTO,
		                    "answered '%s', out of range for a humidity sensor",
		                    echo(p, len, e));
	/* Two's complement bits; the masks make logical and arithmetic shifts
	 * agree. */
	u = (uint64_t)r;
	h = (double)((u >> 16) & 0x3FFF) / 16382.0;
	h = h * 100.0;
	t = (double)((u & 0xFFFF) >> 2) / 16382.0;
	t = t * 165.0;
	t = t - 40.0;
	put(obj, "humidity", dcre_json_double(dcre_number_round2(h)));
	put(obj, "temperature_c", dcre_json_double(dcre_number_round2(t)));
	return DCRE_OK;
}

static bool is_integer_type(const char *type)
{
	return strcmp(type, "temperature") != 0 && strcmp(type, "pressure") != 0;
}

enum dcre_err dcre_convert_read(enum dcre_api api, const char *type, const char *payload,
                                size_t len, cJSON **out, struct dcre_msg *why)
{
	enum dcre_err rc = DCRE_EPROTO;
	char e[ECHO_BUFSZ];
	char *digits = NULL;
	cJSON *obj = new_object();
	double v;

	assert(type && out);
	assert(api == DCRE_API_12 || api == DCRE_API_13);
	assert(payload || len == 0);
	*out = NULL;

	if (api == DCRE_API_13) {
		/* Decimal-number rule first for every type. For integer types
		 * this checks the form only: overflowing a double passes. */
		rc = dcre_number_parse_double(payload, len, &v);
		if (rc == DCRE_ERANGE && is_integer_type(type))
			rc = DCRE_OK;
		if (rc != DCRE_OK) {
			rc = parse_double(payload, len, &v, why);
			goto out;
		}
		if (strcmp(type, "pressure") == 0) {
			rc = put_double(obj, "pressure_kpa", v, payload, len, why);
			goto out;
		}
	}
	if (strcmp(type, "temperature") == 0) {
		rc = parse_double(payload, len, &v, why);
		if (rc == DCRE_OK)
			rc = put_double(obj, "temperature_c", v, payload, len, why);
		goto out;
	}

	rc = parse_int(payload, len, &digits, why);
	if (rc != DCRE_OK)
		goto out;
	if (strcmp(type, "thermistor") == 0) {
		rc = thermistor(digits, payload, len, obj, why);
	} else if (strcmp(type, "humidity") == 0) {
		rc = humidity(digits, payload, len, obj, why);
	} else if (strcmp(type, "led") == 0) {
		if (strcmp(digits, "0") != 0 && strcmp(digits, "1") != 0) {
			rc = dcre_msg_set(why, DCRE_EPROTO,
			                  "answered '%s', not an LED state (expected 0 or 1)",
			                  echo(payload, len, e));
			goto out;
		}
		put_str(obj, "led_state", digits[0] == '1' ? "on" : "off");
	} else if (strcmp(type, "fan_speed") == 0 ||
	           (api == DCRE_API_13 && strcmp(type, "vapor_fan") == 0)) {
		if (api == DCRE_API_13)
			put_str(obj, "fan_mode", "auto");
		put(obj, "speed_rpm", dcre_json_digits(digits));
	} else {
		put(obj, "device_raw", dcre_json_digits(digits));
	}
out:
	free(digits);
	if (rc == DCRE_OK)
		*out = obj;
	else
		cJSON_Delete(obj);
	return rc;
}

/* ---- power and battery (conversions.md §8) ---- */

static enum dcre_err power_field(const struct field *f, const char *name, char **digits,
                                 struct dcre_msg *why)
{
	char e[ECHO_BUFSZ];

	if (dcre_number_parse_int(f->p, f->len, digits) != DCRE_OK)
		return dcre_msg_set(why, DCRE_EPROTO, "answered %s '%s', not a decimal integer",
		                    name, echo(f->p, f->len, e));
	return DCRE_OK;
}

/* value = (raw * scale - b) * (1 / m), in this order (ADM1276 direct
 * format). */
static enum dcre_err pmbus_value(cJSON *obj, const char *key, const char *digits, double scale,
                                 double b, double m, const char *p, size_t len,
                                 struct dcre_msg *why)
{
	double v;

	if (!digits_to_double(digits, &v))
		v = INFINITY; /* reported by put_double below */
	v = v * scale;
	v = v - b;
	v = v * (1.0 / m);
	return put_double(obj, key, v, p, len, why);
}

static enum dcre_err power4(const struct field *f, const char *payload, size_t len, cJSON *obj,
                            struct dcre_msg *why)
{
	static const char *const names[4] = {"status", "power", "voltage", "current"};
	enum dcre_err rc = DCRE_OK;
	char e[ECHO_BUFSZ];
	char *d[4] = {NULL, NULL, NULL, NULL};
	int64_t status;
	int i;

	for (i = 0; i < 4 && rc == DCRE_OK; i++)
		rc = power_field(&f[i], names[i], &d[i], why);
	if (rc != DCRE_OK)
		goto out;
	if (dcre_number_int_to_i64(d[0], &status) != DCRE_OK) {
		rc = dcre_msg_set(why, DCRE_EPROTO,
		                  "answered status '%s', out of the signed 64-bit range",
		                  echo(f[0].p, f[0].len, e));
		goto out;
	}
	put_str(obj, "power_status", ((uint64_t)status & 0x40) ? "off" : "on");
	put(obj, "power_ok", cJSON_CreateBool(((uint64_t)status & 0x800) == 0));
	put(obj, "over_current", cJSON_CreateBool(((uint64_t)status & 0x10) != 0));
	put(obj, "under_voltage", cJSON_CreateBool(((uint64_t)status & 0x08) != 0));
	put_text(obj, "pmbus_raw", payload, len);
	rc = pmbus_value(obj, "input_power", d[1], 100.0, 0.0, 6043.0, payload, len, why);
	if (rc == DCRE_OK)
		rc =
		    pmbus_value(obj, "input_voltage", d[2], 100.0, 0.0, 19199.0, payload, len, why);
	if (rc == DCRE_OK)
		rc = pmbus_value(obj, "output_current", d[3], 10.0, 20745.0, 807.0, payload, len,
		                 why);
out:
	for (i = 3; i >= 0; i--)
		free(d[i]);
	return rc;
}

static enum dcre_err battery(const struct field *f, cJSON *obj, struct dcre_msg *why)
{
	char *digits = NULL;
	enum dcre_err rc = power_field(&f[1], "battery charge", &digits, why);

	if (rc != DCRE_OK)
		return rc;
	put(obj, "battery_charge_percent", dcre_json_digits(digits));
	put_text(obj, "battery_status", f[0].p, f[0].len);
	free(digits);
	return DCRE_OK;
}

enum dcre_err dcre_convert_power(enum dcre_api api, const char *payload, size_t len, cJSON **out,
                                 struct dcre_msg *why)
{
	struct field f[MAX_FIELDS];
	enum dcre_err rc;
	char e[ECHO_BUFSZ];
	cJSON *obj;
	size_t n;

	assert(out);
	assert(api == DCRE_API_12 || api == DCRE_API_13);
	assert(payload || len == 0);
	*out = NULL;
	n = split(payload, len, f);
	if (n != 4 && !(api == DCRE_API_13 && n == 2))
		return dcre_msg_set(
		    why, DCRE_EPROTO, "answered '%s', expected %s comma-separated fields",
		    echo(payload, len, e), api == DCRE_API_13 ? "4 (power) or 2 (battery)" : "4");
	obj = new_object();
	rc = n == 4 ? power4(f, payload, len, obj, why) : battery(f, obj, why);
	if (rc != DCRE_OK) {
		cJSON_Delete(obj);
		return rc;
	}
	*out = obj;
	return DCRE_OK;
}

/* ---- other payloads (conversions.md §9) ---- */

enum dcre_err dcre_convert_asset(const char *payload, size_t len, cJSON **out, struct dcre_msg *why)
{
	static const char *const board[] = {"manufacturer", "part_number", "product_name",
	                                    "serial_number"};
	static const char *const chassis[] = {"chassis_type", "part_number", "serial_number"};
	static const char *const product[] = {"asset_tag",    "manufacturer",  "part_number",
	                                      "product_name", "serial_number", "version"};
	struct field f[MAX_FIELDS];
	char e[ECHO_BUFSZ];
	cJSON *obj, *sub;
	size_t n, i, k = 0;

	assert(out);
	assert(payload || len == 0);
	*out = NULL;
	n = split(payload, len, f);
	if (n != 13)
		return dcre_msg_set(why, DCRE_EPROTO,
		                    "answered '%s', expected 13 comma-separated fields, got %zu",
		                    echo(payload, len, e), n);
	obj = new_object();
	sub = new_object();
	for (i = 0; i < 4; i++, k++)
		put_text(sub, board[i], f[k].p, f[k].len);
	put(obj, "board_info", sub);
	sub = new_object();
	for (i = 0; i < 3; i++, k++)
		put_text(sub, chassis[i], f[k].p, f[k].len);
	put(obj, "chassis_info", sub);
	sub = new_object();
	for (i = 0; i < 6; i++, k++)
		put_text(sub, product[i], f[k].p, f[k].len);
	put(obj, "product_info", sub);
	*out = obj;
	return DCRE_OK;
}

enum dcre_err dcre_convert_boot_target(const char *payload, size_t len, const char **target,
                                       struct dcre_msg *why)
{
	static const char *const names[] = {"no_override", "hdd", "pxe"};
	char e[ECHO_BUFSZ];

	assert(target);
	assert(payload || len == 0);
	*target = NULL;
	if (len != 2 || payload[0] != 'B' || payload[1] < '0' || payload[1] > '2')
		return dcre_msg_set(why, DCRE_EPROTO,
		                    "answered '%s', not a boot target (expected B0, B1 or B2)",
		                    echo(payload, len, e));
	*target = names[payload[1] - '0'];
	return DCRE_OK;
}

enum dcre_err dcre_convert_chamber_led(const char *payload, size_t len, cJSON **out,
                                       struct dcre_msg *why)
{
	struct field f[MAX_FIELDS];
	char e[ECHO_BUFSZ];
	cJSON *obj;
	size_t n;

	assert(out);
	assert(payload || len == 0);
	*out = NULL;
	n = split(payload, len, f);
	if (n != 3)
		return dcre_msg_set(why, DCRE_EPROTO,
		                    "answered '%s', expected 3 comma-separated fields "
		                    "(state,color,blink)",
		                    echo(payload, len, e));
	obj = new_object();
	put_str(obj, "led_state", field_is(&f[0], "1") ? "on" : "off");
	put_text(obj, "led_color", f[1].p, f[1].len);
	put_str(obj, "blink_state", field_is(&f[2], "1") ? "blink" : "steady");
	*out = obj;
	return DCRE_OK;
}

enum dcre_err dcre_convert_host_info(const char *payload, size_t len, cJSON **out,
                                     struct dcre_msg *why)
{
	char e[ECHO_BUFSZ];
	cJSON *obj, *hosts, *ips;
	size_t start = 0, i, nf = 0;

	assert(out);
	assert(payload || len == 0);
	*out = NULL;
	if (len == 0)
		return dcre_msg_set(why, DCRE_EPROTO, "answered an empty host info payload");
	obj = new_object();
	hosts = cJSON_CreateArray();
	ips = cJSON_CreateArray();
	put(obj, "hostnames", hosts);
	put(obj, "ip_addresses", ips);
	for (i = 0; i <= len; i++) {
		const char *p = payload + start;
		size_t flen = i - start;

		if (i < len && payload[i] != ',')
			continue;
		nf++;
		start = i + 1;
		if (flen == 0 || (p[0] != 'i' && p[0] != 'h')) {
			dcre_msg_set(why, DCRE_EPROTO,
			             "answered '%s', field %zu %s (expected i<address> or h<name>)",
			             echo(payload, len, e), nf,
			             flen == 0 ? "is empty" : "has an unknown leading character");
			cJSON_Delete(obj);
			return DCRE_EPROTO;
		}
		if (!cJSON_AddItemToArray(p[0] == 'i' ? ips : hosts,
		                          dcre_convert_text(p + 1, flen - 1)))
			abort();
	}
	*out = obj;
	return DCRE_OK;
}

/* ---- location (conversions.md §10) ---- */

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

cJSON *dcre_convert_location(int32_t device_id)
{
	cJSON *obj = new_object();
	cJSON *phys = new_object();

	assert(device_id <= 0xFFFF);
	put_str(phys, "depth", "unknown");
	put_str(phys, "horizontal", "unknown");
	put_str(phys, "vertical", "unknown");
	put(obj, "physical_location", phys);
	if (device_id >= 0) {
		cJSON *ch = new_object();

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
		put(obj, "chassis_location", ch);
	}
	return obj;
}
