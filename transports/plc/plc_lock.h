/* SPDX-License-Identifier: MIT */
/* The cross-process bus lock and the shared sequence counter it guards
 * (plc-protocol.md §6, §7; Decisions 3 and 4). The lock file holds the next
 * sequence number as ASCII decimal and "\n". */
#ifndef PLC_LOCK_H
#define PLC_LOCK_H

#include <stdint.h>

#include "err.h"

/* The lock wait at start-up (main process, before any worker runs). */
#define PLC_STARTUP_LOCK_WAIT_MS 10000

struct plc_lock {
	int fd;       /* this process's own open file description (-1 = closed) */
	int next_seq; /* valid while held */
	int file_len; /* length of the counter text in the file, while held */
};

/* Main process at start-up: create the lock file (mode 0660) if missing and
 * write the counter 1. A symbolic link or anything but a regular file at the
 * path is refused (never followed, never truncated). */
enum dcre_err plc_lock_prepare(const char *path, struct dcre_msg *msg);

/* Take the lock (opening the file on first use in this process) and read
 * the counter. Waits at most wait_ms (DCRE_ETIMEDOUT naming the lock after
 * that). The lock stays one lock whatever happens to the path: after flock
 * the descriptor's device and inode are compared with the path's, and the
 * file is opened again on a mismatch (deleted or replaced file). The path is
 * opened with O_NOFOLLOW and must be a regular file. */
enum dcre_err plc_lock_take(struct plc_lock *l, const char *path, int wait_ms,
                            struct dcre_msg *msg);
/* The next sequence number; the new counter is written to the file before
 * the number is returned, so a number is never used twice. */
uint8_t plc_lock_next_seq(struct plc_lock *l);
void plc_lock_release(struct plc_lock *l);
void plc_lock_close(struct plc_lock *l);

/* flock(fd, LOCK_EX), waiting until deadline_ms (dcre_time_now_ms() clock).
 * An uncontended lock costs one non-blocking flock; a contended one is a
 * blocking flock that a thread-directed timer signal interrupts at the
 * deadline. DCRE_OK, DCRE_ETIMEDOUT, or DCRE_EIO (errno kept). */
enum dcre_err plc_flock_until(int fd, long long deadline_ms);

#endif
