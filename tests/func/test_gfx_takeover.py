"""A thread that presents takes the frames over at the same frame in every
run, whether it presents before or after the frame thread's first wait.
gl-thread-game's render thread presents while its main thread is still on
its way to its first sleep (--late: the main thread computes until the
render thread presents, as a slow main thread on a loaded machine does);
the frames are handed over at the main thread's next boundary all the
same, so the pictures, the render thread's frame numbers and its clock at
every step equal those of a run whose main thread sleeps at once (before,
the render thread took the frames from the main thread while it computed:
its first picture became frame 0 instead of 1, one picture ahead at every
step, which made test_gfx_egl's seeded runs differ when pthread_create's
settling let the render thread present first). A main thread that joins
the render thread hands the frames over in its join, at frame 0, early
or late. No hand-over was forced by the real-time fallback (info's
takeover_forced), and info counts the new threads pthread_create stopped
waiting for (start_gave_up: the render thread's start-up outlasts its
real-time bound on a loaded machine, and the frames do not depend on it)."""
import atexit
import hashlib
import json
import os
import re
import shutil
import tempfile

import xshot
from gh import BUILD, Game, check, wait_until

THREAD = os.path.join(BUILD, "tests", "gl-thread-game")

TMP = tempfile.mkdtemp(prefix="gh-gfxtake-")
atexit.register(shutil.rmtree, TMP, True)
X = xshot.Xvfb(TMP)
atexit.register(X.stop)


def status(c):
    """gl-thread-game's last status line, as a dict of numbers."""
    rows = [r for r in json.loads(c.ok("screen")) if "frame " in r]
    check(rows, "no status line")
    line = rows[-1].split("\r")[-1]
    return {k: int(v) for k, v in re.findall(r"(\w+) (-?\d+)", line)}


def run(args, seed=31):
    """Three steps of 3 frames once the render thread has the frames: at
    each, the screenshot's hash, the render thread's frame and clock; and
    info at the end."""
    out = []
    e = dict(X.env, HOOK_SEED=str(seed))
    with Game([THREAD] + args, env=e, lockstep=True) as g:
        c = g.connect()
        pid = json.loads(c.ok("info"))["pid"]
        wait_until(lambda: json.loads(c.ok("info"))["frame_tid"] not in (0, pid),
                   60, "the render thread to take the frames")
        for i in range(3):
            c.ok("step 3")
            path = os.path.join(TMP, "s.png")
            c.ok("screenshot " + path)
            with open(path, "rb") as f:
                h = hashlib.sha1(f.read()).hexdigest()
            s = status(c)
            out.append((h, s["frame"], s["ms"]))
        info = json.loads(c.ok("info"))
    return out, info


def check_info(info, what):
    check(info.get("takeover_forced") == 0, "%s: a hand-over was forced: %r" % (what, info))
    check(isinstance(info.get("start_gave_up"), int), "%s: no start_gave_up: %r" % (what, info))


def test_takeover_at_the_main_threads_boundary():
    # The main thread's first sleep is frame 0 and the render thread's
    # first picture frame 1, whether the render thread presents before
    # that sleep (--late) or after it.
    a, ia = run([])
    b, ib = run(["--late"])
    check(a == b, "a late main thread changed the frames:\n%r\n%r" % (a, b))
    check(a[0][1] == 1, "the render thread's first picture is not frame 1: %r" % (a,))
    check(len(set(h for h, _, _ in a)) == 3, "the pictures do not change: %r" % (a,))
    check_info(ia, "plain")
    check_info(ib, "late")


def test_takeover_in_a_join():
    # A main thread that only joins the render thread: the render
    # thread's first picture is frame 0, early or late.
    a, ia = run(["--join"])
    b, ib = run(["--join", "--late"])
    check(a == b, "a late join changed the frames:\n%r\n%r" % (a, b))
    check(a[0][1] == 2, "the render thread's first picture is not frame 0: %r" % (a,))
    check_info(ia, "join")
    check_info(ib, "late join")
