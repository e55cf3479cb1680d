/* SPDX-License-Identifier: MIT */
/* The main configuration (config.md). Parsed once by the main process before
 * fork, immutable afterwards, read by the workers through copy-on-write.
 * Core reads scan_cache and log; each transport of the registry parses its
 * own section (core/transport.h). */
#ifndef DCRE_CONFIG_H
#define DCRE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "log.h"
#include "transport.h"

struct dcre_config {
	char *path; /* main file */
	const struct dcre_registry *reg;
	/* per registry entry: its section's configuration (its load hook), or
	 * NULL when it configures nothing */
	void **sections;
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
	/* --serial: sets the device_key of the transport that has one,
	 * creating its section */
	const char *serial;
	bool debug;
};

/* Load and validate path. On failure returns NULL and writes one line per
 * problem ("<file>: <key path>: <problem>") to errs. Caller frees the
 * result with dcre_config_free(). */
struct dcre_config *dcre_config_load(const char *path, const struct dcre_registry *reg,
                                     const struct dcre_config_overrides *ov, FILE *errs);
void dcre_config_free(struct dcre_config *cfg);

/* The configuration of the registry entry named name (its load hook's
 * result), or NULL when it configures nothing or is not registered. */
void *dcre_config_section(const struct dcre_config *cfg, const char *name);

#endif
