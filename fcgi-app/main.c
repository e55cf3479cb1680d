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
#include "plc_backend.h"
#include "plc_modem.h"
#include "prefork.h"
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
	struct plc_modem *modem = NULL;

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

	struct dcre_config *cfg = dcre_config_load(config, &ov, stderr);
	if (!cfg)
		return 1;
	if (check_only) {
		printf("%s: configuration is valid\n", config);
		dcre_config_free(cfg);
		return 0;
	}
	if (!dcre_log_open(cfg->log.target, cfg->log.level, cfg->log.file, "opendcre")) {
		fprintf(stderr, "%s: log.file: cannot open %s: %s\n", config, cfg->log.file,
		        strerror(errno));
		goto fail;
	}
	if (dcre_config_has_plc(cfg)) {
		if (dcre_plc_prepare(&cfg->plc, &msg)) {
			fprintf(stderr, "%s: %s\n", config, msg.text);
			goto fail;
		}
	}
	if (dcre_config_has_plc(cfg) && cfg->plc.hardware_type == DCRE_HW_RPI_HAT) {
		/* plc-protocol.md §11.1, §11.2: the main process requests the
		 * lines once; the workers inherit the request */
		enum dcre_err err;
		modem = dcre_plc_modem_open(&cfg->plc, &err, &msg);
		if (!modem) {
			fprintf(stderr, "%s: %s\n", config, msg.text);
			goto fail;
		}
		if (dcre_plc_modem_startup(modem, &msg))
			dcre_err_log("%s (the service starts; each bus transaction tries again)",
			             msg.text);
	}
	if (dcre_scancache_reset(cfg->scan_cache.file, &msg)) {
		fprintf(stderr, "%s: %s\n", config, msg.text);
		goto fail;
	}
	/* config.md §9 step 5: the SDR cache directory must be usable */
	if (cfg->ipmi.n_bmcs > 0 && access(cfg->ipmi.sdr_cache_dir, W_OK | X_OK) < 0) {
		fprintf(stderr, "%s: ipmi.sdr_cache_dir: %s is not a writable directory: %s\n",
		        config, cfg->ipmi.sdr_cache_dir, strerror(errno));
		goto fail;
	}
	int fd = dcre_listen_acquire(sock, &msg);
	if (fd < 0) {
		fprintf(stderr, "opendcre-fcgi: %s\n", msg.text);
		goto fail;
	}
	if (FCGX_Init() != 0) {
		fprintf(stderr, "opendcre-fcgi: FCGX_Init failed\n");
		goto fail;
	}
	dcre_info("opendcre-fcgi started: %d workers; PLC bus %s%s; scan cache %s", workers,
	          dcre_config_has_plc(cfg) ? "on " : "not configured",
	          dcre_config_has_plc(cfg) ? cfg->plc.device : "", cfg->scan_cache.file);

	/* the counters every worker adds to: mapped before the workers fork */
	dcre_stats_init();
	struct dcre_worker_args wa = {.cfg = cfg, .listen_fd = fd, .modem = modem};
	int rc = dcre_prefork_run(workers, dcre_worker_main, &wa);
	dcre_info("opendcre-fcgi stopped");
	if (sock && sock[0] == '/')
		unlink(sock);
	dcre_plc_modem_free(modem);
	dcre_config_free(cfg);
	return rc;
fail:
	dcre_plc_modem_free(modem);
	dcre_config_free(cfg);
	return 1;
}
