/* SPDX-License-Identifier: MIT */
/* The ipmi section (config.md §4, §10; ipmi.md §1, §2): both OpenDCRE
 * bmc_config.json shapes, inline or in a file, load to the same boards;
 * pinned ids and board_id_range; every invalid entry is refused naming the
 * file, the BMC's key path and the key, and never shows a password. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge_config.h"
#include "config.h"
#include "registry.h"
#include "tap.h"

/* The sections (zeroed ones when absent). */
static const struct dcre_ipmi_config *ipmi_of(const struct dcre_config *cfg)
{
	static const struct dcre_ipmi_config none;
	const struct dcre_ipmi_config *c = cfg ? dcre_config_section(cfg, "ipmi") : NULL;
	return c ? c : &none;
}

static char dir[] = "/tmp/dcre-test-config-bridge.XXXXXX";
static char errs[8192];

static void put(const char *name, const char *text)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* Load text as <dir>/c.json; problems go to errs. */
static struct dcre_config *load(const char *text)
{
	char path[160];
	put("c.json", text);
	snprintf(path, sizeof(path), "%s/c.json", dir);
	FILE *e = fmemopen(errs, sizeof(errs), "w");
	memset(errs, 0, sizeof(errs));
	struct dcre_config *cfg = dcre_config_load(path, &dcre_registry, NULL, e);
	fclose(e);
	return cfg;
}

/* Refused, with a line "<dir>/<file>: <key>: ...<problem>..." and no
 * secret in the output. */
static void refused(const char *text, const char *file, const char *key, const char *problem,
                    const char *secret)
{
	char want[400];
	struct dcre_config *cfg = load(text);
	snprintf(want, sizeof(want), "%s/%s: %s: ", dir, file, key);
	const char *line = strstr(errs, want);
	bool ok = cfg == NULL && line && (!problem || strstr(line, problem));
	tap_ok(ok, "refused: %s: %s%s%s", file, key, problem ? " ... " : "",
	       problem ? problem : "");
	if (!ok)
		tap_diag("got: %s", errs);
	if (secret)
		tap_ok(!strstr(errs, secret), "  ... the message does not show the password");
	dcre_config_free(cfg);
}

/* BMC i, or a zeroed stand-in (so a failed load fails the checks, not the
 * test program). */
static const struct dcre_ipmi_bmc *bmc(const struct dcre_config *cfg, size_t i)
{
	static char *none[1] = {""};
	static const struct dcre_ipmi_bmc empty = {.b = {.address = "",
	                                                 .username = "",
	                                                 .password = "",
	                                                 .rack_id = "",
	                                                 .hostnames = none,
	                                                 .ip_addresses = none}};
	return cfg && i < ipmi_of(cfg)->n_bmcs ? &ipmi_of(cfg)->bmcs[i] : &empty;
}

/* The boards two configurations give are the same: ids, addresses,
 * ports, credentials, cipher suites, names. */
static bool same_boards(const struct dcre_config *a, const struct dcre_config *b)
{
	if (!a || !b || ipmi_of(a)->n_bmcs != ipmi_of(b)->n_bmcs)
		return false;
	for (size_t i = 0; i < ipmi_of(a)->n_bmcs; i++) {
		const struct dcre_ipmi_bmc *x = &ipmi_of(a)->bmcs[i], *y = &ipmi_of(b)->bmcs[i];
		if (x->b.board_id != y->b.board_id || x->b.index != y->b.index ||
		    strcmp(x->b.address, y->b.address) || x->b.port != y->b.port ||
		    strcmp(x->b.username, y->b.username) || strcmp(x->b.password, y->b.password) ||
		    x->cipher_suite != y->cipher_suite || x->b.n_hostnames != y->b.n_hostnames ||
		    strcmp(x->b.hostnames[0], y->b.hostnames[0]) ||
		    x->b.n_ip_addresses != y->b.n_ip_addresses ||
		    strcmp(x->b.ip_addresses[0], y->b.ip_addresses[0]))
			return false;
	}
	return true;
}

