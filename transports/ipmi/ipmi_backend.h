/* SPDX-License-Identifier: MIT */
/* The IPMI backend: one BMC = one bridge board; the one constructor this
 * transport exports to core. */
#ifndef IPMI_BACKEND_H
#define IPMI_BACKEND_H

#include "backend.h"
#include "bridge_config.h"

/* A worker's backend for one BMC. Opens no session until a request needs
 * it. bmc and section are borrowed and must outlive the backend. Caller
 * frees with dcre_backend_free() (closes the session, best effort). */
struct dcre_backend *dcre_ipmi_backend_new(const struct dcre_ipmi_bmc *bmc,
                                           const struct dcre_ipmi_config *section);

#endif
