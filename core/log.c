/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* Private to this file: the one sink of this process. */
static struct {
	enum dcre_log_target target;
	enum dcre_log_level level;
	int fd;
	bool journal;
	char path[4096];
	char ident[32];
} sink = {DCRE_LOG_STDERR, DCRE_LOG_INFO, STDERR_FILENO, false, "", "opendcre"};

static const char *level_name(enum dcre_log_level l)
{
	switch (l) {
	case DCRE_LOG_ERROR:
		return "error";
	case DCRE_LOG_WARNING:
		return "warning";
	case DCRE_LOG_INFO:
		return "info";
	case DCRE_LOG_DEBUG:
		return "debug";
	}
	return "?";
}

bool dcre_log_open(enum dcre_log_target target, enum dcre_log_level level, const char *path,
                   const char *ident)
{
	sink.target = target;
	sink.level = level;
	if (ident)
		snprintf(sink.ident, sizeof(sink.ident), "%s", ident);
	sink.journal = getenv("JOURNAL_STREAM") != NULL;
	if (target == DCRE_LOG_SYSLOG) {
		openlog(sink.ident, LOG_PID, LOG_DAEMON);
		return true;
	}
	if (target == DCRE_LOG_FILE) {
		snprintf(sink.path, sizeof(sink.path), "%s", path ? path : "");
		int fd = open(sink.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd < 0)
			return false;
		sink.fd = fd;
	}
	return true;
}

void dcre_log_reopen(void)
{
	if (sink.target != DCRE_LOG_FILE)
		return;
	int fd = open(sink.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return;
	dup2(fd, sink.fd);
	close(fd);
}

void dcre_log_set_level(enum dcre_log_level level)
{
	sink.level = level;
}

bool dcre_log_enabled(enum dcre_log_level level)
{
	return level <= sink.level;
}

void dcre_log(enum dcre_log_level level, const char *fmt, ...)
{
	char msg[2048];
	char line[2200];
	va_list ap;
	int saved = errno;
	int n;

	if (!dcre_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sink.target == DCRE_LOG_SYSLOG) {
		syslog((int)level, "%s", msg);
		errno = saved;
		return;
	}
	if (sink.target == DCRE_LOG_STDERR && sink.journal) {
		n = snprintf(line, sizeof(line), "<%d>%s[%ld]: %s\n", (int)level, sink.ident,
		             (long)getpid(), msg);
	} else {
		char ts[32];
		struct timespec now;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		n = snprintf(line, sizeof(line), "%s %s[%ld] %s: %s\n", ts, sink.ident,
		             (long)getpid(), level_name(level), msg);
	}
	if (n > (int)sizeof(line))
		n = (int)sizeof(line);
	/* one write per line so lines of concurrent workers never interleave */
	ssize_t w = write(sink.fd, line, (size_t)n);
	(void)w;
	errno = saved;
}
