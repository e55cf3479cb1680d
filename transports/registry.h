/* SPDX-License-Identifier: MIT */
/* The one table of transports (core/transport.h). */
#ifndef DCRE_REGISTRY_H
#define DCRE_REGISTRY_H

#include "transport.h"

extern const struct dcre_registry dcre_registry;

#endif
