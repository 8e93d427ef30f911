/* mbxdp: serves Modbus/TCP from user space over AF_XDP or DPDK.
 *
 * Start-up order: the device model file, then the backend (which attaches
 * the XDP program or starts the DPDK port), then the register store, then
 * the workers' stacks; then it gives up what it no longer needs (privs.h,
 * sandbox.h) before the first frame is served. From the
 * moment the backend is open, every exit path goes through backend_close,
 * so no XDP program is left behind. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "capture.h"
#include "cli.h"
#include "loader.h"
#include "devmodel.h"
#include "keys.h"
#include "privs.h"
#include "sandbox.h"
#include "stats.h"
#include "telemetry.h"
#include "workers.h"
#include "xdp_publish.h"

static volatile sig_atomic_t stop;
/* The backend while it may have an XDP program attached, for the
 * fatal-signal path. */
static struct backend *volatile attached;

/* A crash (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) still takes the XDP
 * program off the interface before the process dies, so the interface does
 * not keep steering port 502 to a socket nobody reads. The detach goes
 * through netlink code that is not async-signal-safe, so alarm() bounds it:
 * if it hangs, SIGALRM's default action ends the process, and the next start
 * (or --detach) removes the leftover. SIGSYS is the system call filter's:
 * its one line names the call. */
static void on_fatal_signal(int sig, siginfo_t *info, void *ctx)
{
	(void)ctx;
	if (sig == SIGSYS)
		sandbox_report(info->si_syscall);
	alarm(2);
	if (attached)
		backend_unhook(attached);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_stop_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, 0);
	sigaction(SIGTERM, &sa, 0);
	sigaction(SIGHUP, &sa, 0);
	sa.sa_sigaction = on_fatal_signal;
	sa.sa_flags = (int)(SA_RESETHAND | SA_SIGINFO);
	sigaction(SIGSEGV, &sa, 0);
	sigaction(SIGBUS, &sa, 0);
	sigaction(SIGILL, &sa, 0);
	sigaction(SIGFPE, &sa, 0);
	sigaction(SIGABRT, &sa, 0);
	sigaction(SIGSYS, &sa, 0);
}

static int run_detach(const char *ifname)
{
	char err[256];
	int rc = mbx_xdp_detach_iface(ifname, err, sizeof(err));

	if (rc < 0) {
		fprintf(stderr, "mbxdp: %s\n", err);
		return 1;
	}
	printf(rc ? "mbxdp: removed the mbxdp XDP program from %s\n"
		  : "mbxdp: no mbxdp XDP program on %s\n", ifname);
	return 0;
}

