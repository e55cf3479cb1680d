/* SPDX-License-Identifier: MIT */
/* One request: FastCGI params -> route -> command -> JSON answer. The only
 * file that sees both FastCGI and core. */
#ifndef DCRE_HANDLER_H
#define DCRE_HANDLER_H

#include <fcgiapp.h>

#include "command.h"

void dcre_handler_serve(struct dcre_ctx *ctx, FCGX_Request *req);

#endif
