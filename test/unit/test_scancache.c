/* SPDX-License-Identifier: MIT */
/* The scan cache's files (config.md §6, issue 11 item 8): nothing followed
 * through a symlink, no hang on a FIFO, every field read back validated,
 * unpredictable temp file, bounded lock wait. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "scancache.h"
#include "tap.h"

static char dir[] = "/tmp/test_scancache.XXXXXX";
static char cache[256], lockp[256], victim[256];

static const char PRECIOUS[] = "precious\n";

/* Entries of dir whose name contains part; part NULL: delete them all. */
static int count_entries(const char *part)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[600];
	int n = 0;

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (part && strstr(e->d_name, part))
			n++;
		if (!part) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	}
	if (d)
		closedir(d);
	return n;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int same_content(const char *path, const char *text)
{
	char buf[256] = {0};
	FILE *f = fopen(path, "r");
	size_t n;
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	return n == strlen(text) && memcmp(buf, text, n) == 0;
}

/* A valid document with created = `created` (text, so 1e300 stays 1e300). */
static char *doc_text(const char *created, const char *extra)
{
	static char buf[1024];
	snprintf(buf, sizeof(buf),
	         "{\"format\":\"opendcre-scan-cache/1\",\"created\":%s,\"racks\":[{\"rack_id\":"
	         "\"r\",\"boards\":[{\"backend\":\"plc\",\"board_id\":\"000000aa\",\"devices\":"
	         "[{\"device_id\":\"0001\",\"device_type\":\"led\"}]}]}]%s}",
	         created, extra);
	return buf;
}

