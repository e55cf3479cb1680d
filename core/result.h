/* SPDX-License-Identifier: MIT */
/* Typed results of backend operations. Backends fill these C structures;
 * only the render layer (core/render.h) turns them into an API's JSON (1.2,
 * 1.3) or into metrics. Numbers stay numbers until rendering; integers read
 * from a device as text keep their exact digits.
 *
 * Ownership: every result owns the strings and arrays it points to, except
 * where a field says "static"; the *_clear() functions free them and leaves
 * the structure empty (NULL-safe, idempotent). A zeroed result is empty:
 * no numbers, every dcre_tri unknown. */
#ifndef DCRE_RESULT_H
#define DCRE_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A yes/no fact a device may not report (zero: unknown). */
enum dcre_tri {
	DCRE_TRI_UNKNOWN = 0,
	DCRE_TRI_NO,
	DCRE_TRI_YES,
};
#define DCRE_TRI(b) ((b) ? DCRE_TRI_YES : DCRE_TRI_NO)

/* A number as a device gave it. */
enum dcre_num_kind {
	DCRE_NUM_NONE = 0, /* not part of this result */
	DCRE_NUM_UNKNOWN,  /* part of it, but the device did not say */
	DCRE_NUM_DOUBLE,   /* value */
	DCRE_NUM_DIGITS,   /* digits: an exact decimal integer ("-12", "340282366920938463463") */
};

struct dcre_num {
	enum dcre_num_kind kind;
	double value; /* DOUBLE; for DIGITS the nearest double (for metrics) */
	char *digits; /* DIGITS only: normalised digits, owned */
};

void dcre_num_set_double(struct dcre_num *n, double v);
/* digits: a normalised digit string (number.h rules); copied. */
void dcre_num_set_digits(struct dcre_num *n, const char *digits);
void dcre_num_clear(struct dcre_num *n);

/* A list of owned strings. */
struct dcre_strv {
	char **v;
	size_t n;
};
void dcre_strv_add(struct dcre_strv *s, const char *text);
void dcre_strv_clear(struct dcre_strv *s);

/* ---- reading (read, fan, LED read) ---------------------------------------- */

/* The physical quantities a reading may carry, in base units of the API. */
enum dcre_quantity {
	DCRE_Q_TEMPERATURE, /* degrees Celsius */
	DCRE_Q_HUMIDITY,    /* percent relative humidity */
	DCRE_Q_FAN_SPEED,   /* revolutions per minute */
	DCRE_Q_PRESSURE,    /* kilopascal */
	DCRE_Q_VOLTAGE,     /* volts */
	DCRE_Q_RAW,         /* a device value without a unit ("device_raw") */
	DCRE_Q_COUNT,
};

struct dcre_reading {
	struct dcre_num q[DCRE_Q_COUNT];
	enum dcre_tri led;    /* an LED state ("led_state"); UNKNOWN = none */
	const char *fan_mode; /* "auto" or NULL; static */
	/* Health and states, where the transport has them (IPMI, Redfish). */
	bool has_health;
	char *health; /* "ok", "warning", "critical", "unknown", or a service's own; owned */
	struct dcre_strv states;
	char *name; /* the board's name for the sensor, or NULL */
};
void dcre_reading_clear(struct dcre_reading *r);

/* ---- power ---------------------------------------------------------------- */

struct dcre_power {
	/* "on", "off", or a service's own state lower-cased ("poweringon");
	 * "unknown" */
	char state[32];
	enum dcre_tri power_ok, over_current, under_voltage;
	struct dcre_num input_power;    /* watts */
	struct dcre_num input_voltage;  /* volts */
	struct dcre_num output_current; /* amperes */
	char *pmbus_raw;                /* the device's raw text, or NULL */
	/* a battery's answer instead (vapor_battery): when battery is set only
	 * these two fields count */
	bool battery;
	struct dcre_num battery_charge; /* percent */
	char *battery_status;
};
void dcre_power_clear(struct dcre_power *p);

/* ---- asset, boot target, LEDs, host info, version --------------------------- */

