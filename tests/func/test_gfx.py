"""Graphical games under the shim, on a private Xvfb with Mesa's software
OpenGL: a frame ends where the game presents (SDL2's SDL_RenderPresent,
SDL_GL_SwapWindow and SDL_UpdateWindowSurface, SDL 1.2's SDL_Flip,
SDL_GL_SwapBuffers and SDL_UpdateRect, GLX's glXSwapBuffers), one game
frame a step, its SDL_Delay and its X round trips (XSync, libxcb's poll)
neither boundaries nor time, so each frame's clock advances exactly the 16
ms the game slept, also with HOOK_FRAME=nanosleep where X round trips used
to run the clock away; HOOK_FRAME names each presentation call;
SDL_GetTicks, SDL_GetPerformanceCounter and SDL_AddTimer's callbacks run
on virtual time; `screenshot PATH` writes the picture presented at that
frame as a PNG file (right way up: the red mark is at the top left; the
game's window, read from the X server, shows the same picture;
downscaled and gray when asked), unchanged while paused and changing as
the game runs; the binary protocol and the Python client give it as a
numpy array whose downscale and gray agree with the full picture; two runs
under one seed present identical pictures every frame and another seed
differs; a game with an SDL audio callback (the dummy driver) steps with
its callbacks on virtual time and none while paused; bad screenshot
requests get clear errors, and a terminal game has no picture; a save and
a load of an SDL game work, and it goes on from the saved frame; traces
keep the pictures (`trace start PATH --pixels`), compressed to a small
fraction of their size, and `dumper png` rebuilds each frame's equal to
the screenshot of that frame."""
import atexit
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import xshot
from gh import ROOT, Game, check

BUILD = os.path.join(ROOT, "build")
PROGS = os.path.join(BUILD, "tests")
SDL = os.path.join(PROGS, "sdl-game")
SDL12 = os.path.join(PROGS, "sdl12-game")
GLX = os.path.join(PROGS, "glx-game")
ITIMER = os.path.join(PROGS, "itimer-game")

TMP = tempfile.mkdtemp(prefix="gh-gfx-")
atexit.register(shutil.rmtree, TMP, True)

# Every graphical shape: (name, argv, the call it presents with).
SHAPES = [
    ("sdl2-render", [SDL, "render"], "SDL_RenderPresent"),
    ("sdl2-gl", [SDL, "gl"], "SDL_GL_SwapWindow"),
    ("sdl2-surface", [SDL, "surface"], "SDL_UpdateWindowSurface"),
    ("sdl12-flip", [SDL12, "flip"], "SDL_Flip"),
    ("sdl12-gl", [SDL12, "gl"], "SDL_GL_SwapBuffers"),
    ("sdl12-rect", [SDL12, "rect"], "SDL_UpdateRect"),
    ("glx", [GLX], "glXSwapBuffers"),
]


X = xshot.Xvfb(TMP)   # -noreset: SDL 1.2 opens the display twice
atexit.register(X.stop)


def gfx_game(argv, env=None, lockstep=True):
    # SDL_VIDEODRIVER=x11: SDL 1.2 falls back to drawing on the terminal
    # with libcaca when X fails; a test wants to hear of it.
    e = dict(X.env, SDL_VIDEODRIVER="x11", SDL_AUDIODRIVER="dummy")
    e.update(env or {})
    return Game(argv, env=e, lockstep=lockstep)


def status(c):
    """The game's status line, from its terminal: a dict of its numbers."""
    rows = json.loads(c.ok("screen"))
    line = rows[0] if rows else ""
    return {k: int(v) for k, v in re.findall(r"(\w+) (-?\d+)", line)}


def read_png(path):
    """(width, height, channels, rows as bytes) of an 8-bit PNG file."""
    return xshot.read_png_rows(path)


def pixel(png, x, y):
    w, h, ch, rows = png
    return tuple(rows[y][x * ch:(x + 1) * ch])


def shot(c, name, *opts):
    path = os.path.join(TMP, name + ".png")
    r = json.loads(c.ok(" ".join(("screenshot", path) + opts)))
    return r, read_png(path)


