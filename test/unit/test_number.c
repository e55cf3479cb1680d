/* SPDX-License-Identifier: MIT */
/* Unit tests for core/number.c (conversions.md §2, §3, §7; api.md §4.1;
 * emulator.md §3). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"
#include "tap.h"

/* ---- decimal integer ---- */

static void int_ok(const char *text, size_t len, const char *want, const char *label)
{
	char *d = NULL;
	enum dcre_err rc = dcre_number_parse_int(text, len, &d);

	tap_is_int(rc, DCRE_OK, "int accepts %s", label);
	tap_is_str(d, want, "int %s -> %s", label, want);
	free(d);
}

static void int_bad(const char *text, size_t len, const char *label)
{
	char *d = NULL;

	tap_is_int(dcre_number_parse_int(text, len, &d), DCRE_EINVAL, "int rejects %s", label);
	tap_ok(d == NULL, "int %s leaves digits unset", label);
}

#define INT_OK(t, w) int_ok(t, strlen(t), w, tap_esc(t, strlen(t)))
#define INT_BAD(t) int_bad(t, strlen(t), tap_esc(t, strlen(t)))

static void test_parse_int(void)
{
	/* conversions.md §2 accepted */
	INT_OK("4100", "4100");
	INT_OK(" 4100 ", "4100");
	INT_OK("+7", "7");
	INT_OK("-12345", "-12345");
	INT_OK("00000000004100", "4100");
	INT_OK("12345678901234567890", "12345678901234567890");
	/* normalisation */
	INT_OK("0", "0");
	INT_OK("-0", "0");
	INT_OK("+000", "0");
	INT_OK("-0000", "0");
	INT_OK("-007", "-7");
	INT_OK(" \t\n\v\f\r42 \t\n\v\f\r", "42");
	INT_OK("-99999999999999999999999999999999999999",
	       "-99999999999999999999999999999999999999");
	int_ok("123,", 3, "123", "length-limited '123'");
	/* conversions.md §2 rejected */
	INT_BAD("");
	INT_BAD("4.0");
	INT_BAD("1e3");
	INT_BAD("0x10");
	INT_BAD("A");
	INT_BAD("fan speed");
	/* more rejections */
	INT_BAD(" ");
	INT_BAD("+");
	INT_BAD("-");
	INT_BAD("+-1");
	INT_BAD("- 1");
	INT_BAD("1 2");
	INT_BAD("1_000");
	INT_BAD("\xd9\xa1"); /* Arabic-Indic digit one */
	int_bad("12\0", 3, "'12\\0'");
	int_bad("\0"
	        "12",
	        3, "'\\012'");
	int_bad(NULL, 0, "NULL/0");
}

static void i64_is(const char *digits, enum dcre_err want_rc, int64_t want)
{
	int64_t v = 12345;
	enum dcre_err rc = dcre_number_int_to_i64(digits, &v);

	tap_is_int(rc, want_rc, "i64 %s rc", digits);
	if (want_rc == DCRE_OK)
		tap_ok(v == want, "i64 %s value", digits);
}

static void test_int_to_i64(void)
{
	i64_is("0", DCRE_OK, 0);
	i64_is("-1", DCRE_OK, -1);
	i64_is("4100", DCRE_OK, 4100);
	i64_is("9223372036854775807", DCRE_OK, INT64_MAX);
	i64_is("-9223372036854775808", DCRE_OK, INT64_MIN);
	i64_is("9223372036854775808", DCRE_ERANGE, 0);
	i64_is("-9223372036854775809", DCRE_ERANGE, 0);
	i64_is("12345678901234567890", DCRE_ERANGE, 0);
	i64_is("100000000000000000000000000000", DCRE_ERANGE, 0);
}

/* ---- decimal number ---- */

static void dbl_ok(const char *text, size_t len, double want, const char *label)
{
	double v = -12345.0;
	enum dcre_err rc = dcre_number_parse_double(text, len, &v);

	tap_is_int(rc, DCRE_OK, "number accepts %s", label);
	tap_ok(v == want && signbit(v) == signbit(want), "number %s value %.17g", label, v);
}

static void dbl_bad(const char *text, size_t len, enum dcre_err want, const char *label)
{
	double v = -12345.0;

	tap_is_int(dcre_number_parse_double(text, len, &v), want, "number rejects %s", label);
	tap_ok(v == -12345.0, "number %s leaves value untouched", label);
}

#define DBL_OK(t, w) dbl_ok(t, strlen(t), w, tap_esc(t, strlen(t)))
#define DBL_BAD(t) dbl_bad(t, strlen(t), DCRE_EINVAL, tap_esc(t, strlen(t)))
#define DBL_RANGE(t) dbl_bad(t, strlen(t), DCRE_ERANGE, tap_esc(t, strlen(t)))

