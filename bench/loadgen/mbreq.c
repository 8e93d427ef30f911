#include "mbreq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modbus/modbus.h"

/* Quantity limits of each function (MAP 6.1-6.12); 0: not supported. */
static uint16_t qty_max(uint8_t fc)
{
	switch (fc) {
	case 1:
	case 2:
		return 2000;
	case 3:
	case 4:
		return 125;
	case 5:
	case 6:
		return 1;
	case 15:
		return 1968;
	case 16:
		return 123;
	default:
		return 0;
	}
}

int mix_parse(const char *s, struct mix *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	const char *p = s;
	while (*p) {
		char *end;
		if (m->n == MIX_MAX) {
			snprintf(err, errlen, "more than %d entries in the mix", MIX_MAX);
			return -1;
		}
		if (strncmp(p, "fc", 2) != 0) {
			snprintf(err, errlen, "mix entry '%s' does not start with fc", p);
			return -1;
		}
		unsigned long fc = strtoul(p + 2, &end, 10);
		if (end == p + 2 || fc > 255 || qty_max((uint8_t)fc) == 0) {
			snprintf(err, errlen, "function code in '%s' is not 1-6, 15 or 16", p);
			return -1;
		}
		unsigned long qty = (fc == 5 || fc == 6) ? 1 : 10, weight = 1;
		p = end;
		if (*p == ':') {
			qty = strtoul(p + 1, &end, 10);
			if (end == p + 1) {
				snprintf(err, errlen, "no quantity after ':' in the mix");
				return -1;
			}
			p = end;
		}
		if (qty < 1 || qty > qty_max((uint8_t)fc)) {
			snprintf(err, errlen, "quantity %lu of fc%lu is outside 1..%u", qty, fc,
				 qty_max((uint8_t)fc));
			return -1;
		}
		if (*p == '=') {
			weight = strtoul(p + 1, &end, 10);
			if (end == p + 1 || weight < 1 || weight > 1000000) {
				snprintf(err, errlen, "weight in the mix must be 1..1000000");
				return -1;
			}
			p = end;
		}
		if (*p == ',')
			p++;
		else if (*p) {
			snprintf(err, errlen, "unexpected '%s' in the mix", p);
			return -1;
		}
		m->e[m->n++] = (struct mix_entry){ (uint8_t)fc, (uint16_t)qty, (uint32_t)weight };
		m->total_weight += (uint32_t)weight;
	}
	if (m->n == 0) {
		snprintf(err, errlen, "empty mix");
		return -1;
	}
	m->unit = MBREQ_UNIT_ID;
	m->check_values = 1;
	return 0;
}

static int is_write(uint8_t fc)
{
	return fc == 5 || fc == 6 || fc == 15 || fc == 16;
}

int mix_target(struct mix *m, uint8_t unit, uint16_t first, uint32_t count, int check_values,
	       char *err, size_t errlen)
{
	int reads = 0, writes = 0;

	for (uint32_t i = 0; i < m->n; i++) {
		if (count && m->e[i].qty > count) {
			snprintf(err, errlen, "fc%u:%u does not fit in %u addresses", m->e[i].fc,
				 m->e[i].qty, count);
			return -1;
		}
		writes |= is_write(m->e[i].fc);
		reads |= !is_write(m->e[i].fc);
	}
	if ((uint32_t)first + count > 0x10000) {
		snprintf(err, errlen, "addresses %u + %u go past 65535", first, count);
		return -1;
	}
	if (count && reads && writes && check_values) {
		snprintf(err, errlen, "the mix writes where it reads, so read values cannot be "
				      "checked: add --no-check");
		return -1;
	}
	m->unit = unit;
	m->first = first;
	m->count = count;
	m->check_values = (uint8_t)check_values;
	return 0;
}

void inflight_init(struct inflight *f, uint32_t depth)
{
	memset(f, 0, sizeof(*f));
	f->depth = depth;
	/* Lowest slot on top, so a pipeline of 1 always uses slot 0. */
	for (uint32_t i = 0; i < depth; i++)
		f->free_stack[i] = (uint16_t)(depth - 1 - i);
	f->n_free = depth;
}

struct pending *inflight_claim(struct inflight *f)
{
	if (f->n_free == 0)
		return NULL;
	uint16_t s = f->free_stack[--f->n_free];
	struct pending *p = &f->slot[s];
	p->tid = (uint16_t)(f->gen[s]++ << 8 | s);
	p->busy = 1;
	return p;
}

struct pending *inflight_match(struct inflight *f, uint16_t tid)
{
	uint32_t s = tid & 0xff;
	if (s >= f->depth || !f->slot[s].busy || f->slot[s].tid != tid)
		return NULL;
	return &f->slot[s];
}

void inflight_release(struct inflight *f, struct pending *p)
{
	p->busy = 0;
	f->free_stack[f->n_free++] = (uint16_t)(p - f->slot);
}

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static uint8_t *put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
	return b + 2;
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

