"""The shim's own memory stays out of the game's snapshots: a save made
while a trace is being written is no bigger than one made before it (the
recorder's buffers, which malloc would map on its own, are not the game's),
and 300 traces started and stopped leave the next save that size too;
and a save copying the game's memory never meets a shim buffer appearing
or vanishing under it: a free-running game whose snapshots are saved in a
loop while another client starts and stops traces and asks for the whole
raw state stays alive, every save answered ok (it used to die in memcpy
within a few rounds)."""
import json
import os
import tempfile
import threading

from gh import ROOT, Game, check, frame_of, wait_until

DEMO = os.path.join(ROOT, "build", "demo-game")
TMP = tempfile.mkdtemp(prefix="gh-shim-memory-")


def saved_bytes(c, name):
    return json.loads(c.ok("save " + name))["bytes"]


def test_the_recorders_buffers_are_not_saved():
    with Game([DEMO], lockstep=True) as g:
        c = g.connect()
        wait_until(lambda: frame_of(c) == 0, what="the first frame")
        before = saved_bytes(c, "a")
        path = os.path.join(TMP, "rec.trace")
        c.ok("trace start " + path)
        c.ok("step 2")
        during = saved_bytes(c, "b")
        # The raw state is some 400 KiB: the recorder holds two copies of
        # it and a ring of megabytes. The game's own heap may move a page.
        check(abs(during - before) < 64 << 10,
              "a save grew from %d to %d bytes while recording" % (before, during))
        c.ok("trace stop")
        for _ in range(300):
            c.ok("trace start " + path)
            c.ok("trace stop")
        after = saved_bytes(c, "c")
        check(abs(after - before) < 64 << 10,
              "a save grew from %d to %d bytes after 300 traces" % (before, after))
        c.ok("load a")
        check(g.alive(), "the game died")


def test_saves_never_meet_shim_buffers_coming_and_going():
    for rnd in range(6):
        with Game([DEMO], lockstep=False) as g:
            a, b = g.connect(), g.connect()
            errors = []
            done = threading.Event()

            def saver():
                try:
                    for i in range(30):
                        a.ok("save s%d" % (i % 3))
                except Exception as e:   # the game died: said below
                    errors.append("save: %r" % e)
                done.set()
            t = threading.Thread(target=saver)
            t.start()
            n = 0
            try:
                path = os.path.join(TMP, "r%d.trace" % rnd)
                while not done.is_set():
                    b.ok("trace start " + path)
                    b.ok("get")
                    b.ok("trace stop")
                    n += 1
            except Exception as e:
                errors.append("trace start/get/stop: %r" % e)
            t.join()
            check(not errors and g.alive(), "round %d, after %d cycles: %s; "
                  "game alive: %s" % (rnd, n, errors, g.alive()))