static void test_roundtrip(void)
{
	struct dcre_msg msg = {{0}};
	char now[64];
	cJSON *doc, *back;
	struct stat st;

	snprintf(now, sizeof(now), "%.3f", dcre_scancache_now());
	doc = cJSON_Parse(doc_text(now, ""));
	tap_is_int(dcre_scancache_store(cache, doc, &msg), DCRE_OK, "store: %s", msg.text);
	tap_ok(lstat(cache, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0640,
	       "the cache is a regular file, mode 0640");
	back = dcre_scancache_load(cache, 600);
	tap_ok(back && cJSON_Compare(doc, back, 1), "load gives back what was stored");
	cJSON_Delete(back);
	back = dcre_scancache_load(cache, 0);
	tap_ok(back != NULL, "timeout 0: never expires");
	cJSON_Delete(back);
	cJSON_Delete(doc);

	tap_is_int(count_entries("tmp"), 0, "no temporary file left in the directory");
}

static void test_symlinks(void)
{
	struct dcre_msg msg = {{0}};
	char now[64], tmpname[300];
	cJSON *doc;

	/* a symlink at the cache path pointing at a valid cache: not followed */
	snprintf(now, sizeof(now), "%.3f", dcre_scancache_now());
	put(victim, doc_text(now, ""));
	unlink(cache);
	if (symlink(victim, cache) < 0)
		tap_diag("symlink: %s", strerror(errno));
	doc = dcre_scancache_load(cache, 600);
	tap_ok(doc == NULL, "a symlink at the cache path is not followed by load");
	cJSON_Delete(doc);

	/* the old predictable temp name: a symlink there is never written through */
	put(victim, PRECIOUS);
	snprintf(tmpname, sizeof(tmpname), "%s.tmp.%ld", cache, (long)getpid());
	if (symlink(victim, tmpname) < 0)
		tap_diag("symlink: %s", strerror(errno));
	doc = cJSON_Parse(doc_text(now, ""));
	tap_is_int(dcre_scancache_store(cache, doc, &msg), DCRE_OK,
	           "store with planted symlinks: %s", msg.text);
	tap_ok(same_content(victim, PRECIOUS), "the symlinks' target is unchanged");
	struct stat st;
	tap_ok(lstat(cache, &st) == 0 && S_ISREG(st.st_mode),
	       "the symlink at the cache path was replaced by a regular file");
	cJSON_Delete(doc);
	unlink(tmpname);
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char m[] = "not ok - hung (alarm)\n";
	ssize_t w = write(1, m, sizeof(m) - 1);
	(void)w;
	_exit(1);
}

static void test_fifo(void)
{
	double t0;
	cJSON *doc;

	unlink(cache);
	if (mkfifo(cache, 0600) < 0)
		tap_diag("mkfifo: %s", strerror(errno));
	signal(SIGALRM, on_alarm);
	alarm(5);
	t0 = mono();
	doc = dcre_scancache_load(cache, 600);
	alarm(0);
	tap_ok(doc == NULL && mono() - t0 < 1, "a FIFO at the cache path: load returns at once");
	cJSON_Delete(doc);
	unlink(cache);
}

static void load_rejects(const char *text, double timeout, const char *what)
{
	cJSON *doc;
	put(cache, text);
	doc = dcre_scancache_load(cache, timeout);
	tap_ok(doc == NULL, "load rejects %s", what);
	cJSON_Delete(doc);
}

static void test_created(void)
{
	char t[64];

	load_rejects(doc_text("1e300", ""), 600, "created 1e300");
	load_rejects(doc_text("1e300", ""), 0, "created 1e300 (timeout 0)");
	load_rejects(doc_text("-1", ""), 0, "created -1");
	load_rejects(doc_text("\"now\"", ""), 0, "created a string");
	load_rejects(doc_text("null", ""), 0, "created null");
	snprintf(t, sizeof(t), "%.3f", dcre_scancache_now() + 3600);
	load_rejects(doc_text(t, ""), 600, "created an hour in the future");
	snprintf(t, sizeof(t), "%.3f", dcre_scancache_now() - 10);
	load_rejects(doc_text(t, ""), 5, "an expired cache");
	put(cache, doc_text(t, ""));
	cJSON *doc = dcre_scancache_load(cache, 600);
	tap_ok(doc != NULL, "a cache 10 s old with timeout 600 is valid");
	cJSON_Delete(doc);
	load_rejects("", 0, "an empty file");
	load_rejects("{\"format\":", 0, "unparsable text");
}

/* dcre_scancache_valid over documents with one thing wrong each. */
static void test_valid(void)
{
	static const struct {
		const char *text;
		int ok;
		const char *what;
	} cases[] = {
	    {"{\"format\":\"opendcre-scan-cache/1\",\"created\":1,\"racks\":[]}", 1, "minimal"},
	    {"{\"format\":\"opendcre-scan-cache/1\",\"created\":1,\"racks\":[{\"rack_id\":\"r\","
	     "\"boards\":[{\"backend\":\"ipmi\",\"index\":0,\"board_id\":\"40000001\","
	     "\"hostnames\":[\"h\"],\"ip_addresses\":[\"10.0.0.5\"],\"devices\":[{\"device_id\":"
	     "\"0100\",\"device_info\":\"power\",\"device_type\":\"power\"}]}]}],\"errors\":[{"
	     "\"backend\":\"redfish\",\"board_id\":\"70000000\",\"message\":\"m\"}]}",
	     1, "a bridge board and an errors entry"},
	    {"[]", 0, "not an object"},
	    {"{\"format\":\"opendcre-scan-cache/2\",\"created\":1,\"racks\":[]}", 0,
	     "another format"},
	    {"{\"format\":\"opendcre-scan-cache/1\",\"created\":1,\"racks\":{}}", 0,
	     "racks an object"},
	    {"{\"format\":\"opendcre-scan-cache/1\",\"created\":1,\"racks\":[],\"x\":1}", 0,
	     "an unknown top-level key"},
	    {"{\"format\":\"opendcre-scan-cache/1\",\"created\":1,\"created\":2,\"racks\":[]}", 0,
	     "a repeated key"},
	    {"{\"format\":\"opendcre-scan-cache/1\",\"created\":1,\"racks\":[],\"errors\":[null]}",
	     0, "an errors entry null"},
	    {"{\"format\":\"opendcre-scan-cache/1\",\"created\":1,\"racks\":[],\"errors\":[{"
	     "\"backend\":\"plc\",\"message\":5}]}",
	     0, "an errors message a number"},
	    {"{\"format\":\"opendcre-scan-cache/1\",\"created\":1,\"racks\":[],\"errors\":[{"
	     "\"backend\":\"plc\"}]}",
	     0, "an errors entry without message"},
	    {"{\"format\":\"opendcre-scan-cache/1\",\"created\":1,\"racks\":[],\"errors\":\"e\"}",
	     0, "errors a string"},
	    {"{\"format\":\"opendcre-scan-cache/1\",\"created\":1,\"racks\":[5]}", 0,
	     "a rack a number"},
	    {"{\"format\":\"opendcre-scan-cache/1\",\"created\":1,\"racks\":[{\"rack_id\":1,"
	     "\"boards\":[]}]}",
	     0, "rack_id a number"},
	    {"{\"format\":\"opendcre-scan-cache/1\",\"created\":1,\"racks\":[{\"rack_id\":\"r\","
	     "\"boards\":[{\"backend\":\"plc\",\"board_id\":\"AA\",\"devices\":[]}]}]}",
	     0, "a short board id"},
	    {"{\"format\":\"opendcre-scan-cache/1\",\"created\":1,\"racks\":[{\"rack_id\":\"r\","
	     "\"boards\":[{\"backend\":\"plc\",\"board_id\":\"000000aa\",\"devices\":[{"
	     "\"device_id\":\"0001\"}]}]}]}",
	     0, "a device without device_type"},
	    {"{\"format\":\"opendcre-scan-cache/1\",\"created\":1,\"racks\":[{\"rack_id\":\"r\","
	     "\"boards\":[{\"backend\":\"plc\",\"board_id\":\"000000aa\",\"devices\":[{"
	     "\"device_id\":\"0001\",\"device_type\":\"led\",\"extra\":true}]}]}]}",
	     0, "an unknown device key"},
	    {"{\"format\":\"opendcre-scan-cache/1\",\"created\":1,\"racks\":[{\"rack_id\":\"r\","
	     "\"boards\":[{\"backend\":\"ipmi\",\"board_id\":\"40000001\",\"index\":1.5,"
	     "\"devices\":[]}]}]}",
	     0, "a fractional index"},
	    {"{\"format\":\"opendcre-scan-cache/1\",\"created\":1,\"racks\":[{\"rack_id\":\"r\","
	     "\"boards\":[{\"backend\":\"ipmi\",\"board_id\":\"40000001\",\"hostnames\":[null],"
	     "\"devices\":[]}]}]}",
	     0, "a hostname null"},
	    {"{\"format\":\"opendcre-scan-cache/"
	     "1\",\"created\":1,\"racks\":[{\"rack_id\":\"r\xff\","
	     "\"boards\":[]}]}",
	     0, "a rack_id that is not UTF-8"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dcre_msg why = {{0}};
		cJSON *doc = cJSON_Parse(cases[i].text);
		int ok = doc && dcre_scancache_valid(doc, &why);
		tap_ok(ok == cases[i].ok, "valid: %s -> %s%s%s", cases[i].what,
		       cases[i].ok ? "accepted" : "rejected", why.text[0] ? ": " : "", why.text);
		cJSON_Delete(doc);
	}
}

static void test_lock(void)
{
	struct dcre_msg msg = {{0}};
	int a = -1, b = -1;
	double t0;

	unlink(lockp);
	tap_is_int(dcre_scancache_lock(cache, 1, &a, &msg), DCRE_OK, "lock taken: %s", msg.text);
	t0 = mono();
	tap_is_int(dcre_scancache_lock(cache, 0.3, &b, &msg), DCRE_ETIMEDOUT,
	           "a second lock times out");
	double dt = mono() - t0;
	tap_ok(dt >= 0.29 && dt < 1.0, "after the wait (0.3 s): %.3f s", dt);
	tap_ok(b == -1 && strstr(msg.text, ".lock") && strstr(msg.text, "0.3 s"),
	       "the message names the lock and the wait: %s", msg.text);
	dcre_scancache_unlock(a);
	tap_is_int(dcre_scancache_lock(cache, 0.3, &b, &msg), DCRE_OK, "free again after unlock");
	dcre_scancache_unlock(b);

	/* a symlink at the lock path: refused, its target neither created nor truncated */
	unlink(lockp);
	put(victim, PRECIOUS);
	if (symlink(victim, lockp) < 0)
		tap_diag("symlink: %s", strerror(errno));
	tap_is_int(dcre_scancache_lock(cache, 0.3, &b, &msg), DCRE_EIO,
	           "a symlinked lock file: EIO");
	tap_ok(strstr(msg.text, "symbolic link") != NULL, "message: %s", msg.text);
	tap_ok(same_content(victim, PRECIOUS), "the target is unchanged");
	unlink(lockp);

	/* a FIFO at the lock path: refused at once */
	if (mkfifo(lockp, 0600) < 0)
		tap_diag("mkfifo: %s", strerror(errno));
	alarm(5);
	tap_is_int(dcre_scancache_lock(cache, 0.3, &b, &msg), DCRE_EIO, "a FIFO lock file: EIO");
	alarm(0);
	tap_ok(strstr(msg.text, "not a regular file") != NULL, "message: %s", msg.text);
	unlink(lockp);
}

/* A waiter that opened the lock file before it was replaced must not take
 * the lock of the deleted file: it locks whatever is at the path. */
static void test_lock_replaced(void)
{
	struct dcre_msg msg = {{0}};
	int a = -1, st = 0;
	pid_t pid;

	unlink(lockp);
	dcre_scancache_lock(cache, 1, &a, &msg);
	pid = fork();
	if (pid == 0) {
		int fd = -1;
		/* opens the old file, waits; exit 0 = timed out (right), 1 = took it */
		enum dcre_err e = dcre_scancache_lock(cache, 1.5, &fd, &msg);
		_exit(e == DCRE_ETIMEDOUT ? 0 : 1);
	}
	usleep(300000);
	/* replace the file and hold the new one, then release the old one */
	unlink(lockp);
	int n = open(lockp, O_RDWR | O_CREAT, 0600);
	flock(n, LOCK_EX);
	dcre_scancache_unlock(a);
	waitpid(pid, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "a waiter does not take the lock of a deleted lock file (it waits for the new one)");
	close(n);
	unlink(lockp);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		printf("1..0 # SKIP mkdtemp: %s\n", strerror(errno));
		return 0;
	}
	dcre_log_open(DCRE_LOG_STDERR, DCRE_LOG_ERROR, NULL, "test_scancache");
	snprintf(cache, sizeof(cache), "%s/cache.json", dir);
	snprintf(lockp, sizeof(lockp), "%s/cache.json.lock", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	test_roundtrip();
	test_symlinks();
	test_fifo();
	test_created();
	test_valid();
	test_lock();
	test_lock_replaced();
	count_entries(NULL);
	if (rmdir(dir) < 0)
		tap_diag("could not remove %s: %s", dir, strerror(errno));
	return tap_done();
}