/* OpenDCRE 1.2 bmc_config.json: flat, algorithm names. */
static const char shape12[] =
    "{\"bmcs\": ["
    " {\"bmc_ip\": \"10.0.0.5\", \"username\": \"admin\", \"password\": \"secret1\","
    "  \"auth_type\": \"RAKP_HMAC_SHA1\", \"integrity_type\": \"HMAC_SHA1_96\","
    "  \"encryption_type\": \"AES_CBC_128\"},"
    " {\"bmc_ip\": \"10.0.0.6\", \"username\": \"ops\", \"password\": \"secret2\","
    "  \"auth_type\": \"rakp_hmac_sha1\", \"integrity_type\": \"NO_INTEGRITY_ALGORITHM\","
    "  \"encryption_type\": \"no_encryption_algorithm\"},"
    " {\"bmc_ip\": \"10.0.0.7\", \"username\": \"x\", \"password\": \"\","
    "  \"auth_type\": \"NO_AUTHENTICATION_ALGORITHM\", \"integrity_type\":"
    "  \"NO_INTEGRITY_ALGORITHM\", \"encryption_type\": \"NO_ENCRYPTION_ALGORITHM\"}"
    "]}";

/* OpenDCRE 1.3 bmc_config.json: racks, bmc_port, hostnames, addresses. */
static const char shape13[] =
    "{\"racks\": ["
    " {\"rack_id\": \"rack_1\", \"bmcs\": ["
    "  {\"bmc_ip\": \"10.0.0.5\", \"bmc_port\": 623, \"username\": \"admin\","
    "   \"password\": \"secret1\", \"hostnames\": [\"10.0.0.5\"],"
    "   \"ip_addresses\": [\"10.0.0.5\"]},"
    "  {\"bmc_ip\": \"10.0.0.6\", \"username\": \"ops\", \"password\": \"secret2\","
    "   \"cipher_suite\": 1}]},"
    " {\"rack_id\": \"rack_2\", \"bmcs\": ["
    "  {\"bmc_ip\": \"10.0.0.7\", \"username\": \"x\", \"password\": \"\","
    "   \"cipher_suite\": 0}]}"
    "]}";

static void shapes(void)
{
	struct dcre_config *a, *b, *c, *d;

	put("bmc12.json", shape12);
	put("bmc13.json", shape13);
	a = load("{\"ipmi\": {\"file\": \"bmc12.json\", \"rack_id\": \"rack_9\"}}");
	tap_ok(a && ipmi_of(a)->n_bmcs == 3, "1.2 file shape loads 3 BMCs");
	if (!a)
		tap_diag("%s", errs);
	b = load("{\"ipmi\": {\"file\": \"bmc13.json\"}}");
	tap_ok(b && ipmi_of(b)->n_bmcs == 3, "1.3 file shape loads 3 BMCs");
	if (!b)
		tap_diag("%s", errs);
	tap_ok(same_boards(a, b), "both file shapes give the same boards");
	tap_ok(bmc(a, 0)->b.board_id == 0x40000001 && bmc(a, 1)->b.board_id == 0x40000002 &&
	           bmc(a, 2)->b.board_id == 0x40000003,
	       "ids 40000001 + i in configuration order");
	tap_ok(bmc(a, 0)->cipher_suite == 3 && bmc(a, 1)->cipher_suite == 1 &&
	           bmc(a, 2)->cipher_suite == 0,
	       "algorithm names (any case) map to cipher suites 3, 1, 0");
	tap_ok(bmc(a, 0)->b.port == 623 && bmc(b, 1)->b.port == 623,
	       "bmc_port defaults to 623 in both shapes");
	tap_is_str(bmc(a, 2)->b.rack_id, "rack_9", "flat shape: ipmi.rack_id");
	tap_is_str(bmc(b, 2)->b.rack_id, "rack_2", "racks shape: its rack");
	tap_is_str(bmc(b, 1)->b.hostnames[0], "10.0.0.6", "hostnames default to [bmc_ip]");
	tap_ok(!bmc(b, 1)->b.hostnames_set && bmc(b, 0)->b.hostnames_set,
	       "explicit hostnames are marked");

	/* the same lists inline */
	c = load("{\"ipmi\": {\"rack_id\": \"rack_9\", \"bmcs\": ["
	         " {\"bmc_ip\": \"10.0.0.5\", \"username\": \"admin\", \"password\": \"secret1\","
	         "  \"auth_type\": \"RAKP_HMAC_SHA1\", \"integrity_type\": \"HMAC_SHA1_96\","
	         "  \"encryption_type\": \"AES_CBC_128\"},"
	         " {\"bmc_ip\": \"10.0.0.6\", \"username\": \"ops\", \"password\": \"secret2\","
	         "  \"cipher_suite\": 1},"
	         " {\"bmc_ip\": \"10.0.0.7\", \"username\": \"x\", \"password\": \"\","
	         "  \"cipher_suite\": 0}]}}");
	tap_ok(same_boards(a, c), "inline flat list: the same boards");
	if (!c)
		tap_diag("%s", errs);
	char inline13[2048];
	snprintf(inline13, sizeof(inline13), "{\"ipmi\": %s}", shape13);
	d = load(inline13);
	tap_ok(same_boards(b, d), "inline racks: the same boards");
	if (!d)
		tap_diag("%s", errs);
	dcre_config_free(a);
	dcre_config_free(b);
	dcre_config_free(c);
	dcre_config_free(d);
}

