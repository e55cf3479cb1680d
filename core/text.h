/* SPDX-License-Identifier: MIT */
/* Device text made safe for answers and logs (api.md §1): valid UTF-8 is
 * kept, anything else is read as ISO-8859-1. A NUL byte of the device's
 * text is kept as the two bytes C0 80 (as Java's "modified UTF-8" does), so
 * cleaned text stays a C string; core/json_out.c writes it back as \u0000. */
#ifndef DCRE_TEXT_H
#define DCRE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Is s[0..len) valid UTF-8 (RFC 3629)? */
bool dcre_text_is_utf8(const char *s, size_t len);

/* The cleaned text of p[0..len). Caller frees with free(). */
char *dcre_text_clean(const char *p, size_t len);

#endif
