/* SPDX-License-Identifier: MIT */
/* One error convention for the whole project: every fallible function returns
 * enum dcre_err, 0 is success. */
#ifndef DCRE_ERR_H
#define DCRE_ERR_H

#include <stddef.h>

enum dcre_err {
	DCRE_OK = 0,
	DCRE_EINVAL,    /* invalid input (parameter, id, payload text) */
	DCRE_ENODEV,    /* no such board, device or backend */
	DCRE_ETIMEDOUT, /* no answer before the deadline */
	DCRE_EBUSY,     /* resource busy */
	DCRE_EIO,       /* I/O error on a descriptor */
	DCRE_EPROTO,    /* corrupt or unexpected answer */
	DCRE_EAUTH,     /* authentication failed */
	DCRE_ENOTSUP,   /* operation not supported by this backend */
	DCRE_ECONFIG,   /* configuration error */
	DCRE_ERANGE,    /* value out of range */
	DCRE_EINTERNAL, /* anything unexpected */
};

/* Short constant text for a code ("timed out", ...). Never NULL. */
const char *dcre_strerror(enum dcre_err err);

/* A message buffer that travels from where an error is detected to the HTTP
 * error body: it names what failed. */
#define DCRE_MSG_MAX 1024
struct dcre_msg {
	char text[DCRE_MSG_MAX];
};

/* Replace the message (printf-style). Returns err so callers can write
 * `return dcre_msg_set(m, DCRE_EINVAL, "...")`. m may be NULL. */
enum dcre_err dcre_msg_set(struct dcre_msg *m, enum dcre_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend context to the message already in m ("PLC bus: " + old text). */
void dcre_msg_prefix(struct dcre_msg *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append to the message (printf-style), truncating at the buffer's end. */
void dcre_msg_append(struct dcre_msg *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
