"""Keys reach a game that reads standard input through stdio (fgets, scanf,
getchar: glibc reads those through its own internal read, which the read
hook never sees), as the terminal would deliver them: in canonical mode a
line at a time, edited by backspace, Enter's CR made NL by ICRNL; in raw
mode (no ICRNL) Enter reads as CR. A game that asks a name and a level is
answered with `type` and `key enter`; keys are delivered only at the frame
they are for; and two runs with the same inputs print the same."""
import time

from gh import PROGS, Game, check, wait_until

GAME = PROGS + "/stdio-game"


def lines(g):
    return g.text().replace("\r", "")


def test_name_and_level_through_fgets_and_scanf():
    with Game([GAME], lockstep=True) as g:
        c = g.connect()
        c.ok("step 2")
        g.wait_output(r"Your name\? ")
        check("Level?" not in g.text(), "asked for the level before the name")
        c.ok("type Adx")
        c.ok("key backspace")
        c.ok("type a")
        c.ok("step 5")
        # No Enter yet: a canonical read has no line to return.
        time.sleep(0.2)
        check("Level?" not in g.text(), "fgets returned before Enter: %r" % g.text())
        c.ok("key enter")
        c.ok("step 5")
        g.wait_output(r"Level\? ")
        c.ok(r"type 7\r")                 # CR, made NL by ICRNL
        c.ok("step 5")
        g.wait_output(r"hello Ada at level 7")
        c.ok("type llhl")
        c.ok("key enter")
        c.ok("step 5")
        g.wait_output(r"turn 1 x 2")
        c.ok("type q")
        c.ok("key enter")
        try:
            c.cmd("step 5")           # the game ends within these frames
        except (EOFError, OSError):
            pass
        wait_until(lambda: g.proc.poll() is not None, 10, "the game to end")
        g.wait_output(r"bye Ada x 2")


def test_raw_mode_reads_enter_as_cr():
    with Game([GAME, "--raw"], lockstep=True) as g:
        c = g.connect()
        c.ok("step 2")
        g.wait_output(r"raw")
        c.ok("key a enter")
        c.ok("step 5")
        g.wait_output(r"byte 61")
        g.wait_output(r"byte 0d")
        check("byte 0a" not in g.text(), "Enter read as NL in raw mode")


def test_same_inputs_same_run():
    outs = []
    for _ in range(2):
        with Game([GAME], lockstep=True) as g:
            c = g.connect()
            for cmd in ("step 3", "type Bo", "key enter", "step 4", "type 2",
                        "key enter", "step 4", "type lll", "key enter", "step 4",
                        "type h", "key enter", "step 4"):
                c.ok(cmd)
            g.wait_output(r"turn 2 x 2")
            outs.append(lines(g))
    check(outs[0] == outs[1], "two runs differ:\n%r\n%r" % tuple(outs))
