/* bench-track.c: what write tracking (HOOK_TRACK) buys capture and
 * snapshots, and what it costs the game's frames.
 *
 * The game is bench/track-game.c built for 16 MiB, 256 MiB and 1 GiB of
 * state (build/bench-track-game-N), the state in its .bss so that the raw
 * layout is that state, writing 0.1%, 1% and 10% of its pages a frame (the
 * same pages every frame: a working set). For each size and churn the
 * game runs twice under build/libhook.so in lockstep, with HOOK_TRACK=wp
 * and with HOOK_TRACK=off (today's full path: every byte compared, every
 * byte copied), and in each run:
 *
 *  1. Snapshots: rounds of `step 30` then a timed `reset`; `step 30` then
 *     a timed `save s` (over the name); `step 30` then a timed `load s`;
 *     `step 30` then a timed `save nI` (a new name each round, none
 *     dropped: with tracking a child of @start's image; without, a full
 *     copy, dropped after); then rounds of `step 30`, a timed `save mI`
 *     and `drop mI` (with tracking only: the next save writes into the
 *     dropped child's image, the spare).
 *  1b. Scan narrowing: `scan start i32` (no value: every word a
 *     candidate), then rounds of `step 1` and a timed `scan unchanged`
 *     (the candidates stay a bitmap over the whole state: with tracking
 *     only the written pages are read again, without every page is).
 *  2. Capture: recording (trace start, to a file under /tmp, no keyframe
 *     after the first), `step 1` at a time: the shim's own capture time a
 *     frame (info's trace capture_ns, real time on the game's frame
 *     thread), the first WARM frames left out (the keyframe, and with
 *     tracking the one protection of the pages the keyframe's packing
 *     wrote, whose faults the game pays in the next frame).
 *  3. The game's frame time (info's track figures, real time from one
 *     boundary's end to the next's start): per frame while recording
 *     (median), and the mean over the snapshot rounds: with tracking on,
 *     the first write to a protected page costs the game a fault the
 *     kernel resolves.
 *
 * Baselines in the same run: a memcmp of two buffers of the state's size
 * in this process (4 KiB blocks, a block that differs compared again to
 * its end: every byte looked at), and relaunching the game until it is
 * stopped at frame 0 (with its state resident), per size.
 *
 * Goals (issue 12), at 256 MiB and 1% churn: capture at most 0.2x the
 * memcmp; reset within 1 ms and at least 100x faster than a relaunch.
 * Figures are medians over rounds. The exit status is 0 whether or not the
 * goals are met, non-zero only when something failed to run. */
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

#define MIB ((size_t)1 << 20)
#define MAX_ROUNDS 100
#define GAP 30                  /* frames between snapshot operations */
#define BLOCK 4096
#define WARM 6                  /* recorded frames before the timed ones */

static struct {
	const char *lib;
	const char *game;           /* prefix: PREFIX-N for N MiB */
	int rounds;
	int frames;
	int sizes[3];
	int nsizes;
	double churns[3];
	int nchurns;
} opt = {
	.lib = "build/libhook.so",
	.game = "build/bench-track-game",
	.rounds = 7,
	.frames = 12,
	.sizes = { 16, 256, 1024 },
	.nsizes = 3,
	.churns = { 0.001, 0.01, 0.1 },
	.nchurns = 3,
};

static struct bench_game g = BENCH_GAME_INIT;
static char libabs[PATH_MAX];
static char trace_path[160];
static char layout_path[PATH_MAX];
static volatile int sink;

static void
cleanup(void)
{
	game_stop(&g, 0);
	if (trace_path[0])
		unlink(trace_path);
	if (layout_path[0])
		unlink(layout_path);
	game_remove_dir(&g);
}

/* Send CMD (no newline); the reply's text after "ok ", checked. */
static const char *
request(const char *cmd, char *line, size_t cap)
{
	char buf[256];
	int n = snprintf(buf, sizeof buf, "%s\n", cmd);

	game_request(&g, buf, (size_t)n, line, cap);
	if (strncmp(line, "ok", 2) != 0)
		die("%s: unexpected reply: %s", cmd, line);
	line[strcspn(line, "\n")] = '\0';
	return line[2] ? line + 3 : line + 2;
}

