/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the emulator's data parser (emulator/emu_data.c
 * with the shared reader core/cfgload.c), then the bus model it feeds (emu_bus.c).
 *
 * The input is a data file. Asserted: a rejected file gets an error code and
 * a reason naming the file; an accepted one has consistent counts, and a
 * bus built on it answers a fixed set of requests to each board and device
 * (version, dump, read, write, power, asset, boot target, host info, chamber
 * LED, retry, scan-all) without a memory error or a leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "plc_device.h"
#include "emu_bus.h"
#include "emu_data.h"
#include "fuzz_check.h"

static void ask(struct emu_bus *bus, uint32_t board, uint16_t device, uint8_t type,
                const char *data, uint8_t seq)
{
	struct plc_packet req = {.seq = seq, .type = type, .board = board, .device = device};
	const uint8_t *out = NULL;
	size_t n = 0;

	req.len = (uint8_t)strlen(data);
	memcpy(req.data, data, req.len);
	if (emu_bus_handle(bus, &req, &out, &n) == DCRE_OK && n > 0) {
		fuzz_require(out != NULL, "an answer has bytes");
		/* touch every byte: ASan checks the length is real */
		unsigned sum = 0;
		for (size_t i = 0; i < n; i++)
			sum += out[i];
		(void)sum;
	}
}

static void drive(struct emu_data *d)
{
	static const char *const cmds[] = {"R",
	                                   "W1",
	                                   ("W\xff"
	                                    "4100"),
	                                   "P?",
	                                   "P1",
	                                   "P0",
	                                   "A",
	                                   "B?",
	                                   "B1",
	                                   "H",
	                                   "?",
	                                   "L1,rack_1,00ff00,0"};
	struct emu_bus *bus = emu_bus_new(d);
	uint8_t seq = 1;

	for (size_t b = 0; b < d->nboards && b < 8; b++) {
		const struct emu_board *bd = &d->boards[b];
		ask(bus, bd->id, 0xFFFF, 0xFF, "V", seq++);
		ask(bus, bd->id, 0xFFFF, 0xFF, "D", seq++);
		ask(bus, bd->id, 0xFFFF, 0xFF, "?", seq++);
		for (size_t k = 0; k < bd->ndevices && k < 16; k++) {
			const struct emu_device *dev = &bd->devices[k];
			for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
				ask(bus, bd->id, dev->id, dev->type_code, cmds[c], seq++);
		}
	}
	for (int i = 0; i < 3; i++) {
		ask(bus, PLC_BOARD_SCAN_ALL | 0x23544B, 0xFFFF, 0xFF, "D", seq++);
		ask(bus, PLC_BOARD_SCAN_ALL | 0x23544B, 0xFFFF, 0xFF, "?", seq++);
	}
	ask(bus, PLC_BOARD_SCAN_ALL | PLC_BOARD_SAVE, 0xFFFF, 0xFF, "D", seq++);
	emu_bus_free(bus);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	if (!init) {
		fuzz_quiet_log();
		init = true;
	}
	if (size > 262144)
		return 0;
	char *text = dcre_xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';

	struct dcre_msg why = {.text = ""};
	enum dcre_err err = DCRE_OK;
	struct emu_data *d = emu_data_parse(text, size, "fuzz.json", &why, &err);
	if (!d) {
		fuzz_require(err != DCRE_OK, "a rejected file has an error code");
		fuzz_require(strncmp(why.text, "fuzz.json", 9) == 0, "the reason names the file");
	} else {
		fuzz_require(d->nboards == 0 || d->boards, "boards are there");
		for (size_t b = 0; b < d->nboards; b++)
			fuzz_require(d->boards[b].ndevices == 0 || d->boards[b].devices,
			             "devices are there");
		drive(d);
		emu_data_free(d);
	}
	free(text);
	return 0;
}
