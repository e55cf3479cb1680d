/* SPDX-License-Identifier: MIT */
/* Configuration loading: defaults, every plc/scan_cache/log key, and bad
 * files refused with file, key path and reason (config.md §2, §3). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "plc_config.h"
#include "registry.h"
#include "tap.h"

static char dir[] = "/tmp/dcre-test-config.XXXXXX";

/* The PLC bus section (a zeroed one when there is none). */
static const struct dcre_plc_config *plc(const struct dcre_config *cfg)
{
	static const struct dcre_plc_config none;
	const struct dcre_plc_config *p = cfg ? dcre_config_section(cfg, "plc") : NULL;
	return p ? p : &none;
}

static bool has_plc(const struct dcre_config *cfg)
{
	return dcre_config_section(cfg, "plc") != NULL;
}

/* Load text as <dir>/c.json; the problems written go to errs_out. */
static struct dcre_config *load(const char *text, const struct dcre_config_overrides *ov,
                                char *errs_out, size_t errs_len)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/c.json", dir);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	FILE *errs = fmemopen(errs_out, errs_len, "w");
	memset(errs_out, 0, errs_len);
	struct dcre_config *cfg = dcre_config_load(path, &dcre_registry, ov, errs);
	fclose(errs);
	return cfg;
}

static void refused(const char *text, const char *want)
{
	char errs[2048];
	struct dcre_config *cfg = load(text, NULL, errs, sizeof(errs));
	tap_ok(cfg == NULL && strstr(errs, want) && strstr(errs, "c.json: "), "refused with '%s'",
	       want);
	if (cfg || !strstr(errs, want))
		tap_diag("got: %s", errs);
	dcre_config_free(cfg);
}

