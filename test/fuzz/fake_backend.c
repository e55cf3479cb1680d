/* SPDX-License-Identifier: MIT */
#include "fake_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "bridge.h"

/* ---- PLC: canned bus payloads through the real converters ---- */

/* The bus answer of every PLC operation when set (fake_plc_set_answer). */
static const char *answer;
static size_t answer_len;

void fake_plc_set_answer(const char *data, size_t len)
{
	answer = data;
	answer_len = len;
}

/* The canned payload p (len bytes), or the answer set for all. */
static const char *payload(const char *p, size_t *len)
{
	if (answer) {
		*len = answer_len;
		return answer;
	}
	*len = strlen(p);
	return p;
}

/* Payloads a board might answer to a read; the first that converts for the
 * requested type is the answer, else the last conversion error. */
static const char *const read_payloads[] = {"656",  "27.5", "483156808",  "101.3", "1510",
                                            "4100", "0",    "1,00ff00,0", "-3.5",  "1"};

static enum dcre_err fake_read(struct dcre_backend *b, const struct dcre_target *t,
                               const char *type, cJSON **out, struct dcre_msg *msg)
{
	enum dcre_err e = DCRE_EINTERNAL;

	(void)b;
	for (size_t i = 0; i < sizeof(read_payloads) / sizeof(read_payloads[0]); i++) {
		size_t n;
		const char *p = payload(read_payloads[i], &n);
		e = dcre_convert_read(t->api, type, p, n, out, msg);
		if (!e)
			return DCRE_OK;
	}
	dcre_msg_prefix(msg, "fake PLC bus: board %08x device %s: ", t->board, t->device_hex);
	return e;
}

static enum dcre_err plc_version(struct dcre_backend *b, const struct dcre_target *t, cJSON **out,
                                 struct dcre_msg *msg)
{
	static const char fw[] = "Fake PLC firmware v1.3 \xc2\xb5"
	                         "C \xff";
	(void)b;
	(void)msg;
	*out = cJSON_CreateObject();
	if (answer)
		cJSON_AddItemToObject(*out, "firmware_version",
		                      dcre_convert_text(answer, answer_len));
	else
		cJSON_AddItemToObject(*out, "firmware_version",
		                      dcre_convert_text(fw, sizeof(fw) - 1 - (t->board & 1)));
	return DCRE_OK;
}

static cJSON *plc_board(uint32_t id)
{
	static const char *const types[] = {"thermistor", "humidity",  "led",
	                                    "fan_speed",  "power",     "system",
	                                    "vapor_led",  "vapor_fan", "pressure"};
	char text[16];
	cJSON *board = cJSON_CreateObject();

	cJSON_AddStringToObject(board, "backend", "plc");
	snprintf(text, sizeof(text), "%08x", id);
	cJSON_AddStringToObject(board, "board_id", text);
	cJSON *devs = cJSON_AddArrayToObject(board, "devices");
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		cJSON *d = cJSON_CreateObject();
		snprintf(text, sizeof(text), "%04zx", i + 1);
		cJSON_AddStringToObject(d, "device_id", text);
		cJSON_AddStringToObject(d, "device_type", types[i]);
		cJSON_AddItemToArray(devs, d);
	}
	return board;
}

static enum dcre_err plc_scan_board(struct dcre_backend *b, const struct dcre_target *t,
                                    cJSON **boards, struct dcre_msg *msg)
{
	(void)b;
	if (t->board == 0x00FFFFFE)
		return dcre_msg_set(msg, DCRE_ETIMEDOUT, "fake PLC bus: board %08x: no response",
		                    t->board);
	*boards = cJSON_CreateArray();
	cJSON_AddItemToArray(*boards, plc_board(t->board));
	return DCRE_OK;
}

static enum dcre_err plc_scan_all(struct dcre_backend *b, cJSON **boards, struct dcre_msg *msg)
{
	(void)b;
	(void)msg;
	*boards = cJSON_CreateArray();
	cJSON_AddItemToArray(*boards, plc_board(1));
	cJSON_AddItemToArray(*boards, plc_board(2));
	return DCRE_OK;
}

static enum dcre_err plc_power(struct dcre_backend *b, const struct dcre_target *t,
                               const char *type, enum dcre_power_action action, cJSON **out,
                               struct dcre_msg *msg)
{
	const char *p = action == DCRE_POWER_OFF ? "64,0,0,0" : "0,12000,2400,3356";

	(void)b;
	if (type && strcmp(type, "vapor_battery") == 0)
		p = "charging,98";
	size_t n;
	p = payload(p, &n);
	return dcre_convert_power(t->api, p, n, out, msg);
}

