/* SPDX-License-Identifier: MIT */
/* Unit tests for transports/plc/plc_convert.c (conversions.md §4-§9, api.md
 * §6.4-§6.11): each typed result is rendered with core/render.h and compared
 * with the answer text. Also the text cleaning (core/text.h) and the
 * location and number helpers of core/render.h (§3, §10). */
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "backend.h"
#include "json_out.h"
#include "plc_convert.h"
#include "render.h"
#include "tap.h"
#include "text.h"

/* The rules the command layer sets for each API version (core/backend.h). */
static unsigned rules_of(enum dcre_api api)
{
	return api == DCRE_API_13 ? DCRE_RULE_STRICT_NUMBERS | DCRE_RULE_EXT_READINGS
	                          : DCRE_RULE_VALUE_REQUIRED | DCRE_RULE_SYSTEM_LED;
}

/* Is the result empty (all bytes zero), as a failed conversion leaves it? */
static bool is_empty(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* ---- canonical rendering: keys sorted, no whitespace ---- */

struct out {
	char *p;
	size_t len, cap;
};

static void out_add(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->p = dcre_xrealloc(o->p, o->cap);
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void out_str(struct out *o, const char *s)
{
	out_add(o, s, strlen(s));
}

static int by_key(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->string, y->string);
}

static void render_item(struct out *o, const cJSON *it)
{
	if (cJSON_IsRaw(it)) {
		out_str(o, it->valuestring);
	} else if (cJSON_IsObject(it)) {
		const cJSON *c;
		const cJSON **kids;
		size_t n = 0, i;

		cJSON_ArrayForEach(c, it) n++;
		kids = dcre_xcalloc(n, sizeof(*kids));
		n = 0;
		cJSON_ArrayForEach(c, it) kids[n++] = c;
		qsort(kids, n, sizeof(*kids), by_key);
		out_str(o, "{");
		for (i = 0; i < n; i++) {
			cJSON *k = cJSON_CreateString(kids[i]->string);
			char *ks = cJSON_PrintUnformatted(k);

			if (i)
				out_str(o, ",");
			out_str(o, ks);
			out_str(o, ":");
			render_item(o, kids[i]);
			free(ks);
			cJSON_Delete(k);
		}
		out_str(o, "}");
		free(kids);
	} else if (cJSON_IsArray(it)) {
		const cJSON *c;
		bool first = true;

		out_str(o, "[");
		cJSON_ArrayForEach(c, it)
		{
			if (!first)
				out_str(o, ",");
			first = false;
			render_item(o, c);
		}
		out_str(o, "]");
	} else if (cJSON_IsNumber(it)) {
		out_str(o, "NUMBER-NOT-RAW"); /* every number must be a raw item */
	} else if (cJSON_IsString(it)) {
		/* as answers print strings (a device's NUL byte as \u0000) */
		size_t n;
		char *s = dcre_json_print(it, &n);

		out_add(o, s, n - 1); /* without the final newline */
		free(s);
	} else {
		char *s = cJSON_PrintUnformatted(it);

		out_str(o, s);
		free(s);
	}
}

/* Caller frees. NULL gives NULL. */
static char *render(const cJSON *it)
{
	struct out o = {NULL, 0, 0};

	if (!it)
		return NULL;
	out_str(&o, "");
	render_item(&o, it);
	return o.p;
}

/* Check a converter result, rendered into obj (NULL after a failure);
 * empty: the typed result is empty. want == NULL means "must fail" (and
 * leave the result empty). */
static void check(enum dcre_err rc, cJSON *obj, bool empty, const struct dcre_msg *why,
                  const char *want, const char *label)
{
	char *got;

	if (!want) {
		tap_ok(rc != DCRE_OK && obj == NULL && empty && why->text[0] != '\0',
		       "%s fails (%s)", label, why->text);
		cJSON_Delete(obj);
		return;
	}
	got = render(obj);
	if (rc != DCRE_OK)
		tap_diag("unexpected failure: %s", why->text);
	tap_is_str(rc == DCRE_OK ? got : "(failed)", want, "%s", label);
	free(got);
	cJSON_Delete(obj);
}

static void read_len(enum dcre_api api, const char *type, const char *payload, size_t len,
                     const char *want)
{
	struct dcre_msg why = {{0}};
	struct dcre_reading r = {0};
	enum dcre_err rc = plc_convert_read(rules_of(api), type, payload, len, &r, &why);
	cJSON *obj = rc == DCRE_OK ? dcre_render_reading(api, &r) : NULL;
	char label[128];

	snprintf(label, sizeof(label), "read %d %s '%s'", (int)api, type, tap_esc(payload, len));
	check(rc, obj, is_empty(&r, sizeof(r)), &why, want, label);
	dcre_reading_clear(&r);
}

static void read_is(enum dcre_api api, const char *type, const char *payload, const char *want)
{
	read_len(api, type, payload, strlen(payload), want);
}

/* Same result in both API versions. */
static void read_both(const char *type, const char *payload, const char *want)
{
	read_is(DCRE_API_12, type, payload, want);
	read_is(DCRE_API_13, type, payload, want);
}

static void read_why(enum dcre_api api, const char *type, const char *payload, size_t len,
                     const char *want_why)
{
	struct dcre_msg why = {{0}};
	struct dcre_reading r = {0};

	tap_ok(plc_convert_read(rules_of(api), type, payload, len, &r, &why) != DCRE_OK &&
	           is_empty(&r, sizeof(r)),
	       "read %s fails", type);
	tap_is_str(why.text, want_why, "read %s message", type);
}

/* ---- read (conversions.md §4) ---- */

static void test_read_temperature(void)
{
	read_both("temperature", "30.03", "{\"temperature_c\":30.03}");
	read_both("temperature", "30", "{\"temperature_c\":30.0}");
	read_both("temperature", " 2.5E-1 ", "{\"temperature_c\":0.25}");
	read_both("temperature", "-0.12", "{\"temperature_c\":-0.12}");
	read_both("temperature", ".5", "{\"temperature_c\":0.5}");
	read_both("temperature", "1.", "{\"temperature_c\":1.0}");
	read_both("temperature", "1e3", "{\"temperature_c\":1000.0}");
	read_both("temperature", "1e16", "{\"temperature_c\":1e+16}");
	read_both("temperature", "-0", "{\"temperature_c\":-0.0}");
	read_both("temperature", "28.7812345", "{\"temperature_c\":28.7812345}"); /* not rounded */
	read_both("temperature", "", NULL);
	read_both("temperature", "invalid", NULL);
	read_both("temperature", "nan", NULL);
	read_both("temperature", "inf", NULL);
	read_both("temperature", "infinity", NULL);
	read_both("temperature", "0x1p3", NULL);
	read_both("temperature", "1,5", NULL);
	read_both("temperature", "1e400", NULL);
	read_why(DCRE_API_12, "temperature", "invalid", 7,
	         "answered 'invalid', not a decimal number");
}

static void test_read_pressure(void)
{
	read_is(DCRE_API_12, "pressure", "101", "{\"device_raw\":101}");
	read_is(DCRE_API_12, "pressure", " -0042 ", "{\"device_raw\":-42}");
	read_is(DCRE_API_12, "pressure", "12345678901234567890",
	        "{\"device_raw\":12345678901234567890}");
	read_is(DCRE_API_12, "pressure", "-0.12", NULL);
	read_is(DCRE_API_12, "pressure", "1e3", NULL);
	read_is(DCRE_API_13, "pressure", "-0.12", "{\"pressure_kpa\":-0.12}");
	read_is(DCRE_API_13, "pressure", "101", "{\"pressure_kpa\":101.0}");
	read_is(DCRE_API_13, "pressure", "1e3", "{\"pressure_kpa\":1000.0}");
	read_is(DCRE_API_13, "pressure", "1e400", NULL);
	read_is(DCRE_API_13, "pressure", "nan", NULL);
	read_both("pressure", "", NULL);
	read_both("pressure", "invalid", NULL);
}

static void test_read_thermistor(void)
{
	/* conversions.md §5 check values */
	read_both("thermistor", "0", "{\"temperature_c\":131.29}");
	read_both("thermistor", "656", "{\"temperature_c\":28.78}");
	read_both("thermistor", "32768", "{\"temperature_c\":-4173.97}");
	read_both("thermistor", "65534", "{\"temperature_c\":-8466.32}");
	read_both("thermistor", "542", "{\"temperature_c\":40.21}");
	read_both("thermistor", "745", "{\"temperature_c\":20.02}");
	read_both("thermistor", "65463", "{\"temperature_c\":-8457.01}"); /* no FMA */
	/* segment boundaries */
	read_both("thermistor", "746", "{\"temperature_c\":20.91}");
	read_both("thermistor", "543", "{\"temperature_c\":39.91}");
	read_both("thermistor", "354", "{\"temperature_c\":60.01}");
	read_both("thermistor", "355", "{\"temperature_c\":60.03}");
	read_both("thermistor", "218", "{\"temperature_c\":80.06}");
	read_both("thermistor", "219", "{\"temperature_c\":79.85}");
	read_both("thermistor", "+00656", "{\"temperature_c\":28.78}");
	/* negatives are not rejected */
	read_both("thermistor", "-1", "{\"temperature_c\":131.53}");
	read_both("thermistor", "-100000000000000000000", "{\"temperature_c\":2.35e+19}");
	/* out of range */
	read_both("thermistor", "65535", NULL);
	read_both("thermistor", "70000", NULL);
	read_both("thermistor", "12345678901234567890", NULL);
	read_why(DCRE_API_12, "thermistor", "70000", 5,
	         "answered '70000', out of range for a thermistor");
	read_why(DCRE_API_13, "thermistor", "70000", 5,
	         "answered '70000', out of range for a thermistor");
	{
		char big[402];

		big[0] = '-';
		big[1] = '1';
		memset(big + 2, '0', 400);
		read_len(DCRE_API_12, "thermistor", big, sizeof(big), NULL);
		read_len(DCRE_API_13, "thermistor", big, sizeof(big), NULL);
	}
	read_both("thermistor", "656.0", NULL);
	read_both("thermistor", "", NULL);
	read_both("thermistor", "A", NULL);
}

static void test_read_humidity(void)
{
	/* conversions.md §6 check values */
	read_both("humidity", "0", "{\"humidity\":0.0,\"temperature_c\":-40.0}");
	read_both("humidity", "65535", "{\"humidity\":0.0,\"temperature_c\":125.01}");
	read_both("humidity", "4294901760", "{\"humidity\":100.01,\"temperature_c\":-40.0}");
	read_both("humidity", "4294967295", "{\"humidity\":100.01,\"temperature_c\":125.01}");
	read_both("humidity", "1486313281", "{\"humidity\":38.43,\"temperature_c\":16.24}");
	/* two's complement */
	read_both("humidity", "-1", "{\"humidity\":100.01,\"temperature_c\":125.01}");
	read_both("humidity", "-65536", "{\"humidity\":100.01,\"temperature_c\":-40.0}");
	read_both("humidity", "-9223372036854775808", "{\"humidity\":0.0,\"temperature_c\":-40.0}");
	/* out of range */
	read_both("humidity", "4294967296", NULL);
	read_both("humidity", "-9223372036854775809", NULL);
	read_both("humidity", "38.43", NULL);
	read_both("humidity", "", NULL);
}

static void test_read_fan(void)
{
	read_is(DCRE_API_12, "fan_speed", "4100", "{\"speed_rpm\":4100}");
	read_is(DCRE_API_13, "fan_speed", "4100", "{\"fan_mode\":\"auto\",\"speed_rpm\":4100}");
	read_is(DCRE_API_12, "fan_speed", "-12345", "{\"speed_rpm\":-12345}");
	read_is(DCRE_API_13, "fan_speed", "-12345", "{\"fan_mode\":\"auto\",\"speed_rpm\":-12345}");
	read_is(DCRE_API_12, "fan_speed", "00000000004100", "{\"speed_rpm\":4100}");
	read_is(DCRE_API_13, "fan_speed", " +4100\n", "{\"fan_mode\":\"auto\",\"speed_rpm\":4100}");
	read_is(DCRE_API_12, "fan_speed", "12345678901234567890",
	        "{\"speed_rpm\":12345678901234567890}");
	read_is(DCRE_API_13, "fan_speed", "12345678901234567890",
	        "{\"fan_mode\":\"auto\",\"speed_rpm\":12345678901234567890}");
	read_is(DCRE_API_12, "vapor_fan", "1500", "{\"device_raw\":1500}");
	read_is(DCRE_API_13, "vapor_fan", "1500", "{\"fan_mode\":\"auto\",\"speed_rpm\":1500}");
	read_both("fan_speed", "", NULL);
	read_both("fan_speed", "4.0", NULL);
	read_both("fan_speed", "1e3", NULL);
	read_both("fan_speed", "0x10", NULL);
	read_both("fan_speed", "A", NULL);
	read_both("fan_speed", "fan speed", NULL);
	read_both("fan_speed", "nan", NULL);
	read_both("vapor_fan", "invalid", NULL);
	read_why(DCRE_API_12, "fan_speed", "4.0", 3, "answered '4.0', not a decimal integer");
	read_why(DCRE_API_13, "fan_speed", "4.0", 3, "answered '4.0', not a decimal integer");
	read_why(DCRE_API_13, "fan_speed", "invalid", 7,
	         "answered 'invalid', not a decimal number");
	read_why(DCRE_API_12, "fan_speed", "invalid", 7,
	         "answered 'invalid', not a decimal integer");
}

static void test_read_13_big_integer(void)
{
	/* 1.3: an integer too large for a double passes the decimal-number
	 * check (form only) and then the integer rule. */
	char big[402];
	char want[480];

	big[0] = '1';
	memset(big + 1, '0', 400);
	big[401] = '\0';
	snprintf(want, sizeof(want), "{\"fan_mode\":\"auto\",\"speed_rpm\":%s}", big);
	read_is(DCRE_API_13, "fan_speed", big, want);
	snprintf(want, sizeof(want), "{\"device_raw\":%s}", big);
	read_is(DCRE_API_13, "current", big, want);
	read_is(DCRE_API_12, "current", big, want);
	read_is(DCRE_API_13, "led", "1e400", NULL);
	read_is(DCRE_API_13, "current", "1e400", NULL);
	/* ...but not for temperature and pressure */
	read_is(DCRE_API_13, "temperature", big, NULL);
	read_is(DCRE_API_13, "pressure", big, NULL);
}

static void test_read_led(void)
{
	read_both("led", "1", "{\"led_state\":\"on\"}");
	read_both("led", "0", "{\"led_state\":\"off\"}");
	read_both("led", " 01 ", "{\"led_state\":\"on\"}");
	read_both("led", "-0", "{\"led_state\":\"off\"}");
	read_both("led", "2", NULL);
	read_both("led", "-1", NULL);
	read_both("led", "on", NULL);
	read_both("led", "1.0", NULL);
	read_both("led", "", NULL);
	read_why(DCRE_API_12, "led", "2", 1, "answered '2', not an LED state (expected 0 or 1)");
}

static void test_read_other(void)
{
	static const char *const types[] = {"current", "system",    "none",    "power_supply",
	                                    "airflow", "vapor_led", "voltage", "unknown_thing"};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		read_both(types[i], "1234", "{\"device_raw\":1234}");
		read_both(types[i], "-007", "{\"device_raw\":-7}");
		read_both(types[i], "1.5", NULL);
		read_both(types[i], "", NULL);
	}
	read_len(DCRE_API_12, "current", "12\0", 3, NULL);
	read_len(DCRE_API_13, "current", "12\0", 3, NULL);
	read_len(DCRE_API_12, "current", NULL, 0, NULL);
	read_len(DCRE_API_13, "temperature", NULL, 0, NULL);
}

