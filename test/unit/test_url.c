/* SPDX-License-Identifier: MIT */
/* Path normalisation, api.md §2.1. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "url.h"

/* Normalise raw and compare the segments with want[0..nwant). */
static void ok_path(const char *raw, bool decoded, const char *const *want, size_t nwant,
                    const char *name)
{
	struct dcre_path p;
	struct dcre_msg why = {{0}};
	enum dcre_err e = dcre_url_normalise(raw, decoded, &p, &why);

	if (!tap_ok(e == DCRE_OK, "%s: accepted", name)) {
		tap_diag("rc %d: %s", (int)e, why.text);
		return;
	}
	tap_is_int(p.nseg, nwant, "%s: %zu segments", name, nwant);
	for (size_t i = 0; i < nwant && i < p.nseg; i++)
		tap_is_str(p.seg[i], want[i], "%s: segment %zu", name, i);
	dcre_path_free(&p);
	tap_ok(p.seg == NULL && p.nseg == 0, "%s: freed path is reset", name);
}

/* Expect a 400; the reason must contain frag. */
static void bad_path(const char *raw, bool decoded, const char *frag, const char *name)
{
	struct dcre_path p;
	struct dcre_msg why = {{0}};
	enum dcre_err e = dcre_url_normalise(raw, decoded, &p, &why);

	tap_is_int(e, DCRE_EINVAL, "%s: rejected (400)", name);
	if (!tap_ok(strstr(why.text, frag) != NULL, "%s: reason names the problem", name))
		tap_diag("reason '%s', want it to contain '%s'", why.text, frag);
	tap_ok(p.seg == NULL && p.nseg == 0, "%s: no segments on failure", name);
	dcre_path_free(&p);
}

#define SEGS(...) ((const char *const[]){__VA_ARGS__})
#define NSEGS(...) (sizeof(SEGS(__VA_ARGS__)) / sizeof(const char *))
#define OK(raw, name, ...) ok_path(raw, false, SEGS(__VA_ARGS__), NSEGS(__VA_ARGS__), name)
#define OK_DEC(raw, name, ...) ok_path(raw, true, SEGS(__VA_ARGS__), NSEGS(__VA_ARGS__), name)

static void test_spec_table(void)
{
	OK("/opendcre/1.3/scan//rack_1/00000001", "table: double slash", "opendcre", "1.3", "scan",
	   "rack_1", "00000001");
	OK("/opendcre/1.3/read/voltage/rack%201/40000001/P12V%20Rail", "table: %20", "opendcre",
	   "1.3", "read", "voltage", "rack 1", "40000001", "P12V Rail");
	OK("/opendcre/1.3/scan/rackA?x/00000001", "table: query cut", "opendcre", "1.3", "scan",
	   "rackA");
	/* '%' of "%zz" is at 0-based offset 29 */
	bad_path("/opendcre/1.3/version/rack_1/%zz", false,
	         "malformed percent-escape at byte 29 of the request path", "table: %zz");
	OK("/opendcre/1.3/version/rack_1/", "table: trailing slash (404 later)", "opendcre", "1.3",
	   "version", "rack_1", "");
}

static void test_cutting(void)
{
	OK("/a/b#frag/c", "fragment cut", "a", "b");
	OK("/a/b?q#f", "query before fragment", "a", "b");
	OK("/a/b#f?q", "fragment before query", "a", "b");
	OK("/a?b%zz", "bad escape inside the query is ignored", "a");
	OK("/a/?x=1", "query after trailing slash", "a", "");
	OK("/?", "root with empty query", "");
	bad_path("?x", false, "does not start with '/'", "only a query");
	OK("/a%3Fb", "%3F decodes to a literal '?'", "a?b");
	OK("/a%23b", "%23 decodes to a literal '#'", "a#b");
}

static void test_escapes(void)
{
	OK("/rack%201", "rack%201", "rack 1");
	OK("/%41%62%7e", "mixed case escapes", "Ab~");
	OK("/%2a%2A", "lowercase and uppercase hex", "**");
	OK("/a%2Fb/c", "%2F separates segments", "a", "b", "c");
	OK("/a%2fb", "%2f separates segments", "a", "b");
	OK("/a%2F%2F%2Fb", "decoded slash runs merge", "a", "b");
	OK("/%FF%fe%80", "non-UTF-8 bytes kept verbatim", "\xff\xfe\x80");
	OK("/caf\xc3\xa9/\xff", "raw high bytes kept verbatim", "caf\xc3\xa9", "\xff");
	OK("/100%25", "%25 is a literal percent", "100%");
	OK("/%2525", "decoding is done once", "%25");

	bad_path("/a/%zz", false, "malformed percent-escape at byte 3 of the request path", "%zz");
	bad_path("/a/%4", false, "malformed percent-escape at byte 3 of the request path", "%4");
	bad_path("/a/%4?x", false, "malformed percent-escape at byte 3", "%4 cut by query");
	bad_path("/a/%", false, "malformed percent-escape at byte 3 of the request path",
	         "trailing %");
	bad_path("/a/%g0", false, "malformed percent-escape at byte 3", "%g0");
	bad_path("/a/%0g", false, "malformed percent-escape at byte 3", "%0g");
	bad_path("/%41/%%41", false, "malformed percent-escape at byte 5", "%% offset in raw");
	bad_path("/a/%00", false, "NUL byte in the request path (%00 at byte 3)", "%00");
	bad_path("/a/%00/%zz", false, "NUL byte", "first problem wins");
	bad_path("%2Fa", false, "does not start with '/'", "%2F as first byte");
}

