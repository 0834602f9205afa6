"""Terminal games nobody here wrote, as Debian packages them, driven the way
the demo is: ninvaders (ticks on setitimer + SIGALRM, curses), worm (ticks
on alarm(), its moves made inside the SIGALRM handler, seeds from getpid),
nsnake (curses with nodelay input and napms), moon-buggy (a select loop,
set-group-id: run as a private copy), tetris-bsd (draws with termcap
escape codes, no curses; set-group-id, a copy), pacman4console (a busy
loop: ftime and a nodelay getch, never waiting; 100x40) and atc (reads
its keys with stdio's getchar, ticks on setitimer; set-group-id). For each: lockstep steps
return and virtual time moves, a stopped game stands still, injected keys
change what it shows, and two runs with one seed and the same keys end on
the same screen (the pid a seeded game reads is fixed: worm and tetris-bsd
seed from it); tetris-bsd's well and pieces, drawn as reverse-video
blanks, are seen in `screen --attrs`. The packages are installed by the test's own setup
(scripts/deps.sh, apt-get); a failed install fails the test."""
import json
import os
import shutil
import stat
import subprocess
import tempfile
import time

from gh import ROOT, Game, check

PACKAGES = ["bsdgames", "ninvaders", "nsnake", "moon-buggy", "pacman4console"]
COPIES = tempfile.mkdtemp(prefix="gh-games-")

# name: (path and arguments, keys that change the screen, frames before
# and after them)
GAMES = {
    "ninvaders": ("/usr/games/ninvaders", "left left left left", 30, 20),
    "worm": ("/usr/games/worm", "k", 20, 4),
    "nsnake": ("/usr/games/nsnake", "enter", 20, 10),
    "moon-buggy": ("/usr/games/moon-buggy", "enter", 20, 40),
    "tetris-bsd": ("/usr/games/tetris-bsd", "j j j", 20, 20),
    "pacman4console": ("/usr/games/pacman4console", "up up", 30, 15),
    "atc": ("/usr/games/atc -g default", "a", 20, 5),
}
# A terminal size other than 80x24, where the game needs it.
SIZES = {"pacman4console": (100, 40)}

_installed = []


def _setup():
    if _installed:
        return
    r = subprocess.run(["sh", os.path.join(ROOT, "scripts", "deps.sh")] + PACKAGES,
                       capture_output=True, text=True, timeout=900)
    check(r.returncode == 0, "installing %s failed:\n%s" % (PACKAGES, r.stderr[-2000:]))
    _installed.append(1)


def path_of(name):
    """The game's path; a set-id one as a private copy without the bit
    (the loader ignores LD_PRELOAD for set-id programs)."""
    _setup()
    p = GAMES[name][0].split()[0]
    check(os.path.exists(p), "%s is not installed" % p)
    if os.stat(p).st_mode & (stat.S_ISUID | stat.S_ISGID):
        copy = os.path.join(COPIES, name)
        if not os.path.exists(copy):
            shutil.copy(p, copy)
            os.chmod(copy, 0o755)
        return copy
    return p


def argv_of(name):
    return [path_of(name)] + GAMES[name][0].split()[1:]


def game(name, **kw):
    cols, rows = SIZES.get(name, (80, 24))
    return Game(argv_of(name), lockstep=True, rows=rows, cols=cols, **kw)


def view(g, c):
    """What the game shows: the screen's text and every cell's colours and
    attributes (tetris-bsd draws its well and pieces as reverse-video
    blanks: only the attributes show them)."""
    d = json.loads(c.ok("screen --attrs"))
    return d["text"], d["attrs"]


def cells(runs):
    out = []
    for n, fg, bg, at in runs:
        out += [at] * n
    return out


def play(name, seed=3, keys=True):
    _, k, before, after = GAMES[name]
    with game(name, env={"HOOK_SEED": str(seed)}) as g:
        c = g.connect(timeout=15)
        check(c.ok("step %d" % before) == str(before), "step %d" % before)
        v0 = json.loads(c.ok("info"))["vtime_ns"]
        check(v0 > 0, "%s: virtual time did not move" % name)
        a = view(g, c)
        if keys:
            c.ok("key " + k)
        check(c.ok("step %d" % after) == str(before + after), "step %d" % after)
        check(g.alive(), "%s exited" % name)
        b = view(g, c)
        return a, b


def _game(name):
    a, b = play(name)
    check(a != b, "%s: the keys and frames changed nothing" % name)
    _, still = play(name, keys=False)
    check(still != b, "%s: the keys changed nothing" % name)
    a2, b2 = play(name)
    check((a, b) == (a2, b2), "%s: one seed, the same keys, another screen" % name)


def test_ninvaders_setitimer():
    _game("ninvaders")


def test_worm_alarm_handler():
    _game("worm")


def test_nsnake_nodelay():
    _game("nsnake")


def test_moon_buggy_select():
    _game("moon-buggy")


def test_tetris_bsd_raw_escape_codes():
    _game("tetris-bsd")


def test_pacman4console_busy_loop():
    _game("pacman4console")


def test_atc_stdio_getchar():
    _game("atc")


def test_tetris_bsd_board_in_screen():
    # tetris-bsd writes termcap escape codes through putchar/fputs (stdio,
    # not write()): its well, 2-cell reverse-video walls around 20 columns
    # over 20 rows and a floor, and the pieces that land in it, are seen.
    with Game([path_of("tetris-bsd")], lockstep=True, env={"HOOK_SEED": "3"}) as g:
        c = g.connect(timeout=15)
        c.ok("step 20")
        text, attrs = view(g, c)
        check(text[0].startswith("Score:"), "score line: %r" % text[0])
        rows = [cells(r) for r in attrs]
        walls = [y for y, r in enumerate(rows)
                 if r[27:29] == ["r", "r"] and r[49:51] == ["r", "r"]]
        check(len(walls) >= 20, "walls on rows %r:\n%r" % (walls, attrs))
        floor = [y for y, r in enumerate(rows) if r[27:51] == ["r"] * 24]
        check(len(floor) == 1 and floor[0] > max(walls[:20]), "floor %r" % floor)
        inside = lambda: sum(r[29:49].count("r") for r in
                             (cells(x) for x in view(g, c)[1][:floor[0]]))
        falling = inside()
        check(falling > 0, "no piece in the well")
        for _ in range(3):
            c.ok("key space")
            c.ok("step 10")
        check(inside() > falling, "dropped pieces did not land: %r" % view(g, c)[1])


def test_a_stopped_game_stands_still():
    for name in GAMES:
        with game(name) as g:
            c = g.connect(timeout=15)
            c.ok("step 10")
            before = g.settled_output()
            time.sleep(1.0)
            check(g.output() == before, "%s drew while stopped" % name)