static void test_messages(void)
{
	char big[300];

	/* non-printable bytes are escaped, NUL included */
	read_why(DCRE_API_12, "fan_speed", "a\x01'\\\xff\0b", 7,
	         "answered 'a\\x01\\x27\\x5c\\xff\\x00b', not a decimal integer");
	/* long payloads are cut */
	memset(big, 'x', sizeof(big));
	read_why(DCRE_API_12, "current", big, sizeof(big),
	         "answered 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...', "
	         "not a decimal integer");
	read_why(DCRE_API_12, "current", "", 0, "answered '', not a decimal integer");
}

/* ---- power and battery (conversions.md §8) ---- */

static void power_len(enum dcre_api api, const char *payload, size_t len, const char *want)
{
	struct dcre_msg why = {{0}};
	struct dcre_power p = {0};
	enum dcre_err rc = plc_convert_power(rules_of(api), payload, len, &p, &why);
	cJSON *obj = rc == DCRE_OK ? dcre_render_power(api, &p) : NULL;
	char label[128];

	snprintf(label, sizeof(label), "power %d '%s'", (int)api, tap_esc(payload, len));
	check(rc, obj, is_empty(&p, sizeof(p)), &why, want, label);
	dcre_power_clear(&p);
}

static void power_is(enum dcre_api api, const char *payload, const char *want)
{
	power_len(api, payload, strlen(payload), want);
}

