/* SPDX-License-Identifier: MIT */
/* Request path normalisation, api.md §2.1 (Decision 10). */
#include "url.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "number.h"

/* Step 3: decode raw[0..n) into dst (room for n + 1 bytes). *dlen gets the
 * decoded length. Offsets in the reason are 0-based byte offsets into raw. */
static enum dcre_err percent_decode(const char *raw, size_t n, char *dst, size_t *dlen,
                                    struct dcre_msg *reason)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)raw[i];
		if (c != '%') {
			dst[o++] = (char)c;
			continue;
		}
		int hi = i + 1 < n ? dcre_number_hex_digit((unsigned char)raw[i + 1]) : -1;
		int lo = i + 2 < n ? dcre_number_hex_digit((unsigned char)raw[i + 2]) : -1;
		if (hi < 0 || lo < 0)
			return dcre_msg_set(
			    reason, DCRE_EINVAL,
			    "malformed percent-escape at byte %zu of the request path", i);
		if (hi == 0 && lo == 0)
			return dcre_msg_set(reason, DCRE_EINVAL,
			                    "NUL byte in the request path (%%00 at byte %zu)", i);
		dst[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	dst[o] = '\0';
	*dlen = o;
	return DCRE_OK;
}

static void push(struct dcre_path *p, const char *s, size_t n)
{
	p->seg[p->nseg++] = dcre_xstrndup(s, n);
}

static void pop(struct dcre_path *p)
{
	free(p->seg[--p->nseg]);
	p->seg[p->nseg] = NULL;
}

/* Steps 4-6 on the decoded path buf[0..n), which starts with '/'. Tokens
 * between slashes are visited in order; empty ones (runs of '/') are dropped
 * except the last, which records a trailing '/'. Dot segments follow RFC 3986
 * §5.2.4: a final "." or ".." leaves the path ending in '/'. */
static enum dcre_err split_segments(const char *buf, size_t n, struct dcre_path *p,
                                    struct dcre_msg *reason)
{
	size_t maxseg = 1;

	for (size_t i = 1; i < n; i++)
		if (buf[i] == '/')
			maxseg++;
	p->seg = dcre_xcalloc(maxseg, sizeof(*p->seg));
	p->nseg = 0;

	size_t start = 1;
	for (;;) {
		const char *slash = memchr(buf + start, '/', n - start);
		size_t end = slash ? (size_t)(slash - buf) : n;
		size_t len = end - start;
		bool last = !slash;
		const char *tok = buf + start;

		if (len == 1 && tok[0] == '.') {
			if (last)
				push(p, "", 0);
		} else if (len == 2 && tok[0] == '.' && tok[1] == '.') {
			if (p->nseg == 0)
				return dcre_msg_set(reason, DCRE_EINVAL, "'..' above the root");
			pop(p);
			if (last)
				push(p, "", 0);
		} else if (len > 0 || last) {
			push(p, tok, len);
		}
		if (last)
			break;
		start = end + 1;
	}
	return DCRE_OK;
}

enum dcre_err dcre_url_normalise(const char *raw, bool decoded, struct dcre_path *out,
                                 struct dcre_msg *reason)
{
	enum dcre_err rc = DCRE_EINVAL;
	char *buf = NULL;
	size_t n, dlen = 0;

	assert(raw && out);
	out->seg = NULL;
	out->nseg = 0;

	/* step 2: the query string and fragment are ignored */
	n = strcspn(raw, "?#");
	if (n == 0 || raw[0] != '/') {
		rc = dcre_msg_set(reason, DCRE_EINVAL, "request path does not start with '/'");
		goto out;
	}

	buf = dcre_xmalloc(n + 1);
	if (decoded) {
		memcpy(buf, raw, n);
		buf[n] = '\0';
		dlen = n;
	} else {
		rc = percent_decode(raw, n, buf, &dlen, reason);
		if (rc)
			goto out;
	}
	/* the first byte is '/' in both cases: a '%' would have decoded from
	 * a later offset, and "%2F..." does not start with '/' */
	rc = split_segments(buf, dlen, out, reason);
out:
	free(buf);
	if (rc)
		dcre_path_free(out);
	return rc;
}

void dcre_path_free(struct dcre_path *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nseg; i++)
		free(p->seg[i]);
	free(p->seg);
	p->seg = NULL;
	p->nseg = 0;
}
