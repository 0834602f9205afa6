/* A test game that ticks on a timerfd (every 25 ms) waited for with poll()
 * beside standard input, or with epoll given --epoll; reads the expiration
 * count and steps the world that many ticks. Arguments: [--epoll] [ticks]. */
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>

#include "tick-common.h"

int
main(int argc, char **argv)
{
	long n = -1;
	int use_epoll = 0, ep = -1;
	struct world w = { 0, 0, 0, 0 };

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--epoll") == 0)
			use_epoll = 1;
		else
			n = atol(argv[i]);
	}
	tick_setup();
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	struct itimerspec its = { { 0, 25000000 }, { 0, 25000000 } };
	timerfd_settime(tfd, 0, &its, NULL);
	if (use_epoll) {
		ep = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event e = { .events = EPOLLIN, .data.fd = tfd };
		epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &e);
	}
	while (n < 0 || w.tick < n) {
		int ready;
		if (use_epoll) {
			struct epoll_event e;
			ready = epoll_wait(ep, &e, 1, 1000) == 1;
		} else {
			struct pollfd p[2] = { { .fd = tfd, .events = POLLIN },
			    { .fd = 0, .events = POLLIN } };
			poll(p, 2, 1000);
			ready = (p[0].revents & POLLIN) != 0;
		}
		if (!ready)
			continue;
		uint64_t exp = 0;
		if (read(tfd, &exp, sizeof exp) != sizeof exp)
			continue;
		while (exp-- > 0 && (n < 0 || w.tick < n))
			tick_step(&w);
		tick_draw(&w, mono_ms());
	}
	return 0;
}
