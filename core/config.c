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
#include "number.h"

/* Loading state: the file being read and the problem count. */
struct loader {
	const char *file;
	const char *dir;
	FILE *errs;
	int problems;
};

__attribute__((format(printf, 3, 4))) static void problem(struct loader *ld, const char *key,
                                                          const char *fmt, ...)
{
	va_list ap;

	ld->problems++;
	if (!ld->errs)
		return;
	fprintf(ld->errs, "%s: %s: ", ld->file, key);
	va_start(ap, fmt);
	vfprintf(ld->errs, fmt, ap);
	va_end(ap);
	fputc('\n', ld->errs);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = dcre_xrealloc(buf, cap);
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno;
		fclose(f);
		free(buf);
		errno = e;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Any object in the tree with a key twice is an error naming the key. */
static void check_duplicates(struct loader *ld, const cJSON *node, const char *path)
{
	for (const cJSON *c = node ? node->child : NULL; c; c = c->next) {
		char sub[512];
		if (cJSON_IsObject(node)) {
			for (const cJSON *d = c->next; d; d = d->next)
				if (c->string && d->string && strcmp(c->string, d->string) == 0)
					problem(ld, path[0] ? path : "(top level)",
					        "key \"%s\" appears twice", c->string);
			snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "",
			         c->string ? c->string : "");
		} else {
			int idx = 0;
			for (const cJSON *p = node->child; p != c; p = p->next)
				idx++;
			snprintf(sub, sizeof(sub), "%s[%d]", path, idx);
		}
		check_duplicates(ld, c, sub);
	}
}

static cJSON *parse_json(struct loader *ld, const char *text, size_t len)
{
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);

	if (!root) {
		int line = 1, col = 1;
		for (const char *p = text; end && p < end; p++) {
			if (*p == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		ld->problems++;
		if (ld->errs)
			fprintf(ld->errs, "%s: line %d, column %d: invalid JSON\n", ld->file, line,
			        col);
		return NULL;
	}
	if (!cJSON_IsObject(root)) {
		problem(ld, "(top level)", "must be a JSON object");
		cJSON_Delete(root);
		return NULL;
	}
	check_duplicates(ld, root, "");
	return root;
}

/* Every key of obj must be in allowed (NULL-terminated). */
static void check_keys(struct loader *ld, const cJSON *obj, const char *path,
                       const char *const *allowed)
{
	for (const cJSON *c = obj->child; c; c = c->next) {
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			if (strcmp(*a, c->string) == 0)
				ok = true;
		if (!ok)
			problem(ld, path, "unknown key \"%s\"", c->string);
	}
}

static char *key_path(const char *section, const char *key)
{
	return dcre_xasprintf("%s.%s", section, key);
}

static void get_bool(struct loader *ld, const cJSON *obj, const char *sec, const char *key,
                     bool *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v)
		return;
	char *kp = key_path(sec, key);
	if (!cJSON_IsBool(v))
		problem(ld, kp, "must be true or false");
	else
		*out = cJSON_IsTrue(v);
	free(kp);
}

static void get_number(struct loader *ld, const cJSON *obj, const char *sec, const char *key,
                       double lo, double hi, bool lo_open, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v)
		return;
	char *kp = key_path(sec, key);
	if (!cJSON_IsNumber(v))
		problem(ld, kp, "must be a number");
	else if ((lo_open ? v->valuedouble <= lo : v->valuedouble < lo) || v->valuedouble > hi)
		problem(ld, kp, "%g is out of range (%s%g to %g)", v->valuedouble,
		        lo_open ? "more than " : "", lo, hi);
	else
		*out = v->valuedouble;
	free(kp);
}

static void get_int(struct loader *ld, const cJSON *obj, const char *sec, const char *key, long lo,
                    long hi, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v)
		return;
	char *kp = key_path(sec, key);
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble))
		problem(ld, kp, "must be an integer");
	else if (v->valuedouble < (double)lo || v->valuedouble > (double)hi)
		problem(ld, kp, "%.0f is out of range (%ld to %ld)", v->valuedouble, lo, hi);
	else
		*out = (int)v->valuedouble;
	free(kp);
}

/* A path relative to the main file's directory. */
static char *resolve(const struct loader *ld, const char *p)
{
	if (p[0] == '/' || !ld->dir)
		return dcre_xstrdup(p);
	return dcre_xasprintf("%s/%s", ld->dir, p);
}

