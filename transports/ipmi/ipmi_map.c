/* SPDX-License-Identifier: MIT */
#include "ipmi_map.h"

#include <stdio.h>
#include <string.h>

#include <freeipmi/api/ipmi-api.h>
#include <freeipmi/spec/ipmi-privilege-level-spec.h>

enum ipmi_class ipmi_map_class(int errnum, bool opening)
{
	switch (errnum) {
	case IPMI_ERR_SESSION_TIMEOUT:
	case IPMI_ERR_CONNECTION_TIMEOUT:
		return IPMI_CLASS_NO_ANSWER;
	case IPMI_ERR_USERNAME_INVALID:
	case IPMI_ERR_PASSWORD_INVALID:
	case IPMI_ERR_K_G_INVALID:
	case IPMI_ERR_PRIVILEGE_LEVEL_CANNOT_BE_OBTAINED:
	case IPMI_ERR_AUTHENTICATION_TYPE_UNAVAILABLE:
	case IPMI_ERR_CIPHER_SUITE_ID_UNAVAILABLE:
	case IPMI_ERR_PASSWORD_VERIFICATION_TIMEOUT:
	case IPMI_ERR_IPMI_2_0_UNAVAILABLE:
		return opening ? IPMI_CLASS_AUTH : IPMI_CLASS_INTERNAL;
	case IPMI_ERR_PRIVILEGE_LEVEL_INSUFFICIENT:
		/* on a command: completion code 0xD4 */
		return opening ? IPMI_CLASS_AUTH : IPMI_CLASS_COMMAND;
	case IPMI_ERR_BMC_BUSY:
		return opening ? IPMI_CLASS_INTERNAL : IPMI_CLASS_SESSION;
	case IPMI_ERR_BAD_COMPLETION_CODE:
	case IPMI_ERR_COMMAND_INVALID_OR_UNSUPPORTED:
		return opening ? IPMI_CLASS_INTERNAL : IPMI_CLASS_COMMAND;
	default:
		return IPMI_CLASS_INTERNAL;
	}
}

static const struct {
	uint8_t cc;
	const char *text;
} cc_names[] = {
    {0xC0, "node busy"},
    {0xC1, "invalid command"},
    {0xC2, "command invalid for given LUN"},
    {0xC3, "timeout while processing command"},
    {0xC4, "out of space"},
    {0xC5, "reservation cancelled"},
    {0xC6, "request data truncated"},
    {0xC7, "request data length invalid"},
    {0xC8, "request data field length limit exceeded"},
    {0xC9, "parameter out of range"},
    {0xCA, "cannot return number of requested data bytes"},
    {0xCB, "requested sensor, data, or record not present"},
    {0xCC, "invalid data field in request"},
    {0xCD, "command illegal for specified sensor or record type"},
    {0xCE, "command response could not be provided"},
    {0xCF, "cannot execute duplicated request"},
    {0xD0, "SDR repository in update mode"},
    {0xD1, "device in firmware update mode"},
    {0xD2, "BMC initialization in progress"},
    {0xD3, "destination unavailable"},
    {0xD4, "insufficient privilege level"},
    {0xD5, "not supported in present state"},
    {0xD6, "sub-function disabled or unavailable"},
    {0xFF, "unspecified error"},
};

const char *ipmi_map_cc_text(uint8_t cc)
{
	for (size_t i = 0; i < sizeof(cc_names) / sizeof(cc_names[0]); i++)
		if (cc_names[i].cc == cc)
			return cc_names[i].text;
	return "unknown";
}

bool ipmi_map_cc_not_executed(uint8_t cc)
{
	/* C3 (timeout while processing), CE (no response could be given) and
	 * FF (unspecified) leave open whether the command ran; OEM codes too */
	return cc >= 0xC0 && cc <= 0xD6 && cc != 0xC3 && cc != 0xCE;
}

void ipmi_map_timeouts(double timeout, unsigned *session_ms, unsigned *retransmit_ms)
{
	unsigned s = (unsigned)(timeout * 1000.0 + 0.5);

	if (s < 2)
		s = 2;
	*session_ms = s;
	*retransmit_ms = s <= 2000 ? s / 2 : 1000;
}

double ipmi_map_reuse_limit(double timeout, double session_idle_timeout)
{
	double margin = timeout / 4 < 0.5 ? timeout / 4 : 0.5;
	double limit = timeout - margin;

	if (session_idle_timeout > 0 && session_idle_timeout < limit)
		limit = session_idle_timeout;
	return limit;
}

void ipmi_map_host(const char *address, int port, char *buf, size_t len)
{
	if (strchr(address, ':') && address[0] != '[')
		snprintf(buf, len, "[%s]:%d", address, port);
	else
		snprintf(buf, len, "%s:%d", address, port);
}

uint8_t ipmi_map_privilege(enum dcre_ipmi_privilege p)
{
	switch (p) {
	case DCRE_IPMI_PRIV_USER:
		return IPMI_PRIVILEGE_LEVEL_USER;
	case DCRE_IPMI_PRIV_OPERATOR:
		return IPMI_PRIVILEGE_LEVEL_OPERATOR;
	case DCRE_IPMI_PRIV_ADMIN:
		break;
	}
	return IPMI_PRIVILEGE_LEVEL_ADMIN;
}

