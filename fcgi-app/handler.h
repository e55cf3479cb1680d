/* SPDX-License-Identifier: MIT */
/* One request: FastCGI params -> route -> command -> JSON answer. The only
 * file that sees both FastCGI and core. */
#ifndef DCRE_HANDLER_H
#define DCRE_HANDLER_H

#include <fcgiapp.h>
#include <stdbool.h>

#include "command.h"

void dcre_handler_serve(struct dcre_ctx *ctx, FCGX_Request *req);

/* The audit line of a state-changing request of route m: the web server's
 * user (REMOTE_USER), method, route, board, device and outcome text. */
void dcre_handler_audit(FCGX_Request *req, const struct dcre_route_match *m, const char *method,
                        const char *uri, const char *outcome);

/* The role the web server gives the request (the FastCGI parameter
 * OPENDCRE_ROLE): absent, no restriction (the loopback server without
 * authentication); "operator", every route; "viewer" or any other value
 * (empty included), only routes that read. Whether route m (m->changes, the
 * route table's effect) must be refused with 403; then *role points at the
 * role as given, for the audit line. */
bool dcre_handler_forbidden(FCGX_Request *req, const struct dcre_route_match *m, const char **role);

/* The audit line of a request refused by dcre_handler_forbidden:
 * outcome "403 forbidden role=<role>". */
void dcre_handler_audit_refusal(FCGX_Request *req, const struct dcre_route_match *m,
                                const char *method, const char *uri, const char *role);

/* Read and ignore what is left of the request body (at most 1 MiB). True
 * when the input stream was read to its end. */
bool dcre_handler_read_input(FCGX_Request *req);

/* "404 Not Found": the CGI Status line of an HTTP status this service
 * answers (anything unknown is "500 Internal Server Error"). Static. */
const char *dcre_http_status_line(int status);

#endif
