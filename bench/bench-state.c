/* bench-state.c: what recording a game's state costs a frame, in time and
 * in bytes, against what the machine pays at the least.
 *
 *  1. Synthetic states of 1, 16 and 64 MiB that look like game state
 *     (int32 values from 0 to 999), of which 0.1%, 1% and 10% of the
 *     bytes change a frame as random 16-byte chunks (four int32 fields)
 *     written with new small values. In the same run, frame by frame, in
 *     an order that rotates: baseline A "memcmp", the previous state
 *     against the current in 4 KiB blocks, a block that differs again in
 *     64-byte pieces so that every byte is compared (memcmp stops at the
 *     first difference), the floor for finding changes; baseline B
 *     "zstd-1 full", the whole state compressed at level 1, what a naive
 *     recorder pays; "zstd-1 changed", the changed runs' bytes gathered
 *     into one buffer (untimed) and compressed at level 1; and ours,
 *     "capture", what the shim does a frame for a field without pointers:
 *     trace_sync (compare, copy each run, hash), trace_pack_frame
 *     (whole-state hash, protobuf-c, zstd-1). Ours is also shown in parts,
 *     with the hash alone and a block-wise memcmp that stops at each
 *     block's first difference, for comparison. Keyframes are reported
 *     apart, once per size.
 *  2. The demo game under build/libhook.so in lockstep, recording a trace
 *     for 3000 steps: the shim's own capture time (its capture_ns, real
 *     time on the game's frame thread) and bytes a frame, the baselines
 *     over the recorded states read back, and ours again on those states
 *     in this process, to tell the packing from the shim's reading of the
 *     game (process_vm_readv, timed alone too). Should the shim stop
 *     recording by itself, the bench says so, fails, and measures again
 *     with the layout's counted arrays moved last.
 *  3. Reading: the demo trace and a synthetic 1 MiB x 1% trace through
 *     `build/dumper cat` (when it is built) and through trace_open /
 *     trace_next alone: frames a second, decompressed payload and
 *     reconstructed state a second.
 *
 * Goals, at 1% churn (and for the demo game): a frame's record at least
 * 10x smaller than zstd-1 of the whole state, and capture taking at most
 * 2x (memcmp + zstd-1 of the changed bytes). Figures are medians over
 * frames (rounds for reading); ratios are medians of per-frame ratios, as
 * the machines are shared and noisy. The exit status is 0 whether or not
 * the goals are met, and non-zero only when something failed to run.
 * The whole run takes under a minute. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include <zstd.h>

#include "benchlib.h"
#include "trace.h"

#define MIB (1024u * 1024u)
#define BLOCK 4096
#define GOAL_SIZE 10.0          /* full / ours at least */
#define GOAL_TIME 2.0           /* ours / (memcmp + changed) at most */
#define DEMO_STEPS 3000
#define SYN_TRACE_FRAMES 200
#define READ_ROUNDS 3

static struct {
	const char *game;
	const char *lib;
	const char *layout;
	const char *dumper;
} opt = {
	.game = "build/demo-game",
	.lib = "build/libhook.so",
	.layout = "demo-game/demo-game.layout.json",
	.dumper = "build/dumper",
};

/* The game under test, and the temporary directory's other files, for
 * cleanup. */
static struct bench_game game = BENCH_GAME_INIT;
static struct {
	char demo_trace[160];
	char syn_trace[160];
	char layout2[160];
} g;

static int failures;            /* things that failed to run, not goals */
static volatile int sink;       /* keeps the memcmp results alive */

static void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		die("out of memory (%zu bytes)", n);
	return p;
}

/* splitmix64: the synthetic states' random numbers. */
static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* A small game-like value: an int32 from 0 to 999. */
static int32_t
small(uint64_t *s)
{
	return (int32_t)(rnd(s) % 1000);
}

/* --- what is measured ------------------------------------------------------ */

/* Baseline A: compare A and B over every 4 KiB block. memcmp stops at
 * the first difference, so a block that differs is compared again in
 * 64-byte pieces to its end: every byte is looked at whatever the churn
 * (block by block alone would skip most of each block at 10% churn).
 * Returns the pieces that differ. */
static int
memcmp_blocks(const uint8_t *a, const uint8_t *b, size_t n)
{
	int acc = 0;

	for (size_t i = 0; i < n; i += BLOCK) {
		size_t len = n - i < BLOCK ? n - i : BLOCK;
		if (memcmp(a + i, b + i, len) == 0)
			continue;
		for (size_t j = i; j < i + len; j += 64)
			acc += memcmp(a + j, b + j, i + len - j < 64 ?
			    i + len - j : 64) != 0;
	}
	return acc;
}

/* The same, block by block only: each block's memcmp stops at its first
 * difference (shown for comparison; the baseline is the one above). */
static int
memcmp_first(const uint8_t *a, const uint8_t *b, size_t n)
{
	int acc = 0;

	for (size_t i = 0; i < n; i += BLOCK)
		acc += memcmp(a + i, b + i, n - i < BLOCK ? n - i : BLOCK) != 0;
	return acc;
}

/* Zstd level 1 of SRC into DST: the compressed size (dies on error). */
static size_t
zstd1(ZSTD_CCtx *cctx, void *dst, size_t cap, const void *src, size_t len)
{
	size_t n = ZSTD_compressCCtx(cctx, dst, cap, src, len, 1);
	if (ZSTD_isError(n))
		die("zstd: %s", ZSTD_getErrorName(n));
	return n;
}

