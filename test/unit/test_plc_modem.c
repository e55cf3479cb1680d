/* SPDX-License-Identifier: MIT */
/* The SIG60 modem of the Raspberry Pi HAT (plc-protocol.md §11):
 *  - the register codec against the spec's default (0x69/0x29), the
 *    frequency-pair and bit-rate tables, every flag, and round trips;
 *  - the wake, configure and read-back sequences on an in-process line
 *    simulator that records every line change with its monotonic time and
 *    answers INH like a modem (awake, slow to wake, never wakes), with the
 *    serial side on a real pty whose master end this test reads and answers;
 *  - the backend hooks (plc-protocol.md §7 steps 2 and 5, /plc_config) on
 *    the same simulator and pty. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "config.h"
#include "plc_backend.h"
#include "plc_modem.h"
#include "plc_serial.h"
#include "render.h"
#include "tap.h"

static double ms_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* ------------------------------------------------------------------ */
/* register codec                                                      */
/* ------------------------------------------------------------------ */

/* plc-protocol.md §11.6, copied from the spec (not from the code). */
static const double spec_pairs[16][2] = {
    {1.75, 4.5}, {1.75, 5.5}, {1.75, 6.0},  {1.75, 6.5}, {4.5, 5.5},  {4.5, 6.0},
    {4.5, 6.5},  {4.5, 10.5}, {10.5, 13.0}, {5.5, 10.5}, {5.5, 13.0}, {6.0, 10.5},
    {6.0, 13.0}, {6.5, 10.5}, {6.5, 13.0},  {5.5, 6.5},
};
static const int spec_low[4] = {38400, 57600, 9600, 19200};
static const int spec_high[4] = {38400, 57600, 115200, 19200};

static char *json_of(uint8_t reg0, uint8_t reg1)
{
	struct plc_modem_regs r;
	plc_modem_decode(reg0, reg1, &r);
	struct dcre_facts f = {0};
	plc_modem_regs_facts(&r, &f);
	cJSON *o = dcre_render_facts(&f);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	dcre_facts_clear(&f);
	return s;
}

static void test_codec_default(void)
{
	struct plc_modem_regs r;
	struct dcre_msg msg;
	uint8_t r0 = 0, r1 = 0;
	char *s = json_of(0x69, 0x29);

	tap_is_str(s,
	           "{\"auto_sleep\":true,\"auto_wum\":false,\"bit_rate\":115200,\"f0\":5.5,"
	           "\"f1\":10.5,\"frequency_number\":1,\"interference_detected\":false,"
	           "\"interference_hopping\":false,\"long_wum\":true,\"loopback_enabled\":false,"
	           "\"remote_loopback\":false}",
	           "reg0 0x69, reg1 0x29 decode to the default /plc_config answer of §11.7");
	free(s);

	r = (struct plc_modem_regs){.frequency_number = 1,
	                            .long_wum = true,
	                            .auto_sleep = true,
	                            .f0 = 5.5,
	                            .f1 = 10.5,
	                            .bit_rate = 115200};
	enum dcre_err e = plc_modem_encode(&r, &r0, &r1, &msg);
	tap_ok(e == DCRE_OK && r0 == 0x69 && r1 == 0x29,
	       "the default configuration of §11.6 encodes to reg0 0x69, reg1 0x29 (got 0x%02x, "
	       "0x%02x)",
	       r0, r1);
	r.auto_sleep = false;
	tap_ok(plc_modem_encode(&r, &r0, &r1, &msg) == DCRE_OK && r0 == 0x79 && r1 == 0x29,
	       "auto-sleep off (the emulator on a HAT) encodes to 0x79, 0x29");
	plc_modem_decode(0x79, 0x29, &r);
	tap_ok(!r.auto_sleep && !r.auto_wum && r.long_wum && r.frequency_number == 1,
	       "0x79 decodes to auto_sleep false, auto_wum false, long_wum true");
}

static void test_codec_tables(void)
{
	int pairs_ok = 0, rates_ok = 0;

	for (unsigned idx = 0; idx < 16; idx++) {
		double f0, f1;
		bool ok = plc_modem_freq_pair(idx, &f0, &f1) && f0 == spec_pairs[idx][0] &&
		          f1 == spec_pairs[idx][1];
		for (int fn = 0; fn < 2; fn++) {
			struct plc_modem_regs r;
			plc_modem_decode((uint8_t)fn, (uint8_t)idx, &r);
			ok = ok && r.f0 == spec_pairs[idx][0] && r.f1 == spec_pairs[idx][1] &&
			     r.frequency_number == fn;
			double active = spec_pairs[idx][fn];
			const int *table = active < 10.0 ? spec_low : spec_high;
			for (unsigned ri = 0; ri < 4; ri++) {
				plc_modem_decode((uint8_t)fn, (uint8_t)(idx | ri << 4), &r);
				if (r.bit_rate == table[ri])
					rates_ok++;
				else
					tap_diag("pair %u fn %d rate index %u: %d, want %d", idx,
					         fn, ri, r.bit_rate, table[ri]);
			}
		}
		if (ok)
			pairs_ok++;
		else
			tap_diag("frequency pair %u differs from the spec", idx);
	}
	tap_is_int(pairs_ok, 16, "all 16 frequency pairs (f0, f1) decode as in §11.6");
	tap_is_int(rates_ok, 16 * 2 * 4,
	           "bit rate for every pair, frequency number and rate index: (38400, 57600, "
	           "9600, 19200) below 10 MHz, (38400, 57600, 115200, 19200) from 10 MHz");
	tap_ok(!plc_modem_freq_pair(16, &(double){0}, &(double){0}), "no pair index 16");

	struct plc_modem_regs r;
	plc_modem_decode(0x00, 0x29, &r); /* active f0 = 5.5 MHz */
	tap_is_int(r.bit_rate, 9600, "pair 9, rate index 2, frequency 0 (5.5 MHz): 9600");
	plc_modem_decode(0x00, 0x28, &r); /* pair 8: active f0 = 10.5 MHz */
	tap_is_int(r.bit_rate, 115200, "pair 8, rate index 2, frequency 0 (10.5 MHz): 115200");
	plc_modem_decode(0x01, 0x20, &r); /* pair 0: active f1 = 4.5 MHz */
	tap_is_int(r.bit_rate, 9600, "pair 0, rate index 2, frequency 1 (4.5 MHz): 9600");

	char *s = json_of(0x00, 0x08);
	tap_ok(s && strstr(s, "\"f0\":10.5,\"f1\":13.0,"),
	       "MHz written as JSON numbers in Python repr form (13.0, not 13): %s", s);
	free(s);
	s = json_of(0x00, 0x00);
	tap_ok(s && strstr(s, "\"f0\":1.75,\"f1\":4.5,"), "1.75 and 4.5 MHz: %s", s);
	free(s);
}

