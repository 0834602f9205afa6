#!/usr/bin/python3
"""bench-remote: GameEnv.step through gamehookd on loopback beside the same
GameEnv run locally, in the same run.

The demo game (its layout, seed 7, lockstep at speed max), one action a
step cycling right/left/space. Observations: three fields
(hero.x, hero.hp, game.tick) and, second, every field of the layout
(GameEnv's default). Local and remote rounds alternate, STEPS
steps each, medians of ROUNDS; figures are microseconds a step and the
remote/local ratio. A pipelined column (step_send for a round's steps,
then step_recv for all) shows what the stream gives when the client does
not wait for each answer. Then 4 games on the server, a step of all
four: four RemoteGameEnvs stepped one after another beside one
RemoteVectorEnv (every request out before any answer is read)."""
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
import gamehook  # noqa: E402

B = os.path.join(ROOT, "build")
DEMO = os.path.join(B, "demo-game")
LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")
ROUNDS = 7
STEPS = 300
ACTS = [2, 1, 5]


def per_step(env, pipelined=False):
    env.reset()
    t0 = time.perf_counter()
    if pipelined:
        for i in range(STEPS):
            env.step_send(ACTS[i % 3])
        for i in range(STEPS):
            env.step_recv()
    else:
        for i in range(STEPS):
            env.step(ACTS[i % 3])
    return (time.perf_counter() - t0) / STEPS * 1e6


def main():
    d = subprocess.Popen([os.path.join(B, "gamehookd"), "--address",
                          "127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
    try:
        addr = "127.0.0.1:" + d.stdout.readline().rsplit(":", 1)[1].strip()
        print("| observation | local GameEnv.step | through gamehookd | "
              "remote/local | pipelined through gamehookd |")
        print("| --- | --- | --- | --- | --- |")
        for label, observe in (("3 fields", ["hero.x", "hero.hp",
                                             "game.tick"]),
                               ("all the layout's fields", None)):
            kw = dict(layout=LAYOUT, seed=7, observe=observe,
                      env={"HOOK_SPEED": "max"})
            if observe is None:
                kw.pop("observe")
            local = gamehook.GameEnv([DEMO], **kw)
            far = gamehook.GameEnv([DEMO], server=addr, **kw)
            try:
                lo, re, pi = [], [], []
                for _ in range(ROUNDS):
                    lo.append(per_step(local))
                    re.append(per_step(far))
                    pi.append(per_step(far, pipelined=True))
            finally:
                local.close()
                far.close()
            ml, mr, mp = (statistics.median(x) for x in (lo, re, pi))
            print("| %s | %.0f us | %.0f us | %.2fx | %.0f us |" % (
                label, ml, mr, mr / ml, mp))
        vector(addr)
    finally:
        d.terminate()
        d.wait()


def vector(addr):
    """4 games on the server: stepped one after another through 4
    RemoteGameEnvs, and as one RemoteVectorEnv (all requests out, then
    all answers)."""
    from gamehook.remote_vector import RemoteVectorEnv
    import numpy as np
    kw = dict(layout=LAYOUT, observe=["hero.x", "hero.hp", "game.tick"],
              env={"HOOK_SPEED": "max"})
    n = 4
    one = [gamehook.GameEnv([DEMO], server=addr, seed=7 + i, **kw)
           for i in range(n)]
    vec = RemoteVectorEnv(n, [DEMO], server=addr, seed=7, **kw)
    steps = STEPS // n
    try:
        seq, par = [], []
        for _ in range(ROUNDS):
            for e in one:
                e.reset()
            t0 = time.perf_counter()
            for i in range(steps):
                for e in one:
                    e.step(ACTS[i % 3])
            seq.append((time.perf_counter() - t0) / steps * 1e6)
            vec.reset()
            t0 = time.perf_counter()
            for i in range(steps):
                vec.step(np.full(n, ACTS[i % 3]))
            par.append((time.perf_counter() - t0) / steps * 1e6)
    finally:
        for e in one:
            e.close()
        vec.close()
    ms, mp = statistics.median(seq), statistics.median(par)
    print()
    print("| 4 games on one gamehookd, a step of all 4 | one after another "
          "(4 RemoteGameEnv) | RemoteVectorEnv(4) | speed-up |")
    print("| --- | --- | --- | --- |")
    print("| 3 fields | %.0f us | %.0f us | %.2fx |" % (ms, mp, ms / mp))


if __name__ == "__main__":
    main()
