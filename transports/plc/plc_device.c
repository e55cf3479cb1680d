/* SPDX-License-Identifier: MIT */
#include "device.h"

#include <stddef.h>
#include <string.h>

static const struct {
	const char *name;
	uint8_t code;
} types[] = {
    {"vapor_led", DCRE_TYPE_VAPOR_LED},
    {"led", DCRE_TYPE_LED},
    {"system", DCRE_TYPE_SYSTEM},
    {"power", DCRE_TYPE_POWER},
    {"vapor_rectifier", DCRE_TYPE_VAPOR_RECTIFIER},
    {"vapor_battery", DCRE_TYPE_VAPOR_BATTERY},
    {"humidity", DCRE_TYPE_HUMIDITY},
    {"fan_speed", DCRE_TYPE_FAN_SPEED},
    {"vapor_fan", DCRE_TYPE_VAPOR_FAN},
    {"current", DCRE_TYPE_CURRENT},
    {"temperature", DCRE_TYPE_TEMPERATURE},
    {"thermistor", DCRE_TYPE_THERMISTOR},
    {"pressure", DCRE_TYPE_PRESSURE},
    {"power_supply", DCRE_TYPE_POWER_SUPPLY},
    {"airflow", DCRE_TYPE_AIRFLOW},
    {"none", DCRE_TYPE_NONE},
};

uint8_t dcre_device_type_code(const char *name)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, name) == 0)
			return types[i].code;
	return DCRE_TYPE_NONE;
}

const char *dcre_device_type_name(uint8_t code)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].code == code)
			return types[i].name;
	return "none";
}

bool dcre_device_type_known(const char *name)
{
	if (strcmp(name, "voltage") == 0)
		return true;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, name) == 0)
			return true;
	return false;
}
