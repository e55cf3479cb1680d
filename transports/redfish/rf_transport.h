/* SPDX-License-Identifier: MIT */
/* The Redfish transport's registry hooks, for transports/registry.c. */
#ifndef RF_TRANSPORT_H
#define RF_TRANSPORT_H

#include "transport.h"

extern const struct dcre_transport_hooks dcre_redfish_hooks;

#endif
