/* SPDX-License-Identifier: MIT */
/* PLC packet codec and receive algorithm, plc-protocol.md §2 and §3. */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plc_frame.h"
#include "tap.h"

#define SHORT_MS 50

/* Parse "01 0A FF" into out; returns the byte count. */
static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*s) {
		if (*s == ' ') {
			s++;
			continue;
		}
		char two[3] = {s[0], s[1], '\0'};
		if (n == cap || !s[1])
			abort();
		out[n++] = (uint8_t)strtoul(two, NULL, 16);
		s += 2;
	}
	return n;
}

static struct plc_packet pkt(uint8_t seq, uint8_t type, uint32_t board, uint16_t device,
                             const void *data, size_t len)
{
	struct plc_packet p;

	memset(&p, 0, sizeof(p));
	p.seq = seq;
	p.type = type;
	p.board = board;
	p.device = device;
	p.len = (uint8_t)len;
	memcpy(p.data, data, len);
	return p;
}

#define PKT_S(seq, type, board, dev, str) pkt(seq, type, board, dev, str, sizeof(str) - 1)

static bool same_packet(const struct plc_packet *a, const struct plc_packet *b)
{
	return a->seq == b->seq && a->type == b->type && a->board == b->board &&
	       a->device == b->device && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

struct golden {
	const char *name;
	struct plc_packet p;
	const char *hex;
};

static void test_golden(void)
{
	static const uint8_t d123[] = {0x01, 0x02, 0x03};
	static const uint8_t dump_thermistor[] = {0x9C};
	const struct golden g[] = {
	    {"seq 3 type 0x40 data 01 02 03", pkt(3, 0x40, 0x12345678, 0xAA05, d123, 3),
	     "01 0C 03 40 12 34 56 78 AA 05 01 02 03 F4 04"},
	    {"version board 0x0A", PKT_S(1, 0xFF, 0x0A, 0xFFFF, "V"),
	     "01 0A 01 FF 00 00 00 0A FF FF 56 A2 04"},
	    {"dump board 1", PKT_S(2, 0xFF, 0x01, 0xFFFF, "D"),
	     "01 0A 02 FF 00 00 00 01 FF FF 44 BC 04"},
	    {"dump response thermistor", pkt(2, 0x9C, 0x01, 0x01FF, dump_thermistor, 1),
	     "01 0A 02 9C 00 00 00 01 01 FF 9C C5 04"},
	    {"scan-all", PKT_S(3, 0xFF, PLC_BOARD_SCAN_ALL | 0x23544B, 0xFFFF, "D"),
	     "01 0A 03 FF 80 23 54 4B FF FF 44 7A 04"},
	    {"scan-all shuffle",
	     PKT_S(3, 0xFF, PLC_BOARD_SCAN_ALL | PLC_BOARD_SHUFFLE | 0x23544B, 0xFFFF, "D"),
	     "01 0A 03 FF A0 23 54 4B FF FF 44 5A 04"},
	    {"save", PKT_S(4, 0xFF, PLC_BOARD_SCAN_ALL | PLC_BOARD_SAVE, 0xFFFF, "D"),
	     "01 0A 04 FF 90 00 00 00 FF FF 44 2B 04"},
	    {"read thermistor", PKT_S(5, 0x9C, 0x14, 0x04FF, "R"),
	     "01 0A 05 9C 00 00 00 14 04 FF 52 F6 04"},
	    {"read response 656", PKT_S(5, 0xFF, 0, 0xFFFF, "656"),
	     "01 0C 05 FF 00 00 00 00 FF FF 36 35 36 5D 04"},
	    {"power status", PKT_S(6, 0x40, 0x1E, 0x01FF, "P?"),
	     "01 0B 06 40 00 00 00 1E 01 FF 50 3F 0D 04"},
	    {"power response", PKT_S(6, 0xFF, 0, 0xFFFF, "0,0,0,0"),
	     "01 10 06 FF 00 00 00 00 FF FF 30 2C 30 2C 30 2C 30 B9 04"},
	    {"LED write on", PKT_S(7, 0x10, 0x30, 0x0001, "W1"),
	     "01 0B 07 10 00 00 00 30 00 01 57 31 30 04"},
	    {"fan write 4100",
	     PKT_S(8, 0x82, 0x28, 0x0001,
	           "W\xFF"
	           "4100"),
	     "01 0F 08 82 00 00 00 28 00 01 57 FF 34 31 30 30 32 04"},
	    {"write response W1", PKT_S(8, 0xFF, 0, 0xFFFF, "W1"),
	     "01 0B 08 FF 00 00 00 00 FF FF 57 31 73 04"},
	    {"retry of read", PKT_S(9, 0x9C, 0x14, 0x04FF, "?"),
	     "01 0A 09 9C 00 00 00 14 04 FF 3F 05 04"},
	    {"boot target status", PKT_S(10, 0x12, 0x40, 0x0001, "B?"),
	     "01 0B 0A 12 00 00 00 40 00 01 42 3F 22 04"},
	    {"asset", PKT_S(11, 0x12, 0x50, 0x0001, "A"), "01 0A 0B 12 00 00 00 50 00 01 41 51 04"},
	    {"host info", PKT_S(13, 0x12, 0x90, 0x0001, "H"),
	     "01 0A 0D 12 00 00 00 90 00 01 48 08 04"},
	};

	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		uint8_t want[PLC_MAX_FRAME], got[PLC_MAX_FRAME];
		size_t wn = unhex(g[i].hex, want, sizeof(want));
		size_t n = plc_frame_encode(&g[i].p, got);
		struct plc_packet back;
		struct dcre_msg why = {{0}};

		tap_is_int(n, wn, "golden %s: encoded length", g[i].name);
		tap_ok(n == wn && memcmp(got, want, wn) == 0, "golden %s: encoded bytes",
		       g[i].name);
		tap_is_int(plc_frame_checksum(want + 2, wn - 4), want[wn - 2],
		           "golden %s: checksum", g[i].name);
		memset(&back, 0xAA, sizeof(back));
		tap_is_int(plc_frame_decode(want, wn, &back, &why), DCRE_OK, "golden %s: decodes",
		           g[i].name);
		tap_ok(same_packet(&back, &g[i].p), "golden %s: decoded fields", g[i].name);
	}
}

