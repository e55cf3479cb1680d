/* SPDX-License-Identifier: MIT */
#include "plc_frame.h"
#include "timeutil.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint8_t plc_frame_checksum(const uint8_t *bytes, size_t n)
{
	unsigned sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += bytes[i];
	return (uint8_t)((256 - (sum % 256)) % 256);
}

size_t plc_frame_encode(const struct plc_packet *p, uint8_t out[PLC_MAX_FRAME])
{
	size_t n = p->len;

	if (n > PLC_MAX_DATA)
		return 0;
	out[0] = PLC_HEADER;
	out[1] = (uint8_t)(9 + n);
	out[2] = p->seq;
	out[3] = p->type;
	out[4] = (uint8_t)(p->board >> 24);
	out[5] = (uint8_t)(p->board >> 16);
	out[6] = (uint8_t)(p->board >> 8);
	out[7] = (uint8_t)p->board;
	out[8] = (uint8_t)(p->device >> 8);
	out[9] = (uint8_t)p->device;
	memcpy(out + 10, p->data, n);
	out[10 + n] = plc_frame_checksum(out + 2, 8 + n);
	out[11 + n] = PLC_TRAILER;
	return 12 + n;
}

enum dcre_err plc_frame_decode(const uint8_t *frame, size_t n, struct plc_packet *out,
                               struct dcre_msg *why)
{
	if (n < PLC_MIN_FRAME)
		return dcre_msg_set(why, DCRE_EPROTO, "packet of %zu bytes is too short", n);
	if (frame[0] != PLC_HEADER)
		return dcre_msg_set(why, DCRE_EPROTO, "bad header byte 0x%02x", frame[0]);
	if (frame[1] != n - 3)
		return dcre_msg_set(why, DCRE_EPROTO, "length byte %u does not match %zu bytes",
		                    frame[1], n - 3);
	if (plc_frame_checksum(frame + 2, n - 4) != frame[n - 2])
		return dcre_msg_set(why, DCRE_EPROTO,
		                    "checksum 0x%02x does not match (want 0x%02x)", frame[n - 2],
		                    plc_frame_checksum(frame + 2, n - 4));
	if (frame[n - 1] != PLC_TRAILER)
		return dcre_msg_set(why, DCRE_EPROTO, "bad trailer byte 0x%02x", frame[n - 1]);
	out->seq = frame[2];
	out->type = frame[3];
	out->board = (uint32_t)frame[4] << 24 | (uint32_t)frame[5] << 16 | (uint32_t)frame[6] << 8 |
	             frame[7];
	out->device = (uint16_t)(frame[8] << 8 | frame[9]);
	out->len = (uint8_t)(n - 12);
	memcpy(out->data, frame + 10, out->len);
	return DCRE_OK;
}

void plc_reader_init(struct plc_reader *r, int fd)
{
	r->fd = fd;
	r->pos = 0;
	r->len = 0;
}

void plc_reader_discard(struct plc_reader *r)
{
	r->pos = 0;
	r->len = 0;
}

/* Refill the buffer, waiting until deadline (< 0: forever). */
static enum dcre_err fill(struct plc_reader *r, long long deadline)
{
	for (;;) {
		int wait = -1;
		if (deadline >= 0) {
			long long left = deadline - dcre_time_now_ms();
			if (left <= 0)
				return DCRE_ETIMEDOUT;
			wait = (int)left;
		}
		struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
		int pr = poll(&pfd, 1, wait);
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			return DCRE_EIO;
		}
		if (pr == 0)
			return DCRE_ETIMEDOUT;
		ssize_t got = read(r->fd, r->buf, sizeof(r->buf));
		if (got > 0) {
			r->pos = 0;
			r->len = (size_t)got;
			return DCRE_OK;
		}
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got == 0)
			errno = EPIPE;
		/* a hung-up pty reports POLLHUP and EIO */
		return DCRE_EIO;
	}
}

/* The deadline of one primitive read: timeout_ms from now, but never past
 * the overall deadline (< 0: none). -1 = forever. */
static long long read_deadline(int timeout_ms, long long overall)
{
	long long d = timeout_ms < 0 ? -1 : dcre_time_now_ms() + timeout_ms;
	if (overall >= 0 && (d < 0 || overall < d))
		d = overall;
	return d;
}

