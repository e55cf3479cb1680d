/* SPDX-License-Identifier: MIT */
/* The redfish section (config.md §5, §10, redfish.md §1-§2): inline racks and
 * the OpenDCRE 1.3 redfish_config.json file, defaults and section values,
 * board ids (70000000 + j, pinned, board_id_range), and every refusal naming
 * the file, the server's key path and the key, never showing a password. */
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

static const struct dcre_redfish_config *rf_of(const struct dcre_config *cfg)
{
	static const struct dcre_redfish_config none;
	const struct dcre_redfish_config *c = cfg ? dcre_config_section(cfg, "redfish") : NULL;
	return c ? c : &none;
}

#define PW "s3cr3t-PW-never-shown"

static char dir[] = "/tmp/dcre-test-config-rf.XXXXXX";

static void write_file(const char *name, const char *text)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

/* Load text as <dir>/c.json; problems go to errs_out. */
static struct dcre_config *load(const char *text, char *errs_out, size_t errs_len)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/c.json", dir);
	write_file("c.json", text);
	FILE *errs = fmemopen(errs_out, errs_len, "w");
	memset(errs_out, 0, errs_len);
	struct dcre_config *cfg = dcre_config_load(path, &dcre_registry, NULL, errs);
	fclose(errs);
	return cfg;
}

/* Refused with every text of want[] in the problem lines, and the password
 * nowhere in them. */
static void refused_all(const char *text, const char *const *want, const char *what)
{
	char errs[4096];
	struct dcre_config *cfg = load(text, errs, sizeof(errs));
	bool all = true;

	for (const char *const *w = want; *w; w++)
		all = all && strstr(errs, *w) != NULL;
	tap_ok(cfg == NULL && all, "refused: %s", what);
	if (cfg || !all)
		tap_diag("got: %s", errs);
	tap_ok(strstr(errs, PW) == NULL, "  the password is not shown");
	dcre_config_free(cfg);
}

#define REFUSED(text, what, ...)                                                                   \
	do {                                                                                       \
		const char *const w_[] = {__VA_ARGS__, NULL};                                      \
		refused_all(text, w_, what);                                                       \
	} while (0)

/* One inline server (JSON members after redfish_ip) in rack_1. */
#define ONE(members)                                                                               \
	"{\"redfish\": {\"racks\": [{\"rack_id\": \"rack_1\", \"servers\": [{\"redfish_ip\": "     \
	"\"10.0.0.9\", \"username\": \"root\", \"password\": \"" PW "\"" members "}]}]}}"

static void test_inline(void)
{
	char errs[4096];
	struct dcre_config *cfg;

	cfg = load("{\"redfish\": {\"racks\": ["
	           "{\"rack_id\": \"rack_1\", \"servers\": ["
	           "  {\"redfish_ip\": \"10.0.0.9\", \"username\": \"root\", \"password\": \"" PW
	           "\"},"
	           "  {\"redfish_ip\": \"10.0.0.10\", \"redfish_port\": 8443, \"username\": \"u\","
	           "   \"password\": \"p\", \"hostnames\": [\"node-2\"], \"ip_addresses\": "
	           "[\"10.0.0.10\", \"192.0.2.10\"], \"timeout\": 2.5, \"power_wait\": 0}]},"
	           "{\"rack_id\": \"rack_2\", \"servers\": ["
	           "  {\"redfish_ip\": \"bmc3.example\", \"username\": \"u\", \"password\": \"p\","
	           "   \"scheme\": \"http\", \"board_id\": \"0x70000010\"}]}]}}",
	           errs, sizeof(errs));
	tap_ok(cfg != NULL, "inline racks load");
	if (!cfg) {
		tap_diag("%s", errs);
		return;
	}
	tap_is_int(rf_of(cfg)->n_servers, 3, "three servers");
	const struct dcre_redfish_server *s = rf_of(cfg)->servers;
	tap_is_int(s[0].b.board_id, 0x70000000, "first server is 70000000");
	tap_is_int(s[1].b.board_id, 0x70000001, "second server is 70000001");
	tap_is_int(s[2].b.board_id, 0x70000010, "pinned board_id (hex string with 0x)");
	tap_is_str(s[0].b.rack_id, "rack_1", "rack of server 0");
	tap_is_str(s[2].b.rack_id, "rack_2", "rack of server 2");
	tap_ok(s[0].https && s[0].verify_tls && !s[0].ca_file,
	       "https, verification on, no CA file");
	tap_is_int(s[0].b.port, 443, "https default port 443");
	tap_ok(s[0].b.timeout == 5 && s[0].b.power_wait == 15, "timeout 5, power_wait 15");
	tap_is_str(s[0].b.password, PW, "password kept for the transport");
	tap_ok(s[0].b.n_hostnames == 1 && strcmp(s[0].b.hostnames[0], "10.0.0.9") == 0 &&
	           !s[0].b.hostnames_set,
	       "hostnames default to [redfish_ip]");
	tap_ok(s[0].b.n_ip_addresses == 1 && strcmp(s[0].b.ip_addresses[0], "10.0.0.9") == 0,
	       "ip_addresses default to [redfish_ip]");
	tap_is_int(s[1].b.port, 8443, "integer port");
	tap_ok(s[1].b.timeout == 2.5 && s[1].b.power_wait == 0, "per-server timeout, power_wait");
	tap_ok(s[1].b.n_hostnames == 1 && strcmp(s[1].b.hostnames[0], "node-2") == 0 &&
	           s[1].b.n_ip_addresses == 2 && strcmp(s[1].b.ip_addresses[1], "192.0.2.10") == 0,
	       "explicit hostnames and ip_addresses");
	tap_ok(!s[2].https && s[2].b.port == 80, "scheme http: default port 80");
	dcre_config_free(cfg);
}

