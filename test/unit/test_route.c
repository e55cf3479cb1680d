/* SPDX-License-Identifier: MIT */
/* Route table: every route of both API versions, literal-over-variable,
 * segment counts, methods (api.md §2.3, §2.4, §5). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"
#include "tap.h"
#include "url.h"

static enum dcre_route_result route(const char *target, const char *method,
                                    struct dcre_route_match *m)
{
	struct dcre_path p;
	struct dcre_msg why;
	enum dcre_route_result r;

	if (dcre_url_normalise(target, false, &p, &why) != DCRE_OK)
		return (enum dcre_route_result) - 1;
	r = dcre_route_match(&p, method, m);
	/* variables point into p: keep only the result code for the caller
	 * unless it checks them through check_var() before freeing */
	dcre_path_free(&p);
	return r;
}

static void check_op(const char *target, enum dcre_api api, enum dcre_op op)
{
	struct dcre_route_match m;
	enum dcre_route_result r = route(target, "GET", &m);
	tap_ok(r == DCRE_ROUTE_OK && m.api == api && m.op == op, "GET %s -> op %d api %d", target,
	       op, api);
}

static void check_var(const char *target, enum dcre_var v, const char *want)
{
	struct dcre_path p;
	struct dcre_msg why;
	struct dcre_route_match m;

	dcre_url_normalise(target, false, &p, &why);
	enum dcre_route_result r = dcre_route_match(&p, "GET", &m);
	tap_is_str(r == DCRE_ROUTE_OK ? m.var[v] : NULL, want, "%s: variable %d", target, v);
	dcre_path_free(&p);
}

static void check_result(const char *target, const char *method, enum dcre_route_result want)
{
	struct dcre_route_match m;
	tap_is_int(route(target, method, &m), want, "%s %s -> %d", method, target, want);
}

/* Whether the route changes state (audit; what a viewer may not do). */
static void check_changes(const char *target, bool want)
{
	struct dcre_path p;
	struct dcre_msg why;
	struct dcre_route_match m;

	dcre_url_normalise(target, false, &p, &why);
	enum dcre_route_result r = dcre_route_match(&p, "GET", &m);
	tap_ok(r == DCRE_ROUTE_OK && m.changes == want && m.run != NULL, "%s: %s", target,
	       want ? "changes state" : "reads only");
	dcre_path_free(&p);
}

static void check_effects(void)
{
	static const char *const changing[] = {
	    "/opendcre/1.2/power/1/1/on",
	    "/opendcre/1.2/power/1/1/OFF",
	    "/opendcre/1.2/power/power/1/1/cycle",
	    "/opendcre/1.2/power/on/1/1",
	    "/opendcre/1.2/power/on/1",
	    "/opendcre/1.2/boot_target/1/1/pxe",
	    "/opendcre/1.2/led/1/1/on",
	    "/opendcre/1.2/led/1/1/on/ff0000",
	    "/opendcre/1.2/fan/1/1/100",
	    "/opendcre/1.3/scan/force",
	    "/opendcre/1.3/power/r/1/1/on",
	    "/opendcre/1.3/power/power/r/1/1/off",
	    "/opendcre/1.3/power/cycle/1/1",
	    "/opendcre/1.3/boot_target/r/1/1/hdd",
	    "/opendcre/1.3/led/r/1/1/off",
	    "/opendcre/1.3/led/r/1/1/on/ff0000/blink",
	    "/opendcre/1.3/fan/r/1/1/2000",
	};
	static const char *const reading[] = {
	    "/opendcre/1.2/test",
	    "/opendcre/1.2/scan",
	    "/opendcre/1.2/read/thermistor/1/1",
	    "/opendcre/1.2/power/1/1",
	    "/opendcre/1.2/power/1/1/status",
	    "/opendcre/1.2/power/STATUS/1/1",
	    "/opendcre/1.2/asset/1/1",
	    "/opendcre/1.2/boot_target/1/1",
	    "/opendcre/1.2/location/1/1",
	    "/opendcre/1.2/led/1/1",
	    "/opendcre/1.2/fan/1/1",
	    "/opendcre/1.2/plc_config",
	    "/opendcre/1.2/version/1",
	    "/opendcre/version",
	    "/opendcre/1.3/scan",
	    "/opendcre/1.3/scan/r",
	    "/opendcre/1.3/scan/r/1",
	    "/opendcre/1.3/power/r/1/1",
	    "/opendcre/1.3/power/r/1/1/status",
	    "/opendcre/1.3/led/r/1/1",
	    "/opendcre/1.3/fan/r/1/1",
	    "/opendcre/1.3/host_info/r/1/1",
	};
	for (size_t i = 0; i < sizeof(changing) / sizeof(changing[0]); i++)
		check_changes(changing[i], true);
	for (size_t i = 0; i < sizeof(reading) / sizeof(reading[0]); i++)
		check_changes(reading[i], false);
}

