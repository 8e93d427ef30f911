/* Torn-read check of the live register store: masters write 100-register
 * blocks with FC 10 over Modbus/TCP through mbxdp while readers - some over
 * Modbus/TCP (FC 03), some straight from the shared-memory store through
 * libmbxdp_regs - read the whole block again and again. Every write puts
 * one generation in every register of the block, so a read that holds two
 * values saw part of one write and part of another: a torn read.
 *
 * A generation is the writer's id in the top 4 bits and its count in the
 * low 12. Masters are ids 1..M; a rig writing through mbxdp-ctl at the same
 * time uses id 15 (test_torn.sh), so the readers also check writes that
 * came from outside mbxdp.
 *
 *   torn_check HOST NAME [--seconds S] [--masters M] [--modbus-readers R]
 *              [--store-readers R] [--address A] [--rig-id ID]
 *
 * Exits 0 when no read was torn, every reader read, every master wrote,
 * and the readers saw the generations of every master and of the rig; 1
 * otherwise, with FAIL lines. Exception 06 (Server Device Busy, MAP 7: the
 * client retries) is allowed, counted and reported: mbxdp answers it when
 * an outside writer held the unit past its bounded wait (a rig preempted
 * mid-write on a loaded host).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <modbus.h>

#include "mbx_regs.h"

#define BLOCK 100
#define MAX_THREADS 32
#define WRITERS 16 /* ids 0..15 in a generation's top 4 bits */
#define MAX_REPORTED 5

struct opts {
	const char *host, *name;
	double seconds;
	int masters, modbus_readers, store_readers;
	int addr, rig_id;
};

struct worker {
	pthread_t th;
	const struct opts *o;
	const struct mbx_regs *store;
	struct mbx_regs_unit *unit;
	int id; /* masters: writer id */
	uint64_t ops, busy, errors, torn;
	uint64_t seen[WRITERS]; /* reads whose generation came from writer i */
};

static atomic_int stop;
static atomic_int reported;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *fmt, const char *who, long a, long b)
{
	if (atomic_fetch_add(&reported, 1) < MAX_REPORTED) {
		printf("FAIL: %s: ", who);
		printf(fmt, a, b);
		printf("\n");
	}
}

static modbus_t *connect_to(const struct opts *o, const char *who)
{
	modbus_t *ctx = modbus_new_tcp(o->host, MODBUS_TCP_DEFAULT_PORT);

	if (!ctx || modbus_set_slave(ctx, 1) < 0 || modbus_connect(ctx) < 0) {
		printf("FAIL: %s: cannot connect to %s: %s\n", who, o->host, modbus_strerror(errno));
		if (ctx)
			modbus_free(ctx);
		return NULL;
	}
	/* Generous: the host is shared and loaded; a late answer is not a
	 * torn one, but a lost one is an error. */
	modbus_set_response_timeout(ctx, 5, 0);
	return ctx;
}

/* One block as read: consistent when every register holds the first's
 * value. Counts the writer whose generation it is. */
static void check_block(struct worker *w, const uint16_t *v, const char *who)
{
	for (int i = 1; i < BLOCK; i++) {
		if (v[i] != v[0]) {
			w->torn++;
			report("register %ld differs from register 0 (torn read)", who, i, 0);
			return;
		}
	}
	w->seen[v[0] >> 12]++;
}

/* A master (FC 10 writes of its generations) or a reader (FC 03), on a
 * connection of its own. */
static void modbus_loop(struct worker *w, int is_master)
{
	uint16_t v[BLOCK];
	char who[32];
	modbus_t *ctx;

	snprintf(who, sizeof(who), "%s %d", is_master ? "master" : "modbus reader", w->id);
	ctx = connect_to(w->o, who);
	if (!ctx) {
		w->errors++;
		return;
	}
	for (uint32_t gen = 1; !atomic_load(&stop); gen++) {
		int rc;

		if (is_master) {
			for (int i = 0; i < BLOCK; i++)
				v[i] = (uint16_t)(w->id << 12 | (gen & 0xFFF));
			rc = modbus_write_registers(ctx, w->o->addr, BLOCK, v);
		} else {
			rc = modbus_read_registers(ctx, w->o->addr, BLOCK, v);
		}
		if (rc == BLOCK) {
			w->ops++;
			if (!is_master)
				check_block(w, v, who);
		} else if (errno == EMBXSBUSY) {
			w->busy++;
		} else {
			w->errors++;
			report(is_master ? "FC 10 failed (%ld errors so far)" :
					   "FC 03 failed (%ld errors so far)",
			       who, (long)w->errors, 0);
			if (w->errors > 10)
				break;
		}
	}
	modbus_close(ctx);
	modbus_free(ctx);
}

static void *master(void *arg)
{
	modbus_loop(arg, 1);
	return NULL;
}

static void *modbus_reader(void *arg)
{
	modbus_loop(arg, 0);
	return NULL;
}

