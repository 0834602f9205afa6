/* bench-reset.c: what the snapshot commands (`reset`, `save NAME`,
 * `load NAME`) cost, against what a user without them pays: relaunching
 * the game.
 *
 *  1. Reset latency. The demo game (or --game PATH) under
 *     build/libhook.so (or --lib PATH), HOOK_MODE=lockstep, with
 *     HOOK_LAYOUT=demo-game/demo-game.layout.json and HOOK_SEED=1, on a
 *     pseudo-terminal that a thread keeps drained, stepped to frame 300:
 *     `reset` round trips (the game back at frame 0), then `step 300`
 *     again, untimed; and `load` of a snapshot saved at frame 300 (after
 *     a few more frames, untimed). Baseline, in rounds alternating with
 *     those: the same game launched afresh with the same environment,
 *     timed from the launch to the first `hello` reply (where `step` can
 *     be sent; the socket is looked for every 250 us), to `hello` saying
 *     it is paused at frame 0 (the first reply may come before the first
 *     frame), and to the reply to a `step 300` after that (what `load` of
 *     a frame-300 snapshot saves). Goal: reset at least 10x faster than
 *     relaunching to the first `hello` reply.
 *  2. Save and load throughput: `save s` and `load s` round trips,
 *     alternating, and the bytes of game memory they report copying
 *     (`copied`: with write tracking, what was written since): MB/s (10^6
 *     bytes a second).
 *  3. Resources over 1000 resets (each `reset` then `step 1`): the game's
 *     open descriptors, threads, VmSize and VmRSS before and after; a
 *     report, not a test. These resets, back to back, are timed too; the
 *     ones in 1 come right after a relaunch, with colder caches.
 *
 * Figures are medians over rounds and ratios medians of round ratios: the
 * machines are shared and noisy. The exit status is 0 whether or not the
 * goal is met, and non-zero only when something failed to run. The whole
 * run takes well under a minute. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "benchlib.h"

#define GOAL 10.0		/* relaunch / reset at least */
#define MAX_ROUNDS 100
#define FRAMES 300		/* where the game is reset from */

static struct {
	const char *game;
	const char *lib;
	const char *layout;
	int rounds;
	int resets;
} opt = {
	.game = "build/demo-game",
	.lib = "build/libhook.so",
	.layout = "demo-game/demo-game.layout.json",
	.rounds = 30,
	.resets = 1000,
};

/* The game under test, kept for the whole run, and the relaunched one. */
static struct bench_game g = BENCH_GAME_INIT;
static struct bench_game fresh = BENCH_GAME_INIT;

static char libabs[PATH_MAX];
static char layout_env[PATH_MAX + 16];

/* Stop both games, remove their temporary directories. */
static void
cleanup(void)
{
	game_stop(&fresh, 0);
	game_remove_dir(&fresh);
	game_stop(&g, 1);
	game_remove_dir(&g);
}

/* Start the game under the hook with the layout and the seed; not
 * connected yet. */
static void
launch(struct bench_game *gm)
{
	char *argv[] = { (char *)opt.game, NULL };
	const char *const extra[] = { layout_env, "HOOK_SEED=1", NULL };

	game_start(gm, argv, libabs, extra);
}

/* Connect to GM's control socket as soon as it takes connections, looking
 * every 250 us (game_connect naps 10 ms, too coarse to time a launch by);
 * up to 10 s. */
static void
connect_fast(struct bench_game *gm)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	double t0 = now();

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", gm->sock);
	for (;;) {
		struct stat st;
		if (stat(gm->sock, &st) == 0 && S_ISSOCK(st.st_mode)) {
			gm->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (gm->fd < 0)
				die("socket: %s", strerror(errno));
			if (connect(gm->fd, (struct sockaddr *)&sa,
			    sizeof sa) == 0)
				return;
			close(gm->fd);
			gm->fd = -1;
		}
		if (now() - t0 > 10.0)
			game_connect(gm);	/* explains and dies */
		usleep(250);
	}
}

/* Send CMD (no newline) to GM; the reply's text after "ok ", checked. */
static const char *
request(struct bench_game *gm, const char *cmd, char *line, size_t cap)
{
	char buf[256];
	int n = snprintf(buf, sizeof buf, "%s\n", cmd);

	game_request(gm, buf, (size_t)n, line, cap);
	if (strncmp(line, "ok ", 3) != 0)
		die("%s: unexpected reply: %s", cmd, line);
	line[strcspn(line, "\n")] = '\0';
	return line + 3;
}

