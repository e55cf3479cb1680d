/* SPDX-License-Identifier: MIT */
/* opendcre-emulator: plays all boards of a PLC bus on a pty pair or a tty
 * (emulator.md). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "emu_bus.h"
#include "emu_data.h"
#include "emu_pty.h"
#include "plc_modem.h"
#include "log.h"
#include "plc_frame.h"

#ifndef DCRE_VERSION
#define DCRE_VERSION "unknown"
#endif

#define EXIT_DATA 1  /* bad data file or unusable serial device */
#define EXIT_USAGE 2 /* usage error */

/* The one piece of process state a signal handler must reach. On SIGTERM,
 * SIGINT or SIGHUP the handler sets stop and puts an always-at-end-of-file
 * descriptor in place of the serving descriptor, so a read blocked without a
 * timeout (or a write) returns at once and the main loop exits cleanly. */
static struct {
	volatile sig_atomic_t stop;
	volatile sig_atomic_t fd;
	volatile sig_atomic_t null_fd;
} sig_state = {0, -1, -1};

static void on_signal(int sig)
{
	int saved = errno;

	(void)sig;
	sig_state.stop = 1;
	if (sig_state.fd >= 0 && sig_state.null_fd >= 0)
		dup2(sig_state.null_fd, sig_state.fd);
	errno = saved;
}

struct options {
	const char *pty;
	const char *device;
	const char *data;
	const char *config;
	unsigned baud;
	bool rpi_hat;
	bool debug;
	char *config_device; /* owned: from --config */
	char *config_data;   /* owned: from --config */
};

static void usage(FILE *f)
{
	fputs(
	    "Usage: opendcre-emulator (--pty LINK | --device PATH) --data FILE [options]\n"
	    "       opendcre-emulator --config FILE [options]\n"
	    "\n"
	    "Plays all boards of an OpenDCRE PLC bus on a serial line.\n"
	    "\n"
	    "  --pty LINK        create a pty pair and publish its slave side as the\n"
	    "                    symbolic link LINK\n"
	    "  --device PATH     serve on an existing tty (a socat pair end or a UART)\n"
	    "  --data FILE       the data file (boards, devices, answers)\n"
	    "  --config FILE     emulator config {\"serial_device\": ..., \"emulator_data\": ...}\n"
	    "  --baud N          baud rate for --device (default 115200)\n"
	    "  --hardware TYPE   emulator (default) or rpi_hat\n"
	    "  --debug           log every packet received and sent, in hex\n"
	    "  --help            show this help and exit\n"
	    "  --version         show the version and exit\n"
	    "\n"
	    "When it is ready to serve it prints one line: ready <LINK> <tty path>\n",
	    f);
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("opendcre-emulator: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'opendcre-emulator --help'.\n", stderr);
	return EXIT_USAGE;
}

/* Returns -1 to continue, else the exit status. */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"pty", required_argument, NULL, 'p'},  {"device", required_argument, NULL, 'd'},
	    {"data", required_argument, NULL, 'D'}, {"config", required_argument, NULL, 'c'},
	    {"baud", required_argument, NULL, 'b'}, {"hardware", required_argument, NULL, 'H'},
	    {"debug", no_argument, NULL, 'g'},      {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},    {NULL, 0, NULL, 0},
	};
	int c;

	o->baud = 115200;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->pty = optarg;
			break;
		case 'd':
			o->device = optarg;
			break;
		case 'D':
			o->data = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'b': {
			char *end;
			long v;
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v <= 0 || v > INT_MAX ||
			    !emu_pty_baud_ok((unsigned)v))
				return usage_error("unsupported baud rate '%s' (9600, 19200, "
				                   "38400, 57600, 115200 or 230400)",
				                   optarg);
			o->baud = (unsigned)v;
			break;
		}
		case 'H':
			if (strcmp(optarg, "rpi_hat") == 0)
				o->rpi_hat = true;
			else if (strcmp(optarg, "emulator") == 0)
				o->rpi_hat = false;
			else
				return usage_error(
				    "unknown hardware type '%s' (emulator or rpi_hat)", optarg);
			break;
		case 'g':
			o->debug = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("opendcre-emulator %s\n", DCRE_VERSION);
			return 0;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (o->config) {
		if (o->pty || o->device || o->data)
			return usage_error("--config cannot be combined with --pty, --device or "
			                   "--data");
		return -1;
	}
	if (o->pty && o->device)
		return usage_error("use either --pty or --device, not both");
	if (!o->pty && !o->device)
		return usage_error("one of --pty LINK or --device PATH is required");
	if (!o->data)
		return usage_error("--data FILE is required");
	return -1;
}

