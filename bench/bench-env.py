#!/usr/bin/python3
"""bench-env: what the Python environments cost, beside baselines measured
in the same run (rounds alternate; figures are medians, ratios the median
of the rounds' ratios, since this shared machine's load swings).

1. GameEnv.step (the demo game, its layout's 48 arrays decoded from the
   blob each step, no-op action) beside the C client: bench-step's `step`
   round trips over the text protocol, from build/bench-client (the same
   client, serving rounds on demand so the two alternate every half
   second, 15 rounds each). Goal: at least 0.7 of the C client.
2. VectorEnv of 2, 4 and 8 demo games (random actions, the whole Dict
   observation batched) in game steps a second, beside one GameEnv and
   beside a process per game in the manner of Gymnasium's AsyncVectorEnv:
   a worker process per game with its own GameEnv, actions and
   observations through multiprocessing pipes, all sent and then all
   received each step, the observations stacked."""
import multiprocessing
import os
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
import gamehook  # noqa: E402

B = os.path.join(ROOT, "build")
DEMO = os.path.join(B, "demo-game")
LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")
ROUNDS = int(os.environ.get("BENCH_ENV_ROUNDS", "5"))
SECS = 1.0
GOAL = 0.7
STEP_ROUNDS = 15
STEP_SECS = 0.5


def rate(fn, per_call=1, secs=SECS):
    n = 0
    t0 = time.perf_counter()
    while True:
        fn()
        n += 1
        t = time.perf_counter() - t0
        if t >= secs:
            return n * per_call / t


def env_vs_c():
    c = subprocess.Popen([os.path.join(B, "bench-client"), DEMO,
                          os.path.join(B, "libhook.so")], cwd=ROOT,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)

    def c_round():
        c.stdin.write("round %g\n" % STEP_SECS)
        c.stdin.flush()
        line = c.stdout.readline()
        if not line:
            sys.exit("bench-env: bench-client failed")
        return float(line)
    env = gamehook.GameEnv([DEMO], layout=LAYOUT, seed=1)
    env.reset()
    for _ in range(300):
        env.step(0)
    cs, es, ratios = [], [], []
    for _ in range(STEP_ROUNDS):
        cr = c_round()
        er = rate(lambda: env.step(0), secs=STEP_SECS)
        cs.append(cr)
        es.append(er)
        ratios.append(er / cr)
    env.close()
    c.stdin.close()
    c.wait()
    r = statistics.median(ratios)
    print("| C client `step` (baseline) | GameEnv.step | ratio, median of "
          "%d rounds (goal %.1f) | its range |" % (STEP_ROUNDS, GOAL))
    print("| --- | --- | --- | --- |")
    print("| %s rt/s | %s steps/s | %.2f %s | %.2f-%.2f |" % (
        "{:,.0f}".format(statistics.median(cs)),
        "{:,.0f}".format(statistics.median(es)), r,
        "PASS" if r >= GOAL else "BELOW", min(ratios), max(ratios)))


# The process-per-game baseline, after Gymnasium's AsyncVectorEnv.

def _worker(pipe, seed):
    env = gamehook.GameEnv([DEMO], layout=LAYOUT, seed=seed)
    env.reset()
    pipe.send("ready")
    try:
        while True:
            cmd, a = pipe.recv()
            if cmd == "step":
                obs, r, term, trunc, info = env.step(a)
                if term or trunc:
                    obs, info = env.reset()
                pipe.send((obs, r, term, trunc, info))
            else:
                break
    finally:
        env.close()


class ProcVector:
    def __init__(self, n):
        ctx = multiprocessing.get_context("fork")
        self.pipes, self.procs = [], []
        for i in range(n):
            a, b = ctx.Pipe()
            p = ctx.Process(target=_worker, args=(b, 100 + i), daemon=True)
            p.start()
            self.pipes.append(a)
            self.procs.append(p)
        for a in self.pipes:
            a.recv()

    def step(self, actions):
        for a, act in zip(self.pipes, actions):
            a.send(("step", act))
        res = [a.recv() for a in self.pipes]
        keys = res[0][0].keys()
        obs = {k: np.stack([r[0][k] for r in res]) for k in keys}
        return obs, np.array([r[1] for r in res])

    def close(self):
        for a in self.pipes:
            a.send(("close", None))
        for p in self.procs:
            p.join(30)
            if p.is_alive():
                p.kill()


def vectors():
    rng = np.random.default_rng(0)
    one = gamehook.GameEnv([DEMO], layout=LAYOUT, seed=1)
    one.reset()
    print("| games | one GameEnv | VectorEnv | process per game | "
          "VectorEnv / one | VectorEnv / processes |")
    print("| --- | --- | --- | --- | --- | --- |")
    for n in (2, 4, 8):
        vec = gamehook.VectorEnv(n, [DEMO], layout=LAYOUT, seed=1)
        vec.reset()
        proc = ProcVector(n)
        acts = [rng.integers(0, 7, n) for _ in range(64)]
        k = [0]

        def vstep():
            k[0] += 1
            vec.step(acts[k[0] % 64])

        def pstep():
            k[0] += 1
            proc.step(acts[k[0] % 64])

        def ostep():
            k[0] += 1
            one.step(int(acts[k[0] % 64][0]))
        for f in (vstep, pstep, ostep):
            for _ in range(50):
                f()
        o, v, p, rv, rp = [], [], [], [], []
        for _ in range(ROUNDS):
            o.append(rate(ostep))
            v.append(rate(vstep, n))
            p.append(rate(pstep, n))
            rv.append(v[-1] / o[-1])
            rp.append(v[-1] / p[-1])
        vec.close()
        proc.close()
        print("| %d | %s steps/s | %s | %s | %.2f | %.2f |" % (
            n, "{:,.0f}".format(statistics.median(o)),
            "{:,.0f}".format(statistics.median(v)),
            "{:,.0f}".format(statistics.median(p)),
            statistics.median(rv), statistics.median(rp)))
    one.close()


def main():
    print("bench-env: %s UTC, nproc %d, %d rounds of %.0f s" % (
        time.strftime("%Y-%m-%d %H:%M", time.gmtime()), os.cpu_count(),
        ROUNDS, SECS))
    which = sys.argv[1:] or ["step", "vector"]
    if "step" in which:
        env_vs_c()
    if "vector" in which:
        vectors()


if __name__ == "__main__":
    main()
