/* SPDX-License-Identifier: MIT */
/* A few GPIO lines of one chip, requested once and then driven or read. The
 * only interface to libgpiod: gpio_line.c is the only file that calls it
 * (the 1.6 API of Debian 12), so a libgpiod 2.x build is a change to that
 * file alone.
 *
 * Every error message names the chip, the line (its name and offset) and
 * the cause (the errno text). */
#ifndef GPIO_LINE_H
#define GPIO_LINE_H

#include <stddef.h>

#include "err.h"

enum gpio_dir {
	GPIO_DIR_INPUT,
	GPIO_DIR_OUTPUT,
};

/* One line to request. */
struct gpio_line_spec {
	const char *name; /* for messages, e.g. "CMD"; borrowed for the call */
	unsigned offset;  /* line offset on the chip */
	enum gpio_dir dir;
	int value; /* initial value of an output line */
};

struct gpio_lines;

/* Open chip (a name such as "gpiochip0", opened as /dev/gpiochip0, or a
 * path starting with '/') and request the n lines of spec, each on its own
 * line handle, as consumer. The handles are file descriptors: a process
 * forked afterwards inherits the request and may drive the lines; the
 * kernel keeps one state per line for all of them.
 *
 * On failure returns NULL, sets *err and msg, and sets *failed (may be
 * NULL) to the index in spec of the line that failed, or -1 when the chip
 * itself could not be opened. Caller frees the result with
 * gpio_lines_free(). */
struct gpio_lines *gpio_lines_request(const char *chip, const struct gpio_line_spec *spec, size_t n,
                                      const char *consumer, int *failed, enum dcre_err *err,
                                      struct dcre_msg *msg);

/* Read line i (0 or 1), whatever its direction. */
enum dcre_err gpio_lines_get(struct gpio_lines *g, size_t i, int *value, struct dcre_msg *msg);
/* Drive output line i to value. */
enum dcre_err gpio_lines_set(struct gpio_lines *g, size_t i, int value, struct dcre_msg *msg);
/* Make line i an input. */
enum dcre_err gpio_lines_set_input(struct gpio_lines *g, size_t i, struct dcre_msg *msg);
/* Make line i an output driven to value. */
enum dcre_err gpio_lines_set_output(struct gpio_lines *g, size_t i, int value,
                                    struct dcre_msg *msg);

/* Release the lines and close the chip. NULL-safe. */
void gpio_lines_free(struct gpio_lines *g);

#endif