/* The original emulator's config file (emulator.md §2). */
static int load_config(struct options *o)
{
	char *text = NULL;
	cJSON *root = NULL;
	const cJSON *dev, *data;
	FILE *f;
	long size;
	int rc = EXIT_DATA;

	f = fopen(o->config, "rbe");
	if (!f) {
		dcre_err_log("%s: cannot read the config file: %m", o->config);
		return EXIT_DATA;
	}
	if (fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		dcre_err_log("%s: cannot read the config file: %m", o->config);
		fclose(f);
		return EXIT_DATA;
	}
	text = dcre_xmalloc((size_t)size + 1);
	if (fread(text, 1, (size_t)size, f) != (size_t)size) {
		dcre_err_log("%s: cannot read the config file", o->config);
		fclose(f);
		goto out;
	}
	fclose(f);
	text[size] = '\0';
	root = cJSON_ParseWithLength(text, (size_t)size);
	if (!cJSON_IsObject(root)) {
		dcre_err_log("%s: invalid JSON (expected an object)", o->config);
		goto out;
	}
	dev = cJSON_GetObjectItemCaseSensitive(root, "serial_device");
	data = cJSON_GetObjectItemCaseSensitive(root, "emulator_data");
	if (!cJSON_IsString(dev) || !cJSON_IsString(data)) {
		dcre_err_log("%s: %s: missing key or not a string", o->config,
		             !cJSON_IsString(dev) ? "serial_device" : "emulator_data");
		goto out;
	}
	o->config_device = dcre_xstrdup(dev->valuestring);
	if (data->valuestring[0] == '/' || !strchr(o->config, '/')) {
		o->config_data = dcre_xstrdup(data->valuestring);
	} else {
		const char *slash = strrchr(o->config, '/');
		o->config_data = dcre_xasprintf("%.*s/%s", (int)(slash - o->config), o->config,
		                                data->valuestring);
	}
	o->device = o->config_device;
	o->data = o->config_data;
	rc = -1;
out:
	cJSON_Delete(root);
	free(text);
	return rc;
}

static void hexdump(const char *dir, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char line[3 * 48 + 1];

	for (size_t off = 0; off < n; off += 48) {
		size_t k = 0;
		for (size_t i = off; i < n && i < off + 48; i++) {
			line[k++] = hex[p[i] >> 4];
			line[k++] = hex[p[i] & 15];
			line[k++] = ' ';
		}
		line[k ? k - 1 : 0] = '\0';
		dcre_debug("%s %s", dir, line);
	}
}

