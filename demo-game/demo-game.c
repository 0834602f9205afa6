/* demo-game.c: entry point of the demo game, a real-time lane battle for
 * the terminal: the command line, the curses terminal, the fixed-rate main
 * loop (30 ticks a second, paced with clock_gettime and one nanosleep a
 * tick) and the regen thread that ticks on its own 100 ms timer. */
#include "game.h"

#include <curses.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define NSEC 1000000000LL
#define RESYNC_TICKS 4      /* further behind than this: drop the backlog */
#define REGEN_PERIOD_NS 100000000L

static atomic_int regen_running;

/* Keys and what they do; the main loop looks every key up here. */
static const struct keymap {
	int key;
	enum action act;
} keymap[] = {
	{ KEY_LEFT, ACT_LEFT }, { 'h', ACT_LEFT }, { 'a', ACT_LEFT },
	{ 'H', ACT_LEFT }, { 'A', ACT_LEFT },
	{ KEY_RIGHT, ACT_RIGHT }, { 'l', ACT_RIGHT }, { 'd', ACT_RIGHT },
	{ 'L', ACT_RIGHT }, { 'D', ACT_RIGHT },
	{ ' ', ACT_ATTACK },
	{ 'u', ACT_UPGRADE }, { 'U', ACT_UPGRADE },
	{ 'p', ACT_PAUSE }, { 'P', ACT_PAUSE },
	{ 'r', ACT_RESTART }, { 'R', ACT_RESTART },
	{ 'q', ACT_QUIT }, { 'Q', ACT_QUIT },
};

/* Print how to run and play the game. */
static void usage(FILE *f)
{
	fprintf(f,
	    "usage: demo-game [--seed N] [--help]\n"
	    "\n"
	    "A hero (@) holds a lane against waves of creeps (c, brutes C)\n"
	    "and bolting towers (T). Bring every tower down to clear a stage.\n"
	    "\n"
	    "  --seed N   seed rand() with N (default: the time and getrandom())\n"
	    "  --help     show this help\n"
	    "\n"
	    "keys: left/right, h/l or a/d move; space attacks; u upgrades\n"
	    "      (costs gold); p pauses; r restarts after a fall or goes on\n"
	    "      after a cleared stage; q quits.\n");
}

/* Parse a seed: a decimal number that fits 32 bits. */
static int parse_seed(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' ||
	    v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* The regen thread: bump regen_ticks every 100 ms until told to stop. */
static void *regen_main(void *arg)
{
	const struct timespec period = { 0, REGEN_PERIOD_NS };

	(void)arg;
	while (atomic_load(&regen_running)) {
		nanosleep(&period, NULL);
		if (!atomic_load(&regen_running))
			break;
		atomic_fetch_add(&regen_ticks, 1);
	}
	return NULL;
}

/* Start the regen thread with every signal blocked, so they reach main. */
static int regen_start(pthread_t *thr)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	atomic_store(&regen_running, 1);
	err = pthread_create(thr, NULL, regen_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

/* Nanoseconds on the monotonic clock. */
static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

/* The action a key stands for. */
static enum action key_action(int ch)
{
	for (size_t i = 0; i < sizeof keymap / sizeof keymap[0]; i++)
		if (keymap[i].key == ch)
			return keymap[i].act;
	return ACT_NONE;
}

/* Run the game until 'q': keys, regen, one tick, draw, sleep to the next
 * deadline. Deadlines are base + n/30 s, so the rate does not drift. */
static void main_loop(void)
{
	int64_t base = now_ns(), n = 0;

	for (;;) {
		struct timespec ts;
		int64_t rem;
		int ch;

		while ((ch = wgetch(stdscr)) != ERR) {
			enum action act = key_action(ch);
			if (act == ACT_QUIT)
				return;
			game_action(act);
		}
		game_regen(atomic_load(&regen_ticks));
		game_tick();
		draw_frame();

		n++;
		rem = base + n * NSEC / TICK_HZ - now_ns();
		if (rem < -RESYNC_TICKS * NSEC / TICK_HZ) {
			base = now_ns(); /* too far behind: resync, no burst */
			n = 0;
		}
		if (rem < 0)
			rem = 0;
		ts.tv_sec = (time_t)(rem / NSEC);
		ts.tv_nsec = (long)(rem % NSEC);
		nanosleep(&ts, NULL); /* once a tick, even for 0 */
	}
}

/* Parse the command line, set up the terminal and play until 'q'. */
int main(int argc, char **argv)
{
	uint32_t seed = 0;
	int have_seed = 0;
	SCREEN *scr;
	pthread_t regen_thr;
	int err;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--seed") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "demo-game: --seed needs a "
				    "number\n");
				return 2;
			}
			have_seed = 1;
			if (parse_seed(argv[++i], &seed) < 0) {
				fprintf(stderr, "demo-game: bad seed '%s': "
				    "want a number 0..%u\n", argv[i], UINT32_MAX);
				return 2;
			}
		} else if (strncmp(argv[i], "--seed=", 7) == 0) {
			have_seed = 1;
			if (parse_seed(argv[i] + 7, &seed) < 0) {
				fprintf(stderr, "demo-game: bad seed '%s': "
				    "want a number 0..%u\n", argv[i] + 7, UINT32_MAX);
				return 2;
			}
		} else {
			fprintf(stderr, "demo-game: unknown argument '%s'\n",
			    argv[i]);
			usage(stderr);
			return 2;
		}
	}

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "demo-game: needs a terminal: standard input "
		    "and output must be a tty\n");
		return 1;
	}
	setlocale(LC_ALL, "");
	scr = newterm(NULL, stdout, stdin);
	if (scr == NULL) {
		const char *term = getenv("TERM");
		if (term == NULL || *term == '\0')
			fprintf(stderr, "demo-game: TERM is not set; cannot "
			    "drive the terminal\n");
		else
			fprintf(stderr, "demo-game: unknown terminal type "
			    "'%s'\n", term);
		return 1;
	}
	set_term(scr);
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	draw_init();

	if (!have_seed) {
		/* The clock and the kernel's entropy, as games do. */
		uint32_t r = 0;
		if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
			r = (uint32_t)getpid();
		seed = (uint32_t)time(NULL) ^ r;
	}
	srand(seed);
	game.seed = seed;
	game_new();

	err = regen_start(&regen_thr);
	if (err != 0) {
		endwin();
		delscreen(scr);
		fprintf(stderr, "demo-game: cannot start regen thread: %s\n",
		    strerror(err));
		return 1;
	}

	main_loop();

	atomic_store(&regen_running, 0);
	pthread_join(regen_thr, NULL);
	endwin();
	delscreen(scr);
	msg_clear();
	return 0;
}
