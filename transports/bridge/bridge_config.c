/* SPDX-License-Identifier: MIT */
#include "bridge_config.h"

#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"
#include "number.h"

/* Section-level defaults that entries inherit. */
struct bridge_defaults {
	double timeout;
	double power_wait;
	/* ipmi */
	int cipher_suite;
	enum dcre_ipmi_privilege privilege;
	double session_idle_timeout;
	unsigned workaround_flags;
	/* redfish */
	bool https;
	bool verify_tls;
	char *ca_file;
};

/* An entry list being read: where the entries come from. */
struct source {
	struct dcre_cfg_loader *ld; /* main file or a device file */
	const char *prefix;         /* "ipmi." inline, "" in a device file */
};

static void string_list(struct dcre_cfg_loader *ld, const cJSON *obj, const char *path,
                        const char *key, char ***list, size_t *n, bool *set)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char *kp = dcre_cfg_key(path, key);
	const cJSON *it;

	if (!v)
		goto out;
	if (!cJSON_IsArray(v)) {
		dcre_cfg_problem(ld, kp, "must be an array of strings");
		goto out;
	}
	cJSON_ArrayForEach(it, v)
	{
		if (!cJSON_IsString(it) || !it->valuestring[0]) {
			dcre_cfg_problem(ld, kp, "must be an array of non-empty strings");
			goto out;
		}
	}
	*n = (size_t)cJSON_GetArraySize(v);
	*list = dcre_xcalloc(*n ? *n : 1, sizeof(char *));
	size_t i = 0;
	cJSON_ArrayForEach(it, v)(*list)[i++] = dcre_xstrdup(it->valuestring);
	*set = true;
out:
	free(kp);
}

static void default_list(char ***list, size_t *n, const char *address)
{
	if (*list)
		return;
	*list = dcre_xcalloc(1, sizeof(char *));
	(*list)[0] = dcre_xstrdup(address);
	*n = 1;
}

/* The parts every bridge entry has. */
static void load_common(struct dcre_cfg_loader *ld, const cJSON *e, const char *path,
                        const char *addr_key, const struct bridge_defaults *d,
                        struct dcre_bridge_config *b)
{
	char *kp;

	b->timeout = d->timeout;
	b->power_wait = d->power_wait;
	b->where = dcre_xasprintf("%s: %s", ld->file, path);
	dcre_cfg_get_string(ld, e, path, addr_key, &b->address);
	if (!b->address) {
		kp = dcre_cfg_key(path, addr_key);
		if (!cJSON_GetObjectItemCaseSensitive(e, addr_key))
			dcre_cfg_problem(ld, kp, "missing (required)");
		free(kp);
	}
	dcre_cfg_get_string(ld, e, path, "username", &b->username);
	const cJSON *pw = cJSON_GetObjectItemCaseSensitive(e, "password");
	kp = dcre_cfg_key(path, "password");
	if (!pw)
		dcre_cfg_problem(ld, kp, "missing (required)");
	else if (!cJSON_IsString(pw))
		dcre_cfg_problem(ld, kp, "must be a string"); /* the value is never shown */
	else
		b->password = dcre_xstrdup(pw->valuestring);
	free(kp);
	if (!cJSON_GetObjectItemCaseSensitive(e, "username")) {
		kp = dcre_cfg_key(path, "username");
		dcre_cfg_problem(ld, kp, "missing (required)");
		free(kp);
	}
	dcre_cfg_get_number(ld, e, path, "power_wait", 0, 3600, false, &b->power_wait);
	string_list(ld, e, path, "hostnames", &b->hostnames, &b->n_hostnames, &b->hostnames_set);
	string_list(ld, e, path, "ip_addresses", &b->ip_addresses, &b->n_ip_addresses,
	            &b->ip_addresses_set);
	if (b->address) {
		default_list(&b->hostnames, &b->n_hostnames, b->address);
		default_list(&b->ip_addresses, &b->n_ip_addresses, b->address);
	}
}

