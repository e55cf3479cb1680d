/* SPDX-License-Identifier: MIT */
/* Redfish JSON -> OpenDCRE mapping (redfish.md §4-§6) against mockup
 * documents: null counts as missing, the board record's sensors, duplicate
 * names, readings with health and states, power, LED, boot target, asset,
 * error bodies. */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "backend.h"
#include "render.h"
#include "rf_parse.h"
#include "tap.h"

static cJSON *doc(const char *text)
{
	cJSON *d = cJSON_Parse(text);
	if (!d)
		tap_diag("mockup does not parse: %s", text);
	return d;
}

/* Compare the compact text of j with want; consumes j. */
static void is_json(cJSON *j, const char *want, const char *what)
{
	char *got = j ? cJSON_PrintUnformatted(j) : NULL;
	tap_is_str(got, want, "%s", what);
	free(got);
	cJSON_Delete(j);
}

/* The target rules the command layer sets for an API version. */
static unsigned rules_of(enum dcre_api api)
{
	return api == DCRE_API_12 ? DCRE_RULE_VALUE_REQUIRED | DCRE_RULE_SYSTEM_LED
	                          : DCRE_RULE_STRICT_NUMBERS | DCRE_RULE_EXT_READINGS;
}

/* The compact scan-cache text of a board's devices. */
static char *devices_text(const struct dcre_board *b)
{
	cJSON *r = dcre_render_board_record(b);
	char *text = cJSON_PrintUnformatted(cJSON_GetObjectItem(r, "devices"));
	cJSON_Delete(r);
	return text;
}

static void test_access(void)
{
	cJSON *d =
	    doc("{\"a\": null, \"b\": \"x\", \"c\": {\"@odata.id\": \"/redfish/v1/C\"},"
	        "\"d\": {\"@odata.id\": null}, \"e\": [{\"@odata.id\": \"/e0\"}], \"f\": []}");
	tap_ok(rf_parse_get(d, "a") == NULL, "a null property counts as missing");
	tap_is_str(rf_parse_str(d, "b"), "x", "string property");
	tap_ok(rf_parse_str(d, "c") == NULL, "an object is not a string");
	tap_is_str(rf_parse_link(d, "c"), "/redfish/v1/C", "link");
	tap_ok(rf_parse_link(d, "d") == NULL, "null @odata.id is no link");
	tap_is_str(rf_parse_first_link(d, "e"), "/e0", "first link of an array");
	tap_ok(rf_parse_first_link(d, "f") == NULL, "empty link array");
	tap_ok(rf_parse_get(NULL, "a") == NULL, "NULL object");
	cJSON_Delete(d);
}

static void root_is(const char *text, const char *want)
{
	cJSON *d = doc(text);
	char *p = rf_parse_root_path(d);
	if (want)
		tap_is_str(p, want, "root path of %s", text);
	else
		tap_ok(p == NULL, "no root path in %s", text);
	free(p);
	cJSON_Delete(d);
}

static void test_root(void)
{
	root_is("{\"v1\": \"/redfish/v1/\"}", "/redfish/v1");
	root_is("{\"v1\": \"/redfish/v1\"}", "/redfish/v1");
	root_is("{\"x\": \"/rf/v1//\", \"v1\": \"/redfish/v1/\"}", "/redfish/v1");
	root_is("{\"other\": \"/rf/v1/\"}", "/rf/v1");
	root_is("{\"v1\": 1}", NULL);
	root_is("{\"v1\": \"/\"}", NULL);
	root_is("{}", NULL);
	root_is("[\"/redfish/v1\"]", NULL);
}

static void test_reset_target(void)
{
	cJSON *a = doc("{\"Actions\": {\"#ComputerSystem.Reset\": {\"target\": "
	               "\"/redfish/v1/Systems/S.1/Actions/ComputerSystem.Reset\"}}}");
	cJSON *b = doc("{\"Actions\": {}}");
	char *t = rf_parse_reset_target(a, "/redfish/v1/Systems/S.1");
	tap_is_str(t, "/redfish/v1/Systems/S.1/Actions/ComputerSystem.Reset", "reset target");
	free(t);
	t = rf_parse_reset_target(b, "/redfish/v1/Systems/2/");
	tap_is_str(t, "/redfish/v1/Systems/2/Actions/ComputerSystem.Reset", "default reset target");
	free(t);
	cJSON_Delete(a);
	cJSON_Delete(b);
}