static void defaults_and_overrides(void)
{
	struct dcre_config *cfg =
	    load("{\"ipmi\": {\"timeout\": 2, \"privilege_level\": \"operator\","
	         " \"session_idle_timeout\": 10, \"power_wait\": 3, \"cipher_suite\": 2,"
	         " \"workaround_flags\": [\"opensesspriv\"], \"sdr_cache_dir\": \"sdr\","
	         " \"racks\": [{\"rack_id\": \"r\", \"bmcs\": ["
	         "  {\"bmc_ip\": \"10.0.0.5\", \"username\": \"a\", \"password\": \"p\"},"
	         "  {\"bmc_ip\": \"10.0.0.6\", \"bmc_port\": 6230, \"username\": \"a\","
	         "   \"password\": \"p\", \"timeout\": 0.5, \"privilege_level\": \"user\","
	         "   \"session_idle_timeout\": 0, \"power_wait\": 0, \"cipher_suite\": 0,"
	         "   \"workaround_flags\": [\"nochecksumcheck\", \"authcap\"]}]}]}}");
	const struct dcre_ipmi_bmc *x = bmc(cfg, 0), *y = bmc(cfg, 1);
	tap_ok(x->b.timeout == 2 && x->privilege == DCRE_IPMI_PRIV_OPERATOR &&
	           x->session_idle_timeout == 10 && x->b.power_wait == 3 && x->cipher_suite == 2 &&
	           x->workaround_flags == DCRE_IPMI_WORKAROUND_OPENSESSPRIV,
	       "section values are the BMC defaults");
	if (!cfg)
		tap_diag("%s", errs);
	tap_ok(y->b.timeout == 0.5 && y->privilege == DCRE_IPMI_PRIV_USER &&
	           y->session_idle_timeout == 0 && y->b.power_wait == 0 && y->cipher_suite == 0 &&
	           y->workaround_flags ==
	               (DCRE_IPMI_WORKAROUND_NOCHECKSUMCHECK | DCRE_IPMI_WORKAROUND_AUTHCAP) &&
	           y->b.port == 6230,
	       "per-BMC overrides");
	char want[200];
	snprintf(want, sizeof(want), "%s/sdr", dir);
	tap_is_str(ipmi_of(cfg)->sdr_cache_dir, want, "sdr_cache_dir relative to the main file");
	dcre_config_free(cfg);

	cfg = load("{\"ipmi\": {\"bmcs\": [{\"bmc_ip\": \"h\", \"username\": \"a\","
	           " \"password\": \"p\"}]}}");
	x = bmc(cfg, 0);
	tap_ok(x->b.timeout == 5 && x->privilege == DCRE_IPMI_PRIV_ADMIN &&
	           x->session_idle_timeout == 30 && x->b.power_wait == 15 && x->cipher_suite == 3 &&
	           x->workaround_flags == 0 && x->b.port == 623,
	       "defaults: timeout 5, admin, idle 30, power_wait 15, suite 3, no flags, port 623");
	tap_is_str(x->b.rack_id, "rack_1", "flat list default rack rack_1");
	tap_is_str(ipmi_of(cfg)->sdr_cache_dir, "/var/cache/opendcre/sdr", "default sdr_cache_dir");
	dcre_config_free(cfg);
}

