/* bench-client.c: the C client as bench-step drives a game ("step\n" ->
 * "ok <frame>\n" over the text protocol), serving timed rounds on demand
 * so a bench in another language can alternate with it closely.
 *
 * It starts the game (default build/demo-game) under the hook library
 * (default build/libhook.so) in lockstep at speed max on a pty of its own,
 * then reads lines from standard input: "round SECS" runs step round
 * trips for SECS seconds and prints the rate a second on a line of its
 * own; end of input stops the game. bench/bench-env.py uses it. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"

/* The game under test, for cleanup. */
static struct bench_game g = BENCH_GAME_INIT;

/* Stop the game and remove its directory. */
static void
cleanup(void)
{
	game_stop(&g, 1);
	game_remove_dir(&g);
}

/* One "step" round trip; checks the reply is "ok <frame>". */
static void
step(void)
{
	char line[256];

	game_request(&g, "step\n", 5, line, sizeof line);
	if (strncmp(line, "ok ", 3) != 0)
		die("step: unexpected reply: %s", line);
}

int
main(int argc, char **argv)
{
	static const char *const bases[] = { "/tmp", NULL };
	const char *game = argc > 1 ? argv[1] : "build/demo-game";
	const char *lib = argc > 2 ? argv[2] : "build/libhook.so";
	char libabs[PATH_MAX], line[64];
	char *gargv[] = { (char *)game, NULL };

	bench_init("bench-client", cleanup);
	check_game(game, lib, libabs);
	game_make_dir(&g, bases, "gamehook-bench");
	game_start(&g, gargv, libabs, NULL);
	game_connect(&g);
	for (int i = 0; i < 200; i++)	/* warm up */
		step();
	while (fgets(line, sizeof line, stdin) != NULL) {
		double secs = 0;
		if (sscanf(line, "round %lf", &secs) != 1 || secs <= 0 ||
		    secs > 60)
			die("usage: 'round SECS' lines, not %s", line);
		long n = 0;
		double t0 = now(), t;
		do {
			step();
			n++;
		} while ((t = now()) - t0 < secs);
		printf("%.1f\n", (double)n / (t - t0));
		fflush(stdout);
	}
	bench_cleanup();
	return 0;
}
