/* SPDX-License-Identifier: MIT */
/* Process log. The sink and level are private to log.c and set once at
 * start-up; every module logs through dcre_log(). */
#ifndef DCRE_LOG_H
#define DCRE_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum dcre_log_level {
	DCRE_LOG_ERROR = 3,
	DCRE_LOG_WARNING = 4,
	DCRE_LOG_INFO = 6,
	DCRE_LOG_DEBUG = 7,
};

enum dcre_log_target {
	DCRE_LOG_STDERR,
	DCRE_LOG_SYSLOG,
	DCRE_LOG_FILE,
};

/* Configure the sink. path is used for DCRE_LOG_FILE only (copied). Returns
 * false if the file cannot be opened (errno set). */
bool dcre_log_open(enum dcre_log_target target, enum dcre_log_level level, const char *path,
                   const char *ident);
/* Reopen the log file (SIGHUP). */
void dcre_log_reopen(void);
void dcre_log_set_level(enum dcre_log_level level);
bool dcre_log_enabled(enum dcre_log_level level);
void dcre_log(enum dcre_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* What dcre_log_escape writes as \xNN besides control and non-ASCII bytes. */
#define DCRE_LOG_ESC_SPACE 1u     /* ' ' */
#define DCRE_LOG_ESC_BACKSLASH 2u /* '\\' */

/* Copy the len bytes of src into dst (cap bytes, always NUL-terminated when
 * cap > 0) for a log line: control bytes (0x00-0x1f, 0x7f), non-ASCII bytes
 * (0x80-0xff) and the bytes flags name become \xNN. Stops before the first
 * byte whose form does not fit; returns the number of bytes of src copied
 * (len when everything fit). dcre_log() applies it (flags 0) to every
 * message, so no text can start a line of its own or carry raw escapes. */
size_t dcre_log_escape(char *dst, size_t cap, const char *src, size_t len, unsigned flags);

#define dcre_err_log(...) dcre_log(DCRE_LOG_ERROR, __VA_ARGS__)
#define dcre_warn(...) dcre_log(DCRE_LOG_WARNING, __VA_ARGS__)
#define dcre_info(...) dcre_log(DCRE_LOG_INFO, __VA_ARGS__)
#define dcre_debug(...)                                                                            \
	do {                                                                                       \
		if (dcre_log_enabled(DCRE_LOG_DEBUG))                                              \
			dcre_log(DCRE_LOG_DEBUG, __VA_ARGS__);                                     \
	} while (0)

#endif