def test_each_presentation_is_one_frame():
    # One step, one presented frame, whatever the API: the game's own
    # frame counter follows the shim's exactly, and its clock advances
    # the 16 ms it slept a frame (SDL_Delay, nanosleep), not a second per
    # X round trip; the picture is the one presented at that frame.
    for name, argv, call in SHAPES:
        with gfx_game(argv) as g:
            c = g.connect()
            check(c.ok("step 10") == "10", name)
            s1 = status(c)
            check(c.ok("step 30") == "40", name)
            s2 = status(c)
            check(s2["frame"] - s1["frame"] == 30,
                  "%s: 30 steps ran %d game frames (%r, %r)" % (name, s2["frame"] - s1["frame"], s1, s2))
            clock = "ms" if "ms" in s1 else "ticks"
            check(s2[clock] - s1[clock] == 30 * 16,
                  "%s: 30 frames took %d virtual ms, not 480" % (name, s2[clock] - s1[clock]))
            info = json.loads(c.ok("info"))
            check(info["frame_rule"] == "auto" and info["presenting"] is True, info)
            r, png = shot(c, name)
            check(r == {"frame": 40, "width": 160, "height": 120}, "%s: %r" % (name, r))
            check(pixel(png, 2, 2) == (255, 0, 0),
                  "%s: the top left is %r, not the red mark (upside down?)" % (name, pixel(png, 2, 2)))
            check(pixel(png, 2, 117) != (255, 0, 0), "%s: red at the bottom left" % name)
            # The window shows what the controller read (no window
            # manager: the window is at the root's top left).
            root = os.path.join(TMP, "root.png")
            xshot.shoot(X.env, root)
            w, h, rgb = xshot.read_png(root)
            win = [rgb[y * w * 3:(y * w + 160) * 3] for y in range(120)]
            check(win == png[3], "%s: the window shows another picture" % name)
            r2, png2 = shot(c, name + "-again")
            check(png2 == png and r2 == r, "%s: a paused game's picture changed" % name)
            c.ok("step 1")
            r3, png3 = shot(c, name + "-next")
            check(r3["frame"] == 41 and png3 != png, "%s: the next frame's picture is the same" % name)


def test_frame_rules_name_each_presentation():
    # HOOK_FRAME=<the call> (and `present`) end frames there: the game's
    # frame counter follows the steps one for one, and info names it.
    for name, argv, call in SHAPES:
        for rule in (call, "present"):
            with gfx_game(argv, env={"HOOK_FRAME": rule}) as g:
                c = g.connect()
                c.ok("step 5")
                s1 = status(c)
                c.ok("step 20")
                s2 = status(c)
                check(s2["frame"] - s1["frame"] == 20,
                      "%s under HOOK_FRAME=%s: %r then %r" % (name, rule, s1, s2))
                check(json.loads(c.ok("info"))["frame_rule"] == rule, rule)


def test_x_round_trips_are_not_time():
    # HOOK_FRAME=nanosleep on a GLX game that XSyncs every frame: frames
    # end at its sleep, and the waits on the X socket add no virtual time
    # (the clock ran 10,655 s in 330 frames when they did).
    with gfx_game([GLX], env={"HOOK_FRAME": "nanosleep"}) as g:
        c = g.connect()
        c.ok("step 10")
        s1 = status(c)
        c.ok("step 100")
        s2 = status(c)
        check(s2["frame"] - s1["frame"] == 100, (s1, s2))
        check(s2["ms"] - s1["ms"] == 1600, "100 frames took %d virtual ms" % (s2["ms"] - s1["ms"]))
        r, png = shot(c, "glx-nanosleep")
        check(r["width"] == 160 and pixel(png, 2, 2) == (255, 0, 0), r)


def test_sdl_clocks_and_timers_are_virtual():
    # SDL_GetTicks and the performance counter read virtual time (16 ms a
    # frame, as SDL_Delay(16) asked), and an SDL_AddTimer of 100 ms calls
    # back once per 100 virtual ms: 16 times in 1.6 s, the same count at
    # speed max in lockstep as at speed 1.
    counts = []
    for speed in ("max", "1"):
        with gfx_game([SDL, "render", "--timer"], env={"HOOK_SEED": "3"}) as g:
            c = g.connect()
            c.ok("speed " + speed)
            c.ok("step 25")
            s1 = status(c)
            g1 = json.loads(c.ok("info"))["settle_gave_up"]
            c.ok("step 100")
            s2 = status(c)
            check(s2["ticks"] - s1["ticks"] == 1600 and s2["perf"] - s1["perf"] == 1600,
                  (s1, s2))
            # Exact, unless the shim ran on without SDL's timer thread
            # meanwhile: a woken thread that does not sleep again within
            # 250 ms of real time (a loaded machine) is not waited for, and
            # info counts it.
            if s2["timer"] - s1["timer"] != 16:
                check(json.loads(c.ok("info"))["settle_gave_up"] > g1,
                      "%d timer callbacks in 1.6 virtual s" % (s2["timer"] - s1["timer"]))
                continue
            counts.append((s1, s2))
    check(len(counts) < 2 or counts[0] == counts[1],
          "at speed max and at speed 1: %r" % (counts,))


