"""HOOK_SEED makes every source of randomness a game can reach
deterministic: rand, random, the rand48 family, getrandom, getentropy,
arc4random, and /dev/urandom read through open()+read() or fopen()+fread()
give byte-identical values in two runs with the same seed and different
values under another seed; without HOOK_SEED the kernel's sources stay
real (two runs differ) and libc's generators are exactly glibc's; a seed
the game gives itself (srand(getpid())) still changes its stream, and a
seeded game reads a fixed pid, which its kill() and sigqueue() reach; the
shim's own start-up (jansson seeding its hash from /dev/urandom) takes none
of the game's bytes; the game's descriptors on /dev/urandom are opened with
the flags it asked for and no others stay open; and other files, even on a
descriptor number a random device had, read their real content."""
import os
import re
import shutil
import subprocess
import tempfile

from gh import LIB, PROGS, Game, cc, check, shim_env

GAME = PROGS + "/rand-game"
LIBC_SOURCES = ["rand", "random", "drand48", "lrand48"]
KERNEL_SOURCES = ["getrandom", "getentropy", "arc4random", "read", "fread"]
SOURCES = LIBC_SOURCES + KERNEL_SOURCES


def run(args=(), seed=None, shim=True, extra=None, turns=20):
    """Run rand-game for TURNS turns; return its lines as dicts source ->
    value, one a turn."""
    d = tempfile.mkdtemp(prefix="gh-seed-")
    try:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("HOOK_") and k not in ("GAMEHOOK_OWNER", "LD_PRELOAD")}
        if shim:
            env.update(LD_PRELOAD=LIB, HOOK_SOCKET=os.path.join(d, "s.sock"),
                       HOOK_LOG=os.path.join(d, "log"))
        if seed is not None:
            env["HOOK_SEED"] = str(seed)
        env.update(extra or {})
        p = subprocess.run([GAME, str(turns)] + list(args), env=env,
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, "rand-game exited %d: %s" % (p.returncode, p.stderr))
        turns_out = []
        for line in p.stdout.splitlines():
            vals = dict(re.findall(r"(\w+)=([0-9a-f.]+)", line))
            check(all(s in vals for s in SOURCES), "a source is missing: %r" % line)
            turns_out.append(vals)
        if len(turns_out) != turns:
            log = ""
            if os.path.exists(os.path.join(d, "log")):
                with open(os.path.join(d, "log")) as f:
                    log = f.read()[-3000:]
            check(False, "%d lines for %d turns (exit %d)\nstdout:\n%s\nstderr:\n%s\n"
                  "shim log:\n%s" % (len(turns_out), turns, p.returncode,
                                     p.stdout[-3000:], p.stderr[-2000:], log))
        return turns_out
    finally:
        shutil.rmtree(d, ignore_errors=True)


def column(lines, source):
    return [l[source] for l in lines]


