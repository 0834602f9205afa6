#!/usr/bin/python3
"""bench-gfx-fps: the graphical demo's frames per second in each render mode.

Each render mode of build/demo-gfx (a software SDL_Renderer, the window
surface, OpenGL on Mesa's software rasterizer) runs unpaced (--fps 0) on a
private X server (the launchers' headless mode, a server per run) for
SHORT and then LONG frames (--frames), and the frame rate is
(LONG - SHORT) / (t(LONG) - t(SHORT)): the start-up (the X connection, the
window, GL's context) cancels out. Rounds alternate the modes, medians of
ROUNDS. "unhooked" is the game alone: the baseline for the hooked figures.
"shim, run mode" is the same game under the shim at speed max, not in
lockstep (a frame there is whatever the frame rule makes of the game's
waits). More columns go in COLUMNS: a function (mode flags, frames) ->
seconds for that many frames, start-up included, as run_frames does."""
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
import gamehook  # noqa: E402

B = os.path.join(ROOT, "build")
GFX = os.path.join(B, "demo-gfx")
LIB = os.path.join(B, "libhook.so")
MODES = (("software SDL_Renderer", []), ("window surface", ["--surface"]),
         ("OpenGL (Mesa, software)", ["--gl"]))
ROUNDS = 5
SHORT, LONG = 30, 330


def run_frames(flags, frames, hook=None):
    """Seconds for demo-gfx with FLAGS to run FRAMES frames unpaced and end,
    on a private X server (its start not counted); under the shim with
    HOOK settings when given."""
    proc, _ = gamehook.spawn([GFX, "--fps", "0", "--frames", str(frames)] +
                             flags, shim=LIB if hook is not None else None,
                             hook=hook, size=None, headless=True)
    # spawn returns once the server answers and the game is exec'd.
    t0 = time.perf_counter()
    proc.wait()
    dt = time.perf_counter() - t0
    proc.keeper.wait()
    if proc.returncode != 0:
        raise SystemExit("bench-gfx: demo-gfx %r exited %d" % (
            flags, proc.returncode))
    return dt


def unhooked(flags, frames):
    return run_frames(flags, frames)


def shim_run_mode(flags, frames):
    d = "/tmp/gamehook-bench-gfx-%d" % os.getpid()
    os.makedirs(d, exist_ok=True)
    return run_frames(flags, frames, hook={
        "HOOK_SPEED": "max", "HOOK_SOCKET": os.path.join(d, "g.sock"),
        "HOOK_LOG": os.path.join(d, "g.log")})


COLUMNS = [("unhooked", unhooked), ("shim, run mode, speed max",
                                    shim_run_mode)]


def rate(fn, flags):
    """(frames a second, start-up seconds) of one round."""
    short, long_ = fn(flags, SHORT), fn(flags, LONG)
    fps = (LONG - SHORT) / max(long_ - short, 1e-9)
    return fps, short - SHORT / fps


def main():
    got = {(m, c): [] for m, _ in MODES for c, _ in COLUMNS}
    start = {(m, c): [] for m, _ in MODES for c, _ in COLUMNS}
    for _ in range(ROUNDS):
        for m, flags in MODES:
            for c, fn in COLUMNS:
                fps, st = rate(fn, flags)
                got[(m, c)].append(fps)
                start[(m, c)].append(st)
    print("demo-gfx, 640x480, --fps 0, frames %d..%d, medians of %d rounds"
          % (SHORT, LONG, ROUNDS))
    print("| render mode | " + " | ".join(
        "%s: frames/s (start-up)" % c for c, _ in COLUMNS) + " |")
    print("| --- |" + " --- |" * len(COLUMNS))
    for m, _ in MODES:
        print("| %s | " % m + " | ".join(
            "%.0f (%.0f ms)" % (statistics.median(got[(m, c)]),
                                1e3 * statistics.median(start[(m, c)]))
            for c, _ in COLUMNS) + " |")


if __name__ == "__main__":
    main()
