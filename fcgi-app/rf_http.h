/* SPDX-License-Identifier: MIT */
/* The HTTP side of the Redfish front end: a request under /redfish, its
 * bounded body and headers in, the reply with OData-Version, ETag and
 * Allow out, and the audit line of a state-changing request. */
#ifndef DCRE_RF_HTTP_H
#define DCRE_RF_HTTP_H

#include <fcgiapp.h>
#include <stdbool.h>

#include "command.h"
#include "url.h"

/* Whether the path is the Redfish front end's ("/redfish..."). */
bool dcre_rf_http_is(const struct dcre_path *p);

/* Answer the request (any method) whose normalised path is p. */
void dcre_rf_http_serve(struct dcre_ctx *ctx, FCGX_Request *req, const struct dcre_path *p,
                        const char *method, const char *uri);

#endif
