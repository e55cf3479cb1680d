/* SPDX-License-Identifier: MIT */
/* The one render layer: typed results (core/result.h) to the answers of
 * OpenDCRE's 1.2 and 1.3 APIs (api.md §6). Every function returns a new
 * JSON object the caller owns (cJSON_Delete). Text in results is already
 * clean UTF-8 (core/text.h). Numbers are raw items carrying the exact text
 * of conversions.md §3. */
#ifndef DCRE_RENDER_H
#define DCRE_RENDER_H

#include <cjson/cJSON.h>

#include "result.h"

enum dcre_api {
	DCRE_API_12 = 12,
	DCRE_API_13 = 13,
	DCRE_API_REDFISH = 100, /* the Redfish front end (core/redfish.h) */
};

/* Numbers as raw items: dcre_json_double returns NULL for NaN or infinity. */
cJSON *dcre_json_double(double v);
cJSON *dcre_json_int(long long v);
cJSON *dcre_json_digits(const char *digits);
/* A number result; UNKNOWN as the string "unknown"; NONE as NULL. */
cJSON *dcre_json_num(const struct dcre_num *n);

cJSON *dcre_render_version(enum dcre_api api, const char *firmware);
cJSON *dcre_render_reading(enum dcre_api api, const struct dcre_reading *r);
cJSON *dcre_render_power(enum dcre_api api, const struct dcre_power *p);
cJSON *dcre_render_asset(const struct dcre_asset *a);
cJSON *dcre_render_boot_target(const struct dcre_boot *b);
cJSON *dcre_render_led(enum dcre_api api, const struct dcre_led *l);
cJSON *dcre_render_chamber_led(const struct dcre_chamber_led *c);
cJSON *dcre_render_host_info(const struct dcre_host_info *h);
cJSON *dcre_render_facts(const struct dcre_facts *f);
/* {"physical_location"} (+ chassis_location with a device), conversions.md
 * §10; device_id < 0: none given. */
cJSON *dcre_render_location(int32_t device_id);

/* The scan-cache record of a board: {"backend", "board_id", "devices":
 * [{"device_id", "device_info"?, "device_type"}], and for bridges "index",
 * "hostnames", "ip_addresses"}. */
cJSON *dcre_render_board_record(const struct dcre_board *b);
/* A cached record as an API shows it: without the internal keys (backend,
 * index); in the 1.2 API bridge boards also lose hostnames, ip_addresses
 * and the device_info of their static devices (api.md §6.3). */
cJSON *dcre_render_board(enum dcre_api api, const cJSON *record);

#endif