def frame_hashes(argv, seed, n):
    out = []
    with gfx_game(argv, env={"HOOK_SEED": str(seed)}) as g:
        c = g.connect()
        for i in range(n):
            c.ok("step 1")
            r, png = shot(c, "h")
            out.append(hashlib.sha1(b"".join(png[3])).hexdigest())
    return out


def test_seeded_runs_present_identical_pictures():
    for argv in ([SDL, "gl"], [SDL12, "flip"], [GLX]):
        a = frame_hashes(argv, 11, 12)
        b = frame_hashes(argv, 11, 12)
        d = frame_hashes(argv, 12, 12)
        check(a == b, "%s: one seed, different pictures" % argv)
        check(a != d, "%s: another seed, the same pictures" % argv)
        check(len(set(a)) > 6, "%s: the pictures hardly change" % argv)


def test_pixels_in_python():
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import numpy
    import gamehook
    with gfx_game([SDL, "render"]) as g:
        c = g.connect()
        c.ok("step 3")
        with gamehook.Game(g.sock) as p:
            o = p.step(2, pixels=True)
            check(o.frame == 5 and o.pixels.shape == (120, 160, 3), (o.frame, o.pixels.shape))
            check(tuple(o.pixels[2, 2]) == (255, 0, 0), o.pixels[2, 2])
            full = p.screenshot()
            check((full == o.pixels).all(), "step's pixels and screenshot differ while paused")
            half = p.screenshot(size=(80, 60))
            want = (full.reshape(60, 2, 80, 2, 3).astype(numpy.uint32).sum(axis=(1, 3)) + 2) // 4
            check(half.shape == (60, 80, 3) and (half == want).all(), "downscale is not a 2x2 box average")
            gray = p.screenshot(size=(80, 60), gray=True)
            luma = (299 * want[..., 0] + 587 * want[..., 1] + 114 * want[..., 2] + 500) // 1000
            check(gray.shape == (60, 80) and numpy.abs(gray.astype(int) - luma).max() <= 1,
                  "gray is not the luma of the picture")
            small = p.step(1, pixels={"size": (84, 84), "gray": True}).pixels
            check(small.shape == (84, 84) and small.dtype == numpy.uint8, small.shape)
            r = p.screenshot(os.path.join(TMP, "py.png"), size=(40, 30))
            check(r == {"frame": 6, "width": 40, "height": 30}, r)
            png = read_png(os.path.join(TMP, "py.png"))
            check(png[:3] == (40, 30, 3), png[:3])


def test_screenshot_errors():
    with gfx_game([SDL, "render"]) as g:
        c = g.connect()
        c.ok("step 2")
        check(c.cmd("screenshot").startswith("err usage"), "no path")
        check(c.cmd("screenshot rel.png").startswith("err usage"), "relative")
        check(c.cmd("screenshot /tmp/x.png --size 0x5").startswith("err usage"), "size")
        check(c.cmd("screenshot /tmp/x.png --size 84").startswith("err usage"), "size")
        check(c.cmd("screenshot /tmp/x.png --bogus").startswith("err usage"), "option")
        r = c.cmd("screenshot /nonexistent/dir/x.png")
        check(r.startswith("err unsupported") and "/nonexistent/dir/x.png" in r, r)
        check(c.ok("step 1") == "3", "the game goes on")
    with Game([ITIMER], lockstep=True) as g:
        c = g.connect()
        c.ok("step 3")
        r = c.cmd("screenshot " + os.path.join(TMP, "t.png"))
        check(r.startswith("err state") and "presented none" in r, r)


