"""A game that calls the kernel by number through libc's syscall() (the
clock, sleep, random and pid numbers) gets what the named functions give
under the shim: a 5 s SYS_nanosleep at speed max passes 5 virtual seconds
at once, SYS_clock_gettime reads the virtual clock, SYS_time the seeded
wall clock, SYS_getrandom the seeded stream and SYS_getpid the seeded
pid; two seeded runs print the same, another seed differs, other numbers
reach the kernel (SYS_getppid), and without the shim the program sees the
real kernel (a real second for a 1 s sleep)."""
import os
import subprocess
import tempfile
import time

from gh import cc, check, shim_env

SRC = r"""
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
    struct timespec a, b, s = { argc > 1 ? atoi(argv[1]) : 5, 0 };
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a);
    long r = syscall(SYS_nanosleep, &s, NULL);
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b);
    unsigned char buf[4];
    syscall(SYS_getrandom, buf, 4, 0);
    printf("slept %ld r %ld pid %ld rand %02x%02x%02x%02x time %ld ppid-ok %d\n",
           (long)(b.tv_sec - a.tv_sec), r, syscall(SYS_getpid),
           buf[0], buf[1], buf[2], buf[3], (long)syscall(SYS_time, NULL),
           syscall(SYS_getppid) == (long)getppid());
    return 0;
}
"""


def _run(exe, d, seed=None, shim=True, arg="5"):
    if shim:
        env = shim_env(d, HOOK_SPEED="max",
                       **({"HOOK_SEED": str(seed)} if seed is not None else {}))
    else:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("HOOK_") and k not in ("GAMEHOOK_OWNER", "LD_PRELOAD")}
    t0 = time.monotonic()
    p = subprocess.run([exe, arg], env=env, capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, "exit %d: %s" % (p.returncode, p.stderr))
    return p.stdout, time.monotonic() - t0


def test_raw_syscalls_go_through_the_shim():
    with tempfile.TemporaryDirectory() as d:
        exe = cc(d, "raw", SRC)
        a, real = _run(exe, d, seed=4)
        b, _ = _run(exe, d, seed=4)
        other, _ = _run(exe, d, seed=5)
        check(a == b, "one seed, two runs:\n%s%s" % (a, b))
        f = a.split()
        check(f[1] == "5" and f[3] == "0" and f[-1] == "1", a)
        check(real < 4.0, "a 5 s SYS_nanosleep at speed max took %.1f s" % real)
        check(int(f[5]) == 4194305 + 4, "pid %s" % f[5])
        # 2026-01-01T00:00:00Z plus the 5 virtual seconds slept.
        check(int(f[9]) == 1767225600 + 5, "time %s" % f[9])
        check(other.split()[7] != f[7], "another seed, the same random bytes")
        plain, real = _run(exe, d, shim=False, arg="1")
        check(plain.split()[1] == "1" and real >= 0.9,
              "without the shim: %r in %.2f s" % (plain, real))
