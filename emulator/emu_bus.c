/* SPDX-License-Identifier: MIT */
/* Answering request packets (emulator.md §4–§9). Every answer is built into
 * one reusable output buffer, so a packet costs no allocation once the buffer
 * has grown to the largest answer. */
#include "emu_bus.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "plc_device.h"
#include "log.h"

struct emu_bus {
	struct emu_data *d;
	bool have_prev;
	struct plc_packet prev; /* the last command other than '?' */
	uint8_t seq;            /* sequence number of the packet being answered */
	struct plc_packet pkt;  /* scratch for value and dump answers */
	uint8_t *out;
	size_t len;
	size_t cap;
};

struct emu_bus *emu_bus_new(struct emu_data *data)
{
	struct emu_bus *b = dcre_xcalloc(1, sizeof(*b));

	b->d = data;
	b->cap = 4096;
	if (b->cap < data->max_raw * 4)
		b->cap = data->max_raw * 4;
	b->out = dcre_xmalloc(b->cap);
	return b;
}

void emu_bus_free(struct emu_bus *b)
{
	if (!b)
		return;
	free(b->out);
	free(b);
}

/* ---- output ------------------------------------------------------------------ */

static void reserve(struct emu_bus *b, size_t extra)
{
	if (b->cap - b->len >= extra)
		return;
	while (b->cap - b->len < extra)
		b->cap *= 2;
	b->out = dcre_xrealloc(b->out, b->cap);
}

static void send_packet(struct emu_bus *b, const struct plc_packet *p)
{
	reserve(b, PLC_MAX_FRAME);
	b->len += plc_frame_encode(p, b->out + b->len);
}

/* A response packet built from a value: type 0xFF, board 0, device 0xFFFF,
 * the request's sequence number (emulator.md §3). */
static void send_text(struct emu_bus *b, const uint8_t *text, size_t len)
{
	struct plc_packet *p = &b->pkt;

	p->seq = b->seq;
	p->type = PLC_TYPE_NONE;
	p->board = 0;
	p->device = 0xFFFF;
	p->len = (uint8_t)len;
	memcpy(p->data, text, len);
	send_packet(b, p);
}

/* Raw bytes with sentinel substitution (emulator.md §7). */
static void send_raw(struct emu_bus *b, const struct emu_item *it)
{
	uint8_t *o;

	reserve(b, it->len);
	o = b->out + b->len;
	for (size_t i = 0; i < it->len; i++) {
		unsigned v = it->raw[i];
		if (v <= 255) {
			o[i] = (uint8_t)v;
		} else if (v == EMU_RAW_SEQ) {
			o[i] = b->seq;
		} else {
			size_t k = v - EMU_RAW_SUM;
			o[i] = k <= i ? plc_frame_checksum(o + k, i - k) : 0;
		}
	}
	b->len += it->len;
}

static void send_item(struct emu_bus *b, const struct emu_item *it)
{
	switch (it->kind) {
	case EMU_ITEM_TEXT:
		send_text(b, it->text, it->len);
		break;
	case EMU_ITEM_RAW:
		send_raw(b, it);
		break;
	case EMU_ITEM_NULL:
		break;
	}
}

/* The item at the cursor, advancing it; NULL when the list never answers
 * (empty, or used up and not repeatable). */
static const struct emu_item *next_item(struct emu_list *l)
{
	if (l->n == 0)
		return NULL;
	if (l->cursor >= l->n) {
		if (!l->wrap)
			return NULL;
		l->cursor = 0;
	}
	return &l->items[l->cursor++];
}

static void send_next(struct emu_bus *b, struct emu_list *l)
{
	const struct emu_item *it = next_item(l);

	if (it)
		send_item(b, it);
	else
		dcre_debug("response list used up: no answer");
}

/* ---- matching (emulator.md §4) --------------------------------------------------- */

static struct emu_board *find_board(struct emu_data *d, uint32_t id, size_t from)
{
	for (size_t i = from; i < d->nboards; i++)
		if (d->boards[i].id == id)
			return &d->boards[i];
	return NULL;
}

