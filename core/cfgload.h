/* SPDX-License-Identifier: MIT */
/* Generic configuration loading shared by the section loaders: problems
 * named by file and key path, JSON with line/column syntax errors and
 * duplicate-key detection, typed getters, paths relative to the main file.
 * Internal to core's configuration modules. */
#ifndef DCRE_CFGLOAD_H
#define DCRE_CFGLOAD_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct dcre_cfg_loader {
	const char *file; /* the file being read, for messages */
	const char *dir;  /* directory of the main file: relative paths start here */
	FILE *errs;       /* where problems are written (may be NULL) */
	int problems;     /* count of problems so far */
	bool lenient;     /* unknown keys are warnings (referenced device files) */
};

/* One problem line "<file>: <key>: <text>". */
void dcre_cfg_problem(struct dcre_cfg_loader *ld, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Parse text (read from ld->file); NULL after reporting a syntax error or a
 * non-object top level. Caller frees with cJSON_Delete. */
cJSON *dcre_cfg_parse(struct dcre_cfg_loader *ld, const char *text, size_t len);
/* Read and parse a whole file (path as given); NULL after a problem. */
cJSON *dcre_cfg_parse_file(struct dcre_cfg_loader *ld, const char *path);
/* Unknown keys of obj: problems, or warnings when ld->lenient. */
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
