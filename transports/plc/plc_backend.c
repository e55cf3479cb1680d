/* SPDX-License-Identifier: MIT */
#include "plc_backend.h"

#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"
#include "plc_convert.h"
#include "plc_device.h"
#include "plc_frame.h"
#include "plc_lock.h"
#include "stats.h"
#include "plc_modem.h"
#include "plc_serial.h"
#include "text.h"
#include "timeutil.h"

/* Time bounds (issue 11). With t = plc.timeout and r = plc.retry_limit:
 *
 *   one exchange      X      = (r + 1) * 2 * t
 *                              (a command and its r '?' retries; each packet may
 *                              take two read timeouts, e.g. a late header and a
 *                              slow body, or stale packets skipped first)
 *   a command         T_cmd  = X + 0.5 s
 *   LED or fan set    T_set  = 2 * X + 0.5 s (the write and the read-back)
 *   a scan            T_scan = r * (2 * t + 0.15 s) + P * 130 / baud + 0.5 s
 *                              (r attempts: first answer, the final silence, the
 *                              150 ms pause; plus P = PLC_SCAN_MAX_PACKETS dump
 *                              packets of 13 bytes = 130 bits on the wire)
 *   the bus lock      W      = 2 * max(T_set, T_scan)
 *
 * A transaction (header search, skipped stale or foreign packets, retries,
 * re-sends) ends within its T once it holds the lock; waiting for the lock
 * (the lock file, then the serial line) ends within W. One request on the bus
 * thus ends within W + T (defaults: 9.5 s + at most 4.8 s), plus the modem's
 * fixed wake/configure steps on rpi_hat. Past a bound the request fails with
 * DCRE_ETIMEDOUT (500) naming the cause. */
#define PLC_SCAN_MAX_PACKETS 2048 /* dump packets per scan attempt */
#define PLC_SCAN_MAX_BOARDS 256   /* boards per scan */
#define PLC_SCAN_SLOTS 512        /* board index: a power of two > 2 * max boards */
#define PLC_MARGIN_MS 500
#define PLC_RESEND_PAUSE_MS 150

struct plc_bounds {
	int cmd_ms, set_ms, scan_ms, lock_wait_ms;
};

struct plc_bus {
	struct dcre_backend base;
	const struct dcre_plc_config *cfg;
	int fd;
	int timeout_ms;
	struct plc_bounds bounds;
	long long deadline; /* of the transaction in progress (dcre_time_now_ms) */
	int budget_ms;      /* its length, for the messages */
	unsigned skipped;   /* packets dropped as stale or foreign, this transaction */
	bool serial_locked; /* flock held on fd */
	uint32_t scan_all_id;
	struct plc_lock lock;
	struct plc_reader rd;
	struct plc_modem *modem; /* rpi_hat: borrowed from the main process; else NULL */
	bool bus_failed;         /* this transaction: bus timeout or corrupt after retries */
};

static struct plc_bus *bus_of(struct dcre_backend *b)
{
	return (struct plc_bus *)b;
}

/* One bus command: what it is, for the packet and the messages. */
struct plc_cmd {
	const char *what; /* "read thermistor" */
	uint8_t type;
	uint32_t board;
	uint16_t device;
	uint8_t len;
	uint8_t data[PLC_MAX_DATA];
};

static void close_serial(struct plc_bus *bus)
{
	if (bus->fd >= 0)
		close(bus->fd); /* releases its flock too */
	bus->fd = -1;
	bus->serial_locked = false;
}

/* §7 step 2 (rpi_hat): wake the modem if it sleeps, and configure it if a
 * wake was needed (plc-protocol.md §11.3, §11.4). */
static enum dcre_err modem_wake(struct plc_bus *bus, struct dcre_msg *msg)
{
	bool woke = false;
	enum dcre_err e = plc_modem_wake(bus->modem, &woke, msg);
	if (!e && woke)
		e = plc_modem_configure(bus->modem, bus->fd, msg);
	if (e == DCRE_EIO)
		close_serial(bus);
	return e;
}

static void unlock_serial(struct plc_bus *bus)
{
	if (bus->serial_locked && bus->fd >= 0 && flock(bus->fd, LOCK_UN) < 0) {
		dcre_warn("PLC bus: cannot unlock the serial line %s: %s; closing it",
		          bus->cfg->device, strerror(errno));
		close_serial(bus); /* closing drops the lock */
	}
	bus->serial_locked = false;
}

/* The serial line itself is locked too (after the lock file, within the same
 * wait bound): even a worker still holding the lock of a deleted lock file
 * cannot drive the line together with one that locked its replacement. */