/* Gather the bytes of NRUNS RUNS of STATE into BUF; their total. */
static size_t
gather(uint8_t *buf, const uint8_t *state, const struct trace_run *runs,
    long nruns)
{
	size_t n = 0;

	for (long i = 0; i < nruns; i++) {
		memcpy(buf + n, state + runs[i].off, runs[i].len);
		n += runs[i].len;
	}
	return n;
}

/* Ours: what state_sync and record_frame do for one field without
 * pointers, LIVE into BLOB, packed into OUT: trace_sync (compare, copy
 * each run, hash the synced bytes while in cache), then
 * trace_pack_frame with that hash. Returns the record's size; *MID (if not NULL)
 * the time between the sync and the packing. */
static struct trace_hash_cache hcache;

static size_t
capture(struct trace_packer *pk, int64_t frame, int key, uint8_t *blob,
    const uint8_t *live, size_t size, struct trace_run *runs, long max,
    uint8_t *out, size_t cap, int64_t *mid)
{
	if (hcache.size != size) {
		trace_hash_cache_free(&hcache);
		if (trace_hash_cache_init(&hcache, size) != 0)
			die("out of memory");
	}
	long n = trace_sync(blob, live, size, 0, runs, max);
	/* (a keyframe's hash covers every block) */
	uint64_t hash = trace_hash_update(&hcache, blob, runs, key ? -1 : n);

	if (n < 0)
		key = 1;
	if (mid != NULL)
		*mid = now_ns();
	struct trace_frame_info fi = {
		.frame = frame, .vtime_ns = frame * 33333333, .keyframe = key,
		.state = blob, .has_hash = 1, .hash = hash, .runs = runs,
		.nruns = key ? 0 : n,
	};
	return trace_pack_frame(pk, &fi, out, cap);
}

/* --- 1. synthetic states ----------------------------------------------------- */

struct synth {
	size_t size;
	uint8_t *live, *prev, *blob, *gbuf, *zout, *rec, *slots;
	size_t zcap, reccap;
	struct trace_run *runs, *ref;
	long max_runs;
	struct trace_packer pk;
	ZSTD_CCtx *cctx;
	uint64_t seed;
};

/* Buffers for a SIZE-byte state, touched before anything is timed, the
 * state filled with small int32 values and the blob a copy of it. */
static void
synth_init(struct synth *s, size_t size, uint64_t seed)
{
	memset(s, 0, sizeof *s);
	s->size = size;
	s->seed = seed;
	s->max_runs = trace_runs_max(size);
	if (trace_packer_init(&s->pk, size) != 0)
		die("trace_packer_init: out of memory");
	s->reccap = trace_record_bound(&s->pk);
	s->zcap = ZSTD_compressBound(size);
	s->live = xmalloc(size);
	s->prev = xmalloc(size);
	s->blob = xmalloc(size);
	s->gbuf = xmalloc(size);
	s->zout = xmalloc(s->zcap);
	s->rec = xmalloc(s->reccap);
	s->slots = xmalloc(size / 16 / 8 + 1);
	s->runs = xmalloc(sizeof *s->runs * (size_t)s->max_runs);
	s->ref = xmalloc(sizeof *s->ref * (size_t)s->max_runs);
	s->cctx = ZSTD_createCCtx();
	if (s->cctx == NULL)
		die("ZSTD_createCCtx failed");
	memset(s->gbuf, 0, size);
	memset(s->zout, 0, s->zcap);
	memset(s->rec, 0, s->reccap);
	memset(s->runs, 0, sizeof *s->runs * (size_t)s->max_runs);
	memset(s->ref, 0, sizeof *s->ref * (size_t)s->max_runs);
	for (size_t i = 0; i + 4 <= size; i += 4) {
		int32_t v = small(&s->seed);
		memcpy(s->live + i, &v, 4);
	}
	memcpy(s->prev, s->live, size);
	memcpy(s->blob, s->live, size);
}

static void
synth_free(struct synth *s)
{
	trace_packer_free(&s->pk);
	ZSTD_freeCCtx(s->cctx);
	free(s->live);
	free(s->prev);
	free(s->blob);
	free(s->gbuf);
	free(s->zout);
	free(s->rec);
	free(s->slots);
	free(s->runs);
	free(s->ref);
	memset(s, 0, sizeof *s);
}

/* One frame of play: CHURN of the state's bytes rewritten as distinct
 * random 16-byte chunks of four new small int32 values. */
static void
synth_mutate(struct synth *s, double churn)
{
	size_t nslots = s->size / 16;
	size_t want = (size_t)(churn * (double)s->size / 16.0 + 0.5);

	memset(s->slots, 0, nslots / 8 + 1);
	for (size_t k = 0; k < want && k < nslots; k++) {
		size_t slot;
		do
			slot = rnd(&s->seed) % nslots;
		while (s->slots[slot / 8] & (1u << (slot % 8)));
		s->slots[slot / 8] |= (uint8_t)(1u << (slot % 8));
		int32_t v[4] = { small(&s->seed), small(&s->seed),
			small(&s->seed), small(&s->seed) };
		memcpy(s->live + slot * 16, v, 16);
	}
}

enum { M_MEMCMP, M_CHANGED, M_FULL, M_OURS, M_HASH, M_FIRST, M_N };

struct synth_row {
	size_t size;
	double churn;
	int frames;
	double memcmp_us, changed_us, ours_us, full_us;
	double diff_us, pack_us, hash_us;   /* ours, broken down */
	double first_us;                    /* memcmp_first */
	double full_bytes, ours_bytes, changed_bytes, runs;
	double tratio, sratio;
};

