/* SPDX-License-Identifier: MIT */
#include "scancache.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"
#include "timeutil.h"

/* The largest cache file read back (a full bus plus bridges is far less). */
#define LOAD_MAX (64 * 1024 * 1024)

double dcre_scancache_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* millisecond resolution, so a cache lives its whole timeout */
	return (double)ts.tv_sec + (double)(ts.tv_nsec / 1000000) / 1000.0;
}

/* Open path without following a symlink and without blocking on a FIFO or
 * device; anything but a regular file is refused (errno EINVAL). */
static int open_regular(const char *path, int flags, mode_t mode, struct stat *st)
{
	int fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);

	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

static const char *open_error(int e)
{
	/* O_NOFOLLOW on a symlink gives ELOOP */
	if (e == ELOOP)
		return "it is a symbolic link";
	if (e == EINVAL)
		return "not a regular file";
	return strerror(e);
}

/* ---- validation: every field the service reads back ---- */

static bool utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned c = *p++;
		int more;
		unsigned min, cp;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf) {
			more = 1, min = 0x80, cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			more = 2, min = 0x800, cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3, min = 0x10000, cp = c & 0x07;
		} else {
			return false;
		}
		while (more--) {
			if ((*p & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (*p++ & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}

static bool is_text(const cJSON *it)
{
	return cJSON_IsString(it) && it->valuestring && utf8_ok(it->valuestring);
}

static bool is_hex(const cJSON *it, size_t digits)
{
	if (!cJSON_IsString(it) || !it->valuestring || strlen(it->valuestring) != digits)
		return false;
	for (const char *p = it->valuestring; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* Every key of obj is one of keys (NULL-terminated); keys in need must be
 * there. Returns the offending key name, or NULL when the keys are fine. */
static const char *bad_key(const cJSON *obj, const char *const *keys, const char *const *need)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, obj)
	{
		const char *const *k = keys;
		while (*k && (!it->string || strcmp(*k, it->string) != 0))
			k++;
		if (!*k)
			return it->string ? it->string : "?";
		for (const cJSON *o = obj->child; o != it; o = o->next)
			if (o->string && strcmp(o->string, it->string) == 0)
				return it->string; /* a duplicate key */
	}
	for (; *need; need++)
		if (!cJSON_GetObjectItemCaseSensitive(obj, *need))
			return *need;
	return NULL;
}

static bool text_array(const cJSON *a)
{
	const cJSON *it;

	if (!cJSON_IsArray(a))
		return false;
	cJSON_ArrayForEach(it, a) if (!is_text(it)) return false;
	return true;
}

static bool bad(struct dcre_msg *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool bad(struct dcre_msg *why, const char *fmt, ...)
{
	va_list ap;

	if (why) {
		va_start(ap, fmt);
		vsnprintf(why->text, sizeof(why->text), fmt, ap);
		va_end(ap);
	}
	return false;
}

static bool valid_device(const cJSON *d, const char *where, struct dcre_msg *why)
{
	static const char *const keys[] = {"device_id", "device_info", "device_type", NULL};
	static const char *const need[] = {"device_id", "device_type", NULL};
	const char *k;

	if (!cJSON_IsObject(d))
		return bad(why, "%s is not an object", where);
	if ((k = bad_key(d, keys, need)))
		return bad(why, "%s: key \"%s\" unknown, repeated or missing", where, k);
	if (!is_hex(cJSON_GetObjectItemCaseSensitive(d, "device_id"), 4))
		return bad(why, "%s.device_id is not 4 hex digits", where);
	if (!is_text(cJSON_GetObjectItemCaseSensitive(d, "device_type")))
		return bad(why, "%s.device_type is not a string", where);
	const cJSON *info = cJSON_GetObjectItemCaseSensitive(d, "device_info");
	if (info && !is_text(info))
		return bad(why, "%s.device_info is not a string", where);
	return true;
}

static bool valid_board(const cJSON *b, const char *where, struct dcre_msg *why)
{
	static const char *const keys[] = {"backend", "board_id",     "devices", "hostnames",
	                                   "index",   "ip_addresses", NULL};
	static const char *const need[] = {"backend", "board_id", "devices", NULL};
	const cJSON *it, *d;
	const char *k;
	char at[96];
	int i = 0;

	if (!cJSON_IsObject(b))
		return bad(why, "%s is not an object", where);
	if ((k = bad_key(b, keys, need)))
		return bad(why, "%s: key \"%s\" unknown, repeated or missing", where, k);
	if (!is_text(cJSON_GetObjectItemCaseSensitive(b, "backend")))
		return bad(why, "%s.backend is not a string", where);
	if (!is_hex(cJSON_GetObjectItemCaseSensitive(b, "board_id"), 8))
		return bad(why, "%s.board_id is not 8 hex digits", where);
	it = cJSON_GetObjectItemCaseSensitive(b, "index");
	if (it && !(cJSON_IsNumber(it) && it->valuedouble >= 0 && it->valuedouble <= 1e6 &&
	            it->valuedouble == (double)it->valueint))
		return bad(why, "%s.index is not a small whole number", where);
	if ((it = cJSON_GetObjectItemCaseSensitive(b, "hostnames")) && !text_array(it))
		return bad(why, "%s.hostnames is not an array of strings", where);
	if ((it = cJSON_GetObjectItemCaseSensitive(b, "ip_addresses")) && !text_array(it))
		return bad(why, "%s.ip_addresses is not an array of strings", where);
	it = cJSON_GetObjectItemCaseSensitive(b, "devices");
	if (!cJSON_IsArray(it))
		return bad(why, "%s.devices is not an array", where);
	cJSON_ArrayForEach(d, it)
	{
		snprintf(at, sizeof(at), "%s.devices[%d]", where, i++);
		if (!valid_device(d, at, why))
			return false;
	}
	return true;
}

static bool valid_error(const cJSON *e, const char *where, struct dcre_msg *why)
{
	static const char *const keys[] = {"backend", "board_id", "message", NULL};
	static const char *const need[] = {"backend", "message", NULL};
	const cJSON *id;
	const char *k;

	if (!cJSON_IsObject(e))
		return bad(why, "%s is not an object", where);
	if ((k = bad_key(e, keys, need)))
		return bad(why, "%s: key \"%s\" unknown, repeated or missing", where, k);
	if (!is_text(cJSON_GetObjectItemCaseSensitive(e, "backend")) ||
	    !is_text(cJSON_GetObjectItemCaseSensitive(e, "message")))
		return bad(why, "%s.backend or .message is not a string", where);
	id = cJSON_GetObjectItemCaseSensitive(e, "board_id");
	if (id && !is_hex(id, 8))
		return bad(why, "%s.board_id is not 8 hex digits", where);
	return true;
}

bool dcre_scancache_valid(const cJSON *doc, struct dcre_msg *why)
{
	static const char *const keys[] = {"created", "errors", "format", "racks", NULL};
	static const char *const need[] = {"created", "format", "racks", NULL};
	static const char *const rack_keys[] = {"boards", "rack_id", NULL};
	const cJSON *it, *rack, *b;
	const char *k;
	char at[32];
	int r = 0;

	if (!cJSON_IsObject(doc))
		return bad(why, "not an object");
	if ((k = bad_key(doc, keys, need)))
		return bad(why, "key \"%s\" unknown, repeated or missing", k);
	it = cJSON_GetObjectItemCaseSensitive(doc, "format");
	if (!cJSON_IsString(it) || strcmp(it->valuestring, DCRE_SCANCACHE_FORMAT) != 0)
		return bad(why, "format is not \"%s\"", DCRE_SCANCACHE_FORMAT);
	it = cJSON_GetObjectItemCaseSensitive(doc, "created");
	if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || it->valuedouble < 0)
		return bad(why, "created is not a time");
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "racks")))
		return bad(why, "racks is not an array");
	cJSON_ArrayForEach(rack, cJSON_GetObjectItemCaseSensitive(doc, "racks"))
	{
		int i = 0;
		snprintf(at, sizeof(at), "racks[%d]", r++);
		if (!cJSON_IsObject(rack) || (k = bad_key(rack, rack_keys, rack_keys)))
			return bad(why, "%s is not an object with rack_id and boards", at);
		if (!is_text(cJSON_GetObjectItemCaseSensitive(rack, "rack_id")) ||
		    !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(rack, "boards")))
			return bad(why, "%s.rack_id is not a string or boards not an array", at);
		cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(rack, "boards"))
		{
			char bat[64];
			snprintf(bat, sizeof(bat), "%s.boards[%d]", at, i++);
			if (!valid_board(b, bat, why))
				return false;
		}
	}
	it = cJSON_GetObjectItemCaseSensitive(doc, "errors");
	if (it) {
		const cJSON *e;
		int i = 0;
		if (!cJSON_IsArray(it) || !it->child)
			return bad(why, "errors is not a non-empty array");
		cJSON_ArrayForEach(e, it)
		{
			snprintf(at, sizeof(at), "errors[%d]", i++);
			if (!valid_error(e, at, why))
				return false;
		}
	}
	return true;
}