/* A board_id written in the entry, within [lo, hi], pins its id. */
static void pin_board_id(struct dcre_cfg_loader *ld, const cJSON *e, const char *path, uint32_t lo,
                         uint32_t hi, struct dcre_bridge_config *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "board_id");
	uint64_t val;

	if (!v)
		return;
	char *kp = dcre_cfg_key(path, "board_id");
	if (dcre_cfg_get_id(ld, v, kp, 0xFFFFFFFFu, &val)) {
		if (val < lo || val > hi)
			dcre_cfg_problem(ld, kp, "%08llx is outside %08x-%08x",
			                 (unsigned long long)val, lo, hi);
		b->board_id = (uint32_t)val;
		b->board_id_pinned = true;
	}
	free(kp);
}

/* board_id_range [lo, hi] within [min, max]. */
static bool id_range(struct dcre_cfg_loader *ld, const cJSON *v, const char *kp, uint32_t min,
                     uint32_t max, uint32_t *lo, uint32_t *hi)
{
	uint64_t a, b;
	char *k0 = dcre_xasprintf("%s[0]", kp), *k1 = dcre_xasprintf("%s[1]", kp);
	bool ok = false;

	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2)
		dcre_cfg_problem(ld, kp, "must be [lo, hi]");
	else if (dcre_cfg_get_id(ld, cJSON_GetArrayItem(v, 0), k0, 0xFFFFFFFFu, &a) &&
	         dcre_cfg_get_id(ld, cJSON_GetArrayItem(v, 1), k1, 0xFFFFFFFFu, &b)) {
		if (a > b || a < min || b > max)
			dcre_cfg_problem(ld, kp,
			                 "[%08llx, %08llx] must be a range within %08x-%08x",
			                 (unsigned long long)a, (unsigned long long)b, min, max);
		else {
			*lo = (uint32_t)a;
			*hi = (uint32_t)b;
			ok = true;
		}
	}
	free(k0);
	free(k1);
	return ok;
}

/* ---- ipmi ---- */

static const struct {
	const char *name;
	unsigned flag;
} workarounds[] = {
    {"authcap", DCRE_IPMI_WORKAROUND_AUTHCAP},
    {"intel20", DCRE_IPMI_WORKAROUND_INTEL20},
    {"supermicro20", DCRE_IPMI_WORKAROUND_SUPERMICRO20},
    {"sun20", DCRE_IPMI_WORKAROUND_SUN20},
    {"opensesspriv", DCRE_IPMI_WORKAROUND_OPENSESSPRIV},
    {"integritycheckvalue", DCRE_IPMI_WORKAROUND_INTEGRITYCHECKVALUE},
    {"nochecksumcheck", DCRE_IPMI_WORKAROUND_NOCHECKSUMCHECK},
};

static void get_workarounds(struct dcre_cfg_loader *ld, const cJSON *o, const char *path,
                            unsigned *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "workaround_flags"), *it;
	char *kp;
	unsigned flags = 0;

	if (!v)
		return;
	kp = dcre_cfg_key(path, "workaround_flags");
	if (!cJSON_IsArray(v)) {
		dcre_cfg_problem(ld, kp, "must be an array of strings");
		goto out;
	}
	cJSON_ArrayForEach(it, v)
	{
		bool found = false;
		for (size_t i = 0; i < sizeof(workarounds) / sizeof(workarounds[0]); i++)
			if (cJSON_IsString(it) &&
			    strcmp(it->valuestring, workarounds[i].name) == 0) {
				flags |= workarounds[i].flag;
				found = true;
			}
		if (!found)
			dcre_cfg_problem(
			    ld, kp,
			    "unknown flag (expected authcap, intel20, supermicro20, "
			    "sun20, opensesspriv, integritycheckvalue, nochecksumcheck)");
	}
	*out = flags;
out:
	free(kp);
}

