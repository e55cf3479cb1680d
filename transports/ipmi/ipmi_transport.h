/* SPDX-License-Identifier: MIT */
/* The IPMI transport's registry hooks, for transports/registry.c. */
#ifndef IPMI_TRANSPORT_H
#define IPMI_TRANSPORT_H

#include "transport.h"

extern const struct dcre_transport_hooks dcre_ipmi_hooks;

#endif
