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

size_t dcre_log_escape(char *dst, size_t cap, const char *src, size_t len, unsigned flags)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0, i;

	if (cap == 0)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		bool plain = c >= 0x20 && c < 0x7f;
		if ((c == ' ' && (flags & DCRE_LOG_ESC_SPACE)) ||
		    (c == '\\' && (flags & DCRE_LOG_ESC_BACKSLASH)))
			plain = false;
		if (n + (plain ? 1 : 4) >= cap)
			break;
		if (plain) {
			dst[n++] = (char)c;
		} else {
			dst[n++] = '\\';
			dst[n++] = 'x';
			dst[n++] = hex[c >> 4];
			dst[n++] = hex[c & 0xf];
		}
	}
	dst[n] = '\0';
	return i;
}

void dcre_log(enum dcre_log_level level, const char *fmt, ...)
{
	char raw[2048];
	char msg[4096];
	char line[4200];
	va_list ap;
	int saved = errno;
	int n;

	if (!dcre_log_enabled(level))
		return;
	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* untrusted text (decoded URLs, BMC answers) reaches messages: one
	 * message is one line, with no raw control or non-ASCII byte */
	size_t len = n < 0 ? 0 : strlen(raw);
	if (dcre_log_escape(msg, sizeof(msg) - 3, raw, len, 0) < len || n >= (int)sizeof(raw))
		memcpy(msg + strlen(msg), "...", 4);
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
	if (n < 0)
		n = 0;
	if (n >= (int)sizeof(line)) {
		/* cut: still one whole line */
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* one write per line so lines of concurrent workers never interleave */
	ssize_t w = write(sink.fd, line, (size_t)n);
	(void)w;
	errno = saved;
}
