#!/usr/bin/python3
"""bench-seed-alloc: what zeroing a seeded game's large new blocks costs.

A program under the shim (running free, no controller) raises glibc's
mmap threshold by freeing a 4 MiB mapped block, then takes, fills (as a
game fills its buffer) and frees a 1 MiB block 2,000 times (each from
the heap, the same memory), and a 64 KiB block as many times (below the
128 KiB the shim zeroes from). Run under HOOK_SEED (the 1 MiB block
zeroed before the fill) and without (glibc's block as it is), and, as
the block fresh from the kernel it stands for, without HOOK_SEED and
with the mmap threshold fixed (mallopt: each 1 MiB block mapped, its
pages faulted in by the fill); rounds alternate; the
figures are medians of the loops' times, read with the clock_gettime
system call made by the syscall instruction itself (the shim makes the
clocks of libc and the vDSO virtual, not that)."""
import atexit
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from gh import cc, shim_env  # noqa: E402

ROUNDS = 7
COUNT = 2000

SOURCE = r"""
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

static double
now(void)
{
	struct timespec t;
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"((long)SYS_clock_gettime),
	    "D"((long)CLOCK_MONOTONIC), "S"(&t) : "rcx", "r11", "memory");
	(void)r;
	return t.tv_sec + t.tv_nsec / 1e9;
}

static double
loop(size_t n, int count)
{
	double t0 = now();
	for (int i = 0; i < count; i++) {
		char *p = malloc(n);
		if (p == NULL)
			exit(1);
		memset(p, i, n);
		__asm__ volatile("" : : "r"(p) : "memory");
		free(p);
	}
	return now() - t0;
}

int
main(int argc, char **argv)
{
	int count = atoi(argv[1]);
	if (argc > 2)
		mallopt(M_MMAP_THRESHOLD, 128 << 10);
	char *m = malloc(4 << 20);
	memset(m, 1, 4 << 20);
	free(m);
	double big = loop(1 << 20, count);
	double small = loop(64 << 10, count);
	printf("big %.9f small %.9f\n", big, small);
	return 0;
}
"""


def main():
    d = tempfile.mkdtemp(prefix="gh-bench-seedalloc-")
    atexit.register(shutil.rmtree, d, True)
    exe = cc(d, "alloc", SOURCE, "-O2")
    times = {"seeded": [], "unseeded": [], "mapped": []}
    for _ in range(ROUNDS):
        for mode in times:
            env = shim_env(d, HOOK_SEED="1") if mode == "seeded" else \
                shim_env(d)
            out = subprocess.run([exe, str(COUNT)] + (
                ["map"] if mode == "mapped" else []), env=env, check=True,
                capture_output=True, text=True).stdout
            big, small = map(float, re.findall(r"[\d.]+", out))
            times[mode].append((big, small))
    med = {m: (statistics.median(b for b, _ in t),
               statistics.median(s for _, s in t)) for m, t in times.items()}
    print("bench-seed-alloc: %d blocks, medians of %d rounds" % (COUNT, ROUNDS))
    for i, name in enumerate(("1 MiB", "64 KiB")):
        u, s, m = (med[k][i] for k in ("unseeded", "seeded", "mapped"))
        print("  %-6s block, filled: %8.0f ns unseeded, %8.0f ns seeded "
              "(%.2fx), %8.0f ns mapped fresh (%.2fx)" %
              (name, u / COUNT * 1e9, s / COUNT * 1e9, s / u,
               m / COUNT * 1e9, m / u))


if __name__ == "__main__":
    main()
