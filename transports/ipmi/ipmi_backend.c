/* SPDX-License-Identifier: MIT */
/* The IPMI backend (ipmi.md §4-§6): the API operations of one BMC mapped to
 * the chassis, sensor, SDR and FRU modules of this folder, answered as
 * typed results (core/result.h) with the board record of core/bridge.h. */
#include "ipmi_backend.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
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
#include "text.h"
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
	/* the Get Chassis Status answer of one metrics collection: its power
	 * and LED reads share it (dcre_target.collection) */
	unsigned status_collection; /* 0: none kept */
	struct ipmi_chassis_state status;
};

static struct ipmi_bmc *bmc_of(struct dcre_backend *b)
{
	return (struct ipmi_bmc *)(void *)b;
}

static enum dcre_err op_version(struct dcre_backend *b, const struct dcre_target *t,
                                char **firmware, struct dcre_msg *msg)
{
	(void)b;
	(void)t;
	(void)msg;
	*firmware = dcre_xstrdup("OpenDCRE IPMI Bridge v2.0");
	return DCRE_OK;
}

/* The board record: the static devices, then the sensors of the SDR. */
static struct dcre_board *one_board(struct ipmi_bmc *m, struct dcre_boards *boards)
{
	struct dcre_board *board = dcre_bridge_board(&m->base, boards);
	ipmi_repo_devices(&m->repo, board);
	return board;
}

static enum dcre_err do_scan_board(struct dcre_backend *b, const struct dcre_target *t,
                                   struct dcre_boards *boards, struct dcre_msg *msg)
{
	struct ipmi_bmc *m = bmc_of(b);
	enum dcre_err e = ipmi_repo_ensure(&m->repo, &m->sess, false, msg);

	(void)t;
	if (e)
		return e;
	one_board(m, boards);
	return DCRE_OK;
}

static enum dcre_err do_scan_all(struct dcre_backend *b, struct dcre_boards *boards,
                                 struct dcre_msg *msg)
{
	struct ipmi_bmc *m = bmc_of(b);
	enum dcre_err e;

	m->dcmi = IPMI_DCMI_UNKNOWN; /* a live scan re-probes DCMI (ipmi.md §5.2) */
	e = ipmi_repo_ensure(&m->repo, &m->sess, true, msg);
	if (e)
		return e;
	one_board(m, boards);
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
	struct dcre_boards boards = {0};
	const struct dcre_device *d = dcre_bridge_find_device(one_board(m, &boards), t);
	const struct ipmi_repo_sensor *sn = NULL;

	if (d && strcmp(d->type, type) == 0 && d->id <= 0xFF)
		sn = ipmi_repo_find(&m->repo, (uint8_t)d->id);
	dcre_boards_clear(&boards);
	return sn;
}

static const struct {
	const char *type;
	enum dcre_quantity q;
} quantities[] = {
    {"temperature", DCRE_Q_TEMPERATURE},
    {"fan_speed", DCRE_Q_FAN_SPEED},
    {"voltage", DCRE_Q_VOLTAGE},
};

/* The reading of a sensor of this type: the value (none for power_supply),
 * health and states, and the sensor's name. */
static enum dcre_err fill_reading(const char *type, const struct ipmi_repo_sensor *sn,
                                  const struct ipmi_reading *rd, struct dcre_reading *out,
                                  struct dcre_msg *msg)
{
	for (size_t i = 0; i < sizeof(quantities) / sizeof(quantities[0]); i++) {
		if (strcmp(quantities[i].type, type) != 0)
			continue;
		if (!isfinite(rd->value))
			return dcre_msg_set(msg, DCRE_EPROTO,
			                    "the %s reading is not a finite number", type);
		dcre_num_set_double(&out->q[quantities[i].q], rd->value);
	}
	out->has_health = true;
	out->health = dcre_xstrdup(rd->states.health);
	for (size_t i = 0; i < rd->states.n; i++)
		dcre_strv_add(&out->states, rd->states.text[i]);
	out->name = dcre_text_clean(sn->name, strlen(sn->name));
	return DCRE_OK;
}

static enum dcre_err do_read(struct dcre_backend *b, const struct dcre_target *t, const char *type,
                             struct dcre_reading *out, struct dcre_msg *msg)
{
	struct ipmi_bmc *m = bmc_of(b);
	bool need_value = strcmp(type, "power_supply") != 0;
	const struct ipmi_repo_sensor *sn = NULL;
	struct ipmi_reading rd;
	enum dcre_err e = DCRE_EINTERNAL;