static void *store_reader(void *arg)
{
	struct worker *w = arg;
	uint16_t v[BLOCK];
	char who[32];

	snprintf(who, sizeof(who), "store reader %d", w->id);
	while (!atomic_load(&stop)) {
		int rc = mbx_regs_read(w->store, w->unit, MBX_REGS_HOLDING_REGISTERS,
				       (uint32_t)w->o->addr, BLOCK, v);

		if (rc == 0) {
			w->ops++;
			check_block(w, v, who);
		} else {
			w->errors++;
			report("mbx_regs_read returned %ld", who, rc, 0);
			break;
		}
		/* The host is shared: give way to anything else runnable. The
		 * readers still overlap every write; they need not starve
		 * mbxdp's worker or the rig to do so. */
		sched_yield();
	}
	return NULL;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .seconds = 60, .masters = 2, .modbus_readers = 4, .store_readers = 4,
			    .addr = 1000, .rig_id = 15 };
	if (argc < 3)
		return -1;
	o->host = argv[1];
	o->name = argv[2];
	for (int i = 3; i + 1 < argc; i += 2) {
		const char *k = argv[i];
		double v = strtod(argv[i + 1], NULL);

		if (!strcmp(k, "--seconds"))
			o->seconds = v;
		else if (!strcmp(k, "--masters"))
			o->masters = (int)v;
		else if (!strcmp(k, "--modbus-readers"))
			o->modbus_readers = (int)v;
		else if (!strcmp(k, "--store-readers"))
			o->store_readers = (int)v;
		else if (!strcmp(k, "--address"))
			o->addr = (int)v;
		else if (!strcmp(k, "--rig-id"))
			o->rig_id = (int)v;
		else
			return -1;
	}
	if ((argc - 3) % 2 || o->seconds <= 0 || o->masters < 1 || o->masters >= WRITERS ||
	    o->masters >= o->rig_id || o->rig_id >= WRITERS || o->modbus_readers < 0 ||
	    o->store_readers < 0 || o->modbus_readers + o->store_readers < 1 ||
	    o->masters + o->modbus_readers + o->store_readers > MAX_THREADS || o->addr < 0 ||
	    o->addr > 65536 - BLOCK)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static struct worker w[MAX_THREADS];
	struct mbx_regs store;
	struct mbx_regs_unit *unit;
	uint64_t seen[WRITERS] = { 0 }, reads = 0, torn = 0, errors = 0, busy = 0, writes = 0;
	struct opts o;
	char err[512];
	int n = 0, failed = 0;

	if (parse_args(argc, argv, &o) < 0) {
		fprintf(stderr, "usage: torn_check HOST NAME [--seconds S] [--masters M (1-14)] "
				"[--modbus-readers R] [--store-readers R] [--address A] [--rig-id ID]\n");
		return 2;
	}
	if (mbx_regs_open(&store, o.name, err, sizeof(err)) < 0 ||
	    !(unit = mbx_regs_select(&store, NULL, 1, err, sizeof(err)))) {
		printf("FAIL: store %s: %s\n", o.name, err);
		return 1;
	}
	/* Generation 0 of writer 0 first: the default image (register i holds
	 * i) is not one generation. */
	{
		uint16_t zero[BLOCK] = { 0 };

		if (mbx_regs_write(&store, unit, MBX_REGS_HOLDING_REGISTERS, (uint32_t)o.addr, BLOCK,
				   zero) < 0) {
			printf("FAIL: cannot write the block's first generation at %d\n", o.addr);
			return 1;
		}
	}
	for (int i = 0; i < o.masters; i++, n++)
		w[n] = (struct worker){ .o = &o, .id = i + 1 };
	for (int i = 0; i < o.modbus_readers + o.store_readers; i++, n++)
		w[n] = (struct worker){ .o = &o, .store = &store, .unit = unit, .id = i };
	for (int i = 0; i < n; i++) {
		void *(*fn)(void *) = i < o.masters				   ? master :
				      i < o.masters + o.modbus_readers ? modbus_reader :
									 store_reader;

		if (pthread_create(&w[i].th, NULL, fn, &w[i]) != 0) {
			printf("FAIL: cannot start thread %d\n", i);
			atomic_store(&stop, 1);
			n = i;
			failed = 1;
			break;
		}
	}
	for (double end = now_s() + o.seconds; !failed && now_s() < end;) {
		struct timespec nap = { 0, 100000000 };
		nanosleep(&nap, NULL);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < n; i++)
		pthread_join(w[i].th, NULL);

	for (int i = 0; i < n; i++) {
		int is_master = i < o.masters;
		const char *kind = is_master			    ? "master" :
				   i < o.masters + o.modbus_readers ? "modbus reader" :
								      "store reader";

		printf("%-13s %2d: %8llu %s, %llu busy, %llu errors, %llu torn\n", kind,
		       w[i].id, (unsigned long long)w[i].ops, is_master ? "blocks written" : "blocks read",
		       (unsigned long long)w[i].busy, (unsigned long long)w[i].errors,
		       (unsigned long long)w[i].torn);
		if (w[i].ops == 0) {
			printf("FAIL: %s %d did nothing\n", kind, w[i].id);
			failed = 1;
		}
		errors += w[i].errors;
		busy += w[i].busy;
		torn += w[i].torn;
		if (is_master) {
			writes += w[i].ops;
		} else {
			reads += w[i].ops;
			for (int k = 0; k < WRITERS; k++)
				seen[k] += w[i].seen[k];
		}
	}
	printf("total: %llu blocks written by the masters, %llu read, %llu torn, %llu errors, "
	       "%llu busy\n",
	       (unsigned long long)writes, (unsigned long long)reads, (unsigned long long)torn,
	       (unsigned long long)errors, (unsigned long long)busy);
	printf("reads by writer of the generation:");
	for (int k = 0; k < WRITERS; k++)
		if (seen[k])
			printf(" %d:%llu", k, (unsigned long long)seen[k]);
	printf("\n");
	/* Not vacuous: the readers must have seen every master's writes and
	 * the rig's, so reads and writes did overlap. */
	for (int k = 1; k <= o.masters; k++)
		if (!seen[k]) {
			printf("FAIL: no read saw a block of master %d\n", k);
			failed = 1;
		}
	if (!seen[o.rig_id]) {
		printf("FAIL: no read saw a block the rig wrote (writer id %d)\n", o.rig_id);
		failed = 1;
	}
	if (torn || errors)
		failed = 1;
	mbx_regs_close(&store);
	return failed;
}