static void test_codec_flags(void)
{
	static const struct {
		uint8_t bit;
		const char *key;
		const char *when_set;
	} flags[] = {
	    {0x01, "frequency_number", "1"},        {0x02, "remote_loopback", "true"},
	    {0x04, "interference_hopping", "true"}, {0x08, "long_wum", "true"},
	    {0x10, "auto_sleep", "false"},          {0x20, "auto_wum", "false"},
	    {0x40, "loopback_enabled", "false"},    {0x80, "interference_detected", "true"},
	};
	int ok = 0;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		/* pair 9 keeps the bit rate valid for both frequency numbers */
		char *all_clear = json_of(0x00, 0x09), *one = json_of(flags[i].bit, 0x09);
		char want[64];
		snprintf(want, sizeof(want), "\"%s\":%s", flags[i].key, flags[i].when_set);
		if (strstr(one, want) && !strstr(all_clear, want))
			ok++;
		else
			tap_diag("reg0 bit 0x%02x: %s", flags[i].bit, one);
		free(all_clear);
		free(one);
	}
	tap_is_int(ok, 8, "each reg0 bit sets exactly its §11.7 key (b4-b6 inverted)");
}

static bool regs_equal(const struct plc_modem_regs *a, const struct plc_modem_regs *b)
{
	return a->frequency_number == b->frequency_number &&
	       a->remote_loopback == b->remote_loopback &&
	       a->interference_hopping == b->interference_hopping && a->long_wum == b->long_wum &&
	       a->auto_sleep == b->auto_sleep && a->auto_wum == b->auto_wum &&
	       a->loopback_enabled == b->loopback_enabled &&
	       a->interference_detected == b->interference_detected && a->f0 == b->f0 &&
	       a->f1 == b->f1 && a->bit_rate == b->bit_rate;
}

static void test_codec_round_trip(void)
{
	int bad = 0, high_ignored = 0;
	struct dcre_msg msg;

	for (unsigned r0 = 0; r0 < 256; r0++) {
		for (unsigned r1 = 0; r1 < 64; r1++) {
			struct plc_modem_regs r, hi;
			uint8_t e0 = 0, e1 = 0;
			plc_modem_decode((uint8_t)r0, (uint8_t)r1, &r);
			if (plc_modem_encode(&r, &e0, &e1, &msg) != DCRE_OK || e0 != r0 ||
			    e1 != r1) {
				if (bad++ < 5)
					tap_diag("0x%02x 0x%02x -> 0x%02x 0x%02x", r0, r1, e0, e1);
			}
			plc_modem_decode((uint8_t)r0, (uint8_t)(r1 | 0xC0), &hi);
			if (regs_equal(&hi, &r))
				high_ignored++;
		}
	}
	tap_is_int(bad, 0, "encode(decode(reg0, reg1)) gives back every reg0 and reg1 (bits 0-5)");
	tap_is_int(high_ignored, 256 * 64, "reg1 bits 6-7 do not change the decoded fields");
}

static void test_codec_errors(void)
{
	struct plc_modem_regs r = {.frequency_number = 1, .f0 = 5.5, .f1 = 10.5, .bit_rate = 9600};
	struct dcre_msg msg = {{0}};
	uint8_t r0 = 0xAA, r1 = 0xAA;

	tap_ok(plc_modem_encode(&r, &r0, &r1, &msg) == DCRE_EINVAL && strstr(msg.text, "9600") &&
	           strstr(msg.text, "10.5 MHz") && r0 == 0xAA,
	       "9600 bit/s at 10.5 MHz refused: %s", msg.text);
	r.frequency_number = 0;
	r.bit_rate = 115200;
	tap_ok(plc_modem_encode(&r, &r0, &r1, &msg) == DCRE_EINVAL && strstr(msg.text, "5.5 MHz"),
	       "115200 bit/s at 5.5 MHz refused: %s", msg.text);
	r.f1 = 5.5;
	r.bit_rate = 9600;
	tap_ok(plc_modem_encode(&r, &r0, &r1, &msg) == DCRE_EINVAL && strstr(msg.text, "pair"),
	       "(5.5, 5.5) is not a frequency pair: %s", msg.text);
	r.f1 = 10.5;
	r.frequency_number = 2;
	tap_ok(plc_modem_encode(&r, &r0, &r1, &msg) == DCRE_EINVAL, "frequency number 2 refused");
}

