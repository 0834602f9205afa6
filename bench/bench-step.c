/* bench-step.c: how fast a client can drive a game in lockstep over the
 * text control protocol, against what the machine can do at all.
 *
 *  1. Baseline: two processes ping-pong a "step\n" / "ok 1\n" sized
 *     message over a Unix SOCK_STREAM socketpair; round trips a second.
 *  2. The demo game (or --game PATH) under build/libhook.so (or --lib PATH)
 *     with HOOK_MODE=lockstep HOOK_SPEED=max, on a pseudo-terminal of its
 *     own that a thread keeps drained: "step\n" -> "ok <frame>\n" round
 *     trips a second over the control socket, then "step 10" (frames a
 *     second).
 *
 * Baseline and step rounds alternate; each figure is the median of its
 * rounds, and the ratio the median of the rounds' ratios; the machines are
 * shared and noisy, so the ratio step/ping-pong is what to compare. The
 * goal is a ratio of at least 0.30; the exit status is 0 whether or not
 * it is met, and non-zero only when something failed to run. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchlib.h"

#define GOAL 0.30
#define MAX_ROUNDS 32

static struct {
	const char *game;
	const char *lib;
	int pp_rounds;
	double pp_secs;
	int step_rounds;
	double step_secs;
} opt = {
	.game = "build/demo-game",
	.lib = "build/libhook.so",
	.pp_rounds = 5,
	.pp_secs = 0.5,
	.step_rounds = 7,
	.step_secs = 1.0,
};

/* The game under test, for cleanup. */
static struct bench_game g = BENCH_GAME_INIT;

/* The ping-pong peer: answer every "step\n" with "ok 1\n" until EOF. */
static void __attribute__((noreturn))
pong(int fd)
{
	char buf[5];

	while (read_full(fd, buf, sizeof buf) == 0)
		if (write_all(fd, "ok 1\n", 5) != 0)
			break;
	_exit(0);
}

/* One ping-pong round with a fresh peer process: round trips a second. */
static double
pingpong_round(double secs)
{
	int sv[2];
	char buf[5];
	long n = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		die("socketpair: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(sv[0]);
		pong(sv[1]);
	}
	close(sv[1]);
	for (int i = 0; i < 1000; i++)	/* warm up */
		if (write_all(sv[0], "step\n", 5) || read_full(sv[0], buf, 5))
			die("ping-pong peer went away");
	double t0 = now(), t;
	do {
		if (write_all(sv[0], "step\n", 5) || read_full(sv[0], buf, 5))
			die("ping-pong peer went away");
		n++;
	} while ((t = now()) - t0 < secs);
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return (double)n / (t - t0);
}

/* Start the game under the hook on a fresh 80x24 pseudo-terminal. */
static void
start_game(void)
{
	static const char *const bases[] = { "/tmp", NULL };
	char libabs[PATH_MAX];
	char *argv[] = { (char *)opt.game, NULL };

	check_game(opt.game, opt.lib, libabs);
	game_make_dir(&g, bases, "gamehook-bench");
	game_start(&g, argv, libabs, NULL);
}

/* Send a step command and check the reply is "ok <frame>"; the frame. */
static long long
step(const char *cmd, size_t len)
{
	char line[256], *end;

	game_request(&g, cmd, len, line, sizeof line);
	if (strncmp(line, "ok ", 3) != 0)
		die("%.*s: unexpected reply: %s", (int)len - 1, cmd, line);
	long long f = strtoll(line + 3, &end, 10);
	if (end == line + 3 || *end != '\n')
		die("%.*s: unexpected reply: %s", (int)len - 1, cmd, line);
	return f;
}

/* One timed round of CMD round trips: the rate a second. Checks the frame
 * advances by FRAMES a step; *LAST carries the frame between rounds. */
static double
step_round(const char *cmd, int frames, long long *last)
{
	size_t len = strlen(cmd);
	long n = 0;
	double t0 = now(), t;

	do {
		long long f = step(cmd, len);
		if (f != *last + frames)
			die("%.*s: frame went from %lld to %lld",
			    (int)len - 1, cmd, *last, f);
		*last = f;
		n++;
	} while ((t = now()) - t0 < opt.step_secs);
	return (double)n / (t - t0);
}