static void test_section_values(void)
{
	char errs[4096], want[200];
	struct dcre_config *cfg;

	write_file("ca.pem", "-----BEGIN CERTIFICATE-----\n");
	write_file("other-ca.pem", "-----BEGIN CERTIFICATE-----\n");
	cfg = load("{\"redfish\": {\"timeout\": 1.5, \"power_wait\": 3, \"scheme\": \"http\","
	           " \"verify_tls\": false, \"ca_file\": \"ca.pem\","
	           " \"board_id_range\": [\"70000100\", \"700001ff\"], \"racks\": ["
	           "{\"rack_id\": \"r\", \"servers\": ["
	           "  {\"redfish_ip\": \"::1\", \"username\": \"u\", \"password\": \"p\"},"
	           "  {\"redfish_ip\": \"10.0.0.2\", \"username\": \"u\", \"password\": \"p\","
	           "   \"scheme\": \"https\", \"verify_tls\": true, \"ca_file\": \"other-ca.pem\","
	           "   \"redfish_port\": \"5000\", \"timeout\": 9, \"power_wait\": 1}]}]}}",
	           errs, sizeof(errs));
	tap_ok(cfg != NULL, "section values load");
	if (!cfg) {
		tap_diag("%s", errs);
		return;
	}
	const struct dcre_redfish_server *s = rf_of(cfg)->servers;
	tap_is_int(s[0].b.board_id, 0x70000100, "board_id_range: first id is lo");
	tap_is_int(s[1].b.board_id, 0x70000101, "then lo + 1");
	tap_ok(!s[0].https && s[0].b.port == 80 && !s[0].verify_tls,
	       "section scheme and verify_tls");
	tap_ok(s[0].b.timeout == 1.5 && s[0].b.power_wait == 3, "section timeout and power_wait");
	snprintf(want, sizeof(want), "%s/ca.pem", dir);
	tap_is_str(s[0].ca_file, want, "section ca_file, relative to the main file");
	tap_ok(s[1].https && s[1].verify_tls && s[1].b.port == 5000,
	       "per-server scheme, verify_tls, port as a digit string");
	snprintf(want, sizeof(want), "%s/other-ca.pem", dir);
	tap_is_str(s[1].ca_file, want, "per-server ca_file");
	tap_ok(s[1].b.timeout == 9 && s[1].b.power_wait == 1, "per-server overrides");
	dcre_config_free(cfg);

	cfg = load("{\"redfish\": {\"board_id_range\": [1879048448, 1879048703], \"racks\": ["
	           "{\"rack_id\": \"r\", \"servers\": ["
	           "  {\"redfish_ip\": \"a\", \"username\": \"u\", \"password\": \"p\"}]}]}}",
	           errs, sizeof(errs));
	tap_ok(cfg && rf_of(cfg)->servers[0].b.board_id == 0x70000100,
	       "board_id_range as JSON integers");
	dcre_config_free(cfg);

	cfg = load("{\"redfish\": {\"racks\": []}}", errs, sizeof(errs));
	tap_ok(cfg && rf_of(cfg)->present && rf_of(cfg)->n_servers == 0,
	       "an empty rack list is valid");
	dcre_config_free(cfg);
}

