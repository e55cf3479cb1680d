/* SPDX-License-Identifier: MIT */
#include "ipmi_repo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <freeipmi/freeipmi.h>

#include "alloc.h"
#include "bridge.h"
#include "ipmi_map.h"
#include "log.h"
#include "timeutil.h"

#define BMC_OWNER 0x20
/* An SDR walk reads at most this many records (real BMCs have a few
 * hundred); a BMC announcing or chaining more is refused. */
#define IPMI_SDR_MAX_RECORDS 1024

void ipmi_repo_init(struct ipmi_repo *r, const char *file_dir, const char *host)
{
	memset(r, 0, sizeof(*r));
	if (file_dir && file_dir[0]) {
		char *name = dcre_xasprintf("sdr-%s.cache", host);
		for (char *p = name; *p; p++)
			if (*p == '/')
				*p = '_';
		r->file = dcre_xasprintf("%s/%s", file_dir, name);
		free(name);
	}
}

void ipmi_repo_free(struct ipmi_repo *r)
{
	free(r->sensors);
	free(r->file);
	memset(r, 0, sizeof(*r));
}

const struct ipmi_repo_sensor *ipmi_repo_find(const struct ipmi_repo *r, uint8_t number)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->sensors[i].number == number)
			return &r->sensors[i];
	return NULL;
}

void ipmi_repo_devices(const struct ipmi_repo *r, struct dcre_board *board)
{
	for (size_t i = 0; i < r->n; i++)
		dcre_bridge_add_sensor(board, r->sensors[i].number, r->sensors[i].name,
		                       r->sensors[i].device_type);
}

/* One record of an open cache into a sensor; false = not a sensor of the
 * board record (other record types and sensor types, other owners). */
static bool parse_record(ipmi_sdr_ctx_t sdr, const uint8_t *rec, unsigned len, const char *label,
                         struct ipmi_repo_sensor *out)
{
	uint16_t id;
	uint8_t type, owner_type, owner, lun, channel;

	memset(out, 0, sizeof(*out));
	if (ipmi_sdr_parse_record_id_and_type(sdr, rec, len, &id, &type) < 0)
		return false;
	if (type != IPMI_SDR_FORMAT_FULL_SENSOR_RECORD &&
	    type != IPMI_SDR_FORMAT_COMPACT_SENSOR_RECORD)
		return false;
	if (ipmi_sdr_parse_sensor_number(sdr, rec, len, &out->number) < 0 ||
	    ipmi_sdr_parse_sensor_type(sdr, rec, len, &out->sensor_type) < 0 ||
	    ipmi_sdr_parse_event_reading_type_code(sdr, rec, len, &out->reading_type) < 0 ||
	    ipmi_sdr_parse_sensor_owner_id(sdr, rec, len, &owner_type, &owner) < 0 ||
	    ipmi_sdr_parse_sensor_owner_lun(sdr, rec, len, &lun, &channel) < 0) {
		dcre_warn("%s: SDR record %u does not parse (%s); skipped", label, id,
		          ipmi_sdr_ctx_errormsg(sdr));
		return false;
	}
	out->device_type = ipmi_map_sensor_type(out->sensor_type);
	if (!out->device_type)
		return false;
	int n = ipmi_sdr_parse_id_string(sdr, rec, len, out->name, sizeof(out->name) - 1);
	out->name[n > 0 ? n : 0] = '\0';
	if (owner_type != IPMI_SDR_SENSOR_OWNER_ID_TYPE_IPMB_SLAVE_ADDRESS ||
	    (unsigned)(owner << 1) != BMC_OWNER || lun != 0) {
		/* reading it would need bridging to another controller */
		dcre_info("%s: sensor %u '%s' belongs to owner 0x%02x LUN %u, not the BMC; "
		          "skipped",
		          label, out->number, out->name, (unsigned)(owner << 1) | owner_type, lun);
		return false;
	}
	if (type == IPMI_SDR_FORMAT_FULL_SENSOR_RECORD) {
		if (ipmi_sdr_parse_sensor_decoding_data(
		        sdr, rec, len, &out->r_exponent, &out->b_exponent, &out->m, &out->b,
		        &out->linearization, &out->analog_format) < 0) {
			dcre_warn("%s: SDR record %u (%s): no conversion factors (%s)", label, id,
			          out->name, ipmi_sdr_ctx_errormsg(sdr));
		} else {
			out->full = true;
		}
	}
	return true;
}

