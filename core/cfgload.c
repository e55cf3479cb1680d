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
	va_list ap;

	ld->problems++;
	if (!ld->errs)
		return;
	fprintf(ld->errs, "%s: %s: ", ld->file, key);
	va_start(ap, fmt);
	vfprintf(ld->errs, fmt, ap);
	va_end(ap);
	fputc('\n', ld->errs);
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

/* Any object in the tree with a key twice is an error naming the key. */
static void check_duplicates(struct dcre_cfg_loader *ld, const cJSON *node, const char *path)
{
	for (const cJSON *c = node ? node->child : NULL; c; c = c->next) {
		char sub[512];
		if (cJSON_IsObject(node)) {
			for (const cJSON *d = c->next; d; d = d->next)
				if (c->string && d->string && strcmp(c->string, d->string) == 0)
					dcre_cfg_problem(ld, path[0] ? path : "(top level)",
					                 "key \"%s\" appears twice", c->string);
			snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "",
			         c->string ? c->string : "");
		} else {
			int idx = 0;
			for (const cJSON *p = node->child; p != c; p = p->next)
				idx++;
			snprintf(sub, sizeof(sub), "%s[%d]", path, idx);
		}
		check_duplicates(ld, c, sub);
	}
}

cJSON *dcre_cfg_parse(struct dcre_cfg_loader *ld, const char *text, size_t len)
{
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);

	if (!root) {
		int line = 1, col = 1;
		for (const char *p = text; end && p < end; p++) {
			if (*p == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		ld->problems++;
		if (ld->errs)
			fprintf(ld->errs, "%s: line %d, column %d: invalid JSON\n", ld->file, line,
			        col);
		return NULL;
	}
	if (!cJSON_IsObject(root)) {
		dcre_cfg_problem(ld, "(top level)", "must be a JSON object");
		cJSON_Delete(root);
		return NULL;
	}
	check_duplicates(ld, root, "");
	return root;
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
			dcre_warn("%s: %s: unknown key \"%s\" ignored", ld->file, path, c->string);
		else if (!ok)
			dcre_cfg_problem(ld, path, "unknown key \"%s\"", c->string);
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
		dcre_cfg_problem(ld, kp, "must be true or false");
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
		dcre_cfg_problem(ld, kp, "must be a number");
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
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble))
		dcre_cfg_problem(ld, kp, "must be an integer");
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
		dcre_cfg_problem(ld, kp, "must be a non-empty string");
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
