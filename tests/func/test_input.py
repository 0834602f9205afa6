"""Injected keys reach the game through the calls it really reads input with
(curses wgetch, or select/read on standard input), on the frames they are
queued for; in lockstep the real keyboard is ignored unless asked for."""
import time

from gh import DEMO, PROGS, Game, check, hero_col, screen, status, wait_until


def test_curses_key_moves_the_hero():
    with Game([DEMO, "--seed", "3"], lockstep=True) as g:
        c = g.connect()
        x0 = hero_col(screen(c))
        c.ok("key right")
        c.ok("step 2")
        check(hero_col(screen(c)) == x0 + 1, "hero did not move right")
        c.ok("key right right left")
        c.ok("step 4")
        check(hero_col(screen(c)) == x0 + 2, "taps are one per frame, in order")


def test_keydown_repeats_every_frame_until_keyup():
    with Game([DEMO, "--seed", "3"], lockstep=True) as g:
        c = g.connect()
        x0 = hero_col(screen(c))
        c.ok("keydown right")
        c.ok("step 5")
        x1 = hero_col(screen(c))
        check(x1 == x0 + 5, "held right for 5 frames moved %d" % (x1 - x0))
        c.ok("keyup right")
        c.ok("step 5")
        check(hero_col(screen(c)) == x1, "moved after keyup")
        check(c.cmd("keyup right").startswith("err state"), "keyup of a key not held")


def test_unknown_key_names_are_refused_whole():
    with Game([DEMO, "--seed", "3"], lockstep=True) as g:
        c = g.connect()
        x0 = hero_col(screen(c))
        r = c.cmd("key right nosuchkey")
        check(r.startswith("err usage") and "nosuchkey" in r, r)
        c.ok("step 3")
        check(hero_col(screen(c)) == x0, "a refused command still queued keys")


def test_type_and_keys_reach_a_stdin_reader():
    with Game([PROGS + "/stdin-game"], lockstep=True) as g:
        c = g.connect()
        c.ok("key right")
        c.ok("step 3")
        g.wait_output(r"got 1b5b43")
        c.ok(r"type hi  \x21")         # the rest of the line, spaces kept
        c.ok("step 3")
        g.wait_output(r"got 6869202021")
        c.ok("key enter C-c f1")
        c.ok("step 5")
        # Enter is CR, as a terminal sends it; in raw mode (cfmakeraw: no
        # ICRNL) the game reads CR.
        g.wait_output(r"got 0d")
        g.wait_output(r"got 03")
        g.wait_output(r"got 1b4f50")


def test_real_keyboard_ignored_in_lockstep():
    with Game([PROGS + "/stdin-game"], lockstep=True) as g:
        c = g.connect()
        c.ok("step 2")
        g.type_real(b"z")
        c.ok("step 10")
        time.sleep(0.2)
        check("got 7a" not in g.text(), "a real key got through in lockstep")
        c.ok("keyboard real")
        c.ok("step 10")
        g.wait_output(r"got 7a")


def test_real_keyboard_works_in_run_mode():
    with Game([PROGS + "/stdin-game"]) as g:
        g.connect()
        g.type_real(b"y")
        g.wait_output(r"got 79")


def test_real_keyboard_plays_the_demo_under_the_shim():
    with Game([DEMO, "--seed", "3"]) as g:
        c = g.connect()
        x0 = hero_col(screen(c))
        g.type_real(b"\x1bOC")   # xterm in keypad mode, as curses set it
        wait_until(lambda: hero_col(screen(c)) == x0 + 1, what="real key to move the hero")
        g.type_real(b"q")
        wait_until(lambda: not g.alive(), what="q to quit")
        check(g.proc.returncode == 0, "exit status %r" % g.proc.returncode)


def test_keys_while_running_freely():
    with Game([DEMO, "--seed", "3"]) as g:
        c = g.connect()
        x0 = hero_col(screen(c))
        c.ok("key right right")
        wait_until(lambda: hero_col(screen(c)) == x0 + 2, what="injected keys in run mode")
        t = status(screen(c))["tick"]
        check(t > 0, "ticks")