static void get_privilege(struct dcre_cfg_loader *ld, const cJSON *o, const char *path,
                          enum dcre_ipmi_privilege *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "privilege_level");
	if (!v)
		return;
	if (cJSON_IsString(v) && strcmp(v->valuestring, "user") == 0)
		*out = DCRE_IPMI_PRIV_USER;
	else if (cJSON_IsString(v) && strcmp(v->valuestring, "operator") == 0)
		*out = DCRE_IPMI_PRIV_OPERATOR;
	else if (cJSON_IsString(v) && strcmp(v->valuestring, "admin") == 0)
		*out = DCRE_IPMI_PRIV_ADMIN;
	else {
		char *kp = dcre_cfg_key(path, "privilege_level");
		dcre_cfg_problem(ld, kp, "must be \"user\", \"operator\" or \"admin\"");
		free(kp);
	}
}

/* OpenDCRE 1.2 algorithm names -> cipher suite (ipmi.md §1). */
static void get_algorithms(struct dcre_cfg_loader *ld, const cJSON *e, const char *path, int *cs)
{
	static const char *const keys[] = {"auth_type", "integrity_type", "encryption_type"};
	static const char *const suites[4][3] = {
	    {"NO_AUTHENTICATION_ALGORITHM", "NO_INTEGRITY_ALGORITHM", "NO_ENCRYPTION_ALGORITHM"},
	    {"RAKP_HMAC_SHA1", "NO_INTEGRITY_ALGORITHM", "NO_ENCRYPTION_ALGORITHM"},
	    {"RAKP_HMAC_SHA1", "HMAC_SHA1_96", "NO_ENCRYPTION_ALGORITHM"},
	    {"RAKP_HMAC_SHA1", "HMAC_SHA1_96", "AES_CBC_128"},
	};
	const cJSON *v[3];
	int given = 0;

	for (int i = 0; i < 3; i++) {
		v[i] = cJSON_GetObjectItemCaseSensitive(e, keys[i]);
		given += v[i] != NULL;
	}
	if (given == 0)
		return;
	char *kp = dcre_cfg_key(path, "auth_type");
	if (given != 3) {
		dcre_cfg_problem(ld, kp,
		                 "auth_type, integrity_type and encryption_type go together (all "
		                 "three or none)");
		goto out;
	}
	if (cJSON_GetObjectItemCaseSensitive(e, "cipher_suite")) {
		dcre_cfg_problem(ld, kp, "cannot be combined with cipher_suite");
		goto out;
	}
	for (int s = 0; s < 4; s++) {
		int match = 0;
		for (int i = 0; i < 3; i++)
			match += cJSON_IsString(v[i]) &&
			         strcasecmp(v[i]->valuestring, suites[s][i]) == 0;
		if (match == 3) {
			*cs = s;
			goto out;
		}
	}
	dcre_cfg_problem(ld, kp,
	                 "this auth_type/integrity_type/encryption_type combination has no IPMI "
	                 "2.0 cipher suite (0-3)");
out:
	free(kp);
}

static void load_bmc(struct dcre_cfg_loader *ld, const cJSON *e, const char *path,
                     const struct bridge_defaults *d, void *entry)
{
	struct dcre_ipmi_bmc *bmc = entry;
	static const char *const keys[] = {"bmc_ip",
	                                   "bmc_port",
	                                   "username",
	                                   "password",
	                                   "hostnames",
	                                   "ip_addresses",
	                                   "board_id",
	                                   "cipher_suite",
	                                   "auth_type",
	                                   "integrity_type",
	                                   "encryption_type",
	                                   "timeout",
	                                   "privilege_level",
	                                   "session_idle_timeout",
	                                   "power_wait",
	                                   "workaround_flags",
	                                   NULL};
	if (!cJSON_IsObject(e)) {
		dcre_cfg_problem(ld, path, "must be an object");
		return;
	}
	dcre_cfg_check_keys(ld, e, path, keys);
	bmc->b.port = 623;
	bmc->cipher_suite = d->cipher_suite;
	bmc->privilege = d->privilege;
	bmc->session_idle_timeout = d->session_idle_timeout;
	bmc->workaround_flags = d->workaround_flags;
	load_common(ld, e, path, "bmc_ip", d, &bmc->b);
	dcre_cfg_get_int(ld, e, path, "bmc_port", 1, 65535, &bmc->b.port);
	dcre_cfg_get_number(ld, e, path, "timeout", 0.1, 60, false, &bmc->b.timeout);
	dcre_cfg_get_int(ld, e, path, "cipher_suite", 0, 3, &bmc->cipher_suite);
	get_algorithms(ld, e, path, &bmc->cipher_suite);
	get_privilege(ld, e, path, &bmc->privilege);
	dcre_cfg_get_number(ld, e, path, "session_idle_timeout", 0, 3600, false,
	                    &bmc->session_idle_timeout);
	get_workarounds(ld, e, path, &bmc->workaround_flags);
	if (bmc->b.username && strlen(bmc->b.username) > 16) {
		char *kp = dcre_cfg_key(path, "username");
		dcre_cfg_problem(ld, kp, "longer than 16 bytes (the IPMI 2.0 limit)");
		free(kp);
	}
	if (bmc->b.password && strlen(bmc->b.password) > 20) {
		char *kp = dcre_cfg_key(path, "password");
		dcre_cfg_problem(ld, kp, "longer than 20 bytes (the IPMI 2.0 limit)");
		free(kp);
	}
}

