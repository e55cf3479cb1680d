/* SPDX-License-Identifier: MIT */
#include "ipmi_session.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipmi_map.h"
#include "log.h"
#include "stats.h"
#include "timeutil.h"

void ipmi_session_init(struct ipmi_session *s, const struct dcre_ipmi_bmc *bmc)
{
	memset(s, 0, sizeof(*s));
	s->cfg = bmc;
	s->cc = -1;
	ipmi_map_host(bmc->b.address, bmc->b.port, s->host, sizeof(s->host));
	snprintf(s->label, sizeof(s->label), "IPMI board %08x (%s)", bmc->b.board_id, s->host);
}

void ipmi_session_close(struct ipmi_session *s)
{
	if (!s->ctx)
		return;
	if (s->pid == getpid()) {
		/* Close Session is sent without waiting for an answer */
		ipmi_ctx_close(s->ctx);
		ipmi_ctx_destroy(s->ctx);
		dcre_debug("%s: session closed", s->label);
	}
	/* else: inherited across fork; closing it would end the parent's
	 * session (FREEIPMI-NOTES "Fork safety"), so it is left alone */
	s->ctx = NULL;
}

int ipmi_session_failed(struct ipmi_session *s, fiid_obj_t obj)
{
	uint64_t cc;

	if (obj && ipmi_session_field(obj, "comp_code", &cc) && cc != 0)
		s->cc = (int)cc;
	return IPMI_X_FAILED;
}

bool ipmi_session_field(fiid_obj_t obj, const char *field, uint64_t *v)
{
	return FIID_OBJ_GET(obj, field, v) > 0;
}

void ipmi_session_op_begin(struct ipmi_session *s, double budget)
{
	s->op.active = true;
	s->op.budget = budget;
	s->op.deadline = dcre_time_now() + budget;
}

void ipmi_session_op_extend(struct ipmi_session *s, double seconds)
{
	s->op.budget += seconds;
	s->op.deadline += seconds;
}

void ipmi_session_op_end(struct ipmi_session *s)
{
	s->op.active = false;
}

double ipmi_session_op_left(const struct ipmi_session *s)
{
	return s->op.active ? s->op.deadline - dcre_time_now() : 1e9;
}

/* Open the session (ipmi.md §3). */
static enum dcre_err open_session(struct ipmi_session *s, struct dcre_msg *msg)
{
	const struct dcre_ipmi_bmc *c = s->cfg;
	unsigned session_ms, retransmit_ms;
	ipmi_ctx_t ctx = ipmi_ctx_create();
	enum dcre_err rc = DCRE_EINTERNAL;

	if (!ctx)
		return dcre_msg_set(msg, DCRE_EINTERNAL,
		                    "%s: session open: Internal error: cannot create a FreeIPMI "
		                    "context",
		                    s->label);
	/* the session timeout bounds every wait on this session: no longer than
	 * what is left of the operation */
	double t = c->b.timeout, left = ipmi_session_op_left(s);
	if (left < t)
		t = left < 0.1 ? 0.1 : left;
	ipmi_map_timeouts(t, &session_ms, &retransmit_ms);
	if (ipmi_ctx_open_outofband_2_0(
	        ctx, s->host, c->b.username, c->b.password, NULL, 0,
	        ipmi_map_privilege(c->privilege), (uint8_t)c->cipher_suite, session_ms,
	        retransmit_ms, ipmi_map_workarounds(c->workaround_flags), IPMI_FLAGS_DEFAULT) < 0) {
		int en = ipmi_ctx_errnum(ctx);
		switch (ipmi_map_class(en, true)) {
		case IPMI_CLASS_NO_ANSWER:
			rc = dcre_msg_set(msg, DCRE_ETIMEDOUT,
			                  "%s: session open: no answer within %g s", s->label, t);
			break;
		case IPMI_CLASS_AUTH:
			rc = dcre_msg_set(msg, DCRE_EAUTH,
			                  "%s: session open: authentication failed (%s; check "
			                  "username, password and cipher suite)",
			                  s->label, ipmi_ctx_strerror(en));
			break;
		default:
			rc = dcre_msg_set(msg, DCRE_EIO, "%s: session open: %s", s->label,
			                  ipmi_ctx_strerror(en));
			break;
		}
		goto out;
	}
	s->ctx = ctx;
	ctx = NULL;
	s->pid = getpid();
	s->open_timeout = t;
	s->last = dcre_time_now();
	s->gen++;
	s->fresh = true;
	dcre_stats_add(DCRE_STAT_IPMI_OPENED, 1);
	dcre_stats_add(DCRE_STAT_IPMI_REOPENED, s->gen > 1);
	dcre_debug("%s: session opened (cipher suite %d)", s->label, c->cipher_suite);
	rc = DCRE_OK;
out:
	if (ctx)
		ipmi_ctx_destroy(ctx);
	return rc;
}

