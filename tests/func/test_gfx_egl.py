"""EGL and presenters on other threads, on a private Xvfb with Mesa's
software OpenGL. Debian's es2gears_x11 (mesa-utils-bin: EGL and OpenGL ES
2 on X11, animated by the clock) steps one frame per eglSwapBuffers under
HOOK_FRAME=auto and under HOOK_FRAME=eglSwapBuffers, on a virtual clock
(its FPS line counts 60 frames a virtual second), its screenshot is the
gears read from the EGL back buffer before the swap (three gear colours,
not black), the same picture over the binary protocol, and two seeded runs
present identical pictures. Our egl-game (EGL + GLES2) gets keys through
Xlib, counts one game frame a step with 16 virtual ms each, keeps its
framebuffer binding, pack alignment and GL error state across the read,
and its picture is read from the window's buffer even with its own
framebuffer object bound at the swap on an OpenGL ES 2.0 context; its
seeded colour is equal under one seed and differs under another.
gl-thread-game presents from a thread that is not main: under auto that
thread becomes the frame thread (whether the main thread sleeps at the gate
meanwhile or joins it; info's frame_tid names it), one picture a step
on the virtual clock, keys reach it, seeded runs are identical; save says
clearly that it cannot snapshot such a game, and the game goes on; when
the render thread ends, the frames are the main thread's again; a trace
of it (its main thread joining) replays identically."""
import atexit
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import xshot
from gh import ROOT, Game, check, wait_until

sys.path.insert(0, os.path.join(ROOT, "python"))
import gamehook  # noqa: E402

BUILD = os.path.join(ROOT, "build")
EGL = os.path.join(BUILD, "tests", "egl-game")
THREAD = os.path.join(BUILD, "tests", "gl-thread-game")
GEARS = "/usr/bin/es2gears_x11"

r = subprocess.run(["sh", os.path.join(ROOT, "scripts", "deps.sh"), "mesa-utils-bin"])
check(r.returncode == 0 and os.access(GEARS, os.X_OK), "es2gears_x11 is not installed")

TMP = tempfile.mkdtemp(prefix="gh-gfxegl-")
atexit.register(shutil.rmtree, TMP, True)
X = xshot.Xvfb(TMP)
atexit.register(X.stop)


def game(argv, env=None, seed=None):
    e = dict(X.env)
    e.update(env or {})
    if seed is not None:
        e["HOOK_SEED"] = str(seed)
    return Game(argv, env=e, lockstep=True)


def render_thread_started(c):
    """Wait until the frames are the render thread's (info's frame_tid is
    not the process's): gl-thread-game's main thread, stopped at frame 0
    in lockstep, hands the gate over when the render thread first
    presents; a step before that would run the main thread's sleeps as
    frames meanwhile, as many as its start-up takes in real time."""
    pid = json.loads(c.ok("info"))["pid"]
    wait_until(lambda: json.loads(c.ok("info"))["frame_tid"] not in (0, pid), 60,
               "the render thread to take the frames")


def status(c):
    """The game's last status line on its terminal, as a dict of numbers."""
    rows = [r for r in json.loads(c.ok("screen")) if "frame " in r]
    check(rows, "no status line")
    line = rows[-1].split("\r")[-1]
    return {k: int(v) for k, v in re.findall(r"(\w+) (-?\d+)", line)}


def shot(c, name):
    """The screenshot's answer and (width, height, rgb bytes) of its PNG."""
    path = os.path.join(TMP, name + ".png")
    r = json.loads(c.ok("screenshot " + path))
    return r, xshot.read_png(path)


def px(img, x, y):
    w, h, rgb = img
    return tuple(rgb[(y * w + x) * 3:(y * w + x) * 3 + 3])


def gear_colours(img):
    """How many pixels are mostly red, mostly green, mostly blue."""
    w, h, rgb = img
    n = [0, 0, 0]
    for i in range(0, len(rgb), 3):
        c = rgb[i:i + 3]
        m = max(c)
        if m > 100 and c.count(m) == 1 and sorted(c)[1] < m // 2:
            n[c.index(m)] += 1
    return n


