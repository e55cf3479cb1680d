/* SPDX-License-Identifier: MIT */
/* The registry of the tests: every line of transports/registry.c, then the
 * fake transport's (test/fake/fake_transport.h). */
#ifndef FAKE_REGISTRY_H
#define FAKE_REGISTRY_H

#include "transport.h"

/* Built on first use from dcre_registry. */
const struct dcre_registry *fake_registry(void);

#endif
