/* The timer bench's game: frames of 1/60 s (nanosleep), and N timerfds
 * (periods 4, 5, 6, 7 ms...) read without waiting each frame, so a frame
 * costs the timer machinery's expiries (about 3 a timer) and nothing else
 * much. Argument: N (0 to 16). */
#include <stdint.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0, fd[16];
	uint64_t total = 0;

	if (n < 0 || n > 16)
		return 2;
	for (int i = 0; i < n; i++) {
		fd[i] = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		long ns = (4 + i) * 1000000L;
		struct itimerspec s = { { 0, ns }, { 0, ns } };
		timerfd_settime(fd[i], 0, &s, NULL);
	}
	struct timespec frame = { 0, 1000000000 / 60 };
	for (;;) {
		nanosleep(&frame, NULL);
		for (int i = 0; i < n; i++) {
			uint64_t e;
			if (read(fd[i], &e, sizeof e) == sizeof e)
				total += e;
		}
	}
	return (int)(total & 1);
}
