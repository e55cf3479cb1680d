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
#include "backend.h"
#include "render.h"
#include "result.h"
#include "fuzz_check.h"
#include "rf_parse.h"

static const cJSON *member(const cJSON *doc, const char *key)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(doc, key);
	return cJSON_IsObject(m) ? m : doc;
}

/* Each device of the board: its entry and reading, as rf_backend.c reads
 * them, rendered in both APIs. */
static void readings(const struct dcre_board *board, const cJSON *thermal, const cJSON *power)
{
	for (size_t i = 0; i < board->n_devices; i++) {
		const struct dcre_device *dev = &board->devices[i];
		fuzz_require(dev->id <= 0xFF, "sensor ids stay within 00ff");
		fuzz_require(dev->type && dev->info, "a sensor has a type and a name");
		fuzz_require(fuzz_utf8_valid(dev->info, strlen(dev->info), NULL),
		             "a sensor name is UTF-8");
		bool in_power = false;
		const char *array = rf_parse_array_of(dev->type, &in_power);
		if (!array)
			continue;
		int occ = rf_parse_occurrence(board, dev);
		fuzz_require(occ >= 1, "an occurrence counts from 1");
		const cJSON *entry =
		    rf_parse_entry(in_power ? power : thermal, array, dev->info, occ);
		if (!entry)
			continue;
		for (int v = 0; v < 2; v++) {
			struct dcre_reading r = {0};
			struct dcre_msg why = {.text = ""};
			unsigned rules = v ? DCRE_RULE_STRICT_NUMBERS | DCRE_RULE_EXT_READINGS
			                   : DCRE_RULE_VALUE_REQUIRED | DCRE_RULE_SYSTEM_LED;
			if (rf_parse_reading(rules, dev->type, entry, &r, &why) == DCRE_OK) {
				cJSON *out = dcre_render_reading(v ? DCRE_API_13 : DCRE_API_12, &r);
				fuzz_require(out != NULL, "a reading has an answer");
				fuzz_require_item("reading", out);
				cJSON_Delete(out);
			} else {
				fuzz_require(memchr(why.text, '\0', sizeof(why.text)) != NULL,
				             "the cause is a string");
			}
			dcre_reading_clear(&r);
		}
	}
}

static void answers(const cJSON *system, const cJSON *chassis, const cJSON *power,
                    const cJSON *manager)
{
	struct dcre_power p;
	memset(&p, 0, sizeof(p));
	rf_parse_power(system, power, &p);
	(void)rf_parse_has_lia(chassis);
	struct dcre_led led = {.state = rf_parse_led(chassis), .color_unknown = true};
	fuzz_require(led.state != NULL, "an LED state");
	for (int v = 0; v < 2; v++) {
		enum dcre_api api = v ? DCRE_API_13 : DCRE_API_12;
		cJSON *out = dcre_render_power(api, &p);
		fuzz_require_item("power", out);
		cJSON_Delete(out);
		out = dcre_render_led(api, &led);
		fuzz_require_item("led", out);
		cJSON_Delete(out);
	}
	dcre_power_clear(&p);
	dcre_led_clear(&led);
	/* as rf_backend.c answers it: a target of the service's own passes through */
	struct dcre_boot boot = {.target = DCRE_BOOT_UNKNOWN,
	                         .other = rf_parse_boot_target(system)};
	if (boot.other)
		boot.target = DCRE_BOOT_OTHER;
	cJSON *out = dcre_render_boot_target(&boot);
	fuzz_require_item("boot target", out);
	cJSON_Delete(out);
	dcre_boot_clear(&boot);
	struct dcre_asset asset;
	memset(&asset, 0, sizeof(asset));
	rf_parse_asset(chassis, system, manager, "10.0.0.9", &asset);
	out = dcre_render_asset(&asset);
	fuzz_require_item("asset", out);
	cJSON_Delete(out);
	dcre_asset_clear(&asset);
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
	rf_parse_clean(doc); /* as rf_backend.c does with every document */
	const cJSON *thermal = member(doc, "Thermal"), *power = member(doc, "Power");
	const cJSON *system = member(doc, "System"), *chassis = member(doc, "Chassis");
	const cJSON *manager = member(doc, "Manager");

	free(rf_parse_root_path(doc));
	char *reset = rf_parse_reset_target(system, "/redfish/v1/Systems/1");
	fuzz_require(reset != NULL, "a reset target");
	free(reset);

	struct dcre_boards bs = {0};
	struct dcre_board *board = dcre_boards_add(&bs, 0x70000000u, "redfish");
	(void)rf_parse_sensors(cJSON_IsObject(thermal) ? thermal : NULL,
	                       cJSON_IsObject(power) ? power : NULL, board);
	cJSON *record = dcre_render_board_record(board);
	fuzz_require_item("board record", record);
	cJSON_Delete(record);
	readings(board, thermal, power);
	dcre_boards_clear(&bs);

	answers(system, chassis, power, manager);
	cJSON_Delete(doc);
	return 0;
}