static void ids(void)
{
	struct dcre_config *cfg =
	    load("{\"ipmi\": {\"racks\": [{\"rack_id\": \"r\", \"bmcs\": ["
	         "  {\"bmc_ip\": \"10.0.0.5\", \"username\": \"a\", \"password\": \"p\"},"
	         "  {\"bmc_ip\": \"10.0.0.6\", \"username\": \"a\", \"password\": \"p\","
	         "   \"board_id\": \"40000010\"},"
	         "  {\"bmc_ip\": \"10.0.0.7\", \"username\": \"a\", \"password\": \"p\","
	         "   \"board_id\": 1073741824},"
	         "  {\"bmc_ip\": \"10.0.0.8\", \"username\": \"a\", \"password\": \"p\"}]}]}}");
	tap_ok(bmc(cfg, 0)->b.board_id == 0x40000001 && bmc(cfg, 1)->b.board_id == 0x40000010 &&
	           bmc(cfg, 2)->b.board_id == 0x40000000 && bmc(cfg, 3)->b.board_id == 0x40000004,
	       "pinned ids (hex string, integer) and automatic ids 40000001 + i");
	if (!cfg)
		tap_diag("%s", errs);
	dcre_config_free(cfg);

	cfg = load("{\"ipmi\": {\"board_id_range\": [\"40000100\", \"400001ff\"], \"bmcs\": ["
	           "  {\"bmc_ip\": \"10.0.0.5\", \"username\": \"a\", \"password\": \"p\"},"
	           "  {\"bmc_ip\": \"10.0.0.6\", \"username\": \"a\", \"password\": \"p\","
	           "   \"board_id\": \"0x40000180\"},"
	           "  {\"bmc_ip\": \"10.0.0.7\", \"username\": \"a\", \"password\": \"p\"}]}}");
	tap_ok(bmc(cfg, 0)->b.board_id == 0x40000100 && bmc(cfg, 1)->b.board_id == 0x40000180 &&
	           bmc(cfg, 2)->b.board_id == 0x40000102,
	       "board_id_range: lo + i, pinned ids kept");
	if (!cfg)
		tap_diag("%s", errs);
	dcre_config_free(cfg);

	put("range.json", "{\"board_id_range\": [1073741856, 1073741871], \"racks\": ["
	                  " {\"rack_id\": \"r\", \"bmcs\": [{\"bmc_ip\": \"10.0.0.5\","
	                  "  \"username\": \"a\", \"password\": \"p\"}]}]}");
	cfg = load("{\"ipmi\": {\"file\": \"range.json\"}}");
	tap_ok(bmc(cfg, 0)->b.board_id == 0x40000020,
	       "board_id_range in the device file (integers)");
	if (!cfg)
		tap_diag("%s", errs);
	dcre_config_free(cfg);

	/* names: defaults shared by two entries are a warning, not an error */
	cfg = load("{\"ipmi\": {\"bmcs\": ["
	           "  {\"bmc_ip\": \"10.0.0.5\", \"username\": \"a\", \"password\": \"p\"},"
	           "  {\"bmc_ip\": \"10.0.0.5\", \"bmc_port\": 6230, \"username\": \"a\","
	           "   \"password\": \"p\"}]}}");
	tap_ok(cfg && ipmi_of(cfg)->n_bmcs == 2,
	       "same bmc_ip on another port: loads (default names only warn)");
	dcre_config_free(cfg);

	/* unknown keys in a device file are warnings */
	put("old.json", "{\"bmcs\": [{\"bmc_ip\": \"10.0.0.5\", \"username\": \"a\","
	                " \"password\": \"p\", \"sensor_poll\": 5}], \"scan_on_init\": true}");
	cfg = load("{\"ipmi\": {\"file\": \"old.json\"}}");
	tap_ok(cfg && ipmi_of(cfg)->n_bmcs == 1, "unknown keys in a device file: loads");
	dcre_config_free(cfg);
}

