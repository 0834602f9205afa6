"""The Python client (python/gamehook/) drives the demo game over the
binary protocol: launch with a layout and a seed, steps that return
observations (a path, several, the whole state, the raw blob numpy can
read), keys that change what the game does, reset giving the same
episode twice, errors raised as GamehookError with codes from its mirror
of the shim's error code table (a load of a name never saved, or
dropped), close ending the game, and launch(drain=False)
leaving the terminal to the Game's own waits instead of a thread."""
import os
import subprocess
import sys
import tempfile

from gh import ROOT, cc, check

sys.path.insert(0, os.path.join(ROOT, "python"))
import gamehook  # noqa: E402

DEMO = os.path.join(ROOT, "build", "demo-game")
LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")


def launch():
    return gamehook.Game.launch([DEMO], layout=LAYOUT, seed=5)


def test_steps_observe_and_keys_act():
    import numpy
    with launch() as g:
        check(g.state_size == 2592 and g.layout["gamehook_layout"] == 1,
              "hello: %r %r" % (g.state_size, g.layout and list(g.layout)))
        o = g.step(10, observe=["hero.hp"])
        check(o.frame == 10 and o["hero.hp"] == 100, repr(o))
        x0 = g.get("hero.x")
        g.key("right", "right")
        o = g.step(3, observe=["hero.x", "game.tick"], raw=True)
        check(o["hero.x"] == x0 + 2, "hero.x %r after two rights from %r" % (
            o["hero.x"], x0))
        # The raw blob: hero is the first field, hp its second <i4.
        blob = numpy.frombuffer(o.state, dtype=numpy.uint8)
        check(blob.size == 2592, "blob of %d bytes" % blob.size)
        check(int(blob[4:8].view("<i4")[0]) == g.get("hero.hp"), "raw hp")
        whole = g.step(1, all_state=True)
        check(whole.values["hero"]["x"] == x0 + 2 and "entities" in whole.values,
              repr(whole.values)[:200])


def test_reset_gives_the_same_episode():
    with launch() as g:
        def episode():
            g.reset()
            out = []
            for k in ["right", "right", "space", "left", "space"]:
                g.key(k)
                out.append(g.step(20, all_state=True).values)
            return out
        a, b = episode(), episode()
        check(a == b, "two episodes after reset differ")


def test_errors_raise_and_close_ends_the_game():
    g = launch()
    try:
        try:
            g.get("nope")
            check(False, "no error for an unknown field")
        except gamehook.GamehookError as e:
            check(e.code == "field" and "unknown field 'nope'" in e.message, str(e))
        try:
            g.load("never-saved")
            check(False, "no error for a missing snapshot")
        except gamehook.GamehookError as e:
            check(e.code == "snapshot" and e.code in gamehook.ERROR_CODES, str(e))
        g.save("kept")
        check(g.drop("kept") == {"name": "kept", "dropped": True}, "drop")
        try:
            g.load("kept")
            check(False, "a dropped snapshot loaded")
        except gamehook.GamehookError as e:
            check(e.code == "snapshot", str(e))
        pid = g.pid
    finally:
        g.close()
    check(not os.path.exists("/proc/%d/status" % pid) or
          "zombie" in open("/proc/%d/status" % pid).read(), "the game still runs")
    try:
        gamehook.Game.launch(["/nonexistent/game"], timeout=5)
        check(False, "launching nothing did not fail")
    except (gamehook.GamehookError, OSError):
        pass


def test_error_codes_mirror_the_shims_table():
    # gamehook.ERROR_CODES is common/errcode.c's name table, in its order
    # (read by a program built on that file, not by parsing it).
    with tempfile.TemporaryDirectory() as d:
        exe = cc(d, "names", '#include <stdio.h>\n#include "errcode.h"\n'
                 "int main(void) {\n"
                 "\tfor (int i = ERR_NONE + 1; i < ERR_COUNT; i++)\n"
                 '\t\tprintf("%s\\n", err_name(i));\n'
                 "\treturn err_name(ERR_COUNT) != NULL;\n}\n",
                 "-I", os.path.join(ROOT, "common"),
                 os.path.join(ROOT, "common", "errcode.c"))
        names = subprocess.run([exe], capture_output=True, text=True, check=True)
    c_names = tuple(names.stdout.split())
    check(len(c_names) > 10 and "field" in c_names, c_names)
    check(gamehook.ERROR_CODES == c_names, "Python %r, C %r" % (
        gamehook.ERROR_CODES, c_names))


def test_launch_without_a_drain_thread():
    # Game.launch(drain=False): once connected no thread reads the
    # terminal; it is g.terminal, the Game's own waits drain it (a step of
    # 3,000 frames writes far more than a pty holds, and still returns),
    # and drain_terminal() reads it; with the default a thread drains.
    import threading
    with gamehook.Game.launch([DEMO], layout=LAYOUT, seed=5,
                              drain=False, timeout=20) as g:
        check(g.terminal is not None and g._drainer is not None,
              "terminal %r" % (g.terminal,))
        g._drainer.join(5)     # it stops once the game answered
        check(not g._drainer.is_alive(), "the drain thread still runs")
        o = g.step(3000, observe=["game.tick"])
        check(o.frame == 3000 and o["game.tick"] == 3001, repr(o))
        # What the game wrote since is there for this process to read.
        import select
        g.command("step 5")
        check(select.select([g.terminal], [], [], 10)[0] != [],
              "nothing to read on the terminal")
        g.drain_terminal()
        check(g.step(2).frame == 3007, "after drain_terminal")
    with launch() as g:
        check(g.terminal is None and g._drainer.is_alive() and
              g._drainer in threading.enumerate(), "no drain thread")
