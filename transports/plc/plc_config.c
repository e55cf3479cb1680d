/* SPDX-License-Identifier: MIT */
#include "plc_config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cfgload.h"
#include "log.h"
#include "plc_backend.h"
#include "plc_modem.h"

static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
	           &tail) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return true;
}

static void plc_defaults(struct dcre_plc_config *p, const struct dcre_id_space *ids)
{
	p->enabled = true;
	p->hardware_type = DCRE_HW_EMULATOR;
	p->rack_id = dcre_xstrdup("vapor_plc_rack");
	p->device = dcre_xstrdup("/dev/ttyAMA0");
	p->baud = 115200;
	p->lockfile = dcre_xstrdup("/run/opendcre/plc.lock");
	p->timeout = 0.25;
	p->retry_limit = 3;
	p->time_slice = 75;
	p->board_lo = ids->lo;
	p->board_hi = ids->hi;
	p->gpio.chip = dcre_xstrdup("gpiochip0");
	p->gpio.cmd = 27;
	p->gpio.freq = 10;
	p->gpio.inh = 22;
	p->gpio.nsleep = 17;
	p->gpio.select = 9;
	p->modem_reg0 = 0x69;
	p->modem_reg1 = 0x29;
}

static void load_gpio(struct dcre_cfg_loader *ld, const cJSON *g, struct dcre_plc_config *p)
{
	static const char *const keys[] = {"chip", "cmd", "freq", "inh", "nsleep", "select", NULL};
	if (!cJSON_IsObject(g)) {
		dcre_cfg_problem(ld, "plc.gpio", "must be an object");
		return;
	}
	dcre_cfg_check_keys(ld, g, "plc.gpio", keys);
	const cJSON *chip = cJSON_GetObjectItemCaseSensitive(g, "chip");
	if (chip && (!cJSON_IsString(chip) || !chip->valuestring[0])) {
		dcre_cfg_problem(ld, "plc.gpio.chip", "must be a non-empty string");
	} else if (chip) {
		free(p->gpio.chip);
		p->gpio.chip = dcre_xstrdup(chip->valuestring);
	}
	unsigned *lines[] = {&p->gpio.cmd, &p->gpio.freq, &p->gpio.inh, &p->gpio.nsleep,
	                     &p->gpio.select};
	for (int i = 0; i < 5; i++) {
		int v = (int)*lines[i];
		dcre_cfg_get_int(ld, g, "plc.gpio", keys[i + 1], 0, 1023, &v);
		*lines[i] = (unsigned)v;
	}
	for (int i = 0; i < 5; i++)
		for (int j = i + 1; j < 5; j++)
			if (*lines[i] == *lines[j])
				dcre_cfg_problem(ld, "plc.gpio",
				                 "%s and %s use the same line offset %u",
				                 keys[i + 1], keys[j + 1], *lines[i]);
}

static void load_plc(struct dcre_cfg_loader *ld, const cJSON *s, const struct dcre_id_space *ids,
                     struct dcre_plc_config *p)
{
	static const char *const keys[] = {
	    "enabled", "hardware_type", "device",     "baud",        "lockfile",
	    "timeout", "retry_limit",   "time_slice", "mac_address", "board_id_range",
	    "gpio",    "modem_reg0",    "modem_reg1", "rack_id",     NULL};
	const cJSON *v;

