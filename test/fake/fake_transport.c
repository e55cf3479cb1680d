/* SPDX-License-Identifier: MIT */
#include "fake_transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "backend.h"
#include "number.h"
#include "plc_convert.h"
#include "text.h"

/* ---- the section ---- */

struct fake_server {
	uint32_t board_id;
	char **hostnames;
	size_t n_hostnames;
	char **ip_addresses;
	size_t n_ip_addresses;
	char *where;
};

struct fake_config {
	char *rack_id;
	struct fake_server *servers;
	size_t n_servers;
};

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void fake_free_config(void *cfg)
{
	struct fake_config *c = cfg;
	for (size_t i = 0; i < c->n_servers; i++) {
		free_list(c->servers[i].hostnames, c->servers[i].n_hostnames);
		free_list(c->servers[i].ip_addresses, c->servers[i].n_ip_addresses);
		free(c->servers[i].where);
	}
	free(c->servers);
	free(c->rack_id);
	free(c);
}

/* A list of non-empty strings at path. */
static void load_names(struct dcre_cfg_loader *ld, const cJSON *v, const char *path, char ***out,
                       size_t *n)
{
	const cJSON *s;
	if (!v)
		return;
	if (!cJSON_IsArray(v)) {
		dcre_cfg_problem(ld, path, "must be a list of strings");
		return;
	}
	cJSON_ArrayForEach(s, v)
	{
		if (!cJSON_IsString(s) || !s->valuestring[0]) {
			dcre_cfg_problem(ld, path, "must be a list of non-empty strings");
			continue;
		}
		*out = dcre_xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = dcre_xstrdup(s->valuestring);
	}
}

static void load_server(struct dcre_cfg_loader *ld, const cJSON *e, struct dcre_cfg_path *p,
                        struct fake_server *s)
{
	static const char *const keys[] = {"board_id", "hostnames", "ip_addresses", NULL};
	uint64_t id = 0;

	s->where = dcre_xasprintf("%s: %s", ld->file, dcre_cfg_path_text(p));
	if (!cJSON_IsObject(e)) {
		dcre_cfg_problem(ld, dcre_cfg_path_text(p), "must be an object");
		return;
	}
	dcre_cfg_check_keys(ld, e, dcre_cfg_path_text(p), keys);
	size_t old = dcre_cfg_path_key(p, "board_id");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "board_id");
	if (!v)
		dcre_cfg_problem(ld, dcre_cfg_path_text(p), "missing");
	else if (dcre_cfg_get_id(ld, v, dcre_cfg_path_text(p), 0xFFFFFFFFu, &id) &&
	         (id < FAKE_SERVER_LO || id > FAKE_SERVER_HI))
		dcre_cfg_problem(ld, dcre_cfg_path_text(p), "%08llx is outside %08x-%08x",
		                 (unsigned long long)id, FAKE_SERVER_LO, FAKE_SERVER_HI);
	s->board_id = (uint32_t)id;
	dcre_cfg_path_pop(p, old);
	old = dcre_cfg_path_key(p, "hostnames");
	load_names(ld, cJSON_GetObjectItemCaseSensitive(e, "hostnames"), dcre_cfg_path_text(p),
	           &s->hostnames, &s->n_hostnames);
	dcre_cfg_path_pop(p, old);
	old = dcre_cfg_path_key(p, "ip_addresses");
	load_names(ld, cJSON_GetObjectItemCaseSensitive(e, "ip_addresses"), dcre_cfg_path_text(p),
	           &s->ip_addresses, &s->n_ip_addresses);
	dcre_cfg_path_pop(p, old);
}