/* An open session that is safe to use now: a session idle for too long is
 * closed and a new one opened, with no error to the client. */
static enum dcre_err ensure_open(struct ipmi_session *s, struct dcre_msg *msg)
{
	if (s->ctx && s->pid != getpid())
		s->ctx = NULL; /* never use a session of another process */
	if (s->ctx) {
		double idle = dcre_time_now() - s->last;
		double limit = ipmi_map_reuse_limit(s->open_timeout, s->cfg->session_idle_timeout);
		if (idle < limit)
			return DCRE_OK;
		dcre_debug("%s: session idle for %.2f s (limit %.2f s); reopening", s->label, idle,
		           limit);
		ipmi_session_close(s);
	}
	return open_session(s, msg);
}

static void cause(const struct ipmi_session *s, int en, struct dcre_msg *msg, enum dcre_err *rc,
                  enum dcre_err err, const char *what)
{
	if (s->cc >= 0)
		*rc = dcre_msg_set(msg, err, "%s: %s: completion code 0x%02X (%s)", s->label, what,
		                   s->cc, ipmi_map_cc_text((uint8_t)s->cc));
	else
		*rc = dcre_msg_set(msg, err, "%s: %s: %s", s->label, what, ipmi_ctx_strerror(en));
}

enum dcre_err ipmi_session_call(struct ipmi_session *s, const char *what, enum ipmi_repeat repeat,
                                ipmi_exchange_fn fn, void *arg, struct dcre_msg *msg)
{
	enum dcre_err rc = DCRE_EINTERNAL;

	for (int attempt = 0;; attempt++) {
		if (s->op.active && ipmi_session_op_left(s) <= 0)
			return dcre_msg_set(msg, DCRE_ETIMEDOUT,
			                    "%s: %s: not sent: the operation's deadline of %g s "
			                    "passed",
			                    s->label, what, s->op.budget);
		s->fresh = false;
		rc = ensure_open(s, msg);
		if (rc)
			return rc;
		s->cc = -1;
		int r = fn(s, s->ctx, arg, msg);
		if (r == 0) {
			s->last = dcre_time_now();
			return DCRE_OK;
		}
		if (r > 0) {
			/* an answer came; it did not make sense */
			s->last = dcre_time_now();
			dcre_msg_prefix(msg, "%s: %s: ", s->label, what);
			return (enum dcre_err)r;
		}
		int en = ipmi_ctx_errnum(s->ctx);
		switch (ipmi_map_class(en, false)) {
		case IPMI_CLASS_NO_ANSWER:
			ipmi_session_close(s);
			return dcre_msg_set(msg, DCRE_ETIMEDOUT, "%s: %s: no answer within %g s",
			                    s->label, what, s->open_timeout);
		case IPMI_CLASS_COMMAND:
			s->last = dcre_time_now();
			cause(s, en, msg, &rc, DCRE_EPROTO, what);
			return rc;
		case IPMI_CLASS_SESSION:
			cause(s, en, msg, &rc, DCRE_EBUSY, what);
			ipmi_session_close(s);
			if (attempt == 0 && !s->fresh &&
			    (repeat == IPMI_REPEAT_SAFE ||
			     (s->cc >= 0 && ipmi_map_cc_not_executed((uint8_t)s->cc)))) {
				dcre_warn("%s; reopening the session and repeating once",
				          msg->text);
				continue;
			}
			return rc;
		case IPMI_CLASS_AUTH:
		case IPMI_CLASS_INTERNAL:
			break;
		}
		cause(s, en, msg, &rc, DCRE_EIO, what);
		ipmi_session_close(s);
		return rc;
	}
}