static void test_checksum(void)
{
	static const uint8_t zero[] = {0, 0, 0};
	static const uint8_t one[] = {1};
	static const uint8_t wrap[] = {0xFF, 0x01};

	tap_is_int(plc_frame_checksum(zero, 3), 0, "checksum of zeros is 0");
	tap_is_int(plc_frame_checksum(one, 1), 0xFF, "checksum of 1 is 0xFF");
	tap_is_int(plc_frame_checksum(wrap, 2), 0, "checksum of a sum of 256 is 0");
	tap_is_int(plc_frame_checksum(NULL, 0), 0, "checksum of nothing is 0");
}

/* A packet with a byte sum that is not 0 mod 256 after a trailer change is
 * used as the base of the corrupt cases. */
static void expect_corrupt(const uint8_t *f, size_t n, const char *frag, const char *name)
{
	struct plc_packet out;
	struct dcre_msg why = {{0}};

	tap_is_int(plc_frame_decode(f, n, &out, &why), DCRE_EPROTO, "corrupt %s: DCRE_EPROTO",
	           name);
	if (!tap_ok(strstr(why.text, frag) != NULL, "corrupt %s: reason names it", name))
		tap_diag("reason '%s', want '%s'", why.text, frag);
}

static void test_corrupt(void)
{
	uint8_t good[PLC_MAX_FRAME], f[PLC_MAX_FRAME];
	size_t n = unhex("01 0C 05 FF 00 00 00 00 FF FF 36 35 36 5D 04", good, sizeof(good));
	struct plc_packet out;

	/* 1. too short wins over everything else */
	memcpy(f, good, n);
	f[0] = 0x02;
	expect_corrupt(f, 11, "too short", "11 bytes (also bad header)");
	expect_corrupt(f, 0, "too short", "0 bytes");
	static const uint8_t tiny[] = {0x01, 0x00, 0x04};
	expect_corrupt(tiny, 3, "too short", "01 00 04");

	/* 2. bad header wins over length, checksum and trailer */
	memcpy(f, good, n);
	f[0] = 0x02;
	f[1] = 0x33;
	f[n - 2] ^= 0xFF;
	f[n - 1] = 0x05;
	expect_corrupt(f, n, "bad header", "bad header (+ length, checksum, trailer)");

	/* 3. length mismatch wins over checksum and trailer */
	memcpy(f, good, n);
	f[1] = 0x0B;
	f[n - 2] ^= 0xFF;
	f[n - 1] = 0x05;
	expect_corrupt(f, n, "length byte", "length mismatch (+ checksum, trailer)");
	memcpy(f, good, n);
	f[1] = 0x0D;
	expect_corrupt(f, n, "length byte", "length too large");

	/* 4. checksum wins over trailer */
	memcpy(f, good, n);
	f[n - 2] ^= 0x01;
	f[n - 1] = 0x05;
	expect_corrupt(f, n, "checksum", "bad checksum (+ trailer)");
	memcpy(f, good, n);
	f[5] ^= 0x10; /* a data bit flipped, checksum left alone */
	expect_corrupt(f, n, "checksum", "flipped board bit");

	/* 5. bad trailer alone */
	memcpy(f, good, n);
	f[n - 1] = 0x05;
	expect_corrupt(f, n, "bad trailer", "bad trailer");

	/* why may be NULL */
	tap_is_int(plc_frame_decode(f, n, &out, NULL), DCRE_EPROTO, "decode with why NULL");
}