unsigned ipmi_map_workarounds(unsigned f)
{
	static const struct {
		unsigned dcre, freeipmi;
	} map[] = {
	    {DCRE_IPMI_WORKAROUND_AUTHCAP,
	     IPMI_WORKAROUND_FLAGS_OUTOFBAND_2_0_AUTHENTICATION_CAPABILITIES},
	    {DCRE_IPMI_WORKAROUND_INTEL20, IPMI_WORKAROUND_FLAGS_OUTOFBAND_2_0_INTEL_2_0_SESSION},
	    {DCRE_IPMI_WORKAROUND_SUPERMICRO20,
	     IPMI_WORKAROUND_FLAGS_OUTOFBAND_2_0_SUPERMICRO_2_0_SESSION},
	    {DCRE_IPMI_WORKAROUND_SUN20, IPMI_WORKAROUND_FLAGS_OUTOFBAND_2_0_SUN_2_0_SESSION},
	    {DCRE_IPMI_WORKAROUND_OPENSESSPRIV,
	     IPMI_WORKAROUND_FLAGS_OUTOFBAND_2_0_OPEN_SESSION_PRIVILEGE},
	    {DCRE_IPMI_WORKAROUND_INTEGRITYCHECKVALUE,
	     IPMI_WORKAROUND_FLAGS_OUTOFBAND_2_0_NON_EMPTY_INTEGRITY_CHECK_VALUE},
	    {DCRE_IPMI_WORKAROUND_NOCHECKSUMCHECK,
	     IPMI_WORKAROUND_FLAGS_OUTOFBAND_2_0_NO_CHECKSUM_CHECK},
	};
	unsigned out = 0;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (f & map[i].dcre)
			out |= map[i].freeipmi;
	return out;
}

const char *ipmi_map_sensor_type(uint8_t sensor_type)
{
	switch (sensor_type) {
	case 0x01:
		return "temperature";
	case 0x02:
		return "voltage";
	case 0x04:
		return "fan_speed";
	case 0x08:
		return "power_supply";
	default:
		return NULL;
	}
}

void ipmi_map_threshold(uint8_t bits, struct ipmi_states *out)
{
	static const char *const text[6] = {
	    "below lower non-critical threshold",    "below lower critical threshold",
	    "below lower non-recoverable threshold", "above upper non-critical threshold",
	    "above upper critical threshold",        "above upper non-recoverable threshold",
	};

	out->n = 0;
	for (int i = 0; i < 6; i++)
		if (bits & (1u << i))
			out->text[out->n++] = text[i];
	if (bits & 0x24)
		out->health = "failed";
	else if (bits & 0x12)
		out->health = "critical";
	else if (bits & 0x09)
		out->health = "warning";
	else
		out->health = "ok";
}

void ipmi_map_power_supply(uint8_t bits, struct ipmi_states *out)
{
	/* health contribution: 0 ok, 1 warning, 2 critical */
	static const struct {
		const char *text;
		int level;
	} offsets[8] = {
	    {"presence detected", 0},
	    {"power supply failure detected", 2},
	    {"predictive failure", 1},
	    {"power supply input lost (AC/DC)", 2},
	    {"power supply input lost or out-of-range", 2},
	    {"power supply input out-of-range, but present", 1},
	    {"configuration error", 1},
	    {"power supply inactive", 0},
	};
	static const char *const health[3] = {"ok", "warning", "critical"};
	int worst = 0;

	out->n = 0;
	for (int i = 0; i < 8; i++) {
		if (!(bits & (1u << i)))
			continue;
		out->text[out->n++] = offsets[i].text;
		if (offsets[i].level > worst)
			worst = offsets[i].level;
	}
	out->health = health[worst];
}

enum dcre_boot_target ipmi_map_boot_target(bool param_invalid, bool flags_valid, uint8_t selector)
{
	if (param_invalid || !flags_valid)
		return DCRE_BOOT_NO_OVERRIDE;
	switch (selector & 0x0F) {
	case 0x0:
		return DCRE_BOOT_NO_OVERRIDE;
	case 0x1:
		return DCRE_BOOT_PXE;
	case 0x2:
		return DCRE_BOOT_HDD;
	default:
		return DCRE_BOOT_UNKNOWN;
	}
}

void ipmi_map_boot_flags(enum dcre_boot_target target, uint8_t data[5])
{
	memset(data, 0, 5);
	switch (target) {
	case DCRE_BOOT_PXE:
		data[0] = 0x80; /* boot flags valid, next boot only */
		data[1] = 0x01 << 2;
		break;
	case DCRE_BOOT_HDD:
		data[0] = 0x80;
		data[1] = 0x02 << 2;
		break;
	case DCRE_BOOT_NO_OVERRIDE:
	case DCRE_BOOT_GET:
	case DCRE_BOOT_UNKNOWN:
	case DCRE_BOOT_OTHER:
		break;
	}
}

const char *ipmi_map_chassis_type(uint8_t type)
{
	/* SMBIOS 3.x, System Enclosure or Chassis Types */
	static const char *const names[] = {
	    NULL,
	    "Other",
	    "Unknown",
	    "Desktop",
	    "Low Profile Desktop",
	    "Pizza Box",
	    "Mini Tower",
	    "Tower",
	    "Portable",
	    "Laptop",
	    "Notebook",
	    "Hand Held",
	    "Docking Station",
	    "All in One",
	    "Sub Notebook",
	    "Space-saving",
	    "Lunch Box",
	    "Main Server Chassis",
	    "Expansion Chassis",
	    "SubChassis",
	    "Bus Expansion Chassis",
	    "Peripheral Chassis",
	    "RAID Chassis",
	    "Rack Mount Chassis",
	    "Sealed-case PC",
	    "Multi-system chassis",
	    "Compact PCI",
	    "Advanced TCA",
	    "Blade",
	    "Blade Enclosure",
	    "Tablet",
	    "Convertible",
	    "Detachable",
	    "IoT Gateway",
	    "Embedded PC",
	    "Mini PC",
	    "Stick PC",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "Unknown";
}
