/* SPDX-License-Identifier: MIT */
/* Text-to-number rules and number output (conversions.md §2, §3, §7;
 * api.md §4.1; emulator.md §3). */
#include "number.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* The ASCII whitespace of the number rules (no locale). */
static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int dcre_number_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Narrow [*b, *e) to the text without surrounding whitespace. */
static void trim(const char *text, size_t len, size_t *b, size_t *e)
{
	size_t i = 0, j = len;

	while (i < j && is_ws(text[i]))
		i++;
	while (j > i && is_ws(text[j - 1]))
		j--;
	*b = i;
	*e = j;
}

enum dcre_err dcre_number_parse_int(const char *text, size_t len, char **digits)
{
	size_t b, e, i;
	bool neg = false;
	char *out;
	size_t n;

	assert(digits);
	assert(text || len == 0);
	trim(text, len, &b, &e);
	if (b < e && (text[b] == '+' || text[b] == '-')) {
		neg = text[b] == '-';
		b++;
	}
	if (b == e)
		return DCRE_EINVAL;
	for (i = b; i < e; i++)
		if (!is_digit(text[i]))
			return DCRE_EINVAL;
	while (b + 1 < e && text[b] == '0')
		b++;
	if (e - b == 1 && text[b] == '0')
		neg = false; /* "-0" -> "0" */
	n = e - b;
	out = dcre_xmalloc(n + 2);
	i = 0;
	if (neg)
		out[i++] = '-';
	memcpy(out + i, text + b, n);
	out[i + n] = '\0';
	*digits = out;
	return DCRE_OK;
}

enum dcre_err dcre_number_int_to_i64(const char *digits, int64_t *out)
{
	assert(digits && out);
	const char *p = digits;
	bool neg = false;
	uint64_t mag = 0, limit;

	if (*p == '-') {
		neg = true;
		p++;
	}
	if (!*p)
		return DCRE_EINVAL;
	limit = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
	for (; *p; p++) {
		unsigned d;

		if (!is_digit(*p))
			return DCRE_EINVAL;
		d = (unsigned)(*p - '0');
		if (mag > (limit - d) / 10u)
			return DCRE_ERANGE;
		mag = mag * 10u + d;
	}
	if (neg)
		*out = mag == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)mag;
	else
		*out = (int64_t)mag;
	return DCRE_OK;
}

enum dcre_err dcre_number_parse_double(const char *text, size_t len, double *out)
{
	size_t b, e, i, ndig = 0;
	char *copy;
	double v;

	assert(out);
	assert(text || len == 0);
	trim(text, len, &b, &e);
	i = b;
	if (i < e && (text[i] == '+' || text[i] == '-'))
		i++;
	while (i < e && is_digit(text[i])) {
		i++;
		ndig++;
	}
	if (i < e && text[i] == '.') {
		i++;
		while (i < e && is_digit(text[i])) {
			i++;
			ndig++;
		}
	}
	if (ndig == 0)
		return DCRE_EINVAL;
	if (i < e && (text[i] == 'e' || text[i] == 'E')) {
		size_t edig = 0;

		i++;
		if (i < e && (text[i] == '+' || text[i] == '-'))
			i++;
		while (i < e && is_digit(text[i])) {
			i++;
			edig++;
		}
		if (edig == 0)
			return DCRE_EINVAL;
	}
	if (i != e)
		return DCRE_EINVAL;

	/* The text is now known to be plain decimal, which strtod reads the
	 * same way in any locale that uses '.' (the service never calls
	 * setlocale). */
	copy = dcre_xstrndup(text + b, e - b);
	v = strtod(copy, NULL);
	free(copy);
	if (!isfinite(v))
		return DCRE_ERANGE;
	*out = v;
	return DCRE_OK;
}

enum dcre_err dcre_number_parse_hex(const char *text, struct dcre_hexid *out)
{
	assert(text && out);
	const char *p = text;
	bool neg = false, overflow = false;
	uint64_t v = 0;
	size_t ndig = 0;
	int d;

