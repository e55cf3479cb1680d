/* SPDX-License-Identifier: MIT */
/* A tiny TAP producer for unit tests (meson protocol: 'tap'). Header-only;
 * include it from exactly one .c per test program. */
#ifndef DCRE_TAP_H
#define DCRE_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n;
static int tap_failed;

__attribute__((format(printf, 2, 3))) static inline int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	printf("%s %d - ", cond ? "ok" : "not ok", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	return cond;
}

#define tap_is_str(got, want, ...)                                                                 \
	do {                                                                                       \
		const char *g_ = (got), *w_ = (want);                                              \
		if (!tap_ok(g_ && w_ && strcmp(g_, w_) == 0, __VA_ARGS__))                         \
			printf("#   got:  '%s'\n#   want: '%s'\n", g_ ? g_ : "(null)",             \
			       w_ ? w_ : "(null)");                                                \
	} while (0)

#define tap_is_int(got, want, ...)                                                                 \
	do {                                                                                       \
		long long g_ = (long long)(got), w_ = (long long)(want);                           \
		if (!tap_ok(g_ == w_, __VA_ARGS__))                                                \
			printf("#   got:  %lld\n#   want: %lld\n", g_, w_);                        \
	} while (0)

static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Printable form of test text for TAP labels (rotating static buffers). */
static inline const char *tap_esc(const char *s, size_t len)
{
	static char bufs[4][200];
	static int k;
	char *b = bufs[k++ & 3], *o = b;
	size_t i;

	if (!s)
		return "(null)";
	for (i = 0; i < len && o < b + sizeof(bufs[0]) - 8; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			*o++ = (char)c;
		else
			o += snprintf(o, 8, "\\x%02x", c);
	}
	*o = '\0';
	return b;
}

/* Print the plan and return the exit status. */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