static enum dcre_err plc_asset(struct dcre_backend *b, const struct dcre_target *t, cJSON **out,
                               struct dcre_msg *msg)
{
	static const char p[] = "Vapor IO,VIO-SB-100,Fake Board \xe2\x84\xa2,SB0001234,rack mount "
	                        "chassis,VIO-CH-200,CH0005678,ASSET-0001,Vapor IO,VIO-SRV-300,"
	                        "Fake Server,SRV0009012,v1.3";
	(void)b;
	(void)t;
	size_t n;
	const char *a = payload(p, &n);
	return dcre_convert_asset(a, n, out, msg);
}

static enum dcre_err plc_boot_target(struct dcre_backend *b, const struct dcre_target *t,
                                     enum dcre_boot_target target, cJSON **out,
                                     struct dcre_msg *msg)
{
	static const char *const answers[] = {"B2", "B0", "B1"};
	const char *p = target == DCRE_BOOT_GET ? "B0" : answers[target];
	const char *name = NULL;

	(void)b;
	(void)t;
	size_t n;
	p = payload(p, &n);
	enum dcre_err e = dcre_convert_boot_target(p, n, &name, msg);
	if (e)
		return e;
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "target", name);
	return DCRE_OK;
}

static enum dcre_err plc_led(struct dcre_backend *b, const struct dcre_target *t, const char *state,
                             cJSON **out, struct dcre_msg *msg)
{
	const char *p = state && strcmp(state, "on") == 0 ? "1" : "0";
	(void)b;
	size_t n;
	p = payload(p, &n);
	return dcre_convert_read(t->api, "led", p, n, out, msg);
}

static enum dcre_err plc_chamber_led(struct dcre_backend *b, const struct dcre_target *t,
                                     const char *state, const char *color, const char *blink,
                                     cJSON **out, struct dcre_msg *msg)
{
	char p[64];
	(void)b;
	(void)t;
	/* the board echoes what it was told, "-1" meaning "unchanged" */
	int n = snprintf(p, sizeof(p), "%s,%s,%s", strcmp(state, "-1") ? state : "1",
	                 strcmp(color, "-1") ? color : "00ff00", strcmp(blink, "-1") ? blink : "0");
	if (n < 0 || (size_t)n >= sizeof(p))
		return dcre_msg_set(msg, DCRE_EINVAL, "fake PLC bus: chamber LED text too long");
	if (answer)
		return dcre_convert_chamber_led(answer, answer_len, out, msg);
	return dcre_convert_chamber_led(p, (size_t)n, out, msg);
}

static enum dcre_err plc_fan(struct dcre_backend *b, const struct dcre_target *t, const char *speed,
                             cJSON **out, struct dcre_msg *msg)
{
	(void)b;
	if (!speed)
		speed = "4100";
	size_t n;
	speed = payload(speed, &n);
	return dcre_convert_read(t->api, "fan_speed", speed, n, out, msg);
}

static enum dcre_err plc_host_info(struct dcre_backend *b, const struct dcre_target *t, cJSON **out,
                                   struct dcre_msg *msg)
{
	static const char p[] = "i192.0.2.10,hdemo-server-1,htest-\xc3\xa9";
	(void)b;
	(void)t;
	size_t n;
	const char *a = payload(p, &n);
	return dcre_convert_host_info(a, n, out, msg);
}

static enum dcre_err plc_config(struct dcre_backend *b, cJSON **out, struct dcre_msg *msg)
{
	(void)b;
	(void)msg;
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "modem", "fake");
	return DCRE_OK;
}

static void fake_free(struct dcre_backend *b)
{
	free(b);
}

static const struct dcre_backend_ops fake_plc_ops = {
    .name = "PLC bus",
    .version = plc_version,
    .scan_board = plc_scan_board,
    .scan_all = plc_scan_all,
    .read = fake_read,
    .power = plc_power,
    .asset = plc_asset,
    .boot_target = plc_boot_target,
    .led = plc_led,
    .chamber_led = plc_chamber_led,
    .fan = plc_fan,
    .host_info = plc_host_info,
    .plc_config = plc_config,
    .free = fake_free,
};

struct dcre_backend *fake_plc_new(void)
{
	struct dcre_backend *b = dcre_xcalloc(1, sizeof(*b));
	b->ops = &fake_plc_ops;
	b->kind = "plc";
	return b;
}

/* ---- bridge boards: a board record and answers through core/bridge.h ---- */

static cJSON *bridge_record(const struct dcre_backend *b)
{
	cJSON *sensors = cJSON_CreateArray();
	dcre_bridge_add_sensor(sensors, 0x0000, "CPU Temp", "temperature");
	dcre_bridge_add_sensor(sensors, 0x0001, "Fan 1", "fan_speed");
	dcre_bridge_add_sensor(sensors, 0x0002, "12V \xc2\xb1", "voltage");
	dcre_bridge_add_sensor(sensors, 0x0003, "PSU 1", "power_supply");
	dcre_bridge_add_sensor(sensors, 0x0004, "cpu temp", "temperature");
	return dcre_bridge_record(b, sensors);
}