/* The number after "KEY": in J (the first one); dies without one. */
static double
json_num(const char *j, const char *key, const char *what)
{
	char pat[64], *end;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(j, pat);
	if (p == NULL)
		die("%s: no \"%s\" in: %.300s", what, key, j);
	double v = strtod(p + strlen(pat), &end);
	if (end == p + strlen(pat))
		die("%s: bad \"%s\" in: %.300s", what, key, j);
	return v;
}

static void
step(int n)
{
	char cmd[32], line[256];
	snprintf(cmd, sizeof cmd, "step %d", n);
	request(cmd, line, sizeof line);
}

/* A timed command: seconds. */
static double
timed(const char *cmd)
{
	char line[512];
	double t0 = now();
	request(cmd, line, sizeof line);
	return now() - t0;
}

/* Baseline: compare A and B over every 4 KiB block, a block that differs
 * again in 64-byte pieces to its end. */
static int
memcmp_blocks(const uint8_t *a, const uint8_t *b, size_t n)
{
	int acc = 0;
	for (size_t i = 0; i < n; i += BLOCK) {
		if (memcmp(a + i, b + i, BLOCK) == 0)
			continue;
		for (size_t j = i; j < i + BLOCK; j += 64)
			acc += memcmp(a + j, b + j, 64) != 0;
	}
	return acc;
}

/* The memcmp of SIZE bytes at CHURN (pages differing), median seconds. */
static double
memcmp_baseline(size_t size, double churn)
{
	uint8_t *a = malloc(size), *b = malloc(size);
	double t[MAX_ROUNDS];
	if (a == NULL || b == NULL)
		die("no memory for two %zu MiB buffers", size / MIB);
	memset(a, 7, size);
	memcpy(b, a, size);
	size_t pages = size / BLOCK, n = (size_t)(churn * (double)pages + 0.5);
	if (n < 1)
		n = 1;
	for (size_t k = 0; k < n; k++)
		b[k * (pages / n) * BLOCK + 100] ^= 1;
	for (int r = 0; r < opt.rounds; r++) {
		double t0 = now();
		sink += memcmp_blocks(a, b, size);
		t[r] = now() - t0;
	}
	free(a);
	free(b);
	return median(t, (size_t)opt.rounds);
}

/* Start the game of MIB MiB at CHURN with HOOK_TRACK=TRACK, and its
 * layout: the state as MIB * 256 pages (a raw layout stops at segments of
 * 16 MiB), and the frame counter. */
static void
launch(int mib, double churn, const char *track)
{
	static const char *const bases[] = { "/tmp", NULL };
	char game[PATH_MAX], c[32], tr[64], lay[PATH_MAX + 16];
	snprintf(game, sizeof game, "%s-%d", opt.game, mib);
	snprintf(c, sizeof c, "%g", churn);
	snprintf(tr, sizeof tr, "HOOK_TRACK=%s", track);
	check_game(game, opt.lib, libabs);
	game_make_dir(&g, bases, "bench-track");
	snprintf(layout_path, sizeof layout_path, "%s/layout.json", g.dir);
	FILE *f = fopen(layout_path, "w");
	if (f == NULL)
		die("%s: %s", layout_path, strerror(errno));
	fprintf(f, "{ \"gamehook_layout\": 1, \"fields\": {\n"
	    "  \"frame_no\": { \"symbol\": \"frame_no\", \"type\": \"<u8\" },\n"
	    "  \"state\": { \"symbol\": \"state\", \"type\": \"|V4096\", "
	    "\"count\": %d } } }\n", mib * 256);
	if (fclose(f) != 0)
		die("%s: %s", layout_path, strerror(errno));
	snprintf(lay, sizeof lay, "HOOK_LAYOUT=%s", layout_path);
	char *argv[] = { game, c, NULL };
	const char *const extra[] = { tr, lay, "HOOK_KEYFRAME=1000000", NULL };
	game_start(&g, argv, libabs, extra);
	game_connect(&g);
}

