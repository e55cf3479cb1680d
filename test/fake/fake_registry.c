/* SPDX-License-Identifier: MIT */
#include "fake_registry.h"

#include <string.h>

#include "fake_transport.h"
#include "registry.h"

/* The fake transport's line: the one line "Adding a transport" asks for.
 * A bus transport (its servers are one-board backends of their own ids,
 * fake_transport.h), with no meson option: it exists only in the tests. */
static const struct dcre_transport fake_line = {
    "fake", "Fake bus", NULL, NULL, {FAKE_BUS_LO, FAKE_BUS_HI, 0, false}, &dcre_fake_hooks};

#define FAKE_MAX_LINES 16

static struct dcre_transport lines[FAKE_MAX_LINES];
static struct dcre_registry reg;

const struct dcre_registry *fake_registry(void)
{
	if (reg.v)
		return &reg;
	size_t n = 0;
	/* the fake bus's ids lie inside the PLC bus's space: its line comes
	 * first so that board resolution reaches it (the first bus line whose
	 * space holds an id serves it) */
	lines[n++] = fake_line;
	for (size_t i = 0; i < dcre_registry.n && n < FAKE_MAX_LINES; i++)
		lines[n++] = dcre_registry.v[i];
	reg.v = lines;
	reg.n = n;
	return &reg;
}
