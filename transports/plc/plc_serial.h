/* SPDX-License-Identifier: MIT */
/* The serial line to the PLC bus (plc-protocol.md §1): raw 8N1, no flow
 * control, baud applied. */
#ifndef PLC_SERIAL_H
#define PLC_SERIAL_H

#include "err.h"

/* Open path with O_NOCTTY|O_CLOEXEC|O_NONBLOCK, raw mode, CLOCAL|CREAD and
 * the given baud rate. Returns the fd (caller closes) or -1 with msg set. */
int plc_serial_open(const char *path, int baud, struct dcre_msg *msg);
/* Change the baud rate of an open line. */
enum dcre_err plc_serial_set_baud(int fd, int baud);

#endif