/* FRAMES measured frames (after one warm-up) of S at CHURN into ROW. */
static void
synth_rows(struct synth *s, double churn, int frames, int64_t *fno,
    struct synth_row *row)
{
	double t[M_N][64], fb[64], ob[64], cb[64], nr[64], tr[64], sr[64];
	double dt[64], pt[64];
	int n = 0;

	for (int f = -1; f < frames; f++) {
		memcpy(s->prev, s->live, s->size);
		synth_mutate(s, churn);
		long nref = trace_diff(s->prev, s->live, s->size, s->ref,
		    s->max_runs);
		if (nref < 0)
			die("trace_diff: more runs than trace_runs_max");
		size_t glen = gather(s->gbuf, s->live, s->ref, nref);
		double us[M_N] = { 0 }, diff_us = 0;
		size_t full = 0, ours = 0;
		int64_t mid = 0;
		(*fno)++;
		/* The order rotates frame by frame: no measurement always
		 * finds the caches the way the one before it left them. */
		for (int k = 0; k < M_N; k++) {
			int m = (k + f + 1) % M_N;
			int64_t t0 = now_ns();
			switch (m) {
			case M_MEMCMP:
				sink += memcmp_blocks(s->prev, s->live, s->size);
				break;
			case M_CHANGED:
				if (glen)
					zstd1(s->cctx, s->zout, s->zcap, s->gbuf, glen);
				break;
			case M_FULL:
				full = zstd1(s->cctx, s->zout, s->zcap, s->live,
				    s->size);
				break;
			case M_OURS:
				ours = capture(&s->pk, *fno, 0, s->blob, s->live,
				    s->size, s->runs, s->max_runs, s->rec,
				    s->reccap, &mid);
				if (ours == 0)
					die("trace_pack_frame failed (%zu-byte state)",
					    s->size);
				diff_us = (double)(mid - t0) / 1e3;
				break;
			case M_HASH:    /* not ours: the hash inside the packing */
				sink += (int)trace_hash(s->live, s->size);
				break;
			case M_FIRST:
				sink += memcmp_first(s->prev, s->live, s->size);
				break;
			}
			us[m] = (double)(now_ns() - t0) / 1e3;
		}
		if (f < 0)
			continue;       /* warm-up */
		for (int m = 0; m < M_N; m++)
			t[m][n] = us[m];
		dt[n] = diff_us;
		pt[n] = us[M_OURS] - diff_us;
		fb[n] = (double)full;
		ob[n] = (double)ours;
		cb[n] = (double)glen;
		nr[n] = (double)nref;
		tr[n] = us[M_OURS] / (us[M_MEMCMP] + us[M_CHANGED]);
		sr[n] = (double)full / (double)ours;
		n++;
	}
	if (memcmp(s->blob, s->live, s->size) != 0)
		die("capture left the blob unlike the state (%zu bytes, %g%%)",
		    s->size, churn * 100);
	row->size = s->size;
	row->churn = churn;
	row->frames = n;
	row->memcmp_us = median(t[M_MEMCMP], (size_t)n);
	row->changed_us = median(t[M_CHANGED], (size_t)n);
	row->ours_us = median(t[M_OURS], (size_t)n);
	row->full_us = median(t[M_FULL], (size_t)n);
	row->hash_us = median(t[M_HASH], (size_t)n);
	row->first_us = median(t[M_FIRST], (size_t)n);
	row->diff_us = median(dt, (size_t)n);
	row->pack_us = median(pt, (size_t)n);
	row->full_bytes = median(fb, (size_t)n);
	row->ours_bytes = median(ob, (size_t)n);
	row->changed_bytes = median(cb, (size_t)n);
	row->runs = median(nr, (size_t)n);
	row->tratio = median(tr, (size_t)n);
	row->sratio = median(sr, (size_t)n);
}

/* Whether a row's goals hold: 1 met, 0 not. */
static int
size_goal(double sratio)
{
	return sratio >= GOAL_SIZE;
}

static int
time_goal(double tratio)
{
	return tratio <= GOAL_TIME;
}

static const char *
human(double bytes, char *buf, size_t cap)
{
	if (bytes >= MIB)
		snprintf(buf, cap, "%g MiB", bytes / MIB);
	else
		snprintf(buf, cap, "%g KiB", bytes / 1024);
	return buf;
}

