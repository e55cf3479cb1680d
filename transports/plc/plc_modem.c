/* SPDX-License-Identifier: MIT */
#include "plc_modem.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "gpio_line.h"
#include "log.h"
#include "plc_frame.h"
#include "plc_lock.h"
#include "plc_serial.h"

/* §11.3, §11.4 */
#define WAKE_PULSE_MS 1
#define WAKE_SETTLE_MS 1
#define WAKE_POLL_MS 1
#define WAKE_LIMIT_MS 2000
#define WAKE_MESSAGE_MS 150
#define CMD_SETTLE_MS 1
#define REGISTER_BAUD 19200

/* SIG60 register commands */
#define REG_WRITE0 0x05
#define REG_WRITE1 0x15
#define REG_READ0 0x0D
#define REG_READ1 0x1D

struct plc_modem {
	const struct dcre_plc_config *cfg; /* borrowed */
	const struct plc_lines_ops *ops;   /* borrowed */
	void *lines;                       /* owned, released with ops->free */
	int timeout_ms;                    /* per register byte */
};

static const char *const line_names[PLC_LINE_COUNT] = {"CMD", "FREQ", "INH", "nSLEEP", "SELECT"};
/* the config keys of the lines, same order */
static const char *const line_keys[PLC_LINE_COUNT] = {"cmd", "freq", "inh", "nsleep", "select"};

const char *plc_modem_line_name(enum plc_line l)
{
	assert(l < PLC_LINE_COUNT);
	return line_names[l];
}

/* ---- register codec ---- */

static const double freq_pairs[16][2] = {
    {1.75, 4.5}, {1.75, 5.5}, {1.75, 6.0},  {1.75, 6.5}, {4.5, 5.5},  {4.5, 6.0},
    {4.5, 6.5},  {4.5, 10.5}, {10.5, 13.0}, {5.5, 10.5}, {5.5, 13.0}, {6.0, 10.5},
    {6.0, 13.0}, {6.5, 10.5}, {6.5, 13.0},  {5.5, 6.5},
};
static const int rates_low[4] = {38400, 57600, 9600, 19200};    /* active < 10 MHz */
static const int rates_high[4] = {38400, 57600, 115200, 19200}; /* active >= 10 MHz */

bool plc_modem_freq_pair(unsigned index, double *f0, double *f1)
{
	if (index >= 16)
		return false;
	*f0 = freq_pairs[index][0];
	*f1 = freq_pairs[index][1];
	return true;
}

const int *plc_modem_bit_rates(double active_mhz)
{
	return active_mhz < 10.0 ? rates_low : rates_high;
}

void plc_modem_decode(uint8_t reg0, uint8_t reg1, struct plc_modem_regs *out)
{
	unsigned pair = reg1 & 0x0Fu;

	out->frequency_number = reg0 & 0x01;
	out->remote_loopback = (reg0 & 0x02) != 0;
	out->interference_hopping = (reg0 & 0x04) != 0;
	out->long_wum = (reg0 & 0x08) != 0;
	out->auto_sleep = (reg0 & 0x10) == 0;
	out->auto_wum = (reg0 & 0x20) == 0;
	out->loopback_enabled = (reg0 & 0x40) == 0;
	out->interference_detected = (reg0 & 0x80) != 0;
	out->f0 = freq_pairs[pair][0];
	out->f1 = freq_pairs[pair][1];
	out->bit_rate =
	    plc_modem_bit_rates(out->frequency_number ? out->f1 : out->f0)[(reg1 >> 4) & 0x03];
}

enum dcre_err plc_modem_encode(const struct plc_modem_regs *in, uint8_t *reg0, uint8_t *reg1,
                               struct dcre_msg *msg)
{
	int pair = -1, rate = -1;