int main(void)
{
	check_effects();
	/* every 1.2 route */
	check_op("/opendcre/1.2/test", DCRE_API_12, DCRE_OP_TEST);
	check_op("/opendcre/metrics", DCRE_API_13, DCRE_OP_METRICS);
	check_op("/metrics", DCRE_API_13, DCRE_OP_METRICS);
	check_op("/opendcre/1.2/plc_config", DCRE_API_12, DCRE_OP_PLC_CONFIG);
	check_op("/opendcre/1.2/version/1", DCRE_API_12, DCRE_OP_VERSION);
	check_op("/opendcre/1.2/scan", DCRE_API_12, DCRE_OP_SCAN);
	check_op("/opendcre/1.2/scan/1", DCRE_API_12, DCRE_OP_SCAN_BOARD);
	check_op("/opendcre/1.2/read/thermistor/1/1", DCRE_API_12, DCRE_OP_READ);
	check_op("/opendcre/1.2/power/1/1", DCRE_API_12, DCRE_OP_POWER);
	check_op("/opendcre/1.2/power/1/1/on", DCRE_API_12, DCRE_OP_POWER);
	check_op("/opendcre/1.2/power/power/1/1/on", DCRE_API_12, DCRE_OP_POWER);
	check_op("/opendcre/1.2/asset/1/1", DCRE_API_12, DCRE_OP_ASSET);
	check_op("/opendcre/1.2/boot_target/1/1", DCRE_API_12, DCRE_OP_BOOT_TARGET);
	check_op("/opendcre/1.2/boot_target/1/1/pxe", DCRE_API_12, DCRE_OP_BOOT_TARGET);
	check_op("/opendcre/1.2/location/1", DCRE_API_12, DCRE_OP_LOCATION);
	check_op("/opendcre/1.2/location/1/1", DCRE_API_12, DCRE_OP_LOCATION);
	check_op("/opendcre/1.2/led/1/1", DCRE_API_12, DCRE_OP_LED);
	check_op("/opendcre/1.2/led/1/1/on", DCRE_API_12, DCRE_OP_LED);
	check_op("/opendcre/1.2/led/1/1/on/ff0000", DCRE_API_12, DCRE_OP_LED);
	check_op("/opendcre/1.2/fan/1/1", DCRE_API_12, DCRE_OP_FAN);
	check_op("/opendcre/1.2/fan/1/1/4100", DCRE_API_12, DCRE_OP_FAN);

	/* every 1.3 route */
	check_op("/opendcre/1.3/test", DCRE_API_13, DCRE_OP_TEST);
	check_op("/opendcre/version", DCRE_API_13, DCRE_OP_SERVICE_VERSION);
	check_op("/opendcre/1.3/plc_config", DCRE_API_13, DCRE_OP_PLC_CONFIG);
	check_op("/opendcre/1.3/version/r/1", DCRE_API_13, DCRE_OP_VERSION);
	check_op("/opendcre/1.3/scan", DCRE_API_13, DCRE_OP_SCAN);
	check_op("/opendcre/1.3/scan/force", DCRE_API_13, DCRE_OP_SCAN_FORCE);
	check_op("/opendcre/1.3/scan/rack_1", DCRE_API_13, DCRE_OP_SCAN_RACK);
	check_op("/opendcre/1.3/scan/rack_1/1", DCRE_API_13, DCRE_OP_SCAN_BOARD);
	check_op("/opendcre/1.3/read/thermistor/r/1/1", DCRE_API_13, DCRE_OP_READ);
	check_op("/opendcre/1.3/power/r/1/1", DCRE_API_13, DCRE_OP_POWER);
	check_op("/opendcre/1.3/power/r/1/1/on", DCRE_API_13, DCRE_OP_POWER);
	check_op("/opendcre/1.3/power/vapor_battery/r/1/1/status", DCRE_API_13, DCRE_OP_POWER);
	check_op("/opendcre/1.3/asset/r/1/1", DCRE_API_13, DCRE_OP_ASSET);
	check_op("/opendcre/1.3/boot_target/r/1/1", DCRE_API_13, DCRE_OP_BOOT_TARGET);
	check_op("/opendcre/1.3/boot_target/r/1/1/hdd", DCRE_API_13, DCRE_OP_BOOT_TARGET);
	check_op("/opendcre/1.3/location/r/1", DCRE_API_13, DCRE_OP_LOCATION);
	check_op("/opendcre/1.3/location/r/1/72df", DCRE_API_13, DCRE_OP_LOCATION);
	check_op("/opendcre/1.3/led/r/1/1", DCRE_API_13, DCRE_OP_LED);
	check_op("/opendcre/1.3/led/r/1/1/on", DCRE_API_13, DCRE_OP_LED);
	check_op("/opendcre/1.3/led/r/1/1/on/ffffff/blink", DCRE_API_13, DCRE_OP_LED);
	check_op("/opendcre/1.3/fan/r/1/1", DCRE_API_13, DCRE_OP_FAN);
	check_op("/opendcre/1.3/fan/r/1/1/4100", DCRE_API_13, DCRE_OP_FAN);
	check_op("/opendcre/1.3/host_info/r/1/1", DCRE_API_13, DCRE_OP_HOST_INFO);

	/* literal beats variable; normalisation before matching */
	check_op("/opendcre/1.3//scan//force", DCRE_API_13, DCRE_OP_SCAN_FORCE);
	check_op("/opendcre/1.3/scan/rackA?x/00000001", DCRE_API_13, DCRE_OP_SCAN_RACK);
	check_var("/opendcre/1.3/read/voltage/rack%201/40000001/P12V%20Rail", DCRE_VAR_RACK,
	          "rack 1");
	check_var("/opendcre/1.3/read/voltage/rack%201/40000001/P12V%20Rail", DCRE_VAR_DEVICE,
	          "P12V Rail");
	check_var("/opendcre/1.3/read/Thermistor/r/1/2", DCRE_VAR_TYPE, "Thermistor");
	/* old-style power URLs (api.md §6.5) are resolved by the route layer */
	check_var("/opendcre/1.2/power/on/3/4", DCRE_VAR_ACTION, "on");
	check_var("/opendcre/1.2/power/on/3/4", DCRE_VAR_BOARD, "3");
	check_var("/opendcre/1.2/power/on/3/4", DCRE_VAR_DEVICE, "4");
	check_var("/opendcre/1.2/power/ON/3", DCRE_VAR_DEVICE, "status");
	check_var("/opendcre/1.2/power/power/Off/3/4", DCRE_VAR_ACTION, "Off");
	check_var("/opendcre/1.2/power/3/4", DCRE_VAR_ACTION, "status");
	check_var("/opendcre/1.2/power/3/4/cycle", DCRE_VAR_ACTION, "cycle");
	check_var("/opendcre/1.3/power/on/3/4", DCRE_VAR_ACTION, "on");
	check_var("/opendcre/1.3/power/ON/3/4", DCRE_VAR_ACTION, "ON");
	check_var("/opendcre/1.3/power/status/3/4/on", DCRE_VAR_ACTION, "status");
	check_var("/opendcre/1.3/power/rack/3/4", DCRE_VAR_ACTION, "status");
	check_var("/opendcre/1.3/led/r/1/2/on/ff/steady", DCRE_VAR_BLINK, "steady");

	/* not found: trailing slash, wrong counts, unknown prefix, no 5-var chamber form */
	check_result("/opendcre/1.3/scan/", "GET", DCRE_ROUTE_NOT_FOUND);
	check_result("/opendcre/1.3/version/rack_1/", "GET", DCRE_ROUTE_NOT_FOUND);
	check_result("/opendcre/1.3/led/r/1/1/on/ff", "GET", DCRE_ROUTE_NOT_FOUND);
	check_result("/opendcre/1.2/host_info/1/1", "GET", DCRE_ROUTE_NOT_FOUND);
	check_result("/opendcre/1.2/scan/force/1", "GET", DCRE_ROUTE_NOT_FOUND);
	check_result("/opendcre/1.4/test", "GET", DCRE_ROUTE_NOT_FOUND);
	check_result("/", "GET", DCRE_ROUTE_NOT_FOUND);
	check_result("/opendcre/1.3/read/thermistor/r/1", "GET", DCRE_ROUTE_NOT_FOUND);

	/* methods */
	check_result("/opendcre/1.3/test", "POST", DCRE_ROUTE_OK);
	check_result("/opendcre/version", "POST", DCRE_ROUTE_OK);
	check_result("/opendcre/1.2/plc_config", "POST", DCRE_ROUTE_OK);
	check_result("/opendcre/1.3/scan", "POST", DCRE_ROUTE_BAD_METHOD);
	check_result("/opendcre/1.3/scan", "HEAD", DCRE_ROUTE_OK);
	check_result("/opendcre/1.3/scan", "DELETE", DCRE_ROUTE_BAD_METHOD);
	check_result("/opendcre/1.3/scan", "OPTIONS", DCRE_ROUTE_OPTIONS);
	check_result("/opendcre/1.3/nothing", "DELETE", DCRE_ROUTE_NOT_FOUND);

	struct dcre_route_match m;
	route("/opendcre/1.3/test", "PUT", &m);
	tap_is_str(m.allow, "GET, HEAD, POST, OPTIONS", "Allow of /test");
	route("/opendcre/1.2/scan", "PUT", &m);
	tap_is_str(m.allow, "GET, HEAD, OPTIONS", "Allow of /scan");

	/* API version of answers that match no route */
	struct dcre_path p;
	struct dcre_msg why;
	dcre_url_normalise("/opendcre/1.2/nothing", false, &p, &why);
	tap_is_int(dcre_route_api(&p), DCRE_API_12, "404 under /opendcre/1.2/ renders 1.2");
	dcre_path_free(&p);
	dcre_url_normalise("/other", false, &p, &why);
	tap_is_int(dcre_route_api(&p), DCRE_API_13, "404 elsewhere renders 1.3");
	dcre_path_free(&p);
	tap_is_int(dcre_route_api_raw("//opendcre//1.2/x%zz"), DCRE_API_12, "raw prefix 1.2");
	tap_is_int(dcre_route_api_raw("/opendcre/1.3/x%zz"), DCRE_API_13, "raw prefix 1.3");

	/* dcre_route_info lists the table the matcher uses: each row, its
	 * variables given the value "1", matches as itself */
	struct dcre_route_info ri;
	size_t n = 0;
	for (; dcre_route_info(n, &ri); n++) {
		char target[128] = "/", *o = target + 1;
		for (const char *s = ri.pattern; *s; s++) {
			if (*s == '{') {
				*o++ = '1';
				s = strchr(s, '}');
			} else {
				*o++ = *s;
			}
		}
		*o = '\0';
		enum dcre_route_result r = route(target, "OPTIONS", &m);
		tap_ok(r == DCRE_ROUTE_OPTIONS && m.api == ri.api && m.op == ri.op &&
		           (strstr(m.allow, "POST") != NULL) == ri.post,
		       "route %zu (%s) matches as listed", n, ri.pattern);
	}
	/* the Redfish rows: a trailing '/' is the same resource; PATCH and
	 * POST change state, GET does not; other methods get 405 with the
	 * resource's Allow */
	tap_ok(route("/redfish/v1/", "GET", &m) == DCRE_ROUTE_OK && m.api == DCRE_API_REDFISH &&
	           m.rf && !m.changes,
	       "GET /redfish/v1/ is the Redfish service root, reading");
	tap_ok(route("/redfish/v1/Chassis/0000001f", "PATCH", &m) == DCRE_ROUTE_OK && m.changes &&
	           strcmp(m.allow, "GET, HEAD, PATCH") == 0,
	       "PATCH of a chassis changes state (Allow %s)", m.allow);
	tap_ok(route("/redfish/v1/Chassis/0000001f", "GET", &m) == DCRE_ROUTE_OK && !m.changes,
	       "GET of a chassis reads");
	tap_ok(route("/redfish/v1/Systems/0000001f/Actions/ComputerSystem.Reset", "GET", &m) ==
	               DCRE_ROUTE_BAD_METHOD &&
	           strcmp(m.allow, "POST") == 0,
	       "GET of the Reset action is 405 with Allow %s", m.allow);
	tap_ok(route("/redfish/v1/Systems/0000001f/Actions/ComputerSystem.Reset", "POST", &m) ==
	               DCRE_ROUTE_OK &&
	           m.changes,
	       "POST of the Reset action changes state");
	tap_ok(route("/redfish/v1/Chassis", "DELETE", &m) == DCRE_ROUTE_BAD_METHOD &&
	           strcmp(m.allow, "GET, HEAD") == 0,
	       "DELETE of a collection is 405 with Allow %s", m.allow);
	tap_ok(route("/redfish/v1/SessionService/Sessions", "POST", &m) == DCRE_ROUTE_OK &&
	           !m.changes,
	       "a login POST changes nothing (it is refused)");
	tap_ok(route("/redfish/v1/Nothing", "GET", &m) == DCRE_ROUTE_NOT_FOUND,
	       "an unknown Redfish path is not found");
	tap_ok(route("/opendcre/1.3/scan", "PATCH", &m) == DCRE_ROUTE_BAD_METHOD &&
	           strcmp(m.allow, "GET, HEAD, OPTIONS") == 0,
	       "PATCH of an OpenDCRE route stays 405 with its old Allow");
	tap_ok(n == 61, "dcre_route_info lists %zu routes (44 OpenDCRE, 17 Redfish)", n);
	tap_ok(!dcre_route_info(n, &ri) && !dcre_route_info((size_t)-1, &ri),
	       "dcre_route_info is false past the end");
	return tap_done();
}
