/* A test game that ticks on a POSIX timer (timer_create, SIGEV_SIGNAL with
 * SIGRTMIN, every 30 ms) taken with sigwaitinfo; each tick adds the
 * signal's overrun count. With --thread the timer notifies by SIGEV_THREAD
 * instead, and the main loop waits (poll) for the notification thread's byte
 * on a pipe.
 * Arguments: [--thread] [ticks]. */
#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include "tick-common.h"

static int pipefd[2];

static void
notified(union sigval v)
{
	char c = (char)v.sival_int;
	(void)!write(pipefd[1], &c, 1);
}

int
main(int argc, char **argv)
{
	long n = -1;
	int thread = 0;
	struct world w = { 0, 0, 0, 0 };
	timer_t t;
	struct sigevent ev;
	sigset_t set;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--thread") == 0)
			thread = 1;
		else
			n = atol(argv[i]);
	}
	tick_setup();
	memset(&ev, 0, sizeof ev);
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (thread) {
		if (pipe(pipefd) != 0)
			return 1;
		ev.sigev_notify = SIGEV_THREAD;
		ev.sigev_notify_function = notified;
		ev.sigev_value.sival_int = 'x';
	} else {
		ev.sigev_notify = SIGEV_SIGNAL;
		ev.sigev_signo = SIGRTMIN;
		ev.sigev_value.sival_int = 42;
	}
	if (timer_create(CLOCK_MONOTONIC, &ev, &t) != 0)
		return 1;
	struct itimerspec its = { { 0, 30000000 }, { 0, 30000000 } };
	timer_settime(t, 0, &its, NULL);
	while (n < 0 || w.tick < n) {
		if (thread) {
			char c;
			struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
			if (poll(&p, 1, -1) != 1 || read(pipefd[0], &c, 1) != 1 ||
			    c != 'x')
				continue;
		} else {
			siginfo_t info;
			if (sigwaitinfo(&set, &info) != SIGRTMIN ||
			    info.si_value.sival_int != 42)
				continue;
			w.score += 1000 * info.si_overrun;
		}
		tick_step(&w);
		tick_draw(&w, mono_ms());
	}
	timer_delete(t);
	return 0;
}