/* Wait until the game is stopped at frame 0; seconds since T0. */
static double
wait_start(double t0)
{
	char line[8192];
	for (;;) {
		const char *r = request("hello", line, sizeof line);
		if (json_num(r, "frame", "hello") == 0 &&
		    strstr(r, "\"state\":\"paused\"") != NULL)
			return now() - t0;
		if (now() - t0 > 120)
			die("the game is not at frame 0 after 120 s");
		usleep(250);
	}
}

static void
finish(void)
{
	game_stop(&g, 0);
	if (layout_path[0])
		unlink(layout_path);
	layout_path[0] = '\0';
	game_remove_dir(&g);
	g.dir[0] = '\0';
}

/* The relaunch baseline for MIB: median seconds to frame 0. */
static double
relaunch(int mib)
{
	double t[MAX_ROUNDS];
	int rounds = opt.rounds < 3 ? opt.rounds : 3;
	for (int r = 0; r < rounds; r++) {
		double t0 = now();
		launch(mib, 0.01, "auto");
		t[r] = wait_start(t0);
		finish();
	}
	return median(t, (size_t)rounds);
}

/* The game's mean frame time and frame count, tracking on or off. */
static void
frame_stats(double *ns_on, double *n_on, double *ns_off, double *n_off)
{
	char line[16384];
	const char *r = request("info", line, sizeof line);
	const char *t = strstr(r, "\"track\":");
	if (t == NULL)
		die("info: no track: %.300s", r);
	*ns_on = json_num(t, "frame_ns_on", "info");
	*n_on = json_num(t, "frames_on", "info");
	*ns_off = json_num(t, "frame_ns_off", "info");
	*n_off = json_num(t, "frames_off", "info");
}

/* The mean frame time between two frame_stats readings. */
static double
frames_between(double ns0, double n0, double ns1, double n1)
{
	return n1 > n0 ? (ns1 * n1 - ns0 * n0) / (n1 - n0) : 0;
}

struct run {
	double reset, save, load;         /* seconds, medians */
	double save_new, save_spare;      /* a new name; after a drop */
	double scan;                      /* scan unchanged after a frame */
	double capture;                   /* seconds a frame, median */
	double frame_snap, frame_rec;     /* ns: snapshots only, recording */
	char method[16];
};

