"""Under HOOK_SEED a large new block (128 KiB or more) holds zeros however
glibc served it: after the game frees a large mapped block (which raises
glibc's mmap threshold), a 1 MiB block from malloc, posix_memalign,
aligned_alloc or memalign comes from the heap, where a block freed before
left its bytes; seeded, it reads all zeros, as a block fresh from the
kernel does (before, it held the freed block's bytes: Mesa's back buffer
showed a freed image in lbreakouthd's first picture in some runs, black
in others). Without HOOK_SEED the same program sees the old bytes (the
program really recycles memory, so the seeded check can fail), and a
small block keeps its old bytes seeded too (only large blocks pay the
memset)."""
import re
import shutil
import subprocess
import tempfile

from gh import cc, check, shim_env

SOURCE = r"""
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIG (1 << 20)
#define SMALL 4096

static size_t
nonzero(const unsigned char *p, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += p[i] != 0;
	return k;
}

/* Fill a block a little larger than N bytes and free it, then get N
 * bytes from WAY (glibc serves them from the freed block's memory): how
 * many of the new block's bytes are not zero. */
static void
recycle(const char *way, size_t n)
{
	void *p = malloc(n + 256);
	if (p == NULL)
		exit(1);
	memset(p, 0xaa, n + 256);
	free(p);
	p = NULL;
	if (strcmp(way, "malloc") == 0)
		p = malloc(n);
	else if (strcmp(way, "posix_memalign") == 0) {
		if (posix_memalign(&p, 64, n) != 0)
			p = NULL;
	} else if (strcmp(way, "aligned_alloc") == 0)
		p = aligned_alloc(64, n);
	else
		p = memalign(64, n);
	if (p == NULL) {
		printf("%s failed\n", way);
		exit(1);
	}
	printf("%s %zu nonzero %zu\n", way, n, nonzero(p, n));
	free(p);
}

int
main(void)
{
	recycle("malloc", SMALL);
	/* A mapped block freed: glibc raises its mmap threshold past it. */
	char *m = malloc(4 << 20);
	memset(m, 1, 4 << 20);
	free(m);
	const char *ways[] = { "malloc", "posix_memalign", "aligned_alloc",
	    "memalign" };
	for (int i = 0; i < 4; i++)
		recycle(ways[i], BIG);
	return 0;
}
"""


def run(seed):
    """The program's counts of non-zero bytes: {(way, size): count}."""
    d = tempfile.mkdtemp(prefix="gh-seedalloc-")
    try:
        exe = cc(d, "recycle", SOURCE, "-O0")
        env = shim_env(d, HOOK_SEED=str(seed)) if seed is not None else \
            shim_env(d)
        p = subprocess.run([exe], env=env, capture_output=True, text=True,
                           timeout=60)
        check(p.returncode == 0, "exit %d: %s %s" % (p.returncode, p.stdout,
                                                     p.stderr))
        got = {(w, int(n)): int(k) for w, n, k in
               re.findall(r"(\w+) (\d+) nonzero (\d+)", p.stdout)}
        check(len(got) == 5, "output: %r" % p.stdout)
        return got
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_unseeded_blocks_hold_old_bytes():
    got = run(None)
    # The freed block's 0xaa bytes, but for glibc's own words at its head.
    check(all(k > 1000 for k in got.values()), got)


def test_seeded_large_blocks_come_zeroed():
    got = run(7)
    big = {w: k for (w, n), k in got.items() if n == 1 << 20}
    check(len(big) == 4 and all(k == 0 for k in big.values()),
          "seeded, a recycled 1 MiB block held old bytes: %r" % got)
    check(got[("malloc", 4096)] > 1000,
          "a small block was zeroed too: %r" % got)
