/* SPDX-License-Identifier: MIT */
/* Chassis commands of the IPMI transport (ipmi.md §5.1-§5.4): status,
 * power control, identify, boot flags, and DCMI input power. Each function
 * is one command through ipmi_session_call(). */
#ifndef IPMI_CHASSIS_H
#define IPMI_CHASSIS_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "ipmi_session.h"

struct ipmi_chassis_state {
	bool on;       /* byte 0 bit 0 */
	bool overload; /* byte 0 bit 1 */
	bool fault;    /* byte 0 bit 3: main power fault */
	bool identify; /* byte 2 bits 5:4 not 00 */
};

/* Get Chassis Status (0x00/0x01). */
enum dcre_err ipmi_chassis_status(struct ipmi_session *s, struct ipmi_chassis_state *st,
                                  struct dcre_msg *msg);

/* Chassis Control (0x00/0x02) with IPMI_CHASSIS_CONTROL_*. Never repeated
 * unless the BMC's answer proves it did not run. On DCRE_EPROTO, s->cc is
 * the completion code. */
enum dcre_err ipmi_chassis_control(struct ipmi_session *s, uint8_t control, struct dcre_msg *msg);

/* Chassis Identify (0x00/0x04): data 00 01 (on, indefinitely) / 00 00. */
enum dcre_err ipmi_chassis_identify(struct ipmi_session *s, bool on, struct dcre_msg *msg);

/* Get System Boot Options parameter 5: *target is no_override, pxe, hdd
 * or DCRE_BOOT_UNKNOWN (a device the API has no name for). */
enum dcre_err ipmi_chassis_boot_get(struct ipmi_session *s, enum dcre_boot_target *target,
                                    struct dcre_msg *msg);

/* Set System Boot Options parameter 5 (ipmi.md §5.4). */
enum dcre_err ipmi_chassis_boot_set(struct ipmi_session *s, enum dcre_boot_target target,
                                    struct dcre_msg *msg);

/* What this worker knows of a BMC's DCMI power support. */
enum ipmi_dcmi {
	IPMI_DCMI_UNKNOWN, /* not probed yet (or the probe got no answer) */
	IPMI_DCMI_YES,
	IPMI_DCMI_NO,
};

/* DCMI input power in watts, or -1 when unknown (ipmi.md §5.2): probes the
 * capabilities first when *dcmi is unknown. Never fails the caller. */
double ipmi_chassis_input_power(struct ipmi_session *s, enum ipmi_dcmi *dcmi);

#endif
