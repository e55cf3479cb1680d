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

struct dcre_config {
	char *path; /* main file */
	struct dcre_plc_config plc;
	struct {
		char *file;
		double timeout; /* seconds; 0 = never expires */
	} scan_cache;
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
