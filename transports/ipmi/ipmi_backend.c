/* SPDX-License-Identifier: MIT */
/* The IPMI backend (ipmi.md §4-§6): the API operations of one BMC mapped to
 * the chassis, sensor, SDR and FRU modules of this folder, answered in the
 * shapes of core/bridge.h. */
#include "ipmi_backend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <freeipmi/freeipmi.h>

#include "alloc.h"
#include "bridge.h"
#include "ipmi_asset.h"
#include "ipmi_chassis.h"
#include "ipmi_repo.h"
#include "ipmi_sensors.h"
#include "ipmi_session.h"
#include "log.h"
#include "timeutil.h"

#define CC_NOT_IN_PRESENT_STATE 0xD5
/* One API request to a BMC is one operation with one deadline: this many
 * times the session timeout plus IPMI_OP_EXTRA_S (a session open may take
 * about 1 s more, ipmi.md §3); power on/off adds power_wait. The SDR walk is
 * also capped in records (ipmi_repo.c). */
#define IPMI_OP_TIMEOUTS 4
#define IPMI_OP_EXTRA_S 1.0

struct ipmi_bmc {
	struct dcre_backend base;
	const struct dcre_ipmi_bmc *cfg; /* borrowed */
	struct ipmi_session sess;
	struct ipmi_repo repo;
	enum ipmi_dcmi dcmi;
};

static struct ipmi_bmc *bmc_of(struct dcre_backend *b)
{
	return (struct ipmi_bmc *)(void *)b;
}

static enum dcre_err op_version(struct dcre_backend *b, const struct dcre_target *t, cJSON **out,
                                struct dcre_msg *msg)
{
	(void)b;
	(void)t;
	(void)msg;
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "firmware_version", "OpenDCRE IPMI Bridge v2.0");
	return DCRE_OK;
}

static cJSON *one_board(struct ipmi_bmc *m)
{
	cJSON *boards = cJSON_CreateArray();
	cJSON_AddItemToArray(boards, dcre_bridge_record(&m->base, ipmi_repo_devices(&m->repo)));
	return boards;
}

static enum dcre_err do_scan_board(struct dcre_backend *b, const struct dcre_target *t,
                                   cJSON **boards, struct dcre_msg *msg)
{
	struct ipmi_bmc *m = bmc_of(b);
	enum dcre_err e = ipmi_repo_ensure(&m->repo, &m->sess, false, msg);

	(void)t;
	if (e)
		return e;
	*boards = one_board(m);
	return DCRE_OK;
}

static enum dcre_err do_scan_all(struct dcre_backend *b, cJSON **boards, struct dcre_msg *msg)
{
	struct ipmi_bmc *m = bmc_of(b);
	enum dcre_err e;

	m->dcmi = IPMI_DCMI_UNKNOWN; /* a live scan re-probes DCMI (ipmi.md §5.2) */
	e = ipmi_repo_ensure(&m->repo, &m->sess, true, msg);
	if (e)
		return e;
	*boards = one_board(m);
	return DCRE_OK;
}

static bool sensor_type(const char *type)
{
	return strcmp(type, "temperature") == 0 || strcmp(type, "fan_speed") == 0 ||
	       strcmp(type, "voltage") == 0 || strcmp(type, "power_supply") == 0;
}

static bool static_device(const struct dcre_target *t)
{
	return dcre_bridge_is_device(t, DCRE_BRIDGE_DEV_POWER, "power") ||
	       dcre_bridge_is_device(t, DCRE_BRIDGE_DEV_SYSTEM, "system") ||
	       dcre_bridge_is_device(t, DCRE_BRIDGE_DEV_LED, "led");
}

/* The sensor t addresses, if it has this device type (by id or, 1.3, by
 * name, as in the board record). */
static const struct ipmi_repo_sensor *find_sensor(struct ipmi_bmc *m, const struct dcre_target *t,
                                                  const char *type)
{
	cJSON *record = dcre_bridge_record(&m->base, ipmi_repo_devices(&m->repo));
	const cJSON *d = dcre_bridge_find_device(record, t);
	const struct ipmi_repo_sensor *sn = NULL;

	if (d) {
		const char *dt = cJSON_GetStringValue(cJSON_GetObjectItem(d, "device_type"));
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(d, "device_id"));
		unsigned long n = id ? strtoul(id, NULL, 16) : 0x10000;
		if (dt && strcmp(dt, type) == 0 && n <= 0xFF)
			sn = ipmi_repo_find(&m->repo, (uint8_t)n);
	}
	cJSON_Delete(record);
	return sn;
}

