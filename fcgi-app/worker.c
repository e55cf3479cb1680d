/* SPDX-License-Identifier: MIT */
#include "worker.h"

#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "alloc.h"
#include "handler.h"
#include "log.h"
#include "metrics.h"

/* How often an idle worker looks whether its main process is still there
 * (PR_SET_PDEATHSIG, set at fork, is the prompt way; this is the safety net). */
#define PARENT_CHECK_MS 1000

/* Set by the signal handlers of this process and by take_pending only. */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reopen_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	reopen_requested = 1;
}

/* Take the signals of set that are pending while blocked. epoll_pwait runs
 * the handlers only when it returns no event: while connections keep
 * arriving it reports the ready socket and leaves a SIGTERM pending, so
 * without this a busy worker would never see it (issue 11). */
static void take_pending(const sigset_t *set)
{
	const struct timespec zero = {0, 0};
	int sig;

	while ((sig = sigtimedwait(set, NULL, &zero)) > 0) {
		if (sig == SIGHUP)
			reopen_requested = 1;
		else
			stop_requested = 1;
	}
}

int dcre_worker_main(void *arg)
{
	const struct dcre_worker_args *wa = arg;
	struct dcre_ctx *ctx;
	FCGX_Request req;
	sigset_t block, waitmask;
	struct sigaction sa = {0};

	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* signals are taken only while waiting for a connection, so a request
	 * in progress always finishes */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGHUP);

	ctx = dcre_ctx_new(wa->cfg, wa->states);
	FCGX_InitRequest(&req, wa->listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
	/* the supervisor checked at fork that it is still our parent */
	pid_t parent = getppid();

	/* EPOLLEXCLUSIVE: a new connection wakes one idle worker, not all */
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE};
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, wa->listen_fd, &ev) < 0) {
		dcre_err_log("worker: cannot watch the FastCGI socket: %s", strerror(errno));
		stop_requested = 1;
	}
	while (!stop_requested) {
		int pr = epoll_pwait(ep, &ev, 1, PARENT_CHECK_MS, &waitmask);
		take_pending(&block);
		if (reopen_requested) {
			reopen_requested = 0;
			dcre_log_reopen();
		}
		if (getppid() != parent) {
			dcre_warn("worker %ld: the main process has gone; stopping",
			          (long)getpid());
			stop_requested = 1;
		}
		/* after SIGTERM nothing new is accepted, even with connections
		 * waiting (with socket activation they stay queued for the next
		 * start) */
		if (pr <= 0 || stop_requested)
			continue; /* EINTR or the parent check: look at the flags again */
		if (FCGX_Accept_r(&req) < 0)
			continue; /* another worker took the connection (EAGAIN) */
		dcre_handler_serve(ctx, &req);
		/* With the request read to its end (a body is read and ignored),
		 * the connection is closed at once instead of libfcgi's lingering
		 * close (shutdown, then wait for the web server to hang up):
		 * nothing is left unread, so closing cannot reset it. */
		if (dcre_handler_read_input(&req))
			FCGX_Detach(&req);
		FCGX_Finish_r(&req);
	}
	if (ep >= 0)
		close(ep);
	FCGX_Free(&req, 1);
	dcre_metrics_settle();
	dcre_ctx_free(ctx);
	return 0;
}
