/* SPDX-License-Identifier: MIT */
#include "rf_walk.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"
#include "rf_parse.h"

#define MAX_PAGES 64 /* of one collection */
#define MAX_DEPTH 16 /* of a ContainedBy chain */

void rf_links_free(struct rf_links *l)
{
	if (!l)
		return;
	free(l->root);
	free(l->sessions);
	free(l->system);
	free(l->chassis);
	free(l->manager);
	free(l->thermal);
	free(l->power);
	free(l->reset);
	free(l);
}

static char *dup_or_null(const char *s)
{
	return s ? dcre_xstrdup(s) : NULL;
}

/* §4 step 1: the service root, read without credentials. A connection, TLS
 * or timeout failure ends the search at once. */
static enum dcre_err find_root(struct rf_http *h, struct rf_links *l, cJSON **root,
                               struct dcre_msg *msg)
{
	static const char *const fallbacks[] = {"/redfish/v1", "/redfish/v1/"};
	cJSON *doc = NULL;
	char *path = NULL;
	enum dcre_err e;

	e = rf_http_get(h, "/redfish", RF_CRED_NONE, &doc, NULL, msg);
	if (e && rf_http_status(h) == 0)
		goto out;
	if (!e) {
		path = rf_parse_root_path(doc);
		cJSON_Delete(doc);
		doc = NULL;
		if (path) {
			e = rf_http_get(h, path, RF_CRED_NONE, root, NULL, msg);
			if (!e) {
				l->root = path;
				path = NULL;
				goto out;
			}
			if (rf_http_status(h) == 0)
				goto out;
		}
	}
	for (size_t i = 0; i < sizeof(fallbacks) / sizeof(fallbacks[0]); i++) {
		if (path && strcmp(path, fallbacks[i]) == 0)
			continue;
		e = rf_http_get(h, fallbacks[i], RF_CRED_NONE, root, NULL, msg);
		if (!e) {
			l->root = dcre_xstrdup(fallbacks[i]);
			goto out;
		}
		if (rf_http_status(h) == 0)
			goto out;
	}
	dcre_msg_append(msg, "; no service root at /redfish, /redfish/v1 or /redfish/v1/");
out:
	free(path);
	return e;
}

/* §3.3 step 2: the sessions collection, from Links.Sessions or through the
 * SessionService. NULL when there is none (Basic authentication). */
static enum dcre_err find_sessions(struct rf_http *h, const cJSON *root, char **out,
                                   struct dcre_msg *msg)
{
	const char *s = rf_parse_link(rf_parse_get(root, "Links"), "Sessions");
	const char *svc = rf_parse_link(root, "SessionService");
	cJSON *doc = NULL;
	enum dcre_err e;

	*out = NULL;
	if (s || !svc) {
		*out = dup_or_null(s);
		return DCRE_OK;
	}
	e = rf_http_get(h, svc, RF_CRED_BASIC, &doc, NULL, msg);
	if (e && rf_http_status(h) == 0)
		return e;
	*out = dup_or_null(rf_parse_link(doc, "Sessions"));
	cJSON_Delete(doc);
	return DCRE_OK;
}

/* The first member of a collection whose @odata.id contains want (NULL:
 * any), following Members@odata.nextLink. */
static enum dcre_err find_member(struct rf_http *h, const char *what, const char *path,
                                 const char *want, char **out, struct dcre_msg *msg)
{
	char *page = dcre_xstrdup(path);
	cJSON *doc = NULL;
	enum dcre_err e = DCRE_OK;
	int pages = 0;

	*out = NULL;
	while (page && !*out && pages++ < MAX_PAGES) {
		const cJSON *m;
		const char *next;

		e = rf_http_get(h, page, RF_CRED_SESSION, &doc, NULL, msg);
		if (e)
			goto out;
		cJSON_ArrayForEach(m, rf_parse_get(doc, "Members"))
		{
			const char *id = rf_parse_str(m, "@odata.id");
			if (id && id[0] && (!want || strstr(id, want))) {
				*out = dcre_xstrdup(id);
				break;
			}
		}
		next = rf_parse_str(doc, "Members@odata.nextLink");
		free(page);
		page = next && next[0] && strcmp(next, path) != 0 ? dcre_xstrdup(next) : NULL;
		cJSON_Delete(doc);
		doc = NULL;
	}
	if (!*out)
		e = dcre_msg_set(msg, DCRE_EPROTO, "%s: the %s collection %.200s has no %s",
		                 rf_http_label(h), what, path,
		                 want ? "member of that type" : "members");
out:
	cJSON_Delete(doc);
	free(page);
	return e;
}