static enum dcre_err do_read(struct dcre_backend *b, const struct dcre_target *t, const char *type,
                             cJSON **out, struct dcre_msg *msg)
{
	struct ipmi_bmc *m = bmc_of(b);
	bool need_value = strcmp(type, "power_supply") != 0;
	struct ipmi_reading rd;
	enum dcre_err e = DCRE_EINTERNAL;

	/* types and devices that are never a sensor: no BMC traffic */
	if (!sensor_type(type) || static_device(t))
		return dcre_bridge_no_device(b, t, type, msg);
	if (t->api == DCRE_API_12 && !need_value) {
		e = dcre_bridge_reading(t->api, type, 0, NULL, NULL, out, msg);
		dcre_msg_prefix(msg, "%s device %s: ", m->sess.label, t->device_hex);
		return e;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		bool stale = false;
		e = ipmi_repo_ensure(&m->repo, &m->sess, attempt > 0, msg);
		if (e)
			return e;
		const struct ipmi_repo_sensor *sn = find_sensor(m, t, type);
		if (!sn)
			return dcre_bridge_no_device(b, t, type, msg);
		e = ipmi_sensors_read(&m->sess, sn, need_value, &rd, &stale, msg);
		if (!e || !stale)
			break;
		/* the BMC no longer has this sensor: the SDR copy is stale */
		dcre_info("%s; reading the SDR again", msg->text);
	}
	if (e)
		return e;
	cJSON *states = cJSON_CreateArray();
	for (size_t i = 0; i < rd.states.n; i++)
		cJSON_AddItemToArray(states, cJSON_CreateString(rd.states.text[i]));
	e = dcre_bridge_reading(t->api, type, rd.value, rd.states.health, states, out, msg);
	if (e)
		dcre_msg_prefix(msg, "%s device %s: ", m->sess.label, t->device_hex);
	return e;
}

static enum dcre_err do_power(struct dcre_backend *b, const struct dcre_target *t, const char *type,
                              enum dcre_power_action action, cJSON **out, struct dcre_msg *msg)
{
	struct ipmi_bmc *m = bmc_of(b);
	struct ipmi_session *s = &m->sess;
	struct ipmi_chassis_state st;
	enum dcre_err e = DCRE_OK;

	(void)type;
	if (!dcre_bridge_is_device(t, DCRE_BRIDGE_DEV_POWER, "power"))
		return dcre_bridge_no_device(b, t, "power", msg);
	switch (action) {
	case DCRE_POWER_ON:
	case DCRE_POWER_OFF: {
		bool want = action == DCRE_POWER_ON;
		e = ipmi_chassis_control(
		    s, want ? IPMI_CHASSIS_CONTROL_POWER_UP : IPMI_CHASSIS_CONTROL_POWER_DOWN, msg);
		if (e)
			return e;
		/* poll every second until the state shows or power_wait passed */
		ipmi_session_op_extend(s, m->cfg->b.power_wait);
		double deadline = dcre_time_now() + m->cfg->b.power_wait;
		for (;;) {
			e = ipmi_chassis_status(s, &st, msg);
			if (e)
				return e;
			double left = deadline - dcre_time_now();
			if (st.on == want || left <= 0)
				break;
			dcre_time_sleep(left < 1 ? left : 1);
		}
		break;
	}
	case DCRE_POWER_CYCLE:
		e = ipmi_chassis_control(s, IPMI_CHASSIS_CONTROL_POWER_CYCLE, msg);
		if (e == DCRE_EPROTO && s->cc == CC_NOT_IN_PRESENT_STATE) {
			/* the host is off: report the status (ipmi.md §5.1) */
			dcre_debug("%s; reporting the status", msg->text);
			e = DCRE_OK;
		}
		if (e)
			return e;
		e = ipmi_chassis_status(s, &st, msg);
		break;
	case DCRE_POWER_STATUS:
		e = ipmi_chassis_status(s, &st, msg);
		break;
	}
	if (e)
		return e;
	double watts = ipmi_chassis_input_power(s, &m->dcmi);
	*out = dcre_bridge_power(t->api, st.on, !st.fault, st.overload, watts);
	return DCRE_OK;
}