/* Read every record of the open cache sdr into r. */
static enum dcre_err load_cache(struct ipmi_repo *r, ipmi_sdr_ctx_t sdr, const char *label,
                                struct dcre_msg *msg)
{
	uint16_t count = 0;
	struct ipmi_repo_sensor *list = NULL;
	size_t n = 0;
	uint32_t add = 0, erase = 0;
	enum dcre_err rc = DCRE_EPROTO;

	if (ipmi_sdr_cache_record_count(sdr, &count) < 0 ||
	    ipmi_sdr_cache_most_recent_addition_timestamp(sdr, &add) < 0 ||
	    ipmi_sdr_cache_most_recent_erase_timestamp(sdr, &erase) < 0) {
		dcre_msg_set(msg, rc, "SDR cache: %s", ipmi_sdr_ctx_errormsg(sdr));
		goto out;
	}
	list = dcre_xcalloc(count ? count : 1, sizeof(*list));
	if (count && ipmi_sdr_cache_first(sdr) < 0) {
		dcre_msg_set(msg, rc, "SDR cache: %s", ipmi_sdr_ctx_errormsg(sdr));
		goto out;
	}
	for (unsigned i = 0; i < count; i++) {
		uint8_t rec[IPMI_SDR_MAX_RECORD_LENGTH];
		int len = ipmi_sdr_cache_record_read(sdr, rec, sizeof(rec));
		struct ipmi_repo_sensor sn;
		if (len > 0 && parse_record(sdr, rec, (unsigned)len, label, &sn)) {
			bool dup = false;
			for (size_t k = 0; k < n; k++)
				dup = dup || list[k].number == sn.number;
			if (dup)
				dcre_warn("%s: second SDR record for sensor number %u ('%s'); "
				          "skipped",
				          label, sn.number, sn.name);
			else
				list[n++] = sn;
		}
		if (i + 1 < count && ipmi_sdr_cache_next(sdr) != 1)
			break;
	}
	free(r->sensors);
	r->sensors = list;
	list = NULL;
	r->n = n;
	r->addition_ts = add;
	r->erase_ts = erase;
	r->loaded = true;
	rc = DCRE_OK;
out:
	free(list);
	return rc;
}

/* ---- exchanges ---- */

struct check {
	struct ipmi_repo *r;
	bool changed;
};

/* Get SDR Repository Info: have the timestamps moved? */
static int x_check(struct ipmi_session *s, ipmi_ctx_t ctx, void *arg, struct dcre_msg *msg)
{
	struct check *c = arg;
	fiid_obj_t obj = fiid_obj_create(tmpl_cmd_get_sdr_repository_info_rs);
	uint64_t add, erase;
	int rc = IPMI_X_FAILED;

	if (!obj) {
		rc = dcre_msg_set(msg, DCRE_EINTERNAL, "Internal error: fiid_obj_create");
		goto out;
	}
	if (ipmi_cmd_get_sdr_repository_info(ctx, obj) < 0) {
		rc = ipmi_session_failed(s, obj);
		goto out;
	}
	if (!ipmi_session_field(obj, "most_recent_addition_timestamp", &add) ||
	    !ipmi_session_field(obj, "most_recent_erase_timestamp", &erase)) {
		rc = dcre_msg_set(msg, DCRE_EPROTO, "short answer");
		goto out;
	}
	c->changed = add != c->r->addition_ts || erase != c->r->erase_ts;
	rc = 0;
out:
	fiid_obj_destroy(obj);
	return rc;
}

struct load {
	struct ipmi_repo *r;
	bool done;
};

