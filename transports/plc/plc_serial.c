/* SPDX-License-Identifier: MIT */
#include "plc_serial.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static speed_t speed_of(int baud)
{
	switch (baud) {
	case 9600:
		return B9600;
	case 19200:
		return B19200;
	case 38400:
		return B38400;
	case 57600:
		return B57600;
	case 230400:
		return B230400;
	default:
		return B115200;
	}
}

enum dcre_err plc_serial_set_baud(int fd, int baud)
{
	struct termios tio;

	if (tcgetattr(fd, &tio) < 0)
		return DCRE_EIO;
	cfsetispeed(&tio, speed_of(baud));
	cfsetospeed(&tio, speed_of(baud));
	return tcsetattr(fd, TCSANOW, &tio) < 0 ? DCRE_EIO : DCRE_OK;
}

int plc_serial_open(const char *path, int baud, struct dcre_msg *msg)
{
	struct termios tio;
	int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		dcre_msg_set(msg, DCRE_EIO, "cannot open serial device %s: %s", path,
		             strerror(errno));
		return -1;
	}
	if (tcgetattr(fd, &tio) < 0) {
		dcre_msg_set(msg, DCRE_EIO, "serial device %s is not a tty: %s", path,
		             strerror(errno));
		close(fd);
		return -1;
	}
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cflag &= ~(tcflag_t)(CRTSCTS | CSTOPB | PARENB);
	tio.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	cfsetispeed(&tio, speed_of(baud));
	cfsetospeed(&tio, speed_of(baud));
	if (tcsetattr(fd, TCSANOW, &tio) < 0) {
		dcre_msg_set(msg, DCRE_EIO, "cannot configure serial device %s: %s", path,
		             strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}
