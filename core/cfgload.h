/* SPDX-License-Identifier: MIT */
/* The one JSON configuration reader, shared by the service's section loaders
 * and the emulator's data file: problems "<file>: <key path>: <problem>"
 * with key paths built one way (a.b[2].c, "(top level)" for the root), JSON
 * with line/column syntax errors, text after the document, duplicate keys
 * and number literals outside the JSON grammar refused, the exact text of
 * every number literal kept, typed getters, paths relative to the main file. */
#ifndef DCRE_CFGLOAD_H
#define DCRE_CFGLOAD_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"

struct dcre_cfg_loader {
	const char *file;       /* the file being read, for messages */
	const char *dir;        /* directory of the main file: relative paths start here */
	FILE *errs;             /* where problems are written (may be NULL) */
	struct dcre_msg *first; /* if set: receives the first problem line (no newline) */
	int problems;           /* count of problems so far */
	bool lenient;           /* unknown keys are warnings (referenced device files) */
};

/* The key path of the root object. */
#define DCRE_CFG_TOP "(top level)"

/* A key path under construction: push a key or an index, pop back to the
 * length the push returned. */
struct dcre_cfg_path {
	char buf[1024];
	size_t len;
};

size_t dcre_cfg_path_key(struct dcre_cfg_path *p, const char *key);
size_t dcre_cfg_path_index(struct dcre_cfg_path *p, size_t i);
void dcre_cfg_path_pop(struct dcre_cfg_path *p, size_t old);
/* The path text, DCRE_CFG_TOP for the empty path. Valid until the next push
 * or pop. */
const char *dcre_cfg_path_text(const struct dcre_cfg_path *p);

/* "a string", "a number", "a boolean", "null", "a list", "an object". */
const char *dcre_cfg_type_name(const cJSON *v);

/* One problem line "<file>: <key>: <text>". */
void dcre_cfg_problem(struct dcre_cfg_loader *ld, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Parse text[0..len) (read from ld->file; text[len] must be NUL). NULL after
 * reporting a syntax error ("line L, column C: invalid JSON"), text after
 * the document or a non-object top level. Duplicate keys and number literals
 * outside the JSON grammar are problems, but the tree is still returned so
 * that all problems are reported: check ld->problems. Every number node gets
 * its literal text as valuestring (freed by cJSON_Delete). Caller frees with
 * cJSON_Delete. */
cJSON *dcre_cfg_parse(struct dcre_cfg_loader *ld, const char *text, size_t len);
/* Read and parse a whole file (path as given); NULL after a problem. */
cJSON *dcre_cfg_parse_file(struct dcre_cfg_loader *ld, const char *path);
/* True if a number node of a parsed tree was written as an integer literal
 * (no '.', 'e' or 'E'): its valuestring holds the exact digits. */
bool dcre_cfg_is_int_literal(const cJSON *num);
/* Unknown keys of obj (path: its key path): problems
 * "<path>: unknown key \"k\"", or when ld->lenient warnings
 * "<path>: unknown key \"k\" ignored". */
void dcre_cfg_check_keys(struct dcre_cfg_loader *ld, const cJSON *obj, const char *path,
                         const char *const *allowed);
/* "<section>.<key>"; caller frees. */
char *dcre_cfg_key(const char *section, const char *key);
/* Typed getters: leave *out alone when the key is absent; report a problem
 * naming section.key when it has the wrong type or range. */
void dcre_cfg_get_bool(struct dcre_cfg_loader *ld, const cJSON *obj, const char *sec,
                       const char *key, bool *out);
void dcre_cfg_get_number(struct dcre_cfg_loader *ld, const cJSON *obj, const char *sec,
                         const char *key, double lo, double hi, bool lo_open, double *out);
void dcre_cfg_get_int(struct dcre_cfg_loader *ld, const cJSON *obj, const char *sec,
                      const char *key, long lo, long hi, int *out);
/* A non-empty string, copied into *out (old value freed). */
void dcre_cfg_get_string(struct dcre_cfg_loader *ld, const cJSON *obj, const char *sec,
                         const char *key, char **out);
/* A path, relative to the main file's directory; copied into *out. */
void dcre_cfg_get_path(struct dcre_cfg_loader *ld, const cJSON *obj, const char *sec,
                       const char *key, char **out);
char *dcre_cfg_resolve(const struct dcre_cfg_loader *ld, const char *p);
/* An id or register value: hex string or JSON integer, 0..max. */
bool dcre_cfg_get_id(struct dcre_cfg_loader *ld, const cJSON *v, const char *kp, uint64_t max,
                     uint64_t *out);

#endif
