/* SPDX-License-Identifier: MIT */
/* What IPMI and Redfish boards share (api.md §6, ipmi.md §4, §6,
 * redfish.md §4, §6): the board record, device lookup by id or name, and
 * the response shapes of both API versions. The transports are thin
 * adapters over these. */
#ifndef DCRE_BRIDGE_H
#define DCRE_BRIDGE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "config.h"
#include "err.h"

#define DCRE_BRIDGE_DEV_POWER 0x0100
#define DCRE_BRIDGE_DEV_SYSTEM 0x0200
#define DCRE_BRIDGE_DEV_LED 0x0300

/* Board record in the scan-cache shape: {"backend", "index", "board_id",
 * "hostnames", "ip_addresses", "devices": [0100 power, 0200 system, 0300
 * led, then sensors]}. sensors is an array of {"device_id", "device_info",
 * "device_type"} and is consumed (may be NULL). Caller owns the result. */
cJSON *dcre_bridge_record(const struct dcre_backend *b, cJSON *sensors);

/* Add one sensor device to a sensors array (device_id as 4 hex digits). */
void dcre_bridge_add_sensor(cJSON *sensors, uint16_t id, const char *info, const char *type);

/* The device of t in record: by id, or by name ignoring case (first match);
 * NULL if none. Borrowed from record. */
const cJSON *dcre_bridge_find_device(const cJSON *record, const struct dcre_target *t);

/* Does t address the static device id/name (e.g. 0x0100 "power")? */
bool dcre_bridge_is_device(const struct dcre_target *t, uint16_t id, const char *name);

/* "IPMI board 40000001 has no temperature device '0021'" (type may be NULL). */
enum dcre_err dcre_bridge_no_device(const struct dcre_backend *b, const struct dcre_target *t,
                                    const char *type, struct dcre_msg *msg);

/* A sensor reading: 1.2 {"<value key>": v} (power_supply -> error), 1.3
 * adds "health" and "states". type is temperature, fan_speed, voltage or
 * power_supply; has_value false only for power_supply. states is consumed. */
enum dcre_err dcre_bridge_reading(enum dcre_api api, const char *type, double value,
                                  const char *health, cJSON *states, cJSON **out,
                                  struct dcre_msg *msg);

/* Power answer: 1.2 the 8-key PLC shape, 1.3 4 keys. power_ok and
 * over_current: 1 true, 0 false, -1 unknown; watts < 0 = unknown. */
cJSON *dcre_bridge_power(enum dcre_api api, bool on, int power_ok, int over_current, double watts);
/* The same with power_status as text (Redfish: PowerState lower-cased, e.g.
 * "poweringon", or "unknown"). */
cJSON *dcre_bridge_power_state(enum dcre_api api, const char *state, int power_ok, int over_current,
                               double watts);

/* LED answer: 1.2 {"led_color": "unknown", "led_state"}, 1.3 {"led_state"}. */
cJSON *dcre_bridge_led(enum dcre_api api, const char *state);

/* Asset answer: fields in the order of conversions.md §9 (13 strings, NULL
 * = ""), plus ip_key ("bmc_ip" or "redfish_ip") = ip. */
cJSON *dcre_bridge_asset(const char *const fields[13], const char *ip_key, const char *ip);

/* {"hostnames", "ip_addresses"} from the configuration. */
cJSON *dcre_bridge_host_info(const struct dcre_bridge_config *b);

/* Label for messages: "IPMI board 40000001" / "Redfish board 70000000". */
const char *dcre_bridge_label(const struct dcre_backend *b);

#endif