static enum dcre_err lock_serial(struct plc_bus *bus, long long lock_deadline, struct dcre_msg *msg)
{
	enum dcre_err e = plc_flock_until(bus->fd, lock_deadline);
	if (e == DCRE_ETIMEDOUT)
		return dcre_msg_set(
		    msg, e,
		    "PLC bus: timed out after %.1f s waiting for the serial line %s "
		    "(another process holds it)",
		    bus->bounds.lock_wait_ms / 1000.0, bus->cfg->device);
	if (e)
		return dcre_msg_set(msg, e, "PLC bus: cannot lock the serial line %s: %s",
		                    bus->cfg->device, strerror(errno));
	bus->serial_locked = true;
	return DCRE_OK;
}

/* §7 steps 1 to 3: lock, counter, serial open, modem, input flush. The
 * exchange that follows has budget_ms (see the bounds above). */
static enum dcre_err txn_begin(struct plc_bus *bus, int budget_ms, struct dcre_msg *msg)
{
	double lock_start = dcre_time_now();
	long long lock_deadline = dcre_time_now_ms() + bus->bounds.lock_wait_ms;
	enum dcre_err e =
	    plc_lock_take(&bus->lock, bus->cfg->lockfile, bus->bounds.lock_wait_ms, msg);
	if (e) {
		dcre_stats_lock_wait(dcre_time_now() - lock_start);
		return e;
	}
	bus->bus_failed = false;
	/* The flush also finds a line whose other end went away (the emulator
	 * restarted, a USB adapter was unplugged): a hung-up tty answers EIO,
	 * and the line is reopened before it is used. */
	bool flushed = bus->fd >= 0 && tcflush(bus->fd, TCIFLUSH) == 0;
	if (!flushed)
		close_serial(bus);
	if (bus->fd < 0) {
		bus->fd = plc_serial_open(bus->cfg->device, bus->cfg->baud, msg);
		if (bus->fd < 0) {
			plc_lock_release(&bus->lock);
			dcre_msg_prefix(msg, "PLC bus: ");
			return DCRE_EIO;
		}
		plc_reader_init(&bus->rd, bus->fd);
	}
	e = lock_serial(bus, lock_deadline, msg);
	dcre_stats_lock_wait(dcre_time_now() - lock_start);
	if (e != DCRE_OK) {
		plc_lock_release(&bus->lock);
		return e;
	}
	if (bus->modem) {
		if ((e = modem_wake(bus, msg)) != DCRE_OK) {
			unlock_serial(bus);
			plc_lock_release(&bus->lock);
			return e;
		}
		flushed = false; /* a wake may have configured the modem */
	}
	if (!flushed)
		tcflush(bus->fd, TCIFLUSH);
	plc_reader_discard(&bus->rd);
	bus->budget_ms = budget_ms;
	bus->deadline = dcre_time_now_ms() + budget_ms;
	bus->skipped = 0;
	return DCRE_OK;
}

static bool past_deadline(const struct plc_bus *bus)
{
	return dcre_time_now_ms() >= bus->deadline;
}

/* §7 steps 5 and 6; e is the transaction's outcome. */
static void txn_end(struct plc_bus *bus, enum dcre_err e)
{
	struct dcre_msg why;

	dcre_stats_add(DCRE_STAT_BUS_TRANSACTIONS, 1);
	if (e == DCRE_ETIMEDOUT)
		dcre_stats_add(DCRE_STAT_BUS_TIMEOUTS, 1);

	if (bus->modem && bus->bus_failed && bus->fd >= 0 &&
	    plc_modem_configure(bus->modem, bus->fd, &why) != DCRE_OK)
		dcre_warn("%s (after a failed bus transaction)", why.text);
	unlock_serial(bus);
	plc_lock_release(&bus->lock);
}

