/* bench-scan.c: what the memory scan's passes cost, beside a plain pass
 * over the same memory (reading every byte once: a sum of its 64-bit
 * words), measured in the same run, round by round.
 *
 * The memory: 16 MiB, 256 MiB and 1 GiB of int32 values from 0 to 999 (as
 * game state looks), one region. A frame's writes ("churn"): 1% of the
 * pages (0.1% and 10% for the last four rows), each getting 64 new
 * values. Each round, timed apart:
 *   plain pass         the baseline
 *   start i32 500      the first pass with a value (ends as a list)
 *   start i32          the first pass without one (keeps a copy)
 *   changed            after a frame's writes: every page read (bitmap)
 *   unchanged (list)   after another frame's, on the list that is left
 *   changed, tracked   the same `changed` after a fresh start, with a
 *                      tracker that knows which pages were written (what
 *                      page-level write tracking will give the shim):
 *                      the pages not written are not read
 *   changed at 0.1% and 10%, untracked and tracked: the same two passes
 *                      after a frame writing 0.1% and 10% of the pages
 * Figures are medians over rounds; ratios are medians of per-round ratios
 * to the plain pass. `--max-mib N` leaves out larger sizes. The exit
 * status is non-zero only when something failed to run. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../shim/scan.h"
#include "benchlib.h"

#define MIB ((size_t)1 << 20)
#define PAGE 4096
#define ROWS 10

static const char *const row_name[ROWS] = {
	"plain pass (baseline)", "start i32 500", "start i32 (no value)",
	"changed", "unchanged (list)", "changed, tracked",
	"changed, 0.1% churn", "changed, tracked, 0.1% churn",
	"changed, 10% churn", "changed, tracked, 10% churn",
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* The pages the last churn wrote, for the tracker. */
static uint8_t *dirty;
static uintptr_t base;

static uint64_t
bench_mark(int exact)
{
	(void)exact;
	return 0;
}

static int
bench_written(uintptr_t lo, uintptr_t hi, uint64_t since, uint8_t *out)
{
	(void)since;
	memcpy(out, dirty + (lo - base) / PAGE, (hi - lo) / PAGE);
	return 1;
}

/* A frame's writes to PER_MILLE of the pages. */
static void
churn(int32_t *mem, size_t pages, int per_mille)
{
	memset(dirty, 0, pages);
	for (size_t n = 0; n < pages * (size_t)per_mille / 1000; n++) {
		size_t pg = next() % pages;
		dirty[pg] = 1;
		for (int k = 0; k < 64; k++)
			mem[pg * (PAGE / 4) + next() % (PAGE / 4)] =
			    (int32_t)(next() % 1000);
	}
}

static volatile uint64_t sink;

static double
plain_pass(const uint64_t *w, size_t n)
{
	int64_t t = now_ns();
	uint64_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += w[i];
	sink = s;
	return (double)(now_ns() - t);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: bench-scan [--max-mib N]\n");
}

static void
fmt_ns(double ns, char *buf, size_t len)
{
	if (ns >= 1e9)
		snprintf(buf, len, "%.2f s", ns / 1e9);
	else if (ns >= 1e6)
		snprintf(buf, len, "%.1f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.0f µs", ns / 1e3);
}

