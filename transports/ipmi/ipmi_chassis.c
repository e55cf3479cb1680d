/* SPDX-License-Identifier: MIT */
#include "ipmi_chassis.h"

#include <freeipmi/freeipmi.h>

#include "ipmi_map.h"
#include "log.h"

/* Create a response object or fail the exchange. */
#define NEW_OBJ(obj, tmpl, msg, rc)                                                                \
	do {                                                                                       \
		(obj) = fiid_obj_create(tmpl);                                                     \
		if (!(obj)) {                                                                      \
			(rc) = dcre_msg_set((msg), DCRE_EINTERNAL,                                 \
			                    "Internal error: fiid_obj_create failed");             \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)

static int x_status(struct ipmi_session *s, ipmi_ctx_t ctx, void *arg, struct dcre_msg *msg)
{
	struct ipmi_chassis_state *st = arg;
	fiid_obj_t obj = NULL;
	uint64_t on, overload, fault, identify;
	int rc = IPMI_X_FAILED;

	NEW_OBJ(obj, tmpl_cmd_get_chassis_status_rs, msg, rc);
	if (ipmi_cmd_get_chassis_status(ctx, obj) < 0) {
		rc = ipmi_session_failed(s, obj);
		goto out;
	}
	if (!ipmi_session_field(obj, "current_power_state.power_is_on", &on) ||
	    !ipmi_session_field(obj, "current_power_state.power_overload", &overload) ||
	    !ipmi_session_field(obj, "current_power_state.power_fault", &fault)) {
		rc = dcre_msg_set(msg, DCRE_EPROTO, "short answer");
		goto out;
	}
	if (!ipmi_session_field(obj, "misc_chassis_state.chassis_identify_state", &identify))
		identify = 0;
	st->on = on;
	st->overload = overload;
	st->fault = fault;
	st->identify = identify != 0;
	rc = 0;
out:
	fiid_obj_destroy(obj);
	return rc;
}

enum dcre_err ipmi_chassis_status(struct ipmi_session *s, struct ipmi_chassis_state *st,
                                  struct dcre_msg *msg)
{
	return ipmi_session_call(s, "Get Chassis Status", IPMI_REPEAT_SAFE, x_status, st, msg);
}

static int x_control(struct ipmi_session *s, ipmi_ctx_t ctx, void *arg, struct dcre_msg *msg)
{
	const uint8_t *control = arg;
	fiid_obj_t obj = NULL;
	int rc = IPMI_X_FAILED;

	NEW_OBJ(obj, tmpl_cmd_chassis_control_rs, msg, rc);
	if (ipmi_cmd_chassis_control(ctx, *control, obj) < 0) {
		rc = ipmi_session_failed(s, obj);
		goto out;
	}
	rc = 0;
out:
	fiid_obj_destroy(obj);
	return rc;
}

enum dcre_err ipmi_chassis_control(struct ipmi_session *s, uint8_t control, struct dcre_msg *msg)
{
	static const char *const names[] = {
	    "Chassis Control (power down)", "Chassis Control (power up)",
	    "Chassis Control (power cycle)", "Chassis Control (hard reset)"};
	const char *what = control < 4 ? names[control] : "Chassis Control";

	return ipmi_session_call(s, what, IPMI_REPEAT_IF_NOT_EXECUTED, x_control, &control, msg);
}

static int x_identify(struct ipmi_session *s, ipmi_ctx_t ctx, void *arg, struct dcre_msg *msg)
{
	const bool *on = arg;
	uint8_t interval = 0, force = *on ? 1 : 0;
	fiid_obj_t obj = NULL;
	int rc = IPMI_X_FAILED;

	NEW_OBJ(obj, tmpl_cmd_chassis_identify_rs, msg, rc);
	if (ipmi_cmd_chassis_identify(ctx, &interval, &force, obj) < 0) {
		rc = ipmi_session_failed(s, obj);
		goto out;
	}
	rc = 0;
out:
	fiid_obj_destroy(obj);
	return rc;
}

enum dcre_err ipmi_chassis_identify(struct ipmi_session *s, bool on, struct dcre_msg *msg)
{
	return ipmi_session_call(s, "Chassis Identify", IPMI_REPEAT_SAFE, x_identify, &on, msg);
}

static int x_boot_get(struct ipmi_session *s, ipmi_ctx_t ctx, void *arg, struct dcre_msg *msg)
{
	enum dcre_boot_target *target = arg;
	fiid_obj_t obj = NULL;
	uint64_t invalid, valid, device;
	int rc = IPMI_X_FAILED;

	NEW_OBJ(obj, tmpl_cmd_get_system_boot_options_boot_flags_rs, msg, rc);
	if (ipmi_cmd_get_system_boot_options_boot_flags(ctx, 0, 0, obj) < 0) {
		rc = ipmi_session_failed(s, obj);
		goto out;
	}
	/* "parameter_valid" is byte 1 bit 7, set when the parameter is
	 * marked invalid / locked */
	if (!ipmi_session_field(obj, "parameter_valid", &invalid) ||
	    !ipmi_session_field(obj, "boot_flags_valid", &valid) ||
	    !ipmi_session_field(obj, "boot_device", &device)) {
		rc = dcre_msg_set(msg, DCRE_EPROTO, "short answer");
		goto out;
	}
	*target = ipmi_map_boot_target(invalid != 0, valid != 0, (uint8_t)device);
	rc = 0;
out:
	fiid_obj_destroy(obj);
	return rc;
}

enum dcre_err ipmi_chassis_boot_get(struct ipmi_session *s, enum dcre_boot_target *target,
                                    struct dcre_msg *msg)
{
	return ipmi_session_call(s, "Get System Boot Options", IPMI_REPEAT_SAFE, x_boot_get, target,
	                         msg);
}

static int x_boot_set(struct ipmi_session *s, ipmi_ctx_t ctx, void *arg, struct dcre_msg *msg)
{
	const uint8_t *data = arg;
	fiid_obj_t obj = NULL;
	int rc = IPMI_X_FAILED;

	NEW_OBJ(obj, tmpl_cmd_set_system_boot_options_rs, msg, rc);
	if (ipmi_cmd_set_system_boot_options(ctx, IPMI_SYSTEM_BOOT_OPTION_PARAMETER_BOOT_FLAGS,
	                                     IPMI_SYSTEM_BOOT_OPTIONS_PARAMETER_VALID_UNLOCKED,
	                                     data, 5, obj) < 0) {
		rc = ipmi_session_failed(s, obj);
		goto out;
	}
	rc = 0;
out:
	fiid_obj_destroy(obj);
	return rc;
}

enum dcre_err ipmi_chassis_boot_set(struct ipmi_session *s, enum dcre_boot_target target,
                                    struct dcre_msg *msg)
{
	uint8_t data[5];

	ipmi_map_boot_flags(target, data);
	return ipmi_session_call(s, "Set System Boot Options", IPMI_REPEAT_SAFE, x_boot_set, data,
	                         msg);
}

static int x_dcmi_probe(struct ipmi_session *s, ipmi_ctx_t ctx, void *arg, struct dcre_msg *msg)
{
	bool *supported = arg;
	fiid_obj_t obj = NULL;
	uint64_t pm;
	int rc = IPMI_X_FAILED;

	NEW_OBJ(obj, tmpl_cmd_dcmi_get_dcmi_capability_info_supported_dcmi_capabilities_rs, msg,
	        rc);
	if (ipmi_cmd_dcmi_get_dcmi_capability_info_supported_dcmi_capabilities(ctx, obj) < 0) {
		rc = ipmi_session_failed(s, obj);
		goto out;
	}
	*supported =
	    ipmi_session_field(
	        obj, "optional_platform_capabilities.power_management_monitoring_support", &pm) &&
	    pm;
	rc = 0;
out:
	fiid_obj_destroy(obj);
	return rc;
}

static int x_dcmi_power(struct ipmi_session *s, ipmi_ctx_t ctx, void *arg, struct dcre_msg *msg)
{
	double *watts = arg;
	fiid_obj_t obj = NULL;
	uint64_t current, active;
	int rc = IPMI_X_FAILED;

	NEW_OBJ(obj, tmpl_cmd_dcmi_get_power_reading_rs, msg, rc);
	if (ipmi_cmd_dcmi_get_power_reading(
	        ctx, IPMI_DCMI_POWER_READING_MODE_SYSTEM_POWER_STATISTICS, 0, obj) < 0) {
		rc = ipmi_session_failed(s, obj);
		goto out;
	}
	if (!ipmi_session_field(obj, "current_power", &current) ||
	    !ipmi_session_field(obj, "power_reading_state.power_measurement", &active)) {
		rc = dcre_msg_set(msg, DCRE_EPROTO, "short answer");
		goto out;
	}
	*watts = active ? (double)current : -1;
	rc = 0;
out:
	fiid_obj_destroy(obj);
	return rc;
}

double ipmi_chassis_input_power(struct ipmi_session *s, enum ipmi_dcmi *dcmi)
{
	struct dcre_msg why;
	double watts = -1;

	if (*dcmi == IPMI_DCMI_UNKNOWN) {
		bool supported = false;
		enum dcre_err e =
		    ipmi_session_call(s, "DCMI Get DCMI Capabilities Info", IPMI_REPEAT_SAFE,
		                      x_dcmi_probe, &supported, &why);
		if (e == DCRE_OK || e == DCRE_EPROTO)
			*dcmi = supported ? IPMI_DCMI_YES : IPMI_DCMI_NO; /* an answer */
		if (e)
			dcre_debug("%s (input power unknown)", why.text);
		else
			dcre_debug("%s: DCMI power monitoring %ssupported", s->label,
			           supported ? "" : "not ");
	}
	if (*dcmi != IPMI_DCMI_YES)
		return -1;
	if (ipmi_session_call(s, "DCMI Get Power Reading", IPMI_REPEAT_SAFE, x_dcmi_power, &watts,
	                      &why)) {
		dcre_debug("%s (input power unknown)", why.text);
		return -1;
	}
	return watts;
}
