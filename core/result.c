/* SPDX-License-Identifier: MIT */
#include "result.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

void dcre_num_set_double(struct dcre_num *n, double v)
{
	dcre_num_clear(n);
	n->kind = DCRE_NUM_DOUBLE;
	n->value = v;
}

void dcre_num_set_digits(struct dcre_num *n, const char *digits)
{
	dcre_num_clear(n);
	n->kind = DCRE_NUM_DIGITS;
	n->digits = dcre_xstrdup(digits);
	n->value = strtod(digits, NULL);
}

void dcre_num_clear(struct dcre_num *n)
{
	free(n->digits);
	memset(n, 0, sizeof(*n));
}

void dcre_strv_add(struct dcre_strv *s, const char *text)
{
	s->v = dcre_xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = dcre_xstrdup(text);
}

void dcre_strv_clear(struct dcre_strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

void dcre_reading_clear(struct dcre_reading *r)
{
	for (int i = 0; i < DCRE_Q_COUNT; i++)
		dcre_num_clear(&r->q[i]);
	dcre_strv_clear(&r->states);
	free(r->health);
	free(r->name);
	memset(r, 0, sizeof(*r));
}

void dcre_power_clear(struct dcre_power *p)
{
	dcre_num_clear(&p->input_power);
	dcre_num_clear(&p->input_voltage);
	dcre_num_clear(&p->output_current);
	dcre_num_clear(&p->battery_charge);
	free(p->pmbus_raw);
	free(p->battery_status);
	memset(p, 0, sizeof(*p));
}

void dcre_boot_clear(struct dcre_boot *b)
{
	free(b->other);
	memset(b, 0, sizeof(*b));
}

void dcre_led_clear(struct dcre_led *l)
{
	free(l->state);
	memset(l, 0, sizeof(*l));
}

void dcre_asset_clear(struct dcre_asset *a)
{
	for (int i = 0; i < DCRE_ASSET_COUNT; i++)
		free(a->field[i]);
	free(a->address);
	memset(a, 0, sizeof(*a));
}

void dcre_chamber_led_clear(struct dcre_chamber_led *c)
{
	free(c->state);
	free(c->color);
	free(c->blink);
	memset(c, 0, sizeof(*c));
}

void dcre_host_info_clear(struct dcre_host_info *h)
{
	dcre_strv_clear(&h->hostnames);
	dcre_strv_clear(&h->ip_addresses);
}

void dcre_board_add_device(struct dcre_board *b, uint16_t id, const char *type, const char *info)
{
	b->devices = dcre_xrealloc(b->devices, (b->n_devices + 1) * sizeof(*b->devices));
	b->devices[b->n_devices++] =
	    (struct dcre_device){.id = id, .type = type, .info = info ? dcre_xstrdup(info) : NULL};
}

void dcre_board_clear(struct dcre_board *b)
{
	for (size_t i = 0; i < b->n_devices; i++)
		free(b->devices[i].info);
	free(b->devices);
	dcre_strv_clear(&b->hostnames);
	dcre_strv_clear(&b->ip_addresses);
	memset(b, 0, sizeof(*b));
	b->index = -1;
}

struct dcre_board *dcre_boards_add(struct dcre_boards *bs, uint32_t id, const char *backend)
{
	bs->v = dcre_xrealloc(bs->v, (bs->n + 1) * sizeof(*bs->v));
	struct dcre_board *b = &bs->v[bs->n++];
	memset(b, 0, sizeof(*b));
	b->id = id;
	b->backend = backend;
	b->index = -1;
	return b;
}

void dcre_boards_clear(struct dcre_boards *bs)
{
	for (size_t i = 0; i < bs->n; i++)
		dcre_board_clear(&bs->v[i]);
	free(bs->v);
	bs->v = NULL;
	bs->n = 0;
}

static struct dcre_fact *fact_add(struct dcre_facts *f, const char *name, enum dcre_fact_kind k)
{
	f->v = dcre_xrealloc(f->v, (f->n + 1) * sizeof(*f->v));
	struct dcre_fact *x = &f->v[f->n++];
	memset(x, 0, sizeof(*x));
	x->name = name;
	x->kind = k;
	return x;
}

void dcre_facts_add_bool(struct dcre_facts *f, const char *name, bool v)
{
	fact_add(f, name, DCRE_FACT_BOOL)->b = v;
}

void dcre_facts_add_int(struct dcre_facts *f, const char *name, long long v)
{
	fact_add(f, name, DCRE_FACT_INT)->i = v;
}

void dcre_facts_add_double(struct dcre_facts *f, const char *name, double v)
{
	fact_add(f, name, DCRE_FACT_DOUBLE)->d = v;
}

void dcre_facts_add_text(struct dcre_facts *f, const char *name, const char *v)
{
	fact_add(f, name, DCRE_FACT_TEXT)->text = dcre_xstrdup(v);
}

void dcre_facts_clear(struct dcre_facts *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].text);
	free(f->v);
	f->v = NULL;
	f->n = 0;
}