static void power_both(const char *payload, const char *want)
{
	power_is(DCRE_API_12, payload, want);
	power_is(DCRE_API_13, payload, want);
}

#define PW(ip, iv, oc, over, raw, ok, st, uv)                                                      \
	"{\"input_power\":" ip ",\"input_voltage\":" iv ",\"output_current\":" oc                  \
	",\"over_current\":" over ",\"pmbus_raw\":\"" raw "\",\"power_ok\":" ok                    \
	",\"power_status\":\"" st "\",\"under_voltage\":" uv "}"
#define OC0 "-25.70631970260223"

static void test_power(void)
{
	struct dcre_msg why = {{0}};
	struct dcre_power p = {0};

	/* conversions.md §8.1 check values */
	power_both("0,0,0,0", PW("0.0", "0.0", OC0, "false", "0,0,0,0", "true", "on", "false"));
	power_both("64,0,0,0", PW("0.0", "0.0", OC0, "false", "64,0,0,0", "true", "off", "false"));
	power_both("2048,0,0,0",
	           PW("0.0", "0.0", OC0, "false", "2048,0,0,0", "false", "on", "false"));
	power_both("2056,0,0,0",
	           PW("0.0", "0.0", OC0, "false", "2056,0,0,0", "false", "on", "true"));
	power_both("2064,0,0,0",
	           PW("0.0", "0.0", OC0, "true", "2064,0,0,0", "false", "on", "false"));
	power_both("2072,0,0,0",
	           PW("0.0", "0.0", OC0, "true", "2072,0,0,0", "false", "on", "true"));
	power_both("0,12000,2400,3356",
	           PW("198.57686579513486", "12.500651075576853", "15.879801734820322", "false",
	              "0,12000,2400,3356", "true", "on", "false"));
	/* multiply by 1/m, not divide by m */
	power_both("0,13,0,5", PW("0.21512493794472942", "0.0", "-25.644361833952914", "false",
	                          "0,13,0,5", "true", "on", "false"));
	/* whitespace around fields; pmbus_raw unchanged */
	power_both(" 64 ,\t12000, 2400 ,3356\n",
	           PW("198.57686579513486", "12.500651075576853", "15.879801734820322", "false",
	              " 64 ,\\t12000, 2400 ,3356\\n", "true", "off", "false"));
	/* two's complement status, signed 64-bit range */
	power_both("-1,0,0,0", PW("0.0", "0.0", OC0, "true", "-1,0,0,0", "false", "off", "true"));
	power_both(
	    "9223372036854775807,0,0,0",
	    PW("0.0", "0.0", OC0, "true", "9223372036854775807,0,0,0", "false", "off", "true"));
	power_both(
	    "-9223372036854775808,0,0,0",
	    PW("0.0", "0.0", OC0, "false", "-9223372036854775808,0,0,0", "true", "on", "false"));
	power_both("9223372036854775808,0,0,0", NULL);
	power_both("-9223372036854775809,0,0,0", NULL);
	/* huge analog values that overflow a double fail; big ones are fine */
	power_both("0,100000000000000000000,0,0",
	           PW("1.6548072149594573e+18", "0.0", OC0, "false", "0,100000000000000000000,0,0",
	              "true", "on", "false"));
	{
		char big[420];
		size_t n;

		memcpy(big, "0,1", 3);
		memset(big + 3, '0', 400);
		memcpy(big + 403, ",0,0", 5);
		n = strlen(big);
		power_len(DCRE_API_12, big, n, NULL);
	}
	/* failures (§8.3) */
	power_both("", NULL);
	power_len(DCRE_API_13, NULL, 0, NULL);
	power_both("1,2,3", NULL);
	power_both("1,2,3,4,5", NULL);
	power_both("0,0,0,", NULL);
	power_both("a,0,0,0", NULL);
	power_both("0,0.5,0,0", NULL);
	power_both("0,0,0,0x10", NULL);
	power_both(",,,", NULL);
	power_both("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20", NULL);
	power_len(DCRE_API_12, "0,0,0,0\0", 8, NULL);
	tap_ok(plc_convert_power(rules_of(DCRE_API_12), "1,2,3", 5, &p, &why) != DCRE_OK &&
	           is_empty(&p, sizeof(p)),
	       "power '1,2,3' fails");
	tap_is_str(why.text, "answered '1,2,3', expected 4 comma-separated fields",
	           "power field count message");
	plc_convert_power(rules_of(DCRE_API_12), "0,x,0,0", 7, &p, &why);
	tap_is_str(why.text, "answered power 'x', not a decimal integer", "power field message");
}

