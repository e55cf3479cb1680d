/* SPDX-License-Identifier: MIT */
/* The main configuration (config.md). Parsed once by the main process before
 * fork, immutable afterwards, read by the workers through copy-on-write. */
#ifndef DCRE_CONFIG_H
#define DCRE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "log.h"

enum dcre_hw_type {
	DCRE_HW_EMULATOR,
	DCRE_HW_RPI_HAT,
};

struct dcre_plc_config {
	bool present; /* a plc section (or --serial) exists */
	bool enabled;
	enum dcre_hw_type hardware_type;
	char *rack_id; /* the PLC boards' rack in the 1.3 API */
	char *device;
	int baud;
	char *lockfile;
	double timeout;
	int retry_limit;
	int time_slice;
	bool mac_set;
	uint8_t mac[6];
	uint32_t board_lo, board_hi;
	struct {
		char *chip;
		unsigned cmd, freq, inh, nsleep, select;
	} gpio;
	uint8_t modem_reg0, modem_reg1;
};

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

struct dcre_config {
	char *path; /* main file */
	struct dcre_plc_config plc;
	struct dcre_ipmi_config ipmi;
	struct dcre_redfish_config redfish;
	struct {
		char *file;
		double timeout; /* seconds; 0 = never expires */
	} scan_cache;
	struct {
		double max_age; /* seconds a collection of readings is served */
		double timeout; /* seconds a collection may take */
	} metrics;
	struct {
		enum dcre_log_level level;
		enum dcre_log_target target;
		char *file;
	} log;
};

/* Overrides from the command line / environment, applied while loading. */
struct dcre_config_overrides {
	const char *serial; /* --serial: sets plc.device, creates the section */
	bool debug;
};

/* Load and validate path. On failure returns NULL and writes one line per
 * problem ("<file>: <key path>: <problem>") to errs. Caller frees the
 * result with dcre_config_free(). */
struct dcre_config *dcre_config_load(const char *path, const struct dcre_config_overrides *ov,
                                     FILE *errs);
void dcre_config_free(struct dcre_config *cfg);

/* True if a PLC bus is configured and enabled. */
bool dcre_config_has_plc(const struct dcre_config *cfg);

#endif
