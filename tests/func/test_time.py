"""One virtual clock for every thread: a worker thread's sleeps end when
enough virtual time has been stepped, the same at any speed; while stopped
no thread sees time pass; child processes of the game run untouched."""
import json
import os
import re
import time

from gh import DEMO, PROGS, Game, check, screen, status, wait_until


def worker_lines(g):
    return [l for l in g.text().splitlines() if l.startswith("worker")]


def test_worker_sleeps_follow_virtual_time():
    with Game([PROGS + "/worker-clock"], lockstep=True) as g:
        c = g.connect()
        c.ok("step 100")          # 100 frames of 10 ms: 1 s of game time
        g.wait_output(r"worker 40 at 1000")
        time.sleep(0.3)
        lines = worker_lines(g)
        check(len(lines) == 40, "%d worker wakes in 1 s of 25 ms sleeps" % len(lines))
        for i, l in enumerate(lines, 1):
            check(l == "worker %d at %d" % (i, 25 * i), "worker woke off time: %r" % l)


def test_worker_identical_at_speed_1_and_max():
    runs = []
    for sp in ("1", "max"):
        with Game([PROGS + "/worker-clock"], lockstep=True,
                  env={"HOOK_SPEED": sp}) as g:
            c = g.connect()
            c.ok("step 30")
            g.wait_output(r"frame 30 at 300")
            time.sleep(0.1)
            runs.append([l for l in g.text().splitlines() if l.startswith(("frame", "worker"))])
    check(runs[0] == runs[1], "speed 1 and max differ:\n%r\n%r" % tuple(runs))


def test_demo_worker_regen_follows_virtual_time():
    with Game([DEMO, "--seed", "5"], lockstep=True) as g:
        c = g.connect()
        r0 = status(screen(c))["regen"]
        c.ok("step 300")           # 300 ticks at 30 Hz: 10 s of game time
        r1 = status(screen(c))["regen"]
        check(r1 - r0 in (99, 100, 101), "regen rose %d in 10 s of game time" % (r1 - r0))
        time.sleep(0.5)
        check(status(screen(c))["regen"] == r1, "the worker woke while stopped")


def test_children_run_untouched():
    with Game([PROGS + "/child-spawn"], lockstep=True) as g:
        c = g.connect()
        c.ok("step 6")             # six sleeps of 1 s: children start at frames 3, 4
        m = g.wait_output(r"child (\d+) time (\d+)[\s\S]*child (\d+) time (\d+)")
        now = time.time()
        for pid, t in ((m.group(1), m.group(2)), (m.group(3), m.group(4))):
            check(abs(int(t) - now) < 5, "child %s saw time %s, real is %d" % (pid, t, now))
            check(not os.path.exists(os.path.join(g.dir, "%s.sock" % pid)), "child has a socket")
        frames = re.findall(r"frame (\d+) time (\d+)", g.text())
        t0 = int(frames[0][1])
        for f, t in frames:
            check(int(t) == t0 + int(f), "the game's own clock is virtual: %r" % (frames,))
        info = json.loads(c.ok("info"))
        check(info["pid"] == g.proc.pid, "the shim drives the game itself")


def test_hook_target_selects_the_process():
    # HOOK_TARGET naming another program leaves this one untouched.
    with Game([PROGS + "/worker-clock"], lockstep=True,
              env={"HOOK_TARGET": "no-such-game"}) as g:
        g.wait_output(r"frame 30 at")
        check(not os.path.exists(g.sock), "an untargeted process opened a socket")
    with Game([PROGS + "/worker-clock"], lockstep=True,
              env={"HOOK_TARGET": "worker-*"}) as g:
        c = g.connect()
        check(json.loads(c.ok("hello"))["mode"] == "lockstep", "targeted by glob")
