/* SPDX-License-Identifier: MIT */
/* One kept IPMI 2.0 session per BMC per worker (ipmi.md §3, Decision 8):
 * opened lazily with libfreeipmi, reused, reopened before FreeIPMI or the
 * BMC would expire it, reopened once after a session-level error, closed
 * at once when the BMC stops answering. Every command of the transport runs
 * through ipmi_session_call(), which owns that policy and the error
 * messages. */
#ifndef IPMI_SESSION_H
#define IPMI_SESSION_H

#include <stdbool.h>
#include <sys/types.h>

#include <freeipmi/api/ipmi-api.h>
#include <freeipmi/fiid/fiid.h>

#include "bridge_config.h"
#include "err.h"

struct ipmi_session {
	const struct dcre_ipmi_bmc *cfg; /* borrowed */
	char host[300];                  /* "addr:port" as FreeIPMI takes it */
	char label[340];                 /* "IPMI board 40000001 (addr:port)" */
	ipmi_ctx_t ctx;                  /* NULL while closed */
	pid_t pid;                       /* process that opened ctx */
	double last;                     /* monotonic time of the last answer */
	unsigned gen;                    /* number of successful opens */
	bool fresh;                      /* opened by the current call */
	int cc;                          /* completion code of a failed command, or -1 */
	double open_timeout;             /* session timeout (s) the context was opened with */
	struct {
		bool active;
		double deadline; /* monotonic */
		double budget;   /* seconds, for messages */
	} op;                    /* the API request in hand (ipmi_session_op_begin) */
};

/* How a command may be repeated after a session-level error. */
enum ipmi_repeat {
	IPMI_REPEAT_SAFE,            /* idempotent: repeat once on a new session */
	IPMI_REPEAT_IF_NOT_EXECUTED, /* chassis control: only if the BMC's answer
	                              * proves it did not run the command */
};

/* The exchange of one command: returns 0 on success, IPMI_X_FAILED when a
 * FreeIPMI call on ctx failed (ipmi_ctx_errnum(ctx) tells why; s->cc holds
 * the completion code when one was received), or an enum dcre_err with msg
 * set for a failure that is not FreeIPMI's (a reply that does not parse). */
#define IPMI_X_FAILED (-1)
typedef int (*ipmi_exchange_fn)(struct ipmi_session *s, ipmi_ctx_t ctx, void *arg,
                                struct dcre_msg *msg);

/* Set up a closed session for bmc (borrowed; must outlive s). */
void ipmi_session_init(struct ipmi_session *s, const struct dcre_ipmi_bmc *bmc);

/* Close Session and free the context, best effort; never in a process that
 * did not open it (a forked child leaves an inherited session alone). */
void ipmi_session_close(struct ipmi_session *s);

/* One operation (an API request to this BMC) with one deadline, budget
 * seconds from now: no command is sent after it (DCRE_ETIMEDOUT naming it),
 * and a session opened during it gets at most the time left as its
 * FreeIPMI session timeout, which bounds each of its commands. */
void ipmi_session_op_begin(struct ipmi_session *s, double budget);
/* Extra time for the operation in hand (power_wait polling). */
void ipmi_session_op_extend(struct ipmi_session *s, double seconds);
void ipmi_session_op_end(struct ipmi_session *s);
/* Seconds left of the operation in hand; a large value without one. */
double ipmi_session_op_left(const struct ipmi_session *s);

/* Run fn on an open session, opening or reopening it first as needed.
 * what names the command for messages ("Get Chassis Status"). On failure
 * msg reads "IPMI board 40000001 (addr:port): <what>: <cause>". */
enum dcre_err ipmi_session_call(struct ipmi_session *s, const char *what, enum ipmi_repeat repeat,
                                ipmi_exchange_fn fn, void *arg, struct dcre_msg *msg);

/* For exchange functions: record the completion code of obj (a response
 * object of the failed command) and return IPMI_X_FAILED. */
int ipmi_session_failed(struct ipmi_session *s, fiid_obj_t obj);

/* Read one field of a response object; false if it is missing. */
bool ipmi_session_field(fiid_obj_t obj, const char *field, uint64_t *v);

#endif