/* The BMC or Redfish server array being filled. Every entry starts with
 * its struct dcre_bridge_config. */
struct entries {
	void **items;
	size_t *n;
	size_t size;
	uint32_t id_lo, id_hi; /* range of a pinned board_id */
	const struct bridge_defaults *d;
	void (*load)(struct dcre_cfg_loader *ld, const cJSON *e, const char *path,
	             const struct bridge_defaults *d, void *entry);
};

static struct dcre_bridge_config *entry_at(const struct entries *l, size_t k)
{
	return (struct dcre_bridge_config *)(void *)((char *)*l->items + k * l->size);
}

/* Append the entries of one list (a flat "bmcs" list or one rack's). */
static void add_entries(struct source *src, const cJSON *list, const char *path, const char *rack,
                        void *arg)
{
	struct entries *l = arg;
	const cJSON *e;
	int i = 0;

	if (!cJSON_IsArray(list)) {
		dcre_cfg_problem(src->ld, path, "must be an array");
		return;
	}
	cJSON_ArrayForEach(e, list)
	{
		char *p = dcre_xasprintf("%s[%d]", path, i++);
		size_t k = (*l->n)++;
		*l->items = dcre_xrealloc(*l->items, *l->n * l->size);
		struct dcre_bridge_config *b = entry_at(l, k);
		memset(b, 0, l->size);
		b->index = (int)k;
		b->rack_id = dcre_xstrdup(rack);
		l->load(src->ld, e, p, l->d, b);
		pin_board_id(src->ld, e, p, l->id_lo, l->id_hi, b);
		free(p);
	}
}

/* {"racks": [{"rack_id", <list_key>: [...]}]} */
static void walk_racks(struct source *src, const cJSON *racks, const char *list_key,
                       void (*each)(struct source *, const cJSON *, const char *, const char *,
                                    void *),
                       void *arg)
{
	char *path = dcre_xasprintf("%sracks", src->prefix);
	const cJSON *r;
	int i = 0;

	if (!cJSON_IsArray(racks)) {
		dcre_cfg_problem(src->ld, path, "must be an array");
		free(path);
		return;
	}
	cJSON_ArrayForEach(r, racks)
	{
		char *rp = dcre_xasprintf("%s[%d]", path, i++);
		static const char *const rack_keys_ipmi[] = {"rack_id", "bmcs", NULL};
		static const char *const rack_keys_rf[] = {"rack_id", "servers", NULL};
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "rack_id");
		if (!cJSON_IsObject(r)) {
			dcre_cfg_problem(src->ld, rp, "must be an object");
		} else if (!cJSON_IsString(id) || !id->valuestring[0]) {
			char *kp = dcre_cfg_key(rp, "rack_id");
			dcre_cfg_problem(src->ld, kp, "missing or not a non-empty string");
			free(kp);
		} else {
			dcre_cfg_check_keys(src->ld, r, rp,
			                    strcmp(list_key, "bmcs") == 0 ? rack_keys_ipmi
			                                                  : rack_keys_rf);
			const cJSON *l = cJSON_GetObjectItemCaseSensitive(r, list_key);
			char *lp = dcre_cfg_key(rp, list_key);
			if (!l)
				dcre_cfg_problem(src->ld, lp, "missing (required)");
			else
				each(src, l, lp, id->valuestring, arg);
			free(lp);
		}
		free(rp);
	}
	free(path);
}

