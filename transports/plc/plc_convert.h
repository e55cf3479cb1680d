/* SPDX-License-Identifier: MIT */
/* PLC payload conversions (conversions.md §4-§9). Pure functions that take
 * the ASCII payload a board answered and fill a typed result (core/result.h);
 * core/render.h turns it into an answer. Integers from bus text keep their
 * exact digits (DCRE_NUM_DIGITS); device text is cleaned (core/text.h).
 *
 * rules: the request's enum dcre_rule bits (core/backend.h); they choose the
 * decimal-number check (DCRE_RULE_STRICT_NUMBERS) and the extended readings
 * (DCRE_RULE_EXT_READINGS: pressure in kPa, a vapor_fan's speed, the 2-field
 * battery answer).
 *
 * out must be empty (zeroed) on entry. On failure out is left empty, an
 * error is returned and why (may be NULL) holds a short text naming the
 * problem, e.g. "answered '70000', out of range for a thermistor"; the
 * caller prefixes board/device/backend. */
#ifndef PLC_CONVERT_H
#define PLC_CONVERT_H

#include <stddef.h>

#include "err.h"
#include "result.h"

/* read: type is the lower-cased device type of the request. */
enum dcre_err plc_convert_read(unsigned rules, const char *type, const char *payload, size_t len,
                               struct dcre_reading *out, struct dcre_msg *why);
/* power payload: the 4-field form; with DCRE_RULE_EXT_READINGS also the
 * 2-field battery form. */
enum dcre_err plc_convert_power(unsigned rules, const char *payload, size_t len,
                                struct dcre_power *out, struct dcre_msg *why);
/* asset: exactly 13 fields, in the order of enum dcre_asset_field. */
enum dcre_err plc_convert_asset(const char *payload, size_t len, struct dcre_asset *out,
                                struct dcre_msg *why);
/* boot target: "B0"/"B1"/"B2" -> no_override/hdd/pxe. *target is
 * DCRE_BOOT_UNKNOWN on failure. */
enum dcre_err plc_convert_boot_target(const char *payload, size_t len,
                                      enum dcre_boot_target *target, struct dcre_msg *why);
/* chamber LED: "state,color,blink" -> on/off, the colour text, blink/steady. */
enum dcre_err plc_convert_chamber_led(const char *payload, size_t len, struct dcre_chamber_led *out,
                                      struct dcre_msg *why);
/* host info: "i10.10.1.15,htest-server0" -> hostnames, ip_addresses. */
enum dcre_err plc_convert_host_info(const char *payload, size_t len, struct dcre_host_info *out,
                                    struct dcre_msg *why);

#endif