static void
bench_synthetic(void)
{
	static const size_t sizes[] = { 1 * MIB, 16 * MIB, 64 * MIB };
	static const int frames[] = { 40, 15, 8 };
	static const double churns[] = { 0.001, 0.01, 0.1 };
	struct synth_row rows[9];
	double key_bytes[3], key_us[3], key_full[3];
	int nrows = 0;
	char a[32], b[32], c[32];
	int64_t fno = 0;

	printf("\n1. Synthetic states (int32 values 0..999; churn = bytes "
	    "rewritten a frame as random 16-byte chunks)\n");
	printf("   memcmp = previous vs current in 4 KiB blocks (a block that "
	    "differs again in 64 B pieces,\n"
	    "   so every byte is compared); zstd chg = zstd-1 of the changed "
	    "runs' bytes (gathered untimed);\n"
	    "   ours = trace_sync (diff, run copies) + trace_hash_update + trace_pack_frame (delta "
	    "frames); times in us, medians over frames\n");
	fflush(stdout);
	for (int si = 0; si < 3; si++) {
		struct synth s;
		synth_init(&s, sizes[si], 0x5eed0000u + (uint64_t)si);
		/* The keyframe, once: it also warms the packer up. */
		int64_t t0 = now_ns();
		size_t kb = capture(&s.pk, ++fno, 1, s.blob, s.live, s.size,
		    s.runs, s.max_runs, s.rec, s.reccap, NULL);
		key_us[si] = (double)(now_ns() - t0) / 1e3;
		if (kb == 0)
			die("trace_pack_frame failed on a keyframe");
		key_bytes[si] = (double)kb;
		key_full[si] = (double)zstd1(s.cctx, s.zout, s.zcap, s.live,
		    s.size);
		for (int ci = 0; ci < 3; ci++)
			synth_rows(&s, churns[ci], frames[si], &fno,
			    &rows[nrows++]);
		synth_free(&s);
	}

	printf("\n   %-6s %5s %3s %9s %9s %9s %8s %9s %12s %10s %8s  %s\n",
	    "state", "churn", "n", "memcmp", "zstd chg", "ours", "ours/",
	    "zstd full", "full bytes", "ours bytes", "full/", "goals (1% rows)");
	printf("   %-6s %5s %3s %9s %9s %9s %8s %9s %12s %10s %8s\n",
	    "", "", "", "us", "us", "us", "(m+chg)", "us", "", "", "ours");
	for (int i = 0; i < nrows; i++) {
		const struct synth_row *r = &rows[i];
		char goals[64] = "";
		if (r->churn > 0.005 && r->churn < 0.05)
			snprintf(goals, sizeof goals, "size %s, time %s",
			    size_goal(r->sratio) ? "MET" : "NOT MET",
			    time_goal(r->tratio) ? "MET" : "NOT MET");
		printf("   %-6s %4g%% %3d %9.1f %9.1f %9.1f %8.2f %9.1f %12s "
		    "%10s %8.1f  %s\n", human((double)r->size, c, sizeof c),
		    r->churn * 100, r->frames, r->memcmp_us, r->changed_us,
		    r->ours_us, r->tratio, r->full_us,
		    commas(r->full_bytes, a, sizeof a),
		    commas(r->ours_bytes, b, sizeof b), r->sratio, goals);
	}
	printf("\n   %-6s %12s %12s %12s   (the keyframe, once per size)\n",
	    "state", "keyframe B", "zstd-1 B", "keyframe us");
	for (int si = 0; si < 3; si++)
		printf("   %-6s %12s %12s %12.0f\n",
		    human((double)sizes[si], c, sizeof c),
		    commas(key_bytes[si], a, sizeof a),
		    commas(key_full[si], b, sizeof b), key_us[si]);
	printf("\n   ours, broken down (medians, us): diff = trace_sync (compare, "
	    "run copies) and\n   trace_hash_update (the 256-byte blocks the runs "
	    "touch); pack = protobuf-c + zstd-1;\n   hash = trace_hash of the "
	    "whole state, for scale; runs = changed runs, bytes in them\n");
	printf("   memcmp 1st = memcmp of 4 KiB blocks that stops at each "
	    "block's first difference (not the\n"
	    "   baseline: at high churn it skips most of the state); its ratio "
	    "= ours / (memcmp 1st + zstd chg)\n");
	printf("   %-6s %5s %9s %9s %9s %8s %11s %10s %7s\n", "state", "churn",
	    "diff", "pack", "hash", "runs", "run bytes", "memcmp 1st", "ratio");
	for (int i = 0; i < nrows; i++) {
		const struct synth_row *r = &rows[i];
		printf("   %-6s %4g%% %9.1f %9.1f %9.1f %8.0f %11s %10.1f %7.2f\n",
		    human((double)r->size, c, sizeof c), r->churn * 100,
		    r->diff_us, r->pack_us, r->hash_us, r->runs,
		    commas(r->changed_bytes, a, sizeof a), r->first_us,
		    r->ours_us / (r->first_us + r->changed_us));
	}
	printf("\n   goal at 1%% churn: ours <= zstd-1 full / %.0f in bytes, and "
	    "ours <= %.0fx (memcmp + zstd chg) in time\n", GOAL_SIZE, GOAL_TIME);
	for (int i = 0; i < nrows; i++) {
		const struct synth_row *r = &rows[i];
		if (!(r->churn > 0.005 && r->churn < 0.05))
			continue;
		printf("     %-6s size %5.1fx smaller: %-7s  time %.2fx: %s\n",
		    human((double)r->size, c, sizeof c), r->sratio,
		    size_goal(r->sratio) ? "MET" : "NOT MET", r->tratio,
		    time_goal(r->tratio) ? "MET" : "NOT MET");
	}
	fflush(stdout);
}

/* --- the game on a pseudo-terminal (benchlib.c) ---------------------------- */

/* Check the game, the hook library and the layout are there. */
static void
check_paths(char *libabs, char *layoutabs)
{
	check_game(opt.game, opt.lib, libabs);
	if (realpath(opt.layout, layoutabs) == NULL)
		die("layout %s: %s (run from the repository's root, or pass "
		    "--layout PATH)", opt.layout, strerror(errno));
}

/* A temporary directory in memory (/dev/shm) or else /var/tmp, with the
 * names of everything the bench puts there. */
static void
make_dir(void)
{
	static const char *const bases[] = { "/dev/shm", "/var/tmp", "/tmp",
		NULL };

	game_make_dir(&game, bases, "gamehook-bench-state");
	snprintf(g.demo_trace, sizeof g.demo_trace, "%s/demo.trace", game.dir);
	snprintf(g.syn_trace, sizeof g.syn_trace, "%s/synthetic.trace",
	    game.dir);
	snprintf(g.layout2, sizeof g.layout2, "%s/counted-last.layout.json",
	    game.dir);
}

/* Start the game under the hook, with LAYOUT (an absolute path), on a
 * fresh 80x24 pseudo-terminal, recording to the demo trace. */