static void test_battery(void)
{
	power_is(DCRE_API_13, "charging,100",
	         "{\"battery_charge_percent\":100,\"battery_status\":\"charging\"}");
	power_is(DCRE_API_13, "discharging, 042 ",
	         "{\"battery_charge_percent\":42,\"battery_status\":\"discharging\"}");
	power_is(DCRE_API_13, " full ,12345678901234567890",
	         "{\"battery_charge_percent\":12345678901234567890,\"battery_status\":\" full \"}");
	power_is(DCRE_API_13, ",-5", "{\"battery_charge_percent\":-5,\"battery_status\":\"\"}");
	power_is(DCRE_API_13, "\xe9tat,5",
	         "{\"battery_charge_percent\":5,\"battery_status\":\"\xc3\xa9tat\"}");
	power_is(DCRE_API_12, "charging,100", NULL); /* 1.2: 4-field form only */
	power_is(DCRE_API_13, "charging,full", NULL);
	power_is(DCRE_API_13, "charging,", NULL);
	power_is(DCRE_API_13, "charging,1.5", NULL);
	power_is(DCRE_API_13, "charging", NULL);
	power_is(DCRE_API_13, "charging,100,1", NULL);
}

/* ---- asset (api.md §6.6) ---- */

static void asset_len(const char *payload, size_t len, const char *want)
{
	struct dcre_msg why = {{0}};
	struct dcre_asset a = {0};
	enum dcre_err rc = plc_convert_asset(payload, len, &a, &why);
	cJSON *obj = rc == DCRE_OK ? dcre_render_asset(&a) : NULL;
	char label[128];

	snprintf(label, sizeof(label), "asset '%s'", tap_esc(payload, len));
	check(rc, obj, is_empty(&a, sizeof(a)), &why, want, label);
	dcre_asset_clear(&a);
}

