/* SPDX-License-Identifier: MIT */
#include "ipmi_sensors.h"

#include <math.h>
#include <string.h>

#include <freeipmi/freeipmi.h>

/* Get Sensor Reading carries only the sensor number: "not present" (0xCB)
 * and "invalid data field" (0xCC, ipmi_sim's answer) both say the BMC has
 * no such sensor, so the SDR copy may be stale. */
#define CC_NOT_PRESENT 0xCB
#define CC_INVALID_FIELD 0xCC

struct raw_reading {
	uint8_t number;
	uint8_t raw;
	bool unavailable; /* byte 1 bit 5 */
	bool scanning;    /* byte 1 bit 6 */
	uint8_t bits;     /* byte 2 */
};

static int x_reading(struct ipmi_session *s, ipmi_ctx_t ctx, void *arg, struct dcre_msg *msg)
{
	struct raw_reading *rr = arg;
	fiid_obj_t obj = fiid_obj_create(tmpl_cmd_get_sensor_reading_rs);
	uint64_t raw, state, scanning, bits;
	int rc = IPMI_X_FAILED;

	if (!obj) {
		rc = dcre_msg_set(msg, DCRE_EINTERNAL, "Internal error: fiid_obj_create failed");
		goto out;
	}
	if (ipmi_cmd_get_sensor_reading(ctx, rr->number, obj) < 0) {
		rc = ipmi_session_failed(s, obj);
		goto out;
	}
	if (!ipmi_session_field(obj, "sensor_reading", &raw) ||
	    !ipmi_session_field(obj, "reading_state", &state) ||
	    !ipmi_session_field(obj, "sensor_scanning", &scanning)) {
		rc = dcre_msg_set(msg, DCRE_EPROTO, "short answer");
		goto out;
	}
	if (!ipmi_session_field(obj, "sensor_event_bitmask1", &bits))
		bits = 0; /* byte 2 is optional when the state is unavailable */
	rr->raw = (uint8_t)raw;
	rr->unavailable = state != 0;
	rr->scanning = scanning != 0;
	rr->bits = (uint8_t)bits;
	rc = 0;
out:
	fiid_obj_destroy(obj);
	return rc;
}

struct factors {
	uint8_t number, raw;
	int16_t m, b;
	int8_t r_exponent, b_exponent;
};

/* Sign-extend the low `bits` bits of v. */
static int sext(uint64_t v, unsigned bits)
{
	int x = (int)(v & ((1u << bits) - 1));
	return x & (1 << (bits - 1)) ? x - (1 << bits) : x;
}

static int x_factors(struct ipmi_session *s, ipmi_ctx_t ctx, void *arg, struct dcre_msg *msg)
{
	struct factors *f = arg;
	/* libfreeipmi has no typed call for this command: build the request */
	fiid_obj_t rq = fiid_obj_create(tmpl_cmd_get_sensor_reading_factors_rq);
	fiid_obj_t obj = fiid_obj_create(tmpl_cmd_get_sensor_reading_factors_rs);
	uint64_t m_ls, m_ms, b_ls, b_ms, r_exp, b_exp;
	int rc = IPMI_X_FAILED;

	if (!rq || !obj || fiid_obj_set(rq, "cmd", IPMI_CMD_GET_SENSOR_READING_FACTORS) < 0 ||
	    fiid_obj_set(rq, "sensor_number", f->number) < 0 ||
	    fiid_obj_set(rq, "reading_byte", f->raw) < 0) {
		rc = dcre_msg_set(msg, DCRE_EINTERNAL, "Internal error: fiid_obj_create failed");
		goto out;
	}
	if (ipmi_cmd(ctx, IPMI_BMC_IPMB_LUN_BMC, IPMI_NET_FN_SENSOR_EVENT_RQ, rq, obj) < 0) {
		rc = ipmi_session_failed(s, obj);
		goto out;
	}
	if (!ipmi_session_field(obj, "m_ls", &m_ls) || !ipmi_session_field(obj, "m_ms", &m_ms) ||
	    !ipmi_session_field(obj, "b_ls", &b_ls) || !ipmi_session_field(obj, "b_ms", &b_ms) ||
	    !ipmi_session_field(obj, "r_exponent", &r_exp) ||
	    !ipmi_session_field(obj, "b_exponent", &b_exp)) {
		rc = dcre_msg_set(msg, DCRE_EPROTO, "short answer");
		goto out;
	}
	f->m = (int16_t)sext(m_ls | m_ms << 8, 10);
	f->b = (int16_t)sext(b_ls | b_ms << 8, 10);
	f->r_exponent = (int8_t)sext(r_exp, 4);
	f->b_exponent = (int8_t)sext(b_exp, 4);
	rc = 0;
out:
	fiid_obj_destroy(rq);
	fiid_obj_destroy(obj);
	return rc;
}