static void test_file(void)
{
	char errs[4096], want[200];
	struct dcre_config *cfg;

	/* the OpenDCRE 1.3 shape, port as a string, an old unknown key */
	write_file("redfish_config.json",
	           "{\"racks\": [{\"rack_id\": \"rack_1\", \"servers\": [\n"
	           "  {\"redfish_ip\": \"10.0.0.9\", \"redfish_port\": \"5000\", \"username\": "
	           "\"root\", \"password\": \"" PW "\", \"timeout\": 5, \"old_key\": 1,\n"
	           "   \"hostnames\": [\"rf-9\"], \"board_id\": 1879048207}\n"
	           "]}], \"board_id_range\": [\"70000000\", \"7000000f\"]}");
	cfg = load("{\"redfish\": {\"file\": \"redfish_config.json\", \"scheme\": \"http\"}}", errs,
	           sizeof(errs));
	tap_ok(cfg != NULL, "OpenDCRE 1.3 redfish_config.json loads (unknown keys are warnings)");
	if (cfg) {
		const struct dcre_redfish_server *s = rf_of(cfg)->servers;
		tap_is_int(rf_of(cfg)->n_servers, 1, "one server");
		tap_is_int(s[0].b.port, 5000, "redfish_port \"5000\"");
		tap_ok(!s[0].https, "scheme from the main file's section");
		tap_is_int(s[0].b.board_id, 0x7000000f, "board_id as a JSON integer");
		tap_is_str(s[0].b.hostnames[0], "rf-9", "hostnames");
		snprintf(want, sizeof(want), "%s/redfish_config.json: racks[0].servers[0]", dir);
		tap_is_str(s[0].b.where, want, "entry location names the device file and key path");
	}
	dcre_config_free(cfg);

	/* problems in the device file name that file and the key path */
	write_file("bad_rf.json", "{\"racks\": [{\"rack_id\": \"r\", \"servers\": [\n"
	                          "  {\"redfish_ip\": \"10.0.0.9\", \"username\": \"root\","
	                          " \"password\": 12345, \"redfish_port\": 0}]}]}");
	snprintf(want, sizeof(want), "%s/bad_rf.json: racks[0].servers[0].password", dir);
	REFUSED("{\"redfish\": {\"file\": \"bad_rf.json\"}}", "bad password type in the file", want,
	        "must be a string");
	char errs2[4096];
	cfg = load("{\"redfish\": {\"file\": \"bad_rf.json\"}}", errs2, sizeof(errs2));
	tap_ok(!strstr(errs2, "12345"), "a password of the wrong type is not shown either");
	dcre_config_free(cfg);
	snprintf(want, sizeof(want), "%s/bad_rf.json: racks[0].servers[0].redfish_port", dir);
	REFUSED("{\"redfish\": {\"file\": \"bad_rf.json\"}}", "port 0 in the file", want);

	write_file("syntax_rf.json", "{\"racks\": [\n  {\"rack_id\": \"r\" \"servers\": []}\n]}");
	snprintf(want, sizeof(want), "%s/syntax_rf.json: line 2", dir);
	REFUSED("{\"redfish\": {\"file\": \"syntax_rf.json\"}}", "JSON syntax error", want,
	        "column");
	write_file("dup_rf.json", "{\"racks\": [], \"racks\": []}");
	REFUSED("{\"redfish\": {\"file\": \"dup_rf.json\"}}", "duplicate key", "dup_rf.json",
	        "\"racks\" appears twice");
	REFUSED("{\"redfish\": {\"file\": \"missing_rf.json\"}}", "missing file",
	        "missing_rf.json");
	write_file("range_rf.json", "{\"racks\": [], \"board_id_range\": [\"70000000\", "
	                            "\"70000010\"]}");
	REFUSED("{\"redfish\": {\"file\": \"range_rf.json\", \"board_id_range\": [\"70000000\", "
	        "\"70000010\"]}}",
	        "board_id_range in both places", "range_rf.json: board_id_range");
	write_file("norack_rf.json", "{\"board_id_range\": [\"70000000\", \"70000010\"]}");
	REFUSED("{\"redfish\": {\"file\": \"norack_rf.json\"}}", "a device file without racks",
	        "norack_rf.json: racks: missing (required)");
}

