/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the Redfish JSON mappers (transports/redfish/rf_parse.c).
 *
 * The input is a Redfish document. Its members "Thermal", "Power", "System",
 * "Chassis" and "Manager", when objects, are those resources; a missing one
 * is the whole document. Every mapper runs as the Redfish backend runs it:
 * the board record's sensors, then each sensor's entry and reading in both
 * API versions, power, LED, boot target, asset, the reset target, the root
 * path and the error text of the raw input. Asserted: every JSON answer
 * prints as strict UTF-8 JSON; sensor ids stay within 00ff; texts end
 * within their buffers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "bridge.h"
#include "fuzz_check.h"
#include "rf_parse.h"

static const cJSON *member(const cJSON *doc, const char *key)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(doc, key);
	return cJSON_IsObject(m) ? m : doc;
}

static char *hostnames[] = {"rf-a"};
static char *addresses[] = {"10.0.0.9"};
static const struct dcre_bridge_config bridge = {
    .board_id = 0x70000000,
    .rack_id = "rack_1",
    .address = "10.0.0.9",
    .port = 443,
    .hostnames = hostnames,
    .n_hostnames = 1,
    .ip_addresses = addresses,
    .n_ip_addresses = 1,
};
static const struct dcre_backend_ops ops = {.name = "Redfish"};
static const struct dcre_backend backend = {.ops = &ops, .kind = "redfish", .bridge = &bridge};

/* Each device of the record: its entry and reading, as op_read does. */
static void readings(const cJSON *record, const cJSON *thermal, const cJSON *power)
{
	const cJSON *dev;
	cJSON_ArrayForEach(dev, cJSON_GetObjectItem(record, "devices"))
	{
		const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(dev, "device_type"));
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(dev, "device_info"));
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(dev, "device_id"));
		bool in_power = false;
		fuzz_require(type && id, "a device has a device_type and a device_id");
		const char *array = rf_parse_array_of(type, &in_power);
		if (!array || !name)
			continue;
		fuzz_require(strtoul(id, NULL, 16) <= 0xFF || strtoul(id, NULL, 16) >= 0x100,
		             "device ids are hex");
		int occ = rf_parse_occurrence(record, dev);
		fuzz_require(occ >= 1, "an occurrence counts from 1");
		const cJSON *entry = rf_parse_entry(in_power ? power : thermal, array, name, occ);
		if (!entry)
			continue;
		for (int v = 0; v < 2; v++) {
			cJSON *out = NULL;
			struct dcre_msg why = {.text = ""};
			enum dcre_api api = v ? DCRE_API_13 : DCRE_API_12;
			if (rf_parse_reading(api, type, entry, &out, &why) == DCRE_OK) {
				fuzz_require(out != NULL, "a reading has an answer");
				fuzz_require_item("reading", out);
			} else {
				fuzz_require(out == NULL, "a failed reading has no answer");
				fuzz_require(memchr(why.text, '\0', sizeof(why.text)) != NULL,
				             "the cause is a string");
			}
			cJSON_Delete(out);
		}
	}
}

static void answers(const cJSON *system, const cJSON *chassis, const cJSON *power,
                    const cJSON *manager)
{
	for (int v = 0; v < 2; v++) {
		enum dcre_api api = v ? DCRE_API_13 : DCRE_API_12;
		cJSON *out = rf_parse_power(api, system, power);
		fuzz_require_item("power", out);
		cJSON_Delete(out);
		(void)rf_parse_has_lia(chassis);
		char *led = rf_parse_led(chassis);
		fuzz_require(led != NULL, "an LED state");
		out = dcre_bridge_led(api, led);
		fuzz_require_item("led", out);
		cJSON_Delete(out);
		free(led);
	}
	char *target = rf_parse_boot_target(system);
	cJSON *out = cJSON_CreateObject();
	/* as rf_backend.c answers it */
	cJSON_AddItemToObject(
	    out, "target", target ? dcre_convert_text(target, strlen(target)) : cJSON_CreateNull());
	fuzz_require_item("boot target", out);
	cJSON_Delete(out);
	free(target);
	out = rf_parse_asset(chassis, system, manager, bridge.address);
	fuzz_require_item("asset", out);
	cJSON_Delete(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	if (!init) {
		fuzz_quiet_log();
		init = true;
	}
	if (size > 262144)
		return 0;

	char err[256];
	memset(err, 'x', sizeof(err));
	rf_parse_error_text((const char *)data, size, err, 200);
	fuzz_require(memchr(err, '\0', 200) != NULL, "the error text ends within its buffer");

	cJSON *doc = cJSON_ParseWithLength((const char *)data, size);
	if (!doc)
		return 0;
	const cJSON *thermal = member(doc, "Thermal"), *power = member(doc, "Power");
	const cJSON *system = member(doc, "System"), *chassis = member(doc, "Chassis");
	const cJSON *manager = member(doc, "Manager");

	free(rf_parse_root_path(doc));
	char *reset = rf_parse_reset_target(system, "/redfish/v1/Systems/1");
	fuzz_require(reset != NULL, "a reset target");
	free(reset);

	cJSON *sensors = cJSON_CreateArray();
	(void)rf_parse_sensors(cJSON_IsObject(thermal) ? thermal : NULL,
	                       cJSON_IsObject(power) ? power : NULL, sensors);
	cJSON *record = dcre_bridge_record(&backend, sensors);
	fuzz_require_item("board record", record);
	readings(record, thermal, power);
	cJSON_Delete(record);

	answers(system, chassis, power, manager);
	cJSON_Delete(doc);
	return 0;
}