static enum dcre_err read_byte(struct plc_reader *r, int timeout_ms, long long overall, uint8_t *b)
{
	if (r->pos == r->len) {
		enum dcre_err e = fill(r, read_deadline(timeout_ms, overall));
		if (e)
			return e;
	}
	*b = r->buf[r->pos++];
	return DCRE_OK;
}

/* Up to n bytes before the deadline; TIMEOUT only if none arrived. */
static enum dcre_err read_bytes(struct plc_reader *r, int timeout_ms, long long overall,
                                uint8_t *dst, size_t n, size_t *got)
{
	long long deadline = read_deadline(timeout_ms, overall);
	*got = 0;
	while (*got < n) {
		if (r->pos == r->len) {
			enum dcre_err e = fill(r, deadline);
			if (e == DCRE_ETIMEDOUT)
				break;
			if (e)
				return e;
		}
		size_t take = r->len - r->pos;
		if (take > n - *got)
			take = n - *got;
		memcpy(dst + *got, r->buf + r->pos, take);
		r->pos += take;
		*got += take;
	}
	if (n > 0 && *got == 0)
		return DCRE_ETIMEDOUT;
	return DCRE_OK;
}

bool plc_packet_matches(const struct plc_packet *p, const struct plc_match *m)
{
	if (m->seq != PLC_SEQ_ANY && p->seq != m->seq)
		return false;
	if (!m->check_addr)
		return true;
	if (p->board != 0 && p->board != m->board)
		return false;
	return p->device == 0xFFFF || p->device == m->device;
}

enum dcre_err plc_reader_receive_until(struct plc_reader *r, int timeout_ms, long long deadline_ms,
                                       const struct plc_match *m, struct plc_packet *out,
                                       unsigned *skipped, struct dcre_msg *why)
{
	uint8_t frame[3 + 255];
	enum dcre_err e;

	for (;;) {
		uint8_t b = 0;
		size_t got = 0;
		do {
			e = read_byte(r, timeout_ms, deadline_ms, &b);
			if (e)
				return e;
		} while (b != PLC_HEADER);
		frame[0] = b;
		e = read_byte(r, timeout_ms, deadline_ms, &frame[1]);
		if (e)
			return e;
		e = read_bytes(r, timeout_ms, deadline_ms, frame + 2, frame[1], &got);
		if (e)
			return e;
		e = read_byte(r, timeout_ms, deadline_ms, &frame[2 + got]);
		if (e)
			return e;
		e = plc_frame_decode(frame, 3 + got, out, why);
		if (e)
			return e;
		if (plc_packet_matches(out, m))
			return DCRE_OK;
		/* a stale answer to an earlier retry, or another device's packet:
		 * drop it, start over */
		if (skipped)
			(*skipped)++;
	}
}

enum dcre_err plc_reader_receive(struct plc_reader *r, int timeout_ms, int expected_seq,
                                 struct plc_packet *out, struct dcre_msg *why)
{
	struct plc_match m = {.seq = expected_seq};
	return plc_reader_receive_until(r, timeout_ms, -1, &m, out, NULL, why);
}

enum dcre_err plc_write_all_until(int fd, const uint8_t *buf, size_t n, long long deadline_ms)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				int wait = 1000;
				if (deadline_ms >= 0) {
					long long left = deadline_ms - dcre_time_now_ms();
					if (left <= 0)
						return DCRE_ETIMEDOUT;
					if (left < wait)
						wait = (int)left;
				}
				struct pollfd pfd = {.fd = fd, .events = POLLOUT};
				int pr = poll(&pfd, 1, wait);
				if (pr < 0 && errno == EINTR)
					continue;
				if (pr == 0 && deadline_ms >= 0 &&
				    dcre_time_now_ms() >= deadline_ms)
					return DCRE_ETIMEDOUT;
				if (pr <= 0)
					return DCRE_EIO;
				continue;
			}
			return DCRE_EIO;
		}
		buf += w;
		n -= (size_t)w;
	}
	return DCRE_OK;
}

enum dcre_err plc_write_all(int fd, const uint8_t *buf, size_t n)
{
	return plc_write_all_until(fd, buf, n, -1);
}
