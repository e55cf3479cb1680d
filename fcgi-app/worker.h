/* SPDX-License-Identifier: MIT */
/* A worker process: its own backends, the FastCGI accept loop, one request
 * at a time. */
#ifndef DCRE_WORKER_H
#define DCRE_WORKER_H

#include "config.h"

struct dcre_worker_args {
	const struct dcre_config *cfg;
	int listen_fd;
	/* per registry entry: what its prepare hook made before fork (the
	 * PLC modem's lines), or NULL */
	void *const *states;
};

/* Runs until SIGTERM/SIGINT or until its main process has gone; finishes
 * the current request first and accepts nothing new after the signal. arg
 * is a struct dcre_worker_args. Returns the exit status. */
int dcre_worker_main(void *arg);

#endif
