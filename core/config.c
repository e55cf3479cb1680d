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
#include "log.h"
#include "number.h"

/* ---- the checks across transports (Decision 2) ---- */

static bool has_name(char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

/* Does c write name itself (not only through the [address] defaults)? */
static bool names_explicitly(const struct dcre_claim *c, const char *name)
{
	return (c->hostnames_set && has_name(c->hostnames, c->n_hostnames, name)) ||
	       (c->ip_addresses_set && has_name(c->ip_addresses, c->n_ip_addresses, name));
}

static void check_names(struct dcre_cfg_loader *ld, const struct dcre_claim *a,
                        const struct dcre_claim *b, char *const *names, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		bool b_has = has_name(b->hostnames, b->n_hostnames, names[i]) ||
		             has_name(b->ip_addresses, b->n_ip_addresses, names[i]);
		if (!b_has)
			continue;
		bool explicit = names_explicitly(a, names[i]) || names_explicitly(b, names[i]);
		if (explicit)
			dcre_cfg_problem(ld, what, "'%s' names two boards: %s and %s", names[i],
			                 a->where, b->where);
		else
			dcre_warn("%s: '%s' is the default name of two boards (%s and %s); "
			          "lookups by it reach the first",
			          ld->file, names[i], a->where, b->where);
	}
}

/* Every one-board entry of every transport, in registry then configuration
 * order: unique board ids, no name for two boards. */
static void check_claims(struct dcre_cfg_loader *ld, const struct dcre_config *cfg)
{
	struct dcre_claim *v = NULL;
	size_t n = 0;

	for (size_t t = 0; t < cfg->reg->n; t++) {
		const struct dcre_transport_hooks *h = cfg->reg->v[t].hooks;
		if (!h || !h->claim || !cfg->sections[t])
			continue;
		struct dcre_claim c;
		for (size_t i = 0; h->claim(cfg->sections[t], i, &c); i++) {
			v = dcre_xrealloc(v, (n + 1) * sizeof(*v));
			v[n++] = c;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct dcre_claim *a = &v[i];
		for (size_t k = 0; k < a->n_hostnames; k++) {
			struct dcre_hexid id;
			if (dcre_number_parse_hex(a->hostnames[k], &id) == DCRE_OK)
				dcre_warn("%s: hostname '%s' of %s is valid hex and is read as a "
				          "board id, never as a name",
				          ld->file, a->hostnames[k], a->where);
		}
		for (size_t j = i + 1; j < n; j++) {
			const struct dcre_claim *b = &v[j];
			if (a->board_id == b->board_id)
				dcre_cfg_problem(ld, "board_id",
				                 "%08x is the board id of both %s and %s",
				                 a->board_id, a->where, b->where);
			check_names(ld, a, b, a->hostnames, a->n_hostnames, "hostnames");
			if (a->ip_addresses != a->hostnames)
				check_names(ld, a, b, a->ip_addresses, a->n_ip_addresses,
				            "ip_addresses");
		}
	}
	free(v);
}

/* The transports' sections: each entry's load hook; a compiled-out
 * transport's section is refused naming its option. */
static void load_sections(struct dcre_cfg_loader *ld, const cJSON *root,
                          const struct dcre_config_overrides *ov, struct dcre_config *cfg)
{
	const char *serial = ov ? ov->serial : NULL;

	for (size_t t = 0; t < cfg->reg->n; t++) {
		const struct dcre_transport *tr = &cfg->reg->v[t];
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, tr->name);
		const char *device = tr->device_key ? serial : NULL;
		if (tr->device_key)
			serial = NULL; /* the first transport with a device takes it */
		if (!tr->hooks) {
			if (s)
				dcre_cfg_problem(ld, tr->name,
				                 "this opendcre was built without %s support "
				                 "(meson setup -D%s=enabled)",
				                 tr->label, tr->option);
			continue;
		}
		if (s || device)
			cfg->sections[t] = tr->hooks->load(tr, ld, s, device);
	}
	check_claims(ld, cfg);
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

struct dcre_config *dcre_config_load(const char *path, const struct dcre_registry *reg,
                                     const struct dcre_config_overrides *ov, FILE *errs)
{
	struct dcre_config *cfg = dcre_xcalloc(1, sizeof(*cfg));
	char *dircopy = dcre_xstrdup(path);
	struct dcre_cfg_loader ld = {.file = path, .dir = dirname(dircopy), .errs = errs};
	cJSON *root = NULL;

	cfg->path = dcre_xstrdup(path);
	cfg->reg = reg;
	cfg->sections = dcre_xcalloc(reg->n ? reg->n : 1, sizeof(*cfg->sections));
	cfg->scan_cache.file = dcre_xstrdup("/var/lib/opendcre/scan-cache.json");
	cfg->scan_cache.timeout = 600;
	cfg->metrics.max_age = 10;
	cfg->metrics.timeout = 8;
	cfg->log.level = DCRE_LOG_INFO;
	cfg->log.target = DCRE_LOG_STDERR;

	root = dcre_cfg_parse_file(&ld, path);
	if (!root)
		goto out;

	/* the top level: core's sections and one per registry entry */
	static const char *const core_sections[] = {"scan_cache", "log", "metrics", NULL};
	const char **sections = dcre_xcalloc(reg->n + 4, sizeof(*sections));
	for (size_t t = 0; t < reg->n; t++)
		sections[t] = reg->v[t].name;
	for (size_t k = 0; core_sections[k]; k++)
		sections[reg->n + k] = core_sections[k];
	dcre_cfg_check_keys(&ld, root, "(top level)", sections);
	free(sections);
	load_sections(&ld, root, ov, cfg);
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "metrics");
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
	for (size_t t = 0; t < cfg->reg->n; t++)
		if (cfg->sections[t])
			cfg->reg->v[t].hooks->free_config(cfg->sections[t]);
	free(cfg->sections);
	free(cfg->path);
	free(cfg->scan_cache.file);
	free(cfg->log.file);
	free(cfg);
}

void *dcre_config_section(const struct dcre_config *cfg, const char *name)
{
	for (size_t t = 0; t < cfg->reg->n; t++)
		if (strcmp(cfg->reg->v[t].name, name) == 0)
			return cfg->sections[t];
	return NULL;
}
