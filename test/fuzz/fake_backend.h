/* SPDX-License-Identifier: MIT */
/* A test-only backend for in-process tests of the command layer: the
 * interface of core/backend.h with deterministic canned answers built by the
 * same converters and bridge helpers as the real transports, so every route
 * of both API versions runs without a bus, a BMC or a Redfish service. */
#ifndef FAKE_BACKEND_H
#define FAKE_BACKEND_H

#include <stddef.h>

#include "backend.h"
#include "config.h"

/* A fake PLC bus answering every board and device. Caller frees with
 * dcre_backend_free(). */
struct dcre_backend *fake_plc_new(void);

/* Make data[0..len) (borrowed; NULL: the canned payloads again) the bus
 * answer of every PLC operation, as a hostile or broken board would. */
void fake_plc_set_answer(const char *data, size_t len);

/* A fake bridge board (kind "ipmi" or "redfish") for cfg (borrowed, must
 * outlive the backend). Caller frees with dcre_backend_free(). */
struct dcre_backend *fake_bridge_new(const char *kind, const struct dcre_bridge_config *cfg);

#endif
