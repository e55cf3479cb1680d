/* SPDX-License-Identifier: MIT */
#include "redfish_inv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* Does backend b own the board record (its kind, and for a one-board
 * backend its id)? */
static bool owns(const struct dcre_backend *b, const char *kind, uint32_t id)
{
	if (strcmp(kind, b->kind) != 0)
		return false;
	return id >= b->board_lo && id <= b->board_hi;
}

enum dcre_err dcre_rf_inv_load(struct dcre_ctx *ctx, struct dcre_rf_inv *inv, struct dcre_msg *msg)
{
	const cJSON *rack, *board;

	memset(inv, 0, sizeof(*inv));
	enum dcre_err e = dcre_command_scan_doc(ctx, false, &inv->doc, msg);
	if (e)
		return e;
	cJSON_ArrayForEach(rack, cJSON_GetObjectItem(inv->doc, "racks"))
	{
		const char *rack_id = cJSON_GetStringValue(cJSON_GetObjectItem(rack, "rack_id"));
		if (!rack_id)
			continue;
		inv->racks = dcre_xrealloc(inv->racks, (inv->n_racks + 1) * sizeof(*inv->racks));
		inv->racks[inv->n_racks++] = rack_id;
		cJSON_ArrayForEach(board, cJSON_GetObjectItem(rack, "boards"))
		{
			const char *id =
			    cJSON_GetStringValue(cJSON_GetObjectItem(board, "board_id"));
			const char *kind =
			    cJSON_GetStringValue(cJSON_GetObjectItem(board, "backend"));
			if (!id || !kind || strlen(id) != 8)
				continue;
			inv->v = dcre_xrealloc(inv->v, (inv->n + 1) * sizeof(*inv->v));
			struct dcre_rf_board *bd = &inv->v[inv->n++];
			memset(bd, 0, sizeof(*bd));
			bd->rack = rack_id;
			bd->record = board;
			bd->id = (uint32_t)strtoul(id, NULL, 16);
			snprintf(bd->hex, sizeof(bd->hex), "%s", id);
			for (size_t i = 0; i < dcre_ctx_count(ctx) && !bd->b; i++) {
				struct dcre_backend *b = dcre_ctx_backend(ctx, i);
				if (owns(b, kind, bd->id))
					bd->b = b;
			}
		}
	}
	return DCRE_OK;
}

void dcre_rf_inv_free(struct dcre_rf_inv *inv)
{
	cJSON_Delete(inv->doc);
	free(inv->v);
	free(inv->racks);
	memset(inv, 0, sizeof(*inv));
}

const struct dcre_rf_board *dcre_rf_inv_board(const struct dcre_rf_inv *inv, const char *id)
{
	for (size_t i = 0; id && i < inv->n; i++)
		if (strcmp(inv->v[i].hex, id) == 0)
			return &inv->v[i];
	return NULL;
}

bool dcre_rf_inv_has_rack(const struct dcre_rf_inv *inv, const char *id)
{
	for (size_t i = 0; id && i < inv->n_racks; i++)
		if (strcmp(inv->racks[i], id) == 0)
			return true;
	return false;
}

bool dcre_rf_type_in(const char *type, const char *types)
{
	size_t len = strlen(type);
	const char *s = types;

	while (*s) {
		size_t n = strcspn(s, "|");
		if (n == len && memcmp(s, type, n) == 0)
			return true;
		s += n;
		if (*s == '|')
			s++;
	}
	return false;
}

const char *dcre_rf_dev_id(const cJSON *dev)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(dev, "device_id"));
	return s ? s : "";
}

const char *dcre_rf_dev_type(const cJSON *dev)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(dev, "device_type"));
	return s ? s : "";
}

const char *dcre_rf_dev_name(const cJSON *dev)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(dev, "device_info"));
	return s && *s ? s : dcre_rf_dev_type(dev);
}

const cJSON *dcre_rf_device(const struct dcre_rf_board *bd, const char *types, size_t nth)
{
	const cJSON *d;
	cJSON_ArrayForEach(d, cJSON_GetObjectItem(bd->record, "devices"))
	{
		if (dcre_rf_type_in(dcre_rf_dev_type(d), types) && nth-- == 0)
			return d;
	}
	return NULL;
}

const cJSON *dcre_rf_device_by_id(const struct dcre_rf_board *bd, const char *id)
{
	const cJSON *d;
	cJSON_ArrayForEach(d, cJSON_GetObjectItem(bd->record, "devices"))
	{
		if (strcmp(dcre_rf_dev_id(d), id) == 0)
			return d;
	}
	return NULL;
}

void dcre_rf_target(const struct dcre_rf_board *bd, const cJSON *dev, struct dcre_target *t)
{
	memset(t, 0, sizeof(*t));
	t->rules = DCRE_RULE_STRICT_NUMBERS | DCRE_RULE_EXT_READINGS;
	t->rack = bd->rack;
	t->board = bd->id;
	snprintf(t->board_hex, sizeof(t->board_hex), "%s", bd->hex);
	if (dev) {
		t->device = (uint16_t)strtoul(dcre_rf_dev_id(dev), NULL, 16);
		snprintf(t->device_hex, sizeof(t->device_hex), "%04x", t->device);
	} else {
		t->device = 0xFFFF;
		snprintf(t->device_hex, sizeof(t->device_hex), "ffff");
	}
}