static void asset_is(const char *payload, const char *want)
{
	asset_len(payload, strlen(payload), want);
}

static void test_asset(void)
{
	asset_is("Example Corp,PB-100,Example Board,SB12345,Rack Mount Chassis,PC-200,SC12345,"
	         "AT-0001,Example Corp,PP-300,Example Server,SP12345,v1.0",
	         "{\"board_info\":{\"manufacturer\":\"Example Corp\",\"part_number\":\"PB-100\","
	         "\"product_name\":\"Example Board\",\"serial_number\":\"SB12345\"},"
	         "\"chassis_info\":{\"chassis_type\":\"Rack Mount Chassis\",\"part_number\":"
	         "\"PC-200\",\"serial_number\":\"SC12345\"},"
	         "\"product_info\":{\"asset_tag\":\"AT-0001\",\"manufacturer\":\"Example Corp\","
	         "\"part_number\":\"PP-300\",\"product_name\":\"Example Server\","
	         "\"serial_number\":\"SP12345\",\"version\":\"v1.0\"}}");
	/* order of fields, empty fields, verbatim text */
	asset_is("a,b,c,d,e,f,g,h,i,j,k,l,m",
	         "{\"board_info\":{\"manufacturer\":\"a\",\"part_number\":\"b\",\"product_name\":"
	         "\"c\",\"serial_number\":\"d\"},\"chassis_info\":{\"chassis_type\":\"e\","
	         "\"part_number\":\"f\",\"serial_number\":\"g\"},\"product_info\":{\"asset_tag\":"
	         "\"h\",\"manufacturer\":\"i\",\"part_number\":\"j\",\"product_name\":\"k\","
	         "\"serial_number\":\"l\",\"version\":\"m\"}}");
	asset_is(",,,,,,,,,,,, v 2 ",
	         "{\"board_info\":{\"manufacturer\":\"\",\"part_number\":\"\",\"product_name\":"
	         "\"\",\"serial_number\":\"\"},\"chassis_info\":{\"chassis_type\":\"\","
	         "\"part_number\":\"\",\"serial_number\":\"\"},\"product_info\":{\"asset_tag\":"
	         "\"\",\"manufacturer\":\"\",\"part_number\":\"\",\"product_name\":\"\","
	         "\"serial_number\":\"\",\"version\":\" v 2 \"}}");
	/* Latin-1 field, "quote" and backslash */
	asset_is("Caf\xe9,\"q\",\\,d,e,f,g,h,i,j,k,l,m",
	         "{\"board_info\":{\"manufacturer\":\"Caf\xc3\xa9\",\"part_number\":\"\\\"q\\\"\","
	         "\"product_name\":\"\\\\\",\"serial_number\":\"d\"},\"chassis_info\":{"
	         "\"chassis_type\":\"e\",\"part_number\":\"f\",\"serial_number\":\"g\"},"
	         "\"product_info\":{\"asset_tag\":\"h\",\"manufacturer\":\"i\",\"part_number\":"
	         "\"j\",\"product_name\":\"k\",\"serial_number\":\"l\",\"version\":\"m\"}}");
	asset_is("a,b,c,d,e,f,g,h,i,j,k,l", NULL);
	asset_is("a,b,c,d,e,f,g,h,i,j,k,l,m,n", NULL);
	asset_is("", NULL);
	asset_len(NULL, 0, NULL);
	{
		struct dcre_msg why = {{0}};
		struct dcre_asset a = {0};

		plc_convert_asset("a,b", 3, &a, &why);
		tap_is_str(why.text, "answered 'a,b', expected 13 comma-separated fields, got 2",
		           "asset message");
	}
}

