/* SPDX-License-Identifier: MIT */
/* What every fuzz harness asserts about an output: strict UTF-8 (no
 * overlong forms, no surrogates, nothing above U+10FFFF) and strict JSON
 * (RFC 8259 grammar, one value, nothing after it). A failed check prints
 * what failed and aborts, which libFuzzer reports as a crash. */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* Strict UTF-8; on failure *bad (may be NULL) is the offset of the first
 * bad byte. */
bool fuzz_utf8_valid(const char *s, size_t n, size_t *bad);

/* One strict JSON value filling s[0..n) (surrounding white space allowed);
 * on failure *bad (may be NULL) is the offset where the grammar broke. */
bool fuzz_json_valid(const char *s, size_t n, size_t *bad);

/* Abort with "what: why" and the text (escaped) when s[0..n) is not valid
 * UTF-8 JSON. */
void fuzz_require_json(const char *what, const char *s, size_t n);

/* Print item unformatted and require valid UTF-8 JSON; NULL is allowed
 * (nothing to check). */
void fuzz_require_item(const char *what, const cJSON *item);

/* Abort with a message when cond is false. */
void fuzz_require(bool cond, const char *what);

/* Route the log to /dev/null at debug level (formatting still runs) and
 * cJSON's allocations through the project's wrappers. Call once. */
void fuzz_quiet_log(void);

#endif