/* The shared cache file, if FreeIPMI finds it up to date with the BMC. */
static int x_open_file(struct ipmi_session *s, ipmi_ctx_t ctx, void *arg, struct dcre_msg *msg)
{
	struct load *l = arg;
	ipmi_sdr_ctx_t sdr = ipmi_sdr_ctx_create();
	bool opened = false;
	int rc = 0;

	if (!sdr) {
		rc = dcre_msg_set(msg, DCRE_EINTERNAL, "Internal error: ipmi_sdr_ctx_create");
		goto out;
	}
	if (ipmi_sdr_cache_open(sdr, ctx, l->r->file) < 0) {
		int e = ipmi_sdr_ctx_errnum(sdr);
		if (e == IPMI_SDR_ERR_IPMI_ERROR) {
			rc = IPMI_X_FAILED;
			goto out;
		}
		if (e != IPMI_SDR_ERR_CACHE_READ_CACHE_DOES_NOT_EXIST)
			dcre_debug("%s: SDR cache file %s not used: %s", s->label, l->r->file,
			           ipmi_sdr_ctx_strerror(e));
		goto out; /* missing, out of date or invalid: walk the SDR */
	}
	opened = true;
	struct dcre_msg why;
	if (load_cache(l->r, sdr, s->label, &why))
		dcre_warn("%s: SDR cache file %s: %s", s->label, l->r->file, why.text);
	else
		l->done = true;
out:
	if (opened)
		ipmi_sdr_cache_close(sdr);
	ipmi_sdr_ctx_destroy(sdr);
	return rc;
}

/* The bounds of one SDR walk, checked by FreeIPMI's callback between
 * records: past the record cap or the operation's deadline the context is
 * closed, which makes the walk's next Get SDR fail at once. */
struct walk {
	struct ipmi_session *s;
	ipmi_ctx_t ctx;
	unsigned records;
	bool too_many, too_late;
};

static void on_record(uint8_t sdr_version, uint16_t record_count, uint32_t add, uint32_t erase,
                      uint16_t record_id, void *data)
{
	struct walk *w = data;

	(void)sdr_version;
	(void)add;
	(void)erase;
	(void)record_id;
	if (w->too_many || w->too_late)
		return;
	w->records++;
	if (record_count > IPMI_SDR_MAX_RECORDS || w->records > IPMI_SDR_MAX_RECORDS)
		w->too_many = true;
	else if (ipmi_session_op_left(w->s) <= 0)
		w->too_late = true;
	if (w->too_many || w->too_late)
		ipmi_ctx_close(w->ctx);
}

/* Walk the SDR (Get SDR Repository Info, Reserve SDR Repository, Get SDR
 * from record 0000 to FFFF) into a new cache file, load it, and publish it
 * under its shared name. */