	/* types and devices that are never a sensor: no BMC traffic */
	if (!sensor_type(type) || static_device(t))
		return dcre_bridge_no_device(b, t, type, msg);
	if ((t->rules & DCRE_RULE_VALUE_REQUIRED) && !need_value) {
		dcre_msg_set(msg, DCRE_ENOTSUP,
		             "a %s reading has no 1.2 API shape (use the 1.3 API)", type);
		dcre_msg_prefix(msg, "%s device %s: ", m->sess.label, t->device_hex);
		return DCRE_ENOTSUP;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		bool stale = false;
		e = ipmi_repo_ensure(&m->repo, &m->sess, attempt > 0, msg);
		if (e)
			return e;
		sn = find_sensor(m, t, type);
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
	e = fill_reading(type, sn, &rd, out, msg);
	if (e)
		dcre_msg_prefix(msg, "%s device %s: ", m->sess.label, t->device_hex);
	return e;
}

/* Get Chassis Status for t: the answer this collection already has, or
 * a new one. */
static enum dcre_err chassis_status(struct ipmi_bmc *m, const struct dcre_target *t,
                                    struct ipmi_chassis_state *st, struct dcre_msg *msg)
{
	if (t->collection && t->collection == m->status_collection) {
		*st = m->status;
		return DCRE_OK;
	}
	enum dcre_err e = ipmi_chassis_status(&m->sess, st, msg);
	m->status_collection = 0;
	if (!e && t->collection) {
		m->status_collection = t->collection;
		m->status = *st;
	}
	return e;
}

static enum dcre_err do_power(struct dcre_backend *b, const struct dcre_target *t, const char *type,
                              enum dcre_power_action action, struct dcre_power *out,
                              struct dcre_msg *msg)
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
		e = chassis_status(m, t, &st, msg);
		break;
	}
	if (e)
		return e;
	double watts = ipmi_chassis_input_power(s, &m->dcmi);
	snprintf(out->state, sizeof(out->state), "%s", st.on ? "on" : "off");
	out->power_ok = DCRE_TRI(!st.fault);
	out->over_current = DCRE_TRI(st.overload);
	if (watts >= 0)
		dcre_num_set_double(&out->input_power, watts);
	else
		out->input_power.kind = DCRE_NUM_UNKNOWN;
	return DCRE_OK;
}

static enum dcre_err do_led(struct dcre_backend *b, const struct dcre_target *t,
                            enum dcre_led_set set, struct dcre_led *out, struct dcre_msg *msg)
{
	struct ipmi_bmc *m = bmc_of(b);
	struct ipmi_chassis_state st;
	enum dcre_err e;
	bool ok = dcre_bridge_is_device(t, DCRE_BRIDGE_DEV_LED, "led") ||
	          ((t->rules & DCRE_RULE_SYSTEM_LED) && t->device == DCRE_BRIDGE_DEV_SYSTEM);

	if (!ok)
		return dcre_bridge_no_device(b, t, "led", msg);
	if (set != DCRE_LED_GET) {
		/* on and no_override: identify forced on; off: identify off */
		e = ipmi_chassis_identify(&m->sess, set != DCRE_LED_OFF, msg);
		if (e)
			return e;
	}
	e = chassis_status(m, t, &st, msg);
	if (e)
		return e;
	out->state = dcre_xstrdup(st.identify ? "on" : "off");
	out->color_unknown = true; /* the 1.2 answer shows led_color "unknown" */
	return DCRE_OK;
}

static enum dcre_err do_boot_target(struct dcre_backend *b, const struct dcre_target *t,
                                    enum dcre_boot_target target, struct dcre_boot *now,
                                    struct dcre_msg *msg)
{
	struct ipmi_bmc *m = bmc_of(b);
	enum dcre_err e;

	if (!dcre_bridge_is_device(t, DCRE_BRIDGE_DEV_SYSTEM, "system"))
		return dcre_bridge_no_device(b, t, "system", msg);
	if (target != DCRE_BOOT_GET) {
		e = ipmi_chassis_boot_set(&m->sess, target, msg);
		if (e)
			return e;
	}
	return ipmi_chassis_boot_get(&m->sess, &now->target, msg);
}

static enum dcre_err do_asset(struct dcre_backend *b, const struct dcre_target *t,
                              struct dcre_asset *out, struct dcre_msg *msg)
{
	struct ipmi_bmc *m = bmc_of(b);
	struct ipmi_asset *a;
	enum dcre_err e;

	if (!dcre_bridge_is_device(t, DCRE_BRIDGE_DEV_SYSTEM, "system"))
		return dcre_bridge_no_device(b, t, "system", msg);
	a = dcre_xmalloc(sizeof(*a));
	e = ipmi_asset_read(&m->sess, a, msg);
	if (!e) {
		for (int i = 0; i < DCRE_ASSET_COUNT; i++)
			out->field[i] = dcre_text_clean(a->field[i], strlen(a->field[i]));
		out->address_key = "bmc_ip";
		out->address = dcre_text_clean(m->cfg->b.address, strlen(m->cfg->b.address));
	}
	free(a);
	return e;
}

/* ---- every API request is one operation with one deadline ---- */

