/* SPDX-License-Identifier: MIT */
/* libgpiod 1.6 (v1 API). The only file of the project that calls libgpiod. */
#include "gpio_line.h"

#include <assert.h>
#include <errno.h>
#include <gpiod.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

struct gpio_one {
	struct gpiod_line *line; /* owned by chip; requested while non-NULL */
	char *name;
	unsigned offset;
};

struct gpio_lines {
	struct gpiod_chip *chip;
	char *chip_name; /* as configured, for messages */
	size_t n;
	struct gpio_one *l;
};

static enum dcre_err code_of(int e)
{
	switch (e) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return DCRE_ENODEV;
	case EBUSY:
		return DCRE_EBUSY;
	case EINVAL:
		return DCRE_EINVAL;
	default:
		return DCRE_EIO;
	}
}

static enum dcre_err line_failed(const struct gpio_lines *g, size_t i, const char *what,
                                 struct dcre_msg *msg)
{
	int e = errno;
	return dcre_msg_set(msg, code_of(e), "GPIO chip %s line %u (%s): cannot %s: %s",
	                    g->chip_name, g->l[i].offset, g->l[i].name, what, strerror(e));
}

struct gpio_lines *gpio_lines_request(const char *chip, const struct gpio_line_spec *spec, size_t n,
                                      const char *consumer, int *failed, enum dcre_err *err,
                                      struct dcre_msg *msg)
{
	struct gpio_lines *g;
	char *path;
	int fail_at = -1;

	assert(chip && (spec || n == 0) && consumer && err);
	g = dcre_xcalloc(1, sizeof(*g));
	path = chip[0] == '/' ? dcre_xstrdup(chip) : dcre_xasprintf("/dev/%s", chip);
	*err = DCRE_EIO;
	g->chip_name = dcre_xstrdup(chip);
	g->n = n;
	g->l = dcre_xcalloc(n ? n : 1, sizeof(*g->l));
	for (size_t i = 0; i < n; i++) {
		g->l[i].name = dcre_xstrdup(spec[i].name);
		g->l[i].offset = spec[i].offset;
	}
	errno = 0;
	g->chip = gpiod_chip_open(path);
	if (!g->chip) {
		int e = errno ? errno : ENODEV;
		if (strcmp(chip, path) == 0)
			*err = dcre_msg_set(msg, code_of(e), "cannot open GPIO chip %s: %s", chip,
			                    strerror(e));
		else
			*err = dcre_msg_set(msg, code_of(e), "cannot open GPIO chip %s (%s): %s",
			                    chip, path, strerror(e));
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		struct gpiod_line *line;
		int rc;

		fail_at = (int)i;
		line = gpiod_chip_get_line(g->chip, spec[i].offset);
		if (!line && spec[i].offset >= gpiod_chip_num_lines(g->chip)) {
			*err = dcre_msg_set(
			    msg, DCRE_ENODEV,
			    "GPIO chip %s has no line %u (%s): the chip has %u lines", chip,
			    spec[i].offset, spec[i].name, gpiod_chip_num_lines(g->chip));
			goto fail;
		}
		if (!line) {
			int e = errno;
			*err = dcre_msg_set(msg, code_of(e),
			                    "cannot get line %u (%s) of GPIO chip %s: %s",
			                    spec[i].offset, spec[i].name, chip, strerror(e));
			goto fail;
		}
		if (spec[i].dir == GPIO_DIR_OUTPUT)
			rc = gpiod_line_request_output(line, consumer, spec[i].value);
		else
			rc = gpiod_line_request_input(line, consumer);
		if (rc < 0) {
			int e = errno;
			const char *holder = gpiod_line_consumer(line);
			*err = dcre_msg_set(
			    msg, code_of(e),
			    "cannot request line %u (%s) of GPIO chip %s as %s: %s%s%s",
			    spec[i].offset, spec[i].name, chip,
			    spec[i].dir == GPIO_DIR_OUTPUT ? "output" : "input", strerror(e),
			    holder ? "; it is used by " : "", holder ? holder : "");
			goto fail;
		}
		g->l[i].line = line;
	}
	free(path);
	if (failed)
		*failed = -1;
	*err = DCRE_OK;
	return g;
fail:
	if (failed)
		*failed = fail_at;
	free(path);
	gpio_lines_free(g);
	return NULL;
}

enum dcre_err gpio_lines_get(struct gpio_lines *g, size_t i, int *value, struct dcre_msg *msg)
{
	int v;

	assert(g && i < g->n && g->l[i].line);
	v = gpiod_line_get_value(g->l[i].line);
	if (v < 0)
		return line_failed(g, i, "read the value", msg);
	*value = v ? 1 : 0;
	return DCRE_OK;
}

enum dcre_err gpio_lines_set(struct gpio_lines *g, size_t i, int value, struct dcre_msg *msg)
{
	assert(g && i < g->n && g->l[i].line);
	if (gpiod_line_set_value(g->l[i].line, value ? 1 : 0) < 0)
		return line_failed(g, i, value ? "drive it high" : "drive it low", msg);
	return DCRE_OK;
}

enum dcre_err gpio_lines_set_input(struct gpio_lines *g, size_t i, struct dcre_msg *msg)
{
	assert(g && i < g->n && g->l[i].line);
	/* GPIOHANDLE_SET_CONFIG on the handle requested at start-up (kernel
	 * 5.5 and later), so the request and its holders stay the same */
	if (gpiod_line_set_direction_input(g->l[i].line) < 0)
		return line_failed(g, i, "make it an input", msg);
	return DCRE_OK;
}

enum dcre_err gpio_lines_set_output(struct gpio_lines *g, size_t i, int value, struct dcre_msg *msg)
{
	assert(g && i < g->n && g->l[i].line);
	if (gpiod_line_set_direction_output(g->l[i].line, value ? 1 : 0) < 0)
		return line_failed(
		    g, i, value ? "make it an output driven high" : "make it an output driven low",
		    msg);
	return DCRE_OK;
}

void gpio_lines_free(struct gpio_lines *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++) {
		if (g->l[i].line)
			gpiod_line_release(g->l[i].line);
		free(g->l[i].name);
	}
	if (g->chip)
		gpiod_chip_close(g->chip);
	free(g->l);
	free(g->chip_name);
	free(g);
}