static void
start_game(const char *layout)
{
	char libabs[PATH_MAX], layoutabs[PATH_MAX];
	char layout_env[PATH_MAX + 16], trace_env[sizeof g.demo_trace + 16];
	const char *const extra[] = { layout_env, trace_env, NULL };
	char *argv[] = { (char *)opt.game, "--seed", "42", NULL };

	check_paths(libabs, layoutabs);
	snprintf(layout_env, sizeof layout_env, "HOOK_LAYOUT=%s", layout);
	snprintf(trace_env, sizeof trace_env, "HOOK_TRACE=%s", g.demo_trace);
	game.reply_secs = 60.0;
	game_start(&game, argv, libabs, extra);
}

/* Send CMD (a full line) and read one reply line into LINE, waiting at
 * most 60 s for it. */
static void
request(const char *cmd, char *line, size_t cap)
{
	game_request(&game, cmd, strlen(cmd), line, cap);
}

/* Stop the game and remove the temporary directory. */
static void
cleanup(void)
{
	game_stop(&game, 0);
	if (game.dir[0]) {
		unlink(g.demo_trace);
		unlink(g.syn_trace);
		unlink(g.layout2);
	}
	game_remove_dir(&game);
}

/* The number after "KEY": in the "trace" object of a JSON reply. */
static uint64_t
trace_num(const char *line, const char *key)
{
	char pat[64];
	const char *t = strstr(line, "\"trace\":{");

	if (t == NULL)
		t = line;       /* trace stop replies with the object alone */
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(t, pat);
	if (p == NULL)
		die("no \"%s\" in the reply: %s", key, line);
	return strtoull(p + strlen(pat), NULL, 10);
}

/* --- 2. the demo game ------------------------------------------------------ */

struct demo_result {
	int ran;
	uint64_t frames, keyframes, bytes, capture_ns;
	size_t state_size;
	size_t pairs;
	double memcmp_us, changed_us, full_us, full_bytes, delta_bytes;
	double base_us;         /* median of memcmp + changed, per pair */
	double step_s;
	double bench_us, bench_bytes;   /* capture() here, on the same states */
	int peeks;              /* process_vm_readv calls a frame, at least */
	double peek_us;         /* one of them here */
};

/* The last line of the hook's log that mentions the trace, into BUF. */
static void
log_trace_line(char *buf, size_t cap)
{
	char text[16384];
	int fd = open(game.log, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof text - 1);

	snprintf(buf, cap, "(nothing in the hook's log)");
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return;
	text[n] = '\0';
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *p = strstr(line, "trace:");
		if (p != NULL && strstr(p, "recording to") == NULL)
			snprintf(buf, cap, "%s", p);
	}
}

/* Run the game with LAYOUT recording for DEMO_STEPS frames: the shim's
 * figures. Returns 0, or -1 when the recording ended by itself (WHY). */
static int
demo_record(struct demo_result *d, const char *layout, char *why,
    size_t whylen)
{
	char line[16384], cmd[64];

	start_game(layout);
	game_connect(&game);
	double t0 = now();
	snprintf(cmd, sizeof cmd, "step %d\n", DEMO_STEPS);
	request(cmd, line, sizeof line);
	d->step_s = now() - t0;
	if (strncmp(line, "ok ", 3) != 0)
		die("step %d: unexpected reply: %s", DEMO_STEPS, line);
	request("info\n", line, sizeof line);
	if (strncmp(line, "ok ", 3) != 0)
		die("info: unexpected reply: %s", line);
	d->frames = trace_num(line, "frames");
	d->keyframes = trace_num(line, "keyframes");
	d->capture_ns = trace_num(line, "capture_ns");
	int ended = strstr(line, "\"state\":\"recording\"") == NULL;
	/* The bytes once the writer has written everything. */
	request("trace stop\n", line, sizeof line);
	if (strncmp(line, "ok ", 3) != 0)
		die("trace stop: unexpected reply: %s", line);
	d->bytes = trace_num(line, "bytes");
	if (ended || d->frames < DEMO_STEPS) {
		char msg[512];
		log_trace_line(msg, sizeof msg);
		snprintf(why, whylen, "%llu frames recorded of %d; the hook's "
		    "log: %s", (unsigned long long)d->frames, DEMO_STEPS, msg);
	}
	game_stop(&game, 0);
	return ended || d->frames < DEMO_STEPS ? -1 : 0;
}

/* SRC with its counted arrays moved to the end of "fields", into DST. */
static int
counted_last(const char *src, const char *dst)
{
	json_error_t je;
	json_t *root = json_load_file(src, 0, &je);
	json_t *fields = root ? json_object_get(root, "fields") : NULL;
	json_t *ordered = json_object(), *v;
	const char *key;
	int r = -1;

	if (fields == NULL || ordered == NULL)
		goto out;
	for (int pass = 0; pass < 2; pass++)
		json_object_foreach(fields, key, v)
			if ((json_object_get(v, "count") != NULL) == pass)
				json_object_set(ordered, key, v);
	json_object_set(root, "fields", ordered);
	r = json_dump_file(root, dst, JSON_INDENT(1)) == 0 ? 0 : -1;
out:
	json_decref(ordered);
	json_decref(root);
	return r;
}

/* Read the demo trace back and measure the baselines over each pair of
 * consecutive states. */
