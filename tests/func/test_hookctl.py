"""hookctl: one-shot commands with exit status 0/1, scripts from standard
input (stopping at the first error unless -k), and `hookctl run` with its
handshake, failing clearly when the shim cannot load."""
import json
import os
import shutil
import stat
import subprocess
import tempfile

from gh import BUILD, HOOKCTL, PROGS, Conn, Game, check, frame_of, hookctl, wait_until


def test_one_shot_exit_status():
    with Game([PROGS + "/worker-clock"], lockstep=True) as g:
        g.connect()
        r = hookctl("-s", g.sock, "step", "7")
        check(r.returncode == 0 and r.stdout == "7\n", r)
        r = hookctl("-s", g.sock, "step", "zero")
        check(r.returncode == 1 and r.stdout == "" and "usage" in r.stderr, r)
        r = hookctl("-s", g.sock, "bogus")
        check(r.returncode == 1 and "unknown command" in r.stderr, r)


def test_script_from_stdin():
    with Game([PROGS + "/worker-clock"], lockstep=True) as g:
        c = g.connect()
        r = hookctl("-s", g.sock, input="# a comment\nstep 2\n\nbogus\nstep 3\n")
        check(r.returncode == 1 and r.stdout == "2\n", r)
        check(frame_of(c) == 2, "stopped at the first error")
        r = hookctl("-k", "-s", g.sock, input="step 2\nbogus\nstep 3\n")
        check(r.returncode == 1 and r.stdout == "4\n7\n", r)
        check(frame_of(c) == 7, "-k went on")


def test_help_lists_every_command():
    r = hookctl("--help")
    check(r.returncode == 0, r)
    for cmd in ("hello", "info", "pause", "resume", "step", "speed", "key",
                "keydown", "keyup", "type", "screen", "quit", "detach"):
        check("\n  " + cmd + " " in r.stdout, "help lacks " + cmd)


def test_no_game_running_is_a_clear_error():
    d = tempfile.mkdtemp(dir=BUILD)
    r = hookctl("hello", env={"XDG_RUNTIME_DIR": d})
    shutil.rmtree(d)
    check(r.returncode == 2 and "no running game" in r.stderr, r)


def test_run_background_handshake():
    d = tempfile.mkdtemp(dir=BUILD)
    sock = os.path.join(d, "g.sock")
    out = os.path.join(d, "game.out")
    r = hookctl("run", "--lockstep", "-b", "-s", sock, "--output", out, "--",
                PROGS + "/worker-clock")
    try:
        check(r.returncode == 0 and r.stdout.strip() == sock, r)
        c = Conn(sock)
        h = json.loads(c.ok("hello"))
        check(h["mode"] == "lockstep" and h["exe"].endswith("worker-clock"), h)
        c.ok("step 3")
        wait_until(lambda: "frame 3 at 30" in open(out).read(), what="game output")
        os.kill(h["pid"], 9)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_run_foreground_returns_game_status():
    d = tempfile.mkdtemp(dir=BUILD)
    r = hookctl("run", "--speed", "max", "-s", os.path.join(d, "g.sock"), "--",
                PROGS + "/worker-clock", "20")
    shutil.rmtree(d, ignore_errors=True)
    check(r.returncode == 0 and "frame 19 at 190" in r.stdout, r)
    check("socket" in r.stderr, "the socket path is announced: %r" % r.stderr)


def test_run_refuses_what_ld_preload_cannot_enter():
    d = tempfile.mkdtemp(dir=BUILD)
    try:
        r = hookctl("run", "--", PROGS + "/static-game")
        check(r.returncode == 2 and "statically linked" in r.stderr, r)
        r = hookctl("run", "--", os.path.join(d, "missing"))
        check(r.returncode == 2 and "No such file" in r.stderr, r)
        r = hookctl("run", "--", "no-such-game-anywhere")
        check(r.returncode == 2 and "not found" in r.stderr, r)
        arm = os.path.join(d, "arm-game")
        data = bytearray(open(PROGS + "/worker-clock", "rb").read())
        data[18:20] = (183).to_bytes(2, "little")   # EM_AARCH64
        open(arm, "wb").write(data)
        os.chmod(arm, 0o755)
        r = hookctl("run", "--", arm)
        check(r.returncode == 2 and "another architecture" in r.stderr, r)
        setid = os.path.join(d, "setid-game")
        shutil.copy(PROGS + "/worker-clock", setid)
        os.chmod(setid, 0o755 | stat.S_ISUID)
        r = hookctl("run", "--", setid)
        check(r.returncode == 2 and "set-id" in r.stderr, r)
        r = hookctl("run", "--speed", "fast", "-s", os.path.join(d, "s.sock"), "--",
                    PROGS + "/worker-clock")
        check(r.returncode == 2 and "HOOK_SPEED" in r.stderr, r)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_run_notices_a_missing_handshake():
    # A script that runs a static binary: it passes the pre-checks, but the
    # shim never says hello (its bash parent does: target only the game).
    d = tempfile.mkdtemp(dir=BUILD)
    script = os.path.join(d, "wrapper.sh")
    open(script, "w").write("#!/bin/sh\nexec %s 5\n" % (PROGS + "/static-game"))
    os.chmod(script, 0o755)
    r = hookctl("run", "--target", "static-game", "--timeout", "2", "--", script)
    shutil.rmtree(d, ignore_errors=True)
    check(r.returncode == 2 and "did not load" in r.stderr, r)
