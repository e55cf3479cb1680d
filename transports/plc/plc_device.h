/* SPDX-License-Identifier: MIT */
/* The PLC bus device-type codes (conversions.md §1), for both API versions.
 * Part of the bus codec library (plc_frame_dep): the PLC backend and the
 * emulator share this one table. */
#ifndef PLC_DEVICE_H
#define PLC_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#define PLC_TYPE_VAPOR_LED 0x08
#define PLC_TYPE_LED 0x10
#define PLC_TYPE_SYSTEM 0x12
#define PLC_TYPE_POWER 0x40
#define PLC_TYPE_VAPOR_RECTIFIER 0x48
#define PLC_TYPE_VAPOR_BATTERY 0x4A
#define PLC_TYPE_HUMIDITY 0x4E
#define PLC_TYPE_FAN_SPEED 0x82
#define PLC_TYPE_VAPOR_FAN 0x88
#define PLC_TYPE_CURRENT 0x90
#define PLC_TYPE_TEMPERATURE 0x9A
#define PLC_TYPE_THERMISTOR 0x9C
#define PLC_TYPE_PRESSURE 0xEE
#define PLC_TYPE_POWER_SUPPLY 0xF0
#define PLC_TYPE_AIRFLOW 0xF2
#define PLC_TYPE_NONE 0xFF

/* Bus code of a (lower-case) type name; unknown names and "voltage" give
 * 0xFF. */
uint8_t plc_device_type_code(const char *name);
/* Name of a bus code; an unknown code gives "none". Static string. */
const char *plc_device_type_name(uint8_t code);
/* True if name is in the table (or is "voltage"). */
bool plc_device_type_known(const char *name);

#endif