/* ---- boot target (api.md §6.7) ---- */

static void boot_is(const char *payload, size_t len, const char *want)
{
	struct dcre_msg why = {{0}};
	enum dcre_boot_target target = DCRE_BOOT_GET; /* must be set */
	enum dcre_err rc = plc_convert_boot_target(payload, len, &target, &why);
	cJSON *obj = dcre_render_boot_target(&(struct dcre_boot){.target = target});
	const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(obj, "target"));

	if (want)
		tap_ok(rc == DCRE_OK && t && strcmp(t, want) == 0, "boot '%s' -> %s",
		       tap_esc(payload, len), want);
	else
		tap_ok(rc != DCRE_OK && target == DCRE_BOOT_UNKNOWN && !t && why.text[0],
		       "boot '%s' fails (%s)", tap_esc(payload, len), why.text);
	cJSON_Delete(obj);
}

static void test_boot_target(void)
{
	boot_is("B0", 2, "no_override");
	boot_is("B1", 2, "hdd");
	boot_is("B2", 2, "pxe");
	boot_is("B3", 2, NULL);
	boot_is("b1", 2, NULL);
	boot_is("B", 1, NULL);
	boot_is("B1 ", 3, NULL);
	boot_is(" B1", 3, NULL);
	boot_is("B10", 3, NULL);
	boot_is("B1\0", 3, NULL);
	boot_is("1", 1, NULL);
	boot_is("W1", 2, NULL);
	boot_is("", 0, NULL);
	boot_is(NULL, 0, NULL);
}

/* ---- chamber LED (api.md §6.9) ---- */

static void cled_is(const char *payload, const char *want)
{
	struct dcre_msg why = {{0}};
	struct dcre_chamber_led c = {0};
	enum dcre_err rc = plc_convert_chamber_led(payload, strlen(payload), &c, &why);
	cJSON *obj = rc == DCRE_OK ? dcre_render_chamber_led(&c) : NULL;
	char label[128];

	snprintf(label, sizeof(label), "chamber led '%s'", tap_esc(payload, strlen(payload)));
	check(rc, obj, is_empty(&c, sizeof(c)), &why, want, label);
	dcre_chamber_led_clear(&c);
}

static void test_chamber_led(void)
{
	cled_is("1,ffffff,0",
	        "{\"blink_state\":\"steady\",\"led_color\":\"ffffff\",\"led_state\":\"on\"}");
	cled_is("0,00ff00,1",
	        "{\"blink_state\":\"blink\",\"led_color\":\"00ff00\",\"led_state\":\"off\"}");
	cled_is("1,-1,1", "{\"blink_state\":\"blink\",\"led_color\":\"-1\",\"led_state\":\"on\"}");
	cled_is("2,x,2", "{\"blink_state\":\"steady\",\"led_color\":\"x\",\"led_state\":\"off\"}");
	cled_is(",,", "{\"blink_state\":\"steady\",\"led_color\":\"\",\"led_state\":\"off\"}");
	cled_is("1, FF ,1",
	        "{\"blink_state\":\"blink\",\"led_color\":\" FF \",\"led_state\":\"on\"}");
	cled_is("1,\xff,0",
	        "{\"blink_state\":\"steady\",\"led_color\":\"\xc3\xbf\",\"led_state\":\"on\"}");
	cled_is("1,ffffff", NULL);
	cled_is("1,ffffff,0,0", NULL);
	cled_is("", NULL);
}

