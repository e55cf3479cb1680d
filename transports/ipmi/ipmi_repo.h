/* SPDX-License-Identifier: MIT */
/* A BMC's SDR repository as the worker keeps it (ipmi.md §4): the sensors
 * of the board record with what a reading needs, cached in memory, shared
 * between workers through FreeIPMI SDR cache files in sdr_cache_dir
 * (written under a temporary name, then renamed), checked against the BMC's
 * repository timestamps once per session and rebuilt when they changed. */
#ifndef IPMI_REPO_H
#define IPMI_REPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipmi_session.h"
#include "result.h"

#define IPMI_REPO_NAME_MAX 64

/* One sensor of the board record. */
struct ipmi_repo_sensor {
	uint8_t number;
	uint8_t sensor_type;  /* SDR sensor type (0x01 temperature, ...) */
	uint8_t reading_type; /* event/reading type code (0x01 threshold) */
	const char *device_type;
	char name[IPMI_REPO_NAME_MAX];
	bool full; /* full record: the factors below are valid */
	int8_t r_exponent, b_exponent;
	int16_t m, b;
	uint8_t linearization, analog_format;
};

struct ipmi_repo {
	struct ipmi_repo_sensor *sensors; /* in repository order */
	size_t n;
	bool loaded;
	uint32_t addition_ts, erase_ts; /* the repository's timestamps when read */
	unsigned checked_gen;           /* session generation of the last check */
	char *file;                     /* shared cache file, or NULL */
	bool dir_warned;
};

/* file_dir: ipmi.sdr_cache_dir (may be NULL); host names the file. */
void ipmi_repo_init(struct ipmi_repo *r, const char *file_dir, const char *host);
void ipmi_repo_free(struct ipmi_repo *r);

/* Make the repository usable: rebuild = walk the SDR now (a live scan);
 * otherwise reuse the copy in memory (checked against the BMC once per
 * session), the shared cache file if it is up to date, or walk. */
enum dcre_err ipmi_repo_ensure(struct ipmi_repo *r, struct ipmi_session *s, bool rebuild,
                               struct dcre_msg *msg);

/* The sensor with this number, or NULL. Borrowed from r. */
const struct ipmi_repo_sensor *ipmi_repo_find(const struct ipmi_repo *r, uint8_t number);

/* Add the sensors to a board record as devices (dcre_bridge_add_sensor). */
void ipmi_repo_devices(const struct ipmi_repo *r, struct dcre_board *board);

#endif
