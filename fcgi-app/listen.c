/* SPDX-License-Identifier: MIT */
#include "listen.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "alloc.h"

static int unix_socket(const char *path, struct dcre_msg *msg)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		dcre_msg_set(msg, DCRE_EINVAL, "socket path %s is too long", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			dcre_msg_set(msg, DCRE_EINVAL, "%s exists and is not a socket", path);
			return -1;
		}
		unlink(path); /* a stale socket file */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0660) < 0 ||
	    listen(fd, 256) < 0) {
		dcre_msg_set(msg, DCRE_EIO, "cannot listen on %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int tcp_socket(const char *addr, struct dcre_msg *msg)
{
	char *host = dcre_xstrdup(addr);
	char *colon = strrchr(host, ':');
	struct addrinfo hints = {
	    .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
	struct addrinfo *res = NULL;
	int fd = -1, one = 1, rc;

	*colon = '\0';
	const char *h = host;
	if (h[0] == '[') { /* [::1]:9000 */
		h++;
		host[strlen(host) - 1] = '\0';
	}
	rc = getaddrinfo(h[0] ? h : NULL, colon + 1, &hints, &res);
	if (rc != 0) {
		dcre_msg_set(msg, DCRE_EINVAL, "cannot resolve %s: %s", addr, gai_strerror(rc));
		goto out;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 256) < 0) {
		dcre_msg_set(msg, DCRE_EIO, "cannot listen on %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
out:
	if (res)
		freeaddrinfo(res);
	free(host);
	return fd;
}

static int is_listening_socket(int fd)
{
	int val = 0;
	socklen_t len = sizeof(val);
	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &val, &len) == 0 && val;
}

int dcre_listen_acquire(const char *addr, struct dcre_msg *msg)
{
	int fd = -1;

	if (addr && addr[0]) {
		if (addr[0] != '/' && strchr(addr, ':'))
			fd = tcp_socket(addr, msg);
		else
			fd = unix_socket(addr, msg);
	} else {
		const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
		if (fds && pid && strtol(fds, NULL, 10) >= 1 && strtol(pid, NULL, 10) == getpid() &&
		    is_listening_socket(3)) {
			fd = 3;
		} else if (is_listening_socket(0)) {
			fd = 0;
		} else {
			dcre_msg_set(msg, DCRE_EINVAL,
			             "no FastCGI socket: give --socket, or start under systemd "
			             "socket activation or spawn-fcgi");
			return -1;
		}
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_PID");
	}
	if (fd >= 0) {
		int fl = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	}
	return fd;
}