static enum dcre_err do_led(struct dcre_backend *b, const struct dcre_target *t, const char *state,
                            cJSON **out, struct dcre_msg *msg)
{
	struct ipmi_bmc *m = bmc_of(b);
	struct ipmi_chassis_state st;
	enum dcre_err e;
	bool ok = dcre_bridge_is_device(t, DCRE_BRIDGE_DEV_LED, "led") ||
	          (t->api == DCRE_API_12 && t->device == DCRE_BRIDGE_DEV_SYSTEM);

	if (!ok)
		return dcre_bridge_no_device(b, t, "led", msg);
	if (state) {
		/* on and no_override: identify forced on; off: identify off */
		e = ipmi_chassis_identify(&m->sess, strcmp(state, "off") != 0, msg);
		if (e)
			return e;
	}
	e = ipmi_chassis_status(&m->sess, &st, msg);
	if (e)
		return e;
	*out = dcre_bridge_led(t->api, st.identify ? "on" : "off");
	return DCRE_OK;
}

static enum dcre_err do_boot_target(struct dcre_backend *b, const struct dcre_target *t,
                                    enum dcre_boot_target target, cJSON **out, struct dcre_msg *msg)
{
	struct ipmi_bmc *m = bmc_of(b);
	const char *now = NULL;
	enum dcre_err e;

	if (!dcre_bridge_is_device(t, DCRE_BRIDGE_DEV_SYSTEM, "system"))
		return dcre_bridge_no_device(b, t, "system", msg);
	if (target != DCRE_BOOT_GET) {
		e = ipmi_chassis_boot_set(&m->sess, target, msg);
		if (e)
			return e;
	}
	e = ipmi_chassis_boot_get(&m->sess, &now, msg);
	if (e)
		return e;
	*out = cJSON_CreateObject();
	cJSON_AddItemToObject(*out, "target", now ? cJSON_CreateString(now) : cJSON_CreateNull());
	return DCRE_OK;
}

static enum dcre_err do_asset(struct dcre_backend *b, const struct dcre_target *t, cJSON **out,
                              struct dcre_msg *msg)
{
	struct ipmi_bmc *m = bmc_of(b);
	struct ipmi_asset *a;
	const char *fields[13];
	enum dcre_err e;

	if (!dcre_bridge_is_device(t, DCRE_BRIDGE_DEV_SYSTEM, "system"))
		return dcre_bridge_no_device(b, t, "system", msg);
	a = dcre_xmalloc(sizeof(*a));
	e = ipmi_asset_read(&m->sess, a, msg);
	if (!e) {
		for (int i = 0; i < 13; i++)
			fields[i] = a->field[i];
		*out = dcre_bridge_asset(fields, "bmc_ip", m->cfg->b.address);
	}
	free(a);
	return e;
}

/* ---- every API request is one operation with one deadline ---- */

static enum dcre_err op_scan_board(struct dcre_backend *b, const struct dcre_target *t,
                                   cJSON **boards, struct dcre_msg *msg)
{
	struct ipmi_bmc *m = bmc_of(b);
	enum dcre_err e;

	ipmi_session_op_begin(&m->sess, IPMI_OP_TIMEOUTS * m->cfg->b.timeout + IPMI_OP_EXTRA_S);
	e = do_scan_board(b, t, boards, msg);
	ipmi_session_op_end(&m->sess);
	return e;
}

static enum dcre_err op_scan_all(struct dcre_backend *b, cJSON **boards, struct dcre_msg *msg)
{
	struct ipmi_bmc *m = bmc_of(b);
	enum dcre_err e;

	ipmi_session_op_begin(&m->sess, IPMI_OP_TIMEOUTS * m->cfg->b.timeout + IPMI_OP_EXTRA_S);
	e = do_scan_all(b, boards, msg);
	ipmi_session_op_end(&m->sess);
	return e;
}