static void hexdump(const char *dir, const uint8_t *b, size_t n)
{
	char text[PLC_MAX_FRAME * 3 + 1];
	size_t o = 0;
	for (size_t i = 0; i < n && o + 4 < sizeof(text); i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s%02x", i ? " " : "", b[i]);
	dcre_debug("PLC %s %s", dir, text);
}

static enum dcre_err io_failed(struct plc_bus *bus, const char *what, int err, struct dcre_msg *msg)
{
	close_serial(bus); /* reopened at the next transaction */
	return dcre_msg_set(msg, DCRE_EIO, "PLC bus: I/O error on %s during %s: %s",
	                    bus->cfg->device, what, strerror(err));
}

static enum dcre_err send_packet(struct plc_bus *bus, const struct plc_cmd *c, uint8_t seq,
                                 uint32_t board, const uint8_t *data, size_t len,
                                 struct dcre_msg *msg)
{
	struct plc_packet p = {.seq = seq, .type = c->type, .board = board, .device = c->device};
	uint8_t frame[PLC_MAX_FRAME];
	size_t n;

	p.len = (uint8_t)len;
	memcpy(p.data, data, len);
	n = plc_frame_encode(&p, frame);
	if (dcre_log_enabled(DCRE_LOG_DEBUG))
		hexdump(">", frame, n);
	enum dcre_err e = plc_write_all_until(bus->fd, frame, n, bus->deadline);
	if (e == DCRE_ETIMEDOUT) {
		bus->bus_failed = true;
		return dcre_msg_set(msg, e,
		                    "PLC bus: could not send to board %08x device %04x (%s) within "
		                    "the transaction bound of %.2f s (the line does not drain)",
		                    c->board, c->device, c->what, bus->budget_ms / 1000.0);
	}
	if (e)
		return io_failed(bus, c->what, errno, msg);
	return DCRE_OK;
}

/* One packet matching seq, and for commands (not scans: dump answers name
 * their own board and device) the command's board and device where the
 * answer carries them; anything else is skipped as stale, within the
 * transaction's deadline. */
static enum dcre_err receive(struct plc_bus *bus, const struct plc_cmd *c, uint8_t seq,
                             bool check_addr, struct plc_packet *ans, struct dcre_msg *msg)
{
	struct dcre_msg why;
	struct plc_match m = {
	    .seq = seq, .check_addr = check_addr, .board = c->board, .device = c->device};
	enum dcre_err e = plc_reader_receive_until(&bus->rd, bus->timeout_ms, bus->deadline, &m,
	                                           ans, &bus->skipped, &why);
	if (e == DCRE_OK && dcre_log_enabled(DCRE_LOG_DEBUG)) {
		uint8_t frame[PLC_MAX_FRAME];
		hexdump("<", frame, plc_frame_encode(ans, frame));
	}
	if (e == DCRE_EPROTO) {
		dcre_stats_add(DCRE_STAT_BUS_CORRUPT, 1);
		dcre_debug("PLC bus: corrupt packet during %s: %s", c->what, why.text);
	}
	if (e == DCRE_EIO)
		return io_failed(bus, c->what, errno, msg);
	return e;
}

static enum dcre_err no_response(struct plc_bus *bus, const struct plc_cmd *c, struct dcre_msg *msg)
{
	bus->bus_failed = true;
	if (past_deadline(bus))
		return dcre_msg_set(msg, DCRE_ETIMEDOUT,
		                    "PLC bus: no valid answer from board %08x device %04x (%s) "
		                    "within the transaction bound of %.2f s (%u stale or foreign "
		                    "packets skipped; line noise or a flooded bus)",
		                    c->board, c->device, c->what, bus->budget_ms / 1000.0,
		                    bus->skipped);
	return dcre_msg_set(msg, DCRE_ETIMEDOUT,
	                    "PLC bus: no response from board %08x device %04x (%s) within %g s",
	                    c->board, c->device, c->what, bus->cfg->timeout);
}

static enum dcre_err corrupt(const struct plc_cmd *c, struct dcre_msg *msg)
{
	return dcre_msg_set(msg, DCRE_EPROTO,
	                    "Corrupt packets received (failed checksum validation) - Retry limit "
	                    "reached. PLC bus: board %08x device %04x (%s)",
	                    c->board, c->device, c->what);
}

/* §8.1: the command, then up to retry_limit '?' rounds on corrupt answers.
 * Runs inside a transaction. */
static enum dcre_err exchange(struct plc_bus *bus, const struct plc_cmd *c, struct plc_packet *ans,
                              struct dcre_msg *msg)
{
	uint8_t seq = plc_lock_next_seq(&bus->lock);
	enum dcre_err e = send_packet(bus, c, seq, c->board, c->data, c->len, msg);
	if (e)
		return e;
	e = receive(bus, c, seq, true, ans, msg);
	for (int round = 0;
	     e == DCRE_EPROTO && round < bus->cfg->retry_limit && !past_deadline(bus); round++) {
		static const uint8_t retry = '?';
		dcre_stats_add(DCRE_STAT_BUS_RETRIES, 1);
		seq = plc_lock_next_seq(&bus->lock);
		e = send_packet(bus, c, seq, c->board, &retry, 1, msg);
		if (e)
			return e;
		e = receive(bus, c, seq, true, ans, msg);
	}
	if (e == DCRE_EPROTO && past_deadline(bus))
		e = DCRE_ETIMEDOUT;
	if (e == DCRE_ETIMEDOUT)
		return no_response(bus, c, msg);
	if (e == DCRE_EPROTO) {
		bus->bus_failed = true;
		return corrupt(c, msg);
	}
	return e;
}

static void cmd_init(struct plc_cmd *c, const struct dcre_target *t, const char *what, uint8_t type,
                     const char *data)
{
	c->what = what;
	c->type = type;
	c->board = t->board;
	c->device = t->device;
	c->len = (uint8_t)strlen(data);
	memcpy(c->data, data, c->len);
}

/* A whole one-command transaction. */
static enum dcre_err transact(struct plc_bus *bus, const struct plc_cmd *c, struct plc_packet *ans,
                              struct dcre_msg *msg)
{
	enum dcre_err e = txn_begin(bus, bus->bounds.cmd_ms, msg);
	if (e)
		return e;
	e = exchange(bus, c, ans, msg);
	txn_end(bus, e);
	return e;
}

static enum dcre_err convert_failed(const struct plc_cmd *c, enum dcre_err e, struct dcre_msg *msg)
{
	dcre_msg_prefix(msg, "PLC bus: board %08x device %04x (%s) ", c->board, c->device, c->what);
	return e;
}

static enum dcre_err plc_version(struct dcre_backend *b, const struct dcre_target *t,
                                 char **firmware, struct dcre_msg *msg)
{
	struct plc_bus *bus = bus_of(b);
	struct plc_cmd c;
	struct plc_packet ans;

	cmd_init(&c, t, "version", PLC_TYPE_NONE, "V");
	c.device = 0xFFFF;
	enum dcre_err e = transact(bus, &c, &ans, msg);
	if (e)
		return e;
	*firmware = dcre_text_clean((const char *)ans.data, ans.len);
	return DCRE_OK;
}

/* The Read command of a device; what is the caller's buffer for its name. */
static void read_cmd(struct plc_cmd *c, const struct dcre_target *t, const char *type, char *what,
                     size_t whatsz)
{
	snprintf(what, whatsz, "read %s", type);
	cmd_init(c, t, what, plc_device_type_code(type), "R");
}

/* Conversion happens after the transaction: the bus lock covers only the
 * packets. */
static enum dcre_err read_convert(const struct dcre_target *t, const char *type,
                                  const struct plc_cmd *c, const struct plc_packet *ans,
                                  struct dcre_reading *out, struct dcre_msg *msg)
{
	enum dcre_err e =
	    plc_convert_read(t->rules, type, (const char *)ans->data, ans->len, out, msg);
	return e ? convert_failed(c, e, msg) : DCRE_OK;
}

static enum dcre_err plc_read(struct dcre_backend *b, const struct dcre_target *t, const char *type,
                              struct dcre_reading *out, struct dcre_msg *msg)
{
	char what[64];
	struct plc_cmd c;
	struct plc_packet ans;

	read_cmd(&c, t, type, what, sizeof(what));
	enum dcre_err e = transact(bus_of(b), &c, &ans, msg);
	return e ? e : read_convert(t, type, &c, &ans, out, msg);
}

static enum dcre_err plc_power(struct dcre_backend *b, const struct dcre_target *t,
                               const char *type, enum dcre_power_action action,
                               struct dcre_power *out, struct dcre_msg *msg)
{
	static const char *const data[] = {"P1", "P0", "PC", "P?"};
	static const char *const what[] = {"power on", "power off", "power cycle", "power status"};
	struct plc_cmd c;
	struct plc_packet ans;
	uint8_t code = PLC_TYPE_POWER;

	if (type) /* only where the request names one (the 1.3 API) */
		code = plc_device_type_code(type);
	cmd_init(&c, t, what[action], code, data[action]);
	enum dcre_err e = transact(bus_of(b), &c, &ans, msg);
	if (e)
		return e;
	e = plc_convert_power(t->rules, (const char *)ans.data, ans.len, out, msg);
	return e ? convert_failed(&c, e, msg) : DCRE_OK;
}

static enum dcre_err plc_asset(struct dcre_backend *b, const struct dcre_target *t,
                               struct dcre_asset *out, struct dcre_msg *msg)
{
	struct plc_cmd c;
	struct plc_packet ans;

	if (t->rules & DCRE_RULE_BUS_NO_ASSET_BOOT)
		return dcre_msg_set(msg, DCRE_ENOTSUP,
		                    "Asset information via PLC not supported yet. (board %s)",
		                    t->board_hex);
	cmd_init(&c, t, "asset", PLC_TYPE_SYSTEM, "A");
	enum dcre_err e = transact(bus_of(b), &c, &ans, msg);
	if (e)
		return e;
	e = plc_convert_asset((const char *)ans.data, ans.len, out, msg);
	return e ? convert_failed(&c, e, msg) : DCRE_OK;
}

static enum dcre_err plc_boot_target(struct dcre_backend *b, const struct dcre_target *t,
                                     enum dcre_boot_target target, struct dcre_boot *now,
                                     struct dcre_msg *msg)
{
	static const char *const data[] = {"B0", "B1", "B2"};
	struct plc_cmd c;
	struct plc_packet ans;

	if (t->rules & DCRE_RULE_BUS_NO_ASSET_BOOT)
		return dcre_msg_set(msg, DCRE_ENOTSUP,
		                    "Boot target operation via PLC not supported yet. (board %s)",
		                    t->board_hex);
	if (target == DCRE_BOOT_GET)
		cmd_init(&c, t, "boot target status", PLC_TYPE_SYSTEM, "B?");
	else
		cmd_init(&c, t, "boot target set", PLC_TYPE_SYSTEM, data[target]);
	enum dcre_err e = transact(bus_of(b), &c, &ans, msg);
	if (e)
		return e;
	e = plc_convert_boot_target((const char *)ans.data, ans.len, &now->target, msg);
	return e ? convert_failed(&c, e, msg) : DCRE_OK;
}

static bool is_w1(const struct plc_packet *ans)
{
	return ans->len == 2 && ans->data[0] == 'W' && ans->data[1] == '1';
}

static enum dcre_err write_refused(const struct plc_cmd *c, const struct plc_packet *ans,
                                   struct dcre_msg *msg)
{
	char *text = dcre_text_clean((const char *)ans->data, ans->len);
	dcre_msg_set(msg, DCRE_EPROTO,
	             "Error writing to device. PLC bus: board %08x device %04x (%s) answered '%s'",
	             c->board, c->device, c->what, text);
	free(text);
	return DCRE_EPROTO;
}

/* Write, then on W1 read the device back, in one transaction. */
static enum dcre_err write_and_read(struct plc_bus *bus, const struct dcre_target *t,
                                    const struct plc_cmd *c, const char *read_type,
                                    struct dcre_reading *out, struct dcre_msg *msg)
{
	char what[64];
	struct plc_cmd rc;
	struct plc_packet ans;
	enum dcre_err e = txn_begin(bus, bus->bounds.set_ms, msg);
	if (e)
		return e;
	e = exchange(bus, c, &ans, msg);
	if (!e && !is_w1(&ans))
		e = write_refused(c, &ans, msg);
	if (!e) {
		read_cmd(&rc, t, read_type, what, sizeof(what));
		e = exchange(bus, &rc, &ans, msg);
	}
	txn_end(bus, e);
	return e ? e : read_convert(t, read_type, &rc, &ans, out, msg);
}

/* set: GET reads; ON writes W1; OFF and NO_OVERRIDE write W0. The answer
 * is the state read back. */
static enum dcre_err plc_led(struct dcre_backend *b, const struct dcre_target *t,
                             enum dcre_led_set set, struct dcre_led *out, struct dcre_msg *msg)
{
	struct plc_bus *bus = bus_of(b);
	struct dcre_reading r = {0};
	struct plc_cmd c;
	enum dcre_err e;

	if (set == DCRE_LED_GET) {
		e = plc_read(b, t, "led", &r, msg);
	} else {
		cmd_init(&c, t, "led write", PLC_TYPE_LED, set == DCRE_LED_ON ? "W1" : "W0");
		e = write_and_read(bus, t, &c, "led", &r, msg);
	}
	if (!e) {
		out->state = dcre_xstrdup(r.led == DCRE_TRI_YES ? "on" : "off");
		out->color_unknown = false;
	}
	dcre_reading_clear(&r);
	return e;
}

static enum dcre_err plc_fan(struct dcre_backend *b, const struct dcre_target *t,
                             const struct dcre_fan_set *set, struct dcre_reading *out,
                             struct dcre_msg *msg)
{
	struct plc_bus *bus = bus_of(b);
	struct plc_cmd c;
	size_t n;

	if (!set)
		return plc_read(b, t, "fan_speed", out, msg);
	/* the digits exactly as the request gave them, leading zeros kept */
	const char *speed = set->digits;
	n = strlen(speed);
	if (n + 2 > PLC_MAX_DATA)
		return dcre_msg_set(msg, DCRE_EINVAL, "fan speed text too long");
	cmd_init(&c, t, "fan write", PLC_TYPE_FAN_SPEED, "W");
	c.data[1] = 0xFF;
	memcpy(c.data + 2, speed, n);
	c.len = (uint8_t)(n + 2);
	return write_and_read(bus, t, &c, "fan_speed", out, msg);
}

static enum dcre_err plc_chamber_led(struct dcre_backend *b, const struct dcre_target *t,
                                     const struct dcre_chamber_set *set,
                                     struct dcre_chamber_led *out, struct dcre_msg *msg)
{
	struct plc_cmd c;
	struct plc_packet ans;
	char data[PLC_MAX_DATA + 2];
	/* "L<state>,<rack>,<color>,<blink>", -1 for no_override */
	int n = snprintf(data, sizeof(data), "L%d,%s,%s,%d", set->state, t->rack ? t->rack : "",
	                 set->color ? set->color : "-1", set->blink);

	if (n < 0 || n > PLC_MAX_DATA)
		return dcre_msg_set(msg, DCRE_EINVAL,
		                    "PLC bus: board %08x device %04x (chamber led): request data "
		                    "of %d bytes exceeds the 246-byte packet limit",
		                    t->board, t->device, n);
	cmd_init(&c, t, "chamber led", PLC_TYPE_VAPOR_LED, data);
	enum dcre_err e = transact(bus_of(b), &c, &ans, msg);
	if (e)
		return e;
	e = plc_convert_chamber_led((const char *)ans.data, ans.len, out, msg);
	return e ? convert_failed(&c, e, msg) : DCRE_OK;
}

static enum dcre_err plc_host_info(struct dcre_backend *b, const struct dcre_target *t,
                                   struct dcre_host_info *out, struct dcre_msg *msg)
{
	struct plc_cmd c;
	struct plc_packet ans;

	cmd_init(&c, t, "host info", PLC_TYPE_SYSTEM, "H");
	enum dcre_err e = transact(bus_of(b), &c, &ans, msg);
	if (e)
		return e;
	e = plc_convert_host_info((const char *)ans.data, ans.len, out, msg);
	return e ? convert_failed(&c, e, msg) : DCRE_OK;
}

/* The boards of one scan attempt: the answer list and an index from board
 * id to its board, so each dump packet is added in constant time. */
struct scan_found {
	struct dcre_boards boards;
	size_t npackets;
	struct {
		uint32_t id;
		size_t board; /* index in boards + 1; 0: free slot */
	} slot[PLC_SCAN_SLOTS];
};

static void found_init(struct scan_found *f)
{
	dcre_boards_clear(&f->boards);
	memset(f, 0, sizeof(*f));
}

/* Add one dump response to the board list (grouped by board id, boards in
 * order of first arrival, devices in arrival order). DCRE_ERANGE when the
 * packet would add board number PLC_SCAN_MAX_BOARDS + 1. */
static enum dcre_err add_dump(struct scan_found *f, const struct plc_packet *p)
{
	size_t i = (size_t)((p->board * 2654435761u) >> 16) & (PLC_SCAN_SLOTS - 1);

	while (f->slot[i].board && f->slot[i].id != p->board)
		i = (i + 1) & (PLC_SCAN_SLOTS - 1);
	if (!f->slot[i].board) {
		if (f->boards.n == PLC_SCAN_MAX_BOARDS)
			return DCRE_ERANGE;
		dcre_boards_add(&f->boards, p->board, "plc");
		f->slot[i].id = p->board;
		f->slot[i].board = f->boards.n;
	}
	dcre_board_add_device(&f->boards.v[f->slot[i].board - 1], p->device,
	                      plc_device_type_name(p->data[0]), NULL);
	return DCRE_OK;
}

/* Move the boards of from to the end of to; from is left empty. */
static void boards_move(struct dcre_boards *to, struct dcre_boards *from)
{
	if (from->n == 0)
		return;
	to->v = dcre_xrealloc(to->v, (to->n + from->n) * sizeof(*to->v));
	memcpy(to->v + to->n, from->v, from->n * sizeof(*from->v));
	to->n += from->n;
	free(from->v);
	from->v = NULL;
	from->n = 0;
}

/* One attempt of §8.2 steps 1 and 2: the answers until silence, within the
 * transaction's deadline and the caps. DCRE_OK with f filled, DCRE_EPROTO
 * with *final false for a corrupt packet (the caller re-sends), or an error
 * with msg set and *final true. */
static enum dcre_err scan_collect(struct plc_bus *bus, const struct plc_cmd *c, uint8_t seq,
                                  bool all, struct scan_found *f, bool *final, struct dcre_msg *msg)
{
	*final = true;
	struct plc_packet ans;
	enum dcre_err e = receive(bus, c, seq, false, &ans, msg);

	if (e == DCRE_ETIMEDOUT) {
		if (all || past_deadline(bus)) {
			bus->bus_failed = true;
			return dcre_msg_set(
			    msg, e, "PLC bus: no response to %s within %g s", c->what,
			    past_deadline(bus) ? bus->budget_ms / 1000.0 : bus->cfg->timeout);
		}
		return no_response(bus, c, msg);
	}
	while (e == DCRE_OK) {
		if (ans.len == 0)
			return dcre_msg_set(msg, DCRE_EPROTO,
			                    "PLC bus: board %08x device %04x answered the "
			                    "%s with an empty dump response",
			                    ans.board, ans.device, c->what);
		if (++f->npackets > PLC_SCAN_MAX_PACKETS) {
			bus->bus_failed = true;
			return dcre_msg_set(
			    msg, DCRE_ERANGE,
			    "PLC bus: %s stopped after %d dump packets (the limit per "
			    "scan); the bus keeps sending",
			    c->what, PLC_SCAN_MAX_PACKETS);
		}
		if (add_dump(f, &ans) != DCRE_OK) {
			bus->bus_failed = true;
			return dcre_msg_set(
			    msg, DCRE_ERANGE,
			    "PLC bus: %s stopped: more than %d boards answered (the "
			    "limit per scan)",
			    c->what, PLC_SCAN_MAX_BOARDS);
		}
		e = receive(bus, c, seq, false, &ans, msg);
	}
	if (e == DCRE_ETIMEDOUT && past_deadline(bus)) {
		bus->bus_failed = true;
		return dcre_msg_set(
		    msg, e,
		    "PLC bus: %s did not end within the transaction bound of %.2f s "
		    "(%zu dump packets, %u stale packets skipped; the bus keeps "
		    "sending)",
		    c->what, bus->budget_ms / 1000.0, f->npackets, bus->skipped);
	}
	if (e == DCRE_EPROTO)
		*final = false;
	return e == DCRE_ETIMEDOUT ? DCRE_OK : e; /* silence ends the scan */
}

/* §8.2, inside a transaction; the boards found are appended to boards only
 * when the whole scan succeeds. */
static enum dcre_err scan(struct plc_bus *bus, uint32_t board, bool all, struct dcre_boards *boards,
                          struct dcre_msg *msg)
{
	struct plc_cmd c = {.what = all ? "scan-all" : "scan",
	                    .type = PLC_TYPE_NONE,
	                    .board = board,
	                    .device = 0xFFFF,
	                    .len = 1,
	                    .data = {'D'}};
	uint8_t seq = plc_lock_next_seq(&bus->lock);
	struct scan_found *f = dcre_xcalloc(1, sizeof(*f));
	struct dcre_boards got = {0};
	enum dcre_err e = DCRE_EPROTO;
	bool final = false;

	for (int attempt = 0; attempt < bus->cfg->retry_limit && e == DCRE_EPROTO && !final;
	     attempt++) {
		if (attempt > 0) {
			dcre_stats_add(DCRE_STAT_BUS_RETRIES, 1);
			if (all)
				c.board |= PLC_BOARD_SHUFFLE;
			dcre_time_sleep(PLC_RESEND_PAUSE_MS / 1000.0);
			tcflush(bus->fd, TCIOFLUSH);
			plc_reader_discard(&bus->rd);
		}
		e = send_packet(bus, &c, seq, c.board, c.data, c.len, msg);
		if (e)
			break;
		found_init(f);
		e = scan_collect(bus, &c, seq, all, f, &final, msg);
		if (e == DCRE_OK)
			boards_move(&got, &f->boards);
		if (e == DCRE_EPROTO && !final && past_deadline(bus)) {
			final = true;
			bus->bus_failed = true;
			e = dcre_msg_set(
			    msg, DCRE_ETIMEDOUT,
			    "PLC bus: %s: corrupt packets until the transaction bound of "
			    "%.2f s",
			    c.what, bus->budget_ms / 1000.0);
		}
	}
	dcre_boards_clear(&f->boards);
	free(f);
	if (e == DCRE_EPROTO && !final) {
		bus->bus_failed = true;
		dcre_boards_clear(&got);
		if (all)
			return dcre_msg_set(msg, e,
			                    "Corrupt packets received (failed checksum "
			                    "validation) - Retry limit reached. PLC bus: scan-all");
		return corrupt(&c, msg);
	}
	if (e) {
		dcre_boards_clear(&got);
		return e;
	}
	if (all) {
		/* the save packet: output drained, then input discarded */
		struct plc_cmd save = c;
		save.what = "scan-all save";
		e = send_packet(bus, &save, plc_lock_next_seq(&bus->lock),
		                PLC_BOARD_SCAN_ALL | PLC_BOARD_SAVE, save.data, save.len, msg);
		if (e) {
			dcre_boards_clear(&got);
			return e;
		}
		tcflush(bus->fd, TCIFLUSH);
		plc_reader_discard(&bus->rd);
	}
	boards_move(boards, &got);
	return DCRE_OK;
}

static enum dcre_err plc_scan_board(struct dcre_backend *b, const struct dcre_target *t,
                                    struct dcre_boards *boards, struct dcre_msg *msg)
{
	struct plc_bus *bus = bus_of(b);
	enum dcre_err e = txn_begin(bus, bus->bounds.scan_ms, msg);
	if (e)
		return e;
	e = scan(bus, t->board, false, boards, msg);
	txn_end(bus, e);
	return e;
}

static enum dcre_err plc_scan_all(struct dcre_backend *b, struct dcre_boards *boards,
                                  struct dcre_msg *msg)
{
	struct plc_bus *bus = bus_of(b);
	enum dcre_err e = txn_begin(bus, bus->bounds.scan_ms, msg);
	if (e)
		return e;
	e = scan(bus, bus->scan_all_id, true, boards, msg);
	txn_end(bus, e);
	return e;
}

/* api.md §6.12, plc-protocol.md §11.5: under the bus lock (no sequence
 * number), wake and if needed configure, then read the registers. */
static enum dcre_err plc_config_facts(struct dcre_backend *b, struct dcre_facts *out,
                                      struct dcre_msg *msg)
{
	struct plc_bus *bus = bus_of(b);
	struct plc_modem_regs regs;
	uint8_t reg0, reg1;
	enum dcre_err e;

	if (!bus->modem)
		return dcre_msg_set(msg, DCRE_ENOTSUP,
		                    "Unsupported hardware type in use. Unable to retrieve modem "
		                    "configuration.");
	e = txn_begin(bus, bus->bounds.cmd_ms, msg);
	if (e)
		return e;
	e = plc_modem_read_regs(bus->modem, bus->fd, &reg0, &reg1, msg);
	if (e == DCRE_EIO)
		close_serial(bus);
	txn_end(bus, e);
	if (e)
		return e;
	plc_modem_decode(reg0, reg1, &regs);
	plc_modem_regs_facts(&regs, out);
	return DCRE_OK;
}

static void plc_free(struct dcre_backend *b)
{
	struct plc_bus *bus = bus_of(b);
	close_serial(bus);
	plc_lock_close(&bus->lock);
	free(bus);
}

static const struct dcre_backend_ops plc_ops = {
    .name = "PLC bus",
    .version = plc_version,
    .scan_board = plc_scan_board,
    .scan_all = plc_scan_all,
    .read = plc_read,
    .power = plc_power,
    .asset = plc_asset,
    .boot_target = plc_boot_target,
    .led = plc_led,
    .chamber_led = plc_chamber_led,
    .fan = plc_fan,
    .host_info = plc_host_info,
    .config_facts = plc_config_facts, /* answers only with a modem (rpi_hat) */
    .free = plc_free,
};

uint32_t dcre_plc_scan_all_id_from_mac(const uint8_t mac[6], int time_slice)
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v = v << 8 | mac[i];
	unsigned last4 = (unsigned)(v % 10000);
	unsigned d1 = last4 / 1000, d2 = last4 / 100 % 10, d3 = last4 / 10 % 10, d4 = last4 % 10;
	/* each pair of decimal digits read as a hexadecimal byte */
	uint32_t b1 = d1 * 16 + d2, b2 = d3 * 16 + d4;
	return PLC_BOARD_SCAN_ALL | b1 << 16 | b2 << 8 | (uint32_t)(time_slice & 0xFF);
}

