/* The load generator's requests and the checks of their answers, with no
 * I/O: the function mix, request ADUs (MAP 6.1-6.12 for FC 01-06, 0F, 10),
 * the table of requests in flight on one connection, matched by transaction
 * id (MIG 3.1.3), and the check of each response: well-formed for its
 * request and, unless told otherwise, carrying the values of the default
 * device image the servers under test hold (regs/model/default_image.h: register i
 * holds i, coil and discrete input i hold i & 1).
 *
 * By default reads go to addresses below MBREQ_WRITE_BASE and writes at or
 * above it, so what the bench writes never changes what it reads. A range
 * of addresses (mix_target) puts every request inside it, for a server
 * with a smaller register map. */
#ifndef MBB_MBREQ_H
#define MBB_MBREQ_H

#include <stddef.h>
#include <stdint.h>

#define MBREQ_WRITE_BASE 0x8000u
#define MBREQ_UNIT_ID 1 /* the default */
#define MIX_MAX 16
/* A transaction id is the slot's index in its low byte and the slot's use
 * count in its high byte, so matching a response is one lookup. */
#define PIPELINE_MAX 256

/* The UDP echo probe: magic, transaction id, padding to 16 bytes. */
#define UDP_PROBE_LEN 16
#define UDP_PROBE_MAGIC 0x4d425855u /* "MBXU" */

struct mix_entry {
	uint8_t fc;
	uint16_t qty; /* 1 for FC 05 and 06 */
	uint32_t weight;
};

struct mix {
	struct mix_entry e[MIX_MAX];
	uint32_t n;
	uint32_t total_weight;
	/* Where the requests go and what their answers are checked for. */
	uint8_t unit;
	uint8_t check_values; /* 0: only that each answer is well-formed */
	uint16_t first; /* count 0: the default halves */
	uint32_t count;
};

/* Parses "fc3:10=80,fc16:10=20": function code (decimal), quantity (default
 * 10, 1 for FC 5 and 6), weight (default 1). Returns 0, or -1 with a reason
 * in err when a code is not one of 1-6, 15, 16 or a quantity is outside the
 * function's limits (MAP 6). */
int mix_parse(const char *s, struct mix *m, char *err, size_t errlen);

/* Sets where the mix's requests go: unit id, and the addresses first ..
 * first + count - 1 (count 0: the default halves, reads below
 * MBREQ_WRITE_BASE, writes above), and whether read values are checked.
 * Returns 0, or -1 with a reason in err: a range past 65535 or narrower
 * than a quantity of the mix, or reads checked in a range the mix's writes
 * change. */
int mix_target(struct mix *m, uint8_t unit, uint16_t first, uint32_t count, int check_values,
	       char *err, size_t errlen);

/* A request in flight: what its answer must carry. */
struct pending {
	uint64_t intended_ns; /* when it should have been sent: latency starts here */
	uint64_t sent_ns; /* when it was sent: the timeout starts here */
	uint16_t tid;
	uint8_t fc; /* 0: a UDP echo probe */
	uint8_t busy;
	uint16_t addr;
	uint16_t qty_or_value; /* the quantity, or the value FC 05 and 06 write */
};

struct inflight {
	struct pending slot[PIPELINE_MAX];
	uint8_t gen[PIPELINE_MAX];
	uint16_t free_stack[PIPELINE_MAX];
	uint32_t n_free;
	uint32_t depth;
};

void inflight_init(struct inflight *f, uint32_t depth);
/* A free slot with a fresh transaction id in ->tid, marked busy; NULL when
 * depth requests are in flight. */
struct pending *inflight_claim(struct inflight *f);
/* The busy slot whose transaction id the response ADU (or UDP probe) carries,
 * or NULL: an id that is not in flight is a wrong response. */
struct pending *inflight_match(struct inflight *f, uint16_t tid);
void inflight_release(struct inflight *f, struct pending *p);
static inline uint32_t inflight_busy(const struct inflight *f)
{
	return f->depth - f->n_free;
}

/* Picks a function from the mix and addresses with *rng (xorshift64, never
 * 0), fills p (its tid already set), writes the request ADU into out
 * (MB_ADU_MAX bytes) and returns its length. */
uint32_t mbreq_build(const struct mix *m, uint64_t *rng, struct pending *p, uint8_t *out);

enum check_result {
	CHECK_OK,
	CHECK_EXCEPTION, /* a well-formed exception response (MAP 7) */
	CHECK_WRONG, /* anything else: wrong header, code, length or values */
};

/* Checks a response ADU (framed by mbap_adu_len) against its request, as
 * the mix it came from says. */
enum check_result mbreq_check(const struct mix *m, const struct pending *p, const uint8_t *adu,
			      uint32_t len);

/* The transaction id of a response ADU or UDP probe. */
static inline uint16_t mbreq_tid(const uint8_t *buf)
{
	return (uint16_t)(buf[0] << 8 | buf[1]);
}

/* UDP echo probes carry only their transaction id. */
uint32_t udp_probe_build(const struct pending *p, uint8_t *out);
enum check_result udp_probe_check(const struct pending *p, const uint8_t *buf, uint32_t len);

#endif