/* ---- the file ---- */

cJSON *dcre_scancache_load(const char *file, double timeout)
{
	struct stat st;
	struct dcre_msg why;
	char *text = NULL;
	cJSON *doc = NULL;
	size_t got = 0;
	int fd = open_regular(file, O_RDONLY, 0, &st);

	if (fd < 0) {
		if (errno != ENOENT)
			dcre_warn("scan cache %s cannot be read (%s); ignoring it", file,
			          open_error(errno));
		return NULL;
	}
	if (st.st_size <= 0 || st.st_size > LOAD_MAX) {
		dcre_warn("scan cache %s has %lld bytes; ignoring it", file, (long long)st.st_size);
		goto out;
	}
	text = dcre_xmalloc((size_t)st.st_size);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			dcre_warn("scan cache %s cannot be read completely; ignoring it", file);
			goto out;
		}
		got += (size_t)n;
	}
	doc = cJSON_ParseWithLength(text, got);
	if (!doc) {
		dcre_warn("scan cache %s cannot be parsed; ignoring it", file);
		goto out;
	}
	if (!dcre_scancache_valid(doc, &why)) {
		dcre_warn("scan cache %s is not valid (%s); ignoring it", file, why.text);
		cJSON_Delete(doc);
		doc = NULL;
		goto out;
	}
	double created = cJSON_GetObjectItemCaseSensitive(doc, "created")->valuedouble;
	double now = dcre_scancache_now();
	if (created > now) {
		/* written by a clock ahead of ours, or forged to live forever */
		dcre_warn("scan cache %s was created in the future (%.3f > %.3f); ignoring it",
		          file, created, now);
		cJSON_Delete(doc);
		doc = NULL;
	} else if (timeout > 0 && created + timeout <= now) {
		cJSON_Delete(doc);
		doc = NULL;
	}