static void *fake_load(const struct dcre_transport *self, struct dcre_cfg_loader *ld,
                       const cJSON *section, const char *device)
{
	static const char *const keys[] = {"rack_id", "servers", NULL};
	struct fake_config *c = dcre_xcalloc(1, sizeof(*c));
	struct dcre_cfg_path p = {.len = 0};

	(void)device;
	c->rack_id = dcre_xstrdup("rack_1");
	if (!cJSON_IsObject(section)) {
		dcre_cfg_problem(ld, self->name, "must be an object");
		return c;
	}
	dcre_cfg_check_keys(ld, section, self->name, keys);
	dcre_cfg_get_string(ld, section, self->name, "rack_id", &c->rack_id);
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(section, "servers");
	if (!list)
		return c;
	dcre_cfg_path_key(&p, self->name);
	size_t old = dcre_cfg_path_key(&p, "servers");
	if (!cJSON_IsArray(list)) {
		dcre_cfg_problem(ld, dcre_cfg_path_text(&p), "must be a list");
		return c;
	}
	c->n_servers = (size_t)cJSON_GetArraySize(list);
	c->servers = dcre_xcalloc(c->n_servers ? c->n_servers : 1, sizeof(*c->servers));
	size_t i = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, list)
	{
		size_t at = dcre_cfg_path_index(&p, i);
		load_server(ld, e, &p, &c->servers[i++]);
		dcre_cfg_path_pop(&p, at);
	}
	dcre_cfg_path_pop(&p, old);
	return c;
}

static void fake_describe(const void *cfg, char *buf, size_t size)
{
	const struct fake_config *c = cfg;
	snprintf(buf, size, "fake bus and %zu fake server%s", c->n_servers,
	         c->n_servers == 1 ? "" : "s");
}

static bool fake_claim(const void *cfg, size_t i, struct dcre_claim *out)
{
	const struct fake_config *c = cfg;
	if (i >= c->n_servers)
		return false;
	const struct fake_server *s = &c->servers[i];
	memset(out, 0, sizeof(*out));
	out->board_id = s->board_id;
	out->where = s->where;
	out->hostnames = s->hostnames;
	out->n_hostnames = s->n_hostnames;
	out->hostnames_set = true;
	out->ip_addresses = s->ip_addresses;
	out->n_ip_addresses = s->n_ip_addresses;
	out->ip_addresses_set = true;
	return true;
}

/* ---- the fake bus: canned payloads through the PLC converters ---- */

static const char *answer;
static size_t answer_len;

void fake_bus_set_answer(const char *data, size_t len)
{
	answer = data;
	answer_len = len;
}

/* The canned payload p, or the answer set for all. */
static const char *payload(const char *p, size_t *len)
{
	if (answer) {
		*len = answer_len;
		return answer;
	}
	*len = strlen(p);
	return p;
}

static enum dcre_err bus_fail(enum dcre_err e, const struct dcre_target *t, struct dcre_msg *msg)
{
	dcre_msg_prefix(msg, "Fake bus: board %s device %s: ", t->board_hex, t->device_hex);
	return e;
}

/* Payloads a board might answer to a read: the first that converts for the
 * requested type is the answer, else the last conversion error. */
static const char *const read_payloads[] = {"656",  "27.5", "483156808",  "101.3", "1510",
                                            "4100", "0",    "1,00ff00,0", "-3.5",  "1"};

static enum dcre_err bus_read(struct dcre_backend *b, const struct dcre_target *t, const char *type,
                              struct dcre_reading *out, struct dcre_msg *msg)
{
	enum dcre_err e = DCRE_EINTERNAL;
	(void)b;
	for (size_t i = 0; i < sizeof(read_payloads) / sizeof(read_payloads[0]); i++) {
		size_t n;
		const char *p = payload(read_payloads[i], &n);
		e = plc_convert_read(t->rules, type, p, n, out, msg);
		if (!e)
			return DCRE_OK;
		dcre_reading_clear(out);
	}
	return bus_fail(e, t, msg);
}

