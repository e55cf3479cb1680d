/* SPDX-License-Identifier: MIT */
#include "prefork.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"

#define STOP_GRACE_S 60 /* a worker still busy this long after the first SIGTERM is killed */

struct slot {
	pid_t pid; /* 0 = not running */
	struct timespec started;
	struct timespec respawn_at; /* when pid == 0 and not stopping */
};

static double since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void spawn(struct slot *s, dcre_worker_fn fn, void *arg)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		dcre_err_log("cannot fork a worker: %s", strerror(errno));
		clock_gettime(CLOCK_MONOTONIC, &s->respawn_at);
		s->respawn_at.tv_sec += 1;
		return;
	}
	if (pid == 0) {
		/* The worker starts with SIGTERM, SIGINT, SIGHUP and SIGCHLD still
		 * blocked, so a SIGTERM sent before it has installed its handlers
		 * stays pending instead of reaching the main process's handlers.
		 * A worker must not outlive its supervisor (a restarted service
		 * would run beside it): the kernel sends SIGTERM when the parent
		 * dies, and a parent that died before prctl is seen by getppid.
		 * The worker finishes the request in hand and leaves. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
			dcre_warn("worker: PR_SET_PDEATHSIG: %s", strerror(errno));
		if (getppid() != parent)
			exit(0);
		exit(fn(arg)); /* exit, not _exit: LeakSanitizer checks the worker */
	}
	s->pid = pid;
	clock_gettime(CLOCK_MONOTONIC, &s->started);
}

int dcre_prefork_run(int n, dcre_worker_fn fn, void *arg)
{
	struct slot *slots = dcre_xcalloc((size_t)n, sizeof(*slots));
	sigset_t set, orig;
	bool stopping = false;
	struct timespec stop_at = {0};
	int running = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &orig);
	for (int i = 0; i < n; i++)
		spawn(&slots[i], fn, arg);

	for (;;) {
		struct timespec wait = {.tv_sec = 0, .tv_nsec = 200 * 1000000L};
		siginfo_t info;
		int sig = sigtimedwait(&set, &info, &wait);

		if (sig == SIGTERM || sig == SIGINT) {
			/* the grace period counts from the first SIGTERM */
			if (!stopping) {
				dcre_info("stopping: waiting for the workers to finish");
				clock_gettime(CLOCK_MONOTONIC, &stop_at);
			}
			stopping = true;
			for (int i = 0; i < n; i++)
				if (slots[i].pid > 0)
					kill(slots[i].pid, SIGTERM);
		} else if (sig == SIGHUP) {
			dcre_log_reopen();
			for (int i = 0; i < n; i++)
				if (slots[i].pid > 0)
					kill(slots[i].pid, SIGHUP);
		}

		pid_t pid;
		int status;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (int i = 0; i < n; i++) {
				if (slots[i].pid != pid)
					continue;
				slots[i].pid = 0;
				if (stopping)
					break;
				if (WIFSIGNALED(status))
					dcre_warn("worker %ld killed by signal %d; replacing it",
					          (long)pid, WTERMSIG(status));
				else
					dcre_warn("worker %ld exited with status %d; replacing it",
					          (long)pid, WEXITSTATUS(status));
				/* a worker that dies right after start waits 1 s */
				clock_gettime(CLOCK_MONOTONIC, &slots[i].respawn_at);
				if (since(&slots[i].started) < 1.0)
					slots[i].respawn_at.tv_sec += 1;
			}
		}

		running = 0;
		for (int i = 0; i < n; i++) {
			if (!stopping && slots[i].pid == 0 && since(&slots[i].respawn_at) >= 0)
				spawn(&slots[i], fn, arg);
			if (slots[i].pid > 0)
				running++;
		}
		if (stopping && running == 0)
			break;
		if (stopping && since(&stop_at) > STOP_GRACE_S)
			for (int i = 0; i < n; i++)
				if (slots[i].pid > 0)
					kill(slots[i].pid, SIGKILL);
	}
	free(slots);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return 0;
}
