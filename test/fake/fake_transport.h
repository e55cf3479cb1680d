/* SPDX-License-Identifier: MIT */
/* The fake transport: a test-only transport registered exactly like the
 * real ones (README, "Adding a transport"): this folder holds its section
 * parser, its backends and its hooks; test/fake/fake_registry.c is the
 * registry of the tests, the real registry's lines plus this one.
 *
 * Its `fake` section (every key optional):
 *   {"rack_id": "rack_f",
 *    "servers": [{"board_id": "50000001", "hostnames": ["fake-a"],
 *                 "ip_addresses": ["192.0.2.50"]}]}
 * configures one fake bus (board ids 00f00000-00ffffff, the registry
 * line's space) and one one-board fake server per entry (ids
 * 50000000-5fffffff, a range no real transport uses, so that the 1.2 id
 * rule reaches them). The bus answers every board and device with canned
 * payloads through the PLC transport's real converters (plc_convert.h),
 * so the request's rules shape them as on a real bus; board 00fffffe never
 * answers. The servers answer typed results of their own. Everything is
 * deterministic. */
#ifndef FAKE_TRANSPORT_H
#define FAKE_TRANSPORT_H

#include <stddef.h>

#include "transport.h"

/* The board-id spaces of the fake bus and of the fake servers. */
#define FAKE_BUS_LO 0x00F00000u
#define FAKE_BUS_HI 0x00FFFFFFu
#define FAKE_SERVER_LO 0x50000000u
#define FAKE_SERVER_HI 0x5FFFFFFFu
/* the bus board that never answers */
#define FAKE_BUS_SILENT 0x00FFFFFEu

extern const struct dcre_transport_hooks dcre_fake_hooks;

/* Make data[0..len) (borrowed; NULL: the canned payloads again) the bus
 * answer of every fake bus operation, as a hostile or broken board would
 * send it. Process-wide. */
void fake_bus_set_answer(const char *data, size_t len);

#endif