static const char *thermal_text =
    "{\"Fans\": [{\"Name\": \"Fan 1\", \"Reading\": 2350, \"Status\": {\"State\": "
    "\"Enabled\", \"Health\": \"OK\"}},"
    "{\"Name\": \"Fan 2\", \"Reading\": 0, \"Status\": {\"State\": \"Enabled\", \"Health\": "
    "\"Critical\"}},"
    "{\"Name\": \"Sys Fan\", \"Reading\": 4100},"
    "{\"Name\": \"Sys Fan\", \"Reading\": 4200, \"Status\": {\"Health\": \"Warning\"}},"
    "{\"FanName\": \"Old Fan\", \"ReadingRPM\": 1200}],"
    "\"Temperatures\": [{\"Name\": \"CPU1 Temp\", \"ReadingCelsius\": 38, \"Status\": "
    "{\"State\": \"Enabled\", \"Health\": \"OK\"}},"
    "{\"Name\": \"Inlet Temp\", \"ReadingCelsius\": null, \"Status\": {\"State\": \"Absent\", "
    "\"Health\": null}},"
    "{\"Name\": \"Exhaust Temp\", \"ReadingCelsius\": 61.5, \"Status\": {\"State\": "
    "\"Enabled\", \"Health\": \"Warning\"}}]}";

static const char *power_text =
    "{\"PowerControl\": [{\"PowerConsumedWatts\": 344, \"PowerLimit\": {\"LimitInWatts\": "
    "500}, \"Status\": {\"Health\": \"OK\"}}],"
    "\"Voltages\": [{\"Name\": \"P12V\", \"ReadingVolts\": 12.06, \"Status\": {\"Health\": "
    "\"OK\"}}],"
    "\"PowerSupplies\": [{\"Name\": \"PSU1\", \"Status\": {\"State\": \"Enabled\", \"Health\": "
    "\"OK\"}},"
    "{\"Name\": \"PSU2\", \"Status\": {\"State\": \"UnavailableOffline\", \"Health\": "
    "\"Critical\"}}]}";

static void test_sensors(void)
{
	cJSON *th = doc(thermal_text), *pw = doc(power_text);
	struct dcre_board s = {.index = -1, .backend = "redfish"};
	size_t dropped = rf_parse_sensors(th, pw, &s);
	char *text = devices_text(&s);

	tap_is_int(dropped, 0, "nothing dropped");
	tap_is_int(s.n_devices, 11, "fans, temperatures, voltages, power supplies");
	tap_ok(text && strstr(text, "{\"device_id\":\"0000\",\"device_info\":\"Fan 1\","
	                            "\"device_type\":\"fan_speed\"}") != NULL,
	       "first fan is 0000");
	tap_ok(text && strstr(text, "{\"device_id\":\"0004\",\"device_info\":\"Old Fan\"") != NULL,
	       "FanName of old Thermal schemas");
	tap_ok(text && strstr(text, "{\"device_id\":\"0005\",\"device_info\":\"CPU1 Temp\","
	                            "\"device_type\":\"temperature\"}") != NULL,
	       "temperatures after fans");
	tap_ok(text && strstr(text, "{\"device_id\":\"0008\",\"device_info\":\"P12V\","
	                            "\"device_type\":\"voltage\"}") != NULL,
	       "then voltages");
	tap_ok(text && strstr(text, "{\"device_id\":\"000a\",\"device_info\":\"PSU2\","
	                            "\"device_type\":\"power_supply\"}") != NULL,
	       "then power supplies");
	free(text);
	dcre_board_clear(&s);

	/* missing, null and absent arrays give no devices */
	cJSON *nul = doc("{\"Fans\": null, \"Temperatures\": []}");
	rf_parse_sensors(nul, NULL, &s);
	tap_is_int(s.n_devices, 0, "null/empty arrays and no Power: no devices");
	dcre_board_clear(&s);
	cJSON_Delete(nul);

	/* ids stop at 00ff */
	cJSON *many = cJSON_CreateObject();
	cJSON *temps = cJSON_AddArrayToObject(many, "Temperatures");
	for (int i = 0; i < 300; i++) {
		cJSON *e = cJSON_CreateObject();
		char name[16];
		snprintf(name, sizeof(name), "T%d", i);
		cJSON_AddStringToObject(e, "Name", name);
		cJSON_AddItemToArray(temps, e);
	}
	dropped = rf_parse_sensors(many, NULL, &s);
	tap_is_int(s.n_devices, 256, "256 sensors kept (0000-00ff)");
	tap_is_int(dropped, 44, "the rest is left out and counted");
	cJSON *devs = cJSON_Parse(text = devices_text(&s));
	free(text);
	tap_is_str(
	    cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(devs, 255), "device_id")),
	    "00ff", "the last id is 00ff");
	cJSON_Delete(devs);
	dcre_board_clear(&s);
	cJSON_Delete(many);
	cJSON_Delete(th);
	cJSON_Delete(pw);
}