/* §4 step 3: Thermal and Power of the chassis, or of the first chassis up
 * its Links.ContainedBy chain that has them; each chassis read once. */
static enum dcre_err find_sensors(struct rf_http *h, struct rf_links *l, struct dcre_msg *msg)
{
	char *seen[MAX_DEPTH + 1] = {0};
	int n = 0;
	char *cur = dcre_xstrdup(l->chassis);
	enum dcre_err e = DCRE_OK;

	while (cur && n <= MAX_DEPTH && (!l->thermal || !l->power)) {
		cJSON *c = NULL;
		const char *up;
		bool again = false;

		for (int i = 0; i < n; i++)
			again = again || strcmp(seen[i], cur) == 0;
		if (again)
			break;
		e = rf_http_get(h, cur, RF_CRED_SESSION, &c, NULL, msg);
		if (e)
			break;
		if (!l->thermal)
			l->thermal = dup_or_null(rf_parse_link(c, "Thermal"));
		if (!l->power)
			l->power = dup_or_null(rf_parse_link(c, "Power"));
		up = rf_parse_link(rf_parse_get(c, "Links"), "ContainedBy");
		seen[n++] = cur;
		cur = dup_or_null(up);
		cJSON_Delete(c);
	}
	for (int i = 0; i < n; i++)
		free(seen[i]);
	free(cur);
	return e;
}

enum dcre_err rf_walk_discover(struct rf_http *h, struct rf_links **out, struct dcre_msg *msg)
{
	struct rf_links *l = dcre_xcalloc(1, sizeof(*l));
	cJSON *root = NULL, *sys = NULL;
	const char *systems, *chassis, *managers, *link;
	char *any_chassis = NULL;
	enum dcre_err e;

	*out = NULL;
	e = find_root(h, l, &root, msg);
	if (e)
		goto out;
	e = find_sessions(h, root, &l->sessions, msg);
	if (e)
		goto out;
	rf_http_set_sessions(h, l->sessions);

	systems = rf_parse_link(root, "Systems");
	chassis = rf_parse_link(root, "Chassis");
	managers = rf_parse_link(root, "Managers");
	if (!systems || !chassis || !managers) {
		e = dcre_msg_set(msg, DCRE_EPROTO, "%s: service root has no %s link",
		                 rf_http_label(h),
		                 !systems   ? "Systems"
		                 : !chassis ? "Chassis"
		                            : "Managers");
		goto out;
	}
	e = find_member(h, "Systems", systems, "Systems", &l->system, msg);
	if (e)
		goto out;
	e = find_member(h, "Chassis", chassis, NULL, &any_chassis, msg);
	if (e)
		goto out;
	e = find_member(h, "Managers", managers, NULL, &l->manager, msg);
	if (e)
		goto out;
	e = rf_http_get(h, l->system, RF_CRED_SESSION, &sys, NULL, msg);
	if (e)
		goto out;
	link = rf_parse_first_link(rf_parse_get(sys, "Links"), "Chassis");
	l->chassis = dcre_xstrdup(link ? link : any_chassis);
	l->reset = rf_parse_reset_target(sys, l->system);
	e = find_sensors(h, l, msg);
	if (e)
		goto out;
	dcre_debug("%s: system %s, chassis %s, manager %s, thermal %s, power %s", rf_http_label(h),
	           l->system, l->chassis, l->manager, l->thermal ? l->thermal : "-",
	           l->power ? l->power : "-");
	*out = l;
	l = NULL;
out:
	free(any_chassis);
	cJSON_Delete(sys);
	cJSON_Delete(root);
	rf_links_free(l);
	return e;
}