static bool has_action(const struct emu_device *dev, enum emu_action act)
{
	if (dev->has_state) {
		switch (act) {
		case EMU_ACT_READ:
			return dev->val[EMU_KEY_READ].n > 0;
		case EMU_ACT_WRITE:
			return dev->val[EMU_KEY_WRITE].n > 0;
		case EMU_ACT_POWER:
			return dev->val[EMU_KEY_POWER].n > 0;
		case EMU_ACT_BOOT:
			return dev->val[EMU_KEY_BOOT].n > 0;
		case EMU_ACT_ASSET:
		case EMU_ACT_HOST:
		case EMU_ACT_COUNT:
			break;
		}
	}
	return act < EMU_ACT_COUNT && dev->sec[act].present;
}

static bool type_matches(const struct emu_device *dev, const struct plc_packet *cmd,
                         const char *pkt_type_name)
{
	if (strcmp(pkt_type_name, dev->type_name) == 0)
		return true;
	if (cmd->type == PLC_TYPE_FAN_SPEED && dev->type_code == PLC_TYPE_VAPOR_FAN)
		return true;
	return cmd->data[0] == 'P' && dev->power_any;
}

static struct emu_device *find_device(struct emu_data *d, const struct plc_packet *cmd,
                                      enum emu_action act)
{
	const char *tname = plc_device_type_name(cmd->type);

	for (size_t bi = 0; bi < d->nboards; bi++) {
		struct emu_board *bd = find_board(d, cmd->board, bi);
		if (!bd)
			break;
		bi = (size_t)(bd - d->boards);
		for (size_t i = 0; i < bd->ndevices; i++) {
			struct emu_device *dev = &bd->devices[i];
			if (dev->id == cmd->device && type_matches(dev, cmd, tname) &&
			    has_action(dev, act))
				return dev;
		}
	}
	return NULL;
}

/* ---- stateful devices (emulator.md §9) ---------------------------------------------- */

static void state_start(struct emu_device *dev, enum emu_key key)
{
	if (dev->state.set)
		return;
	dev->state.set = true;
	dev->state.val = &dev->val[key];
}

static void state_take(struct emu_device *dev, enum emu_key key)
{
	dev->state.val = &dev->val[key];
}

static void send_state(struct emu_bus *b, struct emu_device *dev)
{
	struct emu_state *st = &dev->state;
	const struct emu_text *t = &st->text;

	if (st->val) {
		size_t i = 0;
		if (st->val->n > 1)
			i = st->cursor++ % st->val->n;
		t = &st->val->v[i];
	}
	send_text(b, t->b, t->len);
}

static const uint8_t *find_byte_rev(const uint8_t *s, const uint8_t *end, uint8_t c)
{
	while (end > s) {
		end--;
		if (*end == c)
			return end;
	}
	return NULL;
}

/* Chamber LED: one state per rack (emulator.md §9). */
static enum dcre_err chamber_led(struct emu_bus *b, struct emu_device *dev,
                                 const struct plc_packet *cmd)
{
	const uint8_t *t = cmd->data + 1;
	const uint8_t *end = cmd->data + cmd->len;
	const uint8_t *c1 = memchr(t, ',', (size_t)(end - t));
	const uint8_t *cl = find_byte_rev(t, end, ',');
	const uint8_t *c2 = cl ? find_byte_rev(t, cl, ',') : NULL;
	struct emu_rack *rack = NULL;
	size_t rlen;

	if (!c1 || !c2 || c2 <= c1) {
		dcre_err_log("chamber LED command \"%.*s\" lacks the state,rack,color,blink fields",
		             (int)cmd->len, (const char *)cmd->data);
		return DCRE_EINVAL;
	}
	rlen = (size_t)(c2 - c1 - 1);
	for (size_t i = 0; i < dev->nracks; i++)
		if (dev->racks[i].name_len == rlen && memcmp(dev->racks[i].name, c1 + 1, rlen) == 0)
			rack = &dev->racks[i];
	if (!rack) {
		dev->racks = dcre_xrealloc(dev->racks, (dev->nracks + 1) * sizeof(*dev->racks));
		rack = &dev->racks[dev->nracks++];
		rack->name = dcre_xmalloc(rlen ? rlen : 1);
		memcpy(rack->name, c1 + 1, rlen);
		rack->name_len = rlen;
		rack->state = dev->val[EMU_KEY_WRITE].v[0];
	}
	if (!(end - cl - 1 == 2 && cl[1] == '-' && cl[2] == '1')) {
		/* "<state>" + ",<color>,<blink>" */
		size_t a = (size_t)(c1 - t), z = (size_t)(end - c2);
		memcpy(rack->state.b, t, a);
		memcpy(rack->state.b + a, c2, z);
		rack->state.len = (uint8_t)(a + z);
	}
	send_text(b, rack->state.b, rack->state.len);
	return DCRE_OK;
}

