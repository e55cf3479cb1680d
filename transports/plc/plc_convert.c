/* SPDX-License-Identifier: MIT */
/* PLC payload conversions (conversions.md §4-§9). */
#include "plc_convert.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "backend.h"
#include "number.h"
#include "text.h"

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

static char *field_text(const struct field *f)
{
	return dcre_text_clean(f->p, f->len);
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

/* A finite number into n; key names it in the message (the answer's key). */
static enum dcre_err set_double(struct dcre_num *n, const char *key, double v, const char *p,
                                size_t len, struct dcre_msg *why)
{
	char e[ECHO_BUFSZ];

	if (!isfinite(v))
		return dcre_msg_set(why, DCRE_EPROTO, "answered '%s', %s is not a finite number",
		                    echo(p, len, e), key);
	dcre_num_set_double(n, v);
	return DCRE_OK;
}

/* ---- read conversions (conversions.md §4-§6) ---- */

static enum dcre_err thermistor(const char *digits, const char *p, size_t len,
                                struct dcre_reading *r, struct dcre_msg *why)
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
	return set_double(&r->q[DCRE_Q_TEMPERATURE], "temperature_c", dcre_number_round2(t), p, len,
	                  why);
}

static enum dcre_err humidity(const char *digits, const char *p, size_t len, struct dcre_reading *r,
                              struct dcre_msg *why)
{
	char e[ECHO_BUFSZ];
	int64_t raw;
	uint64_t u;
	double h, t;

	if (dcre_number_int_to_i64(digits, &raw) != DCRE_OK || raw > 0xFFFFFFFFll)
		return dcre_msg_set(why, DCRE_EPROTO,
		                    "answered '%s', out of range for a humidity sensor",
		                    echo(p, len, e));
	/* Two's complement bits; the masks make logical and arithmetic shifts
	 * agree. */
	u = (uint64_t)raw;
	h = (double)((u >> 16) & 0x3FFF) / 16382.0;
	h = h * 100.0;
	t = (double)((u & 0xFFFF) >> 2) / 16382.0;
	t = t * 165.0;
	t = t - 40.0;
	dcre_num_set_double(&r->q[DCRE_Q_HUMIDITY], dcre_number_round2(h));
	dcre_num_set_double(&r->q[DCRE_Q_TEMPERATURE], dcre_number_round2(t));
	return DCRE_OK;
}

static bool is_integer_type(const char *type)
{
	return strcmp(type, "temperature") != 0 && strcmp(type, "pressure") != 0;
}

static enum dcre_err read_int(unsigned rules, const char *type, const char *payload, size_t len,
                              struct dcre_reading *r, struct dcre_msg *why)
{
	char e[ECHO_BUFSZ];
	char *digits = NULL;
	enum dcre_err rc = parse_int(payload, len, &digits, why);

	if (rc != DCRE_OK)
		return rc;
	if (strcmp(type, "thermistor") == 0) {
		rc = thermistor(digits, payload, len, r, why);
	} else if (strcmp(type, "humidity") == 0) {
		rc = humidity(digits, payload, len, r, why);
	} else if (strcmp(type, "led") == 0) {
		if (strcmp(digits, "0") != 0 && strcmp(digits, "1") != 0)
			rc = dcre_msg_set(why, DCRE_EPROTO,
			                  "answered '%s', not an LED state (expected 0 or 1)",
			                  echo(payload, len, e));
		else
			r->led = DCRE_TRI(digits[0] == '1');
	} else if (strcmp(type, "fan_speed") == 0 ||
	           ((rules & DCRE_RULE_EXT_READINGS) && strcmp(type, "vapor_fan") == 0)) {
		/* a PLC fan always runs in automatic mode (shown where the API
		 * has the key) */
		r->fan_mode = "auto";
		dcre_num_set_digits(&r->q[DCRE_Q_FAN_SPEED], digits);
	} else {
		dcre_num_set_digits(&r->q[DCRE_Q_RAW], digits);
	}
	free(digits);
	return rc;
}

