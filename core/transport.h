/* SPDX-License-Identifier: MIT */
/* What a transport (one folder of transports/) offers core and the FastCGI
 * program. transports/registry.c lists them, one line each; core and
 * fcgi-app only ever loop over that table and name no transport.
 *
 * Adding a transport: a folder with its configuration parsing, its backend
 * (core/backend.h) and a `const struct dcre_transport_hooks`; one line in
 * transports/registry.c; one meson feature option (README, "Adding a
 * transport"). */
#ifndef DCRE_TRANSPORT_H
#define DCRE_TRANSPORT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "cfgload.h"
#include "err.h"

/* The 1.2 API's own id rules (api.md §4.3), the one place core has them:
 * an id with this bit names a one-board backend (a BMC, a server) ... */
#define DCRE_ID12_ONE_BOARD_BIT 0x40000000u
/* ... and any other id above this one is invalid. */
#define DCRE_ID12_MAX 0x00FFFFFFu

/* The board ids a transport's boards use (api.md §4.2, Decision 2). */
struct dcre_id_space {
	uint32_t lo, hi;  /* every id of the space */
	uint32_t auto_lo; /* one-board: the first automatic id (then +1 per entry) */
	bool one_board;   /* each configured entry is one board (a BMC, a server); else a bus */
};

/* One board a one-board transport configures, for the checks across
 * transports (unique ids, unique names). Borrowed from the section's
 * configuration. */
struct dcre_claim {
	uint32_t board_id;
	const char *where; /* "<file>: <key path>" of the entry */
	char *const *hostnames;
	size_t n_hostnames;
	bool hostnames_set; /* written explicitly (not the [address] default) */
	char *const *ip_addresses;
	size_t n_ip_addresses;
	bool ip_addresses_set;
};

struct dcre_backends {
	struct dcre_backend **v;
	size_t n;
};
/* Append b (owned by the list from now on). */
void dcre_backends_add(struct dcre_backends *l, struct dcre_backend *b);
/* Free every backend and the list. */
void dcre_backends_clear(struct dcre_backends *l);

struct dcre_transport;

/* What a compiled-in transport implements. */
struct dcre_transport_hooks {
	/* Parse the section (section NULL: not written, but device is set).
	 * device: the command line's device override (--serial) for the
	 * transport that names a device_key, else NULL. Problems go through
	 * dcre_cfg_problem. Returns the transport's configuration, or NULL
	 * when it configures nothing. */
	void *(*load)(const struct dcre_transport *self, struct dcre_cfg_loader *ld,
	              const cJSON *section, const char *device);
	void (*free_config)(void *cfg);
	/* One phrase for the start-up log line ("PLC bus on /dev/ttyAMA0"). */
	void (*describe)(const void *cfg, char *buf, size_t size);
	/* One-board transports: the i-th configured board; false past the end. */
	bool (*claim)(const void *cfg, size_t i, struct dcre_claim *out);

	/* Main process, before any worker: check and prepare (lock files,
	 * writable directories, the modem). *state is handed to open and
	 * cleanup. On failure msg says what (key and reason); the service
	 * does not start. NULL: nothing to prepare. */
	enum dcre_err (*prepare)(const void *cfg, void **state, struct dcre_msg *msg);
	void (*cleanup)(void *state);

	/* In each worker: this transport's backends (each keeps its own
	 * connections: serial fd, IPMI sessions, curl handles). */
	void (*open)(const void *cfg, void *state, struct dcre_backends *out);
};

/* One line of the registry. */
struct dcre_transport {
	const char *name;   /* configuration section, scan-cache backend key: "plc" */
	const char *label;  /* for messages: "PLC bus", "IPMI" */
	const char *option; /* its meson option: "ipmi" (NULL: always built) */
	/* the key --serial sets, for the transport that has one ("device") */
	const char *device_key;
	struct dcre_id_space ids;
	/* NULL: compiled out of this build (meson -D<option>=disabled); a
	 * configuration section for it is refused naming the option */
	const struct dcre_transport_hooks *hooks;
};

/* The table of transports (transports/registry.c), in the order their
 * backends are opened, scanned and merged. */
struct dcre_registry {
	const struct dcre_transport *v;
	size_t n;
};

#endif