static void test_parse_double(void)
{
	char big[420];

	/* conversions.md §2 accepted */
	DBL_OK("30.03", 30.03);
	DBL_OK("30", 30.0);
	DBL_OK("-0.12", -0.12);
	DBL_OK(".5", 0.5);
	DBL_OK("1.", 1.0);
	DBL_OK("1e3", 1000.0);
	DBL_OK(" 2.5E-1 ", 0.25);
	/* more */
	DBL_OK("+1.5", 1.5);
	DBL_OK("-0", -0.0);
	DBL_OK("-.5e+1", -5.0);
	DBL_OK("00012", 12.0);
	DBL_OK("\t12345678901234567890\n", 12345678901234567890.0);
	DBL_OK("1e-400", 0.0); /* underflow is fine (Python float gives 0.0) */
	DBL_OK("1.7976931348623157e308", 1.7976931348623157e308);
	dbl_ok("2.5,x", 3, 2.5, "length-limited '2.5'");
	/* conversions.md §2 rejected */
	DBL_BAD("");
	DBL_BAD("invalid");
	DBL_BAD("nan");
	DBL_BAD("NaN");
	DBL_BAD("inf");
	DBL_BAD("-Inf");
	DBL_BAD("infinity");
	DBL_BAD("Infinity");
	DBL_BAD("0x1p3");
	DBL_BAD("1,5");
	/* more */
	DBL_BAD(" ");
	DBL_BAD(".");
	DBL_BAD("-.");
	DBL_BAD("e3");
	DBL_BAD("1e");
	DBL_BAD("1e+");
	DBL_BAD("1.5.2");
	DBL_BAD("1 .5");
	DBL_BAD("1_0");
	DBL_BAD("0x10");
	dbl_bad("1.5\0", 4, DCRE_EINVAL, "'1.5\\0'");
	dbl_bad(NULL, 0, DCRE_EINVAL, "NULL/0");
	/* overflow */
	DBL_RANGE("1e400");
	DBL_RANGE("-1e400");
	DBL_RANGE("1.8e308");
	big[0] = '1';
	memset(big + 1, '0', 400);
	big[401] = '\0';
	dbl_bad(big, 401, DCRE_ERANGE, "1 followed by 400 zeros");
}

/* ---- hex ids ---- */

static void hex_is(const char *text, bool neg, bool ovf, uint64_t want)
{
	struct dcre_hexid h = {true, true, 77};
	enum dcre_err rc = dcre_number_parse_hex(text, &h);

	tap_is_int(rc, DCRE_OK, "hex accepts '%s'", tap_esc(text, strlen(text)));
	tap_ok(h.value == want && h.negative == neg && h.overflow == ovf,
	       "hex '%s' -> neg=%d ovf=%d value=%#llx", tap_esc(text, strlen(text)), h.negative,
	       h.overflow, (unsigned long long)h.value);
}

static void hex_bad(const char *text)
{
	struct dcre_hexid h;

	tap_is_int(dcre_number_parse_hex(text, &h), DCRE_EINVAL, "hex rejects '%s'",
	           tap_esc(text, strlen(text)));
}

static void test_parse_hex(void)
{
	/* api.md §4.1 */
	hex_is("3", false, false, 3);
	hex_is("03", false, false, 3);
	hex_is("0000000003", false, false, 3);
	hex_is("00000000000000000A", false, false, 10);
	hex_is("0x1e", false, false, 0x1e);
	hex_is(" 1E ", false, false, 0x1e);
	hex_is("0X1E", false, false, 0x1e);
	hex_is("+5", false, false, 5);
	hex_is("ffffffff", false, false, 0xffffffffu);
	hex_is("40000001", false, false, 0x40000001u);
	hex_is("\t\n0x0001ff\r ", false, false, 0x1ff);
	hex_is("0", false, false, 0);
	hex_is("0x0", false, false, 0);
	/* negatives */
	hex_is("-1", true, false, 1);
	hex_is("-0x1e", true, false, 0x1e);
	hex_is(" -00ff ", true, false, 0xff);
	hex_is("-0", false, false, 0);
	hex_is("-0x000", false, false, 0);
	/* size */
	hex_is("ffffffffffffffff", false, false, UINT64_MAX);
	hex_is("0000000000000000000000000000000000000001", false, false, 1);
	hex_is("10000000000000000", false, true, UINT64_MAX);
	hex_is("123456789abcdef0123456789abcdef", false, true, UINT64_MAX);
	hex_is("-10000000000000000", true, true, UINT64_MAX);
	/* rejected */
	hex_bad("");
	hex_bad(" ");
	hex_bad("0x");
	hex_bad("-");
	hex_bad("+0x");
	hex_bad("g");
	hex_bad("1g");
	hex_bad("0x-1");
	hex_bad("- 1");
	hex_bad("--1");
	hex_bad("+-1");
	hex_bad("1 2");
	hex_bad("0x0x1");
	hex_bad("00x1");
	hex_bad("x1");
	hex_bad("1.0");
	hex_bad("rack_1");
}

