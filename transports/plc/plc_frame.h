/* SPDX-License-Identifier: MIT */
/* PLC packet codec and receive algorithm (plc-protocol.md §2, §3). Shared by
 * the service and the emulator: there is one copy of the codec. */
#ifndef PLC_FRAME_H
#define PLC_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PLC_HEADER 0x01
#define PLC_TRAILER 0x04
#define PLC_MAX_DATA 246
#define PLC_MIN_FRAME 12
#define PLC_MAX_FRAME (PLC_MAX_DATA + 12)

#define PLC_BOARD_SCAN_ALL 0x80000000u
#define PLC_BOARD_IPMI 0x40000000u
#define PLC_BOARD_SHUFFLE 0x20000000u
#define PLC_BOARD_SAVE 0x10000000u

struct plc_packet {
	uint8_t seq;
	uint8_t type;
	uint32_t board;
	uint16_t device;
	uint8_t len; /* data length N, 0..PLC_MAX_DATA */
	uint8_t data[PLC_MAX_DATA];
};

/* Two's complement of the byte sum modulo 256. */
uint8_t plc_frame_checksum(const uint8_t *bytes, size_t n);

/* Encode p into out. Returns the frame length (12 + N), or 0 when p->len
 * exceeds PLC_MAX_DATA (nothing written). */
size_t plc_frame_encode(const struct plc_packet *p, uint8_t out[PLC_MAX_FRAME]);

/* Validate and decode a whole frame (§3 step 4, first failure wins).
 * DCRE_EPROTO on a data or checksum error; why (may be NULL) names it. */
enum dcre_err plc_frame_decode(const uint8_t *frame, size_t n, struct plc_packet *out,
                               struct dcre_msg *why);

/* Buffered reader over a serial descriptor. Owned by the caller; does not
 * own fd. */
struct plc_reader {
	int fd;
	size_t pos;
	size_t len;
	uint8_t buf[1024];
};

void plc_reader_init(struct plc_reader *r, int fd);
/* Drop every buffered byte (use together with tcflush(TCIFLUSH)). */
void plc_reader_discard(struct plc_reader *r);

#define PLC_SEQ_ANY (-1)
/* The receive algorithm of §3: skip to a 0x01 header, read L, L bytes and
 * the trailer, each primitive with its own deadline of timeout_ms (< 0: wait
 * forever), validate, and skip packets whose sequence differs from
 * expected_seq (PLC_SEQ_ANY accepts any). Returns DCRE_OK, DCRE_ETIMEDOUT
 * (no complete packet), DCRE_EPROTO (corrupt; why names the problem) or
 * DCRE_EIO (read error or end of file; errno kept). */
enum dcre_err plc_reader_receive(struct plc_reader *r, int timeout_ms, int expected_seq,
                                 struct plc_packet *out, struct dcre_msg *why);

/* What an answer must match to be accepted. The sequence number always (when
 * not PLC_SEQ_ANY); with check_addr also the board and the device where the
 * answer carries them: a board field other than 0 must equal board, a device
 * field other than 0xFFFF must equal device (the emulator answers with board
 * 0 and device 0xFFFF, which name nothing). */
struct plc_match {
	int seq;
	bool check_addr;
	uint32_t board;
	uint16_t device;
};

bool plc_packet_matches(const struct plc_packet *p, const struct plc_match *m);

/* plc_reader_receive with one overall deadline on top of the per-read
 * timeouts: deadline_ms (on the dcre_time_now_ms() clock; < 0: none) ends
 * the header search, the reads and the skipping of packets that do not match
 * m, with DCRE_ETIMEDOUT. *skipped (may be NULL) counts the packets dropped
 * for not matching. */
enum dcre_err plc_reader_receive_until(struct plc_reader *r, int timeout_ms, long long deadline_ms,
                                       const struct plc_match *m, struct plc_packet *out,
                                       unsigned *skipped, struct dcre_msg *why);

/* Write all of buf (retrying on EINTR/short writes). DCRE_EIO on failure. */
enum dcre_err plc_write_all(int fd, const uint8_t *buf, size_t n);
/* The same, giving up (DCRE_ETIMEDOUT) at deadline_ms (< 0: none). */
enum dcre_err plc_write_all_until(int fd, const uint8_t *buf, size_t n, long long deadline_ms);

#endif