/* ---- host info (api.md §6.11) ---- */

static void host_len(const char *payload, size_t len, const char *want)
{
	struct dcre_msg why = {{0}};
	struct dcre_host_info h = {0};
	enum dcre_err rc = plc_convert_host_info(payload, len, &h, &why);
	cJSON *obj = rc == DCRE_OK ? dcre_render_host_info(&h) : NULL;
	char label[128];

	snprintf(label, sizeof(label), "host info '%s'", tap_esc(payload, len));
	check(rc, obj, is_empty(&h, sizeof(h)), &why, want, label);
	dcre_host_info_clear(&h);
}

static void host_is(const char *payload, const char *want)
{
	host_len(payload, strlen(payload), want);
}

static void test_host_info(void)
{
	struct dcre_msg why = {{0}};
	struct dcre_host_info h = {0};

	host_is("i10.10.1.15,htest-server0",
	        "{\"hostnames\":[\"test-server0\"],\"ip_addresses\":[\"10.10.1.15\"]}");
	host_is("hb,i2,ha,i1,hc",
	        "{\"hostnames\":[\"b\",\"a\",\"c\"],\"ip_addresses\":[\"2\",\"1\"]}");
	host_is("i192.0.2.10", "{\"hostnames\":[],\"ip_addresses\":[\"192.0.2.10\"]}");
	host_is("hexample-node-1", "{\"hostnames\":[\"example-node-1\"],\"ip_addresses\":[]}");
	host_is("i,h", "{\"hostnames\":[\"\"],\"ip_addresses\":[\"\"]}");
	host_is("hna\xefve", "{\"hostnames\":[\"na\xc3\xafve\"],\"ip_addresses\":[]}");
	/* failures */
	host_is("", NULL);
	host_len(NULL, 0, NULL);
	host_is("i1,,h2", NULL);
	host_is("i1,", NULL);
	host_is(",i1", NULL);
	host_is("x1", NULL);
	host_is("i1,H2", NULL);
	host_is(" i1", NULL);
	host_len("i1,\0h", 5, NULL);
	plc_convert_host_info("i1,x2", 5, &h, &why);
	tap_is_str(why.text,
	           "answered 'i1,x2', field 2 has an unknown leading character "
	           "(expected i<address> or h<name>)",
	           "host info message");
	plc_convert_host_info("i1,", 3, &h, &why);
	tap_is_str(why.text, "answered 'i1,', field 2 is empty (expected i<address> or h<name>)",
	           "host info empty field message");
}

/* ---- text (UTF-8 or ISO-8859-1; core/text.h) ---- */

static void text_is(const char *payload, size_t len, const char *want, const char *label)
{
	char *clean = dcre_text_clean(payload, len);
	cJSON *item = cJSON_CreateString(clean);
	char *got = render(item);

	tap_is_str(got, want, "text %s", label);
	free(got);
	cJSON_Delete(item);
	free(clean);
}

static void test_text(void)
{
	char *clean;

	text_is("1.2.3", 5, "\"1.2.3\"", "ascii");
	text_is("", 0, "\"\"", "empty");
	text_is(NULL, 0, "\"\"", "NULL/0");
	text_is("v1.0 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 14,
	        "\"v1.0 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", "valid UTF-8 kept");
	text_is("\xff\xe9", 2, "\"\xc3\xbf\xc3\xa9\"", "latin-1");
	text_is("caf\xe9 \xc3\xa9", 7, "\"caf\xc3\xa9 \xc3\x83\xc2\xa9\"", "mixed -> latin-1");
	text_is("\xc0\xaf", 2, "\"\xc3\x80\xc2\xaf\"", "overlong -> latin-1");
	text_is("\xed\xa0\x80", 3, "\"\xc3\xad\xc2\xa0\xc2\x80\"", "surrogate -> latin-1");
	text_is("\xf4\x90\x80\x80", 4, "\"\xc3\xb4\xc2\x90\xc2\x80\xc2\x80\"",
	        "above U+10FFFF -> latin-1");
	text_is("\xe2\x82", 2, "\"\xc3\xa2\xc2\x82\"", "truncated sequence -> latin-1");
	text_is("a\"b\\c\n", 6, "\"a\\\"b\\\\c\\n\"", "JSON escapes");
	text_is("a\0b\x01", 4, "\"a\\u0000b\\u0001\"", "NUL kept");
	text_is("\0\xe9", 2, "\"\\u0000\xc3\xa9\"", "NUL with latin-1");
	clean = dcre_text_clean("plain", 5);
	tap_ok(strcmp(clean, "plain") == 0, "text without NUL is the same C string");
	free(clean);
	clean = dcre_text_clean("a\0b", 3);
	tap_ok(strcmp(clean, "a\xc0\x80\x62") == 0, "a NUL byte is kept as C0 80 in a C string");
	free(clean);
}

