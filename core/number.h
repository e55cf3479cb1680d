/* SPDX-License-Identifier: MIT */
/* Text-to-number rules and number output (conversions.md §2, §3, §7;
 * api.md §4.1). Pure functions. */
#ifndef DCRE_NUMBER_H
#define DCRE_NUMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* "decimal integer" rule on text[0..len). On success *digits receives the
 * normalised digit string (leading zeros removed, "-0" -> "0", a leading '-'
 * kept for negatives, no '+'); caller frees with free(). DCRE_EINVAL if the
 * text does not follow the rule. */
enum dcre_err dcre_number_parse_int(const char *text, size_t len, char **digits);

/* Value of a normalised digit string as int64. DCRE_ERANGE if it does not fit. */
enum dcre_err dcre_number_int_to_i64(const char *digits, int64_t *out);

/* "decimal number" rule on text[0..len) -> finite double. DCRE_EINVAL for a
 * text that breaks the rule (nan, inf, hex floats, ...), DCRE_ERANGE when it
 * overflows a double. */
enum dcre_err dcre_number_parse_double(const char *text, size_t len, double *out);

/* Value of one hex digit (either case), or -1. */
int dcre_number_hex_digit(int c);

/* Hex id rule of api.md §4.1 on a NUL-terminated segment. */
struct dcre_hexid {
	bool negative; /* a '-' sign with a non-zero value */
	bool overflow; /* more than 64 bits: value is UINT64_MAX */
	uint64_t value;
};
enum dcre_err dcre_number_parse_hex(const char *text, struct dcre_hexid *out);

/* Python repr() text of a finite double (conversions.md §3): "30.0",
 * "28.78", "1e+16", "1e-05", "-0.0". buf must hold DCRE_NUMBER_BUFSZ bytes.
 * DCRE_ERANGE for NaN or infinity (buf untouched). */
#define DCRE_NUMBER_BUFSZ 40
enum dcre_err dcre_number_format_double(double v, char *buf);

/* Python 2 round(x, 2) with ties away from zero, re-read from its two
 * decimal text (conversions.md §7). */
double dcre_number_round2(double x);

/* Python 2 str() of a double: "%.12g", plus ".0" when the text has no '.',
 * 'e' or 'n' (emulator.md §3). buf holds DCRE_NUMBER_BUFSZ bytes. */
void dcre_number_format_py2str(double v, char *buf);

#endif
