/* SPDX-License-Identifier: MIT */
/* Request path normalisation (api.md §2.1, Decision 10). Pure. */
#ifndef DCRE_URL_H
#define DCRE_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct dcre_path {
	char **seg;  /* segments after the leading '/', each NUL-terminated */
	size_t nseg; /* "/a/b" -> 2; "/a/" -> 2 (last one empty); "/" -> 1 empty */
};

/* Normalise a request target. If decoded is false, raw is REQUEST_URI
 * (undecoded: steps 2-6); if true it is SCRIPT_NAME+PATH_INFO (already
 * decoded: step 3 is skipped). On DCRE_EINVAL (-> 400) reason names the
 * problem, e.g. "malformed percent-escape at byte 24 of the request path",
 * "NUL byte in the request path", "'..' above the root". On success the
 * caller frees out with dcre_path_free(). */
enum dcre_err dcre_url_normalise(const char *raw, bool decoded, struct dcre_path *out,
                                 struct dcre_msg *reason);
void dcre_path_free(struct dcre_path *p);

#endif