static enum dcre_err op_read(struct dcre_backend *b, const struct dcre_target *t, const char *type,
                             cJSON **out, struct dcre_msg *msg)
{
	struct ipmi_bmc *m = bmc_of(b);
	enum dcre_err e;

	ipmi_session_op_begin(&m->sess, IPMI_OP_TIMEOUTS * m->cfg->b.timeout + IPMI_OP_EXTRA_S);
	e = do_read(b, t, type, out, msg);
	ipmi_session_op_end(&m->sess);
	return e;
}

static enum dcre_err op_power(struct dcre_backend *b, const struct dcre_target *t, const char *type,
                              enum dcre_power_action action, cJSON **out, struct dcre_msg *msg)
{
	struct ipmi_bmc *m = bmc_of(b);
	enum dcre_err e;

	ipmi_session_op_begin(&m->sess, IPMI_OP_TIMEOUTS * m->cfg->b.timeout + IPMI_OP_EXTRA_S);
	e = do_power(b, t, type, action, out, msg);
	ipmi_session_op_end(&m->sess);
	return e;
}

static enum dcre_err op_led(struct dcre_backend *b, const struct dcre_target *t, const char *state,
                            cJSON **out, struct dcre_msg *msg)
{
	struct ipmi_bmc *m = bmc_of(b);
	enum dcre_err e;

	ipmi_session_op_begin(&m->sess, IPMI_OP_TIMEOUTS * m->cfg->b.timeout + IPMI_OP_EXTRA_S);
	e = do_led(b, t, state, out, msg);
	ipmi_session_op_end(&m->sess);
	return e;
}

static enum dcre_err op_boot_target(struct dcre_backend *b, const struct dcre_target *t,
                                    enum dcre_boot_target target, cJSON **out, struct dcre_msg *msg)
{
	struct ipmi_bmc *m = bmc_of(b);
	enum dcre_err e;

	ipmi_session_op_begin(&m->sess, IPMI_OP_TIMEOUTS * m->cfg->b.timeout + IPMI_OP_EXTRA_S);
	e = do_boot_target(b, t, target, out, msg);
	ipmi_session_op_end(&m->sess);
	return e;
}

static enum dcre_err op_asset(struct dcre_backend *b, const struct dcre_target *t, cJSON **out,
                              struct dcre_msg *msg)
{
	struct ipmi_bmc *m = bmc_of(b);
	enum dcre_err e;

	ipmi_session_op_begin(&m->sess, IPMI_OP_TIMEOUTS * m->cfg->b.timeout + IPMI_OP_EXTRA_S);
	e = do_asset(b, t, out, msg);
	ipmi_session_op_end(&m->sess);
	return e;
}

static enum dcre_err op_fan(struct dcre_backend *b, const struct dcre_target *t, const char *speed,
                            cJSON **out, struct dcre_msg *msg)
{
	if (speed)
		return dcre_msg_set(msg, DCRE_ENOTSUP,
		                    "Setting of fan speed is not permitted for IPMI board %08x",
		                    b->bridge->board_id);
	return op_read(b, t, "fan_speed", out, msg);
}

static void op_free(struct dcre_backend *b)
{
	struct ipmi_bmc *m = bmc_of(b);

	ipmi_session_close(&m->sess);
	ipmi_repo_free(&m->repo);
	free(m);
}

static const struct dcre_backend_ops ipmi_ops = {
    .name = "IPMI",
    .version = op_version,
    .scan_board = op_scan_board,
    .scan_all = op_scan_all,
    .read = op_read,
    .power = op_power,
    .asset = op_asset,
    .boot_target = op_boot_target,
    .led = op_led,
    .fan = op_fan,
    .free = op_free,
};

struct dcre_backend *dcre_ipmi_backend_new(const struct dcre_ipmi_bmc *bmc,
                                           const struct dcre_ipmi_config *section)
{
	struct ipmi_bmc *m = dcre_xcalloc(1, sizeof(*m));

	/* the crypt libraries, before any thread (scan-all queries backends in
	 * parallel) */
	ipmi_rmcpplus_init();
	m->base.ops = &ipmi_ops;
	m->base.kind = "ipmi";
	m->base.bridge = &bmc->b;
	m->cfg = bmc;
	m->dcmi = IPMI_DCMI_UNKNOWN;
	ipmi_session_init(&m->sess, bmc);
	ipmi_repo_init(&m->repo, section ? section->sdr_cache_dir : NULL, m->sess.host);
	return &m->base;
}
