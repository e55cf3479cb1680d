/* SPDX-License-Identifier: MIT */
/* bench-emu-roundtrip: the bus ceiling of the benchmark (test/bench/README.md).
 *
 * Opens the emulator's pty link in raw mode and, for a fixed time, sends read
 * packets (thermistor by default) with the shared PLC codec, one outstanding
 * at a time, waiting for each answer with its sequence number. Prints the
 * round trips per second and the p50/p99 latency, then one machine-readable
 * line:
 *
 *   RESULT roundtrips=N seconds=S rate=R p50_us=X p99_us=Y max_us=Z errors=E
 *
 * With --lock FILE it holds the service's bus lock (flock) for the whole run,
 * so idle opendcre-fcgi workers sharing the emulator cannot interleave.
 * With --like-service it instead wraps every round trip in the steps of the
 * service's bus transaction (plc-protocol.md §7): flock, read and store the
 * sequence counter in the lock file, tcflush, write, receive, unlock; the
 * difference to a plain run is what the transaction costs.
 * Exit status: 0 when at least one round trip completed, 1 otherwise, 2 for a
 * usage error. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "plc_frame.h"

#define TYPE_THERMISTOR 0x9C

struct options {
	const char *link;
	const char *lock;
	uint32_t board;
	uint16_t device;
	uint8_t type;
	double seconds;
	int timeout_ms;
	long warmup;
	int like_service;
};

/* Latency samples in nanoseconds, grown as needed (aborts on OOM). */
struct samples {
	uint64_t *v;
	size_t n;
	size_t cap;
};

static void samples_add(struct samples *s, uint64_t ns)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 65536;
		s->v = dcre_xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = ns;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted samples; 0 when empty. */
static uint64_t percentile(const struct samples *s, double p)
{
	size_t rank;

	if (s->n == 0)
		return 0;
	rank = (size_t)(p / 100.0 * (double)s->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > s->n)
		rank = s->n;
	return s->v[rank - 1];
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void usage(FILE *f)
{
	fputs("Usage: bench-emu-roundtrip --link PATH [options]\n"
	      "Measures the PLC emulator's raw round-trip rate on its pty.\n\n"
	      "  --link PATH       the emulator's pty link (opendcre-emulator --pty PATH)\n"
	      "  --board HEX       board id (default 1)\n"
	      "  --device HEX      device id (default 1)\n"
	      "  --type HEX        device type code (default 9c, thermistor)\n"
	      "  --seconds S       measuring time (default 10)\n"
	      "  --timeout-ms N    answer timeout per round trip (default 1000)\n"
	      "  --warmup N        round trips before measuring (default 200)\n"
	      "  --lock FILE       hold flock(FILE) for the whole run (the service's\n"
	      "                    plc.lockfile)\n"
	      "  --like-service    take --lock around each round trip instead and do the\n"
	      "                    service's transaction steps (counter in the lock file,\n"
	      "                    tcflush)\n"
	      "  --help\n",
	      f);
}

static int parse_hex(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 16);
	if (errno || end == s || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
	    {"link", required_argument, NULL, 'l'},
	    {"board", required_argument, NULL, 'b'},
	    {"device", required_argument, NULL, 'd'},
	    {"type", required_argument, NULL, 't'},
	    {"seconds", required_argument, NULL, 's'},
	    {"timeout-ms", required_argument, NULL, 'T'},
	    {"warmup", required_argument, NULL, 'w'},
	    {"lock", required_argument, NULL, 'L'},
	    {"like-service", no_argument, NULL, 'S'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	unsigned long v;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o->link = optarg;
			break;
		case 'L':
			o->lock = optarg;
			break;
		case 'b':
			if (parse_hex(optarg, 0xFFFFFFFFul, &v) < 0)
				goto bad;
			o->board = (uint32_t)v;
			break;
		case 'd':
			if (parse_hex(optarg, 0xFFFFul, &v) < 0)
				goto bad;
			o->device = (uint16_t)v;
			break;
		case 't':
			if (parse_hex(optarg, 0xFFul, &v) < 0)
				goto bad;
			o->type = (uint8_t)v;
			break;
		case 's':
			errno = 0;
			o->seconds = strtod(optarg, &end);
			if (errno || end == optarg || *end ||
			    !(o->seconds > 0 && o->seconds <= 3600))
				goto bad;
			break;
		case 'T':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 60000)
				goto bad;
			o->timeout_ms = (int)v;
			break;
		case 'w':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || v > 1000000)
				goto bad;
			o->warmup = (long)v;
			break;
		case 'S':
			o->like_service = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (o->like_service && !o->lock) {
		fprintf(stderr, "bench-emu-roundtrip: --like-service needs --lock FILE\n");
		return -1;
	}
	if (!o->link || optind < argc) {
		usage(stderr);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "bench-emu-roundtrip: bad value '%s' for %s\n", optarg, argv[optind - 1]);
	return -1;
}

static int open_raw(const char *path)
{
	struct termios tio;
	int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		fprintf(stderr, "bench-emu-roundtrip: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (tcgetattr(fd, &tio) < 0) {
		fprintf(stderr, "bench-emu-roundtrip: %s is not a tty: %s\n", path,
		        strerror(errno));
		close(fd);
		return -1;
	}
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &tio) < 0) {
		fprintf(stderr, "bench-emu-roundtrip: cannot configure %s: %s\n", path,
		        strerror(errno));
		close(fd);
		return -1;
	}
	tcflush(fd, TCIOFLUSH);
	return fd;
}

/* The service's per-transaction bookkeeping around one exchange: lock, read
 * and store the counter, flush input. lock_fd < 0: nothing. */