static void test_entries(void)
{
	cJSON *th = doc(thermal_text);
	struct dcre_board rec = {.index = -1, .backend = "redfish"};
	bool in_power = true;

	rf_parse_sensors(th, NULL, &rec);
	tap_is_str(rf_parse_array_of("fan_speed", &in_power), "Fans", "fan_speed -> Fans");
	tap_ok(!in_power, "Fans are in Thermal");
	tap_is_str(rf_parse_array_of("power_supply", &in_power), "PowerSupplies",
	           "power_supply -> PowerSupplies");
	tap_ok(in_power, "PowerSupplies are in Power");
	tap_ok(rf_parse_array_of("led", &in_power) == NULL, "led is no sensor type");

	const struct dcre_device *d2 = &rec.devices[2], *d3 = &rec.devices[3];
	tap_is_int(rf_parse_occurrence(&rec, d2), 1, "first 'Sys Fan' is occurrence 1");
	tap_is_int(rf_parse_occurrence(&rec, d3), 2, "second 'Sys Fan' is occurrence 2");
	const cJSON *e = rf_parse_entry(th, "Fans", "Sys Fan", 2);
	tap_ok(e && cJSON_GetObjectItem(e, "Reading")->valuedouble == 4200,
	       "occurrence 2 reads the second entry");
	tap_ok(rf_parse_entry(th, "Fans", "Sys Fan", 3) == NULL, "no third 'Sys Fan'");
	tap_ok(rf_parse_entry(th, "Fans", "Old Fan", 1) != NULL, "entry by FanName");
	tap_ok(rf_parse_entry(th, "Voltages", "P12V", 1) == NULL, "no Voltages in Thermal");
	dcre_board_clear(&rec);
	cJSON_Delete(th);
}

static void reading_is(enum dcre_api api, const char *type, const cJSON *entry, const char *want)
{
	struct dcre_reading r = {0};
	struct dcre_msg why = {{0}};
	enum dcre_err e = rf_parse_reading(rules_of(api), type, entry, &r, &why);
	if (want) {
		tap_ok(e == DCRE_OK, "%s reading in %d (%s)", type, api, why.text);
		is_json(e == DCRE_OK ? dcre_render_reading(api, &r) : NULL, want, "  answer");
	} else {
		tap_ok(e != DCRE_OK && why.text[0], "%s reading in %d fails: %s", type, api,
		       why.text);
	}
	dcre_reading_clear(&r);
}