static enum dcre_err bus_version(struct dcre_backend *b, const struct dcre_target *t,
                                 char **firmware, struct dcre_msg *msg)
{
	static const char fw[] = "Fake firmware v1.3 \xc2\xb5"
	                         "C \xff";
	(void)b;
	(void)msg;
	if (answer)
		*firmware = dcre_text_clean(answer, answer_len);
	else
		*firmware = dcre_text_clean(fw, sizeof(fw) - 1 - (t->board & 1));
	return DCRE_OK;
}

static void bus_board(struct dcre_boards *bs, uint32_t id)
{
	static const char *const types[] = {"thermistor", "humidity",  "led",
	                                    "fan_speed",  "power",     "system",
	                                    "vapor_led",  "vapor_fan", "pressure"};
	struct dcre_board *board = dcre_boards_add(bs, id, "fake");
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		dcre_board_add_device(board, (uint16_t)(i + 1), types[i], NULL);
}

static enum dcre_err bus_scan_board(struct dcre_backend *b, const struct dcre_target *t,
                                    struct dcre_boards *out, struct dcre_msg *msg)
{
	(void)b;
	if (t->board == FAKE_BUS_SILENT)
		return dcre_msg_set(msg, DCRE_ETIMEDOUT, "Fake bus: board %08x: no response",
		                    t->board);
	bus_board(out, t->board);
	return DCRE_OK;
}

static enum dcre_err bus_scan_all(struct dcre_backend *b, struct dcre_boards *out,
                                  struct dcre_msg *msg)
{
	(void)b;
	(void)msg;
	bus_board(out, FAKE_BUS_LO + 1);
	bus_board(out, FAKE_BUS_LO + 2);
	return DCRE_OK;
}

static enum dcre_err bus_power(struct dcre_backend *b, const struct dcre_target *t,
                               const char *type, enum dcre_power_action action,
                               struct dcre_power *out, struct dcre_msg *msg)
{
	const char *p = action == DCRE_POWER_OFF ? "64,0,0,0" : "0,12000,2400,3356";
	size_t n;
	(void)b;
	if (type && strcmp(type, "vapor_battery") == 0)
		p = "charging,98";
	p = payload(p, &n);
	enum dcre_err e = plc_convert_power(t->rules, p, n, out, msg);
	return e ? bus_fail(e, t, msg) : DCRE_OK;
}

static enum dcre_err bus_asset(struct dcre_backend *b, const struct dcre_target *t,
                               struct dcre_asset *out, struct dcre_msg *msg)
{
	static const char p[] = "Vapor IO,VIO-SB-100,Fake Board \xe2\x84\xa2,SB0001234,rack mount "
	                        "chassis,VIO-CH-200,CH0005678,ASSET-0001,Vapor IO,VIO-SRV-300,"
	                        "Fake Server,SRV0009012,v1.3";
	size_t n;
	const char *a = payload(p, &n);
	(void)b;
	if (t->rules & DCRE_RULE_BUS_NO_ASSET_BOOT)
		return dcre_msg_set(msg, DCRE_ENOTSUP,
		                    "Asset information via Fake bus not supported. (board %s)",
		                    t->board_hex);
	enum dcre_err e = plc_convert_asset(a, n, out, msg);
	return e ? bus_fail(e, t, msg) : DCRE_OK;
}

static enum dcre_err bus_boot_target(struct dcre_backend *b, const struct dcre_target *t,
                                     enum dcre_boot_target target, struct dcre_boot *now,
                                     struct dcre_msg *msg)
{
	static const char *const answers[] = {"B0", "B1", "B2"};
	const char *p = target == DCRE_BOOT_GET ? "B0" : answers[target];
	size_t n;
	(void)b;
	if (t->rules & DCRE_RULE_BUS_NO_ASSET_BOOT)
		return dcre_msg_set(msg, DCRE_ENOTSUP,
		                    "Boot target operation via Fake bus not supported. (board %s)",
		                    t->board_hex);
	p = payload(p, &n);
	enum dcre_err e = plc_convert_boot_target(p, n, &now->target, msg);
	return e ? bus_fail(e, t, msg) : DCRE_OK;
}

