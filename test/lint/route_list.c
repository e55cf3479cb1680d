/* SPDX-License-Identifier: MIT */
/* Print the service's route table, one route a line: "GET /opendcre/1.2/scan"
 * or "GET, POST /opendcre/1.3/test". Read by test_api_doc.py, which compares
 * it with the routes documented in etc/doc/api.md. The Redfish rows
 * (DSP0266 resources, documented in the README) are not part of it. */
#include <stdio.h>

#include "route.h"

int main(void)
{
	struct dcre_route_info r;

	for (size_t i = 0; dcre_route_info(i, &r); i++)
		if (r.api != DCRE_API_REDFISH &&
		    printf("%s /%s\n", r.post ? "GET, POST" : "GET", r.pattern) < 0)
			return 1;
	return fflush(stdout) == 0 ? 0 : 1;
}
