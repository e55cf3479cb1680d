/* SPDX-License-Identifier: MIT */
#include "emu_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* ---- key paths ------------------------------------------------------------------ */

static void path_set_len(struct emu_json_path *p, size_t n)
{
	if (n >= sizeof(p->buf))
		n = sizeof(p->buf) - 1;
	p->len = n;
	p->buf[n] = '\0';
}

size_t emu_json_path_key(struct emu_json_path *p, const char *key)
{
	size_t old = p->len;
	int n = snprintf(p->buf + old, sizeof(p->buf) - old, old ? ".%s" : "%s", key);
	path_set_len(p, old + (n > 0 ? (size_t)n : 0));
	return old;
}

size_t emu_json_path_index(struct emu_json_path *p, size_t i)
{
	size_t old = p->len;
	int n = snprintf(p->buf + old, sizeof(p->buf) - old, "[%zu]", i);
	path_set_len(p, old + (n > 0 ? (size_t)n : 0));
	return old;
}

void emu_json_path_pop(struct emu_json_path *p, size_t old)
{
	path_set_len(p, old);
}

const char *emu_json_path_text(const struct emu_json_path *p)
{
	return p->len ? p->buf : "top level";
}

/* ---- number literal texts --------------------------------------------------------- */

/* cJSON keeps numbers only as doubles. The literal texts are found by
 * scanning the text in document order (skipping string contents the way
 * cJSON's own string parser does) and attached to the number nodes visited in
 * the same order, as the node's valuestring (which cJSON_Delete frees). */
struct lit_scan {
	const char *p;
	const char *end;
};

static bool next_literal(struct lit_scan *s, const char **start, size_t *n)
{
	while (s->p < s->end) {
		char c = *s->p;
		if (c == '"') {
			s->p++;
			while (s->p < s->end && *s->p != '"') {
				if (*s->p == '\\' && s->p + 1 < s->end)
					s->p++;
				s->p++;
			}
			s->p++;
			continue;
		}
		if (c == '-' || (c >= '0' && c <= '9')) {
			/* the characters cJSON's number parser collects */
			*start = s->p;
			while (s->p < s->end && *s->p && strchr("0123456789+-eE.", *s->p))
				s->p++;
			*n = (size_t)(s->p - *start);
			return true;
		}
		s->p++;
	}
	return false;
}

static bool attach_literals(cJSON *j, struct lit_scan *s)
{
	for (; j; j = j->next) {
		if (cJSON_IsNumber(j)) {
			const char *start;
			size_t n;
			if (!next_literal(s, &start, &n))
				return false;
			free(j->valuestring);
			j->valuestring = dcre_xstrndup(start, n);
		}
		if (j->child && !attach_literals(j->child, s))
			return false;
	}
	return true;
}

/* JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool json_number_ok(const char *t)
{
	const char *p = t;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return false;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

bool emu_json_is_int(const cJSON *num)
{
	return num->valuestring && strpbrk(num->valuestring, ".eE") == NULL;
}

/* ---- whole-tree checks ------------------------------------------------------------- */

struct checker {
	const char *name;
	struct dcre_msg *why;
	struct emu_json_path path;
};

static enum dcre_err check_tree(struct checker *c, const cJSON *j)
{
	enum dcre_err rc = DCRE_OK;
	size_t i = 0;

	if (cJSON_IsNumber(j) && (!j->valuestring || !json_number_ok(j->valuestring)))
		return dcre_msg_set(c->why, DCRE_ECONFIG, "%s: %s: invalid number literal '%s'",
		                    c->name, emu_json_path_text(&c->path),
		                    j->valuestring ? j->valuestring : "");
	if (cJSON_IsObject(j)) {
		for (const cJSON *a = j->child; a; a = a->next)
			for (const cJSON *b = a->next; b; b = b->next)
				if (strcmp(a->string, b->string) == 0)
					return dcre_msg_set(
					    c->why, DCRE_ECONFIG, "%s: %s: duplicate key \"%s\"",
					    c->name, emu_json_path_text(&c->path), a->string);
	}
	if (!cJSON_IsObject(j) && !cJSON_IsArray(j))
		return DCRE_OK;
	for (const cJSON *k = j->child; k && !rc; k = k->next, i++) {
		size_t old = cJSON_IsObject(j) ? emu_json_path_key(&c->path, k->string)
		                               : emu_json_path_index(&c->path, i);
		rc = check_tree(c, k);
		emu_json_path_pop(&c->path, old);
	}
	return rc;
}

/* ---- parsing ----------------------------------------------------------------------- */

static void line_col(const char *text, size_t off, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

cJSON *emu_json_parse(const char *text, size_t len, const char *name, struct dcre_msg *why)
{
	struct checker c = {.name = name, .why = why};
	struct lit_scan scan;
	const char *end = NULL, *extra;
	size_t line, col, extra_n;
	cJSON *root;

	root = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (!root) {
		size_t off = end && end >= text ? (size_t)(end - text) : 0;
		line_col(text, off > len ? len : off, &line, &col);
		dcre_msg_set(why, DCRE_ECONFIG, "%s: invalid JSON at line %zu, column %zu", name,
		             line, col);
		return NULL;
	}
	for (const char *p = end; p < text + len; p++) {
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			line_col(text, (size_t)(p - text), &line, &col);
			dcre_msg_set(
			    why, DCRE_ECONFIG,
			    "%s: invalid JSON at line %zu, column %zu: text after the document",
			    name, line, col);
			goto fail;
		}
	}
	scan.p = text;
	scan.end = end;
	if (!attach_literals(root, &scan) || next_literal(&scan, &extra, &extra_n)) {
		dcre_msg_set(why, DCRE_ECONFIG, "%s: cannot match number literals to values", name);
		goto fail;
	}
	if (check_tree(&c, root))
		goto fail;
	return root;
fail:
	cJSON_Delete(root);
	return NULL;
}
