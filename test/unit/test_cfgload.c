/* SPDX-License-Identifier: MIT */
/* The one JSON configuration reader (core/cfgload) and its two users: the
 * service's loader and the emulator's data file give the same message, in
 * the format "<file>: <key path>: <problem>", for the same problem. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfgload.h"
#include "config.h"
#include "registry.h"
#include "emu_data.h"
#include "tap.h"

static char dir[] = "/tmp/dcre-test-cfgload.XXXXXX";

/* Parse text as "f.json" with the problems written to a buffer; returns the
 * problem lines ("" for none; static) and the problem count in *n. */
static const char *parse(const char *text, int *n, cJSON **out)
{
	static char *buf;
	size_t len = 0;
	FILE *errs;
	struct dcre_cfg_loader ld = {.file = "f.json"};
	cJSON *root;

	free(buf);
	buf = NULL;
	errs = open_memstream(&buf, &len);
	ld.errs = errs;
	root = dcre_cfg_parse(&ld, text, strlen(text));
	fclose(errs);
	*n = ld.problems;
	if (out)
		*out = root;
	else
		cJSON_Delete(root);
	return buf;
}

static void problem(const char *text, const char *want, const char *label)
{
	int n;
	const char *got = parse(text, &n, NULL);
	if (!tap_ok(n == 1 && strcmp(got, want) == 0, "%s", label))
		tap_diag("got %d problem(s): %s want: %s", n, tap_esc(got, strlen(got)),
		         tap_esc(want, strlen(want)));
}

static void paths(void)
{
	struct dcre_cfg_path p = {.len = 0};
	size_t a, b, c;

	tap_is_str(dcre_cfg_path_text(&p), "(top level)", "empty path: (top level)");
	a = dcre_cfg_path_key(&p, "boards");
	b = dcre_cfg_path_index(&p, 1);
	c = dcre_cfg_path_key(&p, "devices");
	dcre_cfg_path_index(&p, 0);
	tap_is_str(dcre_cfg_path_text(&p), "boards[1].devices[0]", "keys and indexes: a.b[2].c");
	dcre_cfg_path_pop(&p, c);
	tap_is_str(dcre_cfg_path_text(&p), "boards[1]", "pop back to a push");
	dcre_cfg_path_pop(&p, b);
	dcre_cfg_path_pop(&p, a);
	tap_is_int(p.len, 0, "pop back to empty");
	dcre_cfg_path_index(&p, 3);
	tap_is_str(dcre_cfg_path_text(&p), "[3]", "index at the top");
}

static void syntax(void)
{
	int n;
	cJSON *root;
	const char *got;

	problem("{\"a\": 1,\n  \"b\" 2}", "f.json: line 2, column 7: invalid JSON\n",
	        "syntax error: line and column");
	problem("{\"a\": 1} x",
	        "f.json: line 1, column 10: invalid JSON: text after the document\n",
	        "text after the document");
	problem("[1]", "f.json: (top level): must be a JSON object, got a list\n",
	        "top level not an object");
	problem("{\"a\": {\"b\": [{\"c\": 1, \"c\": 2}]}}",
	        "f.json: a.b[0]: key \"c\" appears twice\n", "duplicate key, named at its object");
	problem("{\"a\": [1, 007]}", "f.json: a[1]: invalid number literal '007'\n",
	        "number literal outside the JSON grammar");
	problem("{\"a\": 1.}", "f.json: a: invalid number literal '1.'\n",
	        "a literal cJSON accepts but JSON does not");

	got = parse("{\"x\": 1, \"x\": 2, \"y\": {\"z\": 0, \"z\": 0}}", &n, &root);
	tap_ok(n == 2 && root && strstr(got, "f.json: (top level): key \"x\" appears twice\n") &&
	           strstr(got, "f.json: y: key \"z\" appears twice\n"),
	       "every duplicate is reported, the tree is still returned");
	cJSON_Delete(root);

	got = parse("{\"s\": \"1 \\\"2\\\" 3\", \"big\": 12345678901234567890, \"f\": 1.50,"
	            " \"e\": -2E3, \"l\": [0, -7]}",
	            &n, &root);
	tap_ok(n == 0 && root && got && got[0] == '\0', "valid document: no problem");
	const cJSON *big = cJSON_GetObjectItem(root, "big");
	const cJSON *f = cJSON_GetObjectItem(root, "f");
	const cJSON *e = cJSON_GetObjectItem(root, "e");
	const cJSON *l1 = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "l"), 1);
	tap_ok(dcre_cfg_is_int_literal(big) &&
	           strcmp(big->valuestring, "12345678901234567890") == 0,
	       "an integer literal keeps its exact digits (strings skipped)");
	tap_ok(!dcre_cfg_is_int_literal(f) && strcmp(f->valuestring, "1.50") == 0,
	       "a fraction keeps its text and is not an integer literal");
	tap_ok(!dcre_cfg_is_int_literal(e), "an exponent is not an integer literal");
	tap_ok(dcre_cfg_is_int_literal(l1) && strcmp(l1->valuestring, "-7") == 0,
	       "negative integer literal in a list");
	tap_ok(!dcre_cfg_is_int_literal(cJSON_GetObjectItem(root, "s")),
	       "a string is not a number");
	cJSON_Delete(root);
}