def test_es2gears_frames_at_eglswapbuffers():
    # auto picks eglSwapBuffers (es2gears never sleeps: only presentation
    # ends its frames) and HOOK_FRAME=eglSwapBuffers names it; its clock
    # is virtual: its FPS line, printed once 5 of its seconds passed,
    # counts 301 frames in 5.0 s (60 a second, one per step).
    for rule in ("auto", "eglSwapBuffers"):
        with game([GEARS], env={"HOOK_FRAME": rule}) as g:
            c = g.connect()
            check(c.ok("step 10") == "10", rule)
            info = json.loads(c.ok("info"))
            check(info["frame_rule"] == rule and info["presenting"] is True, info)
            check(info["frame_tid"] == info["pid"], "es2gears presents on its main thread: %r" % info)
            check(info["vtime_ns"] // 1000000 in (166, 167), "10 frames took %d virtual ns" % info["vtime_ns"])
            c.ok("step 300")
            text = "".join(json.loads(c.ok("screen")))
            check("301 frames in 5.0 seconds = 60.200 FPS" in text, "FPS line: %r" % text)


def test_es2gears_screenshot_is_the_gears():
    # The EGL back buffer, read before the swap: 300x300 with all three
    # gears' colours (not black), unchanged while paused, turning as it
    # steps; the binary protocol's pixels are the PNG's.
    with game([GEARS]) as g:
        c = g.connect()
        c.ok("step 20")
        r, img = shot(c, "gears")
        check(r == {"frame": 20, "width": 300, "height": 300}, r)
        red, green, blue = gear_colours(img)
        check(red > 3000 and green > 1000 and blue > 1000,
              "gear colours red %d green %d blue %d: not the gears" % (red, green, blue))
        r2, img2 = shot(c, "gears-again")
        check(img2 == img, "a paused game's picture changed")
        with gamehook.Game(g.sock) as p:
            a = p.screenshot()
            check(a.shape == (300, 300, 3) and a.tobytes() == img[2],
                  "binary pixels differ from the PNG")
            o = p.step(1, pixels=True)
            check(o.frame == 21 and o.pixels.shape == (300, 300, 3), (o.frame, o.pixels.shape))
            check(o.pixels.tobytes() != img[2], "the gears did not turn")
            small = p.step(1, pixels={"size": (84, 84), "gray": True}).pixels
            check(small.shape == (84, 84) and small.max() > 0, "gray 84x84: %r" % (small.shape,))


def hashes(argv, n, seed, env=None):
    out = []
    with game(argv, env=env, seed=seed) as g:
        c = g.connect()
        if argv[0] == THREAD:
            render_thread_started(c)
        for i in range(n):
            c.ok("step 3")
            r, img = shot(c, "h")
            out.append(hashlib.sha1(img[2]).hexdigest())
    return out


def test_es2gears_seeded_runs_identical():
    # The gears turn by the clock: under one seed, every picture equal.
    a = hashes([GEARS], 8, 5)
    b = hashes([GEARS], 8, 5)
    check(a == b, "one seed, different pictures")
    check(len(set(a)) == 8, "the gears hardly turn: %d pictures" % len(set(a)))


def test_egl_game_frames_keys_and_state():
    # Our EGL + GLES2 game: one game frame a step, 16 virtual ms each (its
    # nanosleep passes time, the swap ends the frame), arrows through Xlib
    # move its green square, and after every swap the framebuffer it left
    # bound, its pack alignment and glGetError are as it left them; on an
    # ES 3 context and on an ES 2.0 one (no read framebuffer binding
    # there: the read must bind the window's framebuffer for the draw one).
    for ver in ("", "2.0"):
        env = {"MESA_GLES_VERSION_OVERRIDE": ver} if ver else {}
        with game([EGL], env=env, seed=1) as g:
            c = g.connect()
            c.ok("step 10")
            s1 = status(c)
            c.ok("step 30")
            s2 = status(c)
            check(s2["frame"] - s1["frame"] == 30 and s2["ms"] - s1["ms"] == 480, (ver, s1, s2))
            c.ok("key right")
            c.ok("key right")
            c.ok("key down")
            c.ok("step 5")
            s3 = status(c)
            check(s3["keys"] == 3 and s3["gx"] == s2["gx"] + 16 and s3["gy"] == s2["gy"] + 8,
                  "keys: %r then %r" % (s2, s3))
            check(s3["bad"] == 0, "ES %s: the read left GL state changed: %r" % (ver or "3", s3))
            r, img = shot(c, "egl" + ver)
            check(r["width"] == 160 and r["height"] == 120, r)
            check(px(img, 2, 2) == (255, 0, 0), "ES %s: top left %r, not the red mark" % (ver or "3", px(img, 2, 2)))
            check(px(img, s3["gx"] + 4, s3["gy"] + 4) == (0, 255, 0), "the green square is not where the game put it")
            check(len(set(img[2][i:i + 3] for i in range(0, len(img[2]), 3))) >= 3, "a blank picture")


def test_egl_game_seeded_colour():
    # Its background colour and motion come from getrandom(): equal
    # pictures under one seed, other pictures under another.
    a = hashes([EGL], 6, 21)
    b = hashes([EGL], 6, 21)
    d = hashes([EGL], 6, 22)
    check(a == b, "one seed, different pictures")
    check(a != d, "another seed, the same pictures")
    check(len(set(a)) == 6, "the pictures do not change")


def test_thread_presenter_is_the_frame_thread():
    # gl-thread-game draws and presents on a thread of its own. Under
    # auto that thread takes the frames over at its first present, both
    # when the main thread sleeps (it was stopped at the gate at frame 0:
    # the gate is handed over) and when it only joins: one game frame a
    # step, 16 virtual ms each; the main thread's usleep(30 ms) loop then
    # runs on the virtual clock as any other thread's (16 ticks in 480 ms,
    # where real time at speed max would give far fewer); the picture is
    # the render thread's; keys sent through Xlib reach it; HOOK_FRAME=
    # glXSwapBuffers names the call from that thread too.
    for argv, env in (([THREAD], {}), ([THREAD, "--join"], {}),
                      ([THREAD], {"HOOK_FRAME": "glXSwapBuffers"})):
        what = " ".join(argv[1:] + ["%s=%s" % kv for kv in env.items()]) or "sleeping main"
        with game(argv, env=env) as g:
            c = g.connect()
            render_thread_started(c)
            c.ok("step 10")
            s1 = status(c)
            c.ok("step 30")
            s2 = status(c)
            check(s2["frame"] - s1["frame"] == 30 and s2["ms"] - s1["ms"] == 480,
                  "%s: %r then %r" % (what, s1, s2))
            if "--join" not in argv:
                ticks = s2["main"] - s1["main"]
                check(15 <= ticks <= 17, "%s: the main thread ticked %d times in 480 virtual ms" % (what, ticks))
            info = json.loads(c.ok("info"))
            check(info["presenting"] is True and info["frame_rule"] == env.get("HOOK_FRAME", "auto"), info)
            r, img = shot(c, "thread")
            check(r["frame"] == 40 and (r["width"], r["height"]) == (160, 120), r)
            check(px(img, 2, 2) == (255, 0, 0), "%s: top left %r" % (what, px(img, 2, 2)))
            c.ok("key a")
            c.ok("step 3")
            check(status(c)["keys"] == 1, "%s: the key did not reach the render thread" % what)
            r2, img2 = shot(c, "thread2")
            check(r2["frame"] == 43 and img2 != img, "%s: the picture did not move" % what)
            if not env:
                log = open(g.log).read()
                check("is the frame thread from frame" in log,
                      "%s: the log does not say who took the frames" % what)


def test_thread_presenter_seeded_and_snapshot_refused():
    # Two runs under one seed present the same pictures at the same steps,
    # another seed others; `save` on a game whose frames run on its render
    # thread says why it cannot, and the game goes on.
    a = hashes([THREAD], 6, 31)
    b = hashes([THREAD], 6, 31)
    d = hashes([THREAD], 6, 32)
    check(a == b, "one seed, different pictures")
    check(a != d, "another seed, the same pictures")
    check(len(set(a)) == 6, "the pictures do not change")
    with game([THREAD]) as g:
        c = g.connect()
        render_thread_started(c)
        c.ok("step 5")
        for cmd in ("save a", "reset"):
            r = c.cmd(cmd)
            check(r.startswith("err snapshot") and "not its main thread" in r, "%s: %r" % (cmd, r))
        check(c.ok("step 1") == "6", "the game goes on")


def after_ticks(c):
    """The last "after N ms M" the lingering main thread wrote: (N, M)."""
    text = "".join(json.loads(c.ok("screen")))
    found = re.findall(r"after (\d+) ms (\d+)", text)
    check(found, "the main thread wrote nothing after the render thread: %r" % text)
    return tuple(int(v) for v in found[-1])


def test_frames_back_to_main_when_render_thread_ends():
    # gl-thread-game --linger 20: the render thread takes the frames, ends
    # after its 20 pictures, and the frames are the main thread's again:
    # steps still return, each now one 30 ms sleep of the main thread
    # (frame_tid back to the process id, presenting false).
    with game([THREAD, "--linger", "20"]) as g:
        c = g.connect()
        render_thread_started(c)
        check(c.ok("step 30") == "30", "steps stopped when the render thread ended")
        info = json.loads(c.ok("info"))
        check(info["frame_tid"] == info["pid"] and info["presenting"] is False, info)
        n1, ms1 = after_ticks(c)
        check(c.ok("step 5") == "35", "step")
        n2, ms2 = after_ticks(c)
        check(n2 - n1 == 5 and ms2 - ms1 == 150, "5 steps: %r then %r" % ((n1, ms1), (n2, ms2)))


def test_render_thread_trace_replays_identically():
    # gl-thread-game --join: its frames are the render thread's from
    # frame 0 (the main thread only joins), so a trace of it, with a key
    # sent, replays identically frame by frame (dumper replay compares
    # every frame's state hash).
    trace = os.path.join(TMP, "thread.trace")
    with game([THREAD, "--join"], env={"HOOK_TRACE": trace}, seed=9) as g:
        c = g.connect()
        render_thread_started(c)
        c.ok("step 15")
        c.ok("key a")
        c.ok("step 15")
        check(status(c)["keys"] == 1, "the key did not arrive")
        c.ok("trace stop")
    r = subprocess.run([os.path.join(BUILD, "dumper"), "replay", trace],
                       capture_output=True, text=True, timeout=300)
    check(r.returncode == 0 and "identical: 31 frames" in r.stdout,
          "replay: %d\n%s%s" % (r.returncode, r.stdout, r.stderr[-2000:]))
