#!/usr/bin/python3
"""bench-env-pixels: GameEnv.step with a picture observation, beside the
same step and picture asked of the game directly with Game.step(pixels=)
(the baseline), in the same run: build/demo-gfx headless (its own Xvfb,
software renderer), seeded, no-op action, one frame a step; the env
observes the picture alone (observe="pixels"), then the picture beside
the layout's paths (the Dict), against Game.step(1, pixels=) and
Game.step(1, raw=True, pixels=). At 84x84 grayscale and at full size
(640x480 RGB). The baseline runs in a process of its own (forked first,
serving timed rounds on demand), so that neither side's allocations
change the other's (a full picture is a fresh 900 KiB a step, whose
pages are faulted in when malloc hands it out by mmap); rounds alternate
between the two; figures are medians, ratios the median of the rounds'
ratios (this shared machine's load swings). Beside the rates, each
process's own CPU time a step (time.process_time: the Python side's
work)."""
import multiprocessing
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
import gamehook  # noqa: E402

B = os.path.join(ROOT, "build")
GFX = os.path.join(B, "demo-gfx")
LAYOUT = os.path.join(ROOT, "demo-gfx", "demo-gfx.layout.json")
ROUNDS = int(os.environ.get("BENCH_ENV_ROUNDS", "9"))
SECS = float(os.environ.get("BENCH_ENV_SECS", "1.0"))


def rate(fn, secs=SECS):
    """(calls a second, this process's CPU microseconds a call)."""
    n = 0
    t0 = time.perf_counter()
    c0 = time.process_time()
    while True:
        fn()
        n += 1
        t = time.perf_counter() - t0
        if t >= secs:
            return n / t, (time.process_time() - c0) * 1e6 / n


def baseline(pipe, pixels, raw):
    """The baseline's process: a Game stepped with its picture, a round
    each time it is asked."""
    g = gamehook.Game.launch([GFX], layout=LAYOUT, seed=1, headless=True,
                             terminal=False)
    try:
        for _ in range(60):
            g.step(1, raw=raw, pixels=pixels)
        pipe.send("ready")
        while pipe.recv() == "round":
            pipe.send(rate(lambda: g.step(1, raw=raw, pixels=pixels)))
    finally:
        g.close()


def pair(pixels, observe):
    """(env (steps/s, CPU us), Game's, ratios) over ROUNDS alternating
    rounds."""
    raw = observe is None
    here, there = multiprocessing.get_context("fork").Pipe()
    p = multiprocessing.get_context("fork").Process(
        target=baseline, args=(there, pixels, raw), daemon=True)
    p.start()
    env = None
    try:
        if here.recv() != "ready":
            sys.exit("bench-env-pixels: the baseline did not start")
        env = gamehook.GameEnv([GFX], layout=LAYOUT, seed=1, headless=True,
                               pixels=pixels, observe=observe)
        env.reset()
        for _ in range(60):
            env.step(0)
        es, gs, ratios = [], [], []
        for _ in range(ROUNDS):
            here.send("round")
            gr = here.recv()
            er = rate(lambda: env.step(0))
            gs.append(gr)
            es.append(er)
            ratios.append(er[0] / gr[0])
        return es, gs, ratios
    finally:
        here.send("stop")
        p.join()
        if env is not None:
            env.close()


def main():
    print("GameEnv.step on demo-gfx (headless, 1 frame a step, no-op) "
          "beside Game.step(1, pixels=) on another demo-gfx, %d alternating "
          "rounds of %g s" % (ROUNDS, SECS))
    print()
    print("| picture | observation | Game.step (baseline) | GameEnv.step | "
          "ratio (median of rounds) | its range | Python CPU a step: "
          "Game.step, GameEnv.step |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, px in (("84x84 gray", {"size": (84, 84), "gray": True}),
                     ("640x480 RGB", True)):
        for what, observe in (("pixels alone", "pixels"),
                              ("layout + pixels", None)):
            es, gs, rs = pair(px, observe)
            med = statistics.median
            print("| %s | %s | %.0f steps/s%s | %.0f steps/s | %.2f | "
                  "%.2f-%.2f | %.0f us, %.0f us |" % (
                      name, what, med(g[0] for g in gs),
                      " (raw=True)" if observe is None else "",
                      med(e[0] for e in es), med(rs), min(rs), max(rs),
                      med(g[1] for g in gs), med(e[1] for e in es)),
                  flush=True)


if __name__ == "__main__":
    main()