static void print_banner(const struct cli_options *o, const struct backend *b,
			 const struct workers *ws)
{
	const struct mbx_impair_config *ic = &o->impair_cfg;

	if (o->impair)
		printf("mbxdp: impairing frames (seed %llu): rx loss %g dup %g reorder %g corrupt %g,"
		       " tx loss %g dup %g reorder %g corrupt %g\n",
		       (unsigned long long)ic->seed, ic->rx.loss, ic->rx.dup, ic->rx.reorder,
		       ic->rx.corrupt, ic->tx.loss, ic->tx.dup, ic->tx.reorder, ic->tx.corrupt);
	if (b->xdp_addrs)
		printf("mbxdp: steering %u addresses (XDP answers ARP for %u)\n", b->xdp_addrs,
		       b->xdp_arp_addrs);
	if (b->xdp_addrs6)
		printf("mbxdp: steering %u IPv6 addresses (XDP answers Neighbor Solicitations for "
		       "%u)\n",
		       b->xdp_addrs6, b->xdp_nd_addrs6);
	if (o->n_allow || o->n_allow6)
		printf("mbxdp: admitting sources in %u prefixes; XDP drops the others\n",
		       o->n_allow + o->n_allow6);
	printf("mbxdp: serving Modbus/TCP on %s port %u, worker%s on CPU", b->desc, o->ports[0],
	       b->n_queues == 1 ? "" : "s");
	for (uint32_t i = 0; i < b->n_queues; i++)
		printf("%s%d", i ? "," : " ", workers_cpu(ws, i));
	printf(", %s idle; live counters: mbxdp-ctl --name %s stats\n",
	       o->idle_adaptive ? "adaptive" : "busy", o->name);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct cli_options o;
	struct devmodel dm;
	struct backend backend;
	struct stack_config scfg;
	struct tsc_clock clock;
	struct telemetry tel;
	struct workers *ws;
	struct xdp_publish xp;
	struct capture *capture = NULL;
	struct stats_totals totals;
	struct mbx_xdp_counters xdp_ctr;
	struct privs privs;
	cpu_set_t cpus;
	int have_xdp_ctr, rc;
	char err[256];

	rc = cli_parse(argc, argv, &o);
	if (rc)
		return rc > 0 ? 0 : 2;
	if (o.detach)
		return run_detach(o.iface);
	/* While the user database can still be read. */
	if (privs_resolve(&privs, o.user, o.group, o.writers, err, sizeof(err)) < 0) {
		fprintf(stderr, "mbxdp: %s\n", err);
		return 1;
	}
	/* Before EAL, which pins the thread that initialises it. */
	if (o.cpus_given)
		cpus = o.cpus;
	else if (sched_getaffinity(0, sizeof(cpus), &cpus) < 0) {
		fprintf(stderr, "mbxdp: cannot read the CPUs it may run on: %s\n", strerror(errno));
		return 1;
	}
	if (devmodel_configure(&dm, o.config, err, sizeof(err)) < 0) {
		fprintf(stderr, "mbxdp: %s\n", err);
		return 1;
	}
	dm.files = &privs.regs;
	install_signals();
	if (tsc_calibrate(&clock, 50) < 0) {
		fprintf(stderr, "mbxdp: the CPU's time-stamp counter does not advance\n");
		devmodel_free(&dm);
		return 1;
	}
	if (!clock.invariant)
		fprintf(stderr, "mbxdp: warning: this CPU does not report an invariant TSC; "
				"timestamps may drift with its frequency\n");

	if (backend_open(&backend, &o, &dm, err, sizeof(err)) < 0) {
		fprintf(stderr, "mbxdp: %s\n", err);
		devmodel_free(&dm);
		return 1;
	}
	attached = &backend;
	/* After the backend: its errors (privileges, a queue in use) come first. */
	if (telemetry_open(&tel, o.name, backend.n_queues, &clock, &privs.stats, err,
			   sizeof(err)) < 0) {
		fprintf(stderr, "mbxdp: %s\n", err);
		attached = NULL;
		backend_close(&backend);
		devmodel_free(&dm);
		return 1;
	}
	snprintf(tel.shm->desc, sizeof(tel.shm->desc), "%s", backend.desc);
	snprintf(tel.shm->idle_mode, sizeof(tel.shm->idle_mode), "%s",
		 o.idle_adaptive ? "adaptive" : "busy");
	/* The register store after the backend and the stats file: a missing
	 * privilege, or a second engine of the same --name, is named as such
	 * first. */
	if (devmodel_build(&dm, &dm.cfg, o.name, err, sizeof(err)) < 0) {
		fprintf(stderr, "mbxdp: %s\n", err);
		attached = NULL;
		backend_close(&backend);
		telemetry_close(&tel);
		devmodel_free(&dm);
		return 1;
	}
	if (o.capture) {
		struct timespec wall;

		clock_gettime(CLOCK_REALTIME, &wall);
		capture = capture_open(o.capture, &privs.capture, backend.desc, backend.n_queues, o.capture_ring,
				       (uint64_t)wall.tv_sec * 1000000000u + (uint64_t)wall.tv_nsec -
					       tsc_now_ns(&clock),
				       err, sizeof(err));
		if (!capture) {
			fprintf(stderr, "mbxdp: %s\n", err);
			attached = 0;
			backend_close(&backend);
			telemetry_close(&tel);
			devmodel_free(&dm);
			return 1;
		}
	}

	memset(&scfg, 0, sizeof(scfg));
	scfg.max_conns = o.max_conns;
	scfg.rto_min_ms = o.rto_min_ms;
	scfg.max_retries = o.max_retries;
	scfg.mss = (uint16_t)(backend.mtu - 40 > 65495 ? 65495 : backend.mtu - 40);
	scfg.ports = o.ports;
	scfg.n_ports = o.n_ports;
	scfg.policy = o.policy;
	scfg.addrs = backend.stack_addrs;
	scfg.n_addrs = backend.n_stack_addrs;
	scfg.addrs6 = (const uint8_t(*)[16])backend.stack_addrs6;
	scfg.n_addrs6 = backend.n_stack_addrs6;
	memcpy(scfg.mac, backend.mac, sizeof(scfg.mac));
	ws = NULL;
	if (keys_init(o.cookie_secret_file, scfg.secret, err, sizeof(err)) == 0)
		ws = workers_create(&(struct workers_config){ .backend = &backend,
							      .stack = &scfg,
							      .model = &dm.model,
							      .clock = &clock,
							      .stop = &stop,
							      .cpus = &cpus,
							      .share_cpus = o.share_cpus,
							      .telemetry = &tel,
							      .idle_adaptive = o.idle_adaptive,
							      .capture = capture },
				    err, sizeof(err));
	if (!ws) {
		fprintf(stderr, "mbxdp: %s\n", err);
		if (capture)
			capture_close(capture, stderr);
		attached = 0;
		backend_close(&backend);
		telemetry_close(&tel);
		devmodel_free(&dm);
		return 1;
	}

	/* Everything is set up: from here on the engine serves as --user with
	 * CAP_NET_ADMIN alone, under its system call filter. */
	if (privs_drop(&privs, err, sizeof(err)) < 0 || sandbox_enter(err, sizeof(err)) < 0) {
		fprintf(stderr, "mbxdp: %s\n", err);
		if (capture)
			capture_close(capture, stderr);
		attached = 0;
		backend_close(&backend);
		workers_free(ws);
		telemetry_close(&tel);
		devmodel_free(&dm);
		return 1;
	}
	rc = xdp_publish_start(&xp, &backend, &tel, &stop, err, sizeof(err));
	if (rc == 0) {
		print_banner(&o, &backend, ws);
		rc = workers_run(ws, err, sizeof(err));
	}
	stop = 1; /* the workers have ended: so does the XDP counter thread */
	xdp_publish_join(&xp);

	memset(&totals, 0, sizeof(totals));
	workers_totals(ws, &totals);
	have_xdp_ctr = backend_xdp_counters(&backend, &xdp_ctr) == 0;
	attached = 0;
	backend_close(&backend); /* the XDP program comes off first thing */
	if (rc < 0) {
		fprintf(stderr, "mbxdp: %s\n", err);
	} else {
		printf("mbxdp: stopped\n");
		stats_print(stdout, &totals, have_xdp_ctr ? &xdp_ctr : 0);
		workers_print_balance(ws, stdout);
	}
	/* After the workers: the writer drains what they left in the rings. */
	if (capture && capture_close(capture, rc < 0 ? stderr : stdout) < 0)
		fprintf(stderr, "mbxdp: writing the capture failed (capture_write_errors)\n");
	fflush(stdout);
	workers_free(ws);
	telemetry_close(&tel);
	devmodel_free(&dm);
	return rc < 0 ? 1 : 0;
}