	if (!cJSON_IsObject(s)) {
		dcre_cfg_problem(ld, "plc", "must be an object");
		return;
	}
	dcre_cfg_check_keys(ld, s, "plc", keys);
	dcre_cfg_get_bool(ld, s, "plc", "enabled", &p->enabled);
	v = cJSON_GetObjectItemCaseSensitive(s, "hardware_type");
	if (v) {
		if (cJSON_IsString(v) && strcmp(v->valuestring, "emulator") == 0)
			p->hardware_type = DCRE_HW_EMULATOR;
		else if (cJSON_IsString(v) && strcmp(v->valuestring, "rpi_hat") == 0 &&
		         !DCRE_HAVE_GPIO)
			dcre_cfg_problem(
			    ld, "plc.hardware_type",
			    "this opendcre was built without GPIO support (meson setup "
			    "-Dgpio=enabled)");
		else if (cJSON_IsString(v) && strcmp(v->valuestring, "rpi_hat") == 0)
			p->hardware_type = DCRE_HW_RPI_HAT;
		else
			dcre_cfg_problem(ld, "plc.hardware_type",
			                 "must be \"emulator\" or \"rpi_hat\"");
	}
	v = cJSON_GetObjectItemCaseSensitive(s, "rack_id");
	if (v) {
		bool ok =
		    cJSON_IsString(v) && v->valuestring[0] != '\0' && strlen(v->valuestring) <= 64;
		for (const char *c = ok ? v->valuestring : ""; *c; c++)
			if ((unsigned char)*c <= 0x20 || *c == '/' || *c == '%' || *c == 0x7f)
				ok = false;
		if (ok) {
			free(p->rack_id);
			p->rack_id = dcre_xstrdup(v->valuestring);
		} else {
			dcre_cfg_problem(ld, "plc.rack_id",
			                 "must be a text of 1 to 64 characters without spaces, "
			                 "control characters, '/' or '%%'");
		}
	}
	dcre_cfg_get_path(ld, s, "plc", "device", &p->device);
	v = cJSON_GetObjectItemCaseSensitive(s, "baud");
	if (v) {
		static const int bauds[] = {9600, 19200, 38400, 57600, 115200, 230400};
		bool ok = false;
		for (size_t i = 0; i < sizeof(bauds) / sizeof(bauds[0]); i++)
			if (cJSON_IsNumber(v) && v->valuedouble == bauds[i]) {
				ok = true;
				p->baud = bauds[i];
			}
		if (!ok)
			dcre_cfg_problem(
			    ld, "plc.baud",
			    "%s is not a supported baud rate (9600, 19200, 38400, 57600, "
			    "115200, 230400)",
			    cJSON_IsNumber(v) ? "value" : "non-number");
	}
	dcre_cfg_get_path(ld, s, "plc", "lockfile", &p->lockfile);
	dcre_cfg_get_number(ld, s, "plc", "timeout", 0, 10, true, &p->timeout);
	dcre_cfg_get_int(ld, s, "plc", "retry_limit", 1, 10, &p->retry_limit);
	dcre_cfg_get_int(ld, s, "plc", "time_slice", 0, 255, &p->time_slice);
	v = cJSON_GetObjectItemCaseSensitive(s, "mac_address");
	if (v) {
		if (!cJSON_IsString(v) || !parse_mac(v->valuestring, p->mac))
			dcre_cfg_problem(ld, "plc.mac_address",
			                 "must be a string like \"aa:bb:cc:dd:ee:ff\"");
		else
			p->mac_set = true;
	}
	v = cJSON_GetObjectItemCaseSensitive(s, "board_id_range");
	if (v) {
		uint64_t lo, hi;
		if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2)
			dcre_cfg_problem(ld, "plc.board_id_range", "must be [lo, hi]");
		else if (dcre_cfg_get_id(ld, cJSON_GetArrayItem(v, 0), "plc.board_id_range[0]",
		                         ids->hi, &lo) &&
		         dcre_cfg_get_id(ld, cJSON_GetArrayItem(v, 1), "plc.board_id_range[1]",
		                         ids->hi, &hi)) {
			if (lo > hi)
				dcre_cfg_problem(ld, "plc.board_id_range", "lo is above hi");
			p->board_lo = (uint32_t)lo;
			p->board_hi = (uint32_t)hi;
		}
	}
	bool hat = p->hardware_type == DCRE_HW_RPI_HAT;
	v = cJSON_GetObjectItemCaseSensitive(s, "gpio");
	if (v && hat)
		load_gpio(ld, v, p);
	else if (v)
		dcre_warn("%s: plc.gpio: ignored with hardware_type \"emulator\"", ld->file);
	const char *regs[] = {"modem_reg0", "modem_reg1"};
	uint8_t *regp[] = {&p->modem_reg0, &p->modem_reg1};
	for (int i = 0; i < 2; i++) {
		v = cJSON_GetObjectItemCaseSensitive(s, regs[i]);
		if (!v)
			continue;
		uint64_t r;
		char *kp = dcre_cfg_key("plc", regs[i]);
		if (!hat)
			dcre_warn("%s: %s: ignored with hardware_type \"emulator\"", ld->file, kp);
		else if (dcre_cfg_get_id(ld, v, kp, 0xFF, &r))
			*regp[i] = (uint8_t)r;
		free(kp);
	}
}

/* ---- the registry hooks ---- */

static void plc_free_config(void *cfg);

static void *plc_load(const struct dcre_transport *self, struct dcre_cfg_loader *ld,
                      const cJSON *section, const char *device)
{
	struct dcre_plc_config *p = dcre_xcalloc(1, sizeof(*p));

	plc_defaults(p, &self->ids);
	if (section)
		load_plc(ld, section, &self->ids, p);
	if (device) {
		free(p->device);
		p->device = dcre_xstrdup(device);
	}
	if (!p->enabled) {
		plc_free_config(p);
		return NULL;
	}
	return p;
}

static void plc_free_config(void *cfg)
{
	struct dcre_plc_config *p = cfg;
	if (!p)
		return;
	free(p->device);
	free(p->lockfile);
	free(p->rack_id);
	free(p->gpio.chip);
	free(p);
}

static void plc_describe(const void *cfg, char *buf, size_t size)
{
	const struct dcre_plc_config *p = cfg;
	snprintf(buf, size, "PLC bus on %s", p->device);
}

/* The lock file, and with rpi_hat the modem: the main process requests
 * its lines once; the workers inherit the request (plc-protocol.md §11.1,
 * §11.2). */
static enum dcre_err plc_prepare(const void *cfg, void **state, struct dcre_msg *msg)
{
	const struct dcre_plc_config *p = cfg;
	enum dcre_err e = dcre_plc_prepare(p, msg);

	*state = NULL;
	if (e || p->hardware_type != DCRE_HW_RPI_HAT)
		return e;
	struct plc_modem *modem = dcre_plc_modem_open(p, &e, msg);
	if (!modem)
		return e ? e : DCRE_EIO;
	*state = modem;
	struct dcre_msg why;
	if (dcre_plc_modem_startup(modem, &why))
		dcre_err_log("%s (the service starts; each bus transaction tries again)", why.text);
	return DCRE_OK;
}

static void plc_cleanup(void *state)
{
	dcre_plc_modem_free(state);
}

static void plc_open(const void *cfg, void *state, struct dcre_backends *out)
{
	dcre_backends_add(out, dcre_plc_backend_new(cfg, state));
}

const struct dcre_transport_hooks dcre_plc_hooks = {
    .load = plc_load,
    .free_config = plc_free_config,
    .describe = plc_describe,
    .prepare = plc_prepare,
    .cleanup = plc_cleanup,
    .open = plc_open,
};
