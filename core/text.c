/* SPDX-License-Identifier: MIT */
#include "text.h"

#include <string.h>

#include "alloc.h"

bool dcre_text_is_utf8(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n, k;
		unsigned char lo = 0x80, hi = 0xBF;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			if (c == 0xE0)
				lo = 0xA0;
			else if (c == 0xED)
				hi = 0x9F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (k = 1; k <= n; k++) {
			unsigned char t = s[i + k];

			if (t < (k == 1 ? lo : 0x80) || t > (k == 1 ? hi : 0xBF))
				return false;
		}
		i += n + 1;
	}
	return true;
}

char *dcre_text_clean(const char *p, size_t len)
{
	const unsigned char *s = (const unsigned char *)p;
	bool utf8 = dcre_text_is_utf8(p, len);
	char *u = dcre_xmalloc(len * 2 + 1);
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == 0) {
			u[n++] = (char)0xC0;
			u[n++] = (char)0x80;
		} else if (s[i] < 0x80 || utf8) {
			u[n++] = (char)s[i];
		} else {
			u[n++] = (char)(0xC0 | (s[i] >> 6));
			u[n++] = (char)(0x80 | (s[i] & 0x3F));
		}
	}
	u[n] = '\0';
	return u;
}