static void get_path(struct loader *ld, const cJSON *obj, const char *sec, const char *key,
                     char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v)
		return;
	char *kp = key_path(sec, key);
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0') {
		problem(ld, kp, "must be a non-empty string");
	} else {
		free(*out);
		*out = resolve(ld, v->valuestring);
	}
	free(kp);
}

/* An id or register value: hex string or JSON integer. */
static bool get_id(struct loader *ld, const cJSON *v, const char *kp, uint64_t max, uint64_t *out)
{
	if (cJSON_IsString(v)) {
		struct dcre_hexid id;
		if (dcre_number_parse_hex(v->valuestring, &id) || id.negative || id.overflow ||
		    id.value > max) {
			problem(ld, kp, "\"%s\" is not a hex value from 0 to 0x%llx",
			        v->valuestring, (unsigned long long)max);
			return false;
		}
		*out = id.value;
		return true;
	}
	if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) && v->valuedouble >= 0 &&
	    v->valuedouble <= (double)max) {
		*out = (uint64_t)v->valuedouble;
		return true;
	}
	problem(ld, kp, "must be a hex string or an integer from 0 to 0x%llx",
	        (unsigned long long)max);
	return false;
}

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

static void load_gpio(struct loader *ld, const cJSON *g, struct dcre_plc_config *p)
{
	static const char *const keys[] = {"chip", "cmd", "freq", "inh", "nsleep", "select", NULL};
	if (!cJSON_IsObject(g)) {
		problem(ld, "plc.gpio", "must be an object");
		return;
	}
	check_keys(ld, g, "plc.gpio", keys);
	const cJSON *chip = cJSON_GetObjectItemCaseSensitive(g, "chip");
	if (chip && (!cJSON_IsString(chip) || !chip->valuestring[0])) {
		problem(ld, "plc.gpio.chip", "must be a non-empty string");
	} else if (chip) {
		free(p->gpio.chip);
		p->gpio.chip = dcre_xstrdup(chip->valuestring);
	}
	unsigned *lines[] = {&p->gpio.cmd, &p->gpio.freq, &p->gpio.inh, &p->gpio.nsleep,
	                     &p->gpio.select};
	for (int i = 0; i < 5; i++) {
		int v = (int)*lines[i];
		get_int(ld, g, "plc.gpio", keys[i + 1], 0, 1023, &v);
		*lines[i] = (unsigned)v;
	}
	for (int i = 0; i < 5; i++)
		for (int j = i + 1; j < 5; j++)
			if (*lines[i] == *lines[j])
				problem(ld, "plc.gpio", "%s and %s use the same line offset %u",
				        keys[i + 1], keys[j + 1], *lines[i]);
}

static void load_plc(struct loader *ld, const cJSON *s, struct dcre_plc_config *p)
{
	static const char *const keys[] = {
	    "enabled", "hardware_type", "device",     "baud",        "lockfile",
	    "timeout", "retry_limit",   "time_slice", "mac_address", "board_id_range",
	    "gpio",    "modem_reg0",    "modem_reg1", NULL};
	const cJSON *v;

	if (!cJSON_IsObject(s)) {
		problem(ld, "plc", "must be an object");
		return;
	}
	check_keys(ld, s, "plc", keys);
	get_bool(ld, s, "plc", "enabled", &p->enabled);
	v = cJSON_GetObjectItemCaseSensitive(s, "hardware_type");
	if (v) {
		if (cJSON_IsString(v) && strcmp(v->valuestring, "emulator") == 0)
			p->hardware_type = DCRE_HW_EMULATOR;
		else if (cJSON_IsString(v) && strcmp(v->valuestring, "rpi_hat") == 0)
			p->hardware_type = DCRE_HW_RPI_HAT;
		else
			problem(ld, "plc.hardware_type", "must be \"emulator\" or \"rpi_hat\"");
	}
	get_path(ld, s, "plc", "device", &p->device);
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
			problem(ld, "plc.baud",
			        "%s is not a supported baud rate (9600, 19200, 38400, 57600, "
			        "115200, 230400)",
			        cJSON_IsNumber(v) ? "value" : "non-number");
	}
	get_path(ld, s, "plc", "lockfile", &p->lockfile);
	get_number(ld, s, "plc", "timeout", 0, 10, true, &p->timeout);
	get_int(ld, s, "plc", "retry_limit", 1, 10, &p->retry_limit);
	get_int(ld, s, "plc", "time_slice", 0, 255, &p->time_slice);
	v = cJSON_GetObjectItemCaseSensitive(s, "mac_address");
	if (v) {
		if (!cJSON_IsString(v) || !parse_mac(v->valuestring, p->mac))
			problem(ld, "plc.mac_address",
			        "must be a string like \"aa:bb:cc:dd:ee:ff\"");
		else
			p->mac_set = true;
	}
	v = cJSON_GetObjectItemCaseSensitive(s, "board_id_range");
	if (v) {
		uint64_t lo, hi;
		if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2)
			problem(ld, "plc.board_id_range", "must be [lo, hi]");
		else if (get_id(ld, cJSON_GetArrayItem(v, 0), "plc.board_id_range[0]", 0x3FFFFFFF,
		                &lo) &&
		         get_id(ld, cJSON_GetArrayItem(v, 1), "plc.board_id_range[1]", 0x3FFFFFFF,
		                &hi)) {
			if (lo > hi)
				problem(ld, "plc.board_id_range", "lo is above hi");
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
		char *kp = key_path("plc", regs[i]);
		if (!hat)
			dcre_warn("%s: %s: ignored with hardware_type \"emulator\"", ld->file, kp);
		else if (get_id(ld, v, kp, 0xFF, &r))
			*regp[i] = (uint8_t)r;
		free(kp);
	}
}