/* Automatic ids lo + i for the entries that are not pinned, then, with a
 * board_id_range, every id within it. */
static void assign_ids(struct dcre_cfg_loader *ld, const struct entries *l, uint32_t lo, bool range,
                       uint32_t hi)
{
	for (size_t i = 0; i < *l->n; i++) {
		struct dcre_bridge_config *e = entry_at(l, i);
		if (!e->board_id_pinned)
			e->board_id = lo + (uint32_t)i;
		if (range && (e->board_id < lo || e->board_id > hi))
			dcre_cfg_problem(ld, "board_id_range",
			                 "board id %08x of %s lies outside [%08x, %08x]",
			                 e->board_id, e->where, lo, hi);
	}
}

static void ipmi_defaults(struct bridge_defaults *d)
{
	memset(d, 0, sizeof(*d));
	d->timeout = 5;
	d->power_wait = 15;
	d->cipher_suite = 3;
	d->privilege = DCRE_IPMI_PRIV_ADMIN;
	d->session_idle_timeout = 30;
}

/* A device file named by `file`, read with its own loader (file name in
 * messages, unknown keys as warnings). Caller frees the returned path. */
static cJSON *device_file(struct dcre_cfg_loader *ld, const cJSON *section, const char *sec,
                          char **path)
{
	*path = NULL;
	dcre_cfg_get_path(ld, section, sec, "file", path);
	if (!*path)
		return NULL;
	struct dcre_cfg_loader fl = {
	    .file = *path, .dir = ld->dir, .errs = ld->errs, .lenient = true};
	cJSON *root = dcre_cfg_parse_file(&fl, *path);
	ld->problems += fl.problems;
	return root;
}

static void check_addresses(struct dcre_cfg_loader *ld, const struct dcre_ipmi_config *c);

/* Where a bridge section lists its entries: in its "racks" (each with
 * list_key), in a device "file" holding the same, or, when flat, in a
 * list_key of the section itself (IPMI's "bmcs", in the section's rack). */
struct list_shape {
	const char *sec;      /* "ipmi" */
	const char *list_key; /* "bmcs" */
	const char *what;     /* "BMCs", for messages */
	bool flat;
	const char *const *file_keys; /* the keys of its device file */
};

/* The entries of section s, then their board ids (board_id_range in the
 * section or in its device file). */
