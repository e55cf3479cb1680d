/* SPDX-License-Identifier: MIT */
/* The Redfish backend: one Redfish service = one bridge board; the one
 * constructor this transport exports to core. */
#ifndef RF_BACKEND_H
#define RF_BACKEND_H

#include "backend.h"
#include "bridge_config.h"

/* A worker's backend for one Redfish server. Opens no connection until a
 * request needs it. sv is borrowed and must outlive the backend. Caller
 * frees with dcre_backend_free() (logs out, best effort). */
struct dcre_backend *dcre_redfish_backend_new(const struct dcre_redfish_server *sv);

#endif
