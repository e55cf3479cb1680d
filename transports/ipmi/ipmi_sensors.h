/* SPDX-License-Identifier: MIT */
/* Sensor readings (ipmi.md §5.5): Get Sensor Reading on the kept session,
 * converted with the sensor's SDR factors by FreeIPMI's decoder (Get Sensor
 * Reading Factors for non-linear sensors), with health and states. */
#ifndef IPMI_SENSORS_H
#define IPMI_SENSORS_H

#include <stdbool.h>

#include "ipmi_map.h"
#include "ipmi_repo.h"
#include "ipmi_session.h"

struct ipmi_reading {
	bool has_value;
	double value;
	struct ipmi_states states;
};

/* Read sn. need_value: a number is required (temperature, fan, voltage);
 * a sensor without one answers DCRE_EPROTO "sensor <name> (<id>) has no
 * reading". *stale is set when the BMC says it has no such sensor
 * (completion code 0xCB, or 0xCC): the SDR copy may be out of date. */
enum dcre_err ipmi_sensors_read(struct ipmi_session *s, const struct ipmi_repo_sensor *sn,
                                bool need_value, struct ipmi_reading *out, bool *stale,
                                struct dcre_msg *msg);

#endif