/* The integer after "KEY": in the JSON text J; dies without one. */
static long long
json_int(const char *j, const char *key, const char *cmd)
{
	char pat[64], *end;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(j, pat);
	if (p == NULL)
		die("%s: no \"%s\" in the reply: %s", cmd, key, j);
	long long v = strtoll(p + strlen(pat), &end, 10);
	if (end == p + strlen(pat))
		die("%s: bad \"%s\" in the reply: %s", cmd, key, j);
	return v;
}

/* `step N` to GM; checks the frame reached is WANT (unless < 0). */
static long long
step(struct bench_game *gm, int n, long long want)
{
	char cmd[32], line[256], *end;

	snprintf(cmd, sizeof cmd, "step %d", n);
	const char *r = request(gm, cmd, line, sizeof line);
	long long f = strtoll(r, &end, 10);
	if (end == r || *end != '\0')
		die("%s: unexpected reply: %s", cmd, line);
	if (want >= 0 && f != want)
		die("%s: reached frame %lld, not %lld", cmd, f, want);
	return f;
}

/* A snapshot command CMD to the game under test, timed: seconds. Checks
 * the frame it reports is FRAME and the reply says KEY (saved or loaded);
 * *BYTES gets the reply's BKEY ("bytes", the snapshot's size, or
 * "copied") when not NULL. */
static double
snap(const char *cmd, long long frame, const char *key, long long *bytes,
    const char *bkey)
{
	char line[512], what[32];

	double t0 = now();
	const char *r = request(&g, cmd, line, sizeof line);
	double t = now() - t0;
	long long f = json_int(r, "frame", cmd);
	if (f != frame)
		die("%s: back at frame %lld, not %lld", cmd, f, frame);
	snprintf(what, sizeof what, "\"%s\":true", key);
	if (strstr(r, what) == NULL)
		die("%s: unexpected reply: %s", cmd, r);
	if (bytes != NULL)
		*bytes = json_int(r, bkey, cmd);
	return t;
}

/* Whether the hello reply R says the game is stopped at frame 0. */
static int
at_start(const char *r)
{
	return json_int(r, "frame", "hello") == 0 &&
	    strstr(r, "\"state\":\"paused\"") != NULL;
}

/* One baseline round: launch the game afresh and time, from the launch,
 * its first `hello` reply (*HELLO; it may come before the first frame),
 * `hello` saying it is stopped at frame 0 (*START; asked again every
 * 250 us), and the reply to a `step 300` after that (*STEPPED). Then stop
 * it, untimed. */
static void
relaunch_round(double *hello, double *start, double *stepped)
{
	char line[1024];

	double t0 = now();
	launch(&fresh);
	connect_fast(&fresh);
	int paused = at_start(request(&fresh, "hello", line, sizeof line));
	*hello = now() - t0;
	while (!paused) {
		if (now() - t0 > 10.0)
			die("the relaunched game is not at frame 0 after 10 s: %s",
			    line);
		usleep(250);
		paused = at_start(request(&fresh, "hello", line, sizeof line));
	}
	*start = now() - t0;
	step(&fresh, FRAMES, FRAMES);
	*stepped = now() - t0;
	game_stop(&fresh, 0);
}

/* The game's resources from /proc. */
struct res {
	long fds, threads, vmsize_kb, vmrss_kb;
};

/* Entries in the directory PATH, less "." and ".."; -1 when unreadable. */
static long
count_dir(const char *path)
{
	DIR *d = opendir(path);
	long n = 0;

	if (d == NULL)
		return -1;
	for (struct dirent *e; (e = readdir(d)) != NULL; )
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* The resources of process PID; dies when /proc cannot tell. */
static struct res
resources(long pid)
{
	struct res r = { .vmsize_kb = -1, .vmrss_kb = -1 };
	char path[64], buf[256];

	snprintf(path, sizeof path, "/proc/%ld/fd", pid);
	r.fds = count_dir(path);
	snprintf(path, sizeof path, "/proc/%ld/task", pid);
	r.threads = count_dir(path);
	snprintf(path, sizeof path, "/proc/%ld/status", pid);
	FILE *f = fopen(path, "re");
	if (f == NULL || r.fds < 0 || r.threads < 0)
		die("/proc/%ld: %s", pid, strerror(errno));
	while (fgets(buf, sizeof buf, f) != NULL) {
		if (strncmp(buf, "VmSize:", 7) == 0)
			r.vmsize_kb = strtol(buf + 7, NULL, 10);
		else if (strncmp(buf, "VmRSS:", 6) == 0)
			r.vmrss_kb = strtol(buf + 6, NULL, 10);
	}
	fclose(f);
	if (r.vmsize_kb < 0 || r.vmrss_kb < 0)
		die("%s: no VmSize or VmRSS", path);
	return r;
}

/* Print the usage to F. */
static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: bench-reset [--game PATH] [--lib PATH] [--layout PATH]\n"
	    "                   [--rounds N] [--resets N]\n"
	    "\n"
	    "Measures `reset`, `save` and `load` round trips over gamehook's\n"
	    "control socket against relaunching the game, and the game's\n"
	    "resources over many resets. Run from the repo root.\n"
	    "\n"
	    "  --game PATH    the program to drive (default build/demo-game)\n"
	    "  --lib PATH     the hook library (default build/libhook.so)\n"
	    "  --layout PATH  its layout (default demo-game/demo-game.layout.json)\n"
	    "  --rounds N     timed rounds per figure, 1-%d (default 30)\n"
	    "  --resets N     resets for the resource check (default 1000)\n",
	    MAX_ROUNDS);
}

