/* SPDX-License-Identifier: MIT */
/* The Yamar SIG60 PLC modem of the Raspberry Pi HAT (plc-protocol.md §11,
 * Decision 5): its five GPIO control lines, the wake, configure and
 * register read-back sequences, and the register codec.
 *
 * The sequences drive the lines through a small vtable (struct
 * plc_lines_ops), so they run unchanged on libgpiod (dcre_plc_modem_open)
 * and on the in-process line simulator of the unit tests (plc_modem_new).
 * Every sleep is clock_nanosleep on CLOCK_MONOTONIC and every wait has a
 * deadline. The caller holds the bus lock (§7) around each sequence. */
#ifndef PLC_MODEM_H
#define PLC_MODEM_H

#include <stdbool.h>
#include <stdint.h>

#include "plc_config.h"
#include "err.h"
#include "result.h"

/* The lines the service requests (§11.1), in this order. */
enum plc_line {
	PLC_LINE_CMD,
	PLC_LINE_FREQ,
	PLC_LINE_INH,
	PLC_LINE_NSLEEP,
	PLC_LINE_SELECT,
	PLC_LINE_COUNT,
};

/* Line access. lines is the implementation's handle. Errors fill msg with
 * a text naming the chip and the line. */
struct plc_lines_ops {
	enum dcre_err (*get)(void *lines, enum plc_line l, int *value, struct dcre_msg *msg);
	/* drive an output line */
	enum dcre_err (*set)(void *lines, enum plc_line l, int value, struct dcre_msg *msg);
	enum dcre_err (*set_input)(void *lines, enum plc_line l, struct dcre_msg *msg);
	/* make the line an output driven to value */
	enum dcre_err (*set_output)(void *lines, enum plc_line l, int value, struct dcre_msg *msg);
	/* release lines (called by dcre_plc_modem_free); may be NULL */
	void (*free)(void *lines);
};

/* "CMD", "FREQ", "INH", "nSLEEP", "SELECT". */
const char *plc_modem_line_name(enum plc_line l);

/* ---- register codec (§11.6, §11.7); pure ---- */

/* The decoded registers, the fields of the /plc_config answer. */
struct plc_modem_regs {
	int frequency_number; /* 0 or 1: the active frequency is f0 or f1 */
	bool remote_loopback;
	bool interference_hopping;
	bool long_wum;
	bool auto_sleep;
	bool auto_wum;
	bool loopback_enabled;
	bool interference_detected;
	double f0, f1; /* MHz, one of the 16 pairs of §11.6 */
	int bit_rate;  /* bit/s */
};

/* The frequency pair (MHz) of index 0-15; false for another index. */
bool plc_modem_freq_pair(unsigned index, double *f0, double *f1);
/* The bit-rate table for an active frequency (MHz): 4 entries, indexed by
 * register 1 bits 4-5. Static storage. */
const int *plc_modem_bit_rates(double active_mhz);

/* Decode registers 0 and 1 (register 1 bits 6-7 are not used). */
void plc_modem_decode(uint8_t reg0, uint8_t reg1, struct plc_modem_regs *out);
/* Encode the fields into registers 0 and 1. DCRE_EINVAL (msg names the
 * problem) for a frequency number other than 0/1, an (f0, f1) pair not in
 * the table, or a bit rate the active frequency does not offer. */
enum dcre_err plc_modem_encode(const struct plc_modem_regs *in, uint8_t *reg0, uint8_t *reg1,
                               struct dcre_msg *msg);
/* The /plc_config facts (§11.7 keys, alphabetical), appended to out. */
void plc_modem_regs_facts(const struct plc_modem_regs *r, struct dcre_facts *out);

/* ---- the modem ---- */

struct plc_modem;

/* Open cfg->gpio.chip through libgpiod and request the five lines (CMD
 * output high = data mode, FREQ output per modem_reg0 bit 0, INH, nSLEEP and
 * SELECT inputs). On failure returns NULL with *err and a msg naming
 * plc.gpio (or plc.gpio.<line>), the chip, the line and the cause. cfg is
 * borrowed and must outlive the modem. The line requests are inherited by
 * processes forked afterwards. Caller frees with dcre_plc_modem_free(). */
struct plc_modem *dcre_plc_modem_open(const struct dcre_plc_config *cfg, enum dcre_err *err,
                                      struct dcre_msg *msg);
/* A modem on other lines (the tests' simulator). Consumes lines: it is
 * released with ops->free by dcre_plc_modem_free(). cfg and ops are
 * borrowed. Caller frees with dcre_plc_modem_free(). */
struct plc_modem *plc_modem_new(const struct dcre_plc_config *cfg, const struct plc_lines_ops *ops,
                                void *lines);
/* NULL-safe. */
void dcre_plc_modem_free(struct plc_modem *m);

/* §11.3. *woke is set to true if INH was low (a wake was needed), whether
 * or not the modem then woke. Fails with DCRE_ETIMEDOUT, "PLC modem did not
 * wake up: ..." naming the chip and the INH line, when INH stays low 2 s. */
enum dcre_err plc_modem_wake(struct plc_modem *m, bool *woke, struct dcre_msg *msg);
/* §11.4 on the open serial line fd (cfg->modem_reg0/1; back to cfg->baud
 * at the end, also on failure). */
enum dcre_err plc_modem_configure(struct plc_modem *m, int fd, struct dcre_msg *msg);
/* §11.5 without the wake: read registers 0 and 1; each byte must arrive
 * within cfg->timeout (else DCRE_ETIMEDOUT). */
enum dcre_err plc_modem_read_regs(struct plc_modem *m, int fd, uint8_t *reg0, uint8_t *reg1,
                                  struct dcre_msg *msg);

/* §11.2, main process before fork: under the bus lock (cfg->lockfile), on
 * the serial port opened for it and closed again: wake, configure, read
 * back, and log a warning if the registers differ from the configuration.
 * An error (the modem did not wake, the port cannot be opened, ...) is
 * returned for the caller to log; the service still starts. */
enum dcre_err dcre_plc_modem_startup(struct plc_modem *m, struct dcre_msg *msg);

#endif
