/* SPDX-License-Identifier: MIT */
/* The IPMI transport's registry hooks (core/transport.h). */
#include "ipmi_transport.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bridge_config.h"
#include "ipmi_backend.h"

static void *ipmi_load(const struct dcre_transport *self, struct dcre_cfg_loader *ld,
                       const cJSON *section, const char *device)
{
	(void)device;
	return dcre_config_load_ipmi(ld, section, &self->ids);
}

static void ipmi_free_config(void *cfg)
{
	dcre_config_free_ipmi(cfg);
}

static void ipmi_describe(const void *cfg, char *buf, size_t size)
{
	const struct dcre_ipmi_config *c = cfg;
	snprintf(buf, size, "%zu IPMI BMC%s", c->n_bmcs, c->n_bmcs == 1 ? "" : "s");
}

static bool ipmi_claim(const void *cfg, size_t i, struct dcre_claim *out)
{
	const struct dcre_ipmi_config *c = cfg;
	if (i >= c->n_bmcs)
		return false;
	dcre_bridge_claim(&c->bmcs[i].b, out);
	return true;
}

/* config.md §9 step 5: the SDR cache directory must be usable. */
static enum dcre_err ipmi_prepare(const void *cfg, void **state, struct dcre_msg *msg)
{
	const struct dcre_ipmi_config *c = cfg;

	*state = NULL;
	if (c->n_bmcs > 0 && access(c->sdr_cache_dir, W_OK | X_OK) < 0)
		return dcre_msg_set(msg, DCRE_ECONFIG,
		                    "ipmi.sdr_cache_dir: %s is not a writable directory: %s",
		                    c->sdr_cache_dir, strerror(errno));
	return DCRE_OK;
}

static void ipmi_open(const void *cfg, void *state, struct dcre_backends *out)
{
	const struct dcre_ipmi_config *c = cfg;
	(void)state;
	for (size_t i = 0; i < c->n_bmcs; i++)
		dcre_backends_add(out, dcre_ipmi_backend_new(&c->bmcs[i], c));
}

const struct dcre_transport_hooks dcre_ipmi_hooks = {
    .load = ipmi_load,
    .free_config = ipmi_free_config,
    .describe = ipmi_describe,
    .claim = ipmi_claim,
    .prepare = ipmi_prepare,
    .open = ipmi_open,
};
