/* SPDX-License-Identifier: MIT */
/* The emulator's data file (emulator.md §3, §8, §9): loading, complete
 * validation, and the in-memory model with its cursors and device state.
 *
 * The model is plain data: emu_bus.c reads it and moves its cursors; nothing
 * in here does I/O after loading. */
#ifndef EMU_DATA_H
#define EMU_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "plc_frame.h"

/* Sentinels of a raw byte list (emulator.md §7). */
#define EMU_RAW_SEQ 999
#define EMU_RAW_SUM 1000 /* 1000 + k: checksum from index k */
#define EMU_RAW_SUM_MAX 1255

enum emu_item_kind {
	EMU_ITEM_TEXT, /* one value packet whose data is text[0..len) */
	EMU_ITEM_RAW,  /* raw[0..len) written verbatim after sentinel substitution */
	EMU_ITEM_NULL, /* nothing is sent */
};

/* One response item. */
struct emu_item {
	enum emu_item_kind kind;
	size_t len;
	uint8_t *text; /* EMU_ITEM_TEXT: len <= PLC_MAX_DATA */
	uint16_t *raw; /* EMU_ITEM_RAW: 0..255, EMU_RAW_SEQ, EMU_RAW_SUM..EMU_RAW_SUM_MAX */
};

/* A list of items with its cursor (emulator.md §5). */
struct emu_list {
	struct emu_item *items;
	size_t n;
	size_t cursor;
	bool wrap; /* repeatable (response lists) or always (retry lists) */
};

/* Actions a device can answer, one per section key. */
enum emu_action {
	EMU_ACT_READ,
	EMU_ACT_WRITE,
	EMU_ACT_POWER,
	EMU_ACT_ASSET,
	EMU_ACT_BOOT,
	EMU_ACT_HOST,
	EMU_ACT_COUNT,
};

struct emu_section {
	bool present;
	bool has_retry;
	struct emu_list responses;
	struct emu_list retry;
};

/* A plain payload text (state values). */
struct emu_text {
	uint8_t len;
	uint8_t b[PLC_MAX_DATA];
};

/* A state value of a stateful device: one text, or a list for power/on/off.
 * n == 0 means the key is absent. */
struct emu_value {
	struct emu_text *v;
	size_t n;
};

/* Keys of a stateful device that hold plain values (emulator.md §9). */
enum emu_key {
	EMU_KEY_READ,
	EMU_KEY_WRITE,
	EMU_KEY_POWER,
	EMU_KEY_BOOT,
	EMU_KEY_ON,
	EMU_KEY_OFF,
	EMU_KEY_HDD,
	EMU_KEY_PXE,
	EMU_KEY_NO_OVERRIDE,
	EMU_KEY_COUNT,
};

/* The one remembered state of a stateful device. */
struct emu_state {
	bool set;
	const struct emu_value *val; /* NULL: text holds the state */
	struct emu_text text;
	size_t cursor; /* the device-level cursor for list states */
};

/* Chamber LED state of one rack. */
struct emu_rack {
	uint8_t *name;
	size_t name_len;
	struct emu_text state;
};

struct emu_device {
	uint16_t id;
	char *type_name;
	uint8_t type_code;
	bool fan;       /* fan_speed or vapor_fan: write payload after the 0xFF byte */
	bool power_any; /* power, vapor_rectifier or vapor_battery: matches every P */
	bool has_state;
	struct emu_section sec[EMU_ACT_COUNT]; /* stateful: only ASSET and HOST */
	struct emu_value val[EMU_KEY_COUNT];   /* stateful devices only */
	struct emu_state state;
	struct emu_rack *racks;
	size_t nracks;
};

/* One raw_data entry: the packets of one dump answer, or null (silence). */
struct emu_dump {
	bool null;
	struct emu_item *pkts; /* EMU_ITEM_RAW */
	size_t n;
};

struct emu_board {
	uint32_t id;
	char *id_text;            /* board_id as written (failed_board compares with it) */
	struct emu_item firmware; /* TEXT or RAW */
	bool has_retry_fw;
	struct emu_list retry_fw;
	bool has_raw_data;
	struct emu_dump *raw_data;
	size_t nraw_data;
	size_t raw_cursor;
	bool has_retry_raw;
	struct emu_list retry_raw;
	struct emu_device *devices;
	size_t ndevices;
};

struct emu_result {
	bool error;
	char *failed_board; /* error only */
};

struct emu_scenario {
	struct emu_result initial;
	struct emu_result *retry;
	size_t nretry;
	size_t retry_pos;
};

struct emu_data {
	struct emu_board *boards;
	size_t nboards;
	struct emu_scenario *scenarios;
	size_t nscenarios;
	size_t scenario; /* index of the current scenario */
	size_t max_raw;  /* longest raw byte list, for output sizing */
};

/* Load and validate the data file at path. On failure returns NULL, sets
 * *err (DCRE_ECONFIG for a bad file, DCRE_EIO when it cannot be read) and
 * writes "<path>: <key path>: <problem>" into why. Unknown keys are logged as
 * warnings. Caller frees with emu_data_free(). */
struct emu_data *emu_data_load(const char *path, struct dcre_msg *why, enum dcre_err *err);

/* Same, from text already in memory; name is used in messages. */
struct emu_data *emu_data_parse(const char *text, size_t len, const char *name,
                                struct dcre_msg *why, enum dcre_err *err);

/* NULL-safe. */
void emu_data_free(struct emu_data *d);

#endif