static int x_build(struct ipmi_session *s, ipmi_ctx_t ctx, void *arg, struct dcre_msg *msg)
{
	struct load *l = arg;
	ipmi_sdr_ctx_t sdr = ipmi_sdr_ctx_create();
	const char *tmpdir = getenv("TMPDIR");
	char *tmp = NULL;
	bool opened = false, shared = false;
	int fd = -1, rc = DCRE_EINTERNAL;

	if (!sdr) {
		rc = dcre_msg_set(msg, DCRE_EINTERNAL, "Internal error: ipmi_sdr_ctx_create");
		goto out;
	}
	if (l->r->file) {
		tmp = dcre_xasprintf("%s.XXXXXX", l->r->file);
		fd = mkstemp(tmp);
		shared = fd >= 0;
		if (fd < 0 && !l->r->dir_warned)
			dcre_warn("%s: SDR cache file %s cannot be written (%s); the SDR is "
			          "kept in memory only",
			          s->label, l->r->file, strerror(errno));
		l->r->dir_warned = l->r->dir_warned || fd < 0;
	}
	if (fd < 0) {
		free(tmp);
		tmp =
		    dcre_xasprintf("%s/opendcre-sdr.XXXXXX", tmpdir && tmpdir[0] ? tmpdir : "/tmp");
		fd = mkstemp(tmp);
	}
	if (fd < 0) {
		rc = dcre_msg_set(msg, DCRE_EIO, "Internal error: cannot create %s: %s", tmp,
		                  strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	close(fd);
	struct walk w = {.s = s, .ctx = ctx};
	if (ipmi_sdr_cache_create(sdr, ctx, tmp, IPMI_SDR_CACHE_CREATE_FLAGS_OVERWRITE, on_record,
	                          &w) < 0) {
		int e = ipmi_sdr_ctx_errnum(sdr);
		if (w.too_many || w.too_late) {
			rc = w.too_many ? dcre_msg_set(msg, DCRE_EPROTO,
			                               "stopped after %u records: more than %d SDR "
			                               "records (at most %d per operation)",
			                               w.records, IPMI_SDR_MAX_RECORDS,
			                               IPMI_SDR_MAX_RECORDS)
			                : dcre_msg_set(msg, DCRE_ETIMEDOUT,
			                               "stopped after %u records: the operation's "
			                               "deadline of %g s passed",
			                               w.records, s->op.budget);
			ipmi_session_close(s); /* its context is closed already */
		} else if (e == IPMI_SDR_ERR_IPMI_ERROR)
			rc = IPMI_X_FAILED;
		else
			rc = dcre_msg_set(msg, DCRE_EPROTO, "%s", ipmi_sdr_ctx_errormsg(sdr));
		goto out;
	}
	if (ipmi_sdr_cache_open(sdr, NULL, tmp) < 0) {
		rc = dcre_msg_set(msg, DCRE_EIO, "SDR cache %s: %s", tmp,
		                  ipmi_sdr_ctx_errormsg(sdr));
		goto out;
	}
	opened = true;
	rc = load_cache(l->r, sdr, s->label, msg);
	if (rc)
		goto out;
	l->done = true;
	/* publish for the other workers: atomic replace */
	if (shared && rename(tmp, l->r->file) == 0) {
		free(tmp);
		tmp = NULL;
	}
out:
	if (opened)
		ipmi_sdr_cache_close(sdr);
	ipmi_sdr_ctx_destroy(sdr);
	if (tmp)
		unlink(tmp);
	free(tmp);
	return rc;
}

static bool session_reopens(const struct ipmi_session *s)
{
	return !s->ctx || dcre_time_now() - s->last >=
	                      ipmi_map_reuse_limit(s->open_timeout, s->cfg->session_idle_timeout);
}

enum dcre_err ipmi_repo_ensure(struct ipmi_repo *r, struct ipmi_session *s, bool rebuild,
                               struct dcre_msg *msg)
{
	enum dcre_err rc;

	if (!rebuild && r->loaded) {
		if (!session_reopens(s) && r->checked_gen == s->gen)
			return DCRE_OK;
		struct check c = {.r = r};
		rc = ipmi_session_call(s, "Get SDR Repository Info", IPMI_REPEAT_SAFE, x_check, &c,
		                       msg);
		if (rc)
			return rc;
		if (!c.changed) {
			r->checked_gen = s->gen;
			return DCRE_OK;
		}
		dcre_info("%s: the SDR repository changed; reading it again", s->label);
	} else if (!rebuild && r->file) {
		struct load l = {.r = r};
		rc = ipmi_session_call(s, "Get SDR Repository Info", IPMI_REPEAT_SAFE, x_open_file,
		                       &l, msg);
		if (rc)
			return rc;
		if (l.done) {
			r->checked_gen = s->gen;
			return DCRE_OK;
		}
	}
	struct load l = {.r = r};
	rc = ipmi_session_call(s, "SDR walk (Get SDR)", IPMI_REPEAT_SAFE, x_build, &l, msg);
	if (rc)
		return rc;
	r->checked_gen = s->gen;
	dcre_debug("%s: SDR read: %zu sensors of the board record", s->label, r->n);
	return DCRE_OK;
}