static void test_sizes(void)
{
	struct plc_packet p, back;
	uint8_t f[PLC_MAX_FRAME + 8];
	struct dcre_msg why = {{0}};

	memset(&p, 0, sizeof(p));
	p.seq = 0xFE;
	p.type = 0xFF;
	p.board = 0xFFFFFFFF;
	p.device = 0xFFFF;
	for (size_t i = 0; i < PLC_MAX_DATA; i++)
		p.data[i] = (uint8_t)(i * 7 + 1);

	memset(f, 0xEE, sizeof(f));
	p.len = PLC_MAX_DATA + 1;
	tap_is_int(plc_frame_encode(&p, f), 0, "247 data bytes refused");
	bool untouched = true;
	for (size_t i = 0; i < sizeof(f); i++)
		untouched = untouched && f[i] == 0xEE;
	tap_ok(untouched, "refused encode writes nothing");
	p.len = 255;
	tap_is_int(plc_frame_encode(&p, f), 0, "255 data bytes refused");

	p.len = PLC_MAX_DATA;
	tap_is_int(plc_frame_encode(&p, f), PLC_MAX_FRAME, "246 data bytes: 258-byte frame");
	tap_is_int(f[1], 255, "246 data bytes: length byte 255");
	tap_is_int(f[PLC_MAX_FRAME - 1], PLC_TRAILER, "246 data bytes: trailer");
	tap_is_int(f[PLC_MAX_FRAME], 0xEE, "246 data bytes: nothing written past the frame");
	tap_is_int(plc_frame_decode(f, PLC_MAX_FRAME, &back, &why), DCRE_OK,
	           "246 data bytes: decodes");
	tap_ok(same_packet(&p, &back), "246 data bytes: round trip");

	p.len = 0;
	tap_is_int(plc_frame_encode(&p, f), PLC_MIN_FRAME, "0 data bytes: 12-byte frame");
	tap_is_int(f[1], 9, "0 data bytes: length byte 9");
	tap_is_int(plc_frame_decode(f, PLC_MIN_FRAME, &back, &why), DCRE_OK,
	           "0 data bytes: decodes");
	tap_ok(same_packet(&p, &back), "0 data bytes: round trip");
}

