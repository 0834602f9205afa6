/* track-game.c: bench-track's game. STATE_MIB MiB of state in .bss (so the
 * raw layout, the executable's writable segments, is that state), made
 * resident at start; each frame (a nanosleep) it writes 16 bytes in each
 * of CHURN (argv[1], a fraction) of its pages, the same pages every frame
 * (evenly spread: a game's working set), at a place that moves with the
 * frame. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef STATE_MIB
#define STATE_MIB 16
#endif
#define SIZE ((size_t)STATE_MIB << 20)
#define PAGE 4096

/* Page-aligned: each place written stays in its page (unaligned, a
 * frame's 16 bytes at an offset that moves with the frame fall in the
 * next page for part of the frames, and the working set doubles). */
uint8_t state[SIZE] __attribute__((aligned(PAGE)));
uint64_t frame_no;

int
main(int argc, char **argv)
{
	double churn = argc > 1 ? atof(argv[1]) : 0.01;
	size_t pages = SIZE / PAGE;
	size_t n = (size_t)(churn * (double)pages + 0.5);
	struct timespec tick = { 0, 16666667 };

	if (n < 1)
		n = 1;
	if (n > pages)
		n = pages;
	size_t stride = pages / n;
	for (size_t i = 0; i < SIZE; i += PAGE)
		state[i] = (uint8_t)(i / PAGE);
	for (;;) {
		frame_no++;
		for (size_t k = 0; k < n; k++) {
			uint64_t v[2] = { frame_no, k };
			memcpy(state + k * stride * PAGE + (frame_no * 64) % PAGE, v,
			    sizeof v);
		}
		nanosleep(&tick, NULL);
	}
}
