/* SPDX-License-Identifier: MIT */
/* A writer of the Prometheus text exposition format 0.0.4: families with
 * HELP and TYPE, samples with escaped label values, numbers as Prometheus
 * reads them. Families must be written whole (all samples after their
 * header), as promtool requires. */
#ifndef DCRE_PROM_H
#define DCRE_PROM_H

#include <stddef.h>

#define DCRE_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct dcre_prom {
	char *buf;
	size_t len, cap;
};

/* "# HELP name help\n# TYPE name type\n" (type: gauge, counter, histogram). */
void dcre_prom_family(struct dcre_prom *p, const char *name, const char *type, const char *help);

/* A label set being built: at most DCRE_PROM_MAX_LABELS pairs, borrowed. */
#define DCRE_PROM_MAX_LABELS 10
struct dcre_prom_labels {
	const char *name[DCRE_PROM_MAX_LABELS];
	const char *value[DCRE_PROM_MAX_LABELS];
	int n;
};
/* Add name="value" (value NULL: the pair is left out). */
void dcre_prom_label(struct dcre_prom_labels *l, const char *name, const char *value);

/* "name{labels} value\n"; labels may be NULL. NaN and infinities are
 * written as Prometheus spells them. */
void dcre_prom_sample(struct dcre_prom *p, const char *name, const struct dcre_prom_labels *l,
                      double value);

/* Append raw text (another writer's output). */
void dcre_prom_append(struct dcre_prom *p, const char *text, size_t len);

/* The text; caller frees with free(); p is left empty. */
char *dcre_prom_take(struct dcre_prom *p, size_t *len);
void dcre_prom_free(struct dcre_prom *p);

#endif