	if (in->frequency_number != 0 && in->frequency_number != 1)
		return dcre_msg_set(msg, DCRE_EINVAL, "frequency number %d is not 0 or 1",
		                    in->frequency_number);
	for (int i = 0; i < 16 && pair < 0; i++)
		if (fabs(freq_pairs[i][0] - in->f0) < 1e-9 &&
		    fabs(freq_pairs[i][1] - in->f1) < 1e-9)
			pair = i;
	if (pair < 0)
		return dcre_msg_set(msg, DCRE_EINVAL,
		                    "no SIG60 frequency pair is f0 %g MHz, f1 %g MHz", in->f0,
		                    in->f1);
	double active = in->frequency_number ? in->f1 : in->f0;
	const int *rates = plc_modem_bit_rates(active);
	for (int i = 0; i < 4 && rate < 0; i++)
		if (rates[i] == in->bit_rate)
			rate = i;
	if (rate < 0)
		return dcre_msg_set(msg, DCRE_EINVAL,
		                    "bit rate %d is not available at %g MHz (%d, %d, %d or %d)",
		                    in->bit_rate, active, rates[0], rates[1], rates[2], rates[3]);
	*reg0 =
	    (uint8_t)((unsigned)in->frequency_number | (in->remote_loopback ? 0x02u : 0) |
	              (in->interference_hopping ? 0x04u : 0) | (in->long_wum ? 0x08u : 0) |
	              (in->auto_sleep ? 0 : 0x10u) | (in->auto_wum ? 0 : 0x20u) |
	              (in->loopback_enabled ? 0 : 0x40u) | (in->interference_detected ? 0x80u : 0));
	*reg1 = (uint8_t)((unsigned)pair | (unsigned)rate << 4);
	return DCRE_OK;
}

void plc_modem_regs_facts(const struct plc_modem_regs *r, struct dcre_facts *out)
{
	dcre_facts_add_bool(out, "auto_sleep", r->auto_sleep);
	dcre_facts_add_bool(out, "auto_wum", r->auto_wum);
	dcre_facts_add_int(out, "bit_rate", r->bit_rate);
	dcre_facts_add_double(out, "f0", r->f0);
	dcre_facts_add_double(out, "f1", r->f1);
	dcre_facts_add_int(out, "frequency_number", r->frequency_number);
	dcre_facts_add_bool(out, "interference_detected", r->interference_detected);
	dcre_facts_add_bool(out, "interference_hopping", r->interference_hopping);
	dcre_facts_add_bool(out, "long_wum", r->long_wum);
	dcre_facts_add_bool(out, "loopback_enabled", r->loopback_enabled);
	dcre_facts_add_bool(out, "remote_loopback", r->remote_loopback);
}

/* ---- time ---- */

static struct timespec now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t;
}