static void test_readings(void)
{
	cJSON *th = doc(thermal_text), *pw = doc(power_text);
	const cJSON *fans = cJSON_GetObjectItem(th, "Fans");
	const cJSON *temps = cJSON_GetObjectItem(th, "Temperatures");
	const cJSON *psus = cJSON_GetObjectItem(pw, "PowerSupplies");

	reading_is(DCRE_API_13, "fan_speed", cJSON_GetArrayItem(fans, 0),
	           "{\"speed_rpm\":2350.0,\"health\":\"ok\",\"states\":[]}");
	reading_is(DCRE_API_12, "fan_speed", cJSON_GetArrayItem(fans, 0), "{\"speed_rpm\":2350.0}");
	reading_is(DCRE_API_13, "fan_speed", cJSON_GetArrayItem(fans, 1),
	           "{\"speed_rpm\":0.0,\"health\":\"critical\",\"states\":[\"enabled\"]}");
	reading_is(DCRE_API_13, "fan_speed", cJSON_GetArrayItem(fans, 2),
	           "{\"speed_rpm\":4100.0,\"health\":\"unknown\",\"states\":[]}");
	reading_is(DCRE_API_13, "fan_speed", cJSON_GetArrayItem(fans, 3),
	           "{\"speed_rpm\":4200.0,\"health\":\"warning\",\"states\":[]}");
	reading_is(DCRE_API_13, "fan_speed", cJSON_GetArrayItem(fans, 4),
	           "{\"speed_rpm\":1200.0,\"health\":\"unknown\",\"states\":[]}");
	reading_is(DCRE_API_13, "temperature", cJSON_GetArrayItem(temps, 0),
	           "{\"temperature_c\":38.0,\"health\":\"ok\",\"states\":[]}");
	reading_is(DCRE_API_13, "temperature", cJSON_GetArrayItem(temps, 1), NULL);
	reading_is(DCRE_API_12, "temperature", cJSON_GetArrayItem(temps, 1), NULL);
	reading_is(DCRE_API_13, "temperature", cJSON_GetArrayItem(temps, 2),
	           "{\"temperature_c\":61.5,\"health\":\"warning\",\"states\":[\"enabled\"]}");
	reading_is(DCRE_API_13, "voltage",
	           cJSON_GetArrayItem(cJSON_GetObjectItem(pw, "Voltages"), 0),
	           "{\"voltage\":12.06,\"health\":\"ok\",\"states\":[]}");
	reading_is(DCRE_API_12, "voltage",
	           cJSON_GetArrayItem(cJSON_GetObjectItem(pw, "Voltages"), 0),
	           "{\"voltage\":12.06}");
	reading_is(DCRE_API_13, "power_supply", cJSON_GetArrayItem(psus, 0),
	           "{\"health\":\"ok\",\"states\":[]}");
	reading_is(DCRE_API_13, "power_supply", cJSON_GetArrayItem(psus, 1),
	           "{\"health\":\"critical\",\"states\":[\"unavailableoffline\"]}");
	reading_is(DCRE_API_12, "power_supply", cJSON_GetArrayItem(psus, 0), NULL);
	cJSON *str = doc("{\"Name\": \"T\", \"ReadingCelsius\": \"38\"}");
	reading_is(DCRE_API_13, "temperature", str, NULL);
	cJSON_Delete(str);
	cJSON_Delete(th);
	cJSON_Delete(pw);
}

static void power_is(enum dcre_api api, const char *sys, const char *power, const char *want)
{
	cJSON *s = doc(sys), *p = power ? doc(power) : NULL;
	struct dcre_power pw = {0};
	rf_parse_power(s, p, &pw);
	is_json(dcre_render_power(api, &pw), want, want);
	dcre_power_clear(&pw);
	cJSON_Delete(s);
	cJSON_Delete(p);
}

