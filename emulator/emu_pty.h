/* SPDX-License-Identifier: MIT */
/* The emulator's end of the serial line (emulator.md §1): a pty pair it
 * creates and publishes as a symbolic link, or an existing tty. */
#ifndef EMU_PTY_H
#define EMU_PTY_H

#include <stdbool.h>

#include "err.h"

struct emu_port {
	int fd;          /* the descriptor the emulator serves on */
	int slave_fd;    /* pty mode: our own slave descriptor (no hang-up), else -1 */
	char *link;      /* pty mode: the symbolic link we created, else NULL */
	char slave[256]; /* pty mode: /dev/pts/N; device mode: the device path */
};

/* Create a pty pair: master for the emulator (port->fd), slave in raw mode
 * with echo off, kept open, published as the symbolic link `link` (an
 * existing symbolic link is replaced; anything else there is an error).
 * On failure returns DCRE_EIO / DCRE_EINVAL with why set and nothing left
 * behind. Release with emu_pty_close(). */
enum dcre_err emu_pty_open(struct emu_port *port, const char *link, struct dcre_msg *why);

/* Open an existing tty (one end of a socat pair or a UART) in raw mode at
 * baud. Release with emu_pty_close(). */
enum dcre_err emu_pty_open_device(struct emu_port *port, const char *path, unsigned baud,
                                  struct dcre_msg *why);

/* True if baud is one of the supported rates. */
bool emu_pty_baud_ok(unsigned baud);

/* Mark port as holding nothing, so emu_pty_close() is safe on it. */
void emu_pty_init(struct emu_port *port);

/* Close the descriptors and remove the link (only if it still points at our
 * slave). Safe on a port given to emu_pty_init() or a failed open. */
void emu_pty_close(struct emu_port *port);

#endif
