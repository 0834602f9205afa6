/* A test game that draws with printf escape codes (no curses) and keeps
 * one 32-byte allocation a frame: its status line "esc tick N heap D",
 * where D is how far this frame's block is from the last one. Nothing
 * else allocates between frames, so D is the same every frame unless
 * something foreign (the shim) allocates on the game's heap. Also draws a
 * box with the DEC line-drawing set (ESC ( 0) and a reverse-video block,
 * and a last line written with libc's syscall(SYS_write).
 * Argument: ticks to run (default: forever). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : -1;
	uintptr_t last = 0;
	long delta = 0;

	printf("\033[2J\033[H");   /* stdout's buffer is allocated here */
	fflush(stdout);
	for (long tick = 0; n < 0 || tick < n; tick++) {
		uintptr_t p = (uintptr_t)malloc(32);
		if (last)
			delta = (long)(p - last);
		last = p;
		printf("\033[1;1Hesc tick %ld heap %ld\033[K", tick, delta);
		/* A box in the DEC special graphics set: lqk x mqj. */
		fputs("\033[3;3H\033(0lqqqqk\033[4;3Hx    x\033[5;3Hmqqqqj\033(B", stdout);
		printf("\033[4;5H\033[7m%c%c\033[0m", ' ', ' ');
		putchar('\n');
		fflush(stdout);
		static const char raw[] = "\033[7;1Hby syscall";
		syscall(SYS_write, 1, raw, sizeof raw - 1);
		struct timespec ts = { 0, 16666667 };
		nanosleep(&ts, NULL);
	}
	return 0;
}
