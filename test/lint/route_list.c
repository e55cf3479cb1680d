/* SPDX-License-Identifier: MIT */
/* Print the service's route table, one route a line: "GET /opendcre/1.2/scan"
 * or "GET, POST /opendcre/1.3/test". Read by test_api_doc.py, which compares
 * it with the routes documented in etc/doc/api.md. The Redfish rows
 * (DSP0266 resources, documented in the README) are not part of it.
 *
 * route_list --effects prints every row, Redfish included, with the
 * methods it takes and its effect (the route table's flag of what changes
 * state): "change-unless-status GET /opendcre/1.3/power/{rack}/...". Read by
 * test/web/roles.py, which tries every state-changing route as a viewer and
 * as an operator. */
#include <stdio.h>
#include <string.h>

#include "route.h"

static const char *effect_name(enum dcre_route_effect e)
{
	switch (e) {
	case DCRE_EFFECT_CHANGE:
		return "change";
	case DCRE_EFFECT_CHANGE_UNLESS_STATUS:
		return "change-unless-status";
	case DCRE_EFFECT_CHANGE_ON_WRITE:
		return "change-on-write";
	case DCRE_EFFECT_READ:
		break;
	}
	return "read";
}

static int effects(void)
{
	struct dcre_route_info r;

	for (size_t i = 0; dcre_route_info(i, &r); i++)
		if (printf("%s %s%s%s /%s\n", effect_name(r.effect), r.get ? "GET" : "",
		           r.post ? (r.get ? ",POST" : "POST") : "", r.patch ? ",PATCH" : "",
		           r.pattern) < 0)
			return 1;
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct dcre_route_info r;

	if (argc > 1 && strcmp(argv[1], "--effects") == 0)
		return effects();
	for (size_t i = 0; dcre_route_info(i, &r); i++)
		if (r.api != DCRE_API_REDFISH &&
		    printf("%s /%s\n", r.post ? "GET, POST" : "GET", r.pattern) < 0)
			return 1;
	return fflush(stdout) == 0 ? 0 : 1;
}
