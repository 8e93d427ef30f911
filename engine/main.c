/* mbxdp: serves Modbus/TCP from user space over AF_XDP.
 *
 * Start-up order: the device model file, then the port (which attaches the
 * XDP program), then the register store, then the stack. From the moment
 * the program is attached, every exit path goes through port close, so no
 * program is left behind. */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "loader.h"
#include "port_afxdp.h"
#include "port_impair.h"
#include "devmodel.h"
#include "stats.h"
#include "worker.h"

static volatile sig_atomic_t stop;
/* The AF_XDP port while its program is attached, for the fatal-signal path. */
static struct mbx_port *volatile attached;

/* A crash (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) still takes the XDP
 * program off the interface before the process dies, so the interface does
 * not keep steering port 502 to a socket nobody reads. The detach goes
 * through netlink code that is not async-signal-safe, so alarm() bounds it:
 * if it hangs, SIGALRM's default action ends the process, and the next start
 * (or --detach) removes the leftover. */
static void on_fatal_signal(int sig)
{
	alarm(2);
	if (attached)
		mbx_afxdp_unhook(attached);
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
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = (int)SA_RESETHAND;
	sigaction(SIGSEGV, &sa, 0);
	sigaction(SIGBUS, &sa, 0);
	sigaction(SIGILL, &sa, 0);
	sigaction(SIGFPE, &sa, 0);
	sigaction(SIGABRT, &sa, 0);
}

/* The interface MTU decides our MSS (RFC 9293 3.7.1: MTU less the fixed
 * IPv4 and TCP headers). */
static int iface_mtu(const char *ifname, uint32_t *mtu)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	rc = ioctl(fd, SIOCGIFMTU, &ifr);
	close(fd);
	if (rc < 0)
		return -1;
	*mtu = (uint32_t)ifr.ifr_mtu;
	return 0;
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

int main(int argc, char **argv)
{
	struct cli_options o;
	struct devmodel dm;
	struct mbx_port *afxdp; /* the backend */
	struct mbx_port *port; /* what the worker drives: afxdp, or the impair wrapper around it */
	struct stack *stack;
	struct worker w;
	struct stack_config scfg;
	struct tsc_clock clock;
	struct mbx_port_counters port_ctr;
	struct mbx_xdp_counters xdp_ctr;
	int have_xdp_ctr;
	char err[256];
	uint32_t mtu;
	int rc;

	rc = cli_parse(argc, argv, &o);
	if (rc)
		return rc > 0 ? 0 : 2;
	if (if_nametoindex(o.iface) == 0) {
		fprintf(stderr, "mbxdp: no such interface: %s\n", o.iface);
		return 1;
	}
	if (o.detach)
		return run_detach(o.iface);
	if (iface_mtu(o.iface, &mtu) < 0 || mtu < 128) {
		fprintf(stderr, "mbxdp: cannot read a usable MTU of %s\n", o.iface);
		return 1;
	}
	if (devmodel_configure(&dm, o.config, err, sizeof(err)) < 0) {
		fprintf(stderr, "mbxdp: %s\n", err);
		return 1;
	}
	stack = aligned_alloc(64, sizeof(*stack));
	if (!stack) {
		fprintf(stderr, "mbxdp: out of memory\n");
		devmodel_free(&dm);
		return 1;
	}
	install_signals();
	if (tsc_calibrate(&clock, 50) < 0) {
		fprintf(stderr, "mbxdp: the CPU's time-stamp counter does not advance\n");
		free(stack);
		devmodel_free(&dm);
		return 1;
	}
	if (!clock.invariant)
		fprintf(stderr, "mbxdp: warning: this CPU does not report an invariant TSC; "
				"timestamps may drift with its frequency\n");

	{
		struct mbx_afxdp_config pcfg = {
			.ifname = o.iface,
			.queue = o.queue,
			.generic = o.xdp_generic,
			.ports = o.ports,
			.n_ports = o.n_ports,
		};
		afxdp = mbx_afxdp_open(&pcfg, err, sizeof(err));
	}
	port = afxdp;
	attached = afxdp;
	if (afxdp && o.impair) {
		port = mbx_impair_open(afxdp, &o.impair_cfg, err, sizeof(err));
		if (!port) {
			attached = 0;
			mbx_port_close(afxdp);
		}
	}
	if (!port) {
		fprintf(stderr, "mbxdp: %s\n", err);
		free(stack);
		devmodel_free(&dm);
		return 1;
	}
	/* The register store is made once the interface is ours: a second
	 * instance or a missing privilege is reported as such first. */
	if (devmodel_build(&dm, &dm.cfg, o.name, err, sizeof(err)) < 0) {
		fprintf(stderr, "mbxdp: %s\n", err);
		attached = 0;
		mbx_port_close(port);
		free(stack);
		devmodel_free(&dm);
		return 1;
	}

	memset(&scfg, 0, sizeof(scfg));
	scfg.max_conns = o.max_conns;
	scfg.adu_buffers = o.max_conns / 4 + 64;
	scfg.mss = (uint16_t)(mtu - 40 > 65495 ? 65495 : mtu - 40);
	scfg.ports = o.ports;
	scfg.n_ports = o.n_ports;
	memset(&w, 0, sizeof(w));
	w.port = port;
	w.stack = stack;
	w.stop = &stop;
	w.clock = &clock;
	if (getrandom(&scfg.secret, sizeof(scfg.secret), 0) != sizeof(scfg.secret) ||
	    stack_init(stack, &scfg, &dm.model, worker_frame_source(&w), worker_frame_sink(&w)) < 0) {
		fprintf(stderr, "mbxdp: cannot set up the stack for %u connections: %s\n", o.max_conns,
			strerror(errno));
		attached = 0;
		mbx_port_close(port);
		free(stack);
		devmodel_free(&dm);
		return 1;
	}

	if (o.impair) {
		const struct mbx_impair_config *ic = &o.impair_cfg;

		printf("mbxdp: impairing frames (seed %llu): rx loss %g dup %g reorder %g corrupt %g,"
		       " tx loss %g dup %g reorder %g corrupt %g\n",
		       (unsigned long long)ic->seed, ic->rx.loss, ic->rx.dup, ic->rx.reorder,
		       ic->rx.corrupt, ic->tx.loss, ic->tx.dup, ic->tx.reorder, ic->tx.corrupt);
	}
	printf("mbxdp: serving Modbus/TCP on %s queue %u port %u (%s XDP, %s)\n", o.iface, o.queue,
	       o.ports[0], o.xdp_generic ? "generic" : "native", mbx_afxdp_mode_name(afxdp));
	fflush(stdout);
	worker_run(&w);

	mbx_port_sync_counters(port);
	port_ctr = port->ctr;
	have_xdp_ctr = mbx_afxdp_xdp_counters(afxdp, &xdp_ctr) == 0;
	attached = 0;
	mbx_port_close(port); /* closes afxdp too, which detaches the XDP program first thing */
	printf("mbxdp: stopped\n");
	stats_print(stdout, stack, &port_ctr, have_xdp_ctr ? &xdp_ctr : 0);
	fflush(stdout);
	stack_free(stack);
	free(stack);
	devmodel_free(&dm);
	return 0;
}
