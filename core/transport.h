/* SPDX-License-Identifier: MIT */
/* What a transport (one folder of transports/) offers core and the FastCGI
 * program. transports/registry.c lists them, one line each; core and
 * fcgi-app only ever loop over that table and name no transport.
 *
 * Adding a transport: a folder with its configuration parsing, its backend
 * (core/backend.h) and a `const struct dcre_transport dcre_<name>_transport`;
 * one line in transports/registry.c; one meson feature option. */
#ifndef DCRE_TRANSPORT_H
#define DCRE_TRANSPORT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "cfgload.h"
#include "err.h"

/* The board ids a transport's boards use (api.md §4.2, Decision 2). */
struct dcre_id_space {
	uint32_t lo, hi; /* every id of the space */
	bool one_board;  /* each configured entry is one board (a BMC, a server); else a bus */
};

struct dcre_backends {
	struct dcre_backend **v;
	size_t n;
};
/* Append b (owned by the list from now on). */
void dcre_backends_add(struct dcre_backends *l, struct dcre_backend *b);
/* Free every backend and the list. */
void dcre_backends_clear(struct dcre_backends *l);

struct dcre_transport {
	const char *name;  /* configuration section, scan-cache backend key: "plc" */
	const char *label; /* for messages: "PLC bus" */
	/* false: compiled out of this build (meson -D<name>=disabled); a
	 * configuration section for it is refused naming the option */
	bool enabled;
	struct dcre_id_space ids;

	/* Parse the section (key: its key path for messages, e.g. "ipmi").
	 * Problems are reported through dcre_cfg_problem. Returns the
	 * transport's configuration, or NULL when it configures nothing. */
	void *(*load)(struct dcre_cfg_loader *ld, const char *key, const cJSON *section);
	void (*free_config)(void *cfg);
	/* One summary phrase for the start-up log line ("PLC bus on /dev/ttyAMA0"). */
	void (*describe)(const void *cfg, char *buf, size_t size);

	/* Main process, before any worker: check and prepare (lock files,
	 * writable directories, the modem). *state is handed to cleanup. On
	 * failure msg names file, key and reason; the service does not start. */
	enum dcre_err (*prepare)(void *cfg, const char *config_file, void **state,
	                         struct dcre_msg *msg);
	void (*cleanup)(void *state);

	/* In each worker: this transport's backends (each keeps its own
	 * connections: serial fd, IPMI sessions, curl handles). */
	void (*open)(const void *cfg, struct dcre_backends *out);
};

#endif