def check_varies(lines, what):
    """Each source gives a stream, not one value over and over, and none
    failed (rand-game prints ee.. for a failed call)."""
    for s in SOURCES:
        col = column(lines, s)
        check(len(set(col)) > len(col) // 2, "%s: %s repeats: %r" % (what, s, col))
        check(not any(re.fullmatch(r"(ee)+", v) for v in col),
              "%s: %s failed: %r" % (what, s, col))


def test_same_seed_same_stream():
    a = run(seed=7)
    b = run(seed=7)
    check_varies(a, "HOOK_SEED=7")
    for s in SOURCES:
        check(column(a, s) == column(b, s), "%s differs between two runs with "
              "HOOK_SEED=7:\n%r\n%r" % (s, column(a, s), column(b, s)))


def test_other_seed_other_stream():
    a = run(seed=7)
    b = run(seed=8)
    check_varies(b, "HOOK_SEED=8")
    for s in SOURCES:
        same = [i for i, (x, y) in enumerate(zip(column(a, s), column(b, s))) if x == y]
        check(not same, "%s gives the same values under HOOK_SEED 7 and 8 at "
              "turns %r" % (s, same))
    # The seed is a 64-bit number: the high bits count.
    c = run(seed=7 + (1 << 40))
    for s in SOURCES:
        check(column(a, s) != column(c, s), "%s ignores the seed's high bits" % s)


def test_unseeded_stays_real():
    a = run()
    b = run()
    bare = run(shim=False)
    check_varies(a, "no HOOK_SEED")
    for s in KERNEL_SOURCES:
        same = [i for i, (x, y) in enumerate(zip(column(a, s), column(b, s))) if x == y]
        check(not same, "without HOOK_SEED %s repeats across runs at turns %r"
              % (s, same))
    # A game that never seeds libc's generators gets glibc's own streams.
    for s in LIBC_SOURCES:
        check(column(a, s) == column(bare, s), "without HOOK_SEED the shim "
              "changed %s:\n%r\n%r" % (s, column(a, s), column(bare, s)))
    # And HOOK_SEED does change them.
    seeded = run(seed=7)
    for s in LIBC_SOURCES:
        check(column(seeded, s) != column(bare, s), "HOOK_SEED left %s as "
              "glibc's default" % s)


def test_game_seed_still_mixed():
    # srand(getpid()): the game's own seed still mixes in (its stream is
    # not the one it gets without srand), and since a seeded game reads a
    # fixed pid, the same HOOK_SEED repeats it and another seed changes it.
    a = run(["--srand-pid"], seed=7)
    b = run(["--srand-pid"], seed=7)
    other = run(["--srand-pid"], seed=8)
    plain = run(seed=7)
    for s in ("rand", "random"):
        check(column(a, s) == column(b, s), "srand(getpid()) varies under one "
              "seed for %s" % s)
        check(column(a, s) != column(plain, s), "srand's seed was ignored by %s" % s)
        check(column(a, s) != column(other, s), "another seed, the same pid, "
              "the same %s" % s)
    for s in ["drand48", "lrand48"] + KERNEL_SOURCES:
        check(column(a, s) == column(b, s), "%s is not the seed's with "
              "--srand-pid" % s)


def test_seeded_pid_is_fixed_and_reaches_the_game():
    # The game's getpid() under HOOK_SEED is the fixed id above the kernel's
    # largest pid, and kill() of it reaches the game itself (SIGUSR1 to
    # itself with a handler: the program prints that it arrived).
    src = r"""
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
static volatile sig_atomic_t got;
static void on(int s) { (void)s; got = 1; }
int main(void) {
    signal(SIGUSR1, on);
    pid_t p = getpid();
    int k = kill(p, SIGUSR1);
    union sigval v = { .sival_int = 5 };
    int q = sigqueue(p, SIGUSR1, v);
    printf("pid %d kill %d sigqueue %d got %d real-ish %d\n", (int)p, k, q, (int)got,
           p == (pid_t)getppid());
    return 0;
}
"""
    d = tempfile.mkdtemp(prefix="gh-pid-")
    try:
        exe = cc(d, "pid", src)
        outs = []
        for seed in (7, 7, 8, None):
            env = shim_env(d, **({"HOOK_SEED": str(seed)} if seed is not None else {}))
            p = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=30)
            check(p.returncode == 0, "exit %d %s" % (p.returncode, p.stderr))
            outs.append(p.stdout)
        check(outs[0] == outs[1] == "pid %d kill 0 sigqueue 0 got 1 real-ish 0\n"
              % (4194305 + 7), repr(outs))
        check(outs[2].startswith("pid %d kill 0" % (4194305 + 8)), repr(outs[2]))
        check(int(outs[3].split()[1]) < 4194305, "unseeded: %r" % outs[3])
    finally:
        shutil.rmtree(d, ignore_errors=True)


MASK = (1 << 64) - 1


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & MASK
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & MASK
    return z ^ (z >> 31)


def stream_block(seed, i):
    """Block I (8 bytes, little-endian) of HOOK_SEED's stream: splitmix64
    keyed by the seed (shim/seed.c)."""
    key = mix64(seed ^ 0x73656564)
    return ((mix64((key + (i + 1) * 0x9e3779b97f4a7c15) & MASK))
            .to_bytes(8, "little").hex())


