/* SPDX-License-Identifier: MIT */
/* Pure tables of the IPMI transport (ipmi.md §3-§5): FreeIPMI error
 * classes, completion code names, session timing, sensor types, threshold
 * and power-supply states, boot flags, chassis types, workaround flags. No
 * I/O, no state; unit-tested by test/unit/test_ipmi_map.c. */
#ifndef IPMI_MAP_H
#define IPMI_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "bridge_config.h"

/* What the worker does with a FreeIPMI error (ipmi.md §3). */
enum ipmi_class {
	IPMI_CLASS_NO_ANSWER, /* close the session; 500 at once; no second try */
	IPMI_CLASS_AUTH,      /* session open refused: "authentication failed" */
	IPMI_CLASS_SESSION,   /* reused session: reopen once, repeat once */
	IPMI_CLASS_COMMAND,   /* a completion code: this command only */
	IPMI_CLASS_INTERNAL,  /* anything else: close the session; 500 */
};

/* Class of ipmi_ctx_errnum() after a failed session open (opening) or a
 * failed command. */
enum ipmi_class ipmi_map_class(int errnum, bool opening);

/* Short name of a generic IPMI completion code ("reservation cancelled");
 * "unknown" for codes the table lacks. Static string. */
const char *ipmi_map_cc_text(uint8_t cc);

/* True if a completion code proves the BMC did not execute the request (so
 * a chassis control may be sent again, ipmi.md §3). */
bool ipmi_map_cc_not_executed(uint8_t cc);

/* FreeIPMI timeouts in ms for a BMC timeout in seconds: the session timeout,
 * and a retransmission timeout of 1 s, or half the session timeout when
 * that is 2 s or less (ipmi.md §3). */
void ipmi_map_timeouts(double timeout, unsigned *session_ms, unsigned *retransmit_ms);

/* Longest idle time (s) after which a kept session is reopened before use:
 * session_idle_timeout (0 = no limit), but never more than timeout minus a
 * margin of min(0.5 s, timeout / 4). */
double ipmi_map_reuse_limit(double timeout, double session_idle_timeout);

/* FreeIPMI's host text: "addr:port", "[v6addr]:port". */
void ipmi_map_host(const char *address, int port, char *buf, size_t len);

/* IPMI_PRIVILEGE_LEVEL_* of a configured privilege. */
uint8_t ipmi_map_privilege(enum dcre_ipmi_privilege p);

/* IPMI_WORKAROUND_FLAGS_OUTOFBAND_2_0_* of DCRE_IPMI_WORKAROUND_* bits. */
unsigned ipmi_map_workarounds(unsigned dcre_flags);

/* device_type of an SDR sensor type (ipmi.md §4), NULL = skipped. */
const char *ipmi_map_sensor_type(uint8_t sensor_type);

/* States of one reading (ipmi.md §5.5): a health word and up to 8 state
 * texts (static strings). */
struct ipmi_states {
	const char *health; /* "ok", "warning", "critical", "failed" */
	const char *text[8];
	size_t n;
};

/* Threshold sensors: response byte 2 (comparison status bits 0-5). */
void ipmi_map_threshold(uint8_t bits, struct ipmi_states *out);
/* Power supply sensor-specific offsets 0-7 (response byte 2). */
void ipmi_map_power_supply(uint8_t bits, struct ipmi_states *out);

/* Boot target of Get System Boot Options parameter 5 (ipmi.md §5.4):
 * no_override, pxe, hdd, or DCRE_BOOT_UNKNOWN (JSON null) for other
 * devices. */
enum dcre_boot_target ipmi_map_boot_target(bool param_invalid, bool flags_valid, uint8_t selector);
/* Set System Boot Options parameter 5 data after the selector byte:
 * data[0] = f1, data[1] = f2, data[2..4] = 0. */
void ipmi_map_boot_flags(enum dcre_boot_target target, uint8_t data[5]);

/* SMBIOS name of a FRU chassis type ("Rack Mount Chassis"), "Unknown" for
 * codes outside the table. Static string. */
const char *ipmi_map_chassis_type(uint8_t type);

#endif