/* --- receive over a pipe --- */

struct line {
	int rd, wr;
	struct plc_reader r;
};

static void line_open(struct line *l)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) != 0)
		abort();
	l->rd = fds[0];
	l->wr = fds[1];
	plc_reader_init(&l->r, l->rd);
}

static void line_close(struct line *l)
{
	if (l->rd >= 0)
		close(l->rd);
	if (l->wr >= 0)
		close(l->wr);
	l->rd = l->wr = -1;
}

static void line_close_writer(struct line *l)
{
	close(l->wr);
	l->wr = -1;
}

static void put(struct line *l, const uint8_t *b, size_t n)
{
	if (plc_write_all(l->wr, b, n) != DCRE_OK)
		abort();
}

static void put_hex(struct line *l, const char *hex)
{
	uint8_t b[512];
	put(l, b, unhex(hex, b, sizeof(b)));
}

static void put_pkt(struct line *l, const struct plc_packet *p)
{
	uint8_t b[PLC_MAX_FRAME];
	put(l, b, plc_frame_encode(p, b));
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *const READ656 = "01 0C 05 FF 00 00 00 00 FF FF 36 35 36 5D 04";

static void test_rx_basic(void)
{
	struct line l;
	struct plc_packet out;
	struct dcre_msg why = {{0}};
	const struct plc_packet want = PKT_S(5, 0xFF, 0, 0xFFFF, "656");

	line_open(&l);
	put_hex(&l, READ656);
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, 5, &out, &why), DCRE_OK, "rx: one packet");
	tap_ok(same_packet(&out, &want), "rx: fields of the packet");
	line_close(&l);

	/* noise without 0x01 before the header is skipped */
	line_open(&l);
	put_hex(&l, "00 FF AA 55 04 02 7F 80");
	put_hex(&l, READ656);
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, 5, &out, &why), DCRE_OK,
	           "rx: noise before the header skipped");
	tap_ok(same_packet(&out, &want), "rx: packet after noise intact");
	line_close(&l);

	/* PLC_SEQ_ANY and forever-timeout (emulator mode) with data present */
	line_open(&l);
	put_hex(&l, READ656);
	tap_is_int(plc_reader_receive(&l.r, -1, PLC_SEQ_ANY, &out, &why), DCRE_OK,
	           "rx: PLC_SEQ_ANY, no timeout");
	tap_is_int(out.seq, 5, "rx: PLC_SEQ_ANY gives the packet's seq");
	line_close(&l);

	/* the largest packet */
	line_open(&l);
	struct plc_packet big;
	memset(&big, 0, sizeof(big));
	big.seq = 0x42;
	big.len = PLC_MAX_DATA;
	for (size_t i = 0; i < PLC_MAX_DATA; i++)
		big.data[i] = (uint8_t)(0x80 + i); /* includes 0x01 and 0x04 bytes */
	put_pkt(&l, &big);
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, 0x42, &out, &why), DCRE_OK,
	           "rx: 258-byte packet");
	tap_ok(same_packet(&out, &big), "rx: 258-byte packet intact");
	line_close(&l);
}

