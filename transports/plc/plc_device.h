/* SPDX-License-Identifier: MIT */
/* The one device-type table (conversions.md §1), for both API versions. */
#ifndef DCRE_DEVICE_H
#define DCRE_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#define DCRE_TYPE_VAPOR_LED 0x08
#define DCRE_TYPE_LED 0x10
#define DCRE_TYPE_SYSTEM 0x12
#define DCRE_TYPE_POWER 0x40
#define DCRE_TYPE_VAPOR_RECTIFIER 0x48
#define DCRE_TYPE_VAPOR_BATTERY 0x4A
#define DCRE_TYPE_HUMIDITY 0x4E
#define DCRE_TYPE_FAN_SPEED 0x82
#define DCRE_TYPE_VAPOR_FAN 0x88
#define DCRE_TYPE_CURRENT 0x90
#define DCRE_TYPE_TEMPERATURE 0x9A
#define DCRE_TYPE_THERMISTOR 0x9C
#define DCRE_TYPE_PRESSURE 0xEE
#define DCRE_TYPE_POWER_SUPPLY 0xF0
#define DCRE_TYPE_AIRFLOW 0xF2
#define DCRE_TYPE_NONE 0xFF

/* Bus code of a (lower-case) type name; unknown names and "voltage" give
 * 0xFF. */
uint8_t dcre_device_type_code(const char *name);
/* Name of a bus code; an unknown code gives "none". Static string. */
const char *dcre_device_type_name(uint8_t code);
/* True if name is in the table (or is "voltage"). */
bool dcre_device_type_known(const char *name);

#endif
