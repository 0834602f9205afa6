"""The shim itself: it exports exactly its hooks, never writes to the
game's terminal, leaves a game playing as it would without it, and is safe
when other libraries' constructors call its hooks before or after its own
constructor ran."""
import json
import os
import re
import subprocess

from gh import DEMO, LIB, PROGS, ROOT, Game, check, screen, status, wait_until


def test_exports_exactly_the_hooks():
    syms = subprocess.run(["nm", "-D", "--defined-only", LIB], capture_output=True,
                          text=True, check=True).stdout
    exported = {l.split()[-1] for l in syms.splitlines() if l.split()[1] in "TW"}
    text = open(os.path.join(ROOT, "shim", "libhook.map")).read()
    body = text.split("global:")[1].split("local:")[0]
    wanted = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", body))
    check(exported == wanted, "exported %r, version script %r" % (
        sorted(exported ^ wanted), sorted(wanted)))


def test_nothing_written_to_the_terminal():
    with Game([PROGS + "/worker-clock"], lockstep=True) as g:
        c = g.connect()
        c.ok("step 5")
        c.cmd("bogus")
        g.wait_output(r"frame 5 at 50")
        lines = g.text().splitlines()
        check(all(re.match(r"^(frame|worker) \d+ at \d+\r?$", l) for l in lines),
              "foreign output on the terminal: %r" % lines)
        check("driving" in open(g.log).read(), "the log is where the shim writes")


def test_demo_plays_the_same_with_and_without_the_shim():
    # The same keys on the real keyboard: the game quits cleanly both ways,
    # having drawn its status line.
    for shim in (False, True):
        with Game([DEMO, "--seed", "9"], shim=shim) as g:
            g.wait_output(r"HP 100/100")
            g.wait_output(r"Regen [1-9]")
            g.type_real(b"q")
            wait_until(lambda: not g.alive(), what="quit")
            check(g.proc.returncode == 0, "status %r with shim=%r" % (g.proc.returncode, shim))


def test_run_mode_keeps_real_time():
    with Game([DEMO, "--seed", "9"]) as g:
        c = g.connect()
        t0 = status(screen(c))["tick"]
        import time
        time.sleep(1.0)
        t1 = status(screen(c))["tick"]
        check(15 <= t1 - t0 <= 45, "%d ticks in 1 s at speed 1 (30 Hz game)" % (t1 - t0))


def test_hooks_safe_in_other_constructors():
    lib = PROGS + "/libctor.so"
    for order in ("%s:%s" % (lib, LIB), "%s:%s" % (LIB, lib)):
        with Game([PROGS + "/worker-clock"], lockstep=True,
                  env={"LD_PRELOAD": order}) as g:
            c = g.connect()
            check(c.ok("step 3") == "3", "steps with " + order)
            g.wait_output(r"ctor-ok")


def test_stripped_demo_under_the_shim():
    with Game([DEMO + ".stripped", "--seed", "2"], lockstep=True) as g:
        c = g.connect()
        c.ok("step 30")
        st = status(screen(c))
        check(st["tick"] >= 30, st)
        check(json.loads(c.ok("hello"))["build_id"] != "", "build id read from memory")
