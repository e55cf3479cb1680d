/* SPDX-License-Identifier: MIT */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *dcre_strerror(enum dcre_err err)
{
	switch (err) {
	case DCRE_OK:
		return "success";
	case DCRE_EINVAL:
		return "invalid argument";
	case DCRE_ENODEV:
		return "no such board or device";
	case DCRE_ETIMEDOUT:
		return "timed out";
	case DCRE_EBUSY:
		return "busy";
	case DCRE_EIO:
		return "I/O error";
	case DCRE_EPROTO:
		return "protocol error";
	case DCRE_EAUTH:
		return "authentication failed";
	case DCRE_ENOTSUP:
		return "not supported";
	case DCRE_ECONFIG:
		return "configuration error";
	case DCRE_ERANGE:
		return "out of range";
	case DCRE_EINTERNAL:
		return "internal error";
	}
	return "unknown error";
}

enum dcre_err dcre_msg_set(struct dcre_msg *m, enum dcre_err err, const char *fmt, ...)
{
	va_list ap;

	if (!m)
		return err;
	va_start(ap, fmt);
	vsnprintf(m->text, sizeof(m->text), fmt, ap);
	va_end(ap);
	return err;
}

void dcre_msg_prefix(struct dcre_msg *m, const char *fmt, ...)
{
	char head[DCRE_MSG_MAX];
	va_list ap;
	size_t hl, ol;

	if (!m)
		return;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	hl = strlen(head);
	ol = strnlen(m->text, sizeof(m->text) - 1);
	if (hl > sizeof(m->text) - 1)
		hl = sizeof(m->text) - 1;
	if (hl + ol > sizeof(m->text) - 1)
		ol = sizeof(m->text) - 1 - hl;
	memmove(m->text + hl, m->text, ol);
	memcpy(m->text, head, hl);
	m->text[hl + ol] = '\0';
}

void dcre_msg_append(struct dcre_msg *m, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (!m)
		return;
	n = strnlen(m->text, sizeof(m->text) - 1);
	va_start(ap, fmt);
	vsnprintf(m->text + n, sizeof(m->text) - n, fmt, ap);
	va_end(ap);
}
