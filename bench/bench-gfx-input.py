#!/usr/bin/python3
"""bench-gfx-input: what handing input to a graphical game costs.

tests/progs/sdl2-input --quiet (an SDL2 game: SDL_PollEvent, the keyboard,
modifier and mouse state, SDL_UpdateWindowSurface, SDL_Delay; 320x240 on a
private Xvfb) in lockstep at speed max, its frames ending at SDL_Delay,
stepped 1,500 frames at a time over the text protocol: with nothing queued
(the baseline), and with a key tap every frame (its press, its text and the
release of the one before: three SDL events a frame), queued before the
step. Rounds alternate, medians of 9; the difference
over the events delivered is what one event costs the game's frame
(SDL_PushEvent through the shim's filter, the state kept, the game's own
SDL_PollEvent of it)."""
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import xshot  # noqa: E402
from gh import Game  # noqa: E402

GAME = os.path.join(ROOT, "build", "tests", "sdl2-input")
ROUNDS = 9
FRAMES = 1500


def one(x, with_input):
    env = dict(x.env, HOOK_FRAME="nanosleep", HOOK_SPEED="max",
               SDL_AUDIODRIVER="dummy")
    with Game([GAME, "--quiet"], env=env, lockstep=True) as g:
        g.wait_output("ready", 60)
        c = g.connect()
        c.ok("step 30")
        if with_input:
            for i in range(0, FRAMES, 60):
                c.ok("key " + " ".join(["a"] * 60))
        t0 = time.perf_counter()
        c.ok("step %d" % FRAMES)
        return (time.perf_counter() - t0) / FRAMES * 1e6


def main():
    with tempfile.TemporaryDirectory(prefix="gh-bench-gfx-input-") as tmp, \
            xshot.Xvfb(tmp) as x:
        base, inj = [], []
        for _ in range(ROUNDS):
            base.append(one(x, False))
            inj.append(one(x, True))
    a, b = statistics.median(base), statistics.median(inj)
    events = 3   # a tap's press and text, the release of the one before
    print("| | |")
    print("| --- | --- |")
    print("| frame, no input (baseline) | %.1f µs |" % a)
    print("| frame, 3 SDL events injected | %.1f µs (%.2fx) |" % (b, b / a))
    print("| an injected event | %.1f µs |" % ((b - a) / events))


if __name__ == "__main__":
    main()