static void test_refused(void)
{
	REFUSED("{\"redfish\": {}}", "no server list", "redfish: exactly one of");
	REFUSED("{\"redfish\": {\"file\": \"x.json\", \"racks\": []}}", "file and racks",
	        "redfish: exactly one of");
	REFUSED("{\"redfish\": {\"racks\": [{\"rack_id\": \"r\", \"servers\": [{\"username\": "
	        "\"u\", \"password\": \"" PW "\"}]}]}}",
	        "missing redfish_ip", "c.json: redfish.racks[0].servers[0].redfish_ip: missing");
	REFUSED("{\"redfish\": {\"racks\": [{\"rack_id\": \"r\", \"servers\": [{\"redfish_ip\": "
	        "\"h\", \"password\": \"" PW "\"}]}]}}",
	        "missing username", "redfish.racks[0].servers[0].username: missing");
	REFUSED("{\"redfish\": {\"racks\": [{\"rack_id\": \"r\", \"servers\": [{\"redfish_ip\": "
	        "\"h\", \"username\": \"u\"}]}]}}",
	        "missing password", "redfish.racks[0].servers[0].password: missing");
	REFUSED(ONE(", \"redfish_port\": 70000"), "port above 65535",
	        "redfish.racks[0].servers[0].redfish_port: ");
	REFUSED(ONE(", \"redfish_port\": \"50a0\""), "port string with a letter",
	        "redfish.racks[0].servers[0].redfish_port: ");
	REFUSED(ONE(", \"redfish_port\": 1e300"), "huge port",
	        "redfish.racks[0].servers[0].redfish_port: ");
	REFUSED(ONE(", \"redfish_port\": 443.5"), "fractional port",
	        "redfish.racks[0].servers[0].redfish_port: ");
	REFUSED(ONE(", \"scheme\": \"ftp\""), "scheme ftp",
	        "redfish.racks[0].servers[0].scheme: must be \"https\" or \"http\"");
	REFUSED(ONE(", \"verify_tls\": \"no\""), "verify_tls as a string",
	        "redfish.racks[0].servers[0].verify_tls: ");
	REFUSED(ONE(", \"ca_file\": \"no-such-ca.pem\""), "unreadable ca_file",
	        "redfish.racks[0].servers[0].ca_file: cannot read");
	REFUSED(ONE(", \"timeout\": 0"), "timeout 0", "redfish.racks[0].servers[0].timeout: ");
	REFUSED(ONE(", \"power_wait\": -1"), "negative power_wait",
	        "redfish.racks[0].servers[0].power_wait: ");
	REFUSED(ONE(", \"board_id\": \"40000001\""), "board_id outside the Redfish range",
	        "redfish.racks[0].servers[0].board_id: 40000001 is outside 70000000-7fffffff");
	REFUSED(ONE(", \"board_id\": \"7000000g\""), "board_id not hex",
	        "redfish.racks[0].servers[0].board_id: ");
	REFUSED(ONE(", \"hostnames\": \"node\""), "hostnames not an array",
	        "redfish.racks[0].servers[0].hostnames: must be an array");
	REFUSED(ONE(", \"hostnames\": [\"\"]"), "empty hostname",
	        "redfish.racks[0].servers[0].hostnames: ");
	REFUSED(ONE(", \"bmc_ip\": \"x\""), "unknown key in an inline entry",
	        "redfish.racks[0].servers[0]: unknown key \"bmc_ip\"");
	REFUSED(ONE(", \"username\": \"v\""), "key given twice", "\"username\" appears twice");
	REFUSED("{\"redfish\": {\"scheme\": \"HTTPS\", \"racks\": []}}", "section scheme",
	        "redfish.scheme: ");
	REFUSED("{\"redfish\": {\"ca_file\": \"nope.pem\", \"racks\": []}}", "section ca_file",
	        "redfish.ca_file: cannot read");
	REFUSED("{\"redfish\": {\"board_id_range\": [\"70000000\", \"80000000\"], \"racks\": []}}",
	        "board_id_range beyond 7fffffff", "redfish.board_id_range: ");
	REFUSED("{\"redfish\": {\"board_id_range\": [\"70000001\", \"70000000\"], \"racks\": []}}",
	        "board_id_range lo > hi", "redfish.board_id_range: ");
	REFUSED("{\"redfish\": {\"racks\": [{\"servers\": []}]}}", "rack without rack_id",
	        "redfish.racks[0].rack_id: ");
	REFUSED("{\"redfish\": {\"racks\": [{\"rack_id\": \"r\"}]}}", "rack without servers",
	        "redfish.racks[0].servers: missing");
	REFUSED("{\"redfish\": {\"racks\": [{\"rack_id\": \"r\", \"servers\": ["
	        "{\"redfish_ip\": \"a\", \"username\": \"u\", \"password\": \"" PW "\", "
	        "\"board_id\": \"70000001\"},"
	        "{\"redfish_ip\": \"b\", \"username\": \"u\", \"password\": \"" PW "\"}]}]}}",
	        "a pinned id equal to an automatic id", "70000001 is the board id of both",
	        "redfish.racks[0].servers[0]", "redfish.racks[0].servers[1]");
	REFUSED("{\"redfish\": {\"board_id_range\": [\"70000000\", \"70000000\"], \"racks\": ["
	        "{\"rack_id\": \"r\", \"servers\": ["
	        "{\"redfish_ip\": \"a\", \"username\": \"u\", \"password\": \"" PW "\"},"
	        "{\"redfish_ip\": \"b\", \"username\": \"u\", \"password\": \"" PW "\"}]}]}}",
	        "more servers than the range holds", "lies outside [70000000, 70000000]");
	REFUSED("{\"redfish\": {\"racks\": [{\"rack_id\": \"r\", \"servers\": ["
	        "{\"redfish_ip\": \"a\", \"username\": \"u\", \"password\": \"" PW "\", "
	        "\"hostnames\": [\"n1\"]},"
	        "{\"redfish_ip\": \"b\", \"username\": \"u\", \"password\": \"" PW "\", "
	        "\"hostnames\": [\"n1\"]}]}]}}",
	        "an explicit hostname on two servers", "'n1' names two boards");
	REFUSED("{\"ipmi\": {\"bmcs\": [{\"bmc_ip\": \"10.0.0.9\", \"username\": \"u\", "
	        "\"password\": \"p\", \"board_id\": \"40000005\"}]},"
	        " \"redfish\": {\"racks\": [{\"rack_id\": \"r\", \"servers\": ["
	        "{\"redfish_ip\": \"10.0.0.9\", \"username\": \"u\", \"password\": \"" PW "\", "
	        "\"ip_addresses\": [\"10.0.0.9\"]}]}]}}",
	        "an explicit address shared with a BMC", "'10.0.0.9' names two boards");

	/* only default names shared: a warning, not an error */
	char errs[4096];
	struct dcre_config *cfg =
	    load("{\"ipmi\": {\"bmcs\": [{\"bmc_ip\": \"10.0.0.9\", \"username\": \"u\", "
	         "\"password\": \"p\"}]}, \"redfish\": {\"racks\": [{\"rack_id\": \"r\", "
	         "\"servers\": [{\"redfish_ip\": \"10.0.0.9\", \"username\": \"u\", \"password\": "
	         "\"p\"}]}]}}",
	         errs, sizeof(errs));
	tap_ok(cfg != NULL, "the same BMC under ipmi and redfish by default names: allowed");
	tap_ok(cfg && ipmi_of(cfg)->bmcs[0].b.board_id == 0x40000001 &&
	           rf_of(cfg)->servers[0].b.board_id == 0x70000000,
	       "  ids 40000001 and 70000000");
	dcre_config_free(cfg);

	/* explicit hostnames on one server do not make its default address explicit */
	cfg = load("{\"redfish\": {\"racks\": [{\"rack_id\": \"r\", \"servers\": ["
	           "{\"redfish_ip\": \"127.0.0.1\", \"redfish_port\": 8443, \"username\": \"u\", "
	           "\"password\": \"p\", \"hostnames\": [\"node-1\"]},"
	           "{\"redfish_ip\": \"127.0.0.1\", \"redfish_port\": 9443, \"username\": \"u\", "
	           "\"password\": \"p\", \"hostnames\": [\"node-2\"]}]}]}}",
	           errs, sizeof(errs));
	tap_ok(cfg != NULL, "two servers sharing only their default address: allowed");
	if (!cfg)
		tap_diag("%s", errs);
	dcre_config_free(cfg);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_inline();
	test_section_values();
	test_file();
	test_refused();

	static const char *const files[] = {
	    "c.json",         "ca.pem",      "other-ca.pem",  "bad_rf.json",
	    "syntax_rf.json", "dup_rf.json", "range_rf.json", "redfish_config.json",
	    "norack_rf.json"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[160];
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	return tap_done();
}
