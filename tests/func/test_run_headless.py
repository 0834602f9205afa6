"""hookctl run for scripts and set-id games: from a script with no terminal,
`SOCK=$(hookctl run --background ...)` gives a terminal game a pty of its
own (80x24) and returns, and the game is driven and draws (the demo game,
which refuses to start without a terminal); --pty COLSxROWS sets the size,
a bad size is refused; the game's terminal output reaches --output; and a
set-id game runs as a private copy without the bit with --copy (the copy
is said on stderr, is not set-id, and the game is driven), while without
--copy it is refused with the hint."""
import json
import os
import shutil
import stat
import subprocess
import tempfile
import time

from gh import BUILD, DEMO, HOOKCTL, PROGS, check, wait_until


def _env(d):
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("HOOK_") and k not in ("GAMEHOOK_OWNER", "LD_PRELOAD")}
    e["XDG_RUNTIME_DIR"] = d
    return e


def ctl(sock, *args):
    return subprocess.run([HOOKCTL, "-s", sock] + list(args), capture_output=True,
                          text=True, timeout=30)


def _stop(sock):
    r = ctl(sock, "hello")
    if r.returncode == 0:
        pid = json.loads(r.stdout)["pid"]
        try:
            os.kill(pid, 9)
        except OSError:
            pass


def test_background_without_a_terminal_gives_the_game_a_pty():
    with tempfile.TemporaryDirectory() as d:
        sock = os.path.join(d, "g.sock")
        out = os.path.join(d, "out")
        # A script's view: no terminal anywhere, a new session.
        r = subprocess.run([HOOKCTL, "run", "--lockstep", "--background", "-s", sock,
                            "--output", out, "--", DEMO],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           env=_env(d), timeout=30, start_new_session=True)
        try:
            check(r.returncode == 0 and r.stdout.strip() == sock, repr(r))
            r = ctl(sock, "step", "20")
            check(r.returncode == 0 and r.stdout.strip() == "20", repr(r))
            rows = json.loads(ctl(sock, "screen").stdout)
            check(len(rows) == 24 and len(rows[0]) <= 80 and "HP" in rows[0],
                  "screen %r" % rows[:2])
            # What the game drew reached --output through the relay.
            wait_until(lambda: os.path.exists(out) and b"HP" in open(out, "rb").read(),
                       10, "the game's output in --output")
        finally:
            _stop(sock)


def test_pty_size_and_a_bad_size():
    with tempfile.TemporaryDirectory() as d:
        sock = os.path.join(d, "g.sock")
        r = subprocess.run([HOOKCTL, "run", "--lockstep", "--background", "--pty",
                            "120x40", "-s", sock, "--", DEMO],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           env=_env(d), timeout=30)
        try:
            check(r.returncode == 0, repr(r))
            ctl(sock, "step", "5")
            rows = json.loads(ctl(sock, "screen").stdout)
            check(len(rows) == 40, "%d rows at 120x40" % len(rows))
        finally:
            _stop(sock)
        r = subprocess.run([HOOKCTL, "run", "--pty", "12", "--", DEMO],
                           capture_output=True, text=True, env=_env(d), timeout=30)
        check(r.returncode == 2 and "--pty takes COLSxROWS" in r.stderr, repr(r))


def test_set_id_game_runs_as_a_private_copy():
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        game = os.path.join(d, "setgid-game")
        shutil.copy(PROGS + "/itimer-game", game)
        os.chmod(game, 0o755 | stat.S_ISGID)
        r = subprocess.run([HOOKCTL, "run", "--", game], capture_output=True,
                           text=True, env=_env(d), timeout=30)
        check(r.returncode == 2 and "--copy" in r.stderr, repr(r))
        sock = os.path.join(d, "g.sock")
        r = subprocess.run([HOOKCTL, "run", "--copy", "--lockstep", "--background",
                            "-s", sock, "--", game],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           env=_env(d), timeout=30)
        try:
            check(r.returncode == 0, repr(r))
            copy = os.path.join(d, "gamehook", "copies", "setgid-game")
            check("private copy" in r.stderr and copy in r.stderr, r.stderr)
            st = os.stat(copy)
            check(not st.st_mode & (stat.S_ISUID | stat.S_ISGID), oct(st.st_mode))
            r = ctl(sock, "step", "10")
            check(r.returncode == 0 and r.stdout.strip() == "10", repr(r))
            hello = json.loads(ctl(sock, "hello").stdout)
            check(hello["exe"] == copy, hello["exe"])
        finally:
            _stop(sock)
