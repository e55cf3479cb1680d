/* SPDX-License-Identifier: MIT */
/* The FastCGI listening socket (config.md §8). */
#ifndef DCRE_LISTEN_H
#define DCRE_LISTEN_H

#include "err.h"

/* addr given: a Unix socket path (mode 0660, a stale socket replaced) or
 * HOST:PORT. Else systemd LISTEN_FDS (fd 3), else fd 0 if it is a listening
 * socket. Returns the fd, or -1 with msg set. The fd is non-blocking. */
int dcre_listen_acquire(const char *addr, struct dcre_msg *msg);

#endif
