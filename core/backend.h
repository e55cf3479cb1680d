/* SPDX-License-Identifier: MIT */
/* The one transport interface of core. Each backend (PLC bus now; IPMI and
 * Redfish later) is a thin adapter implementing the operations it supports;
 * a NULL operation means "not supported by this backend". Operations build
 * their JSON answer with the shared converters of core/convert.h, so shapes
 * exist once. Every operation returns enum dcre_err and, on failure, a
 * message in msg naming the board, device, backend and cause. */
#ifndef DCRE_BACKEND_H
#define DCRE_BACKEND_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "convert.h"
#include "err.h"

struct dcre_backend;

/* The addressed device of one request, validated by the command layer. */
struct dcre_target {
	enum dcre_api api;
	const char *rack;        /* 1.3 rack text, NULL in 1.2 */
	uint32_t board;          /* board id */
	uint16_t device;         /* device id as sent on the bus (when !device_name) */
	const char *device_name; /* 1.3 text device id of a bridge board, else NULL */
	char board_hex[9];       /* 8 lowercase hex digits, for messages */
	char device_hex[16];     /* 4+ lowercase hex digits as given, for messages */
};

enum dcre_power_action {
	DCRE_POWER_ON,
	DCRE_POWER_OFF,
	DCRE_POWER_CYCLE,
	DCRE_POWER_STATUS,
};

enum dcre_boot_target {
	DCRE_BOOT_GET = -1,
	DCRE_BOOT_NO_OVERRIDE = 0,
	DCRE_BOOT_HDD = 1,
	DCRE_BOOT_PXE = 2,
};

struct dcre_backend_ops {
	const char *name; /* "PLC bus" */
	/* {"firmware_version": ...} */
	enum dcre_err (*version)(struct dcre_backend *b, const struct dcre_target *t, cJSON **out,
	                         struct dcre_msg *msg);
	/* Single-board scan: an array of boards in the scan-cache shape
	 * ({"backend","board_id","devices":[{"device_id","device_type"}]}). */
	enum dcre_err (*scan_board)(struct dcre_backend *b, const struct dcre_target *t,
	                            cJSON **boards, struct dcre_msg *msg);
	/* Scan-all of this backend: an array of boards in the same shape. */
	enum dcre_err (*scan_all)(struct dcre_backend *b, cJSON **boards, struct dcre_msg *msg);
	/* type: the lower-cased URL device type. */
	enum dcre_err (*read)(struct dcre_backend *b, const struct dcre_target *t, const char *type,
	                      cJSON **out, struct dcre_msg *msg);
	/* type: the lower-cased 1.3 device_type segment, or NULL. */
	enum dcre_err (*power)(struct dcre_backend *b, const struct dcre_target *t,
	                       const char *type, enum dcre_power_action action, cJSON **out,
	                       struct dcre_msg *msg);
	enum dcre_err (*asset)(struct dcre_backend *b, const struct dcre_target *t, cJSON **out,
	                       struct dcre_msg *msg);
	enum dcre_err (*boot_target)(struct dcre_backend *b, const struct dcre_target *t,
	                             enum dcre_boot_target target, cJSON **out,
	                             struct dcre_msg *msg);
	/* state: NULL = read; "on", "off", "no_override" = set. */
	enum dcre_err (*led)(struct dcre_backend *b, const struct dcre_target *t, const char *state,
	                     cJSON **out, struct dcre_msg *msg);
	/* Already validated texts: state "1"/"0"/"-1", color hex text or "-1",
	 * blink "1"/"0"/"-1". */
	enum dcre_err (*chamber_led)(struct dcre_backend *b, const struct dcre_target *t,
	                             const char *state, const char *color, const char *blink,
	                             cJSON **out, struct dcre_msg *msg);
	/* speed: NULL = read; else the validated digits exactly as given. */
	enum dcre_err (*fan)(struct dcre_backend *b, const struct dcre_target *t, const char *speed,
	                     cJSON **out, struct dcre_msg *msg);
	enum dcre_err (*host_info)(struct dcre_backend *b, const struct dcre_target *t, cJSON **out,
	                           struct dcre_msg *msg);
	enum dcre_err (*plc_config)(struct dcre_backend *b, cJSON **out, struct dcre_msg *msg);
	void (*free)(struct dcre_backend *b);
};

struct dcre_bridge_config;

/* Every backend object starts with this header. */
struct dcre_backend {
	const struct dcre_backend_ops *ops;
	const char *kind; /* "plc", "ipmi" or "redfish": the scan-cache backend key */
	/* IPMI BMC or Redfish server configuration (borrowed); NULL for PLC */
	const struct dcre_bridge_config *bridge;
};

/* NULL-safe destructor. */
static inline void dcre_backend_free(struct dcre_backend *b)
{
	if (b)
		b->ops->free(b);
}

#endif