	while (is_ws(*p))
		p++;
	if (*p == '+' || *p == '-') {
		neg = *p == '-';
		p++;
	}
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && dcre_number_hex_digit(p[2]) >= 0)
		p += 2;
	while ((d = dcre_number_hex_digit(*p)) >= 0) {
		if (v > (UINT64_MAX >> 4))
			overflow = true;
		else
			v = (v << 4) | (uint64_t)d;
		ndig++;
		p++;
	}
	while (is_ws(*p))
		p++;
	if (ndig == 0 || *p)
		return DCRE_EINVAL;
	if (overflow)
		v = UINT64_MAX;
	out->negative = neg && v != 0;
	out->overflow = overflow;
	out->value = v;
	return DCRE_OK;
}

/* ---- float output (conversions.md §3) ---- */

/* A candidate decimal: ndig significant digits (first non-zero) times
 * 10^exp, read as d1.d2d3... e exp. */
struct decimal {
	char dig[24];
	int ndig;
	int exp;
};

static bool reads_back(const struct decimal *c, double v)
{
	char s[48];
	int n = 0;

	s[n++] = c->dig[0];
	if (c->ndig > 1) {
		s[n++] = '.';
		memcpy(s + n, c->dig + 1, (size_t)c->ndig - 1);
		n += c->ndig - 1;
	}
	snprintf(s + n, sizeof(s) - (size_t)n, "e%d", c->exp);
	return strtod(s, NULL) == v;
}

/* The next decimal above c on the grid of c->ndig significant digits. */
static void grid_up(struct decimal *c)
{
	int i = c->ndig - 1;

	while (i >= 0 && c->dig[i] == '9')
		c->dig[i--] = '0';
	if (i >= 0) {
		c->dig[i]++;
		return;
	}
	c->dig[0] = '1'; /* 99..9 -> 100..0, one decade up */
	c->exp++;
}

/* The next decimal below c on the grid of c->ndig significant digits. */
static void grid_down(struct decimal *c)
{
	int i = c->ndig - 1;

	while (i >= 0 && c->dig[i] == '0')
		c->dig[i--] = '9';
	assert(i >= 0);
	c->dig[i]--;
	if (c->dig[0] != '0')
		return;
	/* 100..0 -> 99..9, one decade down */
	memset(c->dig, '9', (size_t)c->ndig);
	c->exp--;
}

/* A p+1 significant digit decimal that reads back as v, if there is one:
 * the correctly rounded one, or, near a power of two only (asymmetric
 * rounding interval), a neighbour on the grid. */
static bool candidate(double v, int p, struct decimal *out)
{
	char tmp[48];
	struct decimal c0, c;
	const char *s;
	int k = 0;

	snprintf(tmp, sizeof(tmp), "%.*e", p, v);
	/* tmp is "d.ddd...e[+-]XX" */
	for (s = tmp; *s && *s != 'e'; s++)
		if (is_digit(*s))
			c0.dig[k++] = *s;
	c0.ndig = k;
	c0.exp = (int)strtol(s + 1, NULL, 10);
	if (p == 16 || reads_back(&c0, v)) {
		*out = c0;
		return true;
	}
	/* both neighbours cannot qualify when c0 does not */
	c = c0;
	grid_down(&c);
	if (!reads_back(&c, v)) {
		c = c0;
		grid_up(&c);
		if (!reads_back(&c, v))
			return false;
	}
	*out = c;
	return true;
}

/* Shortest round-trip digits of a finite v > 0.
 *
 * For a normal v, half an ulp is at most 2^-53 of v: less than half a unit
 * in the 15th significant digit. So a decimal of at most 15 digits that
 * reads back as v is v's correctly rounded 15-digit text, and when that text
 * reads back it is the shortest once its trailing zeros go; otherwise 16
 * digits may do, and 17 always do. A subnormal v has fewer bits, so its
 * shortest length is searched: a length that reads back stays good with one
 * more digit (append a zero), so bisection finds it in about five probes. */