static void
measure(int mib, double churn, const char *track, struct run *out)
{
	double rs[MAX_ROUNDS], sv[MAX_ROUNDS], ld[MAX_ROUNDS];
	double cap[MAX_ROUNDS * 4], fr[MAX_ROUNDS * 4];
	char line[16384], cmd[256];
	double a0, b0, c0, d0, a1, b1, c1, d1;

	launch(mib, churn, track);
	wait_start(now());
	const char *r = request("info", line, sizeof line);
	const char *m = strstr(r, "\"method\":\"");
	snprintf(out->method, sizeof out->method, "%.*s", m ? (int)strcspn(m + 10,
	    "\"") : 1, m ? m + 10 : "?");
	frame_stats(&a0, &b0, &c0, &d0);
	step(GAP);
	request("save s", line, sizeof line);
	for (int i = 0; i < opt.rounds; i++) {
		step(GAP);
		rs[i] = timed("reset");
		step(GAP);
		sv[i] = timed("save s");
		step(GAP);
		ld[i] = timed("load s");
	}
	int on = strcmp(track, "off") != 0;
	double nw[MAX_ROUNDS], sp[MAX_ROUNDS], sc[MAX_ROUNDS];
	for (int i = 0; i < opt.rounds; i++) {
		step(GAP);
		snprintf(cmd, sizeof cmd, "save n%d", i);
		nw[i] = timed(cmd);
		if (!on) {
			/* Full copies: not kept (a 1 GiB game's would add up). */
			snprintf(cmd, sizeof cmd, "drop n%d", i);
			request(cmd, line, sizeof line);
		}
	}
	for (int i = 0; i < opt.rounds && on; i++) {
		snprintf(cmd, sizeof cmd, "drop n%d", i);
		request(cmd, line, sizeof line);
	}
	for (int i = 0; i < opt.rounds && on; i++) {
		step(GAP);
		snprintf(cmd, sizeof cmd, "save m%d", i);
		sp[i] = timed(cmd);
		snprintf(cmd, sizeof cmd, "drop m%d", i);
		request(cmd, line, sizeof line);
	}
	frame_stats(&a1, &b1, &c1, &d1);
	out->frame_snap = on ? frames_between(a0, b0, a1, b1) :
	    frames_between(c0, d0, c1, d1);
	out->reset = median(rs, (size_t)opt.rounds);
	out->save = median(sv, (size_t)opt.rounds);
	out->load = median(ld, (size_t)opt.rounds);
	out->save_new = median(nw, (size_t)opt.rounds);
	out->save_spare = on ? median(sp, (size_t)opt.rounds) : 0;

	request("scan start i32", line, sizeof line);
	for (int i = 0; i < opt.rounds; i++) {
		step(1);
		sc[i] = timed("scan unchanged");
	}
	request("scan stop", line, sizeof line);
	out->scan = median(sc, (size_t)opt.rounds);

	snprintf(trace_path, sizeof trace_path, "%s/t.trace", g.dir);
	snprintf(cmd, sizeof cmd, "trace start %s", trace_path);
	request(cmd, line, sizeof line);
	/* The keyframe, and tracking's one protection of the trace packer's
	 * buffers the keyframe filled (the game's next frame pays faults). */
	step(WARM);
	double prev = json_num(strstr(request("info", line, sizeof line),
	    "\"trace\":"), "capture_ns", "info");
	int n = 0;
	for (int i = 0; i < opt.frames; i++) {
		frame_stats(&a0, &b0, &c0, &d0);
		step(1);
		double c = json_num(strstr(request("info", line, sizeof line),
		    "\"trace\":"), "capture_ns", "info");
		frame_stats(&a1, &b1, &c1, &d1);
		cap[n] = (c - prev) / 1e9;
		fr[n++] = on ? frames_between(a0, b0, a1, b1) :
		    frames_between(c0, d0, c1, d1);
		prev = c;
	}
	out->frame_rec = median(fr, (size_t)n);
	out->capture = median(cap, (size_t)n);
	request("trace stop", line, sizeof line);
	unlink(trace_path);
	trace_path[0] = '\0';
	finish();
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: bench-track [--lib PATH] [--game PREFIX] [--sizes N,N,..]\n"
	    "                   [--rounds N] [--frames N] [--churns P,P,..]\n"
	    "\n"
	    "Measures capture, save, load and reset with write tracking on and\n"
	    "off, beside a memcmp of the state and a relaunch. Run from the\n"
	    "repo root.\n"
	    "\n"
	    "  --lib PATH     the hook library (default build/libhook.so)\n"
	    "  --game PREFIX  the games, PREFIX-N for N MiB (default\n"
	    "                 build/bench-track-game)\n"
	    "  --sizes LIST   MiB of state, of 16, 256, 1024 (default all)\n"
	    "  --rounds N     snapshot rounds, 1-%d (default 7)\n"
	    "  --frames N     recorded frames timed, 1-%d (default 12)\n"
	    "  --churns LIST  percent of pages written a frame, of 0.1, 1, 10\n"
	    "                 (default all)\n",
	    MAX_ROUNDS, MAX_ROUNDS * 4);
}

static int
number(const char *v, long lo, long hi)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (end == v || *end || n < lo || n > hi)
		bench_usage_error(usage);
	return (int)n;
}