/* ---- location (conversions.md §10; core/render.h) ---- */

#define PHYS                                                                                       \
	"\"physical_location\":{\"depth\":\"unknown\",\"horizontal\":\"unknown\",\"vertical\":"    \
	"\"unknown\"}"

static void loc_is(int32_t id, const char *depth, const char *horiz, const char *node,
                   const char *vert)
{
	cJSON *item = dcre_render_location(id);
	char *got = render(item);
	char want[512];

	snprintf(want, sizeof(want),
	         "{\"chassis_location\":{\"depth\":\"%s\",\"horiz_pos\":\"%s\",\"server_node\":%s,"
	         "\"vert_pos\":\"%s\"}," PHYS "}",
	         depth, horiz, node, vert);
	tap_is_str(got, want, "location %04x", (unsigned)id);
	free(got);
	cJSON_Delete(item);
}

static void test_location(void)
{
	cJSON *item;
	char *got;

	loc_is(0x0000, "unknown", "unknown", "\"unknown\"", "unknown");
	loc_is(0x72DF, "middle", "left", "\"unknown\"", "bottom");
	loc_is(0x5555, "front", "left", "\"unknown\"", "top");
	loc_is(0x0200, "unknown", "unknown", "\"unknown\"", "bottom");
	loc_is(0x8302, "unknown", "unknown", "3", "unknown");
	loc_is(0x9F00, "unknown", "unknown", "31", "unknown");
	loc_is(0x2000, "rear", "unknown", "\"unknown\"", "unknown");
	loc_is(0x0800, "unknown", "right", "\"unknown\"", "unknown");
	loc_is(0x1800, "unknown", "middle", "\"unknown\"", "unknown");
	loc_is(0x0600, "unknown", "unknown", "\"unknown\"", "middle");
	loc_is(0x0400, "unknown", "unknown", "\"unknown\"", "top");
	loc_is(0x7E00, "middle", "middle", "\"unknown\"", "middle");
	loc_is(0xFFFF, "unknown", "unknown", "31", "unknown");
	loc_is(0x8000, "unknown", "unknown", "0", "unknown");
	item = dcre_render_location(-1);
	got = render(item);
	tap_is_str(got, "{" PHYS "}", "location without device");
	free(got);
	cJSON_Delete(item);
}

/* ---- JSON helpers ---- */

static void test_json_helpers(void)
{
	double zero = 0.0;
	cJSON *item;

	item = dcre_json_double(28.78);
	tap_ok(cJSON_IsRaw(item) && strcmp(item->valuestring, "28.78") == 0, "json double 28.78");
	cJSON_Delete(item);
	item = dcre_json_double(-0.0);
	tap_ok(cJSON_IsRaw(item) && strcmp(item->valuestring, "-0.0") == 0, "json double -0.0");
	cJSON_Delete(item);
	tap_ok(dcre_json_double(zero / zero) == NULL, "json double NaN is NULL");
	tap_ok(dcre_json_double(1.0 / zero) == NULL, "json double inf is NULL");
	tap_ok(dcre_json_double(-1.0 / zero) == NULL, "json double -inf is NULL");
	item = dcre_json_int(-5);
	tap_ok(cJSON_IsRaw(item) && strcmp(item->valuestring, "-5") == 0, "json int -5");
	cJSON_Delete(item);
	item = dcre_json_int(LLONG_MIN);
	tap_ok(cJSON_IsRaw(item) && strcmp(item->valuestring, "-9223372036854775808") == 0,
	       "json int LLONG_MIN");
	cJSON_Delete(item);
	item = dcre_json_digits("12345678901234567890");
	tap_ok(cJSON_IsRaw(item) && strcmp(item->valuestring, "12345678901234567890") == 0,
	       "json digits");
	cJSON_Delete(item);
	/* a whole object prints with the exact texts */
	item = cJSON_CreateObject();
	cJSON_AddItemToObject(item, "a", dcre_json_double(1e16));
	cJSON_AddItemToObject(item, "b", dcre_json_digits("-12345"));
	{
		char *s = cJSON_PrintUnformatted(item);

		tap_is_str(s, "{\"a\":1e+16,\"b\":-12345}", "cJSON prints raw numbers verbatim");
		free(s);
	}
	cJSON_Delete(item);
}

int main(void)
{
	dcre_alloc_init_cjson();
	test_read_temperature();
	test_read_pressure();
	test_read_thermistor();
	test_read_humidity();
	test_read_fan();
	test_read_13_big_integer();
	test_read_led();
	test_read_other();
	test_messages();
	test_power();
	test_battery();
	test_asset();
	test_boot_target();
	test_chamber_led();
	test_host_info();
	test_text();
	test_location();
	test_json_helpers();
	return tap_done();
}