int
main(int argc, char **argv)
{
	static const size_t sizes[] = { 16, 256, 1024 };
	static const int rounds_of[] = { 7, 5, 3 };
	static const struct scan_tracker tracker = { bench_mark, bench_written };
	size_t max_mib = 1024;
	char err[512];
	struct scan_stats st;

	bench_init("bench-scan", NULL);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--max-mib") == 0)
			max_mib = (size_t)atol(bench_option(argc, argv, &i, usage));
		else
			bench_usage_error(usage);
	}
	bench_header("bench-scan: the memory scan's passes beside a plain pass",
	    "\n  int32 values 0..999; a frame writes 64 values in each of 1% of "
	    "the pages\n  (0.1% and 10% where the row says)\n");
	printf("| memory | pass | median | / plain pass | candidates after |\n");
	printf("| --- | --- | --- | --- | --- |\n");
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		if (sizes[s] > max_mib)
			continue;
		size_t bytes = sizes[s] * MIB, pages = bytes / PAGE;
		int rounds = rounds_of[s];
		int32_t *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		dirty = malloc(pages);
		if (mem == MAP_FAILED || dirty == NULL)
			die("no memory for %zu MiB", sizes[s]);
		base = (uintptr_t)mem;
		for (size_t i = 0; i < bytes / 4; i++)
			mem[i] = (int32_t)(next() % 1000);
		struct scan_region reg = { (uintptr_t)mem, (uintptr_t)mem + bytes };
		double t[ROWS][8], ratio[ROWS][8];
		uint64_t left[ROWS] = { 0 };

		for (int r = 0; r < rounds; r++) {
			int64_t t0;
			t[0][r] = plain_pass((const uint64_t *)(void *)mem,
			    bytes / 8);
#define TIMED(row, call) do { \
	t0 = now_ns(); \
	if ((call) != 0) \
		die("%s: %s", row_name[row], err); \
	t[row][r] = (double)(now_ns() - t0); \
	left[row] = st.candidates; \
} while (0)
			TIMED(1, scan_start(SCAN_I32, "500", &reg, 1, &st, err,
			    sizeof err));
			TIMED(2, scan_start(SCAN_I32, NULL, &reg, 1, &st, err,
			    sizeof err));
			churn(mem, pages, 10);
			TIMED(3, scan_narrow(SCAN_CHANGED, NULL, NULL, &reg, 1, &st,
			    err, sizeof err));
			churn(mem, pages, 10);
			TIMED(4, scan_narrow(SCAN_UNCHANGED, NULL, NULL, &reg, 1, &st,
			    err, sizeof err));
			if (scan_start(SCAN_I32, NULL, &reg, 1, &st, err,
			    sizeof err) != 0)
				die("start: %s", err);
			scan_set_tracker(&tracker);
			churn(mem, pages, 10);
			TIMED(5, scan_narrow(SCAN_CHANGED, NULL, NULL, &reg, 1, &st,
			    err, sizeof err));
			scan_set_tracker(NULL);
			/* The full path and the tracked one at 0.1% and 10%:
			 * each from a fresh start without a value. */
			static const int per_mille[2] = { 1, 100 };
			for (int c = 0; c < 2; c++)
				for (int tracked = 0; tracked < 2; tracked++) {
					int row = 6 + 2 * c + tracked;
					if (scan_start(SCAN_I32, NULL, &reg, 1, &st, err,
					    sizeof err) != 0)
						die("start: %s", err);
					scan_set_tracker(tracked ? &tracker : NULL);
					churn(mem, pages, per_mille[c]);
					TIMED(row, scan_narrow(SCAN_CHANGED, NULL, NULL, &reg,
					    1, &st, err, sizeof err));
					scan_set_tracker(NULL);
				}
			scan_stop();
			for (int k = 1; k < ROWS; k++)
				ratio[k][r] = t[k][r] / t[0][r];
		}
		for (int k = 0; k < ROWS; k++) {
			char a[32], b[32], c[32];
			fmt_ns(median(t[k], (size_t)rounds), a, sizeof a);
			if (k == 0)
				snprintf(b, sizeof b, "1");
			else
				snprintf(b, sizeof b, "%.2f",
				    median(ratio[k], (size_t)rounds));
			printf("| %zu MiB | %s | %s | %s | %s |\n", sizes[s],
			    row_name[k], a, b, k ? commas((double)left[k], c,
			    sizeof c) : "");
		}
		fflush(stdout);
		munmap(mem, bytes);
		free(dirty);
	}
	return 0;
}