static void load_entries(struct dcre_cfg_loader *ld, const cJSON *s, const struct list_shape *sh,
                         const char *rack, const struct dcre_id_space *ids, struct entries *l)
{
	uint32_t lo = ids->auto_lo, hi = ids->hi;
	bool range = false;
	char *file = NULL, *kp;
	cJSON *froot = NULL;
	const cJSON *flat = sh->flat ? cJSON_GetObjectItemCaseSensitive(s, sh->list_key) : NULL;

	if (!!cJSON_GetObjectItemCaseSensitive(s, "file") +
	        !!cJSON_GetObjectItemCaseSensitive(s, "racks") + !!flat !=
	    1) {
		if (sh->flat)
			dcre_cfg_problem(
			    ld, sh->sec,
			    "exactly one of \"file\", \"racks\" or \"%s\" lists the %s",
			    sh->list_key, sh->what);
		else
			dcre_cfg_problem(ld, sh->sec,
			                 "exactly one of \"file\" or \"racks\" lists the %s",
			                 sh->what);
		return;
	}
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(s, "board_id_range");
	if (r) {
		kp = dcre_cfg_key(sh->sec, "board_id_range");
		range = id_range(ld, r, kp, ids->lo, ids->hi, &lo, &hi);
		free(kp);
	}
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "%s.", sh->sec);
	struct source src = {.ld = ld, .prefix = prefix};
	struct dcre_cfg_loader fl;
	const cJSON *root = s;
	froot = device_file(ld, s, sh->sec, &file);
	if (file) {
		if (!froot)
			goto done;
		fl = (struct dcre_cfg_loader){
		    .file = file, .dir = ld->dir, .errs = ld->errs, .lenient = true};
		dcre_cfg_check_keys(&fl, froot, "(top level)", sh->file_keys);
		src = (struct source){.ld = &fl, .prefix = ""};
		root = froot;
		const cJSON *fr = cJSON_GetObjectItemCaseSensitive(froot, "board_id_range");
		if (fr && range)
			dcre_cfg_problem(&fl, "board_id_range",
			                 "given both here and in the main file's %s section",
			                 sh->sec);
		else if (fr)
			range = id_range(&fl, fr, "board_id_range", ids->lo, ids->hi, &lo, &hi);
		flat = sh->flat ? cJSON_GetObjectItemCaseSensitive(froot, sh->list_key) : NULL;
		if (!sh->flat && !cJSON_GetObjectItemCaseSensitive(froot, "racks"))
			dcre_cfg_problem(&fl, "racks", "missing (required)");
		else if (sh->flat &&
		         !!cJSON_GetObjectItemCaseSensitive(froot, "racks") + !!flat != 1)
			dcre_cfg_problem(&fl, "(top level)",
			                 "needs exactly one of \"racks\" or \"%s\"", sh->list_key);
	}
	const cJSON *racks = cJSON_GetObjectItemCaseSensitive(root, "racks");
	if (racks)
		walk_racks(&src, racks, sh->list_key, add_entries, l);
	else if (flat) {
		kp = dcre_xasprintf("%s%s", src.prefix, sh->list_key);
		add_entries(&src, flat, kp, rack, l);
		free(kp);
	}
	if (file)
		ld->problems += fl.problems;
	assign_ids(ld, l, lo, range, hi);
done:
	cJSON_Delete(froot);
	free(file);
}

struct dcre_ipmi_config *dcre_config_load_ipmi(struct dcre_cfg_loader *ld, const cJSON *s,
                                               const struct dcre_id_space *ids)
{
	struct dcre_ipmi_config *out = dcre_xcalloc(1, sizeof(*out));
	static const char *const keys[] = {"file",
	                                   "racks",
	                                   "bmcs",
	                                   "rack_id",
	                                   "board_id_range",
	                                   "timeout",
	                                   "cipher_suite",
	                                   "privilege_level",
	                                   "session_idle_timeout",
	                                   "power_wait",
	                                   "workaround_flags",
	                                   "sdr_cache_dir",
	                                   NULL};
	struct bridge_defaults d;
	char *rack = dcre_xstrdup("rack_1");
	struct entries l = {.items = (void **)&out->bmcs,
	                    .n = &out->n_bmcs,
	                    .size = sizeof(*out->bmcs),
	                    .id_lo = ids->lo,
	                    .id_hi = ids->hi,
	                    .d = &d,
	                    .load = load_bmc};

	out->present = true;
	out->sdr_cache_dir = dcre_xstrdup("/var/cache/opendcre/sdr");
	if (!cJSON_IsObject(s)) {
		dcre_cfg_problem(ld, "ipmi", "must be an object");
		goto done;
	}
	dcre_cfg_check_keys(ld, s, "ipmi", keys);
	ipmi_defaults(&d);
	dcre_cfg_get_number(ld, s, "ipmi", "timeout", 0.1, 60, false, &d.timeout);
	dcre_cfg_get_number(ld, s, "ipmi", "power_wait", 0, 3600, false, &d.power_wait);
	dcre_cfg_get_int(ld, s, "ipmi", "cipher_suite", 0, 3, &d.cipher_suite);
	get_privilege(ld, s, "ipmi", &d.privilege);
	dcre_cfg_get_number(ld, s, "ipmi", "session_idle_timeout", 0, 3600, false,
	                    &d.session_idle_timeout);
	get_workarounds(ld, s, "ipmi", &d.workaround_flags);
	dcre_cfg_get_string(ld, s, "ipmi", "rack_id", &rack);
	dcre_cfg_get_path(ld, s, "ipmi", "sdr_cache_dir", &out->sdr_cache_dir);

	static const char *const fkeys[] = {"racks", "bmcs", "board_id_range", NULL};
	struct list_shape shape = {"ipmi", "bmcs", "BMCs", true, fkeys};
	load_entries(ld, s, &shape, rack, ids, &l);
	check_addresses(ld, out);
done:
	free(rack);
	return out;
}