static void first_and_getters(void)
{
	struct dcre_msg first = {{0}};
	struct dcre_cfg_loader ld = {.file = "g.json", .first = &first};
	const char *text = "{\"b\": \"yes\", \"i\": 2.5, \"n\": \"x\", \"s\": 3, \"e\": \"\", "
	                   "\"k\": 1}";
	static const char *const allowed[] = {"b", "i", "n", "s", "e", NULL};
	cJSON *root = dcre_cfg_parse(&ld, text, strlen(text));
	bool b = false;
	int i = 0;
	double num = 0;
	char *s = NULL;

	tap_ok(root && ld.problems == 0, "getters document parses");
	dcre_cfg_get_bool(&ld, root, "sec", "b", &b);
	dcre_cfg_get_int(&ld, root, "sec", "i", 0, 10, &i);
	dcre_cfg_get_number(&ld, root, "sec", "n", 0, 10, false, &num);
	dcre_cfg_get_string(&ld, root, "sec", "s", &s);
	dcre_cfg_get_string(&ld, root, "sec", "e", &s);
	tap_is_int(ld.problems, 5, "five typed getter problems");
	tap_is_str(first.text, "g.json: sec.b: must be true or false, got a string",
	           "the first problem goes to ->first, with the type found");
	ld.first = NULL;
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *errs = open_memstream(&buf, &len);
		ld.errs = errs;
		dcre_cfg_get_int(&ld, root, "sec", "i", 0, 10, &i);
		dcre_cfg_get_number(&ld, root, "sec", "n", 0, 10, false, &num);
		dcre_cfg_get_string(&ld, root, "sec", "s", &s);
		dcre_cfg_get_string(&ld, root, "sec", "e", &s);
		dcre_cfg_check_keys(&ld, root, "", allowed);
		ld.lenient = true;
		dcre_cfg_check_keys(&ld, root, "", allowed);
		fclose(errs);
		tap_is_str(buf,
		           "g.json: sec.i: must be an integer, got 2.5\n"
		           "g.json: sec.n: must be a number, got a string\n"
		           "g.json: sec.s: must be a non-empty string, got a number\n"
		           "g.json: sec.e: must be a non-empty string, got \"\"\n"
		           "g.json: (top level): unknown key \"k\"\n",
		           "getter and unknown-key wording; a lenient unknown key is no problem");
		free(buf);
	}
	tap_is_int(ld.problems, 10, "lenient unknown key: a warning, not counted");
	tap_ok(!b && i == 0 && num == 0 && s == NULL, "a refused value leaves *out alone");
	cJSON_Delete(root);
}

/* The same problem in the service's configuration and in the emulator's data
 * file gives the same problem text. */
static void same_messages(void)
{
	char path[200], *buf = NULL;
	size_t len = 0;
	struct dcre_msg why = {{0}};
	enum dcre_err err = DCRE_OK;
	struct emu_data *d;
	FILE *f, *errs;
	const char *svc_dup = "{\"plc\": {\"baud\": 9600, \"baud\": 9600}}";
	const char *emu_dup = "{\"boards\": [{\"board_id\": \"1\", \"board_id\": \"2\","
	                      " \"firmware_version\": \"v\"}]}";

	snprintf(path, sizeof(path), "%s/opendcre.json", dir);
	f = fopen(path, "w");
	fputs(svc_dup, f);
	fclose(f);
	errs = open_memstream(&buf, &len);
	struct dcre_config *cfg = dcre_config_load(path, &dcre_registry, NULL, errs);
	fclose(errs);
	const char *svc = buf ? strstr(buf, ": plc: ") : NULL;
	tap_ok(!cfg && svc && strncmp(svc, ": plc: key \"baud\" appears twice\n", 33) == 0,
	       "service: duplicate key message");
	dcre_config_free(cfg);

	d = emu_data_parse(emu_dup, strlen(emu_dup), "d.json", &why, &err);
	tap_ok(!d && err == DCRE_ECONFIG, "emulator: duplicate key refused");
	tap_is_str(why.text, "d.json: boards[0]: key \"board_id\" appears twice",
	           "emulator: the same wording, file and key path");

	d = emu_data_parse("{\"boards\": []} x", 16, "d.json", &why, &err);
	tap_is_str(why.text, "d.json: line 1, column 16: invalid JSON: text after the document",
	           "emulator: syntax errors as the service gives them");
	d = emu_data_parse("[]", 2, "d.json", &why, &err);
	tap_is_str(why.text, "d.json: (top level): must be a JSON object, got a list",
	           "emulator: top level named as the service names it");
	free(buf);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		printf("1..0 # SKIP mkdtemp failed\n");
		return 0;
	}
	paths();
	syntax();
	first_and_getters();
	same_messages();
	char path[200];
	snprintf(path, sizeof(path), "%s/opendcre.json", dir);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