static void test_rx_seq(void)
{
	struct line l;
	struct plc_packet out;
	struct dcre_msg why = {{0}};
	const struct plc_packet stale = PKT_S(4, 0xFF, 0, 0xFFFF, "111");
	const struct plc_packet right = PKT_S(5, 0xFF, 0, 0xFFFF, "656");

	line_open(&l);
	put_pkt(&l, &stale);
	put_pkt(&l, &right);
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, 5, &out, &why), DCRE_OK,
	           "rx: stale seq then right seq");
	tap_ok(same_packet(&out, &right), "rx: the right packet is returned, the stale dropped");
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, 5, &out, &why), DCRE_ETIMEDOUT,
	           "rx: nothing left after the right packet");
	line_close(&l);

	/* only a stale answer: it is dropped and the read times out */
	line_open(&l);
	put_pkt(&l, &stale);
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, 5, &out, &why), DCRE_ETIMEDOUT,
	           "rx: only a stale packet -> TIMEOUT");
	line_close(&l);

	/* two packets in one write: successive calls return both */
	line_open(&l);
	uint8_t two[2 * PLC_MAX_FRAME];
	size_t n = plc_frame_encode(&stale, two);
	n += plc_frame_encode(&right, two + n);
	put(&l, two, n);
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, PLC_SEQ_ANY, &out, &why), DCRE_OK,
	           "rx: two in one write, first");
	tap_ok(same_packet(&out, &stale), "rx: first packet of the two");
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, PLC_SEQ_ANY, &out, &why), DCRE_OK,
	           "rx: two in one write, second");
	tap_ok(same_packet(&out, &right), "rx: second packet of the two");
	line_close(&l);

	/* plc_reader_discard drops what is buffered */
	line_open(&l);
	put(&l, two, n);
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, PLC_SEQ_ANY, &out, &why), DCRE_OK,
	           "rx: discard: first packet read");
	plc_reader_discard(&l.r);
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, PLC_SEQ_ANY, &out, &why), DCRE_ETIMEDOUT,
	           "rx: discard dropped the buffered second packet");
	line_close(&l);
}

