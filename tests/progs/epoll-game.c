/* A test game that waits for its keys and its 30 ms timerfd tick with
 * epoll: standard input and the timerfd in one epoll set (blocking reads of
 * the keys once epoll says they are there). Argument: ticks. */
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>

#include "tick-common.h"

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : -1;
	struct world w = { 0, 0, 0, 0 };

	tick_setup();
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) & ~O_NONBLOCK);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct itimerspec its = { { 0, 30000000 }, { 0, 30000000 } };
	timerfd_settime(tfd, 0, &its, NULL);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event e = { .events = EPOLLIN, .data.fd = 0 };
	epoll_ctl(ep, EPOLL_CTL_ADD, 0, &e);
	e.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &e);
	while (n < 0 || w.tick < n) {
		struct epoll_event got[4];
		int k = epoll_wait(ep, got, 4, -1);
		for (int i = 0; i < k; i++) {
			if (got[i].data.fd == 0) {
				char c;
				if (read(0, &c, 1) == 1) {
					w.keys++;
					w.x += c == 'l' ? 1 : c == 'h' ? -1 : 0;
				}
			} else {
				uint64_t exp;
				if (read(tfd, &exp, sizeof exp) == sizeof exp) {
					w.tick++;
					w.score += rand() % 10;
				}
			}
		}
		tick_draw(&w, mono_ms());
	}
	return 0;
}
