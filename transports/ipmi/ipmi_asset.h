/* SPDX-License-Identifier: MIT */
/* Asset information from FRU device 0 (ipmi.md §5.6), read with
 * FreeIPMI's FRU functions on the kept session. */
#ifndef IPMI_ASSET_H
#define IPMI_ASSET_H

#include "ipmi_session.h"

#define IPMI_ASSET_FIELD_MAX 520 /* IPMI_FRU_AREA_STRING_MAX + 1, rounded up */

/* The 13 fields in the order of enum dcre_asset_field (conversions.md
 * §9); "" when absent. */
struct ipmi_asset {
	char field[13][IPMI_ASSET_FIELD_MAX];
};

enum dcre_err ipmi_asset_read(struct ipmi_session *s, struct ipmi_asset *out, struct dcre_msg *msg);

#endif