static void load_scan_cache(struct loader *ld, const cJSON *s, struct dcre_config *cfg)
{
	static const char *const keys[] = {"file", "cache_timeout", NULL};
	if (!cJSON_IsObject(s)) {
		problem(ld, "scan_cache", "must be an object");
		return;
	}
	check_keys(ld, s, "scan_cache", keys);
	get_path(ld, s, "scan_cache", "file", &cfg->scan_cache.file);
	get_number(ld, s, "scan_cache", "cache_timeout", 0, 1e9, false, &cfg->scan_cache.timeout);
}

static void load_log(struct loader *ld, const cJSON *s, struct dcre_config *cfg)
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
		problem(ld, "log", "must be an object");
		return;
	}
	check_keys(ld, s, "log", keys);
	v = cJSON_GetObjectItemCaseSensitive(s, "level");
	if (v) {
		bool ok = false;
		for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
			if (cJSON_IsString(v) && strcmp(v->valuestring, levels[i].name) == 0) {
				cfg->log.level = levels[i].level;
				ok = true;
			}
		if (!ok)
			problem(ld, "log.level",
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
			problem(ld, "log.target", "must be \"stderr\", \"syslog\" or \"file\"");
	}
	get_path(ld, s, "log", "file", &cfg->log.file);
	if (cfg->log.target == DCRE_LOG_FILE && !cfg->log.file)
		problem(ld, "log.file", "missing (required when log.target is \"file\")");
}

struct dcre_config *dcre_config_load(const char *path, const struct dcre_config_overrides *ov,
                                     FILE *errs)
{
	struct dcre_config *cfg = dcre_xcalloc(1, sizeof(*cfg));
	char *dircopy = dcre_xstrdup(path);
	struct loader ld = {.file = path, .dir = dirname(dircopy), .errs = errs};
	size_t len = 0;
	char *text = NULL;
	cJSON *root = NULL;

	cfg->path = dcre_xstrdup(path);
	cfg->scan_cache.file = dcre_xstrdup("/var/lib/opendcre/scan-cache.json");
	cfg->scan_cache.timeout = 600;
	cfg->log.level = DCRE_LOG_INFO;
	cfg->log.target = DCRE_LOG_STDERR;

	text = read_file(path, &len);
	if (!text) {
		problem(&ld, "(file)", "cannot read: %s", strerror(errno));
		goto out;
	}
	root = parse_json(&ld, text, len);
	if (!root)
		goto out;

	static const char *const sections[] = {"plc", "ipmi", "redfish", "scan_cache", "log", NULL};
	check_keys(&ld, root, "(top level)", sections);
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "plc");
	if (s || (ov && ov->serial))
		plc_defaults(&cfg->plc);
	if (s)
		load_plc(&ld, s, &cfg->plc);
	if (ov && ov->serial) {
		free(cfg->plc.device);
		cfg->plc.device = dcre_xstrdup(ov->serial);
	}
	if (cJSON_GetObjectItemCaseSensitive(root, "ipmi"))
		problem(&ld, "ipmi", "the IPMI backend is not available in this version");
	if (cJSON_GetObjectItemCaseSensitive(root, "redfish"))
		problem(&ld, "redfish", "the Redfish backend is not available in this version");
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
	free(text);
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
	free(cfg->plc.gpio.chip);
	free(cfg->scan_cache.file);
	free(cfg->log.file);
	free(cfg);
}

bool dcre_config_has_plc(const struct dcre_config *cfg)
{
	return cfg->plc.present && cfg->plc.enabled;
}