static void
demo_baselines(struct demo_result *d)
{
	char err[512];
	int fd = open(g.demo_trace, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("%s: %s", g.demo_trace, strerror(errno));
	struct trace_reader *t = trace_open(fd, err, sizeof err);
	if (t == NULL)
		die("%s: %s", g.demo_trace, err);
	size_t size = t->state_size;
	long max = trace_runs_max(size);
	size_t zcap = ZSTD_compressBound(size);
	uint8_t *prev = xmalloc(size), *gbuf = xmalloc(size);
	uint8_t *zout = xmalloc(zcap);
	struct trace_run *runs = xmalloc(sizeof *runs * (size_t)max);
	size_t cap = DEMO_STEPS * 2 + 16, n = 0, nd = 0;
	double *mu = xmalloc(cap * sizeof *mu), *cu = xmalloc(cap * sizeof *cu);
	double *fu = xmalloc(cap * sizeof *fu), *fb = xmalloc(cap * sizeof *fb);
	double *bu = xmalloc(cap * sizeof *bu), *db = xmalloc(cap * sizeof *db);
	double *ou = xmalloc(cap * sizeof *ou), *ob = xmalloc(cap * sizeof *ob);
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	struct trace_packer pk;
	int64_t last = -1;
	/* Small states: memcmp repeated to rise well above the clock's cost. */
	int reps = size >= 65536 ? 1 : (int)(65536 / (size ? size : 1));

	if (cctx == NULL)
		die("ZSTD_createCCtx failed");
	if (trace_packer_init(&pk, size) != 0)
		die("trace_packer_init: out of memory");
	size_t reccap = trace_record_bound(&pk);
	uint8_t *blob = xmalloc(size), *rec = xmalloc(reccap);
	struct trace_run *oruns = xmalloc(sizeof *oruns * (size_t)max);
	if (reps > 64)
		reps = 64;
	d->state_size = size;
	/* What the shim reads with process_vm_readv a frame (shim/state.c):
	 * the executable's own data, counted arrays included, and the first
	 * pointer of a chain starting there, are read in place; the later
	 * pointers of a chain and the value at its end are not. */
	d->peeks = 0;
	for (int i = 0; i < t->layout->nfields; i++) {
		const struct lt_field *f = &t->layout->fields[i];
		if (f->module)
			d->peeks += f->npointers + 1;
		else if (f->npointers)
			d->peeks += f->npointers;
	}
	for (;;) {
		enum trace_ev ev = trace_next(t);
		if (ev == TEV_END)
			break;
		if (ev == TEV_ERROR)
			die("%s: %s", g.demo_trace, t->why);
		if (ev == TEV_DAMAGE)
			die("%s: damaged: %s", g.demo_trace, t->why);
		if (!t->keyframe && nd < cap)
			db[nd++] = (double)(t->payload_len + REC_ENVELOPE);
		if (!t->state_ok) {
			last = -1;
			continue;
		}
		if (last >= 0 && t->frame == last + 1 && n < cap) {
			long nr = trace_diff(prev, t->state, size, runs, max);
			size_t glen = nr > 0 ? gather(gbuf, t->state, runs, nr) : 0;
			int64_t a = now_ns();
			for (int r = 0; r < reps; r++)
				sink += memcmp_blocks(prev, t->state, size);
			int64_t b = now_ns();
			if (glen)
				zstd1(cctx, zout, zcap, gbuf, glen);
			int64_t c = now_ns();
			size_t full = zstd1(cctx, zout, zcap, t->state, size);
			int64_t e = now_ns();
			mu[n] = (double)(b - a) / 1e3 / reps;
			cu[n] = (double)(c - b) / 1e3;
			fu[n] = (double)(e - c) / 1e3;
			fb[n] = (double)full;
			bu[n] = mu[n] + cu[n];
			int64_t o = now_ns();
			size_t rl = capture(&pk, t->frame, 0, blob, t->state, size,
			    oruns, max, rec, reccap, NULL);
			ou[n] = (double)(now_ns() - o) / 1e3;
			ob[n] = (double)rl;
			if (rl == 0)
				die("trace_pack_frame failed on the demo's states");
			n++;
		} else {
			memcpy(blob, t->state, size);
		}
		memcpy(prev, t->state, size);
		last = t->frame;
	}
	trace_close(t);
	close(fd);
	d->pairs = n;
	d->memcmp_us = median(mu, n);
	d->changed_us = median(cu, n);
	d->full_us = median(fu, n);
	d->full_bytes = median(fb, n);
	d->base_us = median(bu, n);
	d->delta_bytes = median(db, nd);
	d->bench_us = median(ou, n);
	d->bench_bytes = median(ob, n);
	/* One small process_vm_readv, of ourselves. */
	uint64_t word[8] = { 0 }, got[8];
	for (int i = 0; i < 1000 && (size_t)i < cap; i++) {
		struct iovec lv = { got, sizeof got }, rv = { word, sizeof word };
		int64_t o = now_ns();
		if (process_vm_readv(getpid(), &lv, 1, &rv, 1, 0) != sizeof got)
			die("process_vm_readv: %s", strerror(errno));
		ou[i] = (double)(now_ns() - o) / 1e3;
	}
	d->peek_us = median(ou, cap < 1000 ? cap : 1000);
	trace_packer_free(&pk);
	free(blob);
	free(rec);
	free(oruns);
	free(ou);
	free(ob);
	ZSTD_freeCCtx(cctx);
	free(prev);
	free(gbuf);
	free(zout);
	free(runs);
	free(mu);
	free(cu);
	free(fu);
	free(fb);
	free(bu);
	free(db);
}

static void
bench_demo(struct demo_result *d)
{
	char a[32], b[32], c[32], e[32];
	char libabs[PATH_MAX], layoutabs[PATH_MAX], why[768];

	printf("\n2. The demo game (%s --seed 42, lockstep, %d steps, "
	    "recording to %s)\n", opt.game, DEMO_STEPS, game.dir);
	fflush(stdout);
	check_paths(libabs, layoutabs);
	if (demo_record(d, layoutabs, why, sizeof why) != 0) {
		/* The shim stops a trace whose frame cannot be packed; with
		 * a counted array ahead of other fields its runs come out of
		 * order. Say so, and measure with the array moved last. */
		printf("   RECORDING FAILED with %s: %s\n", opt.layout, why);
		if (counted_last(layoutabs, g.layout2) != 0)
			die("cannot rewrite %s", opt.layout);
		printf("   retrying with the same layout, its counted arrays "
		    "moved last (%s)\n", g.layout2);
		fflush(stdout);
		failures++;
		memset(d, 0, sizeof *d);
		if (demo_record(d, g.layout2, why, sizeof why) != 0) {
			printf("   RECORDING FAILED again: %s\n", why);
			return;
		}
	}
	demo_baselines(d);
	d->ran = 1;
	double ours_us = (double)d->capture_ns / 1e3 / (double)d->frames;
	double ours_b = (double)d->bytes / (double)d->frames;
	double tratio = d->base_us > 0 ? ours_us / d->base_us : 0;
	double sratio = ours_b > 0 ? d->full_bytes / ours_b : 0;

	printf("   state %s bytes; step %d took %.2f s; %s frames recorded, "
	    "%s keyframes, %s bytes\n", commas((double)d->state_size, a,
	    sizeof a), DEMO_STEPS, d->step_s, commas((double)d->frames, b,
	    sizeof b), commas((double)d->keyframes, c, sizeof c),
	    commas((double)d->bytes, e, sizeof e));
	printf("   ours, in the shim (capture_ns / frames, capture + pack, "
	    "keyframes included):\n");
	printf("     %9.2f us a frame   %9.1f bytes a frame (file bytes / "
	    "frames); delta records median %.0f B\n", ours_us, ours_b,
	    d->delta_bytes);
	printf("   baselines over the %zu consecutive pairs read back "
	    "(medians):\n", d->pairs);
	printf("     memcmp %.3f us, zstd-1 changed %.3f us (sum %.3f us), "
	    "zstd-1 full %.2f us and %s bytes\n", d->memcmp_us, d->changed_us,
	    d->base_us, d->full_us, commas(d->full_bytes, a, sizeof a));
	printf("   ours again, here on the same states (trace_sync + "
	    "trace_pack_frame, deltas):\n"
	    "     %.2f us, %.0f bytes a frame (medians): the shim's figure adds "
	    "%d process_vm_readv a frame\n"
	    "     (what pointer chains lead to; %.2f us each here), the ring "
	    "and the inputs\n", d->bench_us, d->bench_bytes, d->peeks,
	    d->peek_us);
	printf("   size: zstd-1 full / ours = %.1fx (goal >= %.0fx): %s\n",
	    sratio, GOAL_SIZE, size_goal(sratio) ? "MET" : "NOT MET");
	printf("   time: ours / (memcmp + zstd-1 changed) = %.2fx "
	    "(goal <= %.0fx): %s\n", tratio, GOAL_TIME,
	    time_goal(tratio) ? "MET" : "NOT MET");
	fflush(stdout);
}

/* --- 3. reading ------------------------------------------------------------ */

/* A synthetic 1 MiB x 1% trace of SYN_TRACE_FRAMES frames at PATH. */
static void
write_synthetic_trace(const char *path)
{
	static const char layout[] = "{\"gamehook_layout\":1,\"fields\":"
	    "{\"state\":{\"offset\":0,\"type\":\"|V1048576\"}}}";
	struct synth s;
	struct trace_header_info h = {
		.exe = "bench-state", .build_id = "", .layout_json = layout,
		.layout_source = "bench-state", .version = "bench",
		.keyframe_interval = TRACE_KEYFRAME_DEFAULT,
		.state_size = 1 * MIB, .clock_rate = 1.0, .start_frame = 1,
		.pid = (int)getpid(),
	};
	int64_t last_key = 0;

	synth_init(&s, 1 * MIB, 0x7ace);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	size_t n = trace_pack_header(&s.pk, &h, s.rec, s.reccap);
	if (n == 0 || write_all(fd, s.rec, n) != 0)
		die("%s: cannot write the header", path);
	for (int64_t f = 1; f <= SYN_TRACE_FRAMES; f++) {
		int key = f == 1 || f - last_key >= TRACE_KEYFRAME_DEFAULT;
		if (f > 1)
			synth_mutate(&s, 0.01);
		n = capture(&s.pk, f, key, s.blob, s.live, s.size, s.runs,
		    s.max_runs, s.rec, s.reccap, NULL);
		if (n == 0 || write_all(fd, s.rec, n) != 0)
			die("%s: cannot write frame %lld", path, (long long)f);
		if (key)
			last_key = f;
	}
	if (close(fd) != 0)
		die("%s: %s", path, strerror(errno));
	synth_free(&s);
}

struct read_pass {
	uint64_t frames, states, data, payload;
	double secs;
};

/* Our own pass over PATH: trace_open and trace_next to the end. */
static void
own_pass(const char *path, struct read_pass *p)
{
	char err[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	memset(p, 0, sizeof *p);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	double t0 = now();
	struct trace_reader *t = trace_open(fd, err, sizeof err);
	if (t == NULL)
		die("%s: %s", path, err);
	for (;;) {
		enum trace_ev ev = trace_next(t);
		if (ev == TEV_END)
			break;
		if (ev != TEV_FRAME)
			die("%s: %s", path, t->why[0] ? t->why : "damaged");
		p->frames++;
		p->states += t->state_ok != 0;
		p->data += t->data_len;
		p->payload += t->payload_len + REC_ENVELOPE;
	}
	p->secs = now() - t0;
	trace_close(t);
	close(fd);
}

/* `dumper cat PATH > /dev/null`: its wall time, or -1 when it failed. */
static double
dumper_pass(const char *path)
{
	int st;
	double t0 = now();
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);
		if (nul < 0 || dup2(nul, 1) < 0)
			_exit(126);
		execl(opt.dumper, opt.dumper, "cat", path, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	double secs = now() - t0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench-state: %s cat %s failed (%s %d)\n",
		    opt.dumper, path, WIFEXITED(st) ? "status" : "signal",
		    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		return -1;
	}
	return secs;
}

static void
read_row(const char *what, const char *name, const struct read_pass *p,
    double secs, size_t state_size)
{
	char a[32];

	printf("   %-10s %-20s %8.1f %12s %10.1f %10.1f\n", name, what,
	    secs * 1e3, commas((double)p->states / secs, a, sizeof a),
	    (double)p->data / secs / 1e6,
	    (double)p->states * (double)state_size / secs / 1e6);
}

static void
bench_read(const char *name, const char *path, int have_dumper)
{
	struct read_pass p, best;
	double own[READ_ROUNDS], dump[READ_ROUNDS];
	int nd = 0;
	char err[512], a[32], b[32], c[32], e[32], f[32];

	/* The state size, from the header. */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	struct trace_reader *t = trace_open(fd, err, sizeof err);
	if (t == NULL)
		die("%s: %s", path, err);
	size_t size = t->state_size;
	trace_close(t);
	close(fd);

	own_pass(path, &best);  /* warm the page cache */
	for (int r = 0; r < READ_ROUNDS; r++) {
		own_pass(path, &p);
		own[r] = p.secs;
		if (have_dumper) {
			double s = dumper_pass(path);
			if (s < 0) {
				failures++;
				have_dumper = 0;
			} else {
				dump[nd++] = s;
				if (s > 3.0)    /* slow: one round says enough */
					have_dumper = 0;
			}
		}
	}
	double own_s = median(own, READ_ROUNDS);
	char dn[32] = "";
	if (nd > 0 && nd < READ_ROUNDS)
		snprintf(dn, sizeof dn, " (%d round%s)", nd, nd > 1 ? "s" : "");
	printf("   %-10s %s frames, %s states, %s bytes on file, %s bytes "
	    "decompressed (%s bytes of state)\n", name,
	    commas((double)best.frames, a, sizeof a),
	    commas((double)best.states, b, sizeof b),
	    commas((double)best.payload, c, sizeof c),
	    commas((double)best.data, e, sizeof e),
	    commas((double)best.states * (double)size, f, sizeof f));
	read_row("trace_next", name, &best, own_s, size);
	if (nd > 0) {
		char label[48];
		snprintf(label, sizeof label, "dumper cat%s", dn);
		read_row(label, name, &best, median(dump, (size_t)nd), size);
	}
}

static void
bench_reading(const struct demo_result *d)
{
	int have = access(opt.dumper, X_OK) == 0;

	printf("\n3. Reading (medians of %d rounds; MB = 10^6 bytes; payload = "
	    "the decompressed records, state = frames x state size)\n",
	    READ_ROUNDS);
	if (!have)
		printf("   %s is not there (not built yet?): `dumper cat` not "
		    "measured, only the reader itself\n", opt.dumper);
	fflush(stdout);
	write_synthetic_trace(g.syn_trace);
	printf("   %-10s %-20s %8s %12s %10s %10s\n", "", "", "ms",
	    "frames/s", "payload", "state");
	printf("   %-10s %-20s %8s %12s %10s %10s\n", "", "", "", "", "MB/s",
	    "MB/s");
	if (d->ran)
		bench_read("demo", g.demo_trace, have);
	bench_read("1MiB x 1%", g.syn_trace, have);
	fflush(stdout);
}

/* --- main ------------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: bench-state [--game PATH] [--lib PATH] [--layout PATH]\n"
	    "                   [--dumper PATH]\n"
	    "\n"
	    "Measures what recording state costs a frame (synthetic states and\n"
	    "the demo game) against memcmp and zstd-1 baselines, and how fast\n"
	    "traces read back. Run from the repo root.\n"
	    "\n"
	    "  --game PATH    the game to record (default build/demo-game)\n"
	    "  --lib PATH     the hook library (default build/libhook.so)\n"
	    "  --layout PATH  the game's layout (default "
	    "demo-game/demo-game.layout.json)\n"
	    "  --dumper PATH  the trace dumper (default build/dumper)\n");
}

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
		else if (strcmp(a, "--dumper") == 0)
			opt.dumper = v;
		else
			bench_usage_error(usage);
	}
}

int
main(int argc, char **argv)
{
	char libabs[PATH_MAX], layoutabs[PATH_MAX], zstd[64];
	struct demo_result demo = { 0 };
	double t0 = now();

	bench_init("bench-state", cleanup);
	parse_args(argc, argv);
	check_paths(libabs, layoutabs); /* fail before the timed part */
	snprintf(zstd, sizeof zstd, ", zstd %s", ZSTD_versionString());
	bench_header("state capture, trace size and reading", zstd);
	make_dir();
	bench_synthetic();
	bench_demo(&demo);
	bench_reading(&demo);
	bench_cleanup();
	printf("\n  whole run %.1f s%s\n", now() - t0,
	    failures ? "; something failed to run (see above)" : "");
	return failures ? 1 : 0;
}