uint32_t dcre_plc_scan_all_id(const struct dcre_plc_config *cfg)
{
	uint8_t mac[6] = {0};

	if (cfg->mac_set) {
		memcpy(mac, cfg->mac, 6);
	} else {
		struct ifaddrs *ifs = NULL, *it;
		unsigned best = 0;
		if (getifaddrs(&ifs) == 0) {
			for (it = ifs; it; it = it->ifa_next) {
				if (!it->ifa_addr || it->ifa_addr->sa_family != AF_PACKET ||
				    (it->ifa_flags & IFF_LOOPBACK))
					continue;
				struct sockaddr_ll *ll = (struct sockaddr_ll *)(void *)it->ifa_addr;
				static const uint8_t zero[6] = {0};
				if (ll->sll_halen != 6 || memcmp(ll->sll_addr, zero, 6) == 0)
					continue;
				unsigned idx = (unsigned)ll->sll_ifindex;
				if (best == 0 || idx < best) {
					best = idx;
					memcpy(mac, ll->sll_addr, 6);
				}
			}
			freeifaddrs(ifs);
		}
	}
	return dcre_plc_scan_all_id_from_mac(mac, cfg->time_slice);
}

enum dcre_err dcre_plc_prepare(const struct dcre_plc_config *cfg, struct dcre_msg *msg)
{
	return plc_lock_prepare(cfg->lockfile, msg);
}

