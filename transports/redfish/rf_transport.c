/* SPDX-License-Identifier: MIT */
/* The Redfish transport's registry hooks (core/transport.h). */
#include "rf_transport.h"

#include <stdio.h>

#include "bridge_config.h"
#include "rf_backend.h"

static void *rf_load(const struct dcre_transport *self, struct dcre_cfg_loader *ld,
                     const cJSON *section, const char *device)
{
	(void)device;
	return dcre_config_load_redfish(ld, section, &self->ids);
}

static void rf_free_config(void *cfg)
{
	dcre_config_free_redfish(cfg);
}

static void rf_describe(const void *cfg, char *buf, size_t size)
{
	const struct dcre_redfish_config *c = cfg;
	snprintf(buf, size, "%zu Redfish server%s", c->n_servers, c->n_servers == 1 ? "" : "s");
}

static bool rf_claim(const void *cfg, size_t i, struct dcre_claim *out)
{
	const struct dcre_redfish_config *c = cfg;
	if (i >= c->n_servers)
		return false;
	dcre_bridge_claim(&c->servers[i].b, out);
	return true;
}

static void rf_open(const void *cfg, void *state, struct dcre_backends *out)
{
	const struct dcre_redfish_config *c = cfg;
	(void)state;
	for (size_t j = 0; j < c->n_servers; j++)
		dcre_backends_add(out, dcre_redfish_backend_new(&c->servers[j]));
}

const struct dcre_transport_hooks dcre_redfish_hooks = {
    .load = rf_load,
    .free_config = rf_free_config,
    .describe = rf_describe,
    .claim = rf_claim,
    .open = rf_open,
};