def test_snapshot_of_an_sdl_game():
    # SDL's and the GL driver's threads idle in waits the shim sees, and
    # the X libraries' memory is not rewound: a save and a load work, and
    # the game goes on from the saved frame (test_gfx_reset has the rest).
    with gfx_game([SDL, "render"]) as g:
        c = g.connect()
        c.ok("step 3")
        r = c.cmd("save a")
        check(r.startswith("ok"), r)
        c.ok("step 2")
        check(json.loads(c.ok("load a"))["frame"] == 3, "load")
        check(c.ok("step 1") == "4", "the game goes on")


def test_audio_callback_on_virtual_time():
    # SDL's dummy audio driver: its thread sleeps on the virtual clock, so
    # a step returns, the callbacks come at the device's rate in virtual
    # time (8 kHz, 256 samples: one each 32 ms, 50 in 1.6 s) and none
    # while paused. (Pictures under one seed are not compared: SDL's
    # thread start-up can hold the main thread where the shim does not
    # see it wait, and the clock then moves by real time; README.)
    with gfx_game([SDL, "render", "--audio"], env={"HOOK_SEED": "4"}) as g:
        c = g.connect()
        c.ok("step 20")
        s1 = status(c)
        g1 = json.loads(c.ok("info"))["settle_gave_up"]
        c.ok("step 100")
        s2 = status(c)
        check(s2["ticks"] - s1["ticks"] == 1600, (s1, s2))
        if s2["audio"] - s1["audio"] != 50:   # see the timer test
            check(json.loads(c.ok("info"))["settle_gave_up"] > g1,
                  "%d audio callbacks in 1.6 virtual s" % (s2["audio"] - s1["audio"]))
        time.sleep(0.5)   # real time passes, virtual time does not
        check(status(c)["audio"] == s2["audio"], "audio ran while paused")


def test_trace_keeps_pictures():
    # `trace start PATH --pixels`: every frame's record carries the picture
    # (its XOR with the one before, zstd-compressed), and `dumper png`
    # rebuilds each one equal to what `screenshot` read at that frame; the
    # pictures cost a small fraction of their raw size; --pixels=84x84,gray
    # keeps them scaled; a trace without pictures says so.
    dumper = os.path.join(BUILD, "dumper")
    with gfx_game([SDL, "render"]) as g:
        c = g.connect()
        c.ok("step 3")
        t1, t2, t3 = (os.path.join(TMP, n) for n in ("p.trace", "n.trace", "g.trace"))
        c.ok("trace start %s --pixels" % t1)
        shots = {}
        for i in range(40):
            c.ok("step 1")
            r, png = shot(c, "tr")
            shots[r["frame"]] = png[3]
        with_px = json.loads(c.ok("trace stop"))
        c.ok("trace start %s" % t2)
        c.ok("step 40")
        without = json.loads(c.ok("trace stop"))
        c.ok("trace start %s --pixels=84x84,gray" % t3)
        c.ok("step 10")
        c.ok("trace stop")
        check(c.cmd("trace start %s --pixels=84" % t3).startswith("err usage"), "bad spec")
    out = os.path.join(TMP, "pngs")
    r = subprocess.run([dumper, "png", t1, "-o", out], capture_output=True, text=True)
    check(r.returncode == 0 and "40 pictures" in r.stdout, r)
    for f, rows in shots.items():
        png = read_png(os.path.join(out, "%08d.png" % f))
        check(png[:3] == (160, 120, 3) and png[3] == rows,
              "frame %d: the trace's picture is not the screenshot" % f)
    per_frame = (with_px["bytes"] - without["bytes"]) / 40.0
    check(per_frame < 160 * 120 * 3 / 20,
          "pictures cost %d bytes a frame (raw: %d)" % (per_frame, 160 * 120 * 3))
    out3 = os.path.join(TMP, "pngs3")
    r = subprocess.run([dumper, "png", t3, "-o", out3], capture_output=True, text=True)
    check(r.returncode == 0, r)
    any3 = sorted(os.listdir(out3))
    check(len(any3) == 10 and read_png(os.path.join(out3, any3[0]))[:3] == (84, 84, 1), any3)
    r = subprocess.run([dumper, "png", t2, "-o", os.path.join(TMP, "none")],
                       capture_output=True, text=True)
    check(r.returncode != 0 and "keeps no pictures" in r.stderr, r)