static enum dcre_err state_cmd(struct emu_bus *b, struct emu_device *dev,
                               const struct plc_packet *cmd)
{
	static const uint8_t w1[] = {'W', '1'};
	uint8_t sub = cmd->len > 1 ? cmd->data[1] : '?';
	size_t skip;

	switch (cmd->data[0]) {
	case 'R':
		state_start(dev, EMU_KEY_READ);
		break;
	case 'W':
		state_start(dev, EMU_KEY_WRITE);
		skip = dev->fan ? 2 : 1;
		if (skip > cmd->len)
			skip = cmd->len;
		dev->state.val = NULL;
		dev->state.text.len = (uint8_t)(cmd->len - skip);
		memcpy(dev->state.text.b, cmd->data + skip, cmd->len - skip);
		send_text(b, w1, sizeof(w1));
		return DCRE_OK;
	case 'P':
		state_start(dev, EMU_KEY_POWER);
		if (sub == '1')
			state_take(dev, EMU_KEY_ON);
		else if (sub == '0')
			state_take(dev, EMU_KEY_OFF);
		break;
	case 'B':
		/* crossed keys, kept from the original (emulator.md §9) */
		state_start(dev, EMU_KEY_BOOT);
		if (sub == '0')
			state_take(dev, EMU_KEY_HDD);
		else if (sub == '1')
			state_take(dev, EMU_KEY_PXE);
		else if (sub == '2')
			state_take(dev, EMU_KEY_NO_OVERRIDE);
		break;
	case 'L':
		return chamber_led(b, dev, cmd);
	default:
		return DCRE_OK;
	}
	send_state(b, dev);
	return DCRE_OK;
}

/* ---- commands (emulator.md §6) ------------------------------------------------------- */

static enum dcre_err device_cmd(struct emu_bus *b, const struct plc_packet *cmd,
                                enum emu_action act, bool retry)
{
	struct emu_device *dev = find_device(b->d, cmd, act);
	struct emu_section *sec;

	if (!dev) {
		dcre_debug("no device answers '%c' for board %08x device %04x type 0x%02x",
		           cmd->data[0], (unsigned)cmd->board, cmd->device, cmd->type);
		return DCRE_OK;
	}
	if (dev->has_state && act != EMU_ACT_ASSET && act != EMU_ACT_HOST)
		return state_cmd(b, dev, cmd);
	sec = &dev->sec[act];
	send_next(b, retry && sec->has_retry ? &sec->retry : &sec->responses);
	return DCRE_OK;
}

/* One board's answer to D: its next raw_data entry, or one dump response
 * per device. */
static void dump_board(struct emu_bus *b, struct emu_board *bd)
{
	if (bd->has_raw_data) {
		const struct emu_dump *e;
		if (bd->nraw_data == 0)
			return;
		if (bd->raw_cursor >= bd->nraw_data)
			bd->raw_cursor = 0;
		e = &bd->raw_data[bd->raw_cursor++];
		for (size_t i = 0; !e->null && i < e->n; i++)
			send_raw(b, &e->pkts[i]);
		return;
	}
	for (size_t i = 0; i < bd->ndevices; i++) {
		const struct emu_device *dev = &bd->devices[i];
		struct plc_packet *p = &b->pkt;
		p->seq = b->seq;
		p->type = dev->type_code;
		p->board = bd->id;
		p->device = dev->id;
		p->len = 1;
		p->data[0] = dev->type_code;
		send_packet(b, p);
	}
}

/* Corruption of a failed board's packets (emulator.md §8). */
static void corrupt(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != PLC_HEADER && p[i] != PLC_TRAILER)
			p[i] = (uint8_t)((p[i] + 1u) % 255u);
}

static void next_scenario(struct emu_data *d)
{
	d->scenario = (d->scenario + 1) % d->nscenarios;
	d->scenarios[d->scenario].retry_pos = 0;
}

