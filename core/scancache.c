/* SPDX-License-Identifier: MIT */
#include "scancache.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"

double dcre_scancache_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* millisecond resolution, so a cache lives its whole timeout */
	return (double)ts.tv_sec + (double)(ts.tv_nsec / 1000000) / 1000.0;
}

cJSON *dcre_scancache_load(const char *file, double timeout)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *text = NULL;
	cJSON *doc = NULL;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > 64 * 1024 * 1024)
		goto out;
	text = dcre_xmalloc((size_t)st.st_size);
	if (read(fd, text, (size_t)st.st_size) != st.st_size)
		goto out;
	doc = cJSON_ParseWithLength(text, (size_t)st.st_size);
	if (!doc) {
		dcre_warn("scan cache %s cannot be parsed; ignoring it", file);
		goto out;
	}
	const char *fmt = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "format"));
	const cJSON *created = cJSON_GetObjectItem(doc, "created");
	if (!fmt || strcmp(fmt, DCRE_SCANCACHE_FORMAT) != 0 || !cJSON_IsNumber(created) ||
	    !cJSON_IsArray(cJSON_GetObjectItem(doc, "racks"))) {
		dcre_warn("scan cache %s has an unknown format; ignoring it", file);
		cJSON_Delete(doc);
		doc = NULL;
		goto out;
	}
	if (timeout > 0 && created->valuedouble + timeout <= dcre_scancache_now()) {
		cJSON_Delete(doc);
		doc = NULL;
	}
out:
	free(text);
	close(fd);
	return doc;
}

enum dcre_err dcre_scancache_store(const char *file, const cJSON *doc, struct dcre_msg *msg)
{
	char *tmp = dcre_xasprintf("%s.tmp.%ld", file, (long)getpid());
	char *text = cJSON_PrintUnformatted(doc);
	size_t len = strlen(text);
	enum dcre_err rc = DCRE_EIO;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);

	if (fd < 0) {
		dcre_msg_set(msg, rc, "scan cache: cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
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

int dcre_scancache_lock(const char *file)
{
	char *path = dcre_xasprintf("%s.lock", file);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660);

	free(path);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
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
	free(copy);
	return rc;
}
