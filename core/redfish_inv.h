/* SPDX-License-Identifier: MIT */
/* The board inventory as the Redfish front end sees it: the scan cache's
 * racks and boards, each board with its backend, and targets for its
 * devices. Ids are those of the OpenDCRE API: rack ids, board ids as 8
 * lowercase hex digits, device ids as 4. */
#ifndef DCRE_REDFISH_INV_H
#define DCRE_REDFISH_INV_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "command.h"

struct dcre_rf_board {
	const char *rack;    /* borrowed from the scan document */
	const cJSON *record; /* the scan-cache record */
	uint32_t id;
	char hex[9];
	struct dcre_backend *b; /* NULL when no backend owns it any more */
};

struct dcre_rf_inv {
	cJSON *doc; /* the scan document (owned) */
	struct dcre_rf_board *v;
	size_t n;
	const char **racks; /* rack ids in scan order (borrowed) */
	size_t n_racks;
};

enum dcre_err dcre_rf_inv_load(struct dcre_ctx *ctx, struct dcre_rf_inv *inv, struct dcre_msg *msg);
void dcre_rf_inv_free(struct dcre_rf_inv *inv);

/* The board with this id (exactly 8 lowercase hex digits), or NULL. */
const struct dcre_rf_board *dcre_rf_inv_board(const struct dcre_rf_inv *inv, const char *id);
/* Whether a rack has this id. */
bool dcre_rf_inv_has_rack(const struct dcre_rf_inv *inv, const char *id);

/* The nth device record (0 first) of a board whose type is one of the
 * '|'-separated types; NULL when none. */
const cJSON *dcre_rf_device(const struct dcre_rf_board *bd, const char *types, size_t nth);
/* The device record with this id (4 lowercase hex digits), or NULL. */
const cJSON *dcre_rf_device_by_id(const struct dcre_rf_board *bd, const char *id);
/* Device fields of a record ("" when absent). */
const char *dcre_rf_dev_id(const cJSON *dev);
const char *dcre_rf_dev_type(const cJSON *dev);
/* The board's name for the device, or its type. */
const char *dcre_rf_dev_name(const cJSON *dev);

/* A target for a device of the board (dev NULL: the board only). */
void dcre_rf_target(const struct dcre_rf_board *bd, const cJSON *dev, struct dcre_target *t);

/* Whether a type is one of the '|'-separated types. */
bool dcre_rf_type_in(const char *type, const char *types);

#endif