/* The formulas of the comment at the top. */
static struct plc_bounds plc_bounds_of(const struct dcre_plc_config *cfg, int t)
{
	struct plc_bounds b;
	int r = cfg->retry_limit;
	int baud = cfg->baud > 0 ? cfg->baud : 9600;
	int x = (r + 1) * 2 * t;
	int wire = (int)((long long)PLC_SCAN_MAX_PACKETS * 130 * 1000 / baud);

	b.cmd_ms = x + PLC_MARGIN_MS;
	b.set_ms = 2 * x + PLC_MARGIN_MS;
	b.scan_ms = r * (2 * t + PLC_RESEND_PAUSE_MS) + wire + PLC_MARGIN_MS;
	b.lock_wait_ms = 2 * (b.set_ms > b.scan_ms ? b.set_ms : b.scan_ms);
	return b;
}

struct dcre_backend *dcre_plc_backend_new(const struct dcre_plc_config *cfg,
                                          struct plc_modem *modem)
{
	struct plc_bus *bus = dcre_xcalloc(1, sizeof(*bus));

	bus->base.ops = &plc_ops;
	bus->base.kind = "plc";
	bus->base.rack_id = cfg->rack_id;
	bus->base.board_lo = cfg->board_lo;
	bus->base.board_hi = cfg->board_hi;
	bus->base.index = -1;
	bus->base.time_unit = (cfg->retry_limit + 1) * cfg->timeout;
	bus->cfg = cfg;
	bus->modem = modem;
	bus->fd = -1;
	bus->lock.fd = -1;
	bus->timeout_ms = (int)(cfg->timeout * 1000 + 0.5);
	if (bus->timeout_ms < 1)
		bus->timeout_ms = 1;
	bus->bounds = plc_bounds_of(cfg, bus->timeout_ms);
	bus->scan_all_id = dcre_plc_scan_all_id(cfg);
	return &bus->base;
}