static enum dcre_err bus_led(struct dcre_backend *b, const struct dcre_target *t,
                             enum dcre_led_set set, struct dcre_led *out, struct dcre_msg *msg)
{
	const char *p = set == DCRE_LED_ON ? "1" : "0";
	struct dcre_reading r = {0};
	size_t n;
	(void)b;
	p = payload(p, &n);
	enum dcre_err e = plc_convert_read(t->rules, "led", p, n, &r, msg);
	if (!e) {
		out->state = dcre_xstrdup(r.led == DCRE_TRI_YES ? "on" : "off");
		out->color_unknown = false;
	}
	dcre_reading_clear(&r);
	return e ? bus_fail(e, t, msg) : DCRE_OK;
}

static enum dcre_err bus_chamber_led(struct dcre_backend *b, const struct dcre_target *t,
                                     const struct dcre_chamber_set *set,
                                     struct dcre_chamber_led *out, struct dcre_msg *msg)
{
	char p[64];
	(void)b;
	/* the board echoes what it was told, no_override keeping 1,00ff00,0 */
	int n = snprintf(p, sizeof(p), "%d,%s,%d", set->state >= 0 ? set->state : 1,
	                 set->color ? set->color : "00ff00", set->blink >= 0 ? set->blink : 0);
	if (n < 0 || (size_t)n >= sizeof(p))
		return dcre_msg_set(msg, DCRE_EINVAL, "Fake bus: chamber LED text too long");
	enum dcre_err e = answer ? plc_convert_chamber_led(answer, answer_len, out, msg)
	                         : plc_convert_chamber_led(p, (size_t)n, out, msg);
	return e ? bus_fail(e, t, msg) : DCRE_OK;
}

static enum dcre_err bus_fan(struct dcre_backend *b, const struct dcre_target *t,
                             const struct dcre_fan_set *set, struct dcre_reading *out,
                             struct dcre_msg *msg)
{
	size_t n;
	const char *speed = payload(set ? set->digits : "4100", &n);
	(void)b;
	enum dcre_err e = plc_convert_read(t->rules, "fan_speed", speed, n, out, msg);
	return e ? bus_fail(e, t, msg) : DCRE_OK;
}

static enum dcre_err bus_host_info(struct dcre_backend *b, const struct dcre_target *t,
                                   struct dcre_host_info *out, struct dcre_msg *msg)
{
	static const char p[] = "i192.0.2.10,hdemo-server-1,htest-\xc3\xa9";
	size_t n;
	const char *a = payload(p, &n);
	(void)b;
	enum dcre_err e = plc_convert_host_info(a, n, out, msg);
	return e ? bus_fail(e, t, msg) : DCRE_OK;
}

static enum dcre_err bus_config_facts(struct dcre_backend *b, struct dcre_facts *out,
                                      struct dcre_msg *msg)
{
	(void)b;
	(void)msg;
	dcre_facts_add_text(out, "modem", "fake");
	dcre_facts_add_int(out, "retries", 3);
	return DCRE_OK;
}

static void fake_free(struct dcre_backend *b)
{
	free(b);
}

static const struct dcre_backend_ops bus_ops = {
    .name = "Fake bus",
    .version = bus_version,
    .scan_board = bus_scan_board,
    .scan_all = bus_scan_all,
    .read = bus_read,
    .power = bus_power,
    .asset = bus_asset,
    .boot_target = bus_boot_target,
    .led = bus_led,
    .chamber_led = bus_chamber_led,
    .fan = bus_fan,
    .host_info = bus_host_info,
    .config_facts = bus_config_facts,
    .free = fake_free,
};

/* ---- the fake servers: one board each, typed answers of their own ---- */

