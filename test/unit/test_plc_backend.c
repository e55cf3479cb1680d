/* SPDX-License-Identifier: MIT */
/* The real PLC backend against the emulator's bus library, in one process:
 * the emulator side (emu_data + emu_bus on a pty pair from emu_pty) answers
 * in a thread; the backend is configured, prepared and opened through the
 * registry's plc hooks and talks to the pty's slave end like to a serial
 * line. Data: test/integration/data/api.json (argv[1]), whose answers
 * test_api.py checks through nginx.
 *
 * Checked on typed results: reads (a fixed answer and a cursor), power
 * status, LED set with read-back, scan-all, a corrupt answer with one and
 * with two retries, corruption past the retry limit with its message, a
 * corrupt firmware version answered after a retry. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "backend.h"
#include "command.h"
#include "config.h"
#include "emu_bus.h"
#include "emu_data.h"
#include "emu_pty.h"
#include "log.h"
#include "plc_convert.h"
#include "plc_frame.h"
#include "registry.h"
#include "render.h"
#include "tap.h"

/* ---- the emulator side ---- */

static struct emu_port port;
static struct emu_bus *bus;
static volatile int stop;

static void *emulator(void *arg)
{
	struct plc_reader r;
	(void)arg;
	plc_reader_init(&r, port.fd);
	while (!stop) {
		struct plc_packet pkt;
		struct dcre_msg why;
		const uint8_t *out;
		size_t n;
		enum dcre_err e = plc_reader_receive(&r, 50, PLC_SEQ_ANY, &pkt, &why);
		if (e == DCRE_ETIMEDOUT || e == DCRE_EPROTO)
			continue;
		if (e != DCRE_OK)
			break;
		if (emu_bus_handle(bus, &pkt, &out, &n) == DCRE_OK && n > 0 &&
		    plc_write_all(port.fd, out, n) != DCRE_OK)
			break;
	}
	return NULL;
}

/* ---- helpers ---- */

static struct dcre_target target(uint32_t board, uint16_t device)
{
	struct dcre_target t;
	memset(&t, 0, sizeof(t));
	t.rules = DCRE_RULE_STRICT_NUMBERS | DCRE_RULE_EXT_READINGS; /* as for 1.3 */
	t.rack = "rack_1";
	t.board = board;
	t.device = device;
	snprintf(t.board_hex, sizeof(t.board_hex), "%08x", board);
	snprintf(t.device_hex, sizeof(t.device_hex), "%04x", device);
	return t;
}

/* The 1.3 answer of a reading, unformatted; caller frees. */
static char *reading_text(const struct dcre_reading *r)
{
	cJSON *j = dcre_render_reading(DCRE_API_13, r);
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return s;
}

/* The answer the PLC converters give for a thermistor payload. */
static char *thermistor(const char *payload)
{
	struct dcre_reading r = {0};
	if (plc_convert_read(DCRE_RULE_STRICT_NUMBERS | DCRE_RULE_EXT_READINGS, "thermistor",
	                     payload, strlen(payload), &r, NULL) != DCRE_OK)
		return dcre_xstrdup("(conversion failed)");
	char *s = reading_text(&r);
	dcre_reading_clear(&r);
	return s;
}

static void read_is(struct dcre_backend *b, uint32_t board, uint16_t device, const char *want,
                    const char *what)
{
	struct dcre_target t = target(board, device);
	struct dcre_reading r = {0};
	struct dcre_msg msg = {.text = ""};
	enum dcre_err e = b->ops->read(b, &t, "thermistor", &r, &msg);
	char *got = e ? dcre_xasprintf("error: %s", msg.text) : reading_text(&r);
	tap_is_str(got, want, "%s", what);
	free(got);
	dcre_reading_clear(&r);
}

static void power_is(struct dcre_backend *b, const char *want_state, const char *want_raw)
{
	struct dcre_target t = target(1, 0x0004);
	struct dcre_power p;
	struct dcre_msg msg = {.text = ""};
	memset(&p, 0, sizeof(p));
	enum dcre_err e = b->ops->power(b, &t, NULL, DCRE_POWER_STATUS, &p, &msg);
	tap_ok(e == DCRE_OK, "power status of 00000001/0004 (%s)", e ? msg.text : "ok");
	tap_is_str(p.state, want_state, "power state");
	tap_is_str(p.pmbus_raw, want_raw, "the raw PMBus text");
	dcre_power_clear(&p);
}

static void led_is(struct dcre_backend *b, enum dcre_led_set set, const char *want,
                   const char *what)
{
	struct dcre_target t = target(1, 0x0005);
	struct dcre_led l = {0};
	struct dcre_msg msg = {.text = ""};
	enum dcre_err e = b->ops->led(b, &t, set, &l, &msg);
	tap_ok(e == DCRE_OK, "%s (%s)", what, e ? msg.text : "ok");
	tap_is_str(l.state, want, "%s: state", what);
	dcre_led_clear(&l);
}

/* ---- the test ---- */

static char dir[64], link_path[128], cfg_path[128];

