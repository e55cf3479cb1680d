/* SPDX-License-Identifier: MIT */
/* The strict UTF-8 and JSON checks the fuzz harnesses assert with
 * (fuzz_check.h): what they accept and what they refuse. Built with the
 * project compiler, so it runs without clang too. */
#include <string.h>

#include "fuzz_check.h"
#include "tap.h"

static void accepts(const char *s)
{
	size_t n = strlen(s);
	tap_ok(fuzz_utf8_valid(s, n, NULL) && fuzz_json_valid(s, n, NULL), "accepts %s",
	       tap_esc(s, n));
}

static void refuses(const char *s, const char *why)
{
	size_t n = strlen(s);
	tap_ok(!(fuzz_utf8_valid(s, n, NULL) && fuzz_json_valid(s, n, NULL)), "refuses %s (%s)",
	       tap_esc(s, n), why);
}

int main(void)
{
	accepts("{}");
	accepts(" {\"a\": {\"b\": []}} ");
	accepts("[1, -0.5e+3, 0, 1E-2, true, false, null]");
	accepts("\"a\\u00e9\\ud83d\\ude00\\n\\\"\\/\"");
	accepts("\"\xc3\xa9\xe2\x84\xa2\xf0\x9f\x98\x80\"");
	refuses("", "empty");
	refuses("{", "unterminated object");
	refuses("{\"a\":}", "missing value");
	refuses("[1,]", "trailing comma");
	refuses("{\"a\" 1}", "missing colon");
	refuses("[1 2]", "missing comma");
	refuses("01", "leading zero");
	refuses("1.", "no fraction digits");
	refuses("-", "no digits");
	refuses("nan", "not a literal");
	refuses("tru", "cut literal");
	refuses("{} x", "text after the value");
	refuses("\"a\tb\"", "raw control byte in a string");
	refuses("\"\\x41\"", "unknown escape");
	refuses("\"\\ud800\"", "lone high surrogate escape");
	refuses("\"\\udc00\"", "lone low surrogate escape");
	refuses("\"o\xffn\"", "0xff byte");
	refuses("\"\xc0\xaf\"", "overlong form");
	refuses("\"\xed\xa0\x80\"", "UTF-8 surrogate");
	refuses("\"\xf4\x90\x80\x80\"", "above U+10FFFF");
	refuses("\"\xe2\x84\"", "cut sequence");
	return tap_done();
}
