/* SPDX-License-Identifier: MIT */
#include "plc_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "log.h"

enum dcre_err plc_lock_prepare(const char *path, struct dcre_msg *msg)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660);

	if (fd < 0)
		return dcre_msg_set(msg, DCRE_ECONFIG, "plc.lockfile: cannot create %s: %s", path,
		                    strerror(errno));
	flock(fd, LOCK_EX);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, "1\n", 2, 0) != 2) {
		int e = errno;
		close(fd);
		return dcre_msg_set(msg, DCRE_ECONFIG, "plc.lockfile: cannot write %s: %s", path,
		                    strerror(e));
	}
	close(fd); /* releases the lock */
	return DCRE_OK;
}

enum dcre_err plc_lock_take(struct plc_lock *l, const char *path, struct dcre_msg *msg)
{
	char buf[16];
	ssize_t n;

	if (l->fd < 0) {
		/* opened in this process, so flock excludes the other workers */
		l->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
		if (l->fd < 0)
			return dcre_msg_set(msg, DCRE_EIO, "PLC bus: cannot open lock file %s: %s",
			                    path, strerror(errno));
	}
	while (flock(l->fd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return dcre_msg_set(msg, DCRE_EIO, "PLC bus: cannot lock %s: %s", path,
			                    strerror(errno));
	}
	n = pread(l->fd, buf, sizeof(buf) - 1, 0);
	l->file_len = n > 0 ? (int)n : 0;
	l->next_seq = 1;
	if (n > 0) {
		int v = 0, digits = 0;
		for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9' && digits < 4; i++) {
			v = v * 10 + (buf[i] - '0');
			digits++;
		}
		if (digits > 0 && v <= 254)
			l->next_seq = v;
	}
	return DCRE_OK;
}

uint8_t plc_lock_next_seq(struct plc_lock *l)
{
	uint8_t seq = (uint8_t)l->next_seq;
	char buf[8];
	int n;

	l->next_seq = (l->next_seq + 1) % 255;
	n = snprintf(buf, sizeof(buf), "%d\n", l->next_seq);
	/* the text only gets shorter when the counter wraps (254 -> 0) */
	if (pwrite(l->fd, buf, (size_t)n, 0) != n || (n < l->file_len && ftruncate(l->fd, n) < 0))
		dcre_warn("PLC bus: cannot store the sequence counter: %s", strerror(errno));
	l->file_len = n;
	return seq;
}

void plc_lock_release(struct plc_lock *l)
{
	if (l->fd >= 0)
		flock(l->fd, LOCK_UN);
}

void plc_lock_close(struct plc_lock *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}