static enum dcre_err read_any(unsigned rules, const char *type, const char *payload, size_t len,
                              struct dcre_reading *r, struct dcre_msg *why)
{
	enum dcre_err rc;
	double v;

	if (rules & DCRE_RULE_STRICT_NUMBERS) {
		/* Decimal-number rule first for every type. For integer types
		 * this checks the form only: overflowing a double passes. */
		rc = dcre_number_parse_double(payload, len, &v);
		if (rc == DCRE_ERANGE && is_integer_type(type))
			rc = DCRE_OK;
		if (rc != DCRE_OK)
			return parse_double(payload, len, &v, why);
	}
	if ((rules & DCRE_RULE_EXT_READINGS) && strcmp(type, "pressure") == 0) {
		rc = parse_double(payload, len, &v, why);
		return rc ? rc
		          : set_double(&r->q[DCRE_Q_PRESSURE], "pressure_kpa", v, payload, len,
		                       why);
	}
	if (strcmp(type, "temperature") == 0) {
		rc = parse_double(payload, len, &v, why);
		return rc ? rc
		          : set_double(&r->q[DCRE_Q_TEMPERATURE], "temperature_c", v, payload, len,
		                       why);
	}
	return read_int(rules, type, payload, len, r, why);
}

enum dcre_err plc_convert_read(unsigned rules, const char *type, const char *payload, size_t len,
                               struct dcre_reading *out, struct dcre_msg *why)
{
	assert(type && out);
	assert(payload || len == 0);
	enum dcre_err rc = read_any(rules, type, payload, len, out, why);
	if (rc != DCRE_OK)
		dcre_reading_clear(out);
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
static enum dcre_err pmbus_value(struct dcre_num *n, const char *key, const char *digits,
                                 double scale, double b, double m, const char *p, size_t len,
                                 struct dcre_msg *why)
{
	double v;

	if (!digits_to_double(digits, &v))
		v = INFINITY; /* reported by set_double below */
	v = v * scale;
	v = v - b;
	v = v * (1.0 / m);
	return set_double(n, key, v, p, len, why);
}

static enum dcre_err power4(const struct field *f, const char *payload, size_t len,
                            struct dcre_power *pw, struct dcre_msg *why)
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
	snprintf(pw->state, sizeof(pw->state), "%s", ((uint64_t)status & 0x40) ? "off" : "on");
	pw->power_ok = DCRE_TRI(((uint64_t)status & 0x800) == 0);
	pw->over_current = DCRE_TRI(((uint64_t)status & 0x10) != 0);
	pw->under_voltage = DCRE_TRI(((uint64_t)status & 0x08) != 0);
	pw->pmbus_raw = dcre_text_clean(payload, len);
	rc = pmbus_value(&pw->input_power, "input_power", d[1], 100.0, 0.0, 6043.0, payload, len,
	                 why);
	if (rc == DCRE_OK)
		rc = pmbus_value(&pw->input_voltage, "input_voltage", d[2], 100.0, 0.0, 19199.0,
		                 payload, len, why);
	if (rc == DCRE_OK)
		rc = pmbus_value(&pw->output_current, "output_current", d[3], 10.0, 20745.0, 807.0,
		                 payload, len, why);
out:
	for (i = 3; i >= 0; i--)
		free(d[i]);
	return rc;
}

static enum dcre_err battery(const struct field *f, struct dcre_power *pw, struct dcre_msg *why)
{
	char *digits = NULL;
	enum dcre_err rc = power_field(&f[1], "battery charge", &digits, why);

	if (rc != DCRE_OK)
		return rc;
	pw->battery = true;
	dcre_num_set_digits(&pw->battery_charge, digits);
	pw->battery_status = field_text(&f[0]);
	free(digits);
	return DCRE_OK;
}

