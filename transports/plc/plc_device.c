/* SPDX-License-Identifier: MIT */
#include "plc_device.h"

#include <stddef.h>
#include <string.h>

static const struct {
	const char *name;
	uint8_t code;
} types[] = {
    {"vapor_led", PLC_TYPE_VAPOR_LED},
    {"led", PLC_TYPE_LED},
    {"system", PLC_TYPE_SYSTEM},
    {"power", PLC_TYPE_POWER},
    {"vapor_rectifier", PLC_TYPE_VAPOR_RECTIFIER},
    {"vapor_battery", PLC_TYPE_VAPOR_BATTERY},
    {"humidity", PLC_TYPE_HUMIDITY},
    {"fan_speed", PLC_TYPE_FAN_SPEED},
    {"vapor_fan", PLC_TYPE_VAPOR_FAN},
    {"current", PLC_TYPE_CURRENT},
    {"temperature", PLC_TYPE_TEMPERATURE},
    {"thermistor", PLC_TYPE_THERMISTOR},
    {"pressure", PLC_TYPE_PRESSURE},
    {"power_supply", PLC_TYPE_POWER_SUPPLY},
    {"airflow", PLC_TYPE_AIRFLOW},
    {"none", PLC_TYPE_NONE},
};

uint8_t plc_device_type_code(const char *name)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, name) == 0)
			return types[i].code;
	return PLC_TYPE_NONE;
}

const char *plc_device_type_name(uint8_t code)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].code == code)
			return types[i].name;
	return "none";
}

bool plc_device_type_known(const char *name)
{
	if (strcmp(name, "voltage") == 0)
		return true;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, name) == 0)
			return true;
	return false;
}