/* A whole number from V within LO..HI, or a usage error. */
static int
number(const char *v, long lo, long hi)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (end == v || *end || n < lo || n > hi)
		bench_usage_error(usage);
	return (int)n;
}

/* Parse the command line into opt. */
static void
parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = bench_option(argc, argv, &i, usage);
		if (strcmp(a, "--game") == 0)
			opt.game = v;
		else if (strcmp(a, "--lib") == 0)
			opt.lib = v;
		else if (strcmp(a, "--layout") == 0)
			opt.layout = v;
		else if (strcmp(a, "--rounds") == 0)
			opt.rounds = number(v, 1, MAX_ROUNDS);
		else if (strcmp(a, "--resets") == 0)
			opt.resets = number(v, 1, 1000000);
		else
			bench_usage_error(usage);
	}
}

int
main(int argc, char **argv)
{
	static const char *const bases[] = { "/tmp", NULL };
	char line[1024], laypath[PATH_MAX], a[32], b[32];
	int rounds;

	bench_init("bench-reset", cleanup);
	parse_args(argc, argv);
	rounds = opt.rounds;
	check_game(opt.game, opt.lib, libabs);	/* fail before the timed part */
	if (realpath(opt.layout, laypath) == NULL)
		die("layout %s: %s (pass --layout PATH)", opt.layout,
		    strerror(errno));
	snprintf(layout_env, sizeof layout_env, "HOOK_LAYOUT=%s", laypath);
	bench_header("snapshots: reset, save and load against relaunching",
	    ", HOOK_SEED=1");
	double t_run = now();

	game_make_dir(&g, bases, "gamehook-bench");
	game_make_dir(&fresh, bases, "gamehook-bench");
	g.reply_secs = fresh.reply_secs = 30.0;
	launch(&g);
	connect_fast(&g);
	long pid = (long)json_int(request(&g, "hello", line, sizeof line),
	    "pid", "hello");
	if (pid != (long)g.pid)
		die("hello: pid %ld, but the game started as %ld", pid,
		    (long)g.pid);

	/* 1. reset and load@300 against relaunching, in alternating rounds;
	 * one of each first, untimed, to warm up. */
	double reset_r[MAX_ROUNDS], load300_r[MAX_ROUNDS];
	double hello_r[MAX_ROUNDS], start_r[MAX_ROUNDS], step300_r[MAX_ROUNDS];
	double ratio_r[MAX_ROUNDS], ratio0_r[MAX_ROUNDS], ratio300_r[MAX_ROUNDS];
	long long bytes300 = 0, reset_bytes = 0;

	step(&g, FRAMES, FRAMES);
	snap("save s300", FRAMES, "saved", &bytes300, "bytes");
	for (int r = -1; r < rounds; r++) {
		double tr = snap("reset", 0, "loaded", &reset_bytes, "bytes");
		step(&g, FRAMES, FRAMES);
		step(&g, 7, FRAMES + 7);
		double tl = snap("load s300", FRAMES, "loaded", NULL, NULL);
		double th, t0f, ts;
		relaunch_round(&th, &t0f, &ts);
		if (r < 0)
			continue;
		reset_r[r] = tr;
		load300_r[r] = tl;
		hello_r[r] = th;
		start_r[r] = t0f;
		step300_r[r] = ts;
		ratio_r[r] = th / tr;
		ratio0_r[r] = t0f / tr;
		ratio300_r[r] = ts / tl;
	}
	game_remove_dir(&fresh);
	fresh.dir[0] = '\0';

	double reset = median(reset_r, (size_t)rounds);
	double ratio = median(ratio_r, (size_t)rounds);
	printf("\n1. reset and load against relaunching (median of %d rounds,"
	    " alternating)\n", rounds);
	printf("  reset (to frame 0, %s bytes)            %9.1f us\n",
	    commas((double)reset_bytes, a, sizeof a), reset * 1e6);
	printf("  relaunch to the first hello reply          %9.2f ms\n",
	    median(hello_r, (size_t)rounds) * 1e3);
	printf("  relaunch to hello saying paused, frame 0   %9.2f ms\n",
	    median(start_r, (size_t)rounds) * 1e3);
	printf("  ratio relaunch (first hello) / reset       %9.1fx"
	    "   goal >= %.0fx  %s\n", ratio, GOAL,
	    ratio >= GOAL ? "MET" : "NOT MET");
	printf("  ratio relaunch (paused at 0) / reset       %9.1fx\n",
	    median(ratio0_r, (size_t)rounds));
	printf("  load s300 (frame %d, %s bytes)        %9.1f us\n", FRAMES,
	    commas((double)bytes300, a, sizeof a),
	    median(load300_r, (size_t)rounds) * 1e6);
	printf("  relaunch + step %d                        %9.2f ms\n", FRAMES,
	    median(step300_r, (size_t)rounds) * 1e3);
	printf("  ratio (relaunch + step %d) / load s300    %9.1fx\n", FRAMES,
	    median(ratio300_r, (size_t)rounds));
	printf("  (ratios are medians of round ratios)\n");
	fflush(stdout);

	/* 2. save and load throughput, alternating; the game moves on a
	 * frame between rounds, untimed, so each save has a new state. */
	double save_r[MAX_ROUNDS], loadt_r[MAX_ROUNDS];
	double save_mbs[MAX_ROUNDS], load_mbs[MAX_ROUNDS];
	long long save_bytes = 0, load_bytes = 0;
	long long f = step(&g, 1, FRAMES + 1);

	for (int r = -1; r < rounds; r++) {
		double ts = snap("save s", f, "saved", &save_bytes, "copied");
		f = step(&g, 1, f + 1);
		double tl = snap("load s", f - 1, "loaded", &load_bytes, "copied");
		f = step(&g, 1, f);
		if (r < 0)
			continue;
		save_r[r] = ts;
		loadt_r[r] = tl;
		save_mbs[r] = (double)save_bytes / ts / 1e6;
		load_mbs[r] = (double)load_bytes / tl / 1e6;
	}
	double tsave = median(save_r, (size_t)rounds);
	double tload = median(loadt_r, (size_t)rounds);
	printf("\n2. save and load throughput (median of %d rounds)\n", rounds);
	printf("  save s   %s bytes  %10.1f us  %8.0f MB/s\n",
	    commas((double)save_bytes, a, sizeof a), tsave * 1e6,
	    median(save_mbs, (size_t)rounds));
	printf("  load s   %s bytes  %10.1f us  %8.0f MB/s\n",
	    commas((double)load_bytes, b, sizeof b), tload * 1e6,
	    median(load_mbs, (size_t)rounds));
	fflush(stdout);

	/* 3. resources over many resets. */
	struct res before = resources(pid);
	double *each = malloc((size_t)opt.resets * sizeof *each);
	if (each == NULL)
		die("out of memory");
	double t0 = now();
	for (int i = 0; i < opt.resets; i++) {
		each[i] = snap("reset", 0, "loaded", NULL, NULL);
		step(&g, 1, 1);
	}
	double t_resets = now() - t0;
	struct res after = resources(pid);
	printf("\n3. resources over %d resets (reset + step 1 each, %.2f s;"
	    " reset back to back %.1f us median)\n", opt.resets, t_resets,
	    median(each, (size_t)opt.resets) * 1e6);
	free(each);
	printf("  %-12s %12s %12s %12s\n", "", "before", "after", "change");
	printf("  %-12s %12ld %12ld %+12ld\n", "descriptors", before.fds,
	    after.fds, after.fds - before.fds);
	printf("  %-12s %12ld %12ld %+12ld\n", "threads", before.threads,
	    after.threads, after.threads - before.threads);
	printf("  %-12s %9ld kB %9ld kB %+9ld kB\n", "VmSize", before.vmsize_kb,
	    after.vmsize_kb, after.vmsize_kb - before.vmsize_kb);
	printf("  %-12s %9ld kB %9ld kB %+9ld kB\n", "VmRSS", before.vmrss_kb,
	    after.vmrss_kb, after.vmrss_kb - before.vmrss_kb);

	bench_cleanup();
	printf("\n  whole run %.1f s\n", now() - t_run);
	return 0;
}