#define BMC1 "{\"bmc_ip\": \"10.0.0.5\", \"username\": \"a\", \"password\": \"p\"}"

static void invalid(void)
{
	/* passwords */
	put("pw.json", "{\"bmcs\": [" BMC1 ", {\"bmc_ip\": \"10.0.0.6\", \"username\": \"a\"}]}");
	refused("{\"ipmi\": {\"file\": \"pw.json\"}}", "pw.json", "bmcs[1].password",
	        "missing (required)", NULL);
	refused("{\"ipmi\": {\"bmcs\": [" BMC1 ", {\"bmc_ip\": \"10.0.0.6\", \"username\": \"a\","
	        " \"password\": \"s3cret-s3cret-s3cret-x\"}]}}",
	        "c.json", "ipmi.bmcs[1].password", "longer than 20 bytes", "s3cret-s3cret");
	refused("{\"ipmi\": {\"racks\": [{\"rack_id\": \"r\", \"bmcs\": [{\"bmc_ip\": \"h\","
	        " \"username\": \"a\", \"password\": 123456789}]}]}}",
	        "c.json", "ipmi.racks[0].bmcs[0].password", "must be a string", "123456789");
	refused("{\"ipmi\": {\"bmcs\": [{\"bmc_ip\": \"h\", \"username\": \"a\","
	        " \"password\": \"hunter2\", \"password\": \"hunter3\"}]}}",
	        "c.json", "ipmi.bmcs[0]", "\"password\" appears twice", "hunter");
	refused("{\"ipmi\": {\"bmcs\": [{\"bmc_ip\": \"h\", \"username\":"
	        " \"a-very-long-user-name\", \"password\": \"pw-secret\"}]}}",
	        "c.json", "ipmi.bmcs[0].username", "longer than 16 bytes", "pw-secret");
	refused("{\"ipmi\": {\"bmcs\": [{\"username\": \"a\", \"password\": \"pw-secret\"}]}}",
	        "c.json", "ipmi.bmcs[0].bmc_ip", "missing (required)", "pw-secret");
	refused("{\"ipmi\": {\"bmcs\": [{\"bmc_ip\": \"h\", \"password\": \"pw-secret\"}]}}",
	        "c.json", "ipmi.bmcs[0].username", "missing (required)", "pw-secret");

	/* cipher suites and algorithm names */
	refused("{\"ipmi\": {\"bmcs\": [{\"bmc_ip\": \"h\", \"username\": \"a\", \"password\":"
	        " \"pw-secret\", \"cipher_suite\": 4}]}}",
	        "c.json", "ipmi.bmcs[0].cipher_suite", "out of range", "pw-secret");
	refused("{\"ipmi\": {\"bmcs\": [{\"bmc_ip\": \"h\", \"username\": \"a\", \"password\":"
	        " \"pw-secret\", \"auth_type\": \"RAKP_HMAC_MD5\", \"integrity_type\":"
	        " \"HMAC_SHA1_96\", \"encryption_type\": \"AES_CBC_128\"}]}}",
	        "c.json", "ipmi.bmcs[0].auth_type", "no IPMI 2.0 cipher suite", "pw-secret");
	refused("{\"ipmi\": {\"bmcs\": [{\"bmc_ip\": \"h\", \"username\": \"a\", \"password\":"
	        " \"p\", \"auth_type\": \"NO_AUTHENTICATION_ALGORITHM\", \"integrity_type\":"
	        " \"HMAC_SHA1_96\", \"encryption_type\": \"NO_ENCRYPTION_ALGORITHM\"}]}}",
	        "c.json", "ipmi.bmcs[0].auth_type", "no IPMI 2.0 cipher suite", NULL);
	refused("{\"ipmi\": {\"bmcs\": [{\"bmc_ip\": \"h\", \"username\": \"a\", \"password\":"
	        " \"p\", \"auth_type\": \"RAKP_HMAC_SHA1\", \"integrity_type\":"
	        " \"HMAC_SHA1_96\"}]}}",
	        "c.json", "ipmi.bmcs[0].auth_type", "all three or none", NULL);
	refused(
	    "{\"ipmi\": {\"bmcs\": [{\"bmc_ip\": \"h\", \"username\": \"a\", \"password\":"
	    " \"p\", \"cipher_suite\": 3, \"auth_type\": \"RAKP_HMAC_SHA1\", \"integrity_type\":"
	    " \"HMAC_SHA1_96\", \"encryption_type\": \"AES_CBC_128\"}]}}",
	    "c.json", "ipmi.bmcs[0].auth_type", "cannot be combined with cipher_suite", NULL);

	/* ids */
	refused("{\"ipmi\": {\"bmcs\": [" BMC1 ", {\"bmc_ip\": \"10.0.0.6\", \"username\": \"a\","
	        " \"password\": \"p\", \"board_id\": \"40000001\"}]}}",
	        "c.json", "board_id", "40000001 is the board id of both", NULL);
	tap_ok(strstr(errs, "ipmi.bmcs[0]") && strstr(errs, "ipmi.bmcs[1]"),
	       "  ... naming both entries");
	refused("{\"ipmi\": {\"bmcs\": [{\"bmc_ip\": \"h\", \"username\": \"a\", \"password\":"
	        " \"p\", \"board_id\": \"50000000\"}]}}",
	        "c.json", "ipmi.bmcs[0].board_id", "outside 40000000-4fffffff", NULL);
	refused("{\"ipmi\": {\"bmcs\": [{\"bmc_ip\": \"h\", \"username\": \"a\", \"password\":"
	        " \"p\", \"board_id\": \"zz\"}]}}",
	        "c.json", "ipmi.bmcs[0].board_id", NULL, NULL);
	refused("{\"ipmi\": {\"board_id_range\": [\"30000000\", \"40000010\"], \"bmcs\": [" BMC1
	        "]}}",
	        "c.json", "ipmi.board_id_range", "must be a range within", NULL);
	refused("{\"ipmi\": {\"board_id_range\": [\"40000100\", \"40000100\"], \"bmcs\": [" BMC1
	        ", {\"bmc_ip\": \"10.0.0.6\", \"username\": \"a\", \"password\": \"p\"}]}}",
	        "c.json", "board_id_range", "lies outside", NULL);
	put("range2.json",
	    "{\"board_id_range\": [\"40000100\", \"400001ff\"], \"bmcs\": [" BMC1 "]}");
	refused("{\"ipmi\": {\"file\": \"range2.json\", \"board_id_range\": [\"40000100\","
	        " \"400001ff\"]}}",
	        "range2.json", "board_id_range", "given both here and in the main file", NULL);

	/* duplicates and names */
	refused("{\"ipmi\": {\"bmcs\": [" BMC1 ", {\"bmc_ip\": \"10.0.0.5\", \"bmc_port\": 623,"
	        " \"username\": \"b\", \"password\": \"p\"}]}}",
	        "c.json", "bmc_ip", "10.0.0.5:623 is configured twice", NULL);
	refused("{\"ipmi\": {\"bmcs\": [{\"bmc_ip\": \"10.0.0.5\", \"username\": \"a\","
	        " \"password\": \"p\", \"hostnames\": [\"node-1\"]}, {\"bmc_ip\": \"10.0.0.6\","
	        " \"username\": \"a\", \"password\": \"p\", \"hostnames\": [\"node-1\"]}]}}",
	        "c.json", "hostnames", "'node-1' names two boards", NULL);
	refused("{\"ipmi\": {\"bmcs\": [{\"bmc_ip\": \"10.0.0.5\", \"username\": \"a\","
	        " \"password\": \"p\"}, {\"bmc_ip\": \"10.0.0.6\", \"username\": \"a\","
	        " \"password\": \"p\", \"ip_addresses\": [\"10.0.0.5\"]}]}}",
	        "c.json", "ip_addresses", "'10.0.0.5' names two boards", NULL);

	/* ranges and types of the other keys */
	refused("{\"ipmi\": {\"timeout\": 0.05, \"bmcs\": [" BMC1 "]}}", "c.json", "ipmi.timeout",
	        "out of range", NULL);
	refused("{\"ipmi\": {\"bmcs\": [{\"bmc_ip\": \"h\", \"username\": \"a\", \"password\":"
	        " \"p\", \"timeout\": 61}]}}",
	        "c.json", "ipmi.bmcs[0].timeout", "out of range", NULL);
	refused("{\"ipmi\": {\"bmcs\": [{\"bmc_ip\": \"h\", \"username\": \"a\", \"password\":"
	        " \"p\", \"bmc_port\": 70000}]}}",
	        "c.json", "ipmi.bmcs[0].bmc_port", "out of range", NULL);
	refused("{\"ipmi\": {\"privilege_level\": \"root\", \"bmcs\": [" BMC1 "]}}", "c.json",
	        "ipmi.privilege_level", "must be \"user\", \"operator\" or \"admin\"", NULL);
	refused("{\"ipmi\": {\"bmcs\": [{\"bmc_ip\": \"h\", \"username\": \"a\", \"password\":"
	        " \"p\", \"workaround_flags\": [\"nochecksum\"]}]}}",
	        "c.json", "ipmi.bmcs[0].workaround_flags", "unknown flag", NULL);
	refused("{\"ipmi\": {\"bmcs\": [{\"bmc_ip\": \"h\", \"username\": \"a\", \"password\":"
	        " \"p\", \"hostnames\": \"node\"}]}}",
	        "c.json", "ipmi.bmcs[0].hostnames", "must be an array", NULL);
	refused("{\"ipmi\": {\"bmcs\": [{\"bmc_ip\": \"h\", \"username\": \"a\", \"password\":"
	        " \"p\", \"bmc_name\": \"x\"}]}}",
	        "c.json", "ipmi.bmcs[0]", "unknown key \"bmc_name\"", NULL);

	/* structure and files */
	refused("{\"ipmi\": {\"bmcs\": [], \"racks\": []}}", "c.json", "ipmi", "exactly one of",
	        NULL);
	refused("{\"ipmi\": {\"racks\": [{\"bmcs\": [" BMC1 "]}]}}", "c.json",
	        "ipmi.racks[0].rack_id", "missing", NULL);
	refused("{\"ipmi\": {\"file\": \"nonexistent.json\"}}", "nonexistent.json", "(file)",
	        "cannot read", NULL);
	put("syntax.json", "{\"bmcs\": [\n  {\"bmc_ip\": \"h\",\n   \"username\" \"a\"}\n]}");
	refused("{\"ipmi\": {\"file\": \"syntax.json\"}}", "syntax.json", "line 3, column 15",
	        "invalid JSON", NULL);
	refused("{\"ipmi\": {\"bmcs\": [], \"racks\": []}}", "c.json", "ipmi",
	        "exactly one of \"file\", \"racks\" or \"bmcs\" lists the BMCs", NULL);
	put("both.json", "{\"bmcs\": [], \"racks\": []}");
	refused("{\"ipmi\": {\"file\": \"both.json\"}}", "both.json", "(top level)",
	        "exactly one of", NULL);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	shapes();
	defaults_and_overrides();
	ids();
	invalid();

	static const char *const files[] = {"c.json",      "bmc12.json",  "bmc13.json",
	                                    "range.json",  "old.json",    "pw.json",
	                                    "range2.json", "syntax.json", "both.json"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[160];
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	return tap_done();
}
