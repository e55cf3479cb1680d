/* SPDX-License-Identifier: MIT */
/* JSON parsing for the emulator's data file: cJSON plus the exact text of
 * every number literal (emulator.md §3), whole-tree checks (duplicate keys,
 * JSON number grammar) and key paths such as
 * "boards[1].devices[0].read.responses[2]" for messages. */
#ifndef EMU_JSON_H
#define EMU_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* A key path under construction: push a key or an index, pop back to the
 * length returned by the push. */
struct emu_json_path {
	char buf[1024];
	size_t len;
};

size_t emu_json_path_key(struct emu_json_path *p, const char *key);
size_t emu_json_path_index(struct emu_json_path *p, size_t i);
void emu_json_path_pop(struct emu_json_path *p, size_t old);
/* The path text, or "top level" for the empty path. Valid until the next
 * push or pop. */
const char *emu_json_path_text(const struct emu_json_path *p);

/* Parse text[0..len) (NUL-terminated at text[len]). Every number node gets
 * its literal text as valuestring (freed by cJSON_Delete). Rejects invalid
 * JSON (with line and column), text after the document, duplicate keys and
 * number literals outside the JSON grammar; why then holds
 * "<name>: <where>: <problem>". Caller frees the tree with cJSON_Delete(). */
cJSON *emu_json_parse(const char *text, size_t len, const char *name, struct dcre_msg *why);

/* True if a number node parsed by emu_json_parse() was written as an integer
 * literal (no '.', 'e' or 'E'). */
bool emu_json_is_int(const cJSON *num);

#endif