/* Asset (FRU) fields in the order of conversions.md §9. */
enum dcre_asset_field {
	DCRE_ASSET_BOARD_MANUFACTURER,
	DCRE_ASSET_BOARD_PART_NUMBER,
	DCRE_ASSET_BOARD_PRODUCT_NAME,
	DCRE_ASSET_BOARD_SERIAL_NUMBER,
	DCRE_ASSET_CHASSIS_TYPE,
	DCRE_ASSET_CHASSIS_PART_NUMBER,
	DCRE_ASSET_CHASSIS_SERIAL_NUMBER,
	DCRE_ASSET_PRODUCT_ASSET_TAG,
	DCRE_ASSET_PRODUCT_MANUFACTURER,
	DCRE_ASSET_PRODUCT_PART_NUMBER,
	DCRE_ASSET_PRODUCT_NAME,
	DCRE_ASSET_PRODUCT_SERIAL_NUMBER,
	DCRE_ASSET_PRODUCT_VERSION,
	DCRE_ASSET_COUNT,
};

struct dcre_asset {
	char *field[DCRE_ASSET_COUNT]; /* NULL = "" */
	const char *address_key;       /* "bmc_ip", "redfish_ip" or NULL; static */
	char *address;
};
void dcre_asset_clear(struct dcre_asset *a);

enum dcre_boot_target {
	DCRE_BOOT_GET = -1, /* in requests: read, do not set */
	DCRE_BOOT_NO_OVERRIDE = 0,
	DCRE_BOOT_HDD = 1,
	DCRE_BOOT_PXE = 2,
	DCRE_BOOT_UNKNOWN = 3, /* in answers: the device did not say */
	DCRE_BOOT_OTHER = 4,   /* in answers: a target of the device's own (text) */
};

/* A boot target in an answer. */
struct dcre_boot {
	enum dcre_boot_target target;
	char *other; /* DCRE_BOOT_OTHER: the device's name for it, lower-cased; owned */
};
void dcre_boot_clear(struct dcre_boot *b);

struct dcre_led {
	char *state;        /* "on", "off", or a service's own state; owned */
	bool color_unknown; /* the board has a colour it cannot report */
};
void dcre_led_clear(struct dcre_led *l);

/* A chamber LED's answer, as texts. */
struct dcre_chamber_led {
	char *state, *color, *blink;
};
void dcre_chamber_led_clear(struct dcre_chamber_led *c);

struct dcre_host_info {
	struct dcre_strv hostnames, ip_addresses;
};
void dcre_host_info_clear(struct dcre_host_info *h);

/* ---- inventory (scan) -------------------------------------------------------- */

struct dcre_device {
	uint16_t id;
	const char *type; /* device type name; static */
	char *info;       /* the board's name for it, or NULL */
};

struct dcre_board {
	uint32_t id;
	const char *backend; /* "plc", "ipmi", "redfish"; static */
	int index;           /* configuration index of a bridge board, -1 none */
	bool has_names;      /* hostnames and ip_addresses are part of the record */
	struct dcre_strv hostnames, ip_addresses;
	struct dcre_device *devices;
	size_t n_devices;
};
void dcre_board_add_device(struct dcre_board *b, uint16_t id, const char *type, const char *info);
void dcre_board_clear(struct dcre_board *b);

struct dcre_boards {
	struct dcre_board *v;
	size_t n;
};
/* A new zeroed board at the end (index -1); the pointer lasts until the next add. */
struct dcre_board *dcre_boards_add(struct dcre_boards *bs, uint32_t id, const char *backend);
void dcre_boards_clear(struct dcre_boards *bs);

/* ---- transport-specific facts (e.g. the PLC modem's registers) --------------- */

enum dcre_fact_kind {
	DCRE_FACT_BOOL,
	DCRE_FACT_INT,
	DCRE_FACT_DOUBLE,
	DCRE_FACT_TEXT,
};

struct dcre_fact {
	const char *name; /* static */
	enum dcre_fact_kind kind;
	bool b;
	long long i;
	double d;
	char *text;
};

struct dcre_facts {
	struct dcre_fact *v;
	size_t n;
};
void dcre_facts_add_bool(struct dcre_facts *f, const char *name, bool v);
void dcre_facts_add_int(struct dcre_facts *f, const char *name, long long v);
void dcre_facts_add_double(struct dcre_facts *f, const char *name, double v);
void dcre_facts_add_text(struct dcre_facts *f, const char *name, const char *v);
void dcre_facts_clear(struct dcre_facts *f);

#endif
