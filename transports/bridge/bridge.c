/* SPDX-License-Identifier: MIT */
#include "bridge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "text.h"

static void copy_names(struct dcre_strv *to, char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *t = dcre_text_clean(list[i], strlen(list[i]));
		dcre_strv_add(to, t);
		free(t);
	}
}

void dcre_bridge_add_sensor(struct dcre_board *board, uint16_t id, const char *info,
                            const char *type)
{
	char *t = dcre_text_clean(info, strlen(info));
	dcre_board_add_device(board, id, type, t);
	free(t);
}

struct dcre_board *dcre_bridge_board(const struct dcre_backend *b, struct dcre_boards *bs)
{
	struct dcre_board *r = dcre_boards_add(bs, b->board_lo, b->kind);

	r->index = b->index;
	r->has_names = true;
	copy_names(&r->hostnames, b->hostnames, b->n_hostnames);
	copy_names(&r->ip_addresses, b->ip_addresses, b->n_ip_addresses);
	dcre_board_add_device(r, DCRE_BRIDGE_DEV_POWER, "power", "power");
	dcre_board_add_device(r, DCRE_BRIDGE_DEV_SYSTEM, "system", "system");
	dcre_board_add_device(r, DCRE_BRIDGE_DEV_LED, "led", "led");
	return r;
}

const struct dcre_device *dcre_bridge_find_device(const struct dcre_board *board,
                                                  const struct dcre_target *t)
{
	for (size_t i = 0; i < board->n_devices; i++) {
		const struct dcre_device *d = &board->devices[i];
		if (t->device_name ? (d->info && strcasecmp(d->info, t->device_name) == 0)
		                   : d->id == t->device)
			return d;
	}
	return NULL;
}

bool dcre_bridge_is_device(const struct dcre_target *t, uint16_t id, const char *name)
{
	if (t->device_name)
		return strcasecmp(t->device_name, name) == 0;
	return t->device == id;
}

const char *dcre_bridge_label(const struct dcre_backend *b)
{
	return b->ops->name;
}

enum dcre_err dcre_bridge_no_device(const struct dcre_backend *b, const struct dcre_target *t,
                                    const char *type, struct dcre_msg *msg)
{
	return dcre_msg_set(msg, DCRE_ENODEV, "%s board %08x has no %s%sdevice '%s'",
	                    dcre_bridge_label(b), b->board_lo, type ? type : "", type ? " " : "",
	                    t->device_name ? t->device_name : t->device_hex);
}

void dcre_bridge_host_info(const struct dcre_backend *b, struct dcre_host_info *out)
{
	copy_names(&out->hostnames, b->hostnames, b->n_hostnames);
	copy_names(&out->ip_addresses, b->ip_addresses, b->n_ip_addresses);
}

void dcre_bridge_backend_init(struct dcre_backend *b, const struct dcre_backend_ops *ops,
                              const char *kind, const struct dcre_bridge_config *c)
{
	b->ops = ops;
	b->kind = kind;
	b->rack_id = c->rack_id;
	b->one_board = true;
	b->board_lo = b->board_hi = c->board_id;
	b->index = c->index;
	b->hostnames = c->hostnames;
	b->n_hostnames = c->n_hostnames;
	b->ip_addresses = c->ip_addresses;
	b->n_ip_addresses = c->n_ip_addresses;
	b->time_unit = c->timeout;
}
