/* SPDX-License-Identifier: MIT */
/* The log writer (issue 11 item 7): every message is one line, control and
 * non-ASCII bytes written as \xNN; dcre_log_escape's truncation contract. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

static void test_escape(void)
{
	char b[64];
	size_t n;

	n = dcre_log_escape(b, sizeof(b), "plain text", 10, 0);
	tap_is_str(b, "plain text", "printable ASCII and spaces are kept");
	tap_is_int(n, 10, "all 10 bytes consumed");

	dcre_log_escape(b, sizeof(b), "a\nb\r\t\x1b\x7f", 7, 0);
	tap_is_str(b, "a\\x0ab\\x0d\\x09\\x1b\\x7f", "control bytes and DEL become \\xNN");

	dcre_log_escape(b, sizeof(b), "\xc3\xa9\xff", 3, 0);
	tap_is_str(b, "\\xc3\\xa9\\xff", "non-ASCII bytes become \\xNN");

	dcre_log_escape(b, sizeof(b), "a\\b c", 5, 0);
	tap_is_str(b, "a\\b c", "flags 0: backslash and space kept");
	dcre_log_escape(b, sizeof(b), "a\\b c", 5, DCRE_LOG_ESC_BACKSLASH | DCRE_LOG_ESC_SPACE);
	tap_is_str(b, "a\\x5cb\\x20c", "flags: backslash and space become \\xNN");

	n = dcre_log_escape(b, sizeof(b), "a\0b", 3, 0);
	tap_is_str(b, "a\\x00b", "an embedded NUL is written as \\x00");
	tap_is_int(n, 3, "NUL counted");

	/* truncation: never a partial \xNN, always terminated */
	n = dcre_log_escape(b, 6, "ab\ncd", 5, 0);
	tap_is_str(b, "ab", "cap 6: \\x0a (4) does not fit after 2 bytes and the NUL");
	tap_is_int(n, 2, "2 bytes consumed");
	n = dcre_log_escape(b, 7, "ab\ncd", 5, 0);
	tap_is_str(b, "ab\\x0a", "cap 7: the escape fits exactly");
	tap_is_int(n, 3, "3 bytes consumed");
	n = dcre_log_escape(b, 1, "ab", 2, 0);
	tap_is_str(b, "", "cap 1: empty string");
	tap_is_int(n, 0, "nothing consumed");
	b[0] = 'z';
	n = dcre_log_escape(b, 0, "ab", 2, 0);
	tap_ok(n == 0 && b[0] == 'z', "cap 0: dst untouched");
}

/* Log through a file sink and return what was written. */
static char *capture(const char *path, void (*emit)(void))
{
	static char buf[16384];
	int fd;
	ssize_t n;

	unlink(path);
	if (!dcre_log_open(DCRE_LOG_FILE, DCRE_LOG_DEBUG, path, "t"))
		return NULL;
	emit();
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static void emit_forged(void)
{
	/* a BMC error body, or a decoded URL, forging a whole audit line */
	dcre_warn("BMC said: %s", "oops\n2026-01-01T00:00:00Z opendcre[1] info: audit: user=root "
	                          "method=GET route=/x outcome=200\r\x1b[2J\xc3\xa9");
}

static void emit_long(void)
{
	char big[3000];
	memset(big, '\n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	dcre_info("%s", big);
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_writer(void)
{
	char path[] = "/tmp/test_log.XXXXXX";
	int fd = mkstemp(path);
	char *out;

	if (fd >= 0)
		close(fd);
	out = capture(path, emit_forged);
	if (!tap_ok(out != NULL, "file sink written")) {
		unlink(path);
		return;
	}
	tap_is_int(count_lines(out), 1, "a forged message is one line");
	tap_ok(strstr(out, "\n2026-01-01") == NULL && strstr(out, "oops\\x0a2026-01-01") != NULL,
	       "the newline is written as \\x0a: %s", tap_esc(out, strlen(out)));
	tap_ok(strstr(out, "\\x0d\\x1b[2J\\xc3\\xa9\n") != NULL,
	       "CR, ESC and non-ASCII are escaped, the line ends with the one newline");
	tap_ok(strstr(out, " t[") != NULL && strstr(out, " warning: BMC said: oops") != NULL,
	       "prefix (time, ident, pid, level) unchanged");

	out = capture(path, emit_long);
	tap_is_int(count_lines(out ? out : ""), 1, "2999 newlines: still one line");
	tap_ok(out && strlen(out) < 4300 && strstr(out, "...\n") != NULL,
	       "a message longer than the line is cut and ends in \"...\"");
	unlink(path);
	dcre_log_open(DCRE_LOG_STDERR, DCRE_LOG_INFO, NULL, "t");
}

int main(void)
{
	test_escape();
	test_writer();
	return tap_done();
}
