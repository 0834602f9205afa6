"""Graphical games nobody here wrote, as Debian packages them, on a private
Xvfb: lbreakouthd (SDL2's renderer, SDL_mixer on the dummy audio driver;
set-group-id, so run as a private copy), glxgears (mesa-utils: OpenGL on
GLX, animated by the clock) and pipewalker (SDL 1.2 with OpenGL; it
redraws only on input, idle between). For each: lockstep steps return and
virtual time moves; the picture is read (lbreakouthd's menu,
glxgears' gears) and changes as the game runs; two runs of glxgears under
one seed present the same pictures at the same frames (lbreakouthd's do
not: X events reach it in real time); pipewalker, presenting
once and then waiting for events, still steps (a presenting game that
waits 50 virtual ms without presenting ends a frame) and its first
picture is read. Input that moves something is gfx-input's part. The
packages are installed by the test's own setup (scripts/deps.sh)."""
import atexit
import hashlib
import json
import os
import shutil
import subprocess
import tempfile

import xshot
from gh import ROOT, Game, check, wait_until

PACKAGES = ["lbreakouthd", "pipewalker", "mesa-utils"]
TMP = tempfile.mkdtemp(prefix="gh-gfxdeb-")
atexit.register(shutil.rmtree, TMP, True)

r = subprocess.run(["sh", os.path.join(ROOT, "scripts", "deps.sh")] + PACKAGES)
check(r.returncode == 0, "installing %s failed" % PACKAGES)
# A set-group-id program ignores LD_PRELOAD: a private copy has no such bit.
LBREAKOUT = os.path.join(TMP, "lbreakouthd")
shutil.copyfile("/usr/games/lbreakouthd", LBREAKOUT)
os.chmod(LBREAKOUT, 0o755)

X = xshot.Xvfb(TMP)
atexit.register(X.stop)


def game(argv, seed=None):
    home = tempfile.mkdtemp(dir=TMP)   # lbreakouthd writes its settings there
    e = dict(X.env, HOME=home, SDL_VIDEODRIVER="x11", SDL_AUDIODRIVER="dummy")
    if seed is not None:
        e["HOOK_SEED"] = str(seed)
    return Game(argv, env=e, lockstep=True)


def picture(c):
    """(frame, width, height, sha1 of the pixels) of the presented picture."""
    path = os.path.join(TMP, "shot.png")
    r = json.loads(c.ok("screenshot " + path + " --gray"))
    return r["frame"], r["width"], r["height"], hashlib.sha1(open(path, "rb").read()).hexdigest()


def run(argv, seed, marks):
    """The pictures at each frame of MARKS, and virtual time at the end."""
    out = []
    with game(argv, seed) as g:
        c = g.connect()
        wait_until(lambda: json.loads(c.ok("info"))["frame"] == 0, 60,
                   "the first frame")
        for f in marks:
            now = int(json.loads(c.ok("info"))["frame"])
            got = c.ok("step %d" % (f - now))
            check(got == str(f), "%s: step %d from %d reached %s" % (argv[0], f - now, now, got))
            out.append(picture(c))
        vt = json.loads(c.ok("info"))["vtime_ns"]
    return out, vt


def test_lbreakouthd():
    # Not compared across runs: X server events (the window's mapping,
    # exposure, focus) reach it in real time, and its first picture came
    # at frame 27 in one run, 28 in another (README, Limits).
    a, vt = run([LBREAKOUT], 5, [60, 80, 100])
    check(vt > 0, "virtual time stood still")
    # Its window takes the screen's size (Xvfb's 1280x1024 here).
    check(all(p[1] >= 640 and p[2] >= 480 for p in a), a)
    check(len({p[3] for p in a}) > 1, "lbreakouthd's menu never changed: %r" % a)


def test_glxgears():
    marks = [5, 6, 7, 8, 20]
    argv = ["/usr/bin/glxgears", "-geometry", "200x150"]
    a, vt = run(argv, 9, marks)
    check(all(p[1:3] == (200, 150) for p in a), a)
    check(len({p[3] for p in a}) == len(a), "the gears stood still: %r" % a)
    b, _ = run(argv, 9, marks)
    check(a == b, "one seed, different pictures")


def test_pipewalker_idle_still_steps():
    with game(["/usr/games/pipewalker"]) as g:
        c = g.connect()
        shot = None
        for f in range(1, 40):
            check(c.ok("step 1") == str(f), "step %d" % f)
            r = c.cmd("screenshot %s --size 64x48" % os.path.join(TMP, "pw.png"))
            if r.startswith("ok"):
                shot = json.loads(r[3:])
                break
        check(shot is not None and shot["width"] == 64, "no picture in 40 frames")
        v0 = json.loads(c.ok("info"))["vtime_ns"]
        check(c.ok("step 30") == str(f + 30), "an idle pipewalker does not step")
        v1 = json.loads(c.ok("info"))["vtime_ns"]
        check(v1 - v0 >= 30 * 50000000, "30 idle frames took %d ns" % (v1 - v0))
