/* SPDX-License-Identifier: MIT */
#include "cfgload.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"
#include "number.h"

void dcre_cfg_problem(struct dcre_cfg_loader *ld, const char *key, const char *fmt, ...)
{
	char text[DCRE_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (ld->first && ld->problems == 0)
		dcre_msg_set(ld->first, DCRE_ECONFIG, "%s: %s: %s", ld->file, key, text);
	ld->problems++;
	if (ld->errs)
		fprintf(ld->errs, "%s: %s: %s\n", ld->file, key, text);
}

/* ---- key paths ------------------------------------------------------------------ */

static void path_set_len(struct dcre_cfg_path *p, size_t n)
{
	if (n >= sizeof(p->buf))
		n = sizeof(p->buf) - 1;
	p->len = n;
	p->buf[n] = '\0';
}

size_t dcre_cfg_path_key(struct dcre_cfg_path *p, const char *key)
{
	size_t old = p->len;
	int n = snprintf(p->buf + old, sizeof(p->buf) - old, old ? ".%s" : "%s", key);
	path_set_len(p, old + (n > 0 ? (size_t)n : 0));
	return old;
}

size_t dcre_cfg_path_index(struct dcre_cfg_path *p, size_t i)
{
	size_t old = p->len;
	int n = snprintf(p->buf + old, sizeof(p->buf) - old, "[%zu]", i);
	path_set_len(p, old + (n > 0 ? (size_t)n : 0));
	return old;
}

void dcre_cfg_path_pop(struct dcre_cfg_path *p, size_t old)
{
	path_set_len(p, old);
}

const char *dcre_cfg_path_text(const struct dcre_cfg_path *p)
{
	return p->len ? p->buf : DCRE_CFG_TOP;
}

const char *dcre_cfg_type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "a list";
	if (cJSON_IsObject(v))
		return "an object";
	return "an invalid value";
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = dcre_xrealloc(buf, cap);
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno;
		fclose(f);
		free(buf);
		errno = e;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
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

bool dcre_cfg_is_int_literal(const cJSON *num)
{
	return cJSON_IsNumber(num) && num->valuestring && strpbrk(num->valuestring, ".eE") == NULL;
}

/* ---- whole-tree checks ------------------------------------------------------------- */

/* Number literals outside the JSON grammar, and any object with a key twice
 * (named at the object's path). */
static void check_tree(struct dcre_cfg_loader *ld, const cJSON *j, struct dcre_cfg_path *path)
{
	size_t i = 0;

	if (cJSON_IsNumber(j) && (!j->valuestring || !json_number_ok(j->valuestring)))
		dcre_cfg_problem(ld, dcre_cfg_path_text(path), "invalid number literal '%s'",
		                 j->valuestring ? j->valuestring : "");
	if (cJSON_IsObject(j))
		for (const cJSON *a = j->child; a; a = a->next)
			for (const cJSON *b = a->next; b; b = b->next)
				if (a->string && b->string && strcmp(a->string, b->string) == 0)
					dcre_cfg_problem(ld, dcre_cfg_path_text(path),
					                 "key \"%s\" appears twice", a->string);
	if (!cJSON_IsObject(j) && !cJSON_IsArray(j))
		return;
	for (const cJSON *k = j->child; k; k = k->next, i++) {
		size_t old = cJSON_IsObject(j) ? dcre_cfg_path_key(path, k->string ? k->string : "")
		                               : dcre_cfg_path_index(path, i);
		check_tree(ld, k, path);
		dcre_cfg_path_pop(path, old);
	}
}

/* ---- parsing ----------------------------------------------------------------------- */

static void syntax_problem(struct dcre_cfg_loader *ld, const char *text, size_t off,
                           const char *what)
{
	char where[64];
	int line = 1, col = 1;

	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	snprintf(where, sizeof(where), "line %d, column %d", line, col);
	dcre_cfg_problem(ld, where, "%s", what);
}

cJSON *dcre_cfg_parse(struct dcre_cfg_loader *ld, const char *text, size_t len)
{
	struct dcre_cfg_path path = {.len = 0};
	const char *end = NULL, *extra;
	size_t extra_n;
	struct lit_scan scan;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);

	if (!root) {
		size_t off = end && end >= text ? (size_t)(end - text) : 0;
		syntax_problem(ld, text, off > len ? len : off, "invalid JSON");
		return NULL;
	}
	for (const char *p = end; p < text + len; p++) {
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			syntax_problem(ld, text, (size_t)(p - text),
			               "invalid JSON: text after the document");
			goto fail;
		}
	}
	if (!cJSON_IsObject(root)) {
		dcre_cfg_problem(ld, DCRE_CFG_TOP, "must be a JSON object, got %s",
		                 dcre_cfg_type_name(root));
		goto fail;
	}
	scan.p = text;
	scan.end = end;
	if (!attach_literals(root, &scan) || next_literal(&scan, &extra, &extra_n)) {
		dcre_cfg_problem(ld, DCRE_CFG_TOP, "cannot match number literals to values");
		goto fail;
	}
	check_tree(ld, root, &path);
	return root;
fail:
	cJSON_Delete(root);
	return NULL;
}

