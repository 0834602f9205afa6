#!/usr/bin/python3
"""bench-screen: what the emulated screen costs.

1. Per frame: the demo game (curses, writes with write()) and esc-game
   (printf escape codes, stdio hooks) in lockstep at speed max, stepped 300
   frames at a time over the text protocol, with the emulator (the default)
   against HOOK_SCREEN=0 (the output hooks look no further, nothing is
   interpreted); rounds alternate, medians of 7. The difference is what
   taking and interpreting the game's output costs a frame; `info` gives
   the bytes the game wrote a frame.
2. `screen` and `screen --attrs`: round trips a second on a stopped demo.
3. Traces: bytes a frame of the demo's 3,000-frame trace (its layout)
   with and without the screen's rows (HOOK_TRACE_SCREEN=1)."""
import json
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from gh import Game  # noqa: E402

B = os.path.join(ROOT, "build")
DEMO = os.path.join(B, "demo-game")
ESC = os.path.join(B, "tests", "esc-game")
LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")
ROUNDS = 7
STEP = 300


def per_frame(argv, on):
    env = {"HOOK_SPEED": "max", "HOOK_SCREEN": "1" if on else "0"}
    with Game(argv, env=env, lockstep=True) as g:
        c = g.connect()
        c.ok("step 30")
        info0 = json.loads(c.ok("info"))["terminal"]
        t0 = time.perf_counter()
        c.ok("step %d" % STEP)
        dt = time.perf_counter() - t0
        info1 = json.loads(c.ok("info"))["terminal"]
        return dt / STEP * 1e6, (info1["bytes"] - info0["bytes"]) / STEP


def frames():
    print("| game | frame, HOOK_SCREEN=0 | frame, emulated | the screen's cost | bytes written a frame |")
    print("| --- | --- | --- | --- | --- |")
    for name, argv in (("demo-game (curses, write)", [DEMO]),
                       ("esc-game (printf, stdio hooks)", [ESC])):
        off, on, nbytes = [], [], []
        for _ in range(ROUNDS):
            off.append(per_frame(argv, False)[0])
            us, nb = per_frame(argv, True)
            on.append(us)
            nbytes.append(nb)
        a, b = statistics.median(off), statistics.median(on)
        print("| %s | %.1f µs | %.1f µs | %.1f µs | %.0f |" % (
            name, a, b, b - a, statistics.median(nbytes)))


def replies():
    with Game([DEMO], lockstep=True) as g:
        c = g.connect()
        c.ok("step 60")
        for cmd in ("screen", "screen --attrs"):
            n = 0
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < 1.0:
                c.ok(cmd)
                n += 1
            dt = time.perf_counter() - t0
            print("| `%s` | %.0f a second | %d bytes |" % (cmd, n / dt,
                  len(c.ok(cmd))))


def traces():
    tmp = tempfile.mkdtemp(prefix="gh-bench-screen-")
    sizes = {}
    for screen in ("0", "1"):
        path = os.path.join(tmp, "t%s.trace" % screen)
        env = {"HOOK_LAYOUT": LAYOUT, "HOOK_TRACE": path, "HOOK_SEED": "1",
               "HOOK_TRACE_SCREEN": screen}
        with Game([DEMO], env=env, lockstep=True) as g:
            c = g.connect()
            c.ok("step 3000")
            c.ok("key right right space")
            stop = json.loads(c.ok("trace stop"))
        sizes[screen] = stop["bytes"] / stop["frames"]
        os.unlink(path)
    os.rmdir(tmp)
    print("| demo trace, state only | %.0f bytes a frame |" % sizes["0"])
    print("| demo trace, with the screen | %.0f bytes a frame |" % sizes["1"])


if __name__ == "__main__":
    frames()
    print()
    replies()
    print()
    traces()
