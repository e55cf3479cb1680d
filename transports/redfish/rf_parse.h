/* SPDX-License-Identifier: MIT */
/* Pure Redfish JSON -> OpenDCRE mapping (redfish.md §4-§6): property access
 * where null counts as missing, the board record's sensors, readings with
 * health and states, power status, LED, boot target, asset. No I/O: every
 * function here is unit-tested against mockup documents. */
#ifndef RF_PARSE_H
#define RF_PARSE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "result.h"

/* Make every string of doc (member names and string values, at any depth)
 * valid UTF-8 with dcre_text_clean, the cleaning PLC and IPMI text gets:
 * valid UTF-8 is kept, anything else is read as ISO-8859-1. Run on every
 * document a Redfish service sends, before any of it reaches an answer. */
void rf_parse_clean(cJSON *doc);

/* obj[key], or NULL when obj is not an object, the key is missing or its
 * value is null. Borrowed from obj. */
const cJSON *rf_parse_get(const cJSON *obj, const char *key);
/* obj[key] when it is a string, else NULL. Borrowed from obj. */
const char *rf_parse_str(const cJSON *obj, const char *key);
/* obj[key]["@odata.id"] when it is a non-empty string, else NULL. Borrowed. */
const char *rf_parse_link(const cJSON *obj, const char *key);
/* The @odata.id of the first element of obj[key] (an array of links), else
 * NULL. Borrowed. */
const char *rf_parse_first_link(const cJSON *obj, const char *key);
/* Lower-cased (ASCII) copy of s, cleaned to UTF-8 (text.h): what a service
 * says may reach an answer. NULL for NULL. Caller frees. */
char *rf_parse_lower(const char *s);

/* The service root path named by the /redfish document: its "v1" member,
 * or else its first member, without trailing '/'. NULL if there is no such
 * string. Caller frees. */
char *rf_parse_root_path(const cJSON *doc);

/* The reset action URI of a system: Actions["#ComputerSystem.Reset"].target,
 * else <system_path>/Actions/ComputerSystem.Reset. Caller frees. */
char *rf_parse_reset_target(const cJSON *system, const char *system_path);

/* Add the sensor devices of a board record (redfish.md §4) to board:
 * Thermal.Fans, Thermal.Temperatures, Power.Voltages, Power.PowerSupplies,
 * ids 0000.. in this order; thermal and power may be NULL. Returns how many
 * entries were left out because the ids would pass 00ff. */
size_t rf_parse_sensors(const cJSON *thermal, const cJSON *power, struct dcre_board *board);

/* The Redfish array holding a sensor device type ("Fans", ...), and whether
 * it is in the Power resource (else Thermal). NULL for other types. */
const char *rf_parse_array_of(const char *type, bool *in_power);

/* The occurrence of device (one of board's devices) among the board's
 * devices with the same type and info: 1, 2, ... */
int rf_parse_occurrence(const struct dcre_board *board, const struct dcre_device *device);

/* Entry number `occurrence` (1-based) among the entries of res[array] whose
 * name (Name, or FanName of old Thermal schemas) equals name; NULL if there
 * are fewer. Borrowed from res. */
const cJSON *rf_parse_entry(const cJSON *res, const char *array, const char *name, int occurrence);

/* The reading of entry (type: temperature, fan_speed, voltage or
 * power_supply): value, health and states, the entry's name (redfish.md
 * §5). rules: DCRE_RULE_VALUE_REQUIRED refuses power_supply. out->health
 * is Status.Health lower-cased, or "unknown". On failure why gets a short
 * cause ("the reading is null"). */
enum dcre_err rf_parse_reading(unsigned rules, const char *type, const cJSON *entry,
                               struct dcre_reading *out, struct dcre_msg *why);

/* The power status from the system and the power resource (NULL when the
 * board has none); unknown what they do not say. */
void rf_parse_power(const cJSON *system, const cJSON *power, struct dcre_power *out);

/* Does the chassis have LocationIndicatorActive (not null)? */
bool rf_parse_has_lia(const cJSON *chassis);
/* The LED state of a chassis: "on", "off", "blinking", another IndicatorLED
 * value lower-cased, or "unknown". Caller frees. */
char *rf_parse_led(const cJSON *chassis);

/* Boot.BootSourceOverrideTarget lower-cased, "none" -> "no_override"; NULL
 * when missing. Caller frees. */
char *rf_parse_boot_target(const cJSON *system);

/* The asset answer (redfish.md §5) with redfish_ip = ip. Any resource may
 * be NULL (its fields are ""). */
void rf_parse_asset(const cJSON *chassis, const cJSON *system, const cJSON *manager, const char *ip,
                    struct dcre_asset *out);

/* A short text for a Redfish error body: "<MessageId>: <Message>" of the
 * first @Message.ExtendedInfo entry, else error.code / error.message; "" when
 * the body is no Redfish error. Written into buf (at most n bytes, cut at
 * 160 characters). */
void rf_parse_error_text(const char *body, size_t len, char *buf, size_t n);

#endif