static void scan_all(struct emu_bus *b, bool shuffle)
{
	struct emu_data *d = b->d;
	const struct emu_result *res = NULL; /* NULL: answer cleanly */

	if (d->nscenarios > 0) {
		struct emu_scenario *s = &d->scenarios[d->scenario];
		if (!shuffle) {
			res = &s->initial;
			if (!res->error)
				next_scenario(d);
		} else if (s->retry_pos < s->nretry) {
			res = &s->retry[s->retry_pos++];
			if (!res->error || s->retry_pos == s->nretry)
				next_scenario(d);
		} else {
			next_scenario(d);
		}
	}
	for (size_t i = 0; i < d->nboards; i++) {
		struct emu_board *bd = &d->boards[i];
		size_t start = b->len;
		dump_board(b, bd);
		if (res && res->error && strcmp(bd->id_text, res->failed_board) == 0)
			corrupt(b->out + start, b->len - start);
	}
}

static void scan_cmd(struct emu_bus *b, const struct plc_packet *cmd, bool retry)
{
	struct emu_board *bd;

	if (cmd->board & PLC_BOARD_SAVE) {
		dcre_debug("save packet %08x ignored", (unsigned)cmd->board);
		return;
	}
	if (cmd->board & PLC_BOARD_SCAN_ALL) {
		if (retry)
			dcre_debug("no answer to a retry of a scan-all");
		else
			scan_all(b, (cmd->board & PLC_BOARD_SHUFFLE) != 0);
		return;
	}
	bd = find_board(b->d, cmd->board, 0);
	if (!bd) {
		dcre_debug("no board %08x", (unsigned)cmd->board);
		return;
	}
	if (!retry)
		dump_board(b, bd);
	else if (bd->has_retry_raw)
		send_next(b, &bd->retry_raw);
}

static void version_cmd(struct emu_bus *b, const struct plc_packet *cmd, bool retry)
{
	struct emu_board *bd = find_board(b->d, cmd->board, 0);

	if (!bd) {
		dcre_debug("no board %08x", (unsigned)cmd->board);
		return;
	}
	if (!retry)
		send_item(b, &bd->firmware);
	else if (bd->has_retry_fw)
		send_next(b, &bd->retry_fw);
}

static enum dcre_err dispatch(struct emu_bus *b, const struct plc_packet *cmd, bool retry)
{
	switch (cmd->data[0]) {
	case 'D':
		scan_cmd(b, cmd, retry);
		return DCRE_OK;
	case 'V':
		version_cmd(b, cmd, retry);
		return DCRE_OK;
	case 'R':
		if (cmd->len != 1)
			return DCRE_OK;
		return device_cmd(b, cmd, EMU_ACT_READ, retry);
	case 'W':
	case 'L':
		return device_cmd(b, cmd, EMU_ACT_WRITE, retry);
	case 'P':
		return device_cmd(b, cmd, EMU_ACT_POWER, retry);
	case 'A':
		return device_cmd(b, cmd, EMU_ACT_ASSET, retry);
	case 'B':
		return device_cmd(b, cmd, EMU_ACT_BOOT, retry);
	case 'H':
		return device_cmd(b, cmd, EMU_ACT_HOST, retry);
	default:
		dcre_debug("command 0x%02x ignored", cmd->data[0]);
		return DCRE_OK;
	}
}

enum dcre_err emu_bus_handle(struct emu_bus *b, const struct plc_packet *req, const uint8_t **out,
                             size_t *n)
{
	enum dcre_err rc = DCRE_OK;

	b->len = 0;
	b->seq = req->seq;
	if (req->len == 0) {
		dcre_debug("packet without a command letter ignored");
	} else if (req->data[0] == '?') {
		if (b->have_prev)
			rc = dispatch(b, &b->prev, true);
		else
			dcre_debug("retry without a previous command ignored");
	} else {
		b->prev.seq = req->seq;
		b->prev.type = req->type;
		b->prev.board = req->board;
		b->prev.device = req->device;
		b->prev.len = req->len;
		memcpy(b->prev.data, req->data, req->len);
		b->have_prev = true;
		rc = dispatch(b, &b->prev, false);
	}
	if (rc) {
		b->have_prev = false;
		b->len = 0;
	}
	*out = b->out;
	*n = b->len;
	return rc;
}