static enum dcre_err bridge_version(struct dcre_backend *b, const struct dcre_target *t,
                                    cJSON **out, struct dcre_msg *msg)
{
	(void)t;
	(void)msg;
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "firmware_version", b->kind);
	return DCRE_OK;
}

static enum dcre_err bridge_scan_board(struct dcre_backend *b, const struct dcre_target *t,
                                       cJSON **boards, struct dcre_msg *msg)
{
	(void)t;
	(void)msg;
	*boards = cJSON_CreateArray();
	cJSON_AddItemToArray(*boards, bridge_record(b));
	return DCRE_OK;
}

static enum dcre_err bridge_scan_all(struct dcre_backend *b, cJSON **boards, struct dcre_msg *msg)
{
	return bridge_scan_board(b, NULL, boards, msg);
}

static enum dcre_err bridge_read(struct dcre_backend *b, const struct dcre_target *t,
                                 const char *type, cJSON **out, struct dcre_msg *msg)
{
	cJSON *record = bridge_record(b);
	const cJSON *d = dcre_bridge_find_device(record, t);
	const char *dt = d ? cJSON_GetStringValue(cJSON_GetObjectItem(d, "device_type")) : NULL;
	enum dcre_err e;

	if (!dt || strcmp(dt, type) != 0) {
		e = dcre_bridge_no_device(b, t, type, msg);
	} else {
		cJSON *states = cJSON_CreateArray();
		cJSON_AddItemToArray(states, cJSON_CreateString("upper non-critical"));
		e = dcre_bridge_reading(t->api, type, strcmp(type, "voltage") ? 42.0 : 12.125,
		                        "warning", states, out, msg);
	}
	cJSON_Delete(record);
	return e;
}

static enum dcre_err bridge_power(struct dcre_backend *b, const struct dcre_target *t,
                                  const char *type, enum dcre_power_action action, cJSON **out,
                                  struct dcre_msg *msg)
{
	(void)type;
	(void)msg;
	if (strcmp(b->kind, "redfish") == 0)
		*out = dcre_bridge_power_state(
		    t->api, action == DCRE_POWER_OFF ? "poweringoff" : "on", 1, 0, 312.5);
	else
		*out = dcre_bridge_power(t->api, action != DCRE_POWER_OFF, -1, 0, -1);
	return DCRE_OK;
}

static enum dcre_err bridge_asset(struct dcre_backend *b, const struct dcre_target *t, cJSON **out,
                                  struct dcre_msg *msg)
{
	const char *fields[13] = {"Vendor", "Board \xe2\x84\xa2", NULL, "SN1",
	                          "Rack Mount Chassis"};
	(void)t;
	(void)msg;
	*out = dcre_bridge_asset(fields, strcmp(b->kind, "redfish") == 0 ? "redfish_ip" : "bmc_ip",
	                         b->bridge->address);
	return DCRE_OK;
}

static enum dcre_err bridge_boot_target(struct dcre_backend *b, const struct dcre_target *t,
                                        enum dcre_boot_target target, cJSON **out,
                                        struct dcre_msg *msg)
{
	static const char *const names[] = {"no_override", "hdd", "pxe"};
	(void)b;
	(void)t;
	(void)msg;
	*out = cJSON_CreateObject();
	cJSON_AddItemToObject(*out, "target",
	                      target == DCRE_BOOT_GET ? cJSON_CreateNull()
	                                              : cJSON_CreateString(names[target]));
	return DCRE_OK;
}

static enum dcre_err bridge_led(struct dcre_backend *b, const struct dcre_target *t,
                                const char *state, cJSON **out, struct dcre_msg *msg)
{
	(void)b;
	(void)msg;
	*out = dcre_bridge_led(t->api, state ? state : "blinking");
	return DCRE_OK;
}

static const struct dcre_backend_ops fake_ipmi_ops = {
    .name = "IPMI",
    .version = bridge_version,
    .scan_board = bridge_scan_board,
    .scan_all = bridge_scan_all,
    .read = bridge_read,
    .power = bridge_power,
    .asset = bridge_asset,
    .boot_target = bridge_boot_target,
    .led = bridge_led,
    .free = fake_free,
};

/* Redfish: the same, without a version operation (an unsupported one). */
static const struct dcre_backend_ops fake_redfish_ops = {
    .name = "Redfish",
    .scan_board = bridge_scan_board,
    .scan_all = bridge_scan_all,
    .read = bridge_read,
    .power = bridge_power,
    .asset = bridge_asset,
    .boot_target = bridge_boot_target,
    .led = bridge_led,
    .free = fake_free,
};

struct dcre_backend *fake_bridge_new(const char *kind, const struct dcre_bridge_config *cfg)
{
	struct dcre_backend *b = dcre_xcalloc(1, sizeof(*b));
	bool redfish = strcmp(kind, "redfish") == 0;
	b->ops = redfish ? &fake_redfish_ops : &fake_ipmi_ops;
	b->kind = redfish ? "redfish" : "ipmi";
	b->bridge = cfg;
	return b;
}