/* Warm CMD up; returns the frame reached. */
static long long
step_warm(const char *cmd)
{
	size_t len = strlen(cmd);
	long long last = step(cmd, len);

	for (int i = 0; i < 200; i++)
		last = step(cmd, len);
	return last;
}

/* Say goodbye, stop the game and its reader, remove the temporary dir. */
static void
cleanup(void)
{
	game_stop(&g, 1);
	game_remove_dir(&g);
}

/* Print the usage to F. */
static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: bench-step [--game PATH] [--lib PATH] [--rounds N]\n"
	    "\n"
	    "Measures lockstep `step` round trips over gamehook's control\n"
	    "socket against a plain socketpair ping-pong. Run from the repo\n"
	    "root (the defaults are build/demo-game and build/libhook.so).\n"
	    "\n"
	    "  --game PATH   the program to drive (default build/demo-game)\n"
	    "  --lib PATH    the hook library (default build/libhook.so)\n"
	    "  --rounds N    timed rounds per figure, 1-%d (default 5)\n",
	    MAX_ROUNDS);
}

/* Parse the command line into opt. */
static void
parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = bench_option(argc, argv, &i, usage);
		if (strcmp(a, "--game") == 0) {
			opt.game = v;
		} else if (strcmp(a, "--lib") == 0) {
			opt.lib = v;
		} else if (strcmp(a, "--rounds") == 0) {
			char *end;
			long n = strtol(v, &end, 10);
			if (*end || n < 1 || n > MAX_ROUNDS)
				bench_usage_error(usage);
			opt.pp_rounds = opt.step_rounds = (int)n;
		} else {
			bench_usage_error(usage);
		}
	}
}

int
main(int argc, char **argv)
{
	char a[32], b[32], libabs[PATH_MAX];

	bench_init("bench-step", cleanup);
	parse_args(argc, argv);
	check_game(opt.game, opt.lib, libabs);	/* fail before the timed part */
	bench_header("lockstep step round trips (text protocol)", "");

	/* Baseline and step rounds alternate, and the ratio is taken round by
	 * round: the shared machine's load (and where the scheduler puts a
	 * ping-pong pair) then weighs on both figures alike. */
	double pp_r[MAX_ROUNDS], s1_r[MAX_ROUNDS], ratio_r[MAX_ROUNDS];
	double s10_r[MAX_ROUNDS];
	int rounds = opt.step_rounds;

	start_game();
	game_connect(&g);
	long long last = step_warm("step\n");
	for (int r = 0; r < rounds; r++) {
		pp_r[r] = pingpong_round(opt.pp_secs);
		s1_r[r] = step_round("step\n", 1, &last);
		ratio_r[r] = pp_r[r] > 0 ? s1_r[r] / pp_r[r] : 0.0;
	}
	last = step_warm("step 10\n");
	for (int r = 0; r < rounds; r++)
		s10_r[r] = step_round("step 10\n", 10, &last);
	bench_cleanup();

	double pp = median(pp_r, (size_t)rounds);
	double s1 = median(s1_r, (size_t)rounds);
	double ratio = median(ratio_r, (size_t)rounds);
	double s10 = median(s10_r, (size_t)rounds);
	printf("  socketpair ping-pong (baseline)  %9s rt/s  (median of %d)\n",
	    commas(pp, a, sizeof a), rounds);
	printf("  step 1 over the control socket   %9s rt/s  (median of %d)\n",
	    commas(s1, a, sizeof a), rounds);
	printf("  ratio (median of round ratios)   %9.2f       goal >= %.2f  %s\n",
	    ratio, GOAL, ratio >= GOAL ? "PASS" : "BELOW");
	printf("  step 10                          %9s frames/s  (%s rt/s)\n",
	    commas(s10 * 10, a, sizeof a), commas(s10, b, sizeof b));
	return 0;
}
