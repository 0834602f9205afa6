#!/usr/bin/python3
"""bench-gfx: graphical games under the shim, on a private Xvfb with Mesa's
software OpenGL, the graphical demo (build/demo-gfx --gl, 640x480).

1. Steps a second in lockstep at speed max over the binary protocol (the
   Python client), one frame a step: bare, with a screenshot observation
   of 84x84 grayscale (the step and the screenshot pipelined, one round
   trip), and with the full 640x480 RGB picture (through the memory the
   client shares with the shim, as the Python client does, and in the
   reply, as it did before: the baseline); medians of 5 rounds of 200
   steps, rounds alternating.
2. What reading the picture costs a step: the full screenshot's extra time
   a step (1/rate - 1/bare rate) beside a bare glReadPixels of the same
   640x480 in a GLX program of ours without the shim (bench-readpixels,
   median of 200).
3. The demo's frames a second at speed max (run mode, --fps 60: its
   SDL_Delay pacing costs nothing) beside the same demo unhooked as fast
   as it can (--fps 0), 600 frames each, medians of 3.
4. Traces: bytes a frame of 300 frames of the demo in lockstep, the
   state only, with 84x84 gray pictures and with the full 640x480 RGB
   ones (`trace start PATH --pixels`).
5. `reset` of the demo (--gl, and the default renderer) and its first
   frame (`reset` then `step 1`, after 10 frames each time; median of 20)
   beside a relaunch to its first frame (start under the shim in
   lockstep, connect, `step 1`; the X server already up; median of 5).
`bench-gfx.py reset` runs the last alone, `bench-gfx.py steps` the first."""
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.join(ROOT, "python"))
import xshot  # noqa: E402
from gh import Game  # noqa: E402
import gamehook  # noqa: E402

B = os.path.join(ROOT, "build")
DEMO = os.path.join(B, "demo-gfx")
ROUNDS = 5
STEPS = 200


def steps_per_s(env, pixels):
    with Game([DEMO, "--gl"], env=env, lockstep=True) as g:
        g.connect().close()   # waits for the socket
        with gamehook.Game(g.sock) as p:
            p.step(10)
            t0 = time.perf_counter()
            if pixels == "reply":
                from gamehook.client import _pb
                for _ in range(STEPS):
                    rid = p._send(step=_pb.Step(frames=1))
                    prid = p._send(command="screenshot")
                    p._reply(rid)
                    p._reply(prid)
            else:
                for _ in range(STEPS):
                    p.step(1, pixels=pixels)
            return STEPS / (time.perf_counter() - t0)


def trace_bytes(env, opt):
    path = os.path.join(TMP, "t.trace")
    with Game([DEMO, "--gl", "--seed", "1"], env=env, lockstep=True) as g:
        c = g.connect()
        c.ok("step 10")
        c.ok("trace start %s%s" % (path, opt))
        c.ok("step 300")
        import json
        return json.loads(c.ok("trace stop"))["bytes"] / 300.0


def demo_fps(env, hooked):
    n = 600
    e = dict(os.environ, **env)
    argv = [DEMO, "--gl", "--frames", str(n), "--seed", "1"]
    if hooked:
        e.update(LD_PRELOAD=os.path.join(B, "libhook.so"), HOOK_SPEED="max",
                 HOOK_SOCKET=os.path.join(TMP, "fps.sock"),
                 HOOK_LOG=os.path.join(TMP, "fps.log"))
        argv += ["--fps", "60"]
    else:
        argv += ["--fps", "0"]
    t0 = time.perf_counter()
    subprocess.run(argv, env=e, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=600, check=True)
    return n / (time.perf_counter() - t0)


def reset_and_relaunch(env, flags):
    resets, launches = [], []
    with Game([DEMO, "--seed", "1"] + flags, env=env, lockstep=True) as g:
        c = g.connect(timeout=60)
        for _ in range(20):
            c.ok("step 10")
            t0 = time.perf_counter()
            c.ok("reset")
            c.ok("step 1")
            resets.append(time.perf_counter() - t0)
    for _ in range(5):
        t0 = time.perf_counter()
        with Game([DEMO, "--seed", "1"] + flags, env=env, lockstep=True) as g:
            c = g.connect(timeout=60)
            c.ok("step 1")
            launches.append(time.perf_counter() - t0)
    return statistics.median(resets), statistics.median(launches)


def print_resets(env):
    for name, flags in (("--gl", ["--gl"]), ("renderer", [])):
        r, l = reset_and_relaunch(env, flags)
        print("  demo-gfx %s: reset to its first frame %.1f ms beside a "
              "relaunch %.0f ms (%.0fx faster)" % (name, r * 1e3, l * 1e3, l / r))


TMP = tempfile.mkdtemp(prefix="gh-bench-gfx-")
def print_steps(env):
    kinds = [("bare", None), ("84x84 gray", {"size": (84, 84), "gray": True}),
             ("640x480 RGB", True), ("640x480 RGB in the reply", "reply")]
    rates = {k: [] for k, _ in kinds}
    for _ in range(ROUNDS):
        for k, px in kinds:
            rates[k].append(steps_per_s(env, px))
    med = {k: statistics.median(v) for k, v in rates.items()}
    print("bench-gfx: demo-gfx --gl 640x480, lockstep, one frame a step "
          "(medians of %d x %d steps)" % (ROUNDS, STEPS))
    for k, _ in kinds:
        print("  %-25s %7.0f steps/s  (%.2fx bare)" % (
            k, med[k], med[k] / med["bare"]))
    r = med["640x480 RGB"] / med["640x480 RGB in the reply"]
    print("  the full picture through shared memory: %.2fx its rate in the "
          "reply" % r)
    return med


if sys.argv[1:] == ["reset"]:
    with xshot.Xvfb(TMP) as x:
        print_resets(dict(x.env, SDL_AUDIODRIVER="dummy"))
    sys.exit(0)
if sys.argv[1:] == ["steps"]:
    with xshot.Xvfb(TMP) as x:
        print_steps(dict(x.env, SDL_AUDIODRIVER="dummy"))
    sys.exit(0)
with xshot.Xvfb(TMP) as x:
    env = dict(x.env, SDL_AUDIODRIVER="dummy")
    med = print_steps(env)
    extra = 1e9 / med["640x480 RGB"] - 1e9 / med["bare"]
    bare = [int(subprocess.run([os.path.join(B, "bench-readpixels"), "640",
                                "480", "200"], env=dict(os.environ, **env),
                               capture_output=True, text=True,
                               check=True).stdout) for _ in range(3)]
    rp = statistics.median(bare)
    print("  reading the full picture: %.0f us a step beside a bare "
          "glReadPixels of 640x480 at %.0f us (%.2fx)" % (extra / 1000, rp / 1000,
                                                         extra / rp))
    hooked, plain = [], []
    for _ in range(3):
        plain.append(demo_fps(env, False))
        hooked.append(demo_fps(env, True))
    h, p = statistics.median(hooked), statistics.median(plain)
    print("  demo-gfx --gl: %.0f frames/s under the shim at speed max "
          "beside %.0f unhooked as fast as it can (%.2fx)" % (h, p, h / p))
    for name, opt in (("state only", ""), ("84x84 gray", " --pixels=84x84,gray"),
                      ("640x480 RGB", " --pixels")):
        print("  trace, %-12s %8.0f bytes a frame" % (name, trace_bytes(env, opt)))
    print_resets(env)