int main(void)
{
	char errs[2048];
	struct dcre_config *cfg;

	if (!mkdtemp(dir))
		return 1;

	cfg = load("{}", NULL, errs, sizeof(errs));
	tap_ok(cfg != NULL, "{} is valid");
	tap_ok(cfg && !has_plc(cfg), "{} has no PLC bus");
	tap_is_str(cfg ? cfg->scan_cache.file : NULL, "/var/lib/opendcre/scan-cache.json",
	           "default scan cache file");
	dcre_config_free(cfg);

	cfg = load("{\"plc\": {}}", NULL, errs, sizeof(errs));
	tap_ok(cfg && has_plc(cfg), "empty plc section enables the bus");
	tap_ok(cfg && plc(cfg)->baud == 115200 && plc(cfg)->retry_limit == 3 &&
	           plc(cfg)->time_slice == 75 && plc(cfg)->timeout == 0.25,
	       "plc defaults");
	tap_is_str(plc(cfg)->device, "/dev/ttyAMA0", "default device");
	tap_is_str(plc(cfg)->lockfile, "/run/opendcre/plc.lock", "default lockfile");
	dcre_config_free(cfg);

	cfg = load("{\"plc\": {\"device\": \"bus\", \"lockfile\": \"/run/x.lock\", \"baud\": 9600,"
	           " \"timeout\": 0.5, \"retry_limit\": 5, \"time_slice\": 0,"
	           " \"mac_address\": \"b8:27:eb:12:34:56\", \"board_id_range\": [\"10\", 255]},"
	           " \"scan_cache\": {\"file\": \"cache.json\", \"cache_timeout\": 0},"
	           " \"log\": {\"level\": \"debug\", \"target\": \"syslog\"}}",
	           NULL, errs, sizeof(errs));
	tap_ok(cfg != NULL, "full valid file loads");
	if (cfg) {
		char want[160];
		snprintf(want, sizeof(want), "%s/bus", dir);
		tap_is_str(plc(cfg)->device, want, "relative device is relative to the file");
		snprintf(want, sizeof(want), "%s/cache.json", dir);
		tap_is_str(cfg->scan_cache.file, want, "relative cache file");
		tap_is_str(plc(cfg)->lockfile, "/run/x.lock", "absolute lockfile kept");
		tap_ok(plc(cfg)->baud == 9600 && plc(cfg)->timeout == 0.5 &&
		           plc(cfg)->retry_limit == 5 && plc(cfg)->time_slice == 0,
		       "numbers read");
		tap_ok(plc(cfg)->mac_set && plc(cfg)->mac[0] == 0xb8 && plc(cfg)->mac[5] == 0x56,
		       "mac read");
		tap_ok(plc(cfg)->board_lo == 0x10 && plc(cfg)->board_hi == 255,
		       "board_id_range: hex string and integer");
		tap_ok(cfg->scan_cache.timeout == 0, "cache_timeout 0");
		tap_ok(cfg->log.level == DCRE_LOG_DEBUG && cfg->log.target == DCRE_LOG_SYSLOG,
		       "log section");
	}
	dcre_config_free(cfg);

	struct dcre_config_overrides ov = {.serial = "/dev/pts/9", .debug = true};
	cfg = load("{}", &ov, errs, sizeof(errs));
	tap_ok(cfg && has_plc(cfg), "--serial creates the plc section");
	tap_is_str(plc(cfg)->device, "/dev/pts/9", "--serial sets the device");
	tap_ok(cfg && cfg->log.level == DCRE_LOG_DEBUG, "--debug sets the level");
	dcre_config_free(cfg);

	refused("{\"plc\": {\"baud\": 115201}}", "plc.baud: ");
	refused("{\"plc\": {\"baud\": 115201}}", "not a supported baud rate");
	refused("{\"plc\": {\"timeout\": 0}}", "plc.timeout: ");
	refused("{\"plc\": {\"timeout\": 11}}", "plc.timeout: ");
	refused("{\"plc\": {\"retry_limit\": 0}}", "plc.retry_limit: ");
	refused("{\"plc\": {\"retry_limit\": 2.5}}", "plc.retry_limit: must be an integer");
	refused("{\"plc\": {\"time_slice\": 256}}", "plc.time_slice: ");
	refused("{\"plc\": {\"hardware_type\": \"vec\"}}", "plc.hardware_type: ");
	refused("{\"plc\": {\"mac_address\": \"b8:27\"}}", "plc.mac_address: ");
	refused("{\"plc\": {\"board_id_range\": [0, \"40000000\"]}}", "plc.board_id_range[1]: ");
	refused("{\"plc\": {\"device\": 5}}", "plc.device: ");
	refused("{\"plc\": {\"baud\": 9600, \"baud\": 9600}}", "key \"baud\" appears twice");
	refused("{\"plc\": {\"bps\": 9600}}", "plc: unknown key \"bps\"");
	refused("{\"plcx\": {}}", "unknown key \"plcx\"");
	refused("{\"scan_cache\": {\"cache_timeout\": -1}}", "scan_cache.cache_timeout: ");
	refused("{\"log\": {\"level\": \"loud\"}}", "log.level: ");
	refused("{\"log\": {\"target\": \"file\"}}", "log.file: missing");
	refused("{\"plc\": {\n  \"baud\": 9600,\n  \"timeout\" 1\n}}", "line 3, column");
	refused("[1, 2]", "must be a JSON object");
	refused("{\"ipmi\": {}}", "ipmi: ");
#if DCRE_HAVE_GPIO
	refused("{\"plc\": {\"hardware_type\": \"rpi_hat\", \"gpio\": {\"cmd\": 22}}}",
	        "use the same line offset");
#else
	refused("{\"plc\": {\"hardware_type\": \"rpi_hat\"}}",
	        "plc.hardware_type: this opendcre was built without GPIO support (meson setup "
	        "-Dgpio=enabled)");
#endif

	/* a compiled-out transport's section: the documented error */
	size_t disabled = 0;
	for (size_t t = 0; t < dcre_registry.n; t++) {
		const struct dcre_transport *tr = &dcre_registry.v[t];
		if (tr->hooks)
			continue;
		char text[64], want[256];
		snprintf(text, sizeof(text), "{\"%s\": {}}", tr->name);
		snprintf(
		    want, sizeof(want),
		    "%s: this opendcre was built without %s support (meson setup -D%s=enabled)",
		    tr->name, tr->label, tr->option);
		refused(text, want);
		disabled++;
	}
	tap_ok(true, "%zu transport(s) compiled out of this build", disabled);

	cfg = dcre_config_load("/nonexistent/opendcre.json", &dcre_registry, NULL, NULL);
	tap_ok(cfg == NULL, "missing file refused");

	char path[128];
	snprintf(path, sizeof(path), "%s/c.json", dir);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