static const struct {
	uint16_t id;
	const char *type, *name;
} sensors[] = {
    {0x0100, "power", "power"},
    {0x0200, "system", "system"},
    {0x0300, "led", "led"},
    {0x0000, "temperature", "CPU Temp"},
    {0x0001, "fan_speed", "Fan 1"},
    {0x0002, "voltage", "12V \xc2\xb1"},
    {0x0003, "power_supply", "PSU 1"},
};

static void server_board(const struct dcre_backend *b, struct dcre_boards *bs)
{
	struct dcre_board *r = dcre_boards_add(bs, b->board_lo, b->kind);
	r->index = b->index;
	r->has_names = true;
	for (size_t i = 0; i < b->n_hostnames; i++)
		dcre_strv_add(&r->hostnames, b->hostnames[i]);
	for (size_t i = 0; i < b->n_ip_addresses; i++)
		dcre_strv_add(&r->ip_addresses, b->ip_addresses[i]);
	for (size_t i = 0; i < sizeof(sensors) / sizeof(sensors[0]); i++) {
		char *t = dcre_text_clean(sensors[i].name, strlen(sensors[i].name));
		dcre_board_add_device(r, sensors[i].id, sensors[i].type, t);
		free(t);
	}
}

static enum dcre_err server_scan_board(struct dcre_backend *b, const struct dcre_target *t,
                                       struct dcre_boards *out, struct dcre_msg *msg)
{
	(void)t;
	(void)msg;
	server_board(b, out);
	return DCRE_OK;
}

static enum dcre_err server_scan_all(struct dcre_backend *b, struct dcre_boards *out,
                                     struct dcre_msg *msg)
{
	return server_scan_board(b, NULL, out, msg);
}

static enum dcre_err server_read(struct dcre_backend *b, const struct dcre_target *t,
                                 const char *type, struct dcre_reading *out, struct dcre_msg *msg)
{
	const char *dev = t->device_name ? t->device_name : t->device_hex;
	for (size_t i = 3; i < sizeof(sensors) / sizeof(sensors[0]); i++) {
		bool match = t->device_name ? strcasecmp(sensors[i].name, t->device_name) == 0
		                            : sensors[i].id == t->device;
		if (!match || strcmp(sensors[i].type, type) != 0)
			continue;
		if (strcmp(type, "power_supply") == 0) {
			if (t->rules & DCRE_RULE_VALUE_REQUIRED)
				return dcre_msg_set(
				    msg, DCRE_ENOTSUP,
				    "Fake server board %08x: device %s has no value", b->board_lo,
				    dev);
		} else {
			enum dcre_quantity q = strcmp(type, "temperature") == 0 ? DCRE_Q_TEMPERATURE
			                       : strcmp(type, "fan_speed") == 0 ? DCRE_Q_FAN_SPEED
			                                                        : DCRE_Q_VOLTAGE;
			dcre_num_set_double(&out->q[q], q == DCRE_Q_VOLTAGE ? 12.125 : 42.0);
		}
		out->has_health = true;
		out->health = dcre_xstrdup("warning");
		dcre_strv_add(&out->states, "upper non-critical");
		return DCRE_OK;
	}
	return dcre_msg_set(msg, DCRE_ENODEV, "Fake server board %08x has no %s device '%s'",
	                    b->board_lo, type, dev);
}

static enum dcre_err server_power(struct dcre_backend *b, const struct dcre_target *t,
                                  const char *type, enum dcre_power_action action,
                                  struct dcre_power *out, struct dcre_msg *msg)
{
	(void)b;
	(void)t;
	(void)type;
	(void)msg;
	snprintf(out->state, sizeof(out->state), "%s", action == DCRE_POWER_OFF ? "off" : "on");
	out->power_ok = DCRE_TRI_YES;
	out->input_power.kind = DCRE_NUM_UNKNOWN;
	return DCRE_OK;
}