static void txn_begin(int lock_fd, int fd, struct plc_reader *rd)
{
	char buf[16];
	ssize_t got;
	long v = 0;
	int n;

	if (lock_fd < 0)
		return;
	while (flock(lock_fd, LOCK_EX) < 0 && errno == EINTR)
		;
	got = pread(lock_fd, buf, sizeof(buf) - 1, 0);
	for (ssize_t i = 0; i < got && i < 4 && buf[i] >= '0' && buf[i] <= '9'; i++)
		v = v * 10 + (buf[i] - '0');
	tcflush(fd, TCIFLUSH);
	plc_reader_discard(rd);
	/* the service's counter moves on, so it stays valid for the service */
	n = snprintf(buf, sizeof(buf), "%ld\n", (v + 1) % 255);
	/* like the service: the text only gets shorter when the counter wraps */
	if (pwrite(lock_fd, buf, (size_t)n, 0) != n || (n < got && ftruncate(lock_fd, n) < 0))
		fprintf(stderr, "bench-emu-roundtrip: cannot store the counter: %s\n",
		        strerror(errno));
}

/* One request/answer exchange. Returns DCRE_OK and the latency in ns.
 * txn_lock >= 0: wrapped in the service's transaction steps. */
static enum dcre_err round_trip(int fd, struct plc_reader *rd, const struct plc_packet *req,
                                int timeout_ms, int txn_lock, uint64_t *ns)
{
	uint8_t frame[PLC_MAX_FRAME];
	struct plc_packet ans;
	struct dcre_msg why;
	size_t n = plc_frame_encode(req, frame);
	uint64_t t0 = now_ns();
	enum dcre_err e;

	txn_begin(txn_lock, fd, rd);
	e = plc_write_all(fd, frame, n);
	if (e == DCRE_OK)
		e = plc_reader_receive(rd, timeout_ms, req->seq, &ans, &why);
	if (txn_lock >= 0)
		flock(txn_lock, LOCK_UN);
	*ns = now_ns() - t0;
	return e;
}

int main(int argc, char **argv)
{
	struct options o = {.board = 1,
	                    .device = 1,
	                    .type = TYPE_THERMISTOR,
	                    .seconds = 10,
	                    .timeout_ms = 1000,
	                    .warmup = 200};
	struct plc_packet req = {.data = {'R'}, .len = 1};
	struct samples s = {0};
	struct plc_reader rd;
	unsigned long errors = 0, timeouts = 0;
	uint64_t t_start, t_end, ns;
	int fd, lock_fd = -1, txn_lock = -1, rc = 1;
	uint8_t seq = 0;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	req.type = o.type;
	req.board = o.board;
	req.device = o.device;

	if (o.lock) {
		lock_fd = open(o.lock, O_RDWR | O_CLOEXEC);
		if (lock_fd < 0 || (!o.like_service && flock(lock_fd, LOCK_EX) < 0)) {
			fprintf(stderr, "bench-emu-roundtrip: cannot lock %s: %s\n", o.lock,
			        strerror(errno));
			goto out;
		}
		if (o.like_service)
			txn_lock = lock_fd;
	}
	fd = open_raw(o.link);
	if (fd < 0)
		goto out;
	plc_reader_init(&rd, fd);

	for (long i = 0; i < o.warmup; i++) {
		req.seq = seq;
		seq = (uint8_t)((seq + 1) % 255);
		if (round_trip(fd, &rd, &req, o.timeout_ms, txn_lock, &ns) != DCRE_OK) {
			fprintf(stderr,
			        "bench-emu-roundtrip: no valid answer during warm-up "
			        "(board %08x device %04x type %02x)\n",
			        o.board, o.device, o.type);
			goto out_fd;
		}
	}

	t_start = now_ns();
	t_end = t_start + (uint64_t)(o.seconds * 1e9);
	while (now_ns() < t_end) {
		enum dcre_err e;

		req.seq = seq;
		seq = (uint8_t)((seq + 1) % 255);
		e = round_trip(fd, &rd, &req, o.timeout_ms, txn_lock, &ns);
		if (e == DCRE_OK) {
			samples_add(&s, ns);
			continue;
		}
		errors++;
		if (e == DCRE_ETIMEDOUT)
			timeouts++;
		else if (e == DCRE_EIO)
			break;
		/* start the next exchange from a clean line */
		tcflush(fd, TCIFLUSH);
		plc_reader_discard(&rd);
	}
	t_end = now_ns();

	double secs = (double)(t_end - t_start) / 1e9;
	double rate = (double)s.n / secs;
	if (s.n > 0)
		qsort(s.v, s.n, sizeof(*s.v), cmp_u64);
	uint64_t p50 = percentile(&s, 50), p99 = percentile(&s, 99);
	uint64_t max = s.n ? s.v[s.n - 1] : 0;

	printf("emulator round trips on %s (board %08x device %04x type %02x, one outstanding%s):\n"
	       "  %zu round trips in %.2f s = %.0f/s; latency p50 %.1f us, p99 %.1f us, max "
	       "%.1f us; %lu errors (%lu timeouts)\n",
	       o.link, o.board, o.device, o.type, o.like_service ? ", service transaction" : "",
	       s.n, secs, rate, (double)p50 / 1e3, (double)p99 / 1e3, (double)max / 1e3, errors,
	       timeouts);
	printf("RESULT roundtrips=%zu seconds=%.3f rate=%.1f p50_us=%.1f p99_us=%.1f max_us=%.1f "
	       "errors=%lu\n",
	       s.n, secs, rate, (double)p50 / 1e3, (double)p99 / 1e3, (double)max / 1e3, errors);
	rc = s.n > 0 ? 0 : 1;
out_fd:
	close(fd);
out:
	if (lock_fd >= 0)
		close(lock_fd);
	free(s.v);
	return rc;
}