enum dcre_err plc_convert_power(unsigned rules, const char *payload, size_t len,
                                struct dcre_power *out, struct dcre_msg *why)
{
	bool ext = rules & DCRE_RULE_EXT_READINGS;
	struct field f[MAX_FIELDS];
	enum dcre_err rc;
	char e[ECHO_BUFSZ];
	size_t n;

	assert(out);
	assert(payload || len == 0);
	n = split(payload, len, f);
	if (n != 4 && !(ext && n == 2))
		return dcre_msg_set(why, DCRE_EPROTO,
		                    "answered '%s', expected %s comma-separated fields",
		                    echo(payload, len, e), ext ? "4 (power) or 2 (battery)" : "4");
	rc = n == 4 ? power4(f, payload, len, out, why) : battery(f, out, why);
	if (rc != DCRE_OK)
		dcre_power_clear(out);
	return rc;
}

/* ---- other payloads (conversions.md §9) ---- */

enum dcre_err plc_convert_asset(const char *payload, size_t len, struct dcre_asset *out,
                                struct dcre_msg *why)
{
	struct field f[MAX_FIELDS];
	char e[ECHO_BUFSZ];
	size_t n;

	assert(out);
	assert(payload || len == 0);
	n = split(payload, len, f);
	if (n != DCRE_ASSET_COUNT)
		return dcre_msg_set(why, DCRE_EPROTO,
		                    "answered '%s', expected 13 comma-separated fields, got %zu",
		                    echo(payload, len, e), n);
	for (size_t i = 0; i < DCRE_ASSET_COUNT; i++)
		out->field[i] = field_text(&f[i]);
	return DCRE_OK;
}

enum dcre_err plc_convert_boot_target(const char *payload, size_t len,
                                      enum dcre_boot_target *target, struct dcre_msg *why)
{
	static const enum dcre_boot_target targets[] = {DCRE_BOOT_NO_OVERRIDE, DCRE_BOOT_HDD,
	                                                DCRE_BOOT_PXE};
	char e[ECHO_BUFSZ];

	assert(target);
	assert(payload || len == 0);
	*target = DCRE_BOOT_UNKNOWN;
	if (len != 2 || payload[0] != 'B' || payload[1] < '0' || payload[1] > '2')
		return dcre_msg_set(why, DCRE_EPROTO,
		                    "answered '%s', not a boot target (expected B0, B1 or B2)",
		                    echo(payload, len, e));
	*target = targets[payload[1] - '0'];
	return DCRE_OK;
}

enum dcre_err plc_convert_chamber_led(const char *payload, size_t len, struct dcre_chamber_led *out,
                                      struct dcre_msg *why)
{
	struct field f[MAX_FIELDS];
	char e[ECHO_BUFSZ];
	size_t n;

	assert(out);
	assert(payload || len == 0);
	n = split(payload, len, f);
	if (n != 3)
		return dcre_msg_set(why, DCRE_EPROTO,
		                    "answered '%s', expected 3 comma-separated fields "
		                    "(state,color,blink)",
		                    echo(payload, len, e));
	out->state = dcre_xstrdup(field_is(&f[0], "1") ? "on" : "off");
	out->color = field_text(&f[1]);
	out->blink = dcre_xstrdup(field_is(&f[2], "1") ? "blink" : "steady");
	return DCRE_OK;
}

enum dcre_err plc_convert_host_info(const char *payload, size_t len, struct dcre_host_info *out,
                                    struct dcre_msg *why)
{
	char e[ECHO_BUFSZ];
	size_t start = 0, i, nf = 0;

	assert(out);
	assert(payload || len == 0);
	if (len == 0)
		return dcre_msg_set(why, DCRE_EPROTO, "answered an empty host info payload");
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
			dcre_host_info_clear(out);
			return DCRE_EPROTO;
		}
		char *text = dcre_text_clean(p + 1, flen - 1);
		dcre_strv_add(p[0] == 'i' ? &out->ip_addresses : &out->hostnames, text);
		free(text);
	}
	return DCRE_OK;
}