int main(int argc, char **argv)
{
	struct dcre_msg why = {.text = ""};
	enum dcre_err err = DCRE_OK;

	dcre_log_set_level(DCRE_LOG_ERROR);
	if (argc < 2) {
		printf("1..0 # SKIP no emulator data file given\n");
		return 77;
	}
	snprintf(dir, sizeof(dir), "%s/dcre-plc-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!tap_ok(mkdtemp(dir) != NULL, "a temporary directory"))
		return 1;
	snprintf(link_path, sizeof(link_path), "%s/bus", dir);
	snprintf(cfg_path, sizeof(cfg_path), "%s/opendcre.json", dir);

	struct emu_data *data = emu_data_load(argv[1], &why, &err);
	if (!tap_ok(data != NULL, "the emulator data loads (%s)", data ? "ok" : why.text))
		return 1;
	bus = emu_bus_new(data);
	emu_pty_init(&port);
	if (!tap_ok(emu_pty_open(&port, link_path, &why) == DCRE_OK, "a pty pair (%s)", why.text))
		return 1;
	pthread_t th;
	if (!tap_ok(pthread_create(&th, NULL, emulator, NULL) == 0, "the emulator thread starts"))
		return 1;

	/* the PLC transport through the registry: load, prepare, open */
	FILE *f = fopen(cfg_path, "w");
	fprintf(f,
	        "{\"plc\": {\"hardware_type\": \"emulator\", \"device\": \"%s\", "
	        "\"lockfile\": \"%s/plc.lock\", \"timeout\": 0.25, \"retry_limit\": 3},"
	        " \"scan_cache\": {\"file\": \"%s/scan.json\"}}",
	        link_path, dir, dir);
	fclose(f);
	struct dcre_config *cfg = dcre_config_load(cfg_path, &dcre_registry, NULL, stderr);
	if (!tap_ok(cfg != NULL, "the configuration loads with the real registry"))
		return 1;
	size_t plc = 0;
	while (plc < dcre_registry.n && strcmp(dcre_registry.v[plc].name, "plc") != 0)
		plc++;
	const struct dcre_transport_hooks *h = dcre_registry.v[plc].hooks;
	void **states = dcre_xcalloc(dcre_registry.n, sizeof(*states));
	struct dcre_msg msg = {.text = ""};
	if (!tap_ok(!h->prepare || h->prepare(cfg->sections[plc], &states[plc], &msg) == DCRE_OK,
	            "the plc prepare hook (%s)", msg.text))
		return 1;
	struct dcre_ctx *ctx = dcre_ctx_new(cfg, states);
	tap_is_int(dcre_ctx_count(ctx), 1, "one backend: the PLC bus");
	struct dcre_backend *b = dcre_ctx_backend(ctx, 0);
	tap_is_str(b->kind, "plc", "its kind");
	tap_is_str(b->ops->name, "PLC bus", "its name");

	/* reads */
	read_is(b, 1, 0x01ff, "{\"temperature_c\":28.78}", "a fixed answer (656)");
	char *want0 = thermistor("0"), *want1 = thermistor("656");
	read_is(b, 1, 0x0002, want0, "a cursor's first answer (0)");
	read_is(b, 1, 0x0002, want1, "its second answer (656)");
	free(want0);
	free(want1);

	/* power: the first two answers of the cursor */
	power_is(b, "on", "0,0,0,0");
	power_is(b, "off", "64,0,0,0");

	/* LED: set, then read back what the board keeps */
	led_is(b, DCRE_LED_ON, "on", "LED on");
	led_is(b, DCRE_LED_GET, "on", "LED read back after on");
	led_is(b, DCRE_LED_OFF, "off", "LED off");
	led_is(b, DCRE_LED_GET, "off", "LED read back after off");

	/* scan-all */
	struct dcre_boards bs = {0};
	msg.text[0] = '\0';
	enum dcre_err e = b->ops->scan_all(b, &bs, &msg);
	tap_ok(e == DCRE_OK, "scan-all (%s)", e ? msg.text : "ok");
	bool b1 = false, b3 = false, dev = false;
	for (size_t i = 0; i < bs.n; i++) {
		b1 |= bs.v[i].id == 1;
		b3 |= bs.v[i].id == 3;
		for (size_t k = 0; bs.v[i].id == 1 && k < bs.v[i].n_devices; k++)
			dev |= bs.v[i].devices[k].id == 0x01ff &&
			       strcmp(bs.v[i].devices[k].type, "thermistor") == 0;
		tap_is_str(bs.v[i].backend, "plc", "scanned board %08x is the PLC bus's",
		           bs.v[i].id);
	}
	tap_ok(b1 && b3 && dev, "scan-all finds boards 00000001 (thermistor 01ff) and 00000003");
	dcre_boards_clear(&bs);

	/* corrupt answers and the retries (board 00000002) */
	char *want = thermistor("740");
	read_is(b, 2, 0x0003, want, "bad checksum, one retry answers");
	free(want);
	want = thermistor("752");
	read_is(b, 2, 0x0004, want, "bad checksum, bad trailer, the second retry answers");
	free(want);
	struct dcre_target t = target(2, 0x0005);
	struct dcre_reading r = {0};
	msg.text[0] = '\0';
	e = b->ops->read(b, &t, "thermistor", &r, &msg);
	tap_ok(e != DCRE_OK &&
	           strncmp(msg.text,
	                   "Corrupt packets received (failed checksum validation) - "
	                   "Retry limit reached.",
	                   76) == 0 &&
	           strstr(msg.text, "00000002") && strstr(msg.text, "0005"),
	       "corrupt past the retry limit: %s", msg.text);
	dcre_reading_clear(&r);

	/* a corrupt firmware version, answered after a retry */
	t = target(3, 0xFFFF);
	char *fw = NULL;
	msg.text[0] = '\0';
	e = b->ops->version(b, &t, &fw, &msg);
	tap_is_str(e ? msg.text : fw, "Board 00000003 v3 (after a retry)", "version after a retry");
	free(fw);

	dcre_ctx_free(ctx);
	if (h->cleanup && states[plc])
		h->cleanup(states[plc]);
	free(states);
	dcre_config_free(cfg);
	stop = 1;
	pthread_join(th, NULL);
	emu_pty_close(&port);
	emu_bus_free(bus);
	emu_data_free(data);
	char p[192];
	snprintf(p, sizeof(p), "%s/plc.lock", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/scan.json", dir);
	unlink(p);
	unlink(cfg_path);
	rmdir(dir);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