/* ---- redfish ---- */

/* A CA bundle named by ca_file must be readable now, not at the first
 * request (config.md §2: unreadable files stop the service). */
static void check_ca_file(struct dcre_cfg_loader *ld, const char *path, const char *key,
                          const char *file)
{
	if (!file || access(file, R_OK) == 0)
		return;
	char *kp = dcre_cfg_key(path, key);
	dcre_cfg_problem(ld, kp, "cannot read '%s': %s", file, strerror(errno));
	free(kp);
}

static void get_scheme(struct dcre_cfg_loader *ld, const cJSON *o, const char *path, bool *https)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "scheme");
	if (!v)
		return;
	if (cJSON_IsString(v) && strcmp(v->valuestring, "https") == 0)
		*https = true;
	else if (cJSON_IsString(v) && strcmp(v->valuestring, "http") == 0)
		*https = false;
	else {
		char *kp = dcre_cfg_key(path, "scheme");
		dcre_cfg_problem(ld, kp, "must be \"https\" or \"http\"");
		free(kp);
	}
}

static void load_server(struct dcre_cfg_loader *ld, const cJSON *e, const char *path,
                        const struct bridge_defaults *d, void *entry)
{
	struct dcre_redfish_server *sv = entry;
	static const char *const keys[] = {
	    "redfish_ip", "redfish_port", "username", "password", "timeout",
	    "hostnames",  "ip_addresses", "board_id", "scheme",   "verify_tls",
	    "ca_file",    "power_wait",   NULL};
	if (!cJSON_IsObject(e)) {
		dcre_cfg_problem(ld, path, "must be an object");
		return;
	}
	dcre_cfg_check_keys(ld, e, path, keys);
	sv->https = d->https;
	sv->verify_tls = d->verify_tls;
	sv->ca_file = d->ca_file ? dcre_xstrdup(d->ca_file) : NULL;
	load_common(ld, e, path, "redfish_ip", d, &sv->b);
	dcre_cfg_get_number(ld, e, path, "timeout", 0.1, 600, false, &sv->b.timeout);
	get_scheme(ld, e, path, &sv->https);
	dcre_cfg_get_bool(ld, e, path, "verify_tls", &sv->verify_tls);
	if (cJSON_GetObjectItemCaseSensitive(e, "ca_file")) {
		dcre_cfg_get_path(ld, e, path, "ca_file", &sv->ca_file);
		check_ca_file(ld, path, "ca_file", sv->ca_file);
	}
	if (sv->https && !sv->verify_tls && sv->b.address)
		dcre_warn("%s: verify_tls is false: the certificate and host name of %s are not "
		          "verified",
		          sv->b.where, sv->b.address);
	sv->b.port = sv->https ? 443 : 80;
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(e, "redfish_port");
	if (p) {
		char *kp = dcre_cfg_key(path, "redfish_port");
		char *end = NULL;
		long v = -1;
		if (cJSON_IsNumber(p) && p->valuedouble == floor(p->valuedouble) &&
		    p->valuedouble >= 1 && p->valuedouble <= 65535) /* cast only what fits */
			v = (long)p->valuedouble;
		else if (cJSON_IsString(p) && p->valuestring[0] >= '0' && p->valuestring[0] <= '9')
			v = strtol(p->valuestring, &end, 10);
		if (v < 1 || v > 65535 || (end && *end))
			dcre_cfg_problem(
			    ld, kp, "must be a port number 1-65535 (integer or decimal string)");
		else
			sv->b.port = (int)v;
		free(kp);
	}
}

