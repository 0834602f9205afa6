/* A test game whose logic runs in its SIGALRM handler (setitimer, 40 ms),
 * and the handler sleeps (usleep 5 ms) in the middle of its tick, so a
 * frame boundary falls inside a signal handler; the main loop only waits
 * in pause(). Argument: ticks. */
#include <signal.h>
#include <sys/time.h>

#include "tick-common.h"

static struct world w;
static volatile sig_atomic_t in_handler;

static void
on_alarm(int s)
{
	(void)s;
	in_handler = 1;
	tick_step(&w);
	usleep(5000);   /* a wait, inside the handler */
	w.score += 1;
	in_handler = 0;
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : -1;
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	tick_setup();
	struct itimerval it = { { 0, 40000 }, { 0, 40000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	while (n < 0 || w.tick < n) {
		pause();
		tick_draw(&w, mono_ms());
	}
	return 0;
}