static enum dcre_err no_reading(const struct ipmi_session *s, const struct ipmi_repo_sensor *sn,
                                const char *why, struct dcre_msg *msg)
{
	return dcre_msg_set(msg, DCRE_EPROTO, "%s: sensor %s (%04x) has no reading (%s)", s->label,
	                    sn->name, sn->number, why);
}

enum dcre_err ipmi_sensors_read(struct ipmi_session *s, const struct ipmi_repo_sensor *sn,
                                bool need_value, struct ipmi_reading *out, bool *stale,
                                struct dcre_msg *msg)
{
	struct raw_reading rr = {.number = sn->number};
	bool threshold = sn->reading_type == IPMI_EVENT_READING_TYPE_CODE_THRESHOLD;
	enum dcre_err rc;

	memset(out, 0, sizeof(*out));
	*stale = false;
	if (need_value && (!threshold || !sn->full ||
	                   sn->analog_format == IPMI_SDR_ANALOG_DATA_FORMAT_NOT_ANALOG))
		return no_reading(s, sn,
		                  sn->full ? "not a numeric threshold sensor"
		                           : "compact SDR record: no conversion factors",
		                  msg);
	rc = ipmi_session_call(s, "Get Sensor Reading", IPMI_REPEAT_SAFE, x_reading, &rr, msg);
	if (rc) {
		*stale =
		    rc == DCRE_EPROTO && (s->cc == CC_NOT_PRESENT || s->cc == CC_INVALID_FIELD);
		return rc;
	}
	if (rr.unavailable)
		return no_reading(s, sn, "reading unavailable", msg);
	if (!rr.scanning)
		return no_reading(s, sn, "scanning disabled", msg);
	if (threshold)
		ipmi_map_threshold(rr.bits & 0x3F, &out->states);
	else if (sn->sensor_type == 0x08 &&
	         sn->reading_type == IPMI_EVENT_READING_TYPE_CODE_SENSOR_SPECIFIC)
		ipmi_map_power_supply(rr.bits, &out->states);
	else
		out->states.health = "ok"; /* a discrete state this service does not name */
	if (!need_value)
		return DCRE_OK;

	struct factors f = {.number = sn->number,
	                    .raw = rr.raw,
	                    .m = sn->m,
	                    .b = sn->b,
	                    .r_exponent = sn->r_exponent,
	                    .b_exponent = sn->b_exponent};
	uint8_t linearization = sn->linearization;
	if (IPMI_SDR_LINEARIZATION_IS_NON_LINEAR(linearization)) {
		rc = ipmi_session_call(s, "Get Sensor Reading Factors", IPMI_REPEAT_SAFE, x_factors,
		                       &f, msg);
		if (rc)
			return rc;
		linearization = IPMI_SDR_LINEARIZATION_LINEAR;
	}
	double v;
	if (ipmi_sensor_decode_value(f.r_exponent, f.b_exponent, f.m, f.b, linearization,
	                             sn->analog_format, rr.raw, &v) < 0 ||
	    !isfinite(v))
		return no_reading(s, sn, "the raw value does not convert", msg);
	out->value = v;
	out->has_value = true;
	return DCRE_OK;
}
