/* SPDX-License-Identifier: MIT */
/* The `ipmi` and `redfish` sections (config.md §4, §5, §10): BMC and Redfish
 * server lists inline or in device files of the OpenDCRE 1.2/1.3 shapes, and
 * the checks across both (Decision 2). Internal to core's configuration. */
#ifndef DCRE_CONFIG_BRIDGE_H
#define DCRE_CONFIG_BRIDGE_H

#include <cjson/cJSON.h>

#include "cfgload.h"
#include "config.h"

void dcre_config_load_ipmi(struct dcre_cfg_loader *ld, const cJSON *section,
                           struct dcre_ipmi_config *out);
void dcre_config_load_redfish(struct dcre_cfg_loader *ld, const cJSON *section,
                              struct dcre_redfish_config *out);
/* Unique board ids, unique bmc_ip:port, hostname/address collisions. */
void dcre_config_check_bridges(struct dcre_cfg_loader *ld, const struct dcre_config *cfg);
void dcre_config_free_bridges(struct dcre_config *cfg);

#endif
