"""Lockstep control of an unmodified game: the game stops at its first frame
boundary, `step N` runs exactly N frames, pause holds, speed max runs far
faster than real time, and all of it on a running game."""
import json
import time

from gh import DEMO, PROGS, Game, check, frame_of, screen, status, wait_until


def test_stops_at_first_boundary_and_steps_exactly():
    with Game([DEMO, "--seed", "1"], lockstep=True) as g:
        c = g.connect()
        hello = json.loads(c.ok("hello"))
        wait_until(lambda: json.loads(c.ok("hello"))["frame"] == 0, what="frame 0")
        check(hello["mode"] == "lockstep", hello)
        t0 = status(screen(c))["tick"]
        check(c.ok("step 100") == "100", "step 100 reply")
        st = status(screen(c))
        check(st["tick"] == t0 + 100, "tick %d after 100 steps from %d" % (st["tick"], t0))
        check(c.ok("step") == "101", "bare step runs one frame")
        check(status(screen(c))["tick"] == t0 + 101, "one more tick")


def test_nothing_advances_between_steps():
    with Game([PROGS + "/worker-clock"], lockstep=True) as g:
        c = g.connect()
        c.ok("step 20")
        g.wait_output(r"frame 20 at 200")
        g.wait_output(r"worker 8 at 200")
        before = g.text()
        time.sleep(0.5)
        check(g.text() == before, "output changed while stopped")
        check(json.loads(c.ok("hello"))["frame"] == 20, "frame moved while stopped")
        check(json.loads(c.ok("info"))["vtime_ns"] == 200 * 1000000, "virtual time moved")


def test_pause_resume_on_running_game():
    with Game([PROGS + "/worker-clock"]) as g:
        c = g.connect()
        wait_until(lambda: json.loads(c.ok("hello"))["frame"] > 5, what="frames")
        f = int(c.ok("pause"))
        info = json.loads(c.ok("info"))
        check(info["state"] == "paused" and info["frame"] == f, info)
        time.sleep(0.3)
        check(json.loads(c.ok("hello"))["frame"] == f, "pause did not hold")
        check(c.ok("step 3") == str(f + 3), "step while paused")
        c.ok("resume")
        wait_until(lambda: json.loads(c.ok("hello"))["frame"] > f + 10, what="resume")


def test_speed_max_is_far_faster_than_real_time():
    with Game([PROGS + "/worker-clock"]) as g:
        c = g.connect()
        c.ok("speed max")
        v0 = json.loads(c.ok("info"))["vtime_ns"]
        t0 = time.monotonic()
        time.sleep(1.0)
        v1 = json.loads(c.ok("info"))["vtime_ns"]
        real = time.monotonic() - t0
        ratio = (v1 - v0) / 1e9 / real
        check(ratio >= 100, "speed max ran at only %.1fx real time" % ratio)
        check(c.ok("speed 2") == "2", "speed 2")
        check(json.loads(c.ok("info"))["speed"] == 2, "info shows speed")


def test_speed_changes_pace_but_not_simulation():
    # The same frames at speed 0.5 and max give the same virtual times.
    outs = []
    for sp in ("0.5", "max"):
        with Game([PROGS + "/worker-clock"], lockstep=True,
                  env={"HOOK_SPEED": sp}) as g:
            c = g.connect()
            c.ok("step 10")
            g.wait_output(r"frame 10 at")
            outs.append([l for l in g.text().splitlines() if l.startswith("frame")][:11])
    check(outs[0] == outs[1], "different frames: %r vs %r" % tuple(outs))


def test_bad_speed_and_step_arguments():
    with Game([PROGS + "/worker-clock"], lockstep=True) as g:
        c = g.connect()
        # Stopped at the first boundary first (it may still be on its way
        # when the socket opens).
        wait_until(lambda: frame_of(c) == 0, what="the first frame")
        for bad in ("step 0", "step -1", "step x", "step 1 2", "speed 0",
                    "speed -3", "speed fast", "speed nan", "speed"):
            r = c.cmd(bad)
            check(r.startswith("err usage"), "%r -> %r" % (bad, r))
        check(frame_of(c) == 0, "bad arguments moved the game")


def test_game_quitting_mid_step_exits_cleanly():
    # 'q' makes the demo join its sleeping worker thread: the main thread
    # blocks outside any wait, and time must still flow for the worker.
    with Game([DEMO, "--seed", "1"], lockstep=True) as g:
        c = g.connect()
        c.ok("step 5")
        c.ok("key q")
        c.send("step 10\n")
        wait_until(lambda: not g.alive(), what="the game to quit")
        check(g.proc.returncode == 0, "exit status %r" % g.proc.returncode)