out:
	free(text);
	close(fd);
	return doc;
}

static bool write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

enum dcre_err dcre_scancache_store(const char *file, const cJSON *doc, struct dcre_msg *msg)
{
	/* a name nobody can predict, created with O_EXCL (never through a
	 * planted symlink), in the cache's directory so rename stays atomic */
	char *tmp = dcre_xasprintf("%s.tmp.XXXXXX", file);
	char *text = cJSON_PrintUnformatted(doc);
	size_t len = strlen(text);
	enum dcre_err rc = DCRE_EIO;
	int fd = mkostemp(tmp, O_CLOEXEC);

	if (fd < 0) {
		dcre_msg_set(msg, rc, "scan cache: cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0640) < 0 || !write_all(fd, text, len) || fsync(fd) < 0) {
		dcre_msg_set(msg, rc, "scan cache: cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, file) < 0) {
		dcre_msg_set(msg, rc, "scan cache: cannot rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = DCRE_OK;
out:
	free(text);
	free(tmp);
	return rc;
}

/* ---- the live-scan lock ---- */

enum dcre_err dcre_scancache_lock(const char *file, double wait, int *out, struct dcre_msg *msg)
{
	char *path = dcre_xasprintf("%s.lock", file);
	double deadline = dcre_time_now() + wait, pause = 0.005;
	enum dcre_err rc = DCRE_EIO;
	struct stat st, now;
	int fd = -1;

	*out = -1;
	for (;;) {
		if (fd < 0 && (fd = open_regular(path, O_RDWR | O_CREAT, 0660, &st)) < 0) {
			dcre_msg_set(msg, rc, "scan cache: cannot open the lock file %s: %s", path,
			             open_error(errno));
			goto out;
		}
		/* non-blocking attempts: the uncontended case is one call, and a
		 * wait never outlasts the deadline (no signal needed) */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			/* still the file at the path? (deleted or replaced while we
			 * waited: lock the new one, or two workers would scan) */
			if (lstat(path, &now) == 0 && now.st_dev == st.st_dev &&
			    now.st_ino == st.st_ino) {
				*out = fd;
				rc = DCRE_OK;
				goto out;
			}
			close(fd);
			fd = -1;
		} else if (errno != EWOULDBLOCK && errno != EINTR) {
			dcre_msg_set(msg, rc, "scan cache: cannot lock %s: %s", path,
			             strerror(errno));
			goto out;
		}
		double left = deadline - dcre_time_now();
		if (left <= 0) {
			rc = dcre_msg_set(
			    msg, DCRE_ETIMEDOUT,
			    "scan cache: the lock %s is still held after %g s (another "
			    "live scan-all is running or stuck)",
			    path, wait);
			goto out;
		}
		dcre_time_sleep(pause < left ? pause : left);
		if (pause < 0.1)
			pause *= 2;
	}
out:
	if (rc && fd >= 0)
		close(fd);
	free(path);
	return rc;
}

void dcre_scancache_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the lock */
}

enum dcre_err dcre_scancache_reset(const char *file, struct dcre_msg *msg)
{
	char *copy = dcre_xstrdup(file);
	const char *dir = dirname(copy);
	enum dcre_err rc = DCRE_OK;

	if (access(dir, W_OK | X_OK) < 0)
		rc = dcre_msg_set(msg, DCRE_ECONFIG,
		                  "scan_cache.file: directory %s is not writable: %s", dir,
		                  strerror(errno));
	else if (unlink(file) < 0 && errno != ENOENT)
		rc = dcre_msg_set(msg, DCRE_ECONFIG, "scan_cache.file: cannot delete %s: %s", file,
		                  strerror(errno));
	if (!rc) {
		/* the readings kept for /metrics (core/metrics.h) came from that scan */
		char *metrics = dcre_xasprintf("%s.metrics", file);
		if (unlink(metrics) < 0 && errno != ENOENT)
			rc =
			    dcre_msg_set(msg, DCRE_ECONFIG, "scan_cache.file: cannot delete %s: %s",
			                 metrics, strerror(errno));
		free(metrics);
	}
	free(copy);
	return rc;
}