/* ------------------------------------------------------------------ */
/* line simulator                                                      */
/* ------------------------------------------------------------------ */

enum sim_kind {
	EV_INPUT,  /* made an input */
	EV_OUTPUT, /* made an output driven to value */
	EV_SET,    /* output driven to value */
};

struct sim_event {
	enum plc_line line;
	enum sim_kind kind;
	int value;
	double t; /* ms, CLOCK_MONOTONIC */
};

enum sim_mode {
	SIM_AWAKE,
	SIM_SLOW, /* wakes wake_ms after the rising edge of nSLEEP */
	SIM_NEVER,
};

struct sim {
	enum sim_mode mode;
	double wake_ms;
	double wake_at; /* 0: no wake pulse seen */
	bool output[PLC_LINE_COUNT];
	int value[PLC_LINE_COUNT];
	struct sim_event ev[256];
	size_t nev;
	size_t inh_reads;
	double first_read_after_pulse;
	int misuse;           /* INH driven, or a value set on an input line */
	int fail_line;        /* -1, or a line whose changes fail */
	int slave;            /* the pty side the modem code writes to, or -1 */
	int master;           /* the pty side this test reads, or -1 */
	bool drain_at_high;   /* read the bytes sent when CMD goes high */
	bool wait_at_high;    /* or wait there until a responder has read them */
	speed_t speed_at_low; /* at CMD low (command mode) */
	speed_t speed_at_high;
	uint8_t bytes[64]; /* bytes on the line when CMD went high */
	size_t nbytes;
	int cmd_lows;
};

static speed_t speed_of_fd(int fd)
{
	struct termios t;
	return tcgetattr(fd, &t) == 0 ? cfgetospeed(&t) : (speed_t)-1;
}

