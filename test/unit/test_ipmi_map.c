/* SPDX-License-Identifier: MIT */
/* The pure tables of the IPMI transport (ipmi.md §3-§5): error classes,
 * session timing, sensor types, health and states, boot flags, chassis
 * types, workaround flags. */
#include <string.h>

#include <freeipmi/api/ipmi-api.h>
#include <freeipmi/spec/ipmi-privilege-level-spec.h>

#include "ipmi_map.h"
#include "tap.h"

static void states_are(const struct ipmi_states *st, const char *health, const char *const *want,
                       size_t n, const char *what)
{
	bool same = st->n == n && strcmp(st->health, health) == 0;
	for (size_t i = 0; same && i < n; i++)
		same = strcmp(st->text[i], want[i]) == 0;
	tap_ok(same, "%s: %s with %zu states", what, health, n);
	if (!same) {
		tap_diag("got health %s, %zu states:", st->health, st->n);
		for (size_t i = 0; i < st->n; i++)
			tap_diag("  %s", st->text[i]);
	}
}

int main(void)
{
	/* error classes (ipmi.md §3 table) */
	tap_ok(ipmi_map_class(IPMI_ERR_SESSION_TIMEOUT, false) == IPMI_CLASS_NO_ANSWER,
	       "session timeout: no answer");
	tap_ok(ipmi_map_class(IPMI_ERR_CONNECTION_TIMEOUT, true) == IPMI_CLASS_NO_ANSWER,
	       "connection timeout on open: no answer");
	static const int auth[] = {IPMI_ERR_USERNAME_INVALID,
	                           IPMI_ERR_PASSWORD_INVALID,
	                           IPMI_ERR_K_G_INVALID,
	                           IPMI_ERR_PRIVILEGE_LEVEL_INSUFFICIENT,
	                           IPMI_ERR_PRIVILEGE_LEVEL_CANNOT_BE_OBTAINED,
	                           IPMI_ERR_AUTHENTICATION_TYPE_UNAVAILABLE,
	                           IPMI_ERR_CIPHER_SUITE_ID_UNAVAILABLE,
	                           IPMI_ERR_PASSWORD_VERIFICATION_TIMEOUT,
	                           IPMI_ERR_IPMI_2_0_UNAVAILABLE};
	bool all = true;
	for (size_t i = 0; i < sizeof(auth) / sizeof(auth[0]); i++)
		all = all && ipmi_map_class(auth[i], true) == IPMI_CLASS_AUTH;
	tap_ok(all, "the nine open errors of the table are authentication failures");
	tap_ok(ipmi_map_class(IPMI_ERR_BMC_BUSY, false) == IPMI_CLASS_SESSION,
	       "BMC busy on a command: session-level");
	tap_ok(ipmi_map_class(IPMI_ERR_BAD_COMPLETION_CODE, false) == IPMI_CLASS_COMMAND,
	       "bad completion code: command error");
	tap_ok(ipmi_map_class(IPMI_ERR_COMMAND_INVALID_OR_UNSUPPORTED, false) == IPMI_CLASS_COMMAND,
	       "invalid command: command error");
	tap_ok(ipmi_map_class(IPMI_ERR_PRIVILEGE_LEVEL_INSUFFICIENT, false) == IPMI_CLASS_COMMAND,
	       "insufficient privilege on a command (0xD4): command error");
	tap_ok(ipmi_map_class(IPMI_ERR_IPMI_ERROR, true) == IPMI_CLASS_INTERNAL,
	       "out of sessions on open: internal");
	tap_ok(ipmi_map_class(IPMI_ERR_SYSTEM_ERROR, false) == IPMI_CLASS_INTERNAL,
	       "system error: internal");

	/* completion codes */
	tap_is_str(ipmi_map_cc_text(0xC5), "reservation cancelled", "0xC5 text");
	tap_is_str(ipmi_map_cc_text(0xD5), "not supported in present state", "0xD5 text");
	tap_is_str(ipmi_map_cc_text(0x80), "unknown", "OEM code text");
	tap_ok(ipmi_map_cc_not_executed(0xC0) && ipmi_map_cc_not_executed(0xD2) &&
	           ipmi_map_cc_not_executed(0xC1),
	       "busy, initialising, invalid: not executed");
	tap_ok(!ipmi_map_cc_not_executed(0xC3) && !ipmi_map_cc_not_executed(0xCE) &&
	           !ipmi_map_cc_not_executed(0xFF) && !ipmi_map_cc_not_executed(0x80),
	       "timeout while processing, no response, unspecified, OEM: may have run");

	/* timeouts: session = timeout; retransmission 1 s, or half when <= 2 s */
	unsigned s, r;
	ipmi_map_timeouts(5, &s, &r);
	tap_ok(s == 5000 && r == 1000, "timeout 5 s: 5000/1000 ms");
	ipmi_map_timeouts(2, &s, &r);
	tap_ok(s == 2000 && r == 1000, "timeout 2 s: 2000/1000 ms");
	ipmi_map_timeouts(1, &s, &r);
	tap_ok(s == 1000 && r == 500, "timeout 1 s: 1000/500 ms");
	ipmi_map_timeouts(0.1, &s, &r);
	tap_ok(s == 100 && r == 50 && r < s, "timeout 0.1 s: 100/50 ms");
	ipmi_map_timeouts(60, &s, &r);
	tap_ok(s == 60000 && r == 1000, "timeout 60 s");

	/* reuse limit: min(idle, timeout - min(0.5, timeout/4)) */
	tap_ok(ipmi_map_reuse_limit(5, 30) == 4.5, "5 s, idle 30: reopen after 4.5 s");
	tap_ok(ipmi_map_reuse_limit(1, 30) == 0.75, "1 s: margin timeout/4");
	tap_ok(ipmi_map_reuse_limit(60, 30) == 30, "60 s, idle 30: idle wins");
	tap_ok(ipmi_map_reuse_limit(60, 0) == 59.5, "idle 0: only the timeout rule");

	char host[64];
	ipmi_map_host("10.0.0.5", 623, host, sizeof(host));
	tap_is_str(host, "10.0.0.5:623", "IPv4 host:port");
	ipmi_map_host("::1", 9623, host, sizeof(host));
	tap_is_str(host, "[::1]:9623", "IPv6 [host]:port");
	ipmi_map_host("bmc.example", 6230, host, sizeof(host));
	tap_is_str(host, "bmc.example:6230", "hostname:port");

	tap_ok(ipmi_map_privilege(DCRE_IPMI_PRIV_USER) == IPMI_PRIVILEGE_LEVEL_USER &&
	           ipmi_map_privilege(DCRE_IPMI_PRIV_OPERATOR) == IPMI_PRIVILEGE_LEVEL_OPERATOR &&
	           ipmi_map_privilege(DCRE_IPMI_PRIV_ADMIN) == IPMI_PRIVILEGE_LEVEL_ADMIN,
	       "privilege levels");
	tap_is_int(ipmi_map_workarounds(DCRE_IPMI_WORKAROUND_OPENSESSPRIV |
	                                DCRE_IPMI_WORKAROUND_NOCHECKSUMCHECK),
	           0x50, "opensesspriv,nochecksumcheck = 0x50");
	tap_is_int(
	    ipmi_map_workarounds(DCRE_IPMI_WORKAROUND_AUTHCAP | DCRE_IPMI_WORKAROUND_INTEL20 |
	                         DCRE_IPMI_WORKAROUND_SUPERMICRO20 | DCRE_IPMI_WORKAROUND_SUN20 |
	                         DCRE_IPMI_WORKAROUND_INTEGRITYCHECKVALUE),
	    IPMI_WORKAROUND_FLAGS_OUTOFBAND_2_0_AUTHENTICATION_CAPABILITIES |
	        IPMI_WORKAROUND_FLAGS_OUTOFBAND_2_0_INTEL_2_0_SESSION |
	        IPMI_WORKAROUND_FLAGS_OUTOFBAND_2_0_SUPERMICRO_2_0_SESSION |
	        IPMI_WORKAROUND_FLAGS_OUTOFBAND_2_0_SUN_2_0_SESSION |
	        IPMI_WORKAROUND_FLAGS_OUTOFBAND_2_0_NON_EMPTY_INTEGRITY_CHECK_VALUE,
	    "the other five flags");
	tap_is_int(ipmi_map_workarounds(0), 0, "no flags");

	/* sensor types (ipmi.md §4) */
	tap_is_str(ipmi_map_sensor_type(0x01), "temperature", "0x01");
	tap_is_str(ipmi_map_sensor_type(0x02), "voltage", "0x02");
	tap_is_str(ipmi_map_sensor_type(0x04), "fan_speed", "0x04");
	tap_is_str(ipmi_map_sensor_type(0x08), "power_supply", "0x08");
	tap_ok(!ipmi_map_sensor_type(0x05) && !ipmi_map_sensor_type(0x03) &&
	           !ipmi_map_sensor_type(0x07),
	       "physical security, current, processor: skipped");

	/* thresholds (ipmi.md §5.5) */
	struct ipmi_states st;
	ipmi_map_threshold(0x00, &st);
	states_are(&st, "ok", NULL, 0, "no bit");
	ipmi_map_threshold(0x08, &st);
	states_are(&st, "warning", (const char *const[]){"above upper non-critical threshold"}, 1,
	           "upper non-critical");
	ipmi_map_threshold(0x18, &st);
	states_are(&st, "critical",
	           (const char *const[]){"above upper non-critical threshold",
	                                 "above upper critical threshold"},
	           2, "upper critical");
	ipmi_map_threshold(0x07, &st);
	states_are(&st, "failed",
	           (const char *const[]){"below lower non-critical threshold",
	                                 "below lower critical threshold",
	                                 "below lower non-recoverable threshold"},
	           3, "lower non-recoverable");
	ipmi_map_threshold(0x20, &st);
	states_are(&st, "failed", (const char *const[]){"above upper non-recoverable threshold"}, 1,
	           "upper non-recoverable alone");
	ipmi_map_threshold(0x01, &st);
	states_are(&st, "warning", (const char *const[]){"below lower non-critical threshold"}, 1,
	           "lower non-critical");
	ipmi_map_threshold(0x02, &st);
	states_are(&st, "critical", (const char *const[]){"below lower critical threshold"}, 1,
	           "lower critical alone");

	/* power supply offsets */
	ipmi_map_power_supply(0x01, &st);
	states_are(&st, "ok", (const char *const[]){"presence detected"}, 1, "present");
	ipmi_map_power_supply(0x03, &st);
	states_are(&st, "critical",
	           (const char *const[]){"presence detected", "power supply failure detected"}, 2,
	           "failure");
	ipmi_map_power_supply(0x05, &st);
	states_are(&st, "warning", (const char *const[]){"presence detected", "predictive failure"},
	           2, "predictive failure");
	ipmi_map_power_supply(0x68, &st);
	states_are(&st, "critical",
	           (const char *const[]){"power supply input lost (AC/DC)",
	                                 "power supply input out-of-range, but present",
	                                 "configuration error"},
	           3, "AC lost + out of range + config error");
	ipmi_map_power_supply(0x80, &st);
	states_are(&st, "ok", (const char *const[]){"power supply inactive"}, 1, "inactive");
	ipmi_map_power_supply(0x10, &st);
	states_are(&st, "critical",
	           (const char *const[]){"power supply input lost or out-of-range"}, 1,
	           "input lost or out of range");
	ipmi_map_power_supply(0x00, &st);
	states_are(&st, "ok", NULL, 0, "nothing asserted");

	/* boot target (ipmi.md §5.4) */
	tap_is_int(ipmi_map_boot_target(false, true, 1), DCRE_BOOT_PXE, "valid, 0001");
	tap_is_int(ipmi_map_boot_target(false, true, 2), DCRE_BOOT_HDD, "valid, 0010");
	tap_is_int(ipmi_map_boot_target(false, true, 0), DCRE_BOOT_NO_OVERRIDE, "valid, 0000");
	tap_ok(ipmi_map_boot_target(false, true, 5) == DCRE_BOOT_UNKNOWN, "valid, CD/DVD: null");
	tap_is_int(ipmi_map_boot_target(false, false, 1), DCRE_BOOT_NO_OVERRIDE, "flags not valid");
	tap_is_int(ipmi_map_boot_target(true, true, 1), DCRE_BOOT_NO_OVERRIDE, "parameter locked");
	uint8_t d[5];
	ipmi_map_boot_flags(DCRE_BOOT_PXE, d);
	tap_ok(d[0] == 0x80 && d[1] == 0x04 && !d[2] && !d[3] && !d[4], "pxe: 80 04 00 00 00");
	ipmi_map_boot_flags(DCRE_BOOT_HDD, d);
	tap_ok(d[0] == 0x80 && d[1] == 0x08 && !d[2] && !d[3] && !d[4], "hdd: 80 08 00 00 00");
	ipmi_map_boot_flags(DCRE_BOOT_NO_OVERRIDE, d);
	tap_ok(!d[0] && !d[1] && !d[2] && !d[3] && !d[4], "no_override: 00 00 00 00 00");

	/* chassis types (SMBIOS) */
	tap_is_str(ipmi_map_chassis_type(0x17), "Rack Mount Chassis", "0x17");
	tap_is_str(ipmi_map_chassis_type(0x11), "Main Server Chassis", "0x11");
	tap_is_str(ipmi_map_chassis_type(0x01), "Other", "0x01");
	tap_is_str(ipmi_map_chassis_type(0x24), "Stick PC", "0x24");
	tap_is_str(ipmi_map_chassis_type(0x00), "Unknown", "0x00 is no type");
	tap_is_str(ipmi_map_chassis_type(0x25), "Unknown", "0x25 beyond the table");
	tap_is_str(ipmi_map_chassis_type(0xFF), "Unknown", "0xFF");
	return tap_done();
}
