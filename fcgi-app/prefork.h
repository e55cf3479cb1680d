/* SPDX-License-Identifier: MIT */
/* The pre-forking supervisor: keeps N workers running, replaces a worker
 * that dies, passes SIGTERM/SIGINT on and waits for the workers. */
#ifndef DCRE_PREFORK_H
#define DCRE_PREFORK_H

/* Runs in a forked child and returns the worker's exit status. It starts
 * with SIGTERM, SIGINT, SIGHUP and SIGCHLD blocked and unblocks what it
 * handles once its handlers are installed. */
typedef int (*dcre_worker_fn)(void *arg);

/* Fork n workers running fn(arg) and supervise them until SIGTERM/SIGINT.
 * Each worker gets SIGTERM when the calling process dies (PR_SET_PDEATHSIG).
 * A worker still running 60 s after the first SIGTERM is killed. Returns 0
 * after every worker has exited. */
int dcre_prefork_run(int n, dcre_worker_fn fn, void *arg);

#endif
