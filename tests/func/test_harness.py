"""The test helpers themselves (tests/lib/gh.py): Game.stop ends the thread
that reads the game's terminal before it closes that terminal, and closes
it once only. Otherwise the number is reused at once (by the next pipe a
test opens) and a reader still polling it steals that pipe's bytes: under
load a `dumper cat` run right after a game stopped lost a 64 KiB read of
its output (test_replay.test_same_seed_same_inputs_same_trace saw 227 of
301 frames), and gdb's output in test_layout_debug lost pieces the same
way. test_terminal checks the same on ordinary games, where the reader
usually ends by itself in time; here it cannot."""
import os
import signal

from gh import Game, check

# A process of its own session keeps the terminal open after the game is
# killed: the reader sees no hang-up and goes on polling until told to
# stop, so a stop() that does not wait for it closes the descriptor under
# it every time.
HOLDER = ("/usr/bin/python3 -c 'import os, time; os.setsid(); "
          "print(\"holder\", os.getpid(), flush=True); time.sleep(30)' & "
          "exec sleep 30")


def test_stop_ends_the_terminal_reader_before_closing_it():
    for i in range(3):
        g = Game(["/bin/sh", "-c", HOLDER], shim=False)
        holder = None
        try:
            holder = int(g.wait_output(r"holder (\d+)").group(1))
        finally:
            g.stop()
            if holder is not None:
                os.kill(holder, signal.SIGKILL)
        check(not g.reader.is_alive(), "round %d: the terminal's reader "
              "outlived stop()" % i)
        check(g.master is None, "round %d: stop() left the terminal's "
              "descriptor to be closed again" % i)
        g.stop()   # a second stop closes nothing
