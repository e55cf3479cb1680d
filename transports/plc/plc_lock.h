/* SPDX-License-Identifier: MIT */
/* The cross-process bus lock and the shared sequence counter it guards
 * (plc-protocol.md §6, §7; Decisions 3 and 4). The lock file holds the next
 * sequence number as ASCII decimal and "\n". */
#ifndef PLC_LOCK_H
#define PLC_LOCK_H

#include <stdint.h>

#include "err.h"

struct plc_lock {
	int fd;       /* this process's own open file description (-1 = closed) */
	int next_seq; /* valid while held */
	int file_len; /* length of the counter text in the file, while held */
};

/* Main process at start-up: create the lock file (mode 0660) if missing and
 * write the counter 1. */
enum dcre_err plc_lock_prepare(const char *path, struct dcre_msg *msg);

/* Take the lock (opening the file on first use in this process) and read
 * the counter. Waits without a time limit: every holder is bounded by the
 * bus timeouts. */
enum dcre_err plc_lock_take(struct plc_lock *l, const char *path, struct dcre_msg *msg);
/* The next sequence number; the new counter is written to the file before
 * the number is returned, so a number is never used twice. */
uint8_t plc_lock_next_seq(struct plc_lock *l);
void plc_lock_release(struct plc_lock *l);
void plc_lock_close(struct plc_lock *l);

#endif
