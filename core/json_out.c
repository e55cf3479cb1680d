/* SPDX-License-Identifier: MIT */
#include "json_out.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

struct out {
	char *buf;
	size_t len, cap;
};

static void reserve(struct out *o, size_t n)
{
	if (o->len + n + 1 <= o->cap)
		return;
	size_t cap = o->cap ? o->cap : 256;
	while (o->len + n + 1 > cap)
		cap *= 2;
	o->buf = dcre_xrealloc(o->buf, cap);
	o->cap = cap;
}

static void put(struct out *o, const char *s, size_t n)
{
	reserve(o, n);
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void newline(struct out *o, int depth)
{
	reserve(o, 1 + 2 * (size_t)depth);
	o->buf[o->len++] = '\n';
	memset(o->buf + o->len, ' ', 2 * (size_t)depth);
	o->len += 2 * (size_t)depth;
	o->buf[o->len] = '\0';
}

/* The escapes cJSON writes: the short forms, other control bytes as \u00xx,
 * everything else (UTF-8 included) as is. */
static void string(struct out *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	put(o, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[7] = {'\\', 0};
		size_t n = 2;

		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		case 0xC0:
			/* C0 80: a device's NUL byte (core/text.h) */
			if ((unsigned char)s[1] != 0x80)
				continue;
			memcpy(esc, "\\u0000", 6);
			n = 6;
			put(o, run, (size_t)(s - run));
			put(o, esc, n);
			run = s + 2;
			s++;
			continue;
		default:
			if (c >= 0x20)
				continue;
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		put(o, run, (size_t)(s - run));
		put(o, esc, n);
		run = s + 1;
	}
	put(o, run, strlen(run));
	put(o, "\"", 1);
}

/* cJSON's own number text, so a plain number item reads as it always did. */
static void number(struct out *o, double d)
{
	char buf[32];

	if (isnan(d) || isinf(d))
		snprintf(buf, sizeof(buf), "null");
	else if (d == (double)(int)d && fabs(d) < 2147483647.0)
		snprintf(buf, sizeof(buf), "%d", (int)d);
	else {
		snprintf(buf, sizeof(buf), "%1.15g", d);
		if (strtod(buf, NULL) != d)
			snprintf(buf, sizeof(buf), "%1.17g", d);
	}
	puts_(o, buf);
}

/* Stable insertion sort by key (objects have a handful of keys). */
static void sort_by_key(const cJSON **items, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		const cJSON *x = items[i];
		const char *k = x->string ? x->string : "";
		size_t j = i;
		while (j > 0 && strcmp(items[j - 1]->string ? items[j - 1]->string : "", k) > 0) {
			items[j] = items[j - 1];
			j--;
		}
		items[j] = x;
	}
}

static void value(struct out *o, const cJSON *v, int depth);

static void container(struct out *o, const cJSON *v, int depth, bool object)
{
	size_t n = 0;

	for (const cJSON *c = v->child; c; c = c->next)
		n++;
	if (n == 0) {
		puts_(o, object ? "{}" : "[]");
		return;
	}
	const cJSON *small[16];
	const cJSON **items = n <= 16 ? small : dcre_xmalloc(n * sizeof(*items));
	size_t i = 0;
	for (const cJSON *c = v->child; c; c = c->next)
		items[i++] = c;
	if (object)
		sort_by_key(items, n);

	put(o, object ? "{" : "[", 1);
	for (i = 0; i < n; i++) {
		if (i)
			put(o, ",", 1);
		newline(o, depth + 1);
		if (object) {
			string(o, items[i]->string ? items[i]->string : "");
			put(o, ": ", 2);
		}
		value(o, items[i], depth + 1);
	}
	newline(o, depth);
	put(o, object ? "}" : "]", 1);
	if (items != small)
		free(items);
}

static void value(struct out *o, const cJSON *v, int depth)
{
	if (cJSON_IsObject(v))
		container(o, v, depth, true);
	else if (cJSON_IsArray(v))
		container(o, v, depth, false);
	else if (cJSON_IsString(v))
		string(o, v->valuestring ? v->valuestring : "");
	else if (cJSON_IsRaw(v))
		puts_(o, v->valuestring ? v->valuestring : "null");
	else if (cJSON_IsNumber(v))
		number(o, v->valuedouble);
	else if (cJSON_IsTrue(v))
		puts_(o, "true");
	else if (cJSON_IsFalse(v))
		puts_(o, "false");
	else
		puts_(o, "null");
}

char *dcre_json_print(const cJSON *doc, size_t *len)
{
	struct out o = {0};

	reserve(&o, 0);
	o.buf[0] = '\0';
	value(&o, doc, 0);
	put(&o, "\n", 1);
	if (len)
		*len = o.len;
	return o.buf;
}