static enum dcre_err server_asset(struct dcre_backend *b, const struct dcre_target *t,
                                  struct dcre_asset *out, struct dcre_msg *msg)
{
	(void)t;
	(void)msg;
	out->field[DCRE_ASSET_BOARD_MANUFACTURER] = dcre_xstrdup("Vendor");
	out->field[DCRE_ASSET_BOARD_PART_NUMBER] = dcre_xstrdup("Board \xe2\x84\xa2");
	out->field[DCRE_ASSET_BOARD_SERIAL_NUMBER] = dcre_xstrdup("SN1");
	out->field[DCRE_ASSET_CHASSIS_TYPE] = dcre_xstrdup("Rack Mount Chassis");
	out->address_key = "fake_ip";
	out->address = dcre_xstrdup(b->n_ip_addresses ? b->ip_addresses[0] : "");
	return DCRE_OK;
}

static enum dcre_err server_boot_target(struct dcre_backend *b, const struct dcre_target *t,
                                        enum dcre_boot_target target, struct dcre_boot *now,
                                        struct dcre_msg *msg)
{
	(void)b;
	(void)t;
	(void)msg;
	now->target = target == DCRE_BOOT_GET ? DCRE_BOOT_UNKNOWN : target;
	return DCRE_OK;
}

static enum dcre_err server_led(struct dcre_backend *b, const struct dcre_target *t,
                                enum dcre_led_set set, struct dcre_led *out, struct dcre_msg *msg)
{
	static const char *const states[] = {"blinking", "on", "off", "off"};
	(void)b;
	(void)t;
	(void)msg;
	out->state = dcre_xstrdup(states[set]);
	out->color_unknown = true;
	return DCRE_OK;
}

static enum dcre_err server_host_info(struct dcre_backend *b, const struct dcre_target *t,
                                      struct dcre_host_info *out, struct dcre_msg *msg)
{
	(void)t;
	(void)msg;
	for (size_t i = 0; i < b->n_hostnames; i++)
		dcre_strv_add(&out->hostnames, b->hostnames[i]);
	for (size_t i = 0; i < b->n_ip_addresses; i++)
		dcre_strv_add(&out->ip_addresses, b->ip_addresses[i]);
	return DCRE_OK;
}

/* no version, fan or chamber LED: operations a server does not support */
static const struct dcre_backend_ops server_ops = {
    .name = "Fake server",
    .scan_board = server_scan_board,
    .scan_all = server_scan_all,
    .read = server_read,
    .power = server_power,
    .asset = server_asset,
    .boot_target = server_boot_target,
    .led = server_led,
    .host_info = server_host_info,
    .free = fake_free,
};

static void fake_open(const void *cfg, void *state, struct dcre_backends *out)
{
	const struct fake_config *c = cfg;
	(void)state;
	struct dcre_backend *b = dcre_xcalloc(1, sizeof(*b));
	b->ops = &bus_ops;
	b->kind = "fake";
	b->rack_id = c->rack_id;
	b->board_lo = FAKE_BUS_LO;
	b->board_hi = FAKE_BUS_HI;
	b->index = -1;
	b->time_unit = 0.1;
	dcre_backends_add(out, b);
	for (size_t i = 0; i < c->n_servers; i++) {
		const struct fake_server *s = &c->servers[i];
		b = dcre_xcalloc(1, sizeof(*b));
		b->ops = &server_ops;
		b->kind = "fake";
		b->rack_id = c->rack_id;
		b->one_board = true;
		b->board_lo = b->board_hi = s->board_id;
		b->index = (int)i;
		b->hostnames = s->hostnames;
		b->n_hostnames = s->n_hostnames;
		b->ip_addresses = s->ip_addresses;
		b->n_ip_addresses = s->n_ip_addresses;
		b->time_unit = 0.1;
		dcre_backends_add(out, b);
	}
}

const struct dcre_transport_hooks dcre_fake_hooks = {
    .load = fake_load,
    .free_config = fake_free_config,
    .describe = fake_describe,
    .claim = fake_claim,
    .open = fake_open,
};
