/* A register store with no engine: builds a device model (the default, or
 * a --config file) into /dev/shm/NAME.regs exactly as mbxdp does at start,
 * holds it (the owner's lock included) until SIGTERM or SIGINT, or until
 * its parent (the test) dies, then removes it. The tests of mbxdp-ctl and
 * of the Python module run against it without root or a network.
 *
 *   regs_fixture NAME [CONFIG]     prints "ready" once the store is published
 */
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "devmodel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct devmodel dm;
	sigset_t block, old;
	char err[512];

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: regs_fixture NAME [CONFIG]\n");
		return 2;
	}
	if (devmodel_load(&dm, argc == 3 ? argv[2] : NULL, argv[1], err, sizeof(err)) < 0) {
		fprintf(stderr, "regs_fixture: %s\n", err);
		return 1;
	}
	/* Signals stay blocked but between the checks of stop (sigsuspend), so
	 * none is lost; a test that dies takes the store with it. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		stop = 1;
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		sigsuspend(&old);
	devmodel_free(&dm);
	return 0;
}
