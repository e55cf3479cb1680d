/* SPDX-License-Identifier: MIT */
#include "fuzz_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"

bool fuzz_utf8_valid(const char *s, size_t n, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i];
		size_t len;
		unsigned cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			len = 2;
			cp = c & 0x1F;
			min = 0x80;
		} else if (c >= 0xE0 && c <= 0xEF) {
			len = 3;
			cp = c & 0x0F;
			min = 0x800;
		} else if (c >= 0xF0 && c <= 0xF4) {
			len = 4;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			goto fail;
		}
		if (n - i < len)
			goto fail;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				goto fail;
			cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			goto fail;
		i += len;
	}
	return true;
fail:
	if (bad)
		*bad = i;
	return false;
}

/* ---- a strict recursive-descent JSON checker ---- */

struct jp {
	const char *s;
	size_t n, i;
	int depth;
};

static void ws(struct jp *j)
{
	while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\n' ||
	                       j->s[j->i] == '\r'))
		j->i++;
}

static bool lit(struct jp *j, const char *word)
{
	size_t len = strlen(word);
	if (j->n - j->i < len || memcmp(j->s + j->i, word, len) != 0)
		return false;
	j->i += len;
	return true;
}

static bool digit(const struct jp *j)
{
	return j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9';
}

static bool number(struct jp *j)
{
	if (j->i < j->n && j->s[j->i] == '-')
		j->i++;
	if (!digit(j))
		return false;
	if (j->s[j->i] == '0') {
		j->i++;
	} else {
		while (digit(j))
			j->i++;
	}
	if (j->i < j->n && j->s[j->i] == '.') {
		j->i++;
		if (!digit(j))
			return false;
		while (digit(j))
			j->i++;
	}
	if (j->i < j->n && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
		j->i++;
		if (j->i < j->n && (j->s[j->i] == '+' || j->s[j->i] == '-'))
			j->i++;
		if (!digit(j))
			return false;
		while (digit(j))
			j->i++;
	}
	return true;
}

static int hex4(struct jp *j)
{
	unsigned v = 0;
	if (j->n - j->i < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		char c = j->s[j->i++];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return (int)v;
}

static bool string(struct jp *j)
{
	if (j->i >= j->n || j->s[j->i] != '"')
		return false;
	j->i++;
	while (j->i < j->n) {
		unsigned char c = (unsigned char)j->s[j->i];
		if (c == '"') {
			j->i++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c != '\\') {
			j->i++;
			continue;
		}
		j->i++;
		if (j->i >= j->n)
			return false;
		c = (unsigned char)j->s[j->i++];
		if (strchr("\"\\/bfnrt", c) && c)
			continue;
		if (c != 'u')
			return false;
		int u = hex4(j);
		if (u < 0 || (u >= 0xDC00 && u <= 0xDFFF))
			return false; /* a lone low surrogate */
		if (u >= 0xD800 && u <= 0xDBFF) {
			if (!lit(j, "\\u"))
				return false;
			int low = hex4(j);
			if (low < 0xDC00 || low > 0xDFFF)
				return false;
		}
	}
	return false;
}

static bool value(struct jp *j);

static bool members(struct jp *j, char close, bool object)
{
	j->i++;
	ws(j);
	if (j->i < j->n && j->s[j->i] == close) {
		j->i++;
		return true;
	}
	for (;;) {
		ws(j);
		if (object) {
			if (!string(j))
				return false;
			ws(j);
			if (j->i >= j->n || j->s[j->i] != ':')
				return false;
			j->i++;
		}
		if (!value(j))
			return false;
		ws(j);
		if (j->i >= j->n)
			return false;
		if (j->s[j->i] == close) {
			j->i++;
			return true;
		}
		if (j->s[j->i] != ',')
			return false;
		j->i++;
	}
}

static bool value(struct jp *j)
{
	bool ok;

	ws(j);
	if (j->i >= j->n || ++j->depth > 1000)
		return false;
	switch (j->s[j->i]) {
	case '{':
		ok = members(j, '}', true);
		break;
	case '[':
		ok = members(j, ']', false);
		break;
	case '"':
		ok = string(j);
		break;
	case 't':
		ok = lit(j, "true");
		break;
	case 'f':
		ok = lit(j, "false");
		break;
	case 'n':
		ok = lit(j, "null");
		break;
	default:
		ok = number(j);
		break;
	}
	j->depth--;
	return ok;
}

bool fuzz_json_valid(const char *s, size_t n, size_t *bad)
{
	struct jp j = {.s = s, .n = n};
	bool ok = value(&j);
	if (ok) {
		ws(&j);
		ok = j.i == n;
	}
	if (!ok && bad)
		*bad = j.i;
	return ok;
}

static void dump(const char *s, size_t n)
{
	for (size_t i = 0; i < n && i < 4096; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	fputc('\n', stderr);
}

void fuzz_require_json(const char *what, const char *s, size_t n)
{
	size_t bad = 0;
	const char *why = NULL;

	if (!fuzz_utf8_valid(s, n, &bad))
		why = "not valid UTF-8";
	else if (!fuzz_json_valid(s, n, &bad))
		why = "not valid JSON";
	if (!why)
		return;
	fprintf(stderr, "FUZZ CHECK FAILED: %s: %s at byte %zu of:\n", what, why, bad);
	dump(s, n);
	abort();
}

void fuzz_require_item(const char *what, const cJSON *item)
{
	if (!item)
		return;
	char *text = cJSON_PrintUnformatted(item);
	fuzz_require(text != NULL, "cJSON_PrintUnformatted failed");
	fuzz_require_json(what, text, strlen(text));
	free(text);
}

void fuzz_require(bool cond, const char *what)
{
	if (cond)
		return;
	fprintf(stderr, "FUZZ CHECK FAILED: %s\n", what);
	abort();
}

void fuzz_quiet_log(void)
{
	dcre_alloc_init_cjson();
	if (!dcre_log_open(DCRE_LOG_FILE, DCRE_LOG_DEBUG, "/dev/null", "fuzz"))
		dcre_log_set_level(DCRE_LOG_ERROR);
}