/* Read what the modem code wrote so far (non-blocking master). */
static size_t drain_master(int master, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	while (n < cap) {
		ssize_t r = read(master, buf + n, cap - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	return n;
}

static void sim_record(struct sim *s, enum plc_line l, enum sim_kind k, int v)
{
	if (s->nev < sizeof(s->ev) / sizeof(s->ev[0]))
		s->ev[s->nev++] = (struct sim_event){l, k, v, ms_now()};
}

/* What the SIG60 sees on its side of CMD. */
static void sim_cmd_changed(struct sim *s, int old_level, int level)
{
	if (s->slave < 0)
		return;
	if (old_level && !level) {
		s->cmd_lows++;
		s->speed_at_low = speed_of_fd(s->slave);
	} else if (!old_level && level) {
		s->speed_at_high = speed_of_fd(s->slave);
		if (s->drain_at_high)
			s->nbytes += drain_master(s->master, s->bytes + s->nbytes,
			                          sizeof(s->bytes) - s->nbytes);
		/* the next sequence starts with a flush that would also drop
		 * bytes the responder thread has not read yet */
		double end = ms_now() + 5000; /* a loaded machine: sleep, do not spin */
		int pending = 1;
		while (s->wait_at_high && ms_now() < end &&
		       ioctl(s->master, FIONREAD, &pending) == 0 && pending > 0)
			nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
}

/* The level of a line as the modem sees it: outputs as driven, inputs
 * pulled up. */
static int sim_level(const struct sim *s, enum plc_line l)
{
	return s->output[l] ? s->value[l] : 1;
}

static enum dcre_err sim_fail(struct sim *s, enum plc_line l, struct dcre_msg *msg)
{
	(void)s;
	return dcre_msg_set(msg, DCRE_EIO, "simulated chip line %s: cannot change it: I/O error",
	                    plc_modem_line_name(l));
}

static enum dcre_err sim_get(void *lines, enum plc_line l, int *value, struct dcre_msg *msg)
{
	struct sim *s = lines;
	double t = ms_now();

	(void)msg;
	if (l != PLC_LINE_INH) {
		*value = sim_level(s, l);
		return DCRE_OK;
	}
	if (s->output[l])
		s->misuse++;
	s->inh_reads++;
	if (s->wake_at > 0 && s->first_read_after_pulse == 0)
		s->first_read_after_pulse = t;
	switch (s->mode) {
	case SIM_AWAKE:
		*value = 1;
		break;
	case SIM_SLOW:
		*value = s->wake_at > 0 && t >= s->wake_at + s->wake_ms;
		break;
	case SIM_NEVER:
		*value = 0;
		break;
	}
	return DCRE_OK;
}

static void sim_change(struct sim *s, enum plc_line l, bool output, int value)
{
	int old = sim_level(s, l);
	s->output[l] = output;
	if (output)
		s->value[l] = value;
	int level = sim_level(s, l);
	if (l == PLC_LINE_NSLEEP && !old && level)
		s->wake_at = ms_now(); /* rising edge ends the wake pulse */
	if (l == PLC_LINE_CMD && old != level)
		sim_cmd_changed(s, old, level);
}

static enum dcre_err sim_set(void *lines, enum plc_line l, int value, struct dcre_msg *msg)
{
	struct sim *s = lines;
	if ((int)l == s->fail_line)
		return sim_fail(s, l, msg);
	if (!s->output[l])
		s->misuse++;
	sim_record(s, l, EV_SET, value);
	sim_change(s, l, true, value);
	return DCRE_OK;
}

static enum dcre_err sim_set_input(void *lines, enum plc_line l, struct dcre_msg *msg)
{
	struct sim *s = lines;
	if ((int)l == s->fail_line)
		return sim_fail(s, l, msg);
	sim_record(s, l, EV_INPUT, 0);
	sim_change(s, l, false, 0);
	return DCRE_OK;
}

static enum dcre_err sim_set_output(void *lines, enum plc_line l, int value, struct dcre_msg *msg)
{
	struct sim *s = lines;
	if ((int)l == s->fail_line)
		return sim_fail(s, l, msg);
	if (l == PLC_LINE_INH)
		s->misuse++;
	sim_record(s, l, EV_OUTPUT, value);
	sim_change(s, l, true, value);
	return DCRE_OK;
}

static const struct plc_lines_ops sim_ops = {
    .get = sim_get,
    .set = sim_set,
    .set_input = sim_set_input,
    .set_output = sim_set_output,
    .free = NULL, /* the test owns the simulator */
};

/* The state dcre_plc_modem_open leaves: CMD output high, FREQ output,
 * INH, nSLEEP, SELECT inputs. */
static void sim_init(struct sim *s, enum sim_mode mode, double wake_ms)
{
	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->wake_ms = wake_ms;
	s->fail_line = -1;
	s->slave = s->master = -1;
	s->output[PLC_LINE_CMD] = true;
	s->value[PLC_LINE_CMD] = 1;
	s->output[PLC_LINE_FREQ] = true;
	s->value[PLC_LINE_FREQ] = 1;
}

static const char *kind_name(enum sim_kind k)
{
	return k == EV_INPUT ? "input" : k == EV_OUTPUT ? "output" : "set";
}

static void sim_dump(const struct sim *s)
{
	for (size_t i = 0; i < s->nev; i++)
		tap_diag("  %8.3f ms %-6s %-6s %d", s->ev[i].t - s->ev[0].t,
		         plc_modem_line_name(s->ev[i].line), kind_name(s->ev[i].kind),
		         s->ev[i].value);
}

/* Events from index `from` match want (line, kind, value). */
struct want_ev {
	enum plc_line line;
	enum sim_kind kind;
	int value;
};

static bool events_are(const struct sim *s, size_t from, const struct want_ev *w, size_t n)
{
	if (s->nev - from != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct sim_event *e = &s->ev[from + i];
		if (e->line != w[i].line || e->kind != w[i].kind ||
		    (e->kind != EV_INPUT && e->value != w[i].value))
			return false;
	}
	return true;
}

/* §11.4 steps 2-6 (FREQ per reg0 bit 0). */
static size_t configure_events(struct want_ev *w, int freq)
{
	const struct want_ev seq[] = {
	    {PLC_LINE_FREQ, EV_OUTPUT, freq}, {PLC_LINE_NSLEEP, EV_INPUT, 0},
	    {PLC_LINE_CMD, EV_INPUT, 0},      {PLC_LINE_SELECT, EV_INPUT, 0},
	    {PLC_LINE_CMD, EV_OUTPUT, 0},     {PLC_LINE_CMD, EV_SET, 1},
	};
	memcpy(w, seq, sizeof(seq));
	return sizeof(seq) / sizeof(seq[0]);
}

/* ------------------------------------------------------------------ */
/* pty and configuration                                               */
/* ------------------------------------------------------------------ */

struct rig {
	struct dcre_plc_config cfg;
	char device[64];
	char chip[16];
	char lockfile[64];
	int master, slave;
};

static bool rig_open(struct rig *r, int baud, double timeout)
{
	memset(r, 0, sizeof(*r));
	r->master = r->slave = -1;
	r->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (r->master < 0 || grantpt(r->master) < 0 || unlockpt(r->master) < 0 ||
	    ptsname_r(r->master, r->device, sizeof(r->device)) != 0)
		return false;
	fcntl(r->master, F_SETFL, O_NONBLOCK);
	snprintf(r->chip, sizeof(r->chip), "gpiochip0");
	snprintf(r->lockfile, sizeof(r->lockfile), "/tmp/test_plc_modem.%ld.lock", (long)getpid());
	r->cfg = (struct dcre_plc_config){
	    .enabled = true,
	    .hardware_type = DCRE_HW_RPI_HAT,
	    .device = r->device,
	    .baud = baud,
	    .lockfile = r->lockfile,
	    .timeout = timeout,
	    .retry_limit = 3,
	    .time_slice = 75,
	    .mac_set = true,
	    .board_lo = 0,
	    .board_hi = 0x3FFFFFFF,
	    .modem_reg0 = 0x69,
	    .modem_reg1 = 0x29,
	};
	r->cfg.gpio.chip = r->chip;
	r->cfg.gpio.cmd = 27;
	r->cfg.gpio.freq = 10;
	r->cfg.gpio.inh = 22;
	r->cfg.gpio.nsleep = 17;
	r->cfg.gpio.select = 9;
	struct dcre_msg msg;
	r->slave = plc_serial_open(r->device, baud, &msg);
	if (r->slave < 0)
		tap_diag("%s", msg.text);
	return r->slave >= 0;
}

static void rig_close(struct rig *r)
{
	if (r->slave >= 0)
		close(r->slave);
	if (r->master >= 0)
		close(r->master);
	unlink(r->lockfile);
}

/* The simulator reads the register bytes itself. */
static void sim_attach(struct sim *s, const struct rig *r)
{
	s->slave = r->slave;
	s->master = r->master;
	s->drain_at_high = true;
}

/* A responder thread reads the line; the simulator waits for it. */
static void sim_attach_responder(struct sim *s, const struct rig *r)
{
	s->slave = r->slave;
	s->master = r->master;
	s->wait_at_high = true;
}

/* The modem's side of the register read-back: answers 0x0D with reg0 and
 * 0x1D with reg1 (unless told to stay silent), records every byte and the
 * line speed when it arrived. */
struct responder {
	int master, slave;
	uint8_t reg0, reg1;
	bool answer0, answer1;
	int max_bytes;     /* stop after this many bytes */
	int run_ms;        /* and after this long */
	atomic_bool drain; /* set: stop once the line is quiet for 100 ms */
	uint8_t got[64];
	speed_t speed[64];
	size_t ngot;
	pthread_t th;
};

static void *responder_main(void *arg)
{
	struct responder *rs = arg;
	double end = ms_now() + rs->run_ms;
	int quiet = 0;

	while (ms_now() < end && (int)rs->ngot < rs->max_bytes) {
		struct pollfd p = {.fd = rs->master, .events = POLLIN};
		if (poll(&p, 1, 10) <= 0) {
			if (atomic_load(&rs->drain) && ++quiet >= 10)
				break;
			continue;
		}
		quiet = 0;
		uint8_t b;
		while ((int)rs->ngot < rs->max_bytes && read(rs->master, &b, 1) == 1) {
			speed_t sp = speed_of_fd(rs->slave);
			if (rs->ngot < sizeof(rs->got)) {
				rs->got[rs->ngot] = b;
				rs->speed[rs->ngot] = sp;
			}
			rs->ngot++;
			uint8_t a = 0;
			bool send = false;
			if (b == 0x0D && rs->answer0) {
				a = rs->reg0;
				send = true;
			} else if (b == 0x1D && rs->answer1) {
				a = rs->reg1;
				send = true;
			}
			if (send && write(rs->master, &a, 1) != 1)
				tap_diag("responder: write failed: %s", strerror(errno));
		}
	}
	return NULL;
}

static void responder_start(struct responder *rs, const struct rig *r, uint8_t reg0, uint8_t reg1,
                            bool answer0, bool answer1, int max_bytes, int run_ms)
{
	memset(rs, 0, sizeof(*rs));
	atomic_init(&rs->drain, false);
	rs->master = r->master;
	rs->slave = r->slave;
	rs->reg0 = reg0;
	rs->reg1 = reg1;
	rs->answer0 = answer0;
	rs->answer1 = answer1;
	rs->max_bytes = max_bytes;
	rs->run_ms = run_ms;
	pthread_create(&rs->th, NULL, responder_main, rs);
}

static void responder_join(struct responder *rs)
{
	pthread_join(rs->th, NULL);
}

/* The request has returned: take what is still on the line, then stop. */
static void responder_finish(struct responder *rs)
{
	atomic_store(&rs->drain, true);
	pthread_join(rs->th, NULL);
}

/* ------------------------------------------------------------------ */
/* wake                                                                */
/* ------------------------------------------------------------------ */

static void test_wake_awake(void)
{
	struct rig r;
	struct sim s;
	struct dcre_msg msg = {{0}};
	bool woke = true;

	rig_open(&r, 115200, 0.25);
	sim_init(&s, SIM_AWAKE, 0);
	struct plc_modem *m = plc_modem_new(&r.cfg, &sim_ops, &s);
	double t0 = ms_now();
	enum dcre_err e = plc_modem_wake(m, &woke, &msg);
	double took = ms_now() - t0;
	tap_ok(e == DCRE_OK && !woke, "awake modem (INH high): success, no wake needed");
	tap_ok(s.nev == 0 && s.inh_reads == 1,
	       "awake: INH read once, no line changed (%zu changes)", s.nev);
	tap_ok(took < 20, "awake: returns at once (%.3f ms)", took);
	dcre_plc_modem_free(m);
	rig_close(&r);
}

static void test_wake_slow(void)
{
	struct rig r;
	struct sim s;
	struct dcre_msg msg = {{0}};
	bool woke = false;

	rig_open(&r, 115200, 0.25);
	sim_init(&s, SIM_SLOW, 300);
	struct plc_modem *m = plc_modem_new(&r.cfg, &sim_ops, &s);
	double t0 = ms_now();
	enum dcre_err e = plc_modem_wake(m, &woke, &msg);
	double t_end = ms_now();
	tap_ok(e == DCRE_OK && woke, "modem that wakes 300 ms after the pulse: success, woke");
	const struct want_ev pulse[] = {{PLC_LINE_NSLEEP, EV_OUTPUT, 0},
	                                {PLC_LINE_NSLEEP, EV_SET, 1}};
	bool shape = events_are(&s, 0, pulse, 2);
	tap_ok(shape, "slow wake: exactly nSLEEP driven low, then high");
	if (!shape)
		sim_dump(&s);
	if (s.nev >= 2) {
		double low = s.ev[1].t - s.ev[0].t;
		double settle = s.first_read_after_pulse - s.ev[1].t;
		double after_inh = t_end - (s.wake_at + s.wake_ms);
		tap_ok(low >= 1.0 && low < 50, "nSLEEP held low for >= 1 ms (%.3f ms)", low);
		tap_ok(settle >= 1.0, "first INH poll >= 1 ms after nSLEEP went high (%.3f ms)",
		       settle);
		tap_ok(after_inh >= 150.0 && after_inh < 400,
		       "150 ms wait for the wake-up message after INH went high (%.3f ms)",
		       after_inh);
		tap_diag("slow wake: total %.1f ms, %zu INH polls over ~300 ms", t_end - t0,
		         s.inh_reads - 1);
	}
	tap_ok(s.inh_reads - 1 >= 50 && s.inh_reads - 1 <= 302,
	       "INH polled about every 1 ms, never faster (%zu polls in 300 ms)", s.inh_reads - 1);
	tap_ok(s.misuse == 0, "INH never driven, no value set on an input");
	dcre_plc_modem_free(m);
	rig_close(&r);
}

static void test_wake_never(void)
{
	struct rig r;
	struct sim s;
	struct dcre_msg msg = {{0}};
	bool woke = false;

	rig_open(&r, 115200, 0.25);
	snprintf(r.chip, sizeof(r.chip), "gpiochip4");
	r.cfg.gpio.inh = 5;
	sim_init(&s, SIM_NEVER, 0);
	struct plc_modem *m = plc_modem_new(&r.cfg, &sim_ops, &s);
	double t0 = ms_now();
	enum dcre_err e = plc_modem_wake(m, &woke, &msg);
	double took = ms_now() - t0;
	tap_ok(e == DCRE_ETIMEDOUT && woke, "modem that never wakes: DCRE_ETIMEDOUT");
	tap_ok(strncmp(msg.text, "PLC modem did not wake up", 25) == 0 &&
	           strstr(msg.text, "gpiochip4") && strstr(msg.text, "line 5") &&
	           strstr(msg.text, "INH"),
	       "message names the failure, the chip and the INH line: %s", msg.text);
	tap_ok(took >= 2000 && took < 3500, "gives up after 2 s of polling, not before (%.1f ms)",
	       took);
	tap_ok(s.inh_reads >= 200 && s.inh_reads <= 2003, "%zu INH polls in 2 s", s.inh_reads);
	dcre_plc_modem_free(m);
	rig_close(&r);
}

static void test_wake_line_error(void)
{
	struct rig r;
	struct sim s;
	struct dcre_msg msg = {{0}};
	bool woke = false;

	rig_open(&r, 115200, 0.25);
	sim_init(&s, SIM_SLOW, 10);
	s.fail_line = PLC_LINE_NSLEEP;
	struct plc_modem *m = plc_modem_new(&r.cfg, &sim_ops, &s);
	enum dcre_err e = plc_modem_wake(m, &woke, &msg);
	tap_ok(e == DCRE_EIO && strstr(msg.text, "PLC modem: ") && strstr(msg.text, "nSLEEP"),
	       "a line that cannot be driven fails the wake, naming the line: %s", msg.text);
	dcre_plc_modem_free(m);
	rig_close(&r);
}

/* ------------------------------------------------------------------ */
/* configure                                                           */
/* ------------------------------------------------------------------ */

static void check_configure(int baud, uint8_t reg0, speed_t restored)
{
	struct rig r;
	struct sim s;
	struct dcre_msg msg = {{0}};
	struct want_ev w[8];
	uint8_t junk[3] = {0x55, 0x66, 0x77}, left[8];

	if (!rig_open(&r, baud, 0.25)) {
		tap_ok(0, "pty");
		return;
	}
	r.cfg.modem_reg0 = reg0;
	sim_init(&s, SIM_AWAKE, 0);
	sim_attach(&s, &r);
	/* stale bytes from the modem before the sequence: step 1 discards them */
	tap_ok(write(r.master, junk, sizeof(junk)) == 3, "stale input queued");
	struct plc_modem *m = plc_modem_new(&r.cfg, &sim_ops, &s);
	enum dcre_err e = plc_modem_configure(m, r.slave, &msg);
	tap_ok(e == DCRE_OK, "configure (reg0 0x%02x, plc.baud %d): success %s", reg0, baud,
	       e ? msg.text : "");
	size_t n = configure_events(w, reg0 & 1);
	bool shape = events_are(&s, 0, w, n);
	tap_ok(shape,
	       "line changes are §11.4 steps 2-6: FREQ=%d, nSLEEP/CMD/SELECT inputs, CMD "
	       "output low, CMD high",
	       reg0 & 1);
	if (!shape)
		sim_dump(&s);
	tap_ok(s.speed_at_low == B19200, "the line is at 19200 baud when CMD goes low");
	tap_ok(s.speed_at_high == B19200, "and still at 19200 baud when CMD goes high");
	const uint8_t want[4] = {0x05, reg0, 0x15, 0x29};
	tap_ok(s.nbytes == 4 && memcmp(s.bytes, want, 4) == 0,
	       "bytes 05 %02x 15 29 were on the line while CMD was low (%zu bytes: %02x %02x "
	       "%02x %02x)",
	       reg0, s.nbytes, s.bytes[0], s.bytes[1], s.bytes[2], s.bytes[3]);
	tap_ok(speed_of_fd(r.slave) == restored, "plc.baud %d restored afterwards", baud);
	if (shape) {
		double low = s.ev[5].t - s.ev[4].t;
		tap_ok(low >= 2.0, "CMD low for >= 2 ms (1 ms, the bytes, 1 ms): %.3f ms", low);
	}
	tap_ok(drain_master(r.master, left, sizeof(left)) == 0, "nothing else was written");
	ssize_t got = read(r.slave, left, sizeof(left));
	tap_ok(got < 0 && errno == EAGAIN, "stale input was discarded (read: %zd)", got);
	dcre_plc_modem_free(m);
	rig_close(&r);
}

static void test_configure_failure(void)
{
	struct rig r;
	struct sim s;
	struct dcre_msg msg = {{0}};

	rig_open(&r, 115200, 0.25);
	sim_init(&s, SIM_AWAKE, 0);
	sim_attach(&s, &r);
	s.fail_line = PLC_LINE_SELECT;
	struct plc_modem *m = plc_modem_new(&r.cfg, &sim_ops, &s);
	enum dcre_err e = plc_modem_configure(m, r.slave, &msg);
	tap_ok(e == DCRE_EIO && strstr(msg.text, "SELECT"),
	       "a line failing mid-sequence fails the configure, naming it: %s", msg.text);
	tap_ok(speed_of_fd(r.slave) == B115200, "baud restored after the failure");
	tap_ok(s.nbytes == 0 && s.nev > 0 && s.ev[s.nev - 1].line == PLC_LINE_CMD &&
	           s.ev[s.nev - 1].kind == EV_OUTPUT && s.ev[s.nev - 1].value == 1,
	       "no register bytes sent; CMD left as an output driven high (data mode)");
	dcre_plc_modem_free(m);
	rig_close(&r);
}

/* ------------------------------------------------------------------ */
/* read-back                                                           */
/* ------------------------------------------------------------------ */

static void test_read_regs(void)
{
	struct rig r;
	struct sim s;
	struct responder rs;
	struct dcre_msg msg = {{0}};
	struct want_ev w[8];
	uint8_t reg0 = 0, reg1 = 0;

	rig_open(&r, 115200, 0.25);
	sim_init(&s, SIM_AWAKE, 0);
	sim_attach_responder(&s, &r);
	struct plc_modem *m = plc_modem_new(&r.cfg, &sim_ops, &s);
	responder_start(&rs, &r, 0x6B, 0x1A, true, true, 2, 5000);
	enum dcre_err e = plc_modem_read_regs(m, r.slave, &reg0, &reg1, &msg);
	responder_join(&rs);
	tap_ok(e == DCRE_OK && reg0 == 0x6B && reg1 == 0x1A,
	       "read-back: 0x0D answered 0x6b, 0x1D answered 0x1a (%s)", e ? msg.text : "ok");
	tap_ok(rs.ngot == 2 && rs.got[0] == 0x0D && rs.got[1] == 0x1D,
	       "the modem received 0D then 1D");
	tap_ok(rs.ngot == 2 && rs.speed[0] == B19200 && rs.speed[1] == B19200,
	       "both at 19200 baud");
	size_t n = configure_events(w, 1);
	bool shape = events_are(&s, 0, w, n);
	tap_ok(shape, "line changes: §11.4 steps 2-4, then CMD high");
	if (!shape)
		sim_dump(&s);
	tap_ok(speed_of_fd(r.slave) == B115200, "plc.baud restored");
	dcre_plc_modem_free(m);

	/* the second register never comes */
	r.cfg.timeout = 0.1;
	sim_init(&s, SIM_AWAKE, 0);
	sim_attach_responder(&s, &r);
	m = plc_modem_new(&r.cfg, &sim_ops, &s);
	responder_start(&rs, &r, 0x69, 0, true, false, 2, 5000);
	double t0 = ms_now();
	e = plc_modem_read_regs(m, r.slave, &reg0, &reg1, &msg);
	double took = ms_now() - t0;
	responder_join(&rs);
	tap_ok(e == DCRE_ETIMEDOUT && strstr(msg.text, "register 1") &&
	           strstr(msg.text, r.device) && strstr(msg.text, "0.1 s"),
	       "unanswered register 1: DCRE_ETIMEDOUT naming register, device and timeout: %s",
	       msg.text);
	tap_ok(took >= 100 && took < 1000, "after plc.timeout (%.1f ms)", took);
	tap_ok(s.nev > 0 && s.ev[s.nev - 1].line == PLC_LINE_CMD && s.ev[s.nev - 1].value == 1 &&
	           speed_of_fd(r.slave) == B115200,
	       "CMD back high and plc.baud restored after the timeout");
	dcre_plc_modem_free(m);
	rig_close(&r);
}

/* ------------------------------------------------------------------ */
/* start-up (§11.2)                                                    */
/* ------------------------------------------------------------------ */

static void test_startup(void)
{
	struct rig r;
	struct sim s;
	struct responder rs;
	struct dcre_msg msg = {{0}};

	rig_open(&r, 115200, 0.25);
	sim_init(&s, SIM_SLOW, 20);
	sim_attach_responder(&s, &r);
	struct plc_modem *m = plc_modem_new(&r.cfg, &sim_ops, &s);
	responder_start(&rs, &r, 0x69, 0x29, true, true, 6, 5000);
	enum dcre_err e = dcre_plc_modem_startup(m, &msg);
	responder_join(&rs);
	const uint8_t want[6] = {0x05, 0x69, 0x15, 0x29, 0x0D, 0x1D};
	tap_ok(e == DCRE_OK, "start-up on a sleeping modem: success %s", e ? msg.text : "");
	tap_ok(rs.ngot == 6 && memcmp(rs.got, want, 6) == 0,
	       "start-up sent 05 69 15 29 then 0D 1D (%zu bytes)", rs.ngot);
	tap_ok(s.nev >= 2 && s.ev[0].line == PLC_LINE_NSLEEP && s.ev[0].value == 0,
	       "start-up woke the modem first (nSLEEP pulse)");
	tap_ok(s.cmd_lows == 2, "command mode entered twice (configure, read-back)");
	dcre_plc_modem_free(m);

	char missing[] = "/nonexistent/tty";
	sim_init(&s, SIM_AWAKE, 0);
	r.cfg.device = missing;
	m = plc_modem_new(&r.cfg, &sim_ops, &s);
	e = dcre_plc_modem_startup(m, &msg);
	tap_ok(e == DCRE_EIO && strstr(msg.text, "/nonexistent/tty"),
	       "start-up with a missing serial device: error naming it: %s", msg.text);
	dcre_plc_modem_free(m);
	r.cfg.device = r.device;
	rig_close(&r);
}

/* ------------------------------------------------------------------ */
/* backend hooks                                                       */
/* ------------------------------------------------------------------ */

static void test_backend(void)
{
	struct rig r;
	struct sim s;
	struct responder rs;
	struct dcre_msg msg = {{0}};
	struct dcre_facts facts = {0};
	struct dcre_reading reading = {0};

	rig_open(&r, 115200, 0.1);
	/* /plc_config with a sleeping modem: wake, configure, read back */
	sim_init(&s, SIM_SLOW, 20);
	sim_attach_responder(&s, &r);
	struct plc_modem *m = plc_modem_new(&r.cfg, &sim_ops, &s);
	struct dcre_backend *b = dcre_plc_backend_new(&r.cfg, m);
	responder_start(&rs, &r, 0x69, 0x29, true, true, 6, 5000);
	enum dcre_err e = b->ops->config_facts(b, &facts, &msg);
	responder_join(&rs);
	cJSON *out = e == DCRE_OK ? dcre_render_facts(&facts) : NULL;
	char *text = out ? cJSON_PrintUnformatted(out) : NULL;
	tap_ok(e == DCRE_OK && text && strstr(text, "\"bit_rate\":115200,\"f0\":5.5,\"f1\":10.5"),
	       "/plc_config on a sleeping modem answers the decoded registers: %s",
	       text ? text : msg.text);
	const uint8_t want[6] = {0x05, 0x69, 0x15, 0x29, 0x0D, 0x1D};
	tap_ok(rs.ngot == 6 && memcmp(rs.got, want, 6) == 0 && s.ev[0].line == PLC_LINE_NSLEEP,
	       "/plc_config woke, configured (05 69 15 29) and read back (0D 1D)");
	free(text);
	cJSON_Delete(out);
	dcre_facts_clear(&facts);

	/* /plc_config with an awake modem: read-back only */
	s.mode = SIM_AWAKE;
	s.nev = 0;
	responder_start(&rs, &r, 0x69, 0x29, true, true, 2, 5000);
	e = b->ops->config_facts(b, &facts, &msg);
	responder_join(&rs);
	tap_ok(e == DCRE_OK && rs.ngot == 2 && rs.got[0] == 0x0D && s.ev[0].line != PLC_LINE_NSLEEP,
	       "/plc_config on an awake modem: no wake, no configure, read-back only");
	dcre_facts_clear(&facts);

	/* a bus timeout: the configuration is written at the end, under the lock */
	struct dcre_target t = {.rules = DCRE_RULE_STRICT_NUMBERS | DCRE_RULE_EXT_READINGS,
	                        .board = 1,
	                        .device = 0x01ff};
	snprintf(t.board_hex, sizeof(t.board_hex), "00000001");
	snprintf(t.device_hex, sizeof(t.device_hex), "01ff");
	/* listen for as long as a loaded machine may need: until the read
	 * has returned and the line is quiet */
	responder_start(&rs, &r, 0, 0, false, false, 64, 10000);
	e = b->ops->read(b, &t, "thermistor", &reading, &msg);
	responder_finish(&rs);
	tap_ok(e == DCRE_ETIMEDOUT, "a read nobody answers times out: %s", msg.text);
	tap_ok(rs.ngot >= 4 && memcmp(rs.got + rs.ngot - 4, want, 4) == 0 &&
	           rs.speed[rs.ngot - 1] == B19200 && rs.got[0] == 0x01,
	       "after the timeout the packet is followed by 05 69 15 29 at 19200 baud (%zu "
	       "bytes)",
	       rs.ngot);
	dcre_reading_clear(&reading);

	/* a modem that never wakes fails the transaction; nothing is sent */
	s.mode = SIM_NEVER;
	s.wake_at = 0;
	responder_start(&rs, &r, 0, 0, false, false, 64, 2600);
	e = b->ops->read(b, &t, "thermistor", &reading, &msg);
	responder_join(&rs);
	tap_ok(e == DCRE_ETIMEDOUT && strncmp(msg.text, "PLC modem did not wake up", 25) == 0,
	       "a modem that never wakes fails the request: %s", msg.text);
	tap_ok(rs.ngot == 0, "and no packet is sent (%zu bytes)", rs.ngot);
	dcre_reading_clear(&reading);

	dcre_backend_free(b);
	dcre_plc_modem_free(m);
	rig_close(&r);
}

int main(void)
{
	test_codec_default();
	test_codec_tables();
	test_codec_flags();
	test_codec_round_trip();
	test_codec_errors();
	test_wake_awake();
	test_wake_slow();
	test_wake_never();
	test_wake_line_error();
	check_configure(115200, 0x69, B115200);
	check_configure(57600, 0x68, B57600);
	test_configure_failure();
	test_read_regs();
	test_startup();
	test_backend();
	return tap_done();
}
