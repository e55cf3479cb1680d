/* SPDX-License-Identifier: MIT */
/* The `plc` section (config.md §3) and the bus transport's registry hooks. */
#ifndef PLC_CONFIG_H
#define PLC_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "transport.h"

enum dcre_hw_type {
	DCRE_HW_EMULATOR,
	DCRE_HW_RPI_HAT,
};

struct dcre_plc_config {
	bool enabled; /* false: the section is read but opens no bus */
	enum dcre_hw_type hardware_type;
	char *rack_id; /* the PLC boards' rack in the 1.3 API */
	char *device;
	int baud;
	char *lockfile;
	double timeout;
	int retry_limit;
	int time_slice;
	bool mac_set;
	uint8_t mac[6];
	uint32_t board_lo, board_hi;
	struct {
		char *chip;
		unsigned cmd, freq, inh, nsleep, select;
	} gpio;
	uint8_t modem_reg0, modem_reg1;
};

/* The transport's hooks (core/transport.h), for transports/registry.c. */
extern const struct dcre_transport_hooks dcre_plc_hooks;

#endif