def test_shim_start_takes_no_game_bytes():
    # Before main() the shim builds its state description with jansson,
    # which seeds its hashes from /dev/urandom unless the shim seeded it
    # first: the game's first draws must be the stream's first bytes, with
    # a layout or without. rand-game's first turn draws getrandom (block
    # 0), getentropy (1), arc4random (2), read (3), then fread (4, and on:
    # stdio reads a buffer ahead).
    d = tempfile.mkdtemp(prefix="gh-seed-")
    try:
        layout = os.path.join(d, "l.json")
        with open(layout, "w") as f:
            f.write('{"gamehook_layout": 1, "fields": {"x": {"symbol": "main", '
                    '"type": "<u4"}, "y": {"symbol": "main", "type": "<u2"}}}\n')
        for extra in (None, {"HOOK_LAYOUT": layout}):
            t = run(seed=7, extra=extra, turns=1)
            want = {"getrandom": stream_block(7, 0), "getentropy": stream_block(7, 1),
                    "arc4random": stream_block(7, 2)[:8], "read": stream_block(7, 3),
                    "fread": stream_block(7, 4)}
            want["arc4random"] = "%08x" % int.from_bytes(bytes.fromhex(want["arc4random"]),
                                                         "little")
            got = {s: t[0][s] for s in want}
            check(got == want, "the game's first draws (layout %r) are not the "
                  "stream's first bytes:\n%r\n%r" % (extra, got, want))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def urandom_fds(pid):
    """(fd, close-on-exec) of each descriptor of PID open on /dev/urandom."""
    out = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            info = open("/proc/%d/fdinfo/%s" % (pid, fd)).read()
        except OSError:
            continue
        if target == "/dev/urandom":
            flags = int(re.search(r"flags:\s*([0-7]+)", info).group(1), 8)
            out.append((int(fd), bool(flags & 0o2000000), flags & 3))
    return sorted(out)


def test_random_fds_as_the_game_asked():
    # rand-game opens /dev/urandom with open(O_RDONLY) and fopen("re"),
    # then stops at its first frame (lockstep): the same descriptors, with
    # the same flags, with HOOK_SEED as without.
    seen = {}
    for seed in (None, "7"):
        with Game([GAME, "5"], lockstep=True,
                  env={"HOOK_SEED": seed} if seed else None) as g:
            # The descriptors are open once turn 0 is drawn; connect only
            # then, or the control thread's accept() of this connection
            # may take a number first (9 and 10 instead of 8 and 9).
            g.wait_output(r"turn 0 ")
            seen[seed] = urandom_fds(g.proc.pid)
            g.connect()
    check(seen[None] == seen["7"], "descriptors differ with HOOK_SEED: %r" % seen)
    check([(c, m) for _, c, m in seen["7"]] == [(False, 0), (True, 0)],
          "expected open()'s inheritable and fopen(\"re\")'s close-on-exec "
          "read-only descriptors: %r" % seen["7"])


def test_other_files_read_real_content():
    d = tempfile.mkdtemp(prefix="gh-seed-")
    try:
        path = os.path.join(d, "hostname")
        with open(path, "w") as f:
            f.write("real-content-42\n")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("HOOK_") and k not in ("GAMEHOOK_OWNER", "LD_PRELOAD")}
        env.update(LD_PRELOAD=LIB, HOOK_SOCKET=os.path.join(d, "s.sock"),
                   HOOK_LOG=os.path.join(d, "log"), HOOK_SEED="7")
        p = subprocess.run([GAME, "--cat", path], env=env, capture_output=True,
                           text=True, timeout=60)
        check(p.returncode == 0, "rand-game --cat exited %d: %s" % (p.returncode, p.stderr))
        m = re.search(r"fd (\d+) then (\d+) cat=(.*)\n", p.stdout)
        check(m and m.group(3) == "real-content-42", "open()+read() of a file "
              "under HOOK_SEED: %r" % p.stdout)
        check(m.group(1) == m.group(2), "the file did not reuse the random "
              "descriptor's number: %r" % p.stdout)
        # Closed inside libc (fclose of fdopen), then a pipe on the number.
        m = re.search(r"fd (\d+) then (\d+) pipe=(.*)\n", p.stdout)
        check(m and m.group(3) == "piped", "a pipe on a former random "
              "descriptor: %r" % p.stdout)
        check(m.group(1) == m.group(2), "the pipe did not reuse the random "
              "descriptor's number: %r" % p.stdout)
    finally:
        shutil.rmtree(d, ignore_errors=True)
