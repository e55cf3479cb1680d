/* SPDX-License-Identifier: MIT */
/* The pre-forking supervisor: keeps N workers running, replaces a worker
 * that dies, passes SIGTERM/SIGINT on and waits for the workers. */
#ifndef DCRE_PREFORK_H
#define DCRE_PREFORK_H

/* Runs in a forked child; returns the worker's exit status. */
typedef int (*dcre_worker_fn)(void *arg);

/* Fork n workers running fn(arg) and supervise them until SIGTERM/SIGINT.
 * Returns 0 after every worker has exited. */
int dcre_prefork_run(int n, dcre_worker_fn fn, void *arg);

#endif
