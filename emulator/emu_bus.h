/* SPDX-License-Identifier: MIT */
/* Answering PLC request packets from the data model (emulator.md §4–§9):
 * device matching, cursors, retries, raw bytes and sentinels, scan-all
 * scenarios and stateful devices. Pure: packets in, bytes out; the caller
 * does the serial I/O. */
#ifndef EMU_BUS_H
#define EMU_BUS_H

#include <stddef.h>
#include <stdint.h>

#include "emu_data.h"
#include "err.h"
#include "plc_frame.h"

struct emu_bus;

/* data is borrowed (it must outlive the bus); the bus moves its cursors and
 * device states. Caller frees with emu_bus_free(). Never NULL. */
struct emu_bus *emu_bus_new(struct emu_data *data);

/* NULL-safe. */
void emu_bus_free(struct emu_bus *b);

/* Handle one valid request packet. *out and *n receive the bytes to write to
 * the line (n may be 0: silence); they stay valid until the next call.
 * Returns DCRE_OK, or an error for a packet that could not be handled (it is
 * logged, nothing is to be sent and the previous command is forgotten). */
enum dcre_err emu_bus_handle(struct emu_bus *b, const struct plc_packet *req, const uint8_t **out,
                             size_t *n);

#endif
