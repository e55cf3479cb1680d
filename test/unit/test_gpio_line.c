/* SPDX-License-Identifier: MIT */
/* The libgpiod layer (transports/gpio/gpio_line.c) against the real
 * library on a machine WITHOUT a GPIO chip: every open fails, quickly, with
 * a message naming the chip (and, through the modem, the config key) and
 * the system's error text. Where a GPIO chip does exist the premise is
 * false and the whole test is skipped (TAP "1..0 # SKIP"); real lines are
 * for the hw suite. */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "gpio_line.h"
#include "plc_modem.h"
#include "tap.h"

static const struct gpio_line_spec lines[] = {
    {"CMD", 27, GPIO_DIR_OUTPUT, 1},  {"FREQ", 10, GPIO_DIR_OUTPUT, 1},
    {"INH", 22, GPIO_DIR_INPUT, 0},   {"nSLEEP", 17, GPIO_DIR_INPUT, 0},
    {"SELECT", 9, GPIO_DIR_INPUT, 0},
};

static double ms_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void open_fails(const char *chip, const char *path, const char *why)
{
	struct dcre_msg msg = {{0}};
	enum dcre_err err = DCRE_OK;
	int failed = 99;
	double t0 = ms_now();
	struct gpio_lines *g =
	    gpio_lines_request(chip, lines, 5, "opendcre-test", &failed, &err, &msg);
	double took = ms_now() - t0;

	tap_ok(g == NULL && err != DCRE_OK && failed == -1, "%s: the chip cannot be opened", chip);
	tap_ok(strstr(msg.text, chip) && strstr(msg.text, path) && strstr(msg.text, why),
	       "%s: message names the chip, its path and the cause: %s", chip, msg.text);
	tap_ok(took < 1000, "%s: fails at once (%.3f ms)", chip, took);
	gpio_lines_free(g);
}

int main(void)
{
	glob_t gl;

	if (glob("/dev/gpiochip*", 0, NULL, &gl) == 0) {
		printf("1..0 # SKIP %s exists: this test proves the error path on a machine "
		       "without GPIO chips\n",
		       gl.gl_pathv[0]);
		globfree(&gl);
		return 0;
	}
	open_fails("gpiochip0", "/dev/gpiochip0", strerror(ENOENT));
	open_fails("/dev/gpiochip7", "/dev/gpiochip7", strerror(ENOENT));
	open_fails("/nonexistent/dir/chip", "/nonexistent/dir/chip", strerror(ENOENT));

	/* a character device that is not a GPIO chip */
	struct dcre_msg msg = {{0}};
	enum dcre_err err = DCRE_OK;
	struct gpio_lines *g = gpio_lines_request("/dev/null", lines, 5, "t", NULL, &err, &msg);
	tap_ok(g == NULL && err != DCRE_OK && strstr(msg.text, "/dev/null"),
	       "/dev/null is refused as a GPIO chip: %s", msg.text);
	gpio_lines_free(g);
	gpio_lines_free(NULL);
	tap_ok(1, "gpio_lines_free(NULL) is a no-op");

	/* through the modem, as the service does at start-up */
	struct dcre_plc_config cfg = {
	    .baud = 115200, .timeout = 0.25, .modem_reg0 = 0x69, .modem_reg1 = 0x29};
	char chip[] = "gpiochip0";
	cfg.gpio.chip = chip;
	cfg.gpio.cmd = 27;
	cfg.gpio.freq = 10;
	cfg.gpio.inh = 22;
	cfg.gpio.nsleep = 17;
	cfg.gpio.select = 9;
	struct plc_modem *m = dcre_plc_modem_open(&cfg, &err, &msg);
	tap_ok(m == NULL && err == DCRE_ENODEV, "dcre_plc_modem_open: no chip, DCRE_ENODEV");
	tap_ok(strncmp(msg.text, "plc.gpio.chip: ", 15) == 0 && strstr(msg.text, "gpiochip0") &&
	           strstr(msg.text, strerror(ENOENT)),
	       "the start-up message names plc.gpio, the chip and the cause: %s", msg.text);
	dcre_plc_modem_free(m);
	return tap_done();
}
