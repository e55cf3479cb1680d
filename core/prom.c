/* SPDX-License-Identifier: MIT */
#include "prom.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "number.h"

static void put(struct dcre_prom *p, const char *s, size_t n)
{
	if (p->len + n + 1 > p->cap) {
		size_t cap = p->cap ? p->cap : 4096;
		while (p->len + n + 1 > cap)
			cap *= 2;
		p->buf = dcre_xrealloc(p->buf, cap);
		p->cap = cap;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void puts_(struct dcre_prom *p, const char *s)
{
	put(p, s, strlen(s));
}

/* HELP text escapes backslash and newline; label values also the quote. */
static void escaped(struct dcre_prom *p, const char *s, int quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			puts_(p, "\\\\");
		else if (*s == '\n')
			puts_(p, "\\n");
		else if (quote && *s == '"')
			puts_(p, "\\\"");
		else
			put(p, s, 1);
	}
}

void dcre_prom_family(struct dcre_prom *p, const char *name, const char *type, const char *help)
{
	puts_(p, "# HELP ");
	puts_(p, name);
	puts_(p, " ");
	escaped(p, help, 0);
	puts_(p, "\n# TYPE ");
	puts_(p, name);
	puts_(p, " ");
	puts_(p, type);
	puts_(p, "\n");
}

void dcre_prom_label(struct dcre_prom_labels *l, const char *name, const char *value)
{
	assert(l->n < DCRE_PROM_MAX_LABELS);
	if (!value)
		return;
	l->name[l->n] = name;
	l->value[l->n] = value;
	l->n++;
}

void dcre_prom_sample(struct dcre_prom *p, const char *name, const struct dcre_prom_labels *l,
                      double value)
{
	char num[DCRE_NUMBER_BUFSZ];

	puts_(p, name);
	if (l && l->n > 0) {
		puts_(p, "{");
		for (int i = 0; i < l->n; i++) {
			if (i)
				puts_(p, ",");
			puts_(p, l->name[i]);
			puts_(p, "=\"");
			escaped(p, l->value[i], 1);
			puts_(p, "\"");
		}
		puts_(p, "}");
	}
	if (isnan(value))
		snprintf(num, sizeof(num), "NaN");
	else if (isinf(value))
		snprintf(num, sizeof(num), value > 0 ? "+Inf" : "-Inf");
	else if (value == floor(value) && fabs(value) < 1e15)
		snprintf(num, sizeof(num), "%.0f", value);
	else
		dcre_number_format_double(value, num);
	puts_(p, " ");
	puts_(p, num);
	puts_(p, "\n");
}

void dcre_prom_append(struct dcre_prom *p, const char *text, size_t len)
{
	put(p, text, len);
}

char *dcre_prom_take(struct dcre_prom *p, size_t *len)
{
	char *b = p->buf;
	if (!b) {
		b = dcre_xstrdup("");
	}
	if (len)
		*len = p->len;
	memset(p, 0, sizeof(*p));
	return b;
}

void dcre_prom_free(struct dcre_prom *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}