static void shortest(double v, struct decimal *res)
{
	if (v >= DBL_MIN) {
		if (!candidate(v, 14, res) && !candidate(v, 15, res))
			candidate(v, 16, res);
	} else {
		struct decimal c;
		int lo = 0, hi = 16;

		candidate(v, 16, res);
		while (lo < hi) {
			int mid = (lo + hi) / 2;
			if (candidate(v, mid, &c)) {
				hi = mid;
				*res = c;
			} else {
				lo = mid + 1;
			}
		}
	}
	while (res->ndig > 1 && res->dig[res->ndig - 1] == '0')
		res->ndig--;
}

enum dcre_err dcre_number_format_double(double v, char *buf)
{
	struct decimal d;
	char *o = buf;
	int i;

	assert(buf);
	if (!isfinite(v))
		return DCRE_ERANGE;
	if (signbit(v))
		*o++ = '-';
	v = fabs(v);
	if (v == 0.0) {
		d.dig[0] = '0';
		d.ndig = 1;
		d.exp = 0;
	} else {
		shortest(v, &d);
	}

	if (d.exp >= 16 || d.exp < -4) {
		*o++ = d.dig[0];
		if (d.ndig > 1) {
			*o++ = '.';
			memcpy(o, d.dig + 1, (size_t)d.ndig - 1);
			o += d.ndig - 1;
		}
		snprintf(o, DCRE_NUMBER_BUFSZ - (size_t)(o - buf), "e%c%02d", d.exp < 0 ? '-' : '+',
		         d.exp < 0 ? -d.exp : d.exp);
		return DCRE_OK;
	}
	if (d.exp < 0) {
		*o++ = '0';
		*o++ = '.';
		for (i = -1; i > d.exp; i--)
			*o++ = '0';
		memcpy(o, d.dig, (size_t)d.ndig);
		o += d.ndig;
	} else {
		for (i = 0; i <= d.exp; i++)
			*o++ = i < d.ndig ? d.dig[i] : '0';
		*o++ = '.';
		if (d.ndig > d.exp + 1) {
			memcpy(o, d.dig + d.exp + 1, (size_t)(d.ndig - d.exp - 1));
			o += d.ndig - d.exp - 1;
		} else {
			*o++ = '0';
		}
	}
	*o = '\0';
	return DCRE_OK;
}

/* ---- rounding (conversions.md §7) ---- */

double dcre_number_round2(double x)
{
	char s[64];
	double t;

	/* Non-finite values pass through; from 2^52 on every double is an
	 * integer, which round(x, 2) keeps, and "%.2f" would be long. */
	if (!isfinite(x) || fabs(x) >= 4503599627370496.0)
		return x;
	t = x * 8.0; /* exact */
	if (t == floor(t) && fmod(t, 2.0) != 0.0) {
		/* Exact tie: x is an odd multiple of 1/8, so "%.3f" is exact
		 * and ends in 5. Drop the 5 and round the magnitude up. */
		size_t n;
		int i;

		snprintf(s + 1, sizeof(s) - 1, "%.3f", fabs(x));
		n = strlen(s + 1);
		assert(n >= 5 && s[n] == '5');
		s[n] = '\0'; /* s[1..n-1] is the magnitude truncated to 2 decimals */
		for (i = (int)n - 1; i >= 1; i--) {
			if (s[i] == '.')
				continue;
			if (s[i] != '9') {
				s[i]++;
				break;
			}
			s[i] = '0';
		}
		s[0] = i >= 1 ? ' ' : '1'; /* carry out of the top digit */
		t = strtod(s, NULL);
		return x < 0 ? -t : t;
	}
	snprintf(s, sizeof(s), "%.2f", x);
	return strtod(s, NULL);
}

/* ---- Python 2 str() (emulator.md §3) ---- */

void dcre_number_format_py2str(double v, char *buf)
{
	assert(buf);
	snprintf(buf, DCRE_NUMBER_BUFSZ, "%.12g", v);
	if (!strpbrk(buf, ".en")) {
		size_t n = strlen(buf);

		memcpy(buf + n, ".0", 3);
	}
}
