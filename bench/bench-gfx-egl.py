#!/usr/bin/python3
"""bench-gfx-egl: EGL and a presenter on another thread beside GLX on the
main thread, on a private Xvfb with Mesa's software OpenGL. Three test
games drawing the same kind of 160x120 picture and sleeping 16 ms a frame:
glx-game (GLX, main thread: the baseline), egl-game (EGL and OpenGL ES,
main thread) and gl-thread-game (GLX from a render thread that took the
frames over, its main thread sleeping 30 ms at a time on the virtual
clock). Steps a second in lockstep at speed max over the binary protocol
(the Python client), one frame a step, bare and with the full picture
as an observation; medians of 5 rounds of 200 steps, rounds alternating
between the games."""
import json
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.join(ROOT, "python"))
import xshot  # noqa: E402
from gh import Game, wait_until  # noqa: E402
import gamehook  # noqa: E402

T = os.path.join(ROOT, "build", "tests")
GAMES = [("glx-game (GLX, main)", [os.path.join(T, "glx-game")]),
         ("egl-game (EGL, main)", [os.path.join(T, "egl-game")]),
         ("gl-thread-game (GLX, render thread)", [os.path.join(T, "gl-thread-game")])]
ROUNDS = 5
STEPS = 200


def steps_per_s(env, argv, pixels):
    with Game(argv, env=env, lockstep=True) as g:
        c = g.connect()
        if argv[0].endswith("gl-thread-game"):
            # The render thread takes the frames at its first picture.
            pid = json.loads(c.ok("info"))["pid"]
            wait_until(lambda: json.loads(c.ok("info"))["frame_tid"] not in (0, pid),
                       60, "the render thread to take the frames")
        with gamehook.Game(g.sock) as p:
            p.step(10)
            t0 = time.perf_counter()
            for _ in range(STEPS):
                p.step(1, pixels=pixels)
            return STEPS / (time.perf_counter() - t0)


TMP = tempfile.mkdtemp(prefix="gh-bench-egl-")
with xshot.Xvfb(TMP) as x:
    kinds = [("bare", None), ("160x120 RGB", True)]
    rates = {(g, k): [] for g, _ in GAMES for k, _ in kinds}
    for _ in range(ROUNDS):
        for g, argv in GAMES:
            for k, px in kinds:
                rates[(g, k)].append(steps_per_s(x.env, argv, px))
    med = {gk: statistics.median(v) for gk, v in rates.items()}
    base = GAMES[0][0]
    print("bench-gfx-egl: 160x120 test games, lockstep, one frame a step "
          "(medians of %d x %d steps)" % (ROUNDS, STEPS))
    for g, _ in GAMES:
        for k, _ in kinds:
            print("  %-36s %-12s %6.0f steps/s  (%.2fx %s)" % (
                g, k, med[(g, k)], med[(g, k)] / med[(base, k)],
                "glx-game" if g != base else "itself"))