/* ---- float output ---- */

static void fmt_is(double v, const char *want)
{
	char buf[DCRE_NUMBER_BUFSZ];

	memset(buf, 'X', sizeof(buf));
	tap_is_int(dcre_number_format_double(v, buf), DCRE_OK, "format %s rc", want);
	tap_is_str(buf, want, "format -> %s", want);
}

static void test_format_double(void)
{
	char buf[DCRE_NUMBER_BUFSZ] = "untouched";
	double zero = 0.0;

	/* conversions.md §3 */
	fmt_is(30.0, "30.0");
	fmt_is(28.78, "28.78");
	fmt_is(-25.70631970260223, "-25.70631970260223");
	fmt_is(100.0, "100.0");
	fmt_is(1000000000000000.0, "1000000000000000.0");
	fmt_is(1e16, "1e+16");
	fmt_is(0.0001, "0.0001");
	fmt_is(1e-05, "1e-05");
	fmt_is(-0.0, "-0.0");
	fmt_is(1.5e16, "1.5e+16");
	fmt_is(1.5e-05, "1.5e-05");
	/* values of the power table (§8.1) */
	fmt_is(198.57686579513486, "198.57686579513486");
	fmt_is(12.500651075576853, "12.500651075576853");
	fmt_is(15.879801734820322, "15.879801734820322");
	fmt_is(0.21512493794472942, "0.21512493794472942");
	fmt_is(-25.644361833952914, "-25.644361833952914");
	/* more Python repr() texts */
	fmt_is(0.0, "0.0");
	fmt_is(-40.0, "-40.0");
	fmt_is(125.01, "125.01");
	fmt_is(0.1, "0.1");
	fmt_is(1.0 / 3.0, "0.3333333333333333");
	fmt_is(2.0 / 3.0, "0.6666666666666666");
	fmt_is(0.1 + 0.2, "0.30000000000000004");
	fmt_is(9999999999999998.0, "9999999999999998.0");
	fmt_is(123456789012345678.0, "1.2345678901234568e+17");
	fmt_is(1e22, "1e+22");
	fmt_is(1e23, "1e+23");
	fmt_is(1e100, "1e+100");
	fmt_is(-1.25e-100, "-1.25e-100");
	fmt_is(0.00012345, "0.00012345");
	fmt_is(9.5367431640625e-07, "9.5367431640625e-07");
	fmt_is(5e-324, "5e-324");
	fmt_is(2.2250738585072014e-308, "2.2250738585072014e-308");
	fmt_is(1.7976931348623157e308, "1.7976931348623157e+308");
	/* powers of two (asymmetric rounding interval) */
	fmt_is(9007199254740992.0, "9007199254740992.0");
	fmt_is(ldexp(1.0, 63), "9.223372036854776e+18");
	fmt_is(ldexp(1.0, 100), "1.2676506002282294e+30");
	fmt_is(ldexp(1.0, -44), "5.684341886080802e-14");
	fmt_is(ldexp(1.0, 1023), "8.98846567431158e+307");
	fmt_is(ldexp(1.0, -1022), "2.2250738585072014e-308");
	fmt_is(ldexp(1.0, 976), "6.386688990511104e+293");
	/* subnormals: fewer bits, so shorter texts than 15 digits can read back */
	fmt_is(2.37e-322, "2.37e-322");
	fmt_is(8e-323, "8e-323");
	fmt_is(1.6578092e-316, "1.6578092e-316");
	fmt_is(-9.5e-322, "-9.5e-322");
	/* NaN and infinity are never written */
	tap_is_int(dcre_number_format_double(zero / zero, buf), DCRE_ERANGE, "format NaN fails");
	tap_is_int(dcre_number_format_double(1.0 / zero, buf), DCRE_ERANGE, "format inf fails");
	tap_is_int(dcre_number_format_double(-1.0 / zero, buf), DCRE_ERANGE, "format -inf fails");
	tap_is_str(buf, "untouched", "failed format leaves buf untouched");
}

