/* SPDX-License-Identifier: MIT */
/* The one transport interface of core. Each backend (PLC bus now; IPMI and
 * Redfish later) is a thin adapter implementing the operations it supports;
 * a NULL operation means "not supported by this backend". Operations fill
 * typed results (core/result.h); core/render.h alone turns them into an
 * API's answer. Every operation returns enum dcre_err and, on failure, a
 * message in msg naming the board, device, backend and cause. */
#ifndef DCRE_BACKEND_H
#define DCRE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "result.h"
#include "timeutil.h"

struct dcre_backend;

/* What the request's API asks of a conversion or an address (the command
 * layer sets them from the API version; transports never see a version). */
enum dcre_rule {
	/* a device's payload must pass the decimal-number rule before its
	 * type's own rule (conversions.md §2) */
	DCRE_RULE_STRICT_NUMBERS = 1u << 0,
	/* the extended readings: pressure in kPa, a vapor_fan's speed, the
	 * 2-field battery answer to a power command */
	DCRE_RULE_EXT_READINGS = 1u << 1,
	/* a reading must carry a value: a power_supply sensor (health and
	 * states only) cannot be answered */
	DCRE_RULE_VALUE_REQUIRED = 1u << 2,
	/* the system device also takes the board's LED commands */
	DCRE_RULE_SYSTEM_LED = 1u << 3,
	/* a bus board answers neither asset nor boot target (the backend
	 * refuses before anything else, the target name included) */
	DCRE_RULE_BUS_NO_ASSET_BOOT = 1u << 4,
};

/* The addressed device of one request, validated by the command layer. */
struct dcre_target {
	unsigned rules;          /* enum dcre_rule bits */
	const char *rack;        /* rack text of the request, NULL when it has none */
	uint32_t board;          /* board id */
	uint16_t device;         /* device id as sent on the bus (when !device_name) */
	const char *device_name; /* text device id of a bridge board, else NULL */
	char board_hex[9];       /* 8 lowercase hex digits, for messages */
	char device_hex[16];     /* 4+ lowercase hex digits as given, for messages */
	/* dcre_time_now() by which the whole operation must end (a metrics
	 * scrape's bound); 0: the transport's own bounds only */
	double deadline;
	/* nonzero: this read is part of one metrics collection (its number in
	 * this process); a transport may answer the reads of one collection
	 * from one exchange with the device (one IPMI Get Chassis Status for
	 * the power and the LED). 0: read the device now. */
	unsigned collection;
};

/* The time an operation of t may take: own (the transport's bound), cut
 * to what is left before t's deadline (at least 1 ms). */
static inline double dcre_target_budget(const struct dcre_target *t, double own)
{
	if (!t || t->deadline <= 0)
		return own;
	double left = t->deadline - dcre_time_now();
	if (left < 0.001)
		left = 0.001;
	return left < own ? left : own;
}

enum dcre_power_action {
	DCRE_POWER_ON,
	DCRE_POWER_OFF,
	DCRE_POWER_CYCLE,
	DCRE_POWER_STATUS,
};

enum dcre_led_set {
	DCRE_LED_GET, /* read only */
	DCRE_LED_ON,
	DCRE_LED_OFF,
	DCRE_LED_NO_OVERRIDE,
};

/* A chamber LED command, validated: -1 in a field means no_override. */
struct dcre_chamber_set {
	int state;         /* 1 on, 0 off */
	const char *color; /* hex text exactly as given (buses echo it), NULL = no_override */
	int blink;         /* 1 blink, 0 steady */
};

/* A fan speed to set, validated (0-10000 rpm). */
struct dcre_fan_set {
	int rpm;
	const char *digits; /* exactly as given, leading zeros kept (the PLC bus sends these) */
};

/* The operations a transport may implement; NULL = not supported. Each
 * fills its typed result (core/result.h; zeroed by the caller, cleared by
 * the caller also on failure) and returns DCRE_OK, or an error with msg
 * naming the board, device, backend and cause. */
struct dcre_backend_ops {
	const char *name; /* "PLC bus" */
	/* *firmware: the board's version text; caller frees. */
	enum dcre_err (*version)(struct dcre_backend *b, const struct dcre_target *t,
	                         char **firmware, struct dcre_msg *msg);
	/* Single-board scan: the board (normally one). */
	enum dcre_err (*scan_board)(struct dcre_backend *b, const struct dcre_target *t,
	                            struct dcre_boards *out, struct dcre_msg *msg);
	/* Scan-all of this backend. */
	enum dcre_err (*scan_all)(struct dcre_backend *b, struct dcre_boards *out,
	                          struct dcre_msg *msg);
	/* type: the lower-cased device type of the request. */
	enum dcre_err (*read)(struct dcre_backend *b, const struct dcre_target *t, const char *type,
	                      struct dcre_reading *out, struct dcre_msg *msg);
	/* type: the lower-cased device type the request names, or NULL. */
	enum dcre_err (*power)(struct dcre_backend *b, const struct dcre_target *t,
	                       const char *type, enum dcre_power_action action,
	                       struct dcre_power *out, struct dcre_msg *msg);
	enum dcre_err (*asset)(struct dcre_backend *b, const struct dcre_target *t,
	                       struct dcre_asset *out, struct dcre_msg *msg);
	/* target DCRE_BOOT_GET reads; *now: the target afterwards. */
	enum dcre_err (*boot_target)(struct dcre_backend *b, const struct dcre_target *t,
	                             enum dcre_boot_target target, struct dcre_boot *now,
	                             struct dcre_msg *msg);
	enum dcre_err (*led)(struct dcre_backend *b, const struct dcre_target *t,
	                     enum dcre_led_set set, struct dcre_led *out, struct dcre_msg *msg);
	enum dcre_err (*chamber_led)(struct dcre_backend *b, const struct dcre_target *t,
	                             const struct dcre_chamber_set *set,
	                             struct dcre_chamber_led *out, struct dcre_msg *msg);
	/* set NULL: read. The answer is a fan_speed reading. */
	enum dcre_err (*fan)(struct dcre_backend *b, const struct dcre_target *t,
	                     const struct dcre_fan_set *set, struct dcre_reading *out,
	                     struct dcre_msg *msg);
	enum dcre_err (*host_info)(struct dcre_backend *b, const struct dcre_target *t,
	                           struct dcre_host_info *out, struct dcre_msg *msg);
	/* The transport's own configuration facts (the PLC modem's registers). */
	enum dcre_err (*config_facts)(struct dcre_backend *b, struct dcre_facts *out,
	                              struct dcre_msg *msg);
	void (*free)(struct dcre_backend *b);
};

/* Every backend object starts with this header: the generic board claim
 * that board resolution, scans and host_info use. */
struct dcre_backend {
	const struct dcre_backend_ops *ops;
	const char *kind;            /* the transport's name: the scan-cache backend key */
	const char *rack_id;         /* the rack of its boards in the 1.3 API (borrowed) */
	bool one_board;              /* one board (a BMC, a server); else a bus of boards */
	uint32_t board_lo, board_hi; /* its board ids (one board: lo == hi) */
	int index;                   /* configuration index of a one-board entry, -1 for a bus */
	/* a one-board entry's configured names (borrowed); none for a bus */
	char *const *hostnames;
	size_t n_hostnames;
	char *const *ip_addresses;
	size_t n_ip_addresses;
	/* the longest time unit of one operation, seconds (scan-lock wait) */
	double time_unit;
};

/* NULL-safe destructor. */
static inline void dcre_backend_free(struct dcre_backend *b)
{
	if (b)
		b->ops->free(b);
}

#endif