/* Every key of obj must be in allowed (NULL-terminated). */
void dcre_cfg_check_keys(struct dcre_cfg_loader *ld, const cJSON *obj, const char *path,
                         const char *const *allowed)
{
	for (const cJSON *c = obj->child; c; c = c->next) {
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			if (strcmp(*a, c->string) == 0)
				ok = true;
		if (!ok && ld->lenient)
			dcre_warn("%s: %s: unknown key \"%s\" ignored", ld->file,
			          path[0] ? path : DCRE_CFG_TOP, c->string);
		else if (!ok)
			dcre_cfg_problem(ld, path[0] ? path : DCRE_CFG_TOP, "unknown key \"%s\"",
			                 c->string);
	}
}

char *dcre_cfg_key(const char *section, const char *key)
{
	return dcre_xasprintf("%s.%s", section, key);
}

void dcre_cfg_get_bool(struct dcre_cfg_loader *ld, const cJSON *obj, const char *sec,
                       const char *key, bool *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v)
		return;
	char *kp = dcre_cfg_key(sec, key);
	if (!cJSON_IsBool(v))
		dcre_cfg_problem(ld, kp, "must be true or false, got %s", dcre_cfg_type_name(v));
	else
		*out = cJSON_IsTrue(v);
	free(kp);
}

void dcre_cfg_get_number(struct dcre_cfg_loader *ld, const cJSON *obj, const char *sec,
                         const char *key, double lo, double hi, bool lo_open, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v)
		return;
	char *kp = dcre_cfg_key(sec, key);
	if (!cJSON_IsNumber(v))
		dcre_cfg_problem(ld, kp, "must be a number, got %s", dcre_cfg_type_name(v));
	else if ((lo_open ? v->valuedouble <= lo : v->valuedouble < lo) || v->valuedouble > hi)
		dcre_cfg_problem(ld, kp, "%g is out of range (%s%g to %g)", v->valuedouble,
		                 lo_open ? "more than " : "", lo, hi);
	else
		*out = v->valuedouble;
	free(kp);
}

void dcre_cfg_get_int(struct dcre_cfg_loader *ld, const cJSON *obj, const char *sec,
                      const char *key, long lo, long hi, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v)
		return;
	char *kp = dcre_cfg_key(sec, key);
	if (!cJSON_IsNumber(v))
		dcre_cfg_problem(ld, kp, "must be an integer, got %s", dcre_cfg_type_name(v));
	else if (v->valuedouble != floor(v->valuedouble))
		dcre_cfg_problem(ld, kp, "must be an integer, got %s",
		                 v->valuestring ? v->valuestring : "a fraction");
	else if (v->valuedouble < (double)lo || v->valuedouble > (double)hi)
		dcre_cfg_problem(ld, kp, "%.0f is out of range (%ld to %ld)", v->valuedouble, lo,
		                 hi);
	else
		*out = (int)v->valuedouble;
	free(kp);
}

/* A path relative to the main file's directory. */
char *dcre_cfg_resolve(const struct dcre_cfg_loader *ld, const char *p)
{
	if (p[0] == '/' || !ld->dir)
		return dcre_xstrdup(p);
	return dcre_xasprintf("%s/%s", ld->dir, p);
}

void dcre_cfg_get_path(struct dcre_cfg_loader *ld, const cJSON *obj, const char *sec,
                       const char *key, char **out)
{
	char *text = NULL;

	dcre_cfg_get_string(ld, obj, sec, key, &text);
	if (text) {
		free(*out);
		*out = dcre_cfg_resolve(ld, text);
		free(text);
	}
}

/* An id or register value: hex string or JSON integer. */
bool dcre_cfg_get_id(struct dcre_cfg_loader *ld, const cJSON *v, const char *kp, uint64_t max,
                     uint64_t *out)
{
	if (cJSON_IsString(v)) {
		struct dcre_hexid id;
		if (dcre_number_parse_hex(v->valuestring, &id) || id.negative || id.overflow ||
		    id.value > max) {
			dcre_cfg_problem(ld, kp, "\"%s\" is not a hex value from 0 to 0x%llx",
			                 v->valuestring, (unsigned long long)max);
			return false;
		}
		*out = id.value;
		return true;
	}
	if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) && v->valuedouble >= 0 &&
	    v->valuedouble <= (double)max) {
		*out = (uint64_t)v->valuedouble;
		return true;
	}
	dcre_cfg_problem(ld, kp, "must be a hex string or an integer from 0 to 0x%llx",
	                 (unsigned long long)max);
	return false;
}

void dcre_cfg_get_string(struct dcre_cfg_loader *ld, const cJSON *obj, const char *sec,
                         const char *key, char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v)
		return;
	char *kp = dcre_cfg_key(sec, key);
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0') {
		dcre_cfg_problem(ld, kp, "must be a non-empty string, got %s",
		                 cJSON_IsString(v) ? "\"\"" : dcre_cfg_type_name(v));
	} else {
		free(*out);
		*out = dcre_xstrdup(v->valuestring);
	}
	free(kp);
}

cJSON *dcre_cfg_parse_file(struct dcre_cfg_loader *ld, const char *path)
{
	size_t len = 0;
	char *text = read_file(path, &len);
	cJSON *root;

	if (!text) {
		dcre_cfg_problem(ld, "(file)", "cannot read: %s", strerror(errno));
		return NULL;
	}
	root = dcre_cfg_parse(ld, text, len);
	free(text);
	return root;
}
