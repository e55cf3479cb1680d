/* SPDX-License-Identifier: MIT */
/* Placeholder until the IPMI transport lands: every operation answers
 * "not supported". */
#include "ipmi_backend.h"

#include <stdlib.h>

#include "alloc.h"

struct ipmi_bmc {
	struct dcre_backend base;
};

static void ipmi_free(struct dcre_backend *b)
{
	free(b);
}

static const struct dcre_backend_ops ipmi_ops = {
    .name = "IPMI",
    .free = ipmi_free,
};

struct dcre_backend *dcre_ipmi_backend_new(const struct dcre_ipmi_bmc *bmc,
                                           const struct dcre_ipmi_config *section)
{
	struct ipmi_bmc *b = dcre_xcalloc(1, sizeof(*b));
	(void)section;
	b->base.ops = &ipmi_ops;
	b->base.kind = "ipmi";
	b->base.bridge = &bmc->b;
	return &b->base;
}
