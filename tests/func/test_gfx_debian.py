"""Graphical games nobody here wrote, as Debian packages them, on a private
Xvfb: lbreakouthd (SDL2's renderer, SDL_mixer on the dummy audio driver;
set-group-id, so run as a private copy), glxgears (mesa-utils: OpenGL on
GLX, animated by the clock) and pipewalker (SDL 1.2 with OpenGL; it
redraws only on input, idle between). For each: lockstep steps return and
virtual time moves; the picture is read (lbreakouthd's menu, drawn in
detail and still without input; glxgears' gears, which change as the game
runs); two runs of glxgears under
one seed present the same pictures at the same frames; two runs of
lbreakouthd under one seed, with the same keys in its menu at the same
frames, present the same picture at every frame from its first (whose
rows the menu never covers showed a freed image in one run and black in
another before seeded runs zeroed large new blocks), and other keys
another picture somewhere; two runs of pipewalker under one seed with the
same clicks give the same picture at every frame, other clicks another;
pipewalker, presenting once and then waiting for events, still steps (a
presenting game that waits 50 virtual ms without presenting ends a frame)
and its first picture is read. The packages are installed by the test's
own setup (scripts/deps.sh)."""
import atexit
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import xshot
from gh import ROOT, Game, check, wait_until

sys.path.insert(0, os.path.join(ROOT, "python"))   # xshot.frame_hashes

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
    """(frame, width, height, sha1 of the pixels, size of the gray PNG) of
    the presented picture."""
    path = os.path.join(TMP, "shot.png")
    r = json.loads(c.ok("screenshot " + path + " --gray"))
    return (r["frame"], r["width"], r["height"],
            hashlib.sha1(open(path, "rb").read()).hexdigest(),
            os.path.getsize(path))


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


def every_frame(argv, seed, inputs, n):
    """N steps of one frame, INPUTS[f] (a client method and its
    arguments) sent before step F: each frame's (frame, vtime, sha1 of the
    picture, None before the first)."""
    with game(argv, seed) as g:
        g.connect(timeout=60)
        return xshot.frame_hashes(g.sock, n, inputs)


def same_runs(name, a, b):
    """Check two runs' frames equal, from before the first picture on."""
    diff = [(x, y) for x, y in zip(a, b) if x != y]
    check(len(a) == len(b) and not diff, "%s: %d of %d frames differ, "
          "first %r" % (name, len(diff), len(a), diff[:1]))


def test_lbreakouthd():
    a, vt = run([LBREAKOUT], 5, [60, 80, 100])
    check(vt > 0, "virtual time stood still")
    # Its window takes the screen's size (Xvfb's 1280x1024 here), and the
    # menu is drawn: its gray PNG holds detail (a blank one is a few KB).
    check(all(p[1] >= 640 and p[2] >= 480 and p[4] > 50000 for p in a), a)
    # Without input the menu stands still (keys move it: the next test).
    # (Before seeded runs zeroed large new blocks, the rows it never draws
    # showed a freed image in some runs, and this picture changed.)
    check(len({p[3] for p in a}) == 1, "lbreakouthd's menu moved: %r" % a)


def test_lbreakouthd_seeded_runs_are_identical():
    # Keys in its menu (the selection moves down twice, then up) at the
    # same frames of two runs under one seed: the same picture at every
    # frame, the first included (its undrawn top rows were a freed image
    # in one run, black in another: a block Mesa's back buffer got from
    # the heap or fresh from the kernel, as thread timing fell).
    keys = {60: ("key", "down"), 70: ("key", "down"), 80: ("key", "up")}
    a = every_frame([LBREAKOUT], 5, keys, 90)
    shots = [x for x in a if x[2] is not None]
    check(len(shots) >= 40, "lbreakouthd presented %d pictures" % len(shots))
    check(shots[0][0] < 60, "its first picture came at frame %d" % shots[0][0])
    # The keys moved the selection: the menu before, after one, after two.
    check(len({a[58][2], a[68][2], a[78][2]}) == 3, "the keys moved nothing")
    b = every_frame([LBREAKOUT], 5, keys, 90)
    same_runs("lbreakouthd", a, b)
    # Other keys, another picture: the comparison sees the pictures.
    c = every_frame([LBREAKOUT], 5, {60: ("key", "down")}, 90)
    check(a[:60] == c[:60], "a third run differs before the keys")
    check(a[65:] != c[65:], "other keys, same pictures")


def test_pipewalker_seeded_runs_are_identical():
    # Clicks turning two pipes, at the same frames of two runs under one
    # seed: the same picture at every frame.
    clicks = {20: ("click", 300, 300), 30: ("click", 200, 250)}
    a = every_frame(["/usr/games/pipewalker"], 3, clicks, 50)
    check(a[0][2] is not None, "no picture at the first frame")
    check(len({x[2] for x in a}) > 3, "the clicks turned nothing: %r" % a)
    b = every_frame(["/usr/games/pipewalker"], 3, clicks, 50)
    same_runs("pipewalker", a, b)
    c = every_frame(["/usr/games/pipewalker"], 3,
                    {20: ("click", 300, 300), 30: ("click", 400, 250)}, 50)
    check(a[:30] == c[:30], "a third run differs before the clicks")
    check(a[30:] != c[30:], "other clicks, same pictures")


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