/* The shortest text is the correctly rounded one of the smallest length that
 * reads back, except next to a power of two, where a neighbour may win (those
 * are checked above). This reference tries every length in turn. */
static int shortest_len(double v)
{
	char t[48];

	for (int p = 0; p < 16; p++) {
		snprintf(t, sizeof(t), "%.*e", p, v);
		if (strtod(t, NULL) == v)
			return p + 1;
	}
	return 17;
}

/* Digits of text's mantissa without leading and trailing zeros ("30.0": 1). */
static int significant_digits(const char *text)
{
	int first = -1, last = -1, i = 0;

	for (const char *s = text; *s && *s != 'e'; s++) {
		if (*s < '0' || *s > '9')
			continue;
		if (*s != '0') {
			if (first < 0)
				first = i;
			last = i;
		}
		i++;
	}
	return first < 0 ? 1 : last - first + 1;
}

static void test_format_double_random(void)
{
	uint64_t x = 0x9e3779b97f4a7c15u;
	int bad = 0, n = 0;

	for (int i = 0; i < 200000; i++) {
		char buf[DCRE_NUMBER_BUFSZ];
		double v;

		x ^= x << 13; /* xorshift64 */
		x ^= x >> 7;
		x ^= x << 17;
		switch (i % 3) {
		case 0: /* any finite double, subnormals included */
			memcpy(&v, &x, sizeof(v));
			break;
		case 1: /* sensor-like values */
			v = (double)(x >> 11) / 9007199254740992.0 * 2000.0 - 1000.0;
			break;
		default: /* short decimals */
			v = (double)((int64_t)(x >> 40) - 8388608) / 100.0;
			break;
		}
		if (!isfinite(v) || v == 0.0 || (x & 0xfffffffffffffu) == 0)
			continue; /* zero and powers of two are checked above */
		n++;
		if (dcre_number_format_double(v, buf) != DCRE_OK || strtod(buf, NULL) != v ||
		    significant_digits(buf) != shortest_len(v)) {
			if (bad++ < 5)
				tap_diag("%.17g printed as %s (shortest %d digits)", v, buf,
				         shortest_len(v));
		}
	}
	tap_ok(bad == 0,
	       "%d pseudo-random doubles print their shortest text that reads back "
	       "(%d wrong)",
	       n, bad);
}

/* ---- rounding ---- */

static void round_is(double x, const char *want)
{
	char buf[DCRE_NUMBER_BUFSZ];

	dcre_number_format_double(dcre_number_round2(x), buf);
	tap_is_str(buf, want, "round2(%.17g) -> %s", x, want);
}

static void test_round2(void)
{
	round_is(40.125, "40.13"); /* exact tie: away from zero */
	round_is(-40.125, "-40.13");
	round_is(0.125, "0.13");
	round_is(-0.375, "-0.38");
	round_is(0.625, "0.63");
	round_is(1.875, "1.88");
	round_is(2.675, "2.67"); /* binary value below the tie */
	round_is(28.7812, "28.78");
	round_is(125.01007, "125.01");
	round_is(-40.0, "-40.0");
	round_is(-0.001, "-0.0");
	round_is(0.0, "0.0");
	round_is(100.006, "100.01");
	round_is(1e300, "1e+300");
	round_is(4503599627370497.0, "4503599627370497.0");
	round_is(562949953421311.875, "562949953421311.9"); /* tie -> .88 -> nearest double */
}

/* ---- Python 2 str() ---- */

static void py2_is(double v, const char *want)
{
	char buf[DCRE_NUMBER_BUFSZ];

	dcre_number_format_py2str(v, buf);
	tap_is_str(buf, want, "py2str -> %s", want);
}

static void test_py2str(void)
{
	double zero = 0.0;

	/* emulator.md §3 */
	py2_is(30.0, "30.0");
	py2_is(28.78, "28.78");
	py2_is(1e16, "1e+16");
	/* more */
	py2_is(-0.0, "-0.0");
	py2_is(0.1, "0.1");
	py2_is(1.0 / 3.0, "0.333333333333");
	py2_is(123456789012.0, "123456789012.0");
	py2_is(1234567890123.0, "1.23456789012e+12");
	py2_is(1e-05, "1e-05");
	py2_is(-25.70631970260223, "-25.7063197026");
	py2_is(1.0 / zero, "inf");
	py2_is(-1.0 / zero, "-inf");
	py2_is(NAN, "nan");
}

int main(void)
{
	test_parse_int();
	test_int_to_i64();
	test_parse_double();
	test_parse_hex();
	test_format_double();
	test_format_double_random();
	test_round2();
	test_py2str();
	return tap_done();
}