static int serve(struct emu_bus *bus, int fd, const char *name)
{
	struct plc_reader r;
	struct plc_packet pkt;
	struct dcre_msg why;
	bool debug = dcre_log_enabled(DCRE_LOG_DEBUG);

	plc_reader_init(&r, fd);
	while (!sig_state.stop) {
		const uint8_t *out;
		size_t n;
		enum dcre_err e = plc_reader_receive(&r, -1, PLC_SEQ_ANY, &pkt, &why);

		if (sig_state.stop)
			break;
		if (e == DCRE_EPROTO) {
			dcre_warn("corrupt packet ignored: %s", why.text);
			continue;
		}
		if (e != DCRE_OK) {
			dcre_err_log("reading %s: %s", name, strerror(errno));
			return EXIT_DATA;
		}
		if (debug) {
			uint8_t frame[PLC_MAX_FRAME];
			size_t len = plc_frame_encode(&pkt, frame);
			hexdump("rx", frame, len);
		}
		if (emu_bus_handle(bus, &pkt, &out, &n) != DCRE_OK)
			continue;
		if (n == 0)
			continue;
		if (debug)
			hexdump("tx", out, n);
		if (plc_write_all(fd, out, n) != DCRE_OK) {
			if (sig_state.stop)
				break;
			dcre_err_log("writing %s: %s", name, strerror(errno));
			return EXIT_DATA;
		}
	}
	return 0;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* emulator.md §10: on a Raspberry Pi HAT the emulator wakes its own modem
 * and configures it with auto-sleep and the auto wake-up message off
 * (reg0 0x79, reg1 0x29), on the HAT's default GPIO lines. The emulator is
 * the bus's other end and takes no bus lock. Returns -1 to go on, or an
 * exit status; *modem (caller frees) holds the line request. */
static int hat_start(const struct options *o, int fd, struct plc_modem **modem)
{
	static char chip[] = "gpiochip0";
	struct dcre_plc_config cfg = {
	    .enabled = true,
	    .hardware_type = DCRE_HW_RPI_HAT,
	    .baud = o->baud,
	    .timeout = 0.25,
	    .gpio = {.chip = chip, .cmd = 27, .freq = 10, .inh = 22, .nsleep = 17, .select = 9},
	    .modem_reg0 = 0x79,
	    .modem_reg1 = 0x29,
	};
	static struct dcre_plc_config kept;
	struct dcre_msg msg;
	enum dcre_err err;
	bool woke = false;

	kept = cfg; /* the modem borrows its configuration for its lifetime */
	*modem = dcre_plc_modem_open(&kept, &err, &msg);
	if (!*modem) {
		dcre_err_log("--hardware rpi_hat: %s", msg.text);
		return EXIT_DATA;
	}
	if (plc_modem_wake(*modem, &woke, &msg) || plc_modem_configure(*modem, fd, &msg)) {
		dcre_err_log("--hardware rpi_hat: %s", msg.text);
		return EXIT_DATA;
	}
	dcre_info("PLC modem %s and configured (reg0 0x79, reg1 0x29)", woke ? "woken" : "awake");
	return -1;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	struct emu_port port;
	struct emu_data *data = NULL;
	struct emu_bus *bus = NULL;
	struct dcre_msg why;
	enum dcre_err err;
	struct plc_modem *modem = NULL;
	int rc;

	emu_pty_init(&port);
	dcre_alloc_init_cjson();
	dcre_log_open(DCRE_LOG_STDERR, DCRE_LOG_INFO, NULL, "opendcre-emulator");
	rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		goto out;
	if (o.debug)
		dcre_log_set_level(DCRE_LOG_DEBUG);
	sig_state.null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	install_signals();
	if (o.config && (rc = load_config(&o)) >= 0)
		goto out;

	rc = EXIT_DATA;
	data = emu_data_load(o.data, &why, &err);
	if (!data) {
		dcre_err_log("%s", why.text);
		goto out;
	}
	if (o.pty)
		err = emu_pty_open(&port, o.pty, &why);
	else
		err = emu_pty_open_device(&port, o.device, o.baud, &why);
	if (err) {
		dcre_err_log("%s", why.text);
		goto out;
	}
	if (o.rpi_hat && (rc = hat_start(&o, port.fd, &modem)) >= 0)
		goto out;
	rc = EXIT_DATA;
	bus = emu_bus_new(data);
	sig_state.fd = port.fd;

	dcre_info("serving %zu board(s) from %s on %s", data->nboards, o.data, port.slave);
	if (!sig_state.stop) {
		printf("ready %s %s\n", o.pty ? o.pty : o.device, port.slave);
		fflush(stdout);
	}

	rc = serve(bus, port.fd, port.slave);
	if (sig_state.stop)
		dcre_info("terminating on signal");
out:
	emu_bus_free(bus);
	dcre_plc_modem_free(modem);
	emu_pty_close(&port);
	if (sig_state.null_fd >= 0)
		close(sig_state.null_fd);
	emu_data_free(data);
	free(o.config_device);
	free(o.config_data);
	return rc;
}