static struct timespec after_ms(struct timespec t, long ms)
{
	t.tv_sec += ms / 1000;
	t.tv_nsec += (ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

static bool reached(struct timespec t)
{
	struct timespec n = now();
	return n.tv_sec > t.tv_sec || (n.tv_sec == t.tv_sec && n.tv_nsec >= t.tv_nsec);
}

/* Milliseconds left until t, rounded up; 0 if t has passed. */
static int ms_until(struct timespec t)
{
	struct timespec n = now();
	long long ns = (long long)(t.tv_sec - n.tv_sec) * 1000000000LL + (t.tv_nsec - n.tv_nsec);
	return ns <= 0 ? 0 : (int)((ns + 999999) / 1000000);
}

static void sleep_ms(long ms)
{
	struct timespec t = after_ms(now(), ms);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
}

/* ---- line helpers: every failure is prefixed "PLC modem: " ---- */

static enum dcre_err line_get(struct plc_modem *m, enum plc_line l, int *v, struct dcre_msg *msg)
{
	enum dcre_err e = m->ops->get(m->lines, l, v, msg);
	if (e)
		dcre_msg_prefix(msg, "PLC modem: ");
	return e;
}

static enum dcre_err line_set(struct plc_modem *m, enum plc_line l, int v, struct dcre_msg *msg)
{
	enum dcre_err e = m->ops->set(m->lines, l, v, msg);
	if (e)
		dcre_msg_prefix(msg, "PLC modem: ");
	return e;
}

static enum dcre_err line_input(struct plc_modem *m, enum plc_line l, struct dcre_msg *msg)
{
	enum dcre_err e = m->ops->set_input(m->lines, l, msg);
	if (e)
		dcre_msg_prefix(msg, "PLC modem: ");
	return e;
}

static enum dcre_err line_output(struct plc_modem *m, enum plc_line l, int v, struct dcre_msg *msg)
{
	enum dcre_err e = m->ops->set_output(m->lines, l, v, msg);
	if (e)
		dcre_msg_prefix(msg, "PLC modem: ");
	return e;
}

/* ---- sequences ---- */

enum dcre_err plc_modem_wake(struct plc_modem *m, bool *woke, struct dcre_msg *msg)
{
	struct timespec t0, deadline;
	int inh = 0;
	enum dcre_err e;

	*woke = false;
	e = line_get(m, PLC_LINE_INH, &inh, msg);
	if (e || inh)
		return e; /* step 1: awake, nothing to do */
	*woke = true;
	/* step 2: nSLEEP low for 1 ms, then high; wait 1 ms */
	e = line_output(m, PLC_LINE_NSLEEP, 0, msg);
	if (e)
		return e;
	sleep_ms(WAKE_PULSE_MS);
	e = line_set(m, PLC_LINE_NSLEEP, 1, msg);
	if (e)
		return e;
	sleep_ms(WAKE_SETTLE_MS);
	/* step 3: poll INH every 1 ms for up to 2 s */
	t0 = now();
	deadline = after_ms(t0, WAKE_LIMIT_MS);
	for (;;) {
		e = line_get(m, PLC_LINE_INH, &inh, msg);
		if (e)
			return e;
		if (inh)
			break;
		if (reached(deadline))
			return dcre_msg_set(msg, DCRE_ETIMEDOUT,
			                    "PLC modem did not wake up: INH (GPIO chip %s line %u) "
			                    "still low %d ms after the nSLEEP pulse (line %u)",
			                    m->cfg->gpio.chip, m->cfg->gpio.inh, WAKE_LIMIT_MS,
			                    m->cfg->gpio.nsleep);
		sleep_ms(WAKE_POLL_MS);
	}
	/* step 4: the wake-up message (dropped by the caller's input flush) */
	sleep_ms(WAKE_MESSAGE_MS);
	return DCRE_OK;
}

static enum dcre_err serial_failed(struct plc_modem *m, const char *what, struct dcre_msg *msg)
{
	return dcre_msg_set(msg, DCRE_EIO, "PLC modem: %s on %s: %s", what, m->cfg->device,
	                    strerror(errno));
}

/* §11.4 steps 1-4: 19200 baud, flush, FREQ, inputs, CMD low, 1 ms. */
static enum dcre_err command_mode(struct plc_modem *m, int fd, struct dcre_msg *msg)
{
	enum dcre_err e;

	if (plc_serial_set_baud(fd, REGISTER_BAUD) != DCRE_OK)
		return serial_failed(m, "cannot switch to 19200 baud", msg);
	tcflush(fd, TCIOFLUSH);
	e = line_output(m, PLC_LINE_FREQ, m->cfg->modem_reg0 & 0x01, msg);
	if (!e)
		e = line_input(m, PLC_LINE_NSLEEP, msg);
	if (!e)
		e = line_input(m, PLC_LINE_CMD, msg);
	if (!e)
		e = line_input(m, PLC_LINE_SELECT, msg);
	if (!e)
		e = line_output(m, PLC_LINE_CMD, 0, msg);
	if (!e)
		sleep_ms(CMD_SETTLE_MS);
	return e;
}

/* §11.4 steps 6-7, also after a failure: CMD high, plc.baud. The first
 * error is kept in rc/msg. */
static enum dcre_err data_mode(struct plc_modem *m, int fd, enum dcre_err rc, struct dcre_msg *msg)
{
	struct dcre_msg tmp;
	/* after a failure CMD may be an input still: make it an output */
	enum dcre_err e =
	    rc ? line_output(m, PLC_LINE_CMD, 1, &tmp) : line_set(m, PLC_LINE_CMD, 1, msg);

	if (e && rc)
		dcre_warn("%s", tmp.text);
	if (e && !rc)
		rc = e;
	if (plc_serial_set_baud(fd, m->cfg->baud) != DCRE_OK) {
		e = serial_failed(m, "cannot switch back to the configured baud rate", &tmp);
		dcre_warn("%s", tmp.text);
		if (!rc) {
			*msg = tmp;
			rc = e;
		}
	}
	return rc;
}

static enum dcre_err send_bytes(struct plc_modem *m, int fd, const uint8_t *b, size_t n,
                                struct dcre_msg *msg)
{
	if (plc_write_all(fd, b, n) != DCRE_OK)
		return serial_failed(m, "cannot write the register command", msg);
	tcdrain(fd);
	return DCRE_OK;
}

enum dcre_err plc_modem_configure(struct plc_modem *m, int fd, struct dcre_msg *msg)
{
	const uint8_t cmd[4] = {REG_WRITE0, m->cfg->modem_reg0, REG_WRITE1, m->cfg->modem_reg1};
	enum dcre_err rc = command_mode(m, fd, msg);

	if (!rc)
		rc = send_bytes(m, fd, cmd, sizeof(cmd), msg);
	if (!rc)
		sleep_ms(CMD_SETTLE_MS);
	rc = data_mode(m, fd, rc, msg);
	if (!rc)
		dcre_debug("PLC modem configured: reg0 0x%02x, reg1 0x%02x", m->cfg->modem_reg0,
		           m->cfg->modem_reg1);
	return rc;
}

static enum dcre_err read_byte(struct plc_modem *m, int fd, int reg, uint8_t *b,
                               struct dcre_msg *msg)
{
	struct timespec deadline = after_ms(now(), m->timeout_ms);

	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int pr = poll(&pfd, 1, ms_until(deadline));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return serial_failed(m, "cannot wait for a register value", msg);
		if (pr == 0)
			return dcre_msg_set(
			    msg, DCRE_ETIMEDOUT,
			    "PLC modem: register %d was not answered on %s within %g s", reg,
			    m->cfg->device, m->cfg->timeout);
		ssize_t n = read(fd, b, 1);
		if (n == 1)
			return DCRE_OK;
		if (n == 0) {
			errno = EIO;
			return serial_failed(m, "end of file reading a register value", msg);
		}
		if (errno != EAGAIN && errno != EINTR)
			return serial_failed(m, "cannot read a register value", msg);
		if (reached(deadline))
			return dcre_msg_set(
			    msg, DCRE_ETIMEDOUT,
			    "PLC modem: register %d was not answered on %s within %g s", reg,
			    m->cfg->device, m->cfg->timeout);
	}
}

enum dcre_err plc_modem_read_regs(struct plc_modem *m, int fd, uint8_t *reg0, uint8_t *reg1,
                                  struct dcre_msg *msg)
{
	static const uint8_t read0 = REG_READ0, read1 = REG_READ1;
	enum dcre_err rc = command_mode(m, fd, msg);

