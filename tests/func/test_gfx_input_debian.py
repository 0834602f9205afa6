"""Input moves something in graphical games nobody here wrote, as Debian
packages them, on a private Xvfb: lbreakouthd (SDL2), whose menu stands
still until a key moves its selection, and pipewalker (SDL 1.2 with
OpenGL), which presents a new picture only when input comes: with none it
presents nothing more, a click turns a pipe (a new picture) and so does a
key. The packages are installed by the test's own setup (scripts/deps.sh)."""
import atexit
import hashlib
import json
import os
import shutil
import subprocess
import tempfile

import xshot
from gh import ROOT, Game, check, wait_until

PACKAGES = ["lbreakouthd", "pipewalker"]
TMP = tempfile.mkdtemp(prefix="gh-gfxin-deb-")
atexit.register(shutil.rmtree, TMP, True)

r = subprocess.run(["sh", os.path.join(ROOT, "scripts", "deps.sh")] + PACKAGES)
check(r.returncode == 0, "installing %s failed" % PACKAGES)
# A set-group-id program ignores LD_PRELOAD: a private copy has no such bit.
LBREAKOUT = os.path.join(TMP, "lbreakouthd")
shutil.copyfile("/usr/games/lbreakouthd", LBREAKOUT)
os.chmod(LBREAKOUT, 0o755)

X = xshot.Xvfb(TMP)
atexit.register(X.stop)


def game(argv):
    home = tempfile.mkdtemp(dir=TMP)   # they write their settings there
    e = dict(X.env, HOME=home, SDL_VIDEODRIVER="x11", SDL_AUDIODRIVER="dummy")
    return Game(argv, env=e, lockstep=True)


def picture(c):
    """(frame presented, sha1 of its pixels) of the last picture."""
    path = os.path.join(TMP, "shot.png")
    r = json.loads(c.ok("screenshot " + path + " --gray"))
    return r["frame"], hashlib.sha1(open(path, "rb").read()).hexdigest()


def test_lbreakouthd_menu_moves_with_keys():
    with game([LBREAKOUT]) as g:
        c = g.connect()
        wait_until(lambda: json.loads(c.ok("info"))["frame"] >= 0, 60,
                   "the first frame")
        check(json.loads(c.ok("info"))["input"] == "sdl2", "lbreakouthd's input")
        c.ok("step 60")
        still = set()
        for _ in range(3):
            c.ok("step 10")
            still.add(picture(c)[1])
        check(len(still) == 1, "the menu moves by itself: %d pictures" % len(still))
        f = int(c.ok("key down"))
        c.ok("step 5")
        at, pic = picture(c)
        check(at >= f and pic not in still,
              "key down did not move the menu (picture of frame %d)" % at)


def test_pipewalker_turns_a_pipe_on_a_click():
    with game(["/usr/games/pipewalker"]) as g:
        c = g.connect()
        first = None
        for _ in range(40):
            c.ok("step 1")
            r = c.cmd("screenshot %s" % os.path.join(TMP, "pw.png"))
            if r.startswith("ok"):
                first = picture(c)
                break
        check(first is not None, "no picture in 40 frames")
        check(json.loads(c.ok("info"))["input"] == "sdl1.2", "pipewalker's input")
        c.ok("step 10")
        check(picture(c) == first, "pipewalker presented with no input")
        f = int(c.ok("click 300 300"))
        c.ok("step 5")
        at, pic = picture(c)
        check(at >= f and pic != first[1],
              "a click presented nothing new (last picture: frame %d)" % at)
        g2 = int(c.ok("key right"))
        c.ok("step 5")
        at2, pic2 = picture(c)
        check(at2 >= g2 and pic2 != pic, "a key presented nothing new")