static void test_dots(void)
{
	OK("/a/./b/../c", "/a/./b/../c", "a", "c");
	OK("/a/b/..", "final '..' leaves a trailing slash", "a", "");
	OK("/a/b/.", "final '.' leaves a trailing slash", "a", "b", "");
	OK("/a/b/../", "'..' then slash", "a", "");
	OK("/a/..", "back to the root", "");
	OK("/.", "'/.'", "");
	OK("/./a", "leading '.'", "a");
	OK("/a//..//b", "'..' after merged slashes", "b");
	OK("/a/%2e%2E/b", "encoded '..' is a dot segment", "b");
	OK("/a/%2E/b", "encoded '.' is a dot segment", "a", "b");
	OK("/a/.../b", "'...' is an ordinary segment", "a", "...", "b");
	OK("/a/..b/.c", "dotted names are ordinary segments", "a", "..b", ".c");
	bad_path("/..", false, "'..' above the root", "/..");
	bad_path("/../a", false, "'..' above the root", "/../a");
	bad_path("/a/../..", false, "'..' above the root", "/a/../..");
	bad_path("/a/../../b/c", false, "'..' above the root", "climb in the middle");
	bad_path("/%2E%2E", false, "'..' above the root", "encoded /..");
}

static void test_shapes(void)
{
	OK("/a/b/", "/a/b/", "a", "b", "");
	OK("/", "/", "");
	OK("//", "// merges to /", "");
	OK("///a///", "slash runs at both ends", "a", "");
	OK("/a", "/a", "a");
	bad_path("", false, "does not start with '/'", "empty string");
	bad_path("", true, "does not start with '/'", "empty string (decoded)");
	bad_path("a/b", false, "does not start with '/'", "relative path");
	bad_path("http://h/a", false, "does not start with '/'", "absolute form");
	bad_path("*", false, "does not start with '/'", "asterisk form");
}

static void test_decoded(void)
{
	OK_DEC("/opendcre/1.3/read/voltage/rack 1/40000001/P12V Rail", "decoded input", "opendcre",
	       "1.3", "read", "voltage", "rack 1", "40000001", "P12V Rail");
	OK_DEC("/a/%zz", "decoded: '%' is literal", "a", "%zz");
	OK_DEC("/a/%2F/%", "decoded: escapes not decoded", "a", "%2F", "%");
	OK_DEC("/a/%00", "decoded: %00 is literal text", "a", "%00");
	OK_DEC("/a//b/./c/../d/", "decoded: slashes and dots", "a", "b", "d", "");
	OK_DEC("/a?b", "decoded: query still cut", "a");
	bad_path("/..", true, "'..' above the root", "decoded: /..");
	bad_path("a", true, "does not start with '/'", "decoded: relative");
}

static void test_long(void)
{
	/* 8 KiB: 1024 segments "/abcdefg" of 8 bytes */
	size_t n = 8192;
	char *raw = malloc(n + 1);
	struct dcre_path p;
	struct dcre_msg why = {{0}};

	for (size_t i = 0; i < n; i += 8)
		memcpy(raw + i, "/abcdefg", 8);
	raw[n] = '\0';
	tap_is_int(dcre_url_normalise(raw, false, &p, &why), DCRE_OK, "8 KiB path accepted");
	tap_is_int(p.nseg, 1024, "8 KiB path: 1024 segments");
	bool all = p.nseg == 1024;
	for (size_t i = 0; all && i < p.nseg; i++)
		all = strcmp(p.seg[i], "abcdefg") == 0;
	tap_ok(all, "8 KiB path: every segment intact");
	dcre_path_free(&p);

	/* 8 KiB single segment, all escaped ("%41" x 2730 + "/") */
	size_t m = 1 + 3 * 2730;
	char *esc = malloc(m + 1);
	esc[0] = '/';
	for (size_t i = 0; i < 2730; i++)
		memcpy(esc + 1 + 3 * i, "%41", 3);
	esc[m] = '\0';
	tap_is_int(dcre_url_normalise(esc, false, &p, &why), DCRE_OK,
	           "8 KiB escaped segment accepted");
	tap_is_int(p.nseg, 1, "8 KiB escaped segment: one segment");
	tap_is_int(p.nseg ? strlen(p.seg[0]) : 0, 2730, "8 KiB escaped segment: 2730 bytes");
	dcre_path_free(&p);

	/* a bad escape near the end: the offset is counted in the raw target */
	esc[m - 2] = 'z';
	tap_is_int(dcre_url_normalise(esc, false, &p, &why), DCRE_EINVAL,
	           "8 KiB path with a late bad escape rejected");
	char want[128];
	snprintf(want, sizeof(want), "malformed percent-escape at byte %zu of the request path",
	         m - 3);
	tap_is_str(why.text, want, "late bad escape: offset %zu", m - 3);
	free(esc);
	free(raw);
}

static void test_free(void)
{
	dcre_path_free(NULL);
	tap_ok(1, "dcre_path_free(NULL) is a no-op");

	struct dcre_path p = {0};
	dcre_path_free(&p);
	dcre_path_free(&p);
	tap_ok(p.seg == NULL && p.nseg == 0, "dcre_path_free twice on an empty path");

	tap_is_int(dcre_url_normalise("/a/%zz", false, &p, NULL), DCRE_EINVAL,
	           "reason may be NULL");
}

int main(void)
{
	test_spec_table();
	test_cutting();
	test_escapes();
	test_dots();
	test_shapes();
	test_decoded();
	test_long();
	test_free();
	return tap_done();
}
