/* SPDX-License-Identifier: MIT */
/* Placeholder until the Redfish transport lands: every operation answers
 * "not supported". */
#include "rf_backend.h"

#include <stdlib.h>

#include "alloc.h"

struct rf_server {
	struct dcre_backend base;
};

static void rf_free(struct dcre_backend *b)
{
	free(b);
}

static const struct dcre_backend_ops rf_ops = {
    .name = "Redfish",
    .free = rf_free,
};

struct dcre_backend *dcre_redfish_backend_new(const struct dcre_redfish_server *sv)
{
	struct rf_server *b = dcre_xcalloc(1, sizeof(*b));
	b->base.ops = &rf_ops;
	b->base.kind = "redfish";
	b->base.bridge = &sv->b;
	return &b->base;
}