static void test_power(void)
{
	power_is(DCRE_API_13, "{\"PowerState\": \"On\"}", power_text,
	         "{\"power_status\":\"on\",\"power_ok\":true,\"over_current\":false,"
	         "\"input_power\":344.0}");
	power_is(DCRE_API_12, "{\"PowerState\": \"Off\"}", power_text,
	         "{\"power_status\":\"off\",\"power_ok\":true,\"over_current\":false,"
	         "\"input_power\":344.0,\"input_voltage\":0,\"output_current\":0,\"pmbus_raw\":"
	         "\"0,0,0,0\",\"under_voltage\":false}");
	power_is(DCRE_API_13, "{\"PowerState\": \"PoweringOn\"}",
	         "{\"PowerControl\": [{\"PowerConsumedWatts\": 600, \"PowerLimit\": "
	         "{\"LimitInWatts\": 500}, \"Status\": {\"Health\": \"warning\"}}]}",
	         "{\"power_status\":\"poweringon\",\"power_ok\":false,\"over_current\":true,"
	         "\"input_power\":600.0}");
	power_is(DCRE_API_13, "{\"PowerState\": \"On\"}",
	         "{\"PowerControl\": [{\"PowerConsumedWatts\": 688, \"PowerLimit\": "
	         "{\"LimitInWatts\": null}, \"Status\": {\"Health\": \"ok\"}}]}",
	         "{\"power_status\":\"on\",\"power_ok\":true,\"over_current\":\"unknown\","
	         "\"input_power\":688.0}");
	power_is(DCRE_API_13, "{\"PowerState\": \"On\"}", NULL,
	         "{\"power_status\":\"on\",\"power_ok\":\"unknown\",\"over_current\":\"unknown\","
	         "\"input_power\":\"unknown\"}");
	power_is(DCRE_API_12, "{\"PowerState\": \"On\"}", "{\"PowerControl\": []}",
	         "{\"power_status\":\"on\",\"power_ok\":false,\"over_current\":false,"
	         "\"input_power\":0,\"input_voltage\":0,\"output_current\":0,\"pmbus_raw\":"
	         "\"0,0,0,0\",\"under_voltage\":false}");
	power_is(DCRE_API_13, "{}", "{\"PowerControl\": [{\"PowerConsumedWatts\": null}]}",
	         "{\"power_status\":\"unknown\",\"power_ok\":\"unknown\",\"over_current\":"
	         "\"unknown\",\"input_power\":\"unknown\"}");
}

static void led_is(const char *chassis, const char *want, bool lia)
{
	cJSON *c = doc(chassis);
	char *s = rf_parse_led(c);
	tap_is_str(s, want, "LED of %s", chassis);
	tap_ok(rf_parse_has_lia(c) == lia, "  LocationIndicatorActive %s", lia ? "used" : "absent");
	free(s);
	cJSON_Delete(c);
}

static void boot_is(const char *sys, const char *want)
{
	cJSON *s = doc(sys);
	char *t = rf_parse_boot_target(s);
	if (want)
		tap_is_str(t, want, "boot target of %s", sys);
	else
		tap_ok(t == NULL, "no boot target in %s", sys);
	free(t);
	cJSON_Delete(s);
}

static void test_led_boot(void)
{
	led_is("{\"LocationIndicatorActive\": true, \"IndicatorLED\": \"Off\"}", "on", true);
	led_is("{\"LocationIndicatorActive\": false}", "off", true);
	led_is("{\"LocationIndicatorActive\": null, \"IndicatorLED\": \"Lit\"}", "on", false);
	led_is("{\"IndicatorLED\": \"Blinking\"}", "blinking", false);
	led_is("{\"IndicatorLED\": \"Off\"}", "off", false);
	led_is("{\"IndicatorLED\": \"Unknown\"}", "unknown", false);
	led_is("{}", "unknown", false);
	boot_is("{\"Boot\": {\"BootSourceOverrideTarget\": \"None\"}}", "no_override");
	boot_is("{\"Boot\": {\"BootSourceOverrideTarget\": \"Pxe\"}}", "pxe");
	boot_is("{\"Boot\": {\"BootSourceOverrideTarget\": \"Hdd\"}}", "hdd");
	boot_is("{\"Boot\": {\"BootSourceOverrideTarget\": \"UefiShell\"}}", "uefishell");
	boot_is("{\"Boot\": {\"BootSourceOverrideTarget\": null}}", NULL);
	boot_is("{}", NULL);
}

