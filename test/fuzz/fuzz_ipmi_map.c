/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the IPMI mapping helpers (transports/ipmi/ipmi_map.c).
 *
 * The input is read as a sequence of values for every helper: FreeIPMI
 * error numbers, completion codes, timeouts and idle limits within the
 * configuration's ranges (timeout 0.1-60 s, idle 0-3600 s), a BMC address
 * and port, sensor types and state bytes, boot flags, chassis types.
 * Asserted: classes and levels in range, timing within its documented
 * bounds, texts non-NULL and UTF-8, at most 8 states, a known health word,
 * host texts NUL-terminated within their buffer, and every reading built
 * from the states prints as strict UTF-8 JSON in both API versions. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "render.h"
#include "result.h"
#include "fuzz_check.h"
#include "ipmi_map.h"

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint32_t u32(struct in *in)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v = v << 8 | u8(in);
	return v;
}

/* A number in [lo, hi] from 4 bytes. */
static double range(struct in *in, double lo, double hi)
{
	return lo + (hi - lo) * ((double)u32(in) / 4294967295.0);
}

static void text_ok(const char *s, const char *what)
{
	fuzz_require(s != NULL, what);
	fuzz_require(fuzz_utf8_valid(s, strlen(s), NULL), what);
}

static void states_ok(const struct ipmi_states *st, const char *type)
{
	static const char *const health[] = {"ok", "warning", "critical", "failed"};
	bool known = false;

	fuzz_require(st->n <= 8, "at most 8 states");
	for (size_t i = 0; i < 4; i++)
		known |= st->health && strcmp(st->health, health[i]) == 0;
	fuzz_require(known, "a known health word");
	for (size_t i = 0; i < st->n; i++)
		text_ok(st->text[i], "a state text");
	/* the typed reading ipmi_sensors.c makes of them, in both APIs */
	struct dcre_reading r = {0};
	dcre_num_set_double(&r.q[strcmp(type, "temperature") == 0 ? DCRE_Q_TEMPERATURE
	                         : strcmp(type, "fan_speed") == 0 ? DCRE_Q_FAN_SPEED
	                                                          : DCRE_Q_VOLTAGE],
	                    21.5);
	r.has_health = true;
	r.health = dcre_xstrdup(st->health);
	for (size_t i = 0; i < st->n; i++)
		dcre_strv_add(&r.states, st->text[i]);
	for (int v = 0; v < 2; v++) {
		cJSON *out = dcre_render_reading(v ? DCRE_API_13 : DCRE_API_12, &r);
		fuzz_require_item("reading", out);
		cJSON_Delete(out);
	}
	dcre_reading_clear(&r);
}

static void one(struct in *in)
{
	int errnum = (int)u32(in);
	enum ipmi_class c = ipmi_map_class(errnum, u8(in) & 1);
	fuzz_require(c >= IPMI_CLASS_NO_ANSWER && c <= IPMI_CLASS_INTERNAL, "a known class");

	uint8_t cc = u8(in);
	text_ok(ipmi_map_cc_text(cc), "a completion code text");
	(void)ipmi_map_cc_not_executed(cc);

	double timeout = range(in, 0.1, 60);
	unsigned session_ms = 0, retransmit_ms = 0;
	ipmi_map_timeouts(timeout, &session_ms, &retransmit_ms);
	fuzz_require(session_ms > 0 && retransmit_ms > 0 && retransmit_ms <= session_ms,
	             "0 < retransmission timeout <= session timeout");
	fuzz_require(session_ms <= 60000 + 1, "the session timeout is the BMC timeout");
	double idle = range(in, 0, 3600);
	double limit = ipmi_map_reuse_limit(timeout, idle);
	fuzz_require(limit <= timeout && (idle == 0 || limit <= idle),
	             "the reuse limit is within the timeout and the idle limit");

	char addr[64], host[80];
	size_t alen = u8(in) % sizeof(addr);
	for (size_t i = 0; i < alen; i++) {
		addr[i] = (char)u8(in);
		if (!addr[i])
			addr[i] = ':';
	}
	addr[alen] = '\0';
	int port = 1 + (int)(u32(in) % 65535);
	size_t hlen = 1 + u8(in) % sizeof(host);
	memset(host, 'x', sizeof(host));
	ipmi_map_host(addr, port, host, hlen);
	fuzz_require(memchr(host, '\0', hlen) != NULL, "the host text ends within its buffer");

	(void)ipmi_map_privilege((enum dcre_ipmi_privilege)(u8(in) % 3));
	(void)ipmi_map_workarounds(u32(in));

	const char *type = ipmi_map_sensor_type(u8(in));
	if (type)
		text_ok(type, "a sensor type");
	struct ipmi_states st;
	memset(&st, 0, sizeof(st));
	ipmi_map_threshold(u8(in), &st);
	states_ok(&st, type && strcmp(type, "power_supply") != 0 ? type : "temperature");
	memset(&st, 0, sizeof(st));
	ipmi_map_power_supply(u8(in), &st);
	states_ok(&st, "power_supply");

	uint8_t flags = u8(in);
	struct dcre_boot boot = {.target = ipmi_map_boot_target(flags & 1, flags & 2, u8(in))};
	fuzz_require(boot.target >= DCRE_BOOT_NO_OVERRIDE && boot.target <= DCRE_BOOT_UNKNOWN,
	             "a known boot target");
	cJSON *out = dcre_render_boot_target(&boot);
	fuzz_require_item("boot target", out);
	cJSON_Delete(out);
	uint8_t data[5];
	ipmi_map_boot_flags((enum dcre_boot_target)((int)(u8(in) % 4) - 1), data);
	text_ok(ipmi_map_chassis_type(u8(in)), "a chassis type");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	if (!init) {
		fuzz_quiet_log();
		init = true;
	}
	struct in in = {data, size};
	do
		one(&in);
	while (in.n > 0);
	return 0;
}
