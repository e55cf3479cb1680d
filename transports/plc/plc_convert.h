/* SPDX-License-Identifier: MIT */
/* PLC payload conversions (conversions.md §4-§10). Pure functions that take
 * the ASCII payload a board answered and build the JSON object the API
 * returns. All JSON numbers are cJSON "raw" items carrying exactly the text
 * of conversions.md §3 (dcre_number_format_double for floats, the normalised
 * digit string for integers from bus text).
 *
 * On failure they return an error and write into why (may be NULL) a short
 * text naming the problem, e.g. "answered '70000', out of range for a
 * thermistor"; the caller prefixes board/device/backend. */
#ifndef DCRE_CONVERT_H
#define DCRE_CONVERT_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "render.h"


/* read: type is the lower-cased URL device type. Caller owns *out
 * (cJSON_Delete). */
enum dcre_err dcre_convert_read(enum dcre_api api, const char *type, const char *payload,
                                size_t len, cJSON **out, struct dcre_msg *why);
/* power payload: 4-field form; in the 1.3 API also the 2-field battery form. */
enum dcre_err dcre_convert_power(enum dcre_api api, const char *payload, size_t len, cJSON **out,
                                 struct dcre_msg *why);
/* asset: exactly 13 fields -> {board_info, chassis_info, product_info}. */
enum dcre_err dcre_convert_asset(const char *payload, size_t len, cJSON **out,
                                 struct dcre_msg *why);
/* boot target: "B0"/"B1"/"B2" -> "no_override"/"hdd"/"pxe" (static string). */
enum dcre_err dcre_convert_boot_target(const char *payload, size_t len, const char **target,
                                       struct dcre_msg *why);
/* chamber LED: "state,color,blink" -> {blink_state, led_color, led_state}. */
enum dcre_err dcre_convert_chamber_led(const char *payload, size_t len, cJSON **out,
                                       struct dcre_msg *why);
/* host info: "i10.10.1.15,htest-server0" -> {hostnames, ip_addresses}. */
enum dcre_err dcre_convert_host_info(const char *payload, size_t len, cJSON **out,
                                     struct dcre_msg *why);
/* version payload as a JSON string: UTF-8 if valid, else ISO-8859-1. Never
 * fails. Caller owns the result. */
cJSON *dcre_convert_text(const char *payload, size_t len);
/* location (conversions.md §10): device_id < 0 means "no device given":
 * {"physical_location"} only. Caller owns the result. */
cJSON *dcre_convert_location(int32_t device_id);

/* JSON helpers used by the converters and the renderer: numbers as raw
 * items with the exact output text. dcre_json_double returns NULL for NaN or
 * infinity. */
cJSON *dcre_json_double(double v);
cJSON *dcre_json_int(long long v);
cJSON *dcre_json_digits(const char *digits);

#endif
