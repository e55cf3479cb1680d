/* SPDX-License-Identifier: MIT */
/* gpio_line.h in a build without GPIO support (meson -Dgpio=disabled): no
 * line can be requested. The configuration refuses hardware_type "rpi_hat"
 * in such a build, so only the emulator's --hardware rpi_hat gets here. */
#include "gpio_line.h"

struct gpio_lines *gpio_lines_request(const char *chip, const struct gpio_line_spec *spec, size_t n,
                                      const char *consumer, int *failed, enum dcre_err *err,
                                      struct dcre_msg *msg)
{
	(void)spec, (void)n, (void)consumer;
	if (failed)
		*failed = -1;
	*err = dcre_msg_set(msg, DCRE_ENOTSUP,
	                    "GPIO chip %s: this opendcre was built without GPIO support (meson "
	                    "setup -Dgpio=enabled)",
	                    chip);
	return NULL;
}

static enum dcre_err none(struct dcre_msg *msg)
{
	return dcre_msg_set(msg, DCRE_ENOTSUP, "built without GPIO support");
}

enum dcre_err gpio_lines_get(struct gpio_lines *g, size_t i, int *value, struct dcre_msg *msg)
{
	(void)g, (void)i, (void)value;
	return none(msg);
}

enum dcre_err gpio_lines_set(struct gpio_lines *g, size_t i, int value, struct dcre_msg *msg)
{
	(void)g, (void)i, (void)value;
	return none(msg);
}

enum dcre_err gpio_lines_set_input(struct gpio_lines *g, size_t i, struct dcre_msg *msg)
{
	(void)g, (void)i;
	return none(msg);
}

enum dcre_err gpio_lines_set_output(struct gpio_lines *g, size_t i, int value, struct dcre_msg *msg)
{
	(void)g, (void)i, (void)value;
	return none(msg);
}

void gpio_lines_free(struct gpio_lines *g)
{
	(void)g;
}
