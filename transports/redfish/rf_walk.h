/* SPDX-License-Identifier: MIT */
/* Discovery of one Redfish service (redfish.md §4): /redfish -> service root
 * -> Systems, Chassis, Managers by their @odata.id links (never guessed
 * member ids), Members@odata.nextLink paging, the chassis from the system's
 * Links.Chassis, Thermal and Power looked up through Links.ContainedBy. */
#ifndef RF_WALK_H
#define RF_WALK_H

#include "err.h"
#include "rf_http.h"

/* The resources the operations need: paths (or same-origin URLs). */
struct rf_links {
	char *root;     /* service root */
	char *sessions; /* sessions collection; NULL: none */
	char *system;
	char *chassis;
	char *manager;
	char *thermal; /* NULL: the board has no Thermal resource */
	char *power;   /* NULL: the board has no Power resource */
	char *reset;   /* the system's reset action URI */
};

/* Discover the service behind h; also tells h where to log in. Caller frees
 * *out with rf_links_free(). */
enum dcre_err rf_walk_discover(struct rf_http *h, struct rf_links **out, struct dcre_msg *msg);
/* NULL-safe. */
void rf_links_free(struct rf_links *l);

#endif
