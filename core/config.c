/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cfgload.h"
#include "config_bridge.h"
#include "log.h"
#include "number.h"

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

static void plc_defaults(struct dcre_plc_config *p)
{
	p->present = true;
	p->enabled = true;
	p->hardware_type = DCRE_HW_EMULATOR;
	p->rack_id = dcre_xstrdup("vapor_plc_rack");
	p->device = dcre_xstrdup("/dev/ttyAMA0");
	p->baud = 115200;
	p->lockfile = dcre_xstrdup("/run/opendcre/plc.lock");
	p->timeout = 0.25;
	p->retry_limit = 3;
	p->time_slice = 75;
	p->board_lo = 0;
	p->board_hi = 0x3FFFFFFF;
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

static void load_plc(struct dcre_cfg_loader *ld, const cJSON *s, struct dcre_plc_config *p)
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
		                         0x3FFFFFFF, &lo) &&
		         dcre_cfg_get_id(ld, cJSON_GetArrayItem(v, 1), "plc.board_id_range[1]",
		                         0x3FFFFFFF, &hi)) {
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

static void load_scan_cache(struct dcre_cfg_loader *ld, const cJSON *s, struct dcre_config *cfg)
{
	static const char *const keys[] = {"file", "cache_timeout", NULL};
	if (!cJSON_IsObject(s)) {
		dcre_cfg_problem(ld, "scan_cache", "must be an object");
		return;
	}
	dcre_cfg_check_keys(ld, s, "scan_cache", keys);
	dcre_cfg_get_path(ld, s, "scan_cache", "file", &cfg->scan_cache.file);
	dcre_cfg_get_number(ld, s, "scan_cache", "cache_timeout", 0, 1e9, false,
	                    &cfg->scan_cache.timeout);
}

static void load_metrics(struct dcre_cfg_loader *ld, const cJSON *s, struct dcre_config *cfg)
{
	static const char *const keys[] = {"max_age", "timeout", NULL};
	if (!cJSON_IsObject(s)) {
		dcre_cfg_problem(ld, "metrics", "must be an object");
		return;
	}
	dcre_cfg_check_keys(ld, s, "metrics", keys);
	dcre_cfg_get_number(ld, s, "metrics", "max_age", 0, 3600, false, &cfg->metrics.max_age);
	dcre_cfg_get_number(ld, s, "metrics", "timeout", 0, 600, true, &cfg->metrics.timeout);
}

static void load_log(struct dcre_cfg_loader *ld, const cJSON *s, struct dcre_config *cfg)
{
	static const char *const keys[] = {"level", "target", "file", NULL};
	static const struct {
		const char *name;
		enum dcre_log_level level;
	} levels[] = {{"error", DCRE_LOG_ERROR},
	              {"warning", DCRE_LOG_WARNING},
	              {"info", DCRE_LOG_INFO},
	              {"debug", DCRE_LOG_DEBUG}};
	const cJSON *v;

	if (!cJSON_IsObject(s)) {
		dcre_cfg_problem(ld, "log", "must be an object");
		return;
	}
	dcre_cfg_check_keys(ld, s, "log", keys);
	v = cJSON_GetObjectItemCaseSensitive(s, "level");
	if (v) {
		bool ok = false;
		for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
			if (cJSON_IsString(v) && strcmp(v->valuestring, levels[i].name) == 0) {
				cfg->log.level = levels[i].level;
				ok = true;
			}
		if (!ok)
			dcre_cfg_problem(ld, "log.level",
			                 "must be \"error\", \"warning\", \"info\" or \"debug\"");
	}
	v = cJSON_GetObjectItemCaseSensitive(s, "target");
	if (v) {
		if (cJSON_IsString(v) && strcmp(v->valuestring, "stderr") == 0)
			cfg->log.target = DCRE_LOG_STDERR;
		else if (cJSON_IsString(v) && strcmp(v->valuestring, "syslog") == 0)
			cfg->log.target = DCRE_LOG_SYSLOG;
		else if (cJSON_IsString(v) && strcmp(v->valuestring, "file") == 0)
			cfg->log.target = DCRE_LOG_FILE;
		else
			dcre_cfg_problem(ld, "log.target",
			                 "must be \"stderr\", \"syslog\" or \"file\"");
	}
	dcre_cfg_get_path(ld, s, "log", "file", &cfg->log.file);
	if (cfg->log.target == DCRE_LOG_FILE && !cfg->log.file)
		dcre_cfg_problem(ld, "log.file", "missing (required when log.target is \"file\")");
}

struct dcre_config *dcre_config_load(const char *path, const struct dcre_config_overrides *ov,
                                     FILE *errs)
{
	struct dcre_config *cfg = dcre_xcalloc(1, sizeof(*cfg));
	char *dircopy = dcre_xstrdup(path);
	struct dcre_cfg_loader ld = {.file = path, .dir = dirname(dircopy), .errs = errs};
	cJSON *root = NULL;

	cfg->path = dcre_xstrdup(path);
	cfg->scan_cache.file = dcre_xstrdup("/var/lib/opendcre/scan-cache.json");
	cfg->scan_cache.timeout = 600;
	cfg->metrics.max_age = 10;
	cfg->metrics.timeout = 8;
	cfg->log.level = DCRE_LOG_INFO;
	cfg->log.target = DCRE_LOG_STDERR;

	root = dcre_cfg_parse_file(&ld, path);
	if (!root)
		goto out;

	static const char *const sections[] = {"plc", "ipmi",    "redfish", "scan_cache",
	                                       "log", "metrics", NULL};
	dcre_cfg_check_keys(&ld, root, "(top level)", sections);
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "plc");
	if (s || (ov && ov->serial))
		plc_defaults(&cfg->plc);
	if (s)
		load_plc(&ld, s, &cfg->plc);
	if (ov && ov->serial) {
		free(cfg->plc.device);
		cfg->plc.device = dcre_xstrdup(ov->serial);
	}
	s = cJSON_GetObjectItemCaseSensitive(root, "ipmi");
	if (s)
		dcre_config_load_ipmi(&ld, s, &cfg->ipmi);
	s = cJSON_GetObjectItemCaseSensitive(root, "redfish");
	if (s)
		dcre_config_load_redfish(&ld, s, &cfg->redfish);
	dcre_config_check_bridges(&ld, cfg);
	s = cJSON_GetObjectItemCaseSensitive(root, "metrics");
	if (s)
		load_metrics(&ld, s, cfg);
	s = cJSON_GetObjectItemCaseSensitive(root, "scan_cache");
	if (s)
		load_scan_cache(&ld, s, cfg);
	s = cJSON_GetObjectItemCaseSensitive(root, "log");
	if (s)
		load_log(&ld, s, cfg);
	if (ov && ov->debug)
		cfg->log.level = DCRE_LOG_DEBUG;

out:
	cJSON_Delete(root);
	free(dircopy);
	if (ld.problems) {
		dcre_config_free(cfg);
		return NULL;
	}
	return cfg;
}

void dcre_config_free(struct dcre_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->plc.device);
	free(cfg->plc.lockfile);
	free(cfg->plc.rack_id);
	free(cfg->plc.gpio.chip);
	free(cfg->scan_cache.file);
	free(cfg->log.file);
	dcre_config_free_bridges(cfg);
	free(cfg);
}

bool dcre_config_has_plc(const struct dcre_config *cfg)
{
	return cfg->plc.present && cfg->plc.enabled;
}