static void
parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = bench_option(argc, argv, &i, usage);
		if (strcmp(a, "--lib") == 0) {
			opt.lib = v;
		} else if (strcmp(a, "--game") == 0) {
			opt.game = v;
		} else if (strcmp(a, "--rounds") == 0) {
			opt.rounds = number(v, 1, MAX_ROUNDS);
		} else if (strcmp(a, "--frames") == 0) {
			opt.frames = number(v, 1, MAX_ROUNDS * 4);
		} else if (strcmp(a, "--sizes") == 0) {
			char buf[64], *save = NULL;
			snprintf(buf, sizeof buf, "%s", v);
			opt.nsizes = 0;
			for (char *t = strtok_r(buf, ",", &save); t && opt.nsizes < 3;
			    t = strtok_r(NULL, ",", &save)) {
				int s = number(t, 16, 1024);
				if (s != 16 && s != 256 && s != 1024)
					bench_usage_error(usage);
				opt.sizes[opt.nsizes++] = s;
			}
			if (opt.nsizes == 0)
				bench_usage_error(usage);
		} else if (strcmp(a, "--churns") == 0) {
			char buf[64], *save = NULL;
			snprintf(buf, sizeof buf, "%s", v);
			opt.nchurns = 0;
			for (char *t = strtok_r(buf, ",", &save); t && opt.nchurns < 3;
			    t = strtok_r(NULL, ",", &save)) {
				double c = atof(t);
				if (c != 0.1 && c != 1 && c != 10)
					bench_usage_error(usage);
				opt.churns[opt.nchurns++] = c / 100;
			}
			if (opt.nchurns == 0)
				bench_usage_error(usage);
		} else {
			bench_usage_error(usage);
		}
	}
}

static const char *
ms(double s, char *buf, size_t cap)
{
	if (s < 1e-3)
		snprintf(buf, cap, "%.0f µs", s * 1e6);
	else
		snprintf(buf, cap, "%.2f ms", s * 1e3);
	return buf;
}

int
main(int argc, char **argv)
{
	char a[32], b[32], c[32], d[32];

	bench_init("bench-track", cleanup);
	parse_args(argc, argv);
	bench_header("bench-track: write tracking (HOOK_TRACK=wp against off)",
	    "");
	for (int si = 0; si < opt.nsizes; si++) {
		int mib = opt.sizes[si];
		double rl = relaunch(mib);
		printf("\n%d MiB of state; relaunch to frame 0: %s\n", mib,
		    ms(rl, a, sizeof a));
		printf("| churn | memcmp | capture wp | capture off | wp/memcmp | "
		    "reset wp | reset off | relaunch/reset wp | save wp | save off "
		    "| load wp | load off | new name wp | new name off | after a "
		    "drop wp | scan wp | scan off | frame (snapshots) on/off | "
		    "frame (recording) on/off |\n");
		printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- "
		    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
		fflush(stdout);
		for (int ci = 0; ci < opt.nchurns; ci++) {
			struct run wp, off;
			double churn = opt.churns[ci];
			double mc = memcmp_baseline((size_t)mib * MIB, churn);
			measure(mib, churn, "wp", &wp);
			measure(mib, churn, "off", &off);
			if (strcmp(wp.method, "wp") != 0)
				printf("(HOOK_TRACK=wp gave method %s: see the game's "
				    "log)\n", wp.method);
			printf("| %g%% | %s | %s | %s | %.3fx |", churn * 100,
			    ms(mc, a, sizeof a), ms(wp.capture, b, sizeof b),
			    ms(off.capture, c, sizeof c), wp.capture / mc);
			printf(" %s | %s | %.0fx |", ms(wp.reset, a, sizeof a),
			    ms(off.reset, b, sizeof b), rl / wp.reset);
			printf(" %s | %s | %s | %s |", ms(wp.save, a, sizeof a),
			    ms(off.save, b, sizeof b), ms(wp.load, c, sizeof c),
			    ms(off.load, d, sizeof d));
			printf(" %s | %s | %s |", ms(wp.save_new, a, sizeof a),
			    ms(off.save_new, b, sizeof b), ms(wp.save_spare, c,
			    sizeof c));
			printf(" %s | %s |", ms(wp.scan, a, sizeof a), ms(off.scan, b,
			    sizeof b));
			printf(" %s / %s |", ms(wp.frame_snap / 1e9, a, sizeof a),
			    ms(off.frame_snap / 1e9, b, sizeof b));
			printf(" %s / %s |\n", ms(wp.frame_rec / 1e9, a, sizeof a),
			    ms(off.frame_rec / 1e9, b, sizeof b));
			fflush(stdout);
		}
	}
	printf("\nGoals at 256 MiB, 1%%: capture wp/memcmp <= 0.2; reset wp <= "
	    "1 ms and relaunch/reset >= 100x.\n");
	bench_cleanup();
	return 0;
}