uint32_t mbreq_build(const struct mix *m, uint64_t *rng, struct pending *p, uint8_t *out)
{
	uint32_t pick = (uint32_t)(xorshift64(rng) % m->total_weight);
	const struct mix_entry *e = m->e;
	while (pick >= e->weight) {
		pick -= e->weight;
		e++;
	}
	uint32_t base = m->count ? m->first : is_write(e->fc) ? MBREQ_WRITE_BASE : 0;
	/* The request stays in its range (or its half). */
	uint32_t span = (m->count ? m->count : 0x8000u) - e->qty + 1;
	p->fc = e->fc;
	p->addr = (uint16_t)(base + xorshift64(rng) % span);
	p->qty_or_value = e->qty;

	uint8_t *b = out + MBAP_HDR_LEN;
	*b++ = e->fc;
	b = put16(b, p->addr);
	switch (e->fc) {
	case 5: /* ON is FF00, OFF is 0000 (MAP 6.5) */
		p->qty_or_value = (xorshift64(rng) & 1) ? 0xff00 : 0x0000;
		b = put16(b, p->qty_or_value);
		break;
	case 6:
		p->qty_or_value = (uint16_t)xorshift64(rng);
		b = put16(b, p->qty_or_value);
		break;
	case 15: {
		uint8_t nbytes = (uint8_t)((e->qty + 7) / 8);
		b = put16(b, e->qty);
		*b++ = nbytes;
		for (uint8_t i = 0; i < nbytes; i++)
			*b++ = (uint8_t)xorshift64(rng);
		/* Bits past the quantity are zero (MAP 6.11). */
		if (e->qty % 8)
			b[-1] &= (uint8_t)((1u << (e->qty % 8)) - 1);
		break;
	}
	case 16:
		b = put16(b, e->qty);
		*b++ = (uint8_t)(2 * e->qty);
		for (uint16_t i = 0; i < e->qty; i++)
			b = put16(b, (uint16_t)xorshift64(rng));
		break;
	default: /* the reads: a quantity */
		b = put16(b, e->qty);
		break;
	}
	uint32_t len = (uint32_t)(b - out);
	put16(out, p->tid);
	put16(out + 2, 0); /* protocol id: Modbus */
	put16(out + 4, (uint16_t)(len - 6));
	out[6] = m->unit;
	return len;
}

/* The data of a read: entry i of every table holds i (registers) or i & 1
 * (bits), packed least significant bit first with zero padding (MAP 6.1). */
static int read_data_ok(const struct pending *p, const uint8_t *d)
{
	uint16_t q = p->qty_or_value;
	if (p->fc == 3 || p->fc == 4) {
		for (uint16_t i = 0; i < q; i++)
			if (get16(d + 2 * i) != (uint16_t)(p->addr + i))
				return 0;
		return 1;
	}
	for (uint16_t byte = 0; byte < (q + 7) / 8; byte++) {
		uint8_t want = 0;
		for (uint16_t bit = 0; bit < 8 && byte * 8 + bit < q; bit++)
			want |= (uint8_t)(((p->addr + byte * 8 + bit) & 1) << bit);
		if (d[byte] != want)
			return 0;
	}
	return 1;
}

/* The exception codes of MAP 7: 01-06, 08, 0A and 0B (a gateway's, which
 * a server also gives for a unit id it does not have). */
static int exception_code_ok(uint8_t code)
{
	return (code >= 1 && code <= 6) || code == 8 || code == 0x0a || code == 0x0b;
}

enum check_result mbreq_check(const struct mix *m, const struct pending *p, const uint8_t *adu,
			      uint32_t len)
{
	if (len < MBAP_HDR_LEN + 2 || get16(adu) != p->tid || get16(adu + 2) != 0 ||
	    adu[6] != m->unit)
		return CHECK_WRONG;
	const uint8_t *pdu = adu + MBAP_HDR_LEN;
	uint32_t pdu_len = len - MBAP_HDR_LEN;
	if (pdu[0] == (p->fc | 0x80))
		return pdu_len == 2 && exception_code_ok(pdu[1]) ? CHECK_EXCEPTION : CHECK_WRONG;
	if (pdu[0] != p->fc)
		return CHECK_WRONG;
	uint16_t q = p->qty_or_value;
	switch (p->fc) {
	case 1:
	case 2:
	case 3:
	case 4: {
		uint32_t nbytes = (p->fc <= 2) ? (q + 7u) / 8 : 2u * q;
		return pdu_len == 2 + nbytes && pdu[1] == nbytes &&
				       (!m->check_values || read_data_ok(p, pdu + 2)) ?
			       CHECK_OK :
			       CHECK_WRONG;
	}
	default: /* the writes echo address and value or quantity (MAP 6.5, 6.6, 6.11, 6.12) */
		return pdu_len == 5 && get16(pdu + 1) == p->addr && get16(pdu + 3) == q ?
			       CHECK_OK :
			       CHECK_WRONG;
	}
}

uint32_t udp_probe_build(const struct pending *p, uint8_t *out)
{
	memset(out, 0, UDP_PROBE_LEN);
	put16(out, p->tid);
	out[4] = (uint8_t)(UDP_PROBE_MAGIC >> 24);
	out[5] = (uint8_t)(UDP_PROBE_MAGIC >> 16);
	out[6] = (uint8_t)(UDP_PROBE_MAGIC >> 8);
	out[7] = (uint8_t)UDP_PROBE_MAGIC;
	return UDP_PROBE_LEN;
}

enum check_result udp_probe_check(const struct pending *p, const uint8_t *buf, uint32_t len)
{
	uint8_t want[UDP_PROBE_LEN];
	udp_probe_build(p, want);
	return len == UDP_PROBE_LEN && memcmp(buf, want, UDP_PROBE_LEN) == 0 ? CHECK_OK :
										 CHECK_WRONG;
}