static void test_asset(void)
{
	cJSON *c = doc("{\"ChassisType\": \"RackMount\", \"PartNumber\": \"PC\", \"SerialNumber\": "
	               "\"SC\", \"AssetTag\": \"AT\"}");
	cJSON *s = doc("{\"Manufacturer\": \"Example\", \"PartNumber\": \"PB\", \"Model\": \"M\", "
	               "\"SerialNumber\": null}");
	cJSON *m = doc("{\"Model\": \"BMC\", \"FirmwareVersion\": \"2.1\"}");
	struct dcre_asset a = {0};
	rf_parse_asset(c, s, m, "10.0.0.9", &a);
	is_json(dcre_render_asset(&a),
	        "{\"board_info\":{\"manufacturer\":\"Example\",\"part_number\":\"PB\","
	        "\"product_name\":\"M\",\"serial_number\":\"\"},\"chassis_info\":{\"chassis_type\":"
	        "\"RackMount\",\"part_number\":\"PC\",\"serial_number\":\"SC\"},\"product_info\":{"
	        "\"asset_tag\":\"AT\",\"manufacturer\":\"unknown\",\"part_number\":\"unknown\","
	        "\"product_name\":\"BMC\",\"serial_number\":\"unknown\",\"version\":\"2.1\"},"
	        "\"redfish_ip\":\"10.0.0.9\"}",
	        "asset mapping (null and missing give \"\")");
	dcre_asset_clear(&a);
	cJSON_Delete(c);
	cJSON_Delete(s);
	cJSON_Delete(m);
}

static void test_error_text(void)
{
	char buf[256];
	const char *b1 =
	    "{\"error\": {\"code\": \"Base.1.8.GeneralError\", \"message\": \"A general error\", "
	    "\"@Message.ExtendedInfo\": [{\"MessageId\": \"Base.1.8.PropertyUnknown\", "
	    "\"Message\": \"The property Foo is not in the list.\"}]}}";
	const char *b2 =
	    "{\"error\": {\"code\": \"Base.1.8.InternalError\", \"message\": \"Oops\"}}";

	rf_parse_error_text(b1, strlen(b1), buf, sizeof(buf));
	tap_is_str(buf, "Base.1.8.PropertyUnknown: The property Foo is not in the list.",
	           "error text from ExtendedInfo");
	rf_parse_error_text(b2, strlen(b2), buf, sizeof(buf));
	tap_is_str(buf, "Base.1.8.InternalError: Oops", "error text from code and message");
	rf_parse_error_text("<html>", 6, buf, sizeof(buf));
	tap_is_str(buf, "", "no text for an HTML body");
	rf_parse_error_text(NULL, 0, buf, sizeof(buf));
	tap_is_str(buf, "", "no text for an empty body");
}

static void test_clean(void)
{
	/* what cJSON_Parse keeps of a hostile body: the bytes as sent */
	cJSON *d = doc("{\"PowerState\": \"o\xffn\xc0\", \"ok\": \"\xc3\xa9t\xc3\xa9\","
	               "\"Fans\": [{\"Name\": \"Fan\x80\"}], \"k\xfe\": 1}");
	char *text;

	rf_parse_clean(d);
	tap_is_str(rf_parse_str(d, "PowerState"), "o\xc3\xbfn\xc3\x80",
	           "invalid UTF-8 read as ISO-8859-1 (dcre_text_clean)");
	tap_is_str(rf_parse_str(d, "ok"), "\xc3\xa9t\xc3\xa9", "valid UTF-8 kept as it is");
	tap_is_str(rf_parse_str(cJSON_GetArrayItem(rf_parse_get(d, "Fans"), 0), "Name"),
	           "Fan\xc2\x80", "strings inside arrays cleaned");
	tap_ok(rf_parse_get(d, "k\xc3\xbe") != NULL, "member names cleaned");
	text = cJSON_PrintUnformatted(d);
	tap_is_str(text,
	           "{\"PowerState\":\"o\xc3\xbfn\xc3\x80\",\"ok\":\"\xc3\xa9t\xc3\xa9\","
	           "\"Fans\":[{\"Name\":\"Fan\xc2\x80\"}],\"k\xc3\xbe\":1}",
	           "the whole document prints as valid UTF-8");
	free(text);
	cJSON_Delete(d);
	rf_parse_clean(NULL);
	tap_ok(1, "NULL is a no-op");
}

int main(void)
{
	dcre_alloc_init_cjson();
	test_access();
	test_root();
	test_reset_target();
	test_sensors();
	test_entries();
	test_readings();
	test_power();
	test_led_boot();
	test_asset();
	test_error_text();
	test_clean();
	return tap_done();
}