	if (!rc)
		rc = send_bytes(m, fd, &read0, 1, msg);
	if (!rc)
		rc = read_byte(m, fd, 0, reg0, msg);
	if (!rc)
		rc = send_bytes(m, fd, &read1, 1, msg);
	if (!rc)
		rc = read_byte(m, fd, 1, reg1, msg);
	return data_mode(m, fd, rc, msg);
}

enum dcre_err dcre_plc_modem_startup(struct plc_modem *m, struct dcre_msg *msg)
{
	const struct dcre_plc_config *cfg = m->cfg;
	struct plc_lock lock = {.fd = -1};
	enum dcre_err rc;
	uint8_t reg0 = 0, reg1 = 0;
	bool woke;
	int fd = -1;

	rc = plc_lock_take(&lock, cfg->lockfile, PLC_STARTUP_LOCK_WAIT_MS, msg);
	if (rc)
		goto out;
	fd = plc_serial_open(cfg->device, cfg->baud, msg);
	if (fd < 0) {
		dcre_msg_prefix(msg, "PLC modem: ");
		rc = DCRE_EIO;
		goto out;
	}
	rc = plc_modem_wake(m, &woke, msg);
	if (rc)
		goto out;
	rc = plc_modem_configure(m, fd, msg);
	if (rc)
		goto out;
	rc = plc_modem_read_regs(m, fd, &reg0, &reg1, msg);
	if (rc)
		goto out;
	if (reg0 != cfg->modem_reg0 || reg1 != cfg->modem_reg1)
		dcre_warn("PLC modem: registers read back as reg0 0x%02x, reg1 0x%02x; configured "
		          "plc.modem_reg0 0x%02x, plc.modem_reg1 0x%02x",
		          reg0, reg1, cfg->modem_reg0, cfg->modem_reg1);
	else
		dcre_info("PLC modem on GPIO chip %s %s and configured (reg0 0x%02x, reg1 0x%02x)",
		          cfg->gpio.chip, woke ? "woken" : "awake", reg0, reg1);
out:
	if (fd >= 0)
		close(fd);
	plc_lock_release(&lock);
	plc_lock_close(&lock);
	return rc;
}

/* ---- the libgpiod lines ---- */

static enum dcre_err gl_get(void *lines, enum plc_line l, int *value, struct dcre_msg *msg)
{
	return gpio_lines_get(lines, (size_t)l, value, msg);
}

static enum dcre_err gl_set(void *lines, enum plc_line l, int value, struct dcre_msg *msg)
{
	return gpio_lines_set(lines, (size_t)l, value, msg);
}

static enum dcre_err gl_set_input(void *lines, enum plc_line l, struct dcre_msg *msg)
{
	return gpio_lines_set_input(lines, (size_t)l, msg);
}

static enum dcre_err gl_set_output(void *lines, enum plc_line l, int value, struct dcre_msg *msg)
{
	return gpio_lines_set_output(lines, (size_t)l, value, msg);
}

static void gl_free(void *lines)
{
	gpio_lines_free(lines);
}

static const struct plc_lines_ops gpiod_lines_ops = {
    .get = gl_get,
    .set = gl_set,
    .set_input = gl_set_input,
    .set_output = gl_set_output,
    .free = gl_free,
};

struct plc_modem *plc_modem_new(const struct dcre_plc_config *cfg, const struct plc_lines_ops *ops,
                                void *lines)
{
	struct plc_modem *m = dcre_xcalloc(1, sizeof(*m));

	assert(cfg && ops);
	m->cfg = cfg;
	m->ops = ops;
	m->lines = lines;
	m->timeout_ms = (int)(cfg->timeout * 1000 + 0.5);
	if (m->timeout_ms < 1)
		m->timeout_ms = 1;
	return m;
}

struct plc_modem *dcre_plc_modem_open(const struct dcre_plc_config *cfg, enum dcre_err *err,
                                      struct dcre_msg *msg)
{
	const unsigned offsets[PLC_LINE_COUNT] = {cfg->gpio.cmd, cfg->gpio.freq, cfg->gpio.inh,
	                                          cfg->gpio.nsleep, cfg->gpio.select};
	struct gpio_line_spec spec[PLC_LINE_COUNT];
	struct gpio_lines *g;
	int failed = -1;

	for (int i = 0; i < PLC_LINE_COUNT; i++) {
		spec[i].name = line_names[i];
		spec[i].offset = offsets[i];
		spec[i].dir = GPIO_DIR_INPUT;
		spec[i].value = 0;
	}
	/* data mode until the configure sequence; FREQ as configured */
	spec[PLC_LINE_CMD].dir = GPIO_DIR_OUTPUT;
	spec[PLC_LINE_CMD].value = 1;
	spec[PLC_LINE_FREQ].dir = GPIO_DIR_OUTPUT;
	spec[PLC_LINE_FREQ].value = cfg->modem_reg0 & 0x01;
	g = gpio_lines_request(cfg->gpio.chip, spec, PLC_LINE_COUNT, "opendcre", &failed, err, msg);
	if (!g) {
		if (failed >= 0)
			dcre_msg_prefix(msg, "plc.gpio.%s: ", line_keys[failed]);
		else
			dcre_msg_prefix(msg, "plc.gpio.chip: ");
		return NULL;
	}
	return plc_modem_new(cfg, &gpiod_lines_ops, g);
}

void dcre_plc_modem_free(struct plc_modem *m)
{
	if (!m)
		return;
	if (m->ops->free)
		m->ops->free(m->lines);
	free(m);
}
