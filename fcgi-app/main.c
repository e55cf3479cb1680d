/* SPDX-License-Identifier: MIT */
/* opendcre-fcgi: the multi-process FastCGI responder (config.md §8, §9). */
#include <errno.h>
#include <fcgiapp.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"
#include "listen.h"
#include "log.h"
#include "prefork.h"
#include "registry.h"
#include "scancache.h"
#include "stats.h"
#include "worker.h"

#define DEFAULT_CONFIG "/etc/opendcre/opendcre.json"

static void usage(FILE *f)
{
	fprintf(f, "Usage: opendcre-fcgi [OPTION]...\n"
	           "The OpenDCRE FastCGI service (API 1.2 and 1.3).\n\n"
	           "  --config PATH     main configuration file (env OPENDCRE_CONFIG,\n"
	           "                    default " DEFAULT_CONFIG ")\n"
	           "  --workers N       worker processes, 1-64 (env OPENDCRE_WORKERS, default 4)\n"
	           "  --socket ADDR     Unix socket path or HOST:PORT (env OPENDCRE_SOCKET);\n"
	           "                    default: systemd socket activation or fd 0\n"
	           "  --serial PATH     PLC serial device, sets plc.device (env OPENDCRE_SERIAL)\n"
	           "  --check-config    validate the configuration and exit\n"
	           "  --debug           log at debug level (env OPENDCRE_DEBUG=1)\n"
	           "  --help, --version\n");
}

static int parse_workers(const char *s, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 64)
		return -1;
	*out = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
	                                     {"workers", required_argument, NULL, 'w'},
	                                     {"socket", required_argument, NULL, 's'},
	                                     {"serial", required_argument, NULL, 'S'},
	                                     {"check-config", no_argument, NULL, 'C'},
	                                     {"debug", no_argument, NULL, 'd'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {"version", no_argument, NULL, 'V'},
	                                     {NULL, 0, NULL, 0}};
	const char *config = getenv("OPENDCRE_CONFIG");
	const char *sock = getenv("OPENDCRE_SOCKET");
	const char *workers_text = getenv("OPENDCRE_WORKERS");
	struct dcre_config_overrides ov = {.serial = getenv("OPENDCRE_SERIAL")};
	const char *dbg = getenv("OPENDCRE_DEBUG");
	int check_only = 0, workers = 4, c;
	struct dcre_msg msg;
	const struct dcre_registry *reg = &dcre_registry;
	void **states = NULL; /* per registry entry: what its prepare hook made */
	int rc = 1;

	ov.debug = dbg && strcmp(dbg, "1") == 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'w':
			workers_text = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'S':
			ov.serial = optarg;
			break;
		case 'C':
			check_only = 1;
			break;
		case 'd':
			ov.debug = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("opendcre-fcgi 0.1.0 (OpenDCRE API 1.2 and 1.3)\n");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "opendcre-fcgi: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (workers_text && parse_workers(workers_text, &workers) < 0) {
		fprintf(stderr, "opendcre-fcgi: --workers: '%s' is not a number from 1 to 64\n",
		        workers_text);
		return 2;
	}
	if (!config)
		config = DEFAULT_CONFIG;

	/* no core dumps: they could hold secrets */
	struct rlimit nocore = {0, 0};
	setrlimit(RLIMIT_CORE, &nocore);
	dcre_alloc_init_cjson();

	struct dcre_config *cfg = dcre_config_load(config, reg, &ov, stderr);
	if (!cfg)
		return 1;
	states = dcre_xcalloc(reg->n ? reg->n : 1, sizeof(*states));
	if (check_only) {
		printf("%s: configuration is valid\n", config);
		rc = 0;
		goto out;
	}
	if (!dcre_log_open(cfg->log.target, cfg->log.level, cfg->log.file, "opendcre")) {
		fprintf(stderr, "%s: log.file: cannot open %s: %s\n", config, cfg->log.file,
		        strerror(errno));
		goto out;
	}
	/* each transport's preparation (config.md §9), in registry order */
	for (size_t t = 0; t < reg->n; t++) {
		const struct dcre_transport_hooks *h = reg->v[t].hooks;
		if (h && h->prepare && cfg->sections[t] &&
		    h->prepare(cfg->sections[t], &states[t], &msg)) {
			fprintf(stderr, "%s: %s\n", config, msg.text);
			goto out;
		}
	}
	if (dcre_scancache_reset(cfg->scan_cache.file, &msg)) {
		fprintf(stderr, "%s: %s\n", config, msg.text);
		goto out;
	}
	int fd = dcre_listen_acquire(sock, &msg);
	if (fd < 0) {
		fprintf(stderr, "opendcre-fcgi: %s\n", msg.text);
		goto out;
	}
	if (FCGX_Init() != 0) {
		fprintf(stderr, "opendcre-fcgi: FCGX_Init failed\n");
		goto out;
	}
	char what[512] = "";
	for (size_t t = 0; t < reg->n; t++) {
		const struct dcre_transport *tr = &reg->v[t];
		size_t len = strlen(what);
		if (tr->hooks && cfg->sections[t] && tr->hooks->describe)
			tr->hooks->describe(cfg->sections[t], what + len, sizeof(what) - len);
		else if (tr->device_key)
			snprintf(what + len, sizeof(what) - len, "%s not configured", tr->label);
		else
			continue;
		len = strlen(what);
		snprintf(what + len, sizeof(what) - len, "; ");
	}
	dcre_info("opendcre-fcgi started: %d workers; %sscan cache %s", workers, what,
	          cfg->scan_cache.file);

	/* the counters every worker adds to: mapped before the workers fork */
	dcre_stats_init();
	struct dcre_worker_args wa = {.cfg = cfg, .listen_fd = fd, .states = states};
	rc = dcre_prefork_run(workers, dcre_worker_main, &wa);
	dcre_info("opendcre-fcgi stopped");
	if (sock && sock[0] == '/')
		unlink(sock);
out:
	for (size_t t = 0; t < reg->n; t++)
		if (states[t] && reg->v[t].hooks->cleanup)
			reg->v[t].hooks->cleanup(states[t]);
	free(states);
	dcre_config_free(cfg);
	return rc;
}
