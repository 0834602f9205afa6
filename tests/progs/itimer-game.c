/* A test game that ticks on setitimer(ITIMER_REAL) every 20 ms: SIGALRM is
 * blocked and the main loop waits in sigsuspend; draws with raw escape
 * codes. Argument: ticks to run (default: forever). */
#include <signal.h>
#include <sys/time.h>

#include "tick-common.h"

static volatile sig_atomic_t alarms;

static void
on_alarm(int s)
{
	(void)s;
	alarms++;
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : -1;
	struct sigaction sa;
	sigset_t block, old;
	struct world w = { 0, 0, 0, 0 };

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, &old);
	tick_setup();
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	while (n < 0 || w.tick < n) {
		sigsuspend(&old);
		while (w.tick < alarms)
			tick_step(&w);
		tick_draw(&w, mono_ms());
	}
	return 0;
}