static void test_rx_errors(void)
{
	struct line l;
	struct plc_packet out;
	struct dcre_msg why = {{0}};
	uint8_t f[PLC_MAX_FRAME];
	size_t n;

	/* wrong checksum */
	line_open(&l);
	n = unhex(READ656, f, sizeof(f));
	f[n - 2] ^= 0x01;
	put(&l, f, n);
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, 5, &out, &why), DCRE_EPROTO,
	           "rx: wrong checksum -> EPROTO");
	tap_ok(strstr(why.text, "checksum") != NULL, "rx: reason names the checksum");
	line_close(&l);

	/* corrupt beats the sequence check: a stale seq with a bad checksum */
	line_open(&l);
	n = unhex(READ656, f, sizeof(f));
	f[2] = 4;
	put(&l, f, n);
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, 5, &out, &why), DCRE_EPROTO,
	           "rx: corrupt packet with another seq -> EPROTO, not skipped");
	line_close(&l);

	/* no data at all */
	line_open(&l);
	long long t0 = mono_ms();
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, 5, &out, &why), DCRE_ETIMEDOUT,
	           "rx: no data -> TIMEOUT");
	long long dt = mono_ms() - t0;
	tap_ok(dt >= SHORT_MS - 1, "rx: TIMEOUT not before the deadline (%lld ms)", dt);
	tap_ok(dt < 5000, "rx: TIMEOUT returned (%lld ms)", dt);
	line_close(&l);

	/* a 0x01 in noise taken as the header: L = 3, body BB CC DD, trailer
	 * EE -> 6 bytes, too short -> CORRUPT; the real packet after it is
	 * still read by the next call */
	line_open(&l);
	put_hex(&l, "AA 01 03 BB CC DD EE");
	put_hex(&l, READ656);
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, 5, &out, &why), DCRE_EPROTO,
	           "rx: 0x01 in noise taken as header -> EPROTO");
	tap_ok(strstr(why.text, "too short") != NULL, "rx: noise header: too short");
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, 5, &out, &why), DCRE_OK,
	           "rx: the packet after the noise is read next");
	line_close(&l);

	/* a 0x01 in noise with a length that swallows the real packet */
	line_open(&l);
	put_hex(&l, "01 0A");
	put_hex(&l, READ656);
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, 5, &out, &why), DCRE_EPROTO,
	           "rx: noise header swallowing a packet -> EPROTO");
	line_close(&l);

	/* length 0: 01 00 04 is 3 bytes -> CORRUPT */
	line_open(&l);
	put_hex(&l, "01 00 04");
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, 5, &out, &why), DCRE_EPROTO,
	           "rx: length byte 0 -> EPROTO");
	line_close(&l);

	/* truncated: L = 10 but only 3 body bytes arrive. read_bytes returns
	 * those 3 at its deadline, then the trailer read_byte times out: §3
	 * step 3 makes that TIMEOUT (not CORRUPT). */
	line_open(&l);
	put_hex(&l, "01 0A 05 FF 00");
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, 5, &out, &why), DCRE_ETIMEDOUT,
	           "rx: truncated body -> TIMEOUT (trailer read times out)");
	line_close(&l);

	/* the whole body but no trailer: TIMEOUT */
	line_open(&l);
	put_hex(&l, "01 0C 05 FF 00 00 00 00 FF FF 36 35 36 5D");
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, 5, &out, &why), DCRE_ETIMEDOUT,
	           "rx: missing trailer -> TIMEOUT");
	line_close(&l);

	/* only a header byte: the length read times out */
	line_open(&l);
	put_hex(&l, "01");
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, 5, &out, &why), DCRE_ETIMEDOUT,
	           "rx: lone header byte -> TIMEOUT");
	line_close(&l);

	/* truncated packet followed by a good one in the same burst: the body
	 * borrows bytes of the next packet -> CORRUPT */
	line_open(&l);
	put_hex(&l, "01 0A 05 FF 00");
	put_hex(&l, READ656);
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, 5, &out, &why), DCRE_EPROTO,
	           "rx: truncated packet then another -> EPROTO");
	line_close(&l);

	/* writer closed, nothing buffered */
	line_open(&l);
	line_close_writer(&l);
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, 5, &out, &why), DCRE_EIO,
	           "rx: writer closed -> EIO");
	tap_is_int(plc_reader_receive(&l.r, -1, 5, &out, &why), DCRE_EIO,
	           "rx: writer closed, no timeout -> EIO (no hang)");
	line_close(&l);

	/* writer closed after a good packet: the packet first, then EIO */
	line_open(&l);
	put_hex(&l, READ656);
	line_close_writer(&l);
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, 5, &out, &why), DCRE_OK,
	           "rx: packet before close is read");
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, 5, &out, &why), DCRE_EIO, "rx: then EIO");
	line_close(&l);

	/* writer closed in the middle of a packet */
	line_open(&l);
	put_hex(&l, "01 0C 05 FF 00");
	line_close_writer(&l);
	tap_is_int(plc_reader_receive(&l.r, SHORT_MS, 5, &out, &why), DCRE_EIO,
	           "rx: writer closed mid-packet -> EIO");
	line_close(&l);

	/* writing to a line whose reader is gone fails with EIO */
	line_open(&l);
	close(l.rd);
	l.rd = -1;
	n = unhex(READ656, f, sizeof(f));
	tap_is_int(plc_write_all(l.wr, f, n), DCRE_EIO, "write_all: reader gone -> EIO");
	line_close(&l);
}

/* --- issue 11: the overall deadline and the address match --- */