/* Begin the operation of t on b's session: its bound, cut to t's deadline. */
static struct ipmi_bmc *op_begin(struct dcre_backend *b, const struct dcre_target *t)
{
	struct ipmi_bmc *m = bmc_of(b);
	ipmi_session_op_begin(&m->sess, dcre_target_budget(t, IPMI_OP_TIMEOUTS * m->cfg->b.timeout +
	                                                          IPMI_OP_EXTRA_S));
	return m;
}

static enum dcre_err op_scan_board(struct dcre_backend *b, const struct dcre_target *t,
                                   struct dcre_boards *boards, struct dcre_msg *msg)
{
	struct ipmi_bmc *m = op_begin(b, t);
	enum dcre_err e;

	e = do_scan_board(b, t, boards, msg);
	ipmi_session_op_end(&m->sess);
	return e;
}

static enum dcre_err op_scan_all(struct dcre_backend *b, struct dcre_boards *boards,
                                 struct dcre_msg *msg)
{
	struct ipmi_bmc *m = bmc_of(b);
	enum dcre_err e;

	ipmi_session_op_begin(&m->sess, IPMI_OP_TIMEOUTS * m->cfg->b.timeout + IPMI_OP_EXTRA_S);
	e = do_scan_all(b, boards, msg);
	ipmi_session_op_end(&m->sess);
	return e;
}

static enum dcre_err op_read(struct dcre_backend *b, const struct dcre_target *t, const char *type,
                             struct dcre_reading *out, struct dcre_msg *msg)
{
	struct ipmi_bmc *m = op_begin(b, t);
	enum dcre_err e;

	e = do_read(b, t, type, out, msg);
	ipmi_session_op_end(&m->sess);
	return e;
}

static enum dcre_err op_power(struct dcre_backend *b, const struct dcre_target *t, const char *type,
                              enum dcre_power_action action, struct dcre_power *out,
                              struct dcre_msg *msg)
{
	struct ipmi_bmc *m = op_begin(b, t);
	enum dcre_err e;

	e = do_power(b, t, type, action, out, msg);
	ipmi_session_op_end(&m->sess);
	return e;
}

static enum dcre_err op_led(struct dcre_backend *b, const struct dcre_target *t,
                            enum dcre_led_set set, struct dcre_led *out, struct dcre_msg *msg)
{
	struct ipmi_bmc *m = op_begin(b, t);
	enum dcre_err e;

	e = do_led(b, t, set, out, msg);
	ipmi_session_op_end(&m->sess);
	return e;
}

static enum dcre_err op_boot_target(struct dcre_backend *b, const struct dcre_target *t,
                                    enum dcre_boot_target target, struct dcre_boot *now,
                                    struct dcre_msg *msg)
{
	struct ipmi_bmc *m = op_begin(b, t);
	enum dcre_err e;

	e = do_boot_target(b, t, target, now, msg);
	ipmi_session_op_end(&m->sess);
	return e;
}

static enum dcre_err op_asset(struct dcre_backend *b, const struct dcre_target *t,
                              struct dcre_asset *out, struct dcre_msg *msg)
{
	struct ipmi_bmc *m = op_begin(b, t);
	enum dcre_err e;

	e = do_asset(b, t, out, msg);
	ipmi_session_op_end(&m->sess);
	return e;
}

static enum dcre_err op_fan(struct dcre_backend *b, const struct dcre_target *t,
                            const struct dcre_fan_set *set, struct dcre_reading *out,
                            struct dcre_msg *msg)
{
	if (set)
		return dcre_msg_set(msg, DCRE_ENOTSUP,
		                    "Setting of fan speed is not permitted for IPMI board %08x",
		                    b->board_lo);
	return op_read(b, t, "fan_speed", out, msg);
}

static enum dcre_err op_host_info(struct dcre_backend *b, const struct dcre_target *t,
                                  struct dcre_host_info *out, struct dcre_msg *msg)
{
	(void)t;
	(void)msg;
	dcre_bridge_host_info(b, out);
	return DCRE_OK;
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
    .host_info = op_host_info,
    .free = op_free,
};

struct dcre_backend *dcre_ipmi_backend_new(const struct dcre_ipmi_bmc *bmc,
                                           const struct dcre_ipmi_config *section)
{
	struct ipmi_bmc *m = dcre_xcalloc(1, sizeof(*m));

	/* the crypt libraries, before any thread (scan-all queries backends in
	 * parallel) */
	ipmi_rmcpplus_init();
	dcre_bridge_backend_init(&m->base, &ipmi_ops, "ipmi", &bmc->b);
	m->cfg = bmc;
	m->dcmi = IPMI_DCMI_UNKNOWN;
	ipmi_session_init(&m->sess, bmc);
	ipmi_repo_init(&m->repo, section ? section->sdr_cache_dir : NULL, m->sess.host);
	return &m->base;
}
