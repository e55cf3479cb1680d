/* SPDX-License-Identifier: MIT */
/* bench-null-responder: a do-nothing libfcgi responder, the HTTP-path ceiling
 * of the benchmark (test/bench/README.md).
 *
 * It is shaped like opendcre-fcgi so that nginx, the socket and the process
 * model cost the same: a non-blocking Unix listening socket created before
 * fork(), N pre-forked workers that wait in ppoll() and then FCGX_Accept_r(),
 * and one fixed answer with the service's headers. It never looks at the
 * request. SIGTERM/SIGINT stop it; the socket file is removed. */
#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORKERS 64

static const char answer[] = "Status: 200 OK\r\n"
                             "Content-Type: application/json\r\n"
                             "Access-Control-Allow-Origin: *\r\n"
                             "Cache-Control: no-store\r\n"
                             "Content-Length: 15\r\n"
                             "\r\n"
                             "{\"status\":\"ok\"}";

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *f)
{
	fputs("Usage: bench-null-responder --socket PATH [--workers N]\n"
	      "A do-nothing FastCGI responder: answers every request with\n"
	      "{\"status\":\"ok\"} and the headers opendcre-fcgi sends.\n\n"
	      "  --socket PATH   Unix socket to listen on (created; the file existing\n"
	      "                  means the responder is ready)\n"
	      "  --workers N     pre-forked worker processes, 1-64 (default 4)\n"
	      "  --help\n",
	      f);
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "bench-null-responder: socket path %s is too long\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			fprintf(stderr, "bench-null-responder: %s exists and is not a socket\n",
			        path);
			return -1;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0660) < 0 ||
	    listen(fd, 256) < 0) {
		fprintf(stderr, "bench-null-responder: cannot listen on %s: %s\n", path,
		        strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The worker loop of fcgi-app/worker.c without the handler. */
static int worker(int listen_fd, const sigset_t *waitmask)
{
	FCGX_Request req;

	FCGX_InitRequest(&req, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
	while (!stop_requested) {
		struct pollfd pfd = {.fd = listen_fd, .events = POLLIN};
		if (ppoll(&pfd, 1, NULL, waitmask) <= 0)
			continue;
		if (FCGX_Accept_r(&req) < 0)
			continue; /* another worker took the connection */
		FCGX_PutStr(answer, (int)sizeof(answer) - 1, req.out);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	return 0;
}

static int parse_workers(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > MAX_WORKERS)
		return -1;
	*out = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"workers", required_argument, NULL, 'w'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *sock = NULL;
	int workers = 4, c, fd, rc = 0, running = 0;
	pid_t pids[MAX_WORKERS] = {0};
	struct sigaction sa = {0};
	sigset_t block, orig, waitmask;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'w':
			if (parse_workers(optarg, &workers) < 0) {
				fprintf(stderr,
				        "bench-null-responder: --workers: '%s' is not a "
				        "number from 1 to %d\n",
				        optarg, MAX_WORKERS);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!sock || optind < argc) {
		usage(stderr);
		return 2;
	}

	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* workers take signals only in ppoll(), so a request in progress
	 * always finishes; the main process collects them with sigtimedwait() */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &orig);
	waitmask = orig;
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGCHLD);

	if (FCGX_Init() != 0) {
		fprintf(stderr, "bench-null-responder: FCGX_Init failed\n");
		return 1;
	}
	/* the socket file appears only once it listens: the readiness signal */
	fd = listen_unix(sock);
	if (fd < 0)
		return 1;

	for (int i = 0; i < workers; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			fprintf(stderr, "bench-null-responder: fork: %s\n", strerror(errno));
			rc = 1;
			stop_requested = 1;
			break;
		}
		if (pid == 0)
			_exit(worker(fd, &waitmask));
		pids[i] = pid;
		running++;
	}

	/* the main process only supervises: reap, and stop on SIGTERM/SIGINT
	 * (blocked here, so they are collected by sigtimedwait) */
	while (running > 0) {
		struct timespec tick = {.tv_sec = 0, .tv_nsec = 200 * 1000000L};
		int sig = stop_requested ? 0 : sigtimedwait(&block, NULL, &tick);
		pid_t pid;
		int status;

		if (sig == SIGTERM || sig == SIGINT)
			stop_requested = 1;
		if (stop_requested)
			for (int i = 0; i < workers; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGTERM);
		while (running > 0 &&
		       (pid = waitpid(-1, &status, stop_requested ? 0 : WNOHANG)) > 0) {
			for (int i = 0; i < workers; i++) {
				if (pids[i] != pid)
					continue;
				pids[i] = 0;
				running--;
				if (!stop_requested) {
					fprintf(stderr,
					        "bench-null-responder: worker %ld died (status "
					        "0x%x)\n",
					        (long)pid, (unsigned)status);
					rc = 1;
				}
			}
		}
	}
	close(fd);
	unlink(sock);
	return rc;
}
