/* SPDX-License-Identifier: MIT */
/* Data file loading and validation (emulator.md §3, §7, §8, §9). */
#include "emu_data.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "cfgload.h"
#include "log.h"
#include "plc_device.h"
#include "number.h"

/* Validation context: core's configuration reader (file name, first problem
 * into why, unknown keys as warnings) and the key path of the node being
 * checked, for messages such as
 * "demo.json: boards[1].devices[0].read.responses[2]: ...". */
struct loader {
	struct dcre_cfg_loader cfg;
	struct dcre_cfg_path path;
	size_t max_raw;
};

__attribute__((format(printf, 2, 3))) static enum dcre_err fail(struct loader *ld, const char *fmt,
                                                                ...)
{
	char problem[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(problem, sizeof(problem), fmt, ap);
	va_end(ap);
	dcre_cfg_problem(&ld->cfg, dcre_cfg_path_text(&ld->path), "%s", problem);
	return DCRE_ECONFIG;
}

static size_t push_key(struct loader *ld, const char *key)
{
	return dcre_cfg_path_key(&ld->path, key);
}

static size_t push_index(struct loader *ld, size_t i)
{
	return dcre_cfg_path_index(&ld->path, i);
}

static void pop(struct loader *ld, size_t old)
{
	dcre_cfg_path_pop(&ld->path, old);
}

static const char *jtype(const cJSON *j)
{
	return dcre_cfg_type_name(j);
}

static const cJSON *get(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* Unknown keys are warnings (ld->cfg.lenient), as in the service's device
 * files. */
static void warn_unknown(struct loader *ld, const cJSON *obj, const char *const *known)
{
	dcre_cfg_check_keys(&ld->cfg, obj, ld->path.buf, known);
}

/* ---- items ----------------------------------------------------------------- */

/* Text a value is sent as (emulator.md §3): string bytes, integer literal
 * digits, Python 2 str() of other numbers, True/False. */
static enum dcre_err value_text(struct loader *ld, const cJSON *j, bool allow_bool, uint8_t *out,
                                size_t *len)
{
	char buf[DCRE_NUMBER_BUFSZ];
	const char *t;
	size_t n;

	if (cJSON_IsString(j)) {
		t = j->valuestring;
	} else if (cJSON_IsNumber(j)) {
		if (dcre_cfg_is_int_literal(j)) {
			t = j->valuestring;
		} else {
			dcre_number_format_py2str(j->valuedouble, buf);
			t = buf;
		}
	} else if (allow_bool && cJSON_IsBool(j)) {
		t = cJSON_IsTrue(j) ? "True" : "False";
	} else {
		return fail(ld, "wrong type: expected %s, got %s",
		            allow_bool ? "a string, number or boolean" : "a string or number",
		            jtype(j));
	}
	n = strlen(t);
	if (n > PLC_MAX_DATA)
		return fail(ld, "%s gives %zu bytes of packet data, more than %d",
		            cJSON_IsString(j) ? "string" : "value", n, PLC_MAX_DATA);
	memcpy(out, t, n);
	*len = n;
	return DCRE_OK;
}

static enum dcre_err parse_raw(struct loader *ld, const cJSON *j, struct emu_item *it)
{
	size_t n, i = 0;

	if (!cJSON_IsArray(j))
		return fail(ld, "wrong type: expected a list of raw bytes, got %s", jtype(j));
	n = (size_t)cJSON_GetArraySize(j);
	it->kind = EMU_ITEM_RAW;
	it->len = n;
	it->raw = dcre_xcalloc(n ? n : 1, sizeof(*it->raw));
	if (n > ld->max_raw)
		ld->max_raw = n;
	for (const cJSON *c = j->child; c; c = c->next, i++) {
		size_t old = push_index(ld, i);
		long v;
		if (!cJSON_IsNumber(c) || !dcre_cfg_is_int_literal(c)) {
			enum dcre_err rc = fail(ld, "raw byte must be an integer, got %s%s%s",
			                        jtype(c), cJSON_IsNumber(c) ? " " : "",
			                        cJSON_IsNumber(c) ? c->valuestring : "");
			pop(ld, old);
			return rc;
		}
		errno = 0;
		v = strtol(c->valuestring, NULL, 10);
		if (errno || v < 0 ||
		    (v > 255 && v != EMU_RAW_SEQ && (v < EMU_RAW_SUM || v > EMU_RAW_SUM_MAX))) {
			enum dcre_err rc =
			    fail(ld, "raw byte %s out of range (0-255, 999 or 1000-1255)",
			         c->valuestring);
			pop(ld, old);
			return rc;
		}
		it->raw[i] = (uint16_t)v;
		pop(ld, old);
	}
	return DCRE_OK;
}

static enum dcre_err parse_item(struct loader *ld, const cJSON *j, struct emu_item *it)
{
	uint8_t buf[PLC_MAX_DATA];
	enum dcre_err rc;

	if (cJSON_IsNull(j)) {
		it->kind = EMU_ITEM_NULL;
		return DCRE_OK;
	}
	if (cJSON_IsArray(j))
		return parse_raw(ld, j, it);
	if (cJSON_IsObject(j))
		return fail(ld, "wrong type: expected a string, number, boolean, list of raw "
		                "bytes or null, got an object");
	rc = value_text(ld, j, true, buf, &it->len);
	if (rc)
		return rc;
	it->kind = EMU_ITEM_TEXT;
	it->text = dcre_xmalloc(it->len ? it->len : 1);
	memcpy(it->text, buf, it->len);
	return DCRE_OK;
}

/* A list of response items (raw_only: each must be a raw byte list). */
static enum dcre_err parse_list(struct loader *ld, const cJSON *j, bool raw_only,
                                struct emu_list *l)
{
	size_t i = 0;

	if (!cJSON_IsArray(j))
		return fail(ld, "wrong type: expected a list, got %s", jtype(j));
	l->n = (size_t)cJSON_GetArraySize(j);
	l->items = dcre_xcalloc(l->n ? l->n : 1, sizeof(*l->items));
	for (const cJSON *c = j->child; c; c = c->next, i++) {
		size_t old = push_index(ld, i);
		enum dcre_err rc =
		    raw_only ? parse_raw(ld, c, &l->items[i]) : parse_item(ld, c, &l->items[i]);
		pop(ld, old);
		if (rc)
			return rc;
	}
	return DCRE_OK;
}

/* Parse obj[key] with fn-like dispatch; absent keys are left alone. */
static enum dcre_err keyed_list(struct loader *ld, const cJSON *obj, const char *key, bool raw_only,
                                bool *present, struct emu_list *l)
{
	const cJSON *j = get(obj, key);
	enum dcre_err rc;
	size_t old;

	if (!j)
		return DCRE_OK;
	old = push_key(ld, key);
	rc = parse_list(ld, j, raw_only, l);
	pop(ld, old);
	*present = true;
	return rc;
}

static const char *const section_keys[] = {"repeatable", "responses", "retry_responses", NULL};

static enum dcre_err parse_section(struct loader *ld, const cJSON *j, struct emu_section *s)
{
	const cJSON *rep, *resp;
	enum dcre_err rc;
	size_t old;

	if (!cJSON_IsObject(j))
		return fail(ld,
		            "wrong type: expected an action section (an object with "
		            "\"responses\"), got %s",
		            jtype(j));
	s->present = true;
	warn_unknown(ld, j, section_keys);
	rep = get(j, "repeatable");
	if (rep && !cJSON_IsBool(rep)) {
		old = push_key(ld, "repeatable");
		rc = fail(ld, "wrong type: expected a boolean, got %s", jtype(rep));
		pop(ld, old);
		return rc;
	}
	s->responses.wrap = rep && cJSON_IsTrue(rep);
	resp = get(j, "responses");
	if (!resp)
		return fail(ld, "missing key \"responses\"");
	old = push_key(ld, "responses");
	rc = parse_list(ld, resp, false, &s->responses);
	pop(ld, old);
	if (rc)
		return rc;
	s->retry.wrap = true;
	return keyed_list(ld, j, "retry_responses", false, &s->has_retry, &s->retry);
}

/* ---- ids --------------------------------------------------------------------- */

/* Hex id text: optional whitespace, optional 0x/0X, hex digits (any number
 * of leading zeros), optional whitespace. */
static enum dcre_err parse_id(struct loader *ld, const cJSON *obj, const char *key, uint32_t max,
                              uint32_t *out, char **text)
{
	const cJSON *j = get(obj, key);
	enum dcre_err rc = DCRE_OK;
	struct dcre_hexid id;
	size_t old;

	if (!j)
		return fail(ld, "missing key \"%s\"", key);
	old = push_key(ld, key);
	if (!cJSON_IsString(j)) {
		rc = fail(ld, "wrong type: expected a hex string, got %s", jtype(j));
		goto out;
	}
	/* the API's hex id rule, without a sign */
	if (strpbrk(j->valuestring, "+-") ||
	    dcre_number_parse_hex(j->valuestring, &id) != DCRE_OK) {
		rc = fail(ld, "\"%s\" is not a hexadecimal id", j->valuestring);
		goto out;
	}
	if (id.overflow || id.value > max) {
		rc = fail(ld, "id \"%s\" is larger than 0x%x", j->valuestring, max);
		goto out;
	}
	uint64_t v = id.value;
	*out = (uint32_t)v;
	if (text)
		*text = dcre_xstrdup(j->valuestring);
out:
	pop(ld, old);
	return rc;
}

/* ---- stateful values ------------------------------------------------------ */

static const char *const key_names[EMU_KEY_COUNT] = {
    [EMU_KEY_READ] = "read",
    [EMU_KEY_WRITE] = "write",
    [EMU_KEY_POWER] = "power",
    [EMU_KEY_BOOT] = "boot_target",
    [EMU_KEY_ON] = "on",
    [EMU_KEY_OFF] = "off",
    [EMU_KEY_HDD] = "hdd",
    [EMU_KEY_PXE] = "pxe",
    [EMU_KEY_NO_OVERRIDE] = "no_override",
};

static bool key_allows_list(enum emu_key k)
{
	return k == EMU_KEY_POWER || k == EMU_KEY_ON || k == EMU_KEY_OFF;
}

static enum dcre_err parse_value(struct loader *ld, const cJSON *j, bool allow_list,
                                 struct emu_value *v)
{
	size_t len, i = 0;
	enum dcre_err rc;

	if (!cJSON_IsArray(j)) {
		if (cJSON_IsObject(j))
			return fail(ld,
			            "wrong type: expected a plain value (a string or number%s) "
			            "because the device has \"has_state\", got an object",
			            allow_list ? " or a list of strings" : "");
		v->v = dcre_xcalloc(1, sizeof(*v->v));
		v->n = 1;
		rc = value_text(ld, j, false, v->v[0].b, &len);
		v->v[0].len = (uint8_t)len;
		return rc;
	}
	if (!allow_list)
		return fail(ld, "wrong type: expected a string or number, got a list");
	v->n = (size_t)cJSON_GetArraySize(j);
	if (v->n == 0)
		return fail(ld, "empty list");
	v->v = dcre_xcalloc(v->n, sizeof(*v->v));
	for (const cJSON *c = j->child; c; c = c->next, i++) {
		size_t old = push_index(ld, i);
		rc = value_text(ld, c, false, v->v[i].b, &len);
		v->v[i].len = (uint8_t)len;
		pop(ld, old);
		if (rc)
			return rc;
	}
	return DCRE_OK;
}

/* ---- devices and boards ------------------------------------------------------ */

static const char *const action_keys[EMU_ACT_COUNT] = {
    [EMU_ACT_READ] = "read",        [EMU_ACT_WRITE] = "write",      [EMU_ACT_POWER] = "power",
    [EMU_ACT_ASSET] = "asset_info", [EMU_ACT_BOOT] = "boot_target", [EMU_ACT_HOST] = "host_info",
};

static const char *const device_keys[] = {"device_id", "device_type", "has_state",  "read",
                                          "write",     "power",       "asset_info", "boot_target",
                                          "host_info", "on",          "off",        "hdd",
                                          "pxe",       "no_override", NULL};

static enum dcre_err require_keys(struct loader *ld, const cJSON *j, const char *because,
                                  const char *const *keys)
{
	for (size_t i = 0; keys[i]; i++)
		if (!get(j, keys[i]))
			return fail(ld, "missing key \"%s\" (needed with %s)", keys[i], because);
	return DCRE_OK;
}

static enum dcre_err parse_device(struct loader *ld, const cJSON *j, struct emu_device *d)
{
	static const char *const power_needs[] = {"on", "off", NULL};
	static const char *const boot_needs[] = {"hdd", "pxe", "no_override", NULL};
	const cJSON *t, *hs;
	enum dcre_err rc = DCRE_OK;
	uint32_t id;
	size_t old;

	if (!cJSON_IsObject(j))
		return fail(ld, "wrong type: expected a device object, got %s", jtype(j));
	warn_unknown(ld, j, device_keys);
	rc = parse_id(ld, j, "device_id", 0xFFFF, &id, NULL);
	if (rc)
		return rc;
	d->id = (uint16_t)id;
	t = get(j, "device_type");
	if (!t)
		return fail(ld, "missing key \"device_type\"");
	old = push_key(ld, "device_type");
	if (!cJSON_IsString(t))
		rc = fail(ld, "wrong type: expected a device type name, got %s", jtype(t));
	else if (!plc_device_type_known(t->valuestring))
		rc = fail(ld, "unknown device type \"%s\"", t->valuestring);
	pop(ld, old);
	if (rc)
		return rc;
	d->type_name = dcre_xstrdup(t->valuestring);
	d->type_code = plc_device_type_code(d->type_name);
	d->fan = strcmp(d->type_name, "fan_speed") == 0 || strcmp(d->type_name, "vapor_fan") == 0;
	d->power_any = strcmp(d->type_name, "power") == 0 ||
	               strcmp(d->type_name, "vapor_rectifier") == 0 ||
	               strcmp(d->type_name, "vapor_battery") == 0;

	hs = get(j, "has_state");
	if (hs && !cJSON_IsBool(hs)) {
		old = push_key(ld, "has_state");
		rc = fail(ld, "wrong type: expected a boolean, got %s", jtype(hs));
		pop(ld, old);
		return rc;
	}
	d->has_state = hs && cJSON_IsTrue(hs);

	if (d->has_state) {
		if (get(j, "power") &&
		    (rc = require_keys(ld, j, "a stateful \"power\"", power_needs)))
			return rc;
		if (get(j, "boot_target") &&
		    (rc = require_keys(ld, j, "a stateful \"boot_target\"", boot_needs)))
			return rc;
		for (int k = 0; k < EMU_KEY_COUNT; k++) {
			const cJSON *v = get(j, key_names[k]);
			if (!v)
				continue;
			old = push_key(ld, key_names[k]);
			rc = parse_value(ld, v, key_allows_list((enum emu_key)k), &d->val[k]);
			pop(ld, old);
			if (rc)
				return rc;
		}
	} else {
		for (int k = EMU_KEY_ON; k < EMU_KEY_COUNT; k++)
			if (get(j, key_names[k]))
				dcre_warn("%s: %s.%s: ignored: only used with \"has_state\": true",
				          ld->cfg.file, ld->path.buf, key_names[k]);
	}
	for (int a = 0; a < EMU_ACT_COUNT; a++) {
		const cJSON *s = get(j, action_keys[a]);
		if (!s || (d->has_state && a != EMU_ACT_ASSET && a != EMU_ACT_HOST))
			continue;
		old = push_key(ld, action_keys[a]);
		rc = parse_section(ld, s, &d->sec[a]);
		pop(ld, old);
		if (rc)
			return rc;
	}
	return DCRE_OK;
}

static enum dcre_err parse_raw_data(struct loader *ld, const cJSON *j, struct emu_board *b)
{
	size_t i = 0;

	if (!cJSON_IsArray(j))
		return fail(ld, "wrong type: expected a list of dump answers, got %s", jtype(j));
	b->has_raw_data = true;
	b->nraw_data = (size_t)cJSON_GetArraySize(j);
	b->raw_data = dcre_xcalloc(b->nraw_data ? b->nraw_data : 1, sizeof(*b->raw_data));
	for (const cJSON *c = j->child; c; c = c->next, i++) {
		struct emu_dump *e = &b->raw_data[i];
		size_t old = push_index(ld, i);
		enum dcre_err rc = DCRE_OK;
		if (cJSON_IsNull(c)) {
			e->null = true;
		} else if (!cJSON_IsArray(c)) {
			rc = fail(ld,
			          "wrong type: expected a list of raw byte lists or null, got %s",
			          jtype(c));
		} else {
			struct emu_list l = {0};
			rc = parse_list(ld, c, true, &l);
			e->pkts = l.items;
			e->n = l.n;
		}
		pop(ld, old);
		if (rc)
			return rc;
	}
	return DCRE_OK;
}

static const char *const board_keys[] = {"board_id", "firmware_version", "retry_firmware_version",
                                         "raw_data", "retry_raw_data",   "devices",
                                         NULL};

static enum dcre_err parse_board(struct loader *ld, const cJSON *j, struct emu_board *b)
{
	const cJSON *fw, *rd, *devs;
	enum dcre_err rc;
	size_t old, i = 0;

	if (!cJSON_IsObject(j))
		return fail(ld, "wrong type: expected a board object, got %s", jtype(j));
	warn_unknown(ld, j, board_keys);
	rc = parse_id(ld, j, "board_id", 0xFFFFFFFFu, &b->id, &b->id_text);
	if (rc)
		return rc;

	fw = get(j, "firmware_version");
	if (!fw)
		return fail(ld, "missing key \"firmware_version\"");
	old = push_key(ld, "firmware_version");
	if (cJSON_IsString(fw) || cJSON_IsArray(fw))
		rc = parse_item(ld, fw, &b->firmware);
	else
		rc = fail(ld, "wrong type: expected a string or a list of raw bytes, got %s",
		          jtype(fw));
	pop(ld, old);
	if (rc)
		return rc;

	b->retry_fw.wrap = true;
	rc = keyed_list(ld, j, "retry_firmware_version", true, &b->has_retry_fw, &b->retry_fw);
	if (rc)
		return rc;
	b->retry_raw.wrap = true;
	rc = keyed_list(ld, j, "retry_raw_data", true, &b->has_retry_raw, &b->retry_raw);
	if (rc)
		return rc;
	rd = get(j, "raw_data");
	if (rd) {
		old = push_key(ld, "raw_data");
		rc = parse_raw_data(ld, rd, b);
		pop(ld, old);
		if (rc)
			return rc;
	}

	/* OpenDCRE's own data files have boards that only answer scans: no
	 * "devices" key means no devices (silence for device commands). */
	devs = get(j, "devices");
	if (!devs) {
		b->devices = dcre_xcalloc(1, sizeof(*b->devices));
		return DCRE_OK;
	}
	old = push_key(ld, "devices");
	if (!cJSON_IsArray(devs)) {
		rc = fail(ld, "wrong type: expected a list of devices, got %s", jtype(devs));
		pop(ld, old);
		return rc;
	}
	b->ndevices = (size_t)cJSON_GetArraySize(devs);
	b->devices = dcre_xcalloc(b->ndevices ? b->ndevices : 1, sizeof(*b->devices));
	for (const cJSON *c = devs->child; c && !rc; c = c->next, i++) {
		size_t o2 = push_index(ld, i);
		rc = parse_device(ld, c, &b->devices[i]);
		pop(ld, o2);
	}
	pop(ld, old);
	return rc;
}

/* ---- scan-all scenarios ------------------------------------------------------ */

static enum dcre_err parse_result(struct loader *ld, const cJSON *j, struct emu_result *r)
{
	static const char *const keys[] = {"result", "failed_board", NULL};
	const cJSON *res, *fb;
	enum dcre_err rc = DCRE_OK;
	size_t old;

	if (!cJSON_IsObject(j))
		return fail(ld, "wrong type: expected a result object, got %s", jtype(j));
	warn_unknown(ld, j, keys);
	res = get(j, "result");
	if (!res)
		return fail(ld, "missing key \"result\"");
	old = push_key(ld, "result");
	if (!cJSON_IsString(res))
		rc = fail(ld, "wrong type: expected \"ok\" or \"error\", got %s", jtype(res));
	else if (strcmp(res->valuestring, "ok") == 0)
		r->error = false;
	else if (strcmp(res->valuestring, "error") == 0)
		r->error = true;
	else
		rc = fail(ld, "unknown result \"%s\" (expected \"ok\" or \"error\")",
		          res->valuestring);
	pop(ld, old);
	if (rc || !r->error)
		return rc;
	fb = get(j, "failed_board");
	if (!fb)
		return fail(ld, "missing key \"failed_board\" (needed with \"result\": \"error\")");
	if (!cJSON_IsString(fb)) {
		old = push_key(ld, "failed_board");
		rc = fail(ld, "wrong type: expected a board id string, got %s", jtype(fb));
		pop(ld, old);
		return rc;
	}
	r->failed_board = dcre_xstrdup(fb->valuestring);
	return DCRE_OK;
}

static enum dcre_err parse_scenario(struct loader *ld, const cJSON *j, struct emu_scenario *s)
{
	static const char *const keys[] = {"initial", "retry", NULL};
	const cJSON *ini, *re;
	enum dcre_err rc;
	size_t old, i = 0;

	if (!cJSON_IsObject(j))
		return fail(ld, "wrong type: expected a scenario object, got %s", jtype(j));
	warn_unknown(ld, j, keys);
	ini = get(j, "initial");
	if (!ini)
		return fail(ld, "missing key \"initial\"");
	old = push_key(ld, "initial");
	rc = parse_result(ld, ini, &s->initial);
	pop(ld, old);
	if (rc)
		return rc;
	re = get(j, "retry");
	if (!re)
		return DCRE_OK;
	old = push_key(ld, "retry");
	if (!cJSON_IsArray(re)) {
		rc = fail(ld, "wrong type: expected a list of results, got %s", jtype(re));
		pop(ld, old);
		return rc;
	}
	s->nretry = (size_t)cJSON_GetArraySize(re);
	s->retry = dcre_xcalloc(s->nretry ? s->nretry : 1, sizeof(*s->retry));
	for (const cJSON *c = re->child; c && !rc; c = c->next, i++) {
		size_t o2 = push_index(ld, i);
		rc = parse_result(ld, c, &s->retry[i]);
		pop(ld, o2);
	}
	pop(ld, old);
	return rc;
}

/* ---- top level ------------------------------------------------------------- */

static enum dcre_err build(struct loader *ld, const cJSON *root, struct emu_data *d)
{
	static const char *const keys[] = {"boards", "scanall", NULL};
	const cJSON *boards, *sa;
	enum dcre_err rc = DCRE_OK;
	size_t old, i = 0;

	if (!cJSON_IsObject(root))
		return fail(ld, "wrong type: expected an object with \"boards\", got %s",
		            jtype(root));
	warn_unknown(ld, root, keys);
	boards = get(root, "boards");
	if (!boards)
		return fail(ld, "missing key \"boards\"");
	old = push_key(ld, "boards");
	if (!cJSON_IsArray(boards)) {
		rc = fail(ld, "wrong type: expected a list of boards, got %s", jtype(boards));
		pop(ld, old);
		return rc;
	}
	d->nboards = (size_t)cJSON_GetArraySize(boards);
	d->boards = dcre_xcalloc(d->nboards ? d->nboards : 1, sizeof(*d->boards));
	for (const cJSON *c = boards->child; c && !rc; c = c->next, i++) {
		size_t o2 = push_index(ld, i);
		rc = parse_board(ld, c, &d->boards[i]);
		pop(ld, o2);
	}
	pop(ld, old);
	if (rc)
		return rc;

	sa = get(root, "scanall");
	if (!sa)
		return DCRE_OK;
	old = push_key(ld, "scanall");
	if (!cJSON_IsArray(sa)) {
		rc = fail(ld, "wrong type: expected a list of scenarios, got %s", jtype(sa));
		pop(ld, old);
		return rc;
	}
	d->nscenarios = (size_t)cJSON_GetArraySize(sa);
	d->scenarios = dcre_xcalloc(d->nscenarios ? d->nscenarios : 1, sizeof(*d->scenarios));
	i = 0;
	for (const cJSON *c = sa->child; c && !rc; c = c->next, i++) {
		size_t o2 = push_index(ld, i);
		rc = parse_scenario(ld, c, &d->scenarios[i]);
		pop(ld, o2);
	}
	pop(ld, old);
	return rc;
}

struct emu_data *emu_data_parse(const char *text, size_t len, const char *name,
                                struct dcre_msg *why, enum dcre_err *err)
{
	struct loader ld = {.cfg = {.file = name, .first = why, .lenient = true}};
	struct emu_data *d = NULL;
	enum dcre_err rc = DCRE_ECONFIG;
	cJSON *root;

	root = dcre_cfg_parse(&ld.cfg, text, len);
	if (!root || ld.cfg.problems)
		goto out;
	d = dcre_xcalloc(1, sizeof(*d));
	if (build(&ld, root, d))
		goto out;
	d->max_raw = ld.max_raw;
	rc = DCRE_OK;
out:
	cJSON_Delete(root);
	if (rc) {
		emu_data_free(d);
		d = NULL;
	}
	if (err)
		*err = rc;
	return d;
}

struct emu_data *emu_data_load(const char *path, struct dcre_msg *why, enum dcre_err *err)
{
	struct emu_data *d = NULL;
	char *text = NULL;
	size_t len = 0, cap = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto io_error;
	for (;;) {
		ssize_t r;
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			text = dcre_xrealloc(text, cap + 1);
		}
		r = read(fd, text + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			errno = e;
			goto io_error;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	text[len] = '\0';
	d = emu_data_parse(text, len, path, why, err);
	free(text);
	return d;

io_error:
	/* the wording of core's reader (dcre_cfg_parse_file) */
	dcre_msg_set(why, DCRE_EIO, "%s: (file): cannot read: %s", path, strerror(errno));
	free(text);
	if (err)
		*err = DCRE_EIO;
	return NULL;
}

/* ---- freeing --------------------------------------------------------------- */

static void free_item(struct emu_item *it)
{
	free(it->text);
	free(it->raw);
}

static void free_list(struct emu_list *l)
{
	if (!l->items)
		return;
	for (size_t i = 0; i < l->n; i++)
		free_item(&l->items[i]);
	free(l->items);
}

static void free_device(struct emu_device *d)
{
	free(d->type_name);
	for (int a = 0; a < EMU_ACT_COUNT; a++) {
		free_list(&d->sec[a].responses);
		free_list(&d->sec[a].retry);
	}
	for (int k = 0; k < EMU_KEY_COUNT; k++)
		free(d->val[k].v);
	for (size_t i = 0; i < d->nracks; i++)
		free(d->racks[i].name);
	free(d->racks);
}

static void free_board(struct emu_board *b)
{
	free(b->id_text);
	free_item(&b->firmware);
	free_list(&b->retry_fw);
	free_list(&b->retry_raw);
	if (b->raw_data) {
		for (size_t i = 0; i < b->nraw_data; i++) {
			for (size_t k = 0; k < b->raw_data[i].n; k++)
				free_item(&b->raw_data[i].pkts[k]);
			free(b->raw_data[i].pkts);
		}
		free(b->raw_data);
	}
	if (b->devices) {
		for (size_t i = 0; i < b->ndevices; i++)
			free_device(&b->devices[i]);
		free(b->devices);
	}
}

void emu_data_free(struct emu_data *d)
{
	if (!d)
		return;
	if (d->boards) {
		for (size_t i = 0; i < d->nboards; i++)
			free_board(&d->boards[i]);
		free(d->boards);
	}
	if (d->scenarios) {
		for (size_t i = 0; i < d->nscenarios; i++) {
			free(d->scenarios[i].initial.failed_board);
			if (d->scenarios[i].retry) {
				for (size_t k = 0; k < d->scenarios[i].nretry; k++)
					free(d->scenarios[i].retry[k].failed_board);
				free(d->scenarios[i].retry);
			}
		}
		free(d->scenarios);
	}
	free(d);
}
