/* SPDX-License-Identifier: MIT */
/* What IPMI and Redfish boards share (transports/bridge, a library both link) (api.md §6, ipmi.md
 * §4, §6, redfish.md §4, §6): the board record with its static devices, device lookup by id or
 * name, and their messages. The answers themselves are typed results (core/result.h), rendered by
 * core/render.h. */
#ifndef DCRE_BRIDGE_H
#define DCRE_BRIDGE_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "bridge_config.h"
#include "err.h"
#include "result.h"

#define DCRE_BRIDGE_DEV_POWER 0x0100
#define DCRE_BRIDGE_DEV_SYSTEM 0x0200
#define DCRE_BRIDGE_DEV_LED 0x0300

/* Append the board record of bridge b to bs: id, backend, configuration
 * index, hostnames and addresses, and the static devices 0100 power, 0200
 * system and 0300 led. Add the sensors with dcre_bridge_add_sensor. The
 * pointer lasts until the next dcre_boards_add. */
struct dcre_board *dcre_bridge_board(const struct dcre_backend *b, struct dcre_boards *bs);

/* Add one sensor device; info is the board's name for it (cleaned to
 * UTF-8 here). */
void dcre_bridge_add_sensor(struct dcre_board *board, uint16_t id, const char *info,
                            const char *type);

/* The device of t in board: by id, or by name ignoring case (first match);
 * NULL if none. Borrowed from board. */
const struct dcre_device *dcre_bridge_find_device(const struct dcre_board *board,
                                                  const struct dcre_target *t);

/* Does t address the static device id/name (e.g. 0x0100 "power")? */
bool dcre_bridge_is_device(const struct dcre_target *t, uint16_t id, const char *name);

/* "IPMI board 40000001 has no temperature device '0021'" (type may be NULL). */
enum dcre_err dcre_bridge_no_device(const struct dcre_backend *b, const struct dcre_target *t,
                                    const char *type, struct dcre_msg *msg);

/* The configured hostnames and addresses of b. */
void dcre_bridge_host_info(const struct dcre_backend *b, struct dcre_host_info *out);

/* Fill the backend header of a bridge board from its configuration. */
void dcre_bridge_backend_init(struct dcre_backend *b, const struct dcre_backend_ops *ops,
                              const char *kind, const struct dcre_bridge_config *c);

/* Label for messages: the backend's name ("IPMI", "Redfish"). */
const char *dcre_bridge_label(const struct dcre_backend *b);

#endif