static void test_rx_deadline(void)
{
	struct line l;
	struct plc_packet out;
	struct dcre_msg why = {{0}};
	struct plc_match m = {.seq = 5};

	/* a noise byte every 10 ms (each gap shorter than the read timeout) for
	 * 800 ms: the per-read timeouts alone never end the header search */
	line_open(&l);
	pid_t child = fork();
	if (child == 0) {
		static const uint8_t noise = 0x55;
		for (int i = 0; i < 80; i++) {
			if (write(l.wr, &noise, 1) != 1)
				_exit(1);
			usleep(10000);
		}
		_exit(0);
	}
	long long t0 = mono_ms();
	enum dcre_err e = plc_reader_receive_until(&l.r, SHORT_MS, t0 + 150, &m, &out, NULL, &why);
	long long dt = mono_ms() - t0;
	tap_is_int(e, DCRE_ETIMEDOUT, "deadline: trickled noise ends with TIMEOUT");
	tap_ok(dt >= 140 && dt < 400, "deadline: at the overall deadline (150 ms), took %lld ms",
	       dt);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	line_close(&l);

	/* stale packets skipped until the deadline, counted */
	line_open(&l);
	unsigned skipped = 0;
	for (int i = 0; i < 3; i++) {
		const struct plc_packet stale = PKT_S(4, 0xFF, 0, 0xFFFF, "1");
		put_pkt(&l, &stale);
	}
	tap_is_int(
	    plc_reader_receive_until(&l.r, SHORT_MS, mono_ms() + 1000, &m, &out, &skipped, &why),
	    DCRE_ETIMEDOUT, "deadline: only stale packets: TIMEOUT");
	tap_is_int((int)skipped, 3, "deadline: 3 stale packets counted");
	line_close(&l);

	/* a deadline already passed: TIMEOUT at once even with data waiting */
	line_open(&l);
	put_hex(&l, READ656);
	tap_is_int(plc_reader_receive_until(&l.r, SHORT_MS, mono_ms() - 1, &m, &out, NULL, &why),
	           DCRE_ETIMEDOUT, "deadline: passed deadline: TIMEOUT");
	line_close(&l);
}

static void test_rx_match(void)
{
	struct plc_match m = {.seq = 7, .check_addr = true, .board = 0x12, .device = 3};
	const struct plc_packet anon = PKT_S(7, 0xFF, 0, 0xFFFF, "1");
	const struct plc_packet same = PKT_S(7, 0xFF, 0x12, 3, "1");
	const struct plc_packet board_only = PKT_S(7, 0xFF, 0x12, 0xFFFF, "1");
	const struct plc_packet other_board = PKT_S(7, 0xFF, 0x13, 3, "1");
	const struct plc_packet other_dev = PKT_S(7, 0xFF, 0x12, 4, "1");
	const struct plc_packet other_seq = PKT_S(6, 0xFF, 0x12, 3, "1");

	tap_ok(plc_packet_matches(&anon, &m), "match: board 0, device ffff name nothing");
	tap_ok(plc_packet_matches(&same, &m), "match: same board and device");
	tap_ok(plc_packet_matches(&board_only, &m), "match: same board, no device");
	tap_ok(!plc_packet_matches(&other_board, &m), "match: another board is refused");
	tap_ok(!plc_packet_matches(&other_dev, &m), "match: another device is refused");
	tap_ok(!plc_packet_matches(&other_seq, &m), "match: another sequence is refused");
	m.check_addr = false;
	tap_ok(plc_packet_matches(&other_board, &m), "match: without check_addr only the seq");

	/* in the receive loop: the foreign packet is skipped, the right one taken */
	struct line l;
	struct plc_packet out;
	struct dcre_msg why = {{0}};
	unsigned skipped = 0;
	m.check_addr = true;
	line_open(&l);
	put_pkt(&l, &other_dev);
	put_pkt(&l, &same);
	tap_is_int(
	    plc_reader_receive_until(&l.r, SHORT_MS, mono_ms() + 1000, &m, &out, &skipped, &why),
	    DCRE_OK, "match: receive skips the foreign packet");
	tap_ok(same_packet(&out, &same) && skipped == 1, "match: the right packet, 1 skipped");
	line_close(&l);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_golden();
	test_checksum();
	test_corrupt();
	test_sizes();
	test_rx_basic();
	test_rx_seq();
	test_rx_errors();
	test_rx_deadline();
	test_rx_match();
	return tap_done();
}