struct dcre_redfish_config *dcre_config_load_redfish(struct dcre_cfg_loader *ld, const cJSON *s,
                                                     const struct dcre_id_space *ids)
{
	struct dcre_redfish_config *out = dcre_xcalloc(1, sizeof(*out));
	static const char *const keys[] = {"file",       "racks",      "board_id_range",
	                                   "timeout",    "power_wait", "scheme",
	                                   "verify_tls", "ca_file",    NULL};
	struct bridge_defaults d = {
	    .timeout = 5, .power_wait = 15, .https = true, .verify_tls = true};
	struct entries l = {.items = (void **)&out->servers,
	                    .n = &out->n_servers,
	                    .size = sizeof(*out->servers),
	                    .id_lo = ids->lo,
	                    .id_hi = ids->hi,
	                    .d = &d,
	                    .load = load_server};

	out->present = true;
	if (!cJSON_IsObject(s)) {
		dcre_cfg_problem(ld, "redfish", "must be an object");
		return out;
	}
	dcre_cfg_check_keys(ld, s, "redfish", keys);
	dcre_cfg_get_number(ld, s, "redfish", "timeout", 0.1, 600, false, &d.timeout);
	dcre_cfg_get_number(ld, s, "redfish", "power_wait", 0, 3600, false, &d.power_wait);
	get_scheme(ld, s, "redfish", &d.https);
	dcre_cfg_get_bool(ld, s, "redfish", "verify_tls", &d.verify_tls);
	dcre_cfg_get_path(ld, s, "redfish", "ca_file", &d.ca_file);
	check_ca_file(ld, "redfish", "ca_file", d.ca_file);
	static const char *const fkeys[] = {"racks", "board_id_range", NULL};
	struct list_shape shape = {"redfish", "servers", "servers", false, fkeys};
	load_entries(ld, s, &shape, NULL, ids, &l);
	free(d.ca_file);
	return out;
}

/* ---- checks ---- */

/* Unique bmc_ip:port among the BMCs. */
static void check_addresses(struct dcre_cfg_loader *ld, const struct dcre_ipmi_config *c)
{
	for (size_t i = 0; i < c->n_bmcs; i++)
		for (size_t j = i + 1; j < c->n_bmcs; j++) {
			const struct dcre_bridge_config *a = &c->bmcs[i].b, *b = &c->bmcs[j].b;
			if (a->address && b->address && strcmp(a->address, b->address) == 0 &&
			    a->port == b->port)
				dcre_cfg_problem(ld, "bmc_ip",
				                 "%s:%d is configured twice (%s and %s)",
				                 a->address, a->port, a->where, b->where);
		}
}

void dcre_bridge_claim(const struct dcre_bridge_config *b, struct dcre_claim *out)
{
	*out = (struct dcre_claim){.board_id = b->board_id,
	                           .where = b->where,
	                           .hostnames = b->hostnames,
	                           .n_hostnames = b->n_hostnames,
	                           .hostnames_set = b->hostnames_set,
	                           .ip_addresses = b->ip_addresses,
	                           .n_ip_addresses = b->n_ip_addresses,
	                           .ip_addresses_set = b->ip_addresses_set};
}

static void free_list(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

static void free_common(struct dcre_bridge_config *b)
{
	free(b->rack_id);
	free(b->address);
	free(b->username);
	if (b->password)
		memset(b->password, 0, strlen(b->password));
	free(b->password);
	free_list(b->hostnames, b->n_hostnames);
	free_list(b->ip_addresses, b->n_ip_addresses);
	free(b->where);
}

void dcre_config_free_ipmi(struct dcre_ipmi_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_bmcs; i++)
		free_common(&c->bmcs[i].b);
	free(c->bmcs);
	free(c->sdr_cache_dir);
	free(c);
}

void dcre_config_free_redfish(struct dcre_redfish_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_servers; i++) {
		free_common(&c->servers[i].b);
		free(c->servers[i].ca_file);
	}
	free(c->servers);
	free(c);
}
