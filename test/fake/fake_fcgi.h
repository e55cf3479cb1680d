/* SPDX-License-Identifier: MIT */
/* The four libfcgi calls fcgi-app/handler.c makes, in memory, for the tests
 * that run the real handler without a web server (test_command, the router
 * fuzz harness). Link this instead of libfcgi. Also: emptying and removing
 * a test's temporary directory. */
#ifndef FAKE_FCGI_H
#define FAKE_FCGI_H

#include <stddef.h>

/* Everything the handler wrote since the last reset (NUL-terminated; ""
 * before any output). Borrowed until the next reset or free. */
const char *fake_fcgi_output(size_t *len);
void fake_fcgi_reset(void);
void fake_fcgi_free(void);

/* Delete the files of dir, then dir. */
void fake_remove_dir(const char *dir);

#endif
