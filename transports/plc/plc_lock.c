/* SPDX-License-Identifier: MIT */
#include "plc_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "timeutil.h"

/* How often a path that changes under us is opened again before giving up. */
#define REOPEN_LIMIT 8
/* After the first timer expiry the signal repeats at this interval, so a
 * signal that arrives just before flock starts to block is not lost. */
#define TIMER_REPEAT_MS 20

static volatile sig_atomic_t lock_timer_fired;

static void on_lock_timer(int sig)
{
	(void)sig;
	lock_timer_fired = 1;
}

/* One per thread that waits (timers are not inherited across fork, and the
 * signal is directed at the thread that created the timer). */
static timer_t lock_timer;
static pid_t lock_timer_pid, lock_timer_tid;

static int lock_signal(void)
{
	return SIGRTMIN + 4;
}

static bool timer_ready(void)
{
	pid_t pid = getpid(), tid = gettid();
	struct sigaction sa;
	struct sigevent sev;
	sigset_t set;

	if (lock_timer_pid == pid && lock_timer_tid == tid)
		return true;
	if (lock_timer_pid == pid)
		timer_delete(lock_timer); /* created by another thread of this process */
	lock_timer_pid = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_lock_timer;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: the signal ends a blocking flock with EINTR */
	if (sigaction(lock_signal(), &sa, NULL) < 0)
		return false;
	sigemptyset(&set);
	sigaddset(&set, lock_signal());
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = lock_signal();
	sev._sigev_un._tid = tid; /* sigev_notify_thread_id, which glibc 2.36 lacks */
	if (timer_create(CLOCK_MONOTONIC, &sev, &lock_timer) < 0)
		return false;
	lock_timer_pid = pid;
	lock_timer_tid = tid;
	return true;
}

static void timer_arm(long long ms)
{
	struct itimerspec its = {
	    .it_value = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L},
	    .it_interval = {.tv_sec = 0, .tv_nsec = TIMER_REPEAT_MS * 1000000L},
	};
	timer_settime(lock_timer, 0, &its, NULL);
}

static void timer_disarm(void)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	timer_settime(lock_timer, 0, &its, NULL);
}

enum dcre_err plc_flock_until(int fd, long long deadline_ms)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return DCRE_OK; /* the uncontended path: one call */
	if (errno != EWOULDBLOCK && errno != EINTR)
		return DCRE_EIO;
	if (!timer_ready())
		return DCRE_EIO;
	for (;;) {
		long long left = deadline_ms - dcre_time_now_ms();
		if (left <= 0)
			return DCRE_ETIMEDOUT;
		lock_timer_fired = 0;
		timer_arm(left);
		int rc = flock(fd, LOCK_EX);
		int err = errno;
		timer_disarm();
		if (rc == 0)
			return DCRE_OK;
		if (err != EINTR) {
			errno = err;
			return DCRE_EIO;
		}
		/* the timer or another signal: the loop checks the time */
	}
}

/* Open the lock file without following a symbolic link (and without
 * blocking on a FIFO); only a regular file is accepted. */
static int open_lock_file(const char *path, const char *what, struct dcre_msg *msg)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0660);

	if (fd < 0) {
		if (errno == ELOOP)
			dcre_msg_set(msg, DCRE_EIO,
			             "%s: lock file %s is a symbolic link; refusing to follow it",
			             what, path);
		else
			dcre_msg_set(msg, DCRE_EIO, "%s: cannot open lock file %s: %s", what, path,
			             strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		dcre_msg_set(msg, DCRE_EIO, "%s: lock file %s is not a regular file", what, path);
		close(fd);
		return -1;
	}
	return fd;
}

enum dcre_err plc_lock_prepare(const char *path, struct dcre_msg *msg)
{
	int fd = open_lock_file(path, "plc.lockfile", msg);

