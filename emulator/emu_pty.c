/* SPDX-License-Identifier: MIT */
#include "emu_pty.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"

static const struct {
	unsigned baud;
	speed_t speed;
} bauds[] = {
    {9600, B9600},   {19200, B19200},   {38400, B38400},
    {57600, B57600}, {115200, B115200}, {230400, B230400},
};

bool emu_pty_baud_ok(unsigned baud)
{
	for (size_t i = 0; i < sizeof(bauds) / sizeof(bauds[0]); i++)
		if (bauds[i].baud == baud)
			return true;
	return false;
}

void emu_pty_init(struct emu_port *port)
{
	port->fd = -1;
	port->slave_fd = -1;
	port->link = NULL;
	port->slave[0] = '\0';
}

/* Raw mode, echo off, 8N1, no flow control, receiver on; baud 0 = keep. */
static int make_raw(int fd, unsigned baud)
{
	struct termios t;

	if (tcgetattr(fd, &t) < 0)
		return -1;
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	t.c_cflag &= ~(tcflag_t)(CSTOPB | CRTSCTS);
	t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	for (size_t i = 0; baud && i < sizeof(bauds) / sizeof(bauds[0]); i++)
		if (bauds[i].baud == baud)
			cfsetspeed(&t, bauds[i].speed);
	return tcsetattr(fd, TCSANOW, &t);
}

/* Point link at target: an existing symbolic link is replaced atomically
 * (symlink to a temporary name, then rename); anything else is refused. */
static enum dcre_err publish_link(const char *link, const char *target, struct dcre_msg *why)
{
	struct stat st;
	char *tmp;
	enum dcre_err rc = DCRE_EIO;

	if (lstat(link, &st) == 0 && !S_ISLNK(st.st_mode))
		return dcre_msg_set(why, DCRE_EINVAL,
		                    "%s exists and is not a symbolic link; refusing to replace it",
		                    link);
	tmp = dcre_xasprintf("%s.tmp%ld", link, (long)getpid());
	unlink(tmp);
	if (symlink(target, tmp) < 0) {
		dcre_msg_set(why, DCRE_EIO, "cannot create the link %s: %s", link, strerror(errno));
		goto out;
	}
	if (rename(tmp, link) < 0) {
		dcre_msg_set(why, DCRE_EIO, "cannot create the link %s: %s", link, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = DCRE_OK;
out:
	free(tmp);
	return rc;
}

enum dcre_err emu_pty_open(struct emu_port *port, const char *link, struct dcre_msg *why)
{
	enum dcre_err rc = DCRE_EIO;

	emu_pty_init(port);
	port->fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (port->fd < 0) {
		dcre_msg_set(why, DCRE_EIO, "cannot open a pty master: %s", strerror(errno));
		goto out;
	}
	if (grantpt(port->fd) < 0 || unlockpt(port->fd) < 0 ||
	    ptsname_r(port->fd, port->slave, sizeof(port->slave)) != 0) {
		dcre_msg_set(why, DCRE_EIO, "cannot set up the pty slave: %s", strerror(errno));
		goto out;
	}
	port->slave_fd = open(port->slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (port->slave_fd < 0) {
		dcre_msg_set(why, DCRE_EIO, "cannot open %s: %s", port->slave, strerror(errno));
		goto out;
	}
	if (make_raw(port->slave_fd, 0) < 0 || make_raw(port->fd, 0) < 0) {
		dcre_msg_set(why, DCRE_EIO, "cannot set raw mode on %s: %s", port->slave,
		             strerror(errno));
		goto out;
	}
	rc = publish_link(link, port->slave, why);
	if (rc)
		goto out;
	port->link = dcre_xstrdup(link);
out:
	if (rc)
		emu_pty_close(port);
	return rc;
}

enum dcre_err emu_pty_open_device(struct emu_port *port, const char *path, unsigned baud,
                                  struct dcre_msg *why)
{
	emu_pty_init(port);
	snprintf(port->slave, sizeof(port->slave), "%s", path);
	port->fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (port->fd < 0)
		return dcre_msg_set(why, DCRE_EIO, "cannot open %s: %s", path, strerror(errno));
	if (make_raw(port->fd, baud) < 0) {
		dcre_msg_set(why, DCRE_EIO, "%s is not a usable serial device: %s", path,
		             strerror(errno));
		emu_pty_close(port);
		return DCRE_EIO;
	}
	tcflush(port->fd, TCIOFLUSH);
	return DCRE_OK;
}

void emu_pty_close(struct emu_port *port)
{
	if (port->link) {
		char target[PATH_MAX];
		ssize_t n = readlink(port->link, target, sizeof(target) - 1);
		if (n >= 0) {
			target[n] = '\0';
			if (strcmp(target, port->slave) == 0 && unlink(port->link) < 0)
				dcre_warn("cannot remove %s: %m", port->link);
		}
		free(port->link);
		port->link = NULL;
	}
	if (port->slave_fd >= 0)
		close(port->slave_fd);
	if (port->fd >= 0)
		close(port->fd);
	port->slave_fd = -1;
	port->fd = -1;
}
