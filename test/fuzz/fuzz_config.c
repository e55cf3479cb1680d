/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the configuration loader (core/config.c, cfgload.c)
 * with every section parser of the build: the registry of the tests
 * (test/fake/fake_registry.h: the real transports' lines plus the fake's).
 *
 * The input is the main configuration file, written to a temporary
 * directory that also holds an IPMI and a Redfish device file ("bmc.json",
 * "redfish.json") for "file" keys to name. Inputs naming paths under /dev,
 * /proc or /sys are skipped (reading /dev/zero never ends; the
 * configuration is trusted text). Asserted: a rejected file has at least
 * one problem line and the problem output ends in a newline; an accepted configuration has
 * consistent counts and bridge board ids in their ranges, and loading the same text again gives the
 * same result. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"
#include "fake_registry.h"
#include "plc_config.h"
#if DCRE_HAVE_IPMI || DCRE_HAVE_REDFISH
#include "bridge_config.h"
#endif
#include "fake_fcgi.h"
#include "fuzz_check.h"

static char dir[64];
static char main_path[128];

static void put(const char *name, const char *text)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	fuzz_require(f && fputs(text, f) >= 0 && fclose(f) == 0, "write a device file");
}

static void cleanup(void)
{
	fake_remove_dir(dir);
}

static void setup(void)
{
	fuzz_quiet_log();
	snprintf(dir, sizeof(dir), "%s/dcre-fuzz-XXXXXX",
	         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	fuzz_require(mkdtemp(dir) != NULL, "mkdtemp");
	atexit(cleanup);
	snprintf(main_path, sizeof(main_path), "%s/opendcre.json", dir);
	put("bmc.json", "{\"racks\": [{\"rack_id\": \"rack_1\", \"bmcs\": [{\"bmc_ip\": "
	                "\"10.0.0.5\", \"bmc_port\": 623, \"username\": \"admin\", "
	                "\"password\": \"pw\", \"hostnames\": [\"bmc-a\"]}]}]}");
	put("redfish.json", "{\"racks\": [{\"rack_id\": \"rack_2\", \"servers\": [{\"redfish_ip\": "
	                    "\"10.0.0.9\", \"username\": \"u\", \"password\": \"p\"}]}]}");
	put("ca.pem", "not a certificate\n");
}

/* A "file" or "ca_file" anywhere in the tree naming a special file system
 * (the loader reads the first and checks the second). */
static bool names_special(const cJSON *node)
{
	for (; node; node = node->next) {
		const char *s = cJSON_IsString(node) ? node->valuestring : NULL;
		const char *key = node->string;
		size_t klen = key ? strlen(key) : 0;
		if (klen >= 4 && strcmp(key + klen - 4, "file") == 0 && s &&
		    (strstr(s, "dev") || strstr(s, "proc") || strstr(s, "sys") || strstr(s, "fd")))
			return true;
		if (node->child && names_special(node->child))
			return true;
	}
	return false;
}

#if DCRE_HAVE_IPMI || DCRE_HAVE_REDFISH
static void bridge_ok(const struct dcre_bridge_config *b)
{
	fuzz_require(b->address && b->rack_id && b->where, "a bridge has address, rack and origin");
	fuzz_require(b->n_hostnames == 0 || b->hostnames, "hostnames are there");
	fuzz_require(b->n_ip_addresses == 0 || b->ip_addresses, "ip addresses are there");
	fuzz_require((b->board_id & 0x40000000u) != 0, "a bridge board id has bit 30 set");
}
#endif

/* Problem lines go to a terminal or log, not into a JSON answer: each ends. */
static void lines_end(const char *text, size_t len)
{
	fuzz_require(len == 0 || text[len - 1] == '\n', "problem output ends with a newline");
}

static struct dcre_config *load(char **errs, size_t *errs_len)
{
	FILE *mem = open_memstream(errs, errs_len);
	fuzz_require(mem != NULL, "open_memstream");
	struct dcre_config *cfg = dcre_config_load(main_path, fake_registry(), NULL, mem);
	fclose(mem);
	return cfg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir[0])
		setup();
	if (size > 65536)
		return 0;
	cJSON *pre = cJSON_ParseWithLength((const char *)data, size);
	bool special = pre && names_special(pre);
	cJSON_Delete(pre);
	if (special)
		return 0;

	FILE *f = fopen(main_path, "wb");
	fuzz_require(f && fwrite(data, 1, size, f) == size && fclose(f) == 0, "write the input");

	char *errs = NULL, *errs2 = NULL;
	size_t errs_len = 0, errs2_len = 0;
	struct dcre_config *cfg = load(&errs, &errs_len);
	lines_end(errs, errs_len);
	if (!cfg) {
		fuzz_require(errs_len > 0, "a rejected configuration names a problem");
	} else {
		fuzz_require(cfg->path && cfg->scan_cache.file, "path and scan cache file are set");
		fuzz_require(cfg->scan_cache.timeout >= 0, "the cache timeout is not negative");
#if DCRE_HAVE_IPMI
		const struct dcre_ipmi_config *ipmi = dcre_config_section(cfg, "ipmi");
		fuzz_require(!ipmi || ipmi->n_bmcs == 0 || ipmi->bmcs, "BMCs are there");
		for (size_t i = 0; ipmi && i < ipmi->n_bmcs; i++)
			bridge_ok(&ipmi->bmcs[i].b);
#endif
#if DCRE_HAVE_REDFISH
		const struct dcre_redfish_config *rf = dcre_config_section(cfg, "redfish");
		fuzz_require(!rf || rf->n_servers == 0 || rf->servers, "Redfish servers are there");
		for (size_t i = 0; rf && i < rf->n_servers; i++)
			bridge_ok(&rf->servers[i].b);
#endif
		const struct dcre_plc_config *plc = dcre_config_section(cfg, "plc");
		if (plc)
			fuzz_require(plc->board_lo <= plc->board_hi,
			             "the PLC board range is ordered");
	}
	struct dcre_config *again = load(&errs2, &errs2_len);
	fuzz_require((cfg == NULL) == (again == NULL), "loading twice gives the same verdict");
	fuzz_require(errs_len == errs2_len && (errs_len == 0 || !memcmp(errs, errs2, errs_len)),
	             "loading twice gives the same problems");
	dcre_config_free(cfg);
	dcre_config_free(again);
	free(errs);
	free(errs2);
	return 0;
}