	if (fd < 0)
		return DCRE_ECONFIG;
	/* start-up: no worker runs yet, so nobody else should hold it */
	enum dcre_err e = plc_flock_until(fd, dcre_time_now_ms() + PLC_STARTUP_LOCK_WAIT_MS);
	if (e) {
		int err = errno;
		close(fd);
		return dcre_msg_set(msg, DCRE_ECONFIG, "plc.lockfile: cannot lock %s: %s", path,
		                    e == DCRE_ETIMEDOUT ? "another process holds it"
		                                        : strerror(err));
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, "1\n", 2, 0) != 2) {
		int err = errno;
		close(fd);
		return dcre_msg_set(msg, DCRE_ECONFIG, "plc.lockfile: cannot write %s: %s", path,
		                    strerror(err));
	}
	close(fd); /* releases the lock */
	return DCRE_OK;
}

/* Is the locked descriptor still the file at the path? */
static bool still_the_file(int fd, const char *path)
{
	struct stat fs, ps;

	if (fstat(fd, &fs) < 0 || lstat(path, &ps) < 0)
		return false;
	return fs.st_dev == ps.st_dev && fs.st_ino == ps.st_ino && fs.st_nlink > 0;
}

static void read_counter(struct plc_lock *l)
{
	char buf[16];
	ssize_t n = pread(l->fd, buf, sizeof(buf) - 1, 0);

	l->file_len = n > 0 ? (int)n : 0;
	l->next_seq = 1;
	if (n > 0) {
		int v = 0, digits = 0;
		for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9' && digits < 4; i++) {
			v = v * 10 + (buf[i] - '0');
			digits++;
		}
		if (digits > 0 && v <= 254)
			l->next_seq = v;
	}
}

enum dcre_err plc_lock_take(struct plc_lock *l, const char *path, int wait_ms, struct dcre_msg *msg)
{
	long long deadline = dcre_time_now_ms() + wait_ms;

	for (int round = 0;; round++) {
		if (l->fd < 0) {
			/* opened in this process, so flock excludes the other workers */
			l->fd = open_lock_file(path, "PLC bus", msg);
			if (l->fd < 0)
				return DCRE_EIO;
		}
		enum dcre_err e = plc_flock_until(l->fd, deadline);
		if (e == DCRE_ETIMEDOUT)
			return dcre_msg_set(
			    msg, DCRE_ETIMEDOUT,
			    "PLC bus: timed out after %.1f s waiting for the bus lock "
			    "%s (another process holds it)",
			    wait_ms / 1000.0, path);
		if (e)
			return dcre_msg_set(msg, DCRE_EIO, "PLC bus: cannot lock %s: %s", path,
			                    strerror(errno));
		if (still_the_file(l->fd, path))
			break;
		/* deleted or replaced while we waited or since we opened it: the
		 * lock on the old file excludes nobody, take the path's file */
		dcre_warn("PLC bus: lock file %s was deleted or replaced; opening it again", path);
		plc_lock_close(l);
		if (round + 1 >= REOPEN_LIMIT)
			return dcre_msg_set(msg, DCRE_EIO,
			                    "PLC bus: lock file %s keeps changing; cannot lock it",
			                    path);
	}
	read_counter(l);
	return DCRE_OK;
}

uint8_t plc_lock_next_seq(struct plc_lock *l)
{
	uint8_t seq = (uint8_t)l->next_seq;
	char buf[8];
	int n;

	l->next_seq = (l->next_seq + 1) % 255;
	n = snprintf(buf, sizeof(buf), "%d\n", l->next_seq);
	/* the text only gets shorter when the counter wraps (254 -> 0) */
	if (pwrite(l->fd, buf, (size_t)n, 0) != n || (n < l->file_len && ftruncate(l->fd, n) < 0))
		dcre_warn("PLC bus: cannot store the sequence counter: %s", strerror(errno));
	l->file_len = n;
	return seq;
}

void plc_lock_release(struct plc_lock *l)
{
	if (l->fd >= 0 && flock(l->fd, LOCK_UN) < 0)
		dcre_warn("PLC bus: cannot unlock the bus lock: %s", strerror(errno));
}

void plc_lock_close(struct plc_lock *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}
