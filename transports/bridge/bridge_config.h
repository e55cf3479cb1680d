/* SPDX-License-Identifier: MIT */
/* The `ipmi` and `redfish` sections (config.md §4, §5, §10): BMC and Redfish
 * server lists inline or in device files of the OpenDCRE 1.2/1.3 shapes.
 * Shared by the two transports (transports/bridge); the checks across
 * transports (unique ids and names) are core's, over their claims. */
#ifndef DCRE_BRIDGE_CONFIG_H
#define DCRE_BRIDGE_CONFIG_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfgload.h"
#include "transport.h"

/* What IPMI BMCs and Redfish servers share: one bridge board each
 * (Decision 2). */
struct dcre_bridge_config {
	uint32_t board_id;
	bool board_id_pinned; /* written in the entry (Decision 2) */
	int index;            /* i (BMC) or j (Redfish server), in configuration order */
	char *rack_id;
	char *address; /* bmc_ip / redfish_ip */
	int port;
	char *username;
	char *password; /* never logged */
	double timeout; /* seconds */
	double power_wait;
	char **hostnames;
	size_t n_hostnames;
	bool hostnames_set; /* written explicitly (not the [address] default) */
	char **ip_addresses;
	size_t n_ip_addresses;
	bool ip_addresses_set;
	char *where; /* "<file>: <key path>" of the entry, for messages */
};

enum dcre_ipmi_privilege {
	DCRE_IPMI_PRIV_USER,
	DCRE_IPMI_PRIV_OPERATOR,
	DCRE_IPMI_PRIV_ADMIN,
};

struct dcre_ipmi_bmc {
	struct dcre_bridge_config b;
	int cipher_suite; /* 0-3 */
	enum dcre_ipmi_privilege privilege;
	double session_idle_timeout; /* 0 = no such limit */
	unsigned workaround_flags;   /* DCRE_IPMI_WORKAROUND_* */
};

/* FreeIPMI IPMI 2.0 workaround flag names (config.md §4) as bits; the IPMI
 * transport maps them to IPMI_WORKAROUND_FLAGS_OUTOFBAND_2_0_*. */
#define DCRE_IPMI_WORKAROUND_AUTHCAP (1u << 0)
#define DCRE_IPMI_WORKAROUND_INTEL20 (1u << 1)
#define DCRE_IPMI_WORKAROUND_SUPERMICRO20 (1u << 2)
#define DCRE_IPMI_WORKAROUND_SUN20 (1u << 3)
#define DCRE_IPMI_WORKAROUND_OPENSESSPRIV (1u << 4)
#define DCRE_IPMI_WORKAROUND_INTEGRITYCHECKVALUE (1u << 5)
#define DCRE_IPMI_WORKAROUND_NOCHECKSUMCHECK (1u << 6)

struct dcre_ipmi_config {
	bool present;
	struct dcre_ipmi_bmc *bmcs;
	size_t n_bmcs;
	char *sdr_cache_dir;
};

struct dcre_redfish_server {
	struct dcre_bridge_config b;
	bool https; /* scheme */
	bool verify_tls;
	char *ca_file;
};

struct dcre_redfish_config {
	bool present;
	struct dcre_redfish_server *servers;
	size_t n_servers;
};

/* Parse a section; ids: the transport's id space (its registry line). The
 * result is never NULL; free it with the matching free function. */
struct dcre_ipmi_config *dcre_config_load_ipmi(struct dcre_cfg_loader *ld, const cJSON *section,
                                               const struct dcre_id_space *ids);
struct dcre_redfish_config *dcre_config_load_redfish(struct dcre_cfg_loader *ld,
                                                     const cJSON *section,
                                                     const struct dcre_id_space *ids);
void dcre_config_free_ipmi(struct dcre_ipmi_config *c);
void dcre_config_free_redfish(struct dcre_redfish_config *c);

/* The claim (core/transport.h) of one entry. */
void dcre_bridge_claim(const struct dcre_bridge_config *b, struct dcre_claim *out);

#endif
