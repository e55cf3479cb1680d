/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the PLC packet codec and receive loop
 * (transports/plc/plc_frame.c).
 *
 * The input is bytes on the line. Asserted: a frame that decodes encodes
 * back to the same bytes; every packet the receive loop returns (reading
 * the input from a pipe, once accepting any sequence number and once only
 * the input's first byte) has a length within the limit, the expected
 * sequence number, and survives encode -> decode unchanged; the loop ends
 * (end of input) with no more packets than the input can hold; an input
 * taken as a packet's fields encodes and decodes to the same packet. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_check.h"
#include "plc_frame.h"

static void same_packet(const struct plc_packet *a, const struct plc_packet *b)
{
	fuzz_require(a->seq == b->seq && a->type == b->type && a->board == b->board &&
	                 a->device == b->device && a->len == b->len &&
	                 memcmp(a->data, b->data, a->len) == 0,
	             "encode -> decode gives the same packet");
}

static void roundtrip(const struct plc_packet *p)
{
	uint8_t frame[PLC_MAX_FRAME];
	struct plc_packet back;
	struct dcre_msg why;

	fuzz_require(p->len <= PLC_MAX_DATA, "data length within PLC_MAX_DATA");
	size_t n = plc_frame_encode(p, frame);
	fuzz_require(n == 12u + p->len, "encoded length is 12 + N");
	fuzz_require(plc_frame_decode(frame, n, &back, &why) == DCRE_OK,
	             "an encoded frame decodes");
	same_packet(p, &back);
}

static void decode_whole(const uint8_t *data, size_t size)
{
	struct plc_packet p;
	struct dcre_msg why;
	uint8_t frame[PLC_MAX_FRAME];

	why.text[0] = '\0';
	if (plc_frame_decode(data, size, &p, &why) != DCRE_OK) {
		fuzz_require(why.text[0] != '\0', "a rejected frame has a reason");
		fuzz_require(fuzz_utf8_valid(why.text, strlen(why.text), NULL),
		             "the reason is UTF-8");
		return;
	}
	size_t n = plc_frame_encode(&p, frame);
	fuzz_require(n == size && memcmp(frame, data, size) == 0,
	             "a decoded frame encodes back to its bytes");
}

/* The receive loop over the input; expected: PLC_SEQ_ANY or a number. */
static void receive_all(const uint8_t *data, size_t size, int expected)
{
	int fds[2];
	fuzz_require(pipe2(fds, O_CLOEXEC) == 0, "pipe");
	/* the input fits in the pipe buffer (size is capped below) */
	fuzz_require(size == 0 || write(fds[1], data, size) == (ssize_t)size, "write to pipe");
	close(fds[1]);

	struct plc_reader r;
	size_t packets = 0;
	plc_reader_init(&r, fds[0]);
	for (int guard = 0; guard < 100000; guard++) {
		struct plc_packet p;
		struct dcre_msg why;
		enum dcre_err e = plc_reader_receive(&r, 1000, expected, &p, &why);
		if (e == DCRE_OK) {
			packets++;
			fuzz_require(packets <= size / PLC_MIN_FRAME,
			             "no more packets than the input holds");
			fuzz_require(expected == PLC_SEQ_ANY || p.seq == expected,
			             "the packet has the expected sequence number");
			roundtrip(&p);
			continue;
		}
		fuzz_require(e == DCRE_EPROTO || e == DCRE_EIO,
		             "receive ends in EPROTO or EIO (end of input), never a timeout here");
		if (e == DCRE_EIO)
			break;
	}
	close(fds[0]);
}

static void fields(const uint8_t *data, size_t size)
{
	struct plc_packet p;
	if (size < 9)
		return;
	p.seq = data[0];
	p.type = data[1];
	p.board =
	    (uint32_t)data[2] << 24 | (uint32_t)data[3] << 16 | (uint32_t)data[4] << 8 | data[5];
	p.device = (uint16_t)(data[6] << 8 | data[7]);
	p.len = (uint8_t)(data[8] % (PLC_MAX_DATA + 1));
	if (p.len > size - 9)
		p.len = (uint8_t)(size - 9);
	memcpy(p.data, data + 9, p.len);
	roundtrip(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16384)
		return 0;
	signal(SIGPIPE, SIG_IGN);
	decode_whole(data, size);
	receive_all(data, size, PLC_SEQ_ANY);
	receive_all(data, size, size ? data[0] : 0);
	fields(data, size);
	return 0;
}
