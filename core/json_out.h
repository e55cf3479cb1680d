/* SPDX-License-Identifier: MIT */
/* The answer text of a JSON document, as OpenDCRE's Flask service wrote it:
 * object keys sorted, two-space indentation (Python's
 * json.dumps(indent=2, sort_keys=True) layout, UTF-8 kept as is), ending in
 * a newline. */
#ifndef DCRE_JSON_OUT_H
#define DCRE_JSON_OUT_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* The text of doc, NUL-terminated; *len (if not NULL) receives its length.
 * Caller frees with free(). Raw items are written verbatim. */
char *dcre_json_print(const cJSON *doc, size_t *len);

#endif
