"""Snapshots in the demo game, its worker thread included: `load` brings
back exactly the saved state (every value `get` shows), any number of
times, and the same inputs after it give the same frames; `reset` returns
to the first frame the same way; 1,000 resets grow neither descriptors,
memory nor threads; a watcher keeps watching across a reset; a trace
recorded across a load stays readable; bad names and missing snapshots get
a clear err and the game goes on."""
import json
import os
import subprocess
import tempfile

from gh import ROOT, Game, check, frame_of, wait_until

BUILD = os.path.join(ROOT, "build")
DEMO = os.path.join(BUILD, "demo-game")
LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")
DUMPER = os.path.join(BUILD, "dumper")


def demo(env=None):
    e = {"HOOK_LAYOUT": LAYOUT, "HOOK_SEED": "9"}
    e.update(env or {})
    g = Game([DEMO], env=e, lockstep=True)
    return g


def ready(g):
    c = g.connect()
    wait_until(lambda: frame_of(c) == 0, what="the first frame")
    return c


def play(c, keys="right right space"):
    """The same inputs every time: keys, then 100 frames."""
    c.ok("key " + keys)
    c.ok("step 100")
    return json.loads(c.ok("get"))


def test_load_brings_back_the_saved_state_every_time():
    with demo() as g:
        c = ready(g)
        c.ok("step 50")
        saved = json.loads(c.ok("save a"))
        check(saved["name"] == "a" and saved["frame"] == 50 and saved["saved"]
              and saved["bytes"] > 0, repr(saved))
        listed = {x["name"]: x["frame"] for x in
                  json.loads(c.ok("info"))["snapshots"]}
        check(listed == {"@start": 0, "a": 50}, "info lists %r" % listed)
        at_save = json.loads(c.ok("get"))
        after = play(c)
        check(after != at_save, "the inputs changed nothing")
        for i in range(5):
            r = json.loads(c.ok("load a"))
            check(r["loaded"] and r["frame"] == 50, repr(r))
            check(frame_of(c) == 50, "frame after load: %r" % frame_of(c))
            check(json.loads(c.ok("get")) == at_save, "load %d: the state "
                  "differs from the saved one" % i)
            check(play(c) == after, "load %d: the same inputs gave other "
                  "frames" % i)
        # The worker thread kept running on the clock after the loads.
        check(after["regen_ticks"] > at_save["regen_ticks"], repr(after["regen_ticks"]))


def test_reset_returns_to_the_first_frame():
    with demo() as g:
        c = ready(g)
        first = json.loads(c.ok("get"))
        runs = []
        for i in range(3):
            play(c)
            c.ok("step 37")
            r = json.loads(c.ok("reset"))
            check(r["frame"] == 0 and r["name"] == "@start", repr(r))
            check(json.loads(c.ok("get")) == first, "reset %d: not frame 0's "
                  "state" % i)
            runs.append(play(c, "left space"))
        check(runs[0] == runs[1] == runs[2], "runs after resets differ")


def _usage(pid):
    fds = len(os.listdir("/proc/%d/fd" % pid))
    threads = len(os.listdir("/proc/%d/task" % pid))
    st = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmSize", "VmRSS"):
                st[k] = int(v.split()[0])
    return fds, threads, st["VmSize"], st["VmRSS"]


def test_a_thousand_resets_grow_nothing():
    with demo() as g:
        c = ready(g)
        pid = json.loads(c.ok("hello"))["pid"]
        # Warm up: the first resets may fault pages in once.
        for _ in range(20):
            c.ok("reset")
            c.ok("step 3")
        before = _usage(pid)
        script = "".join("reset\nstep 3\n" for _ in range(1000))
        c.send(script.encode())
        for i in range(2000):
            line = c.line()
            check(line.startswith("ok"), "reply %d: %r" % (i, line))
        after = _usage(pid)
        check(after[0] == before[0], "descriptors %d -> %d" % (before[0], after[0]))
        check(after[1] == before[1], "threads %d -> %d" % (before[1], after[1]))
        check(after[2] == before[2], "VmSize %d kB -> %d kB" % (before[2], after[2]))
        check(after[3] <= before[3] + 512, "VmRSS %d kB -> %d kB" % (
            before[3], after[3]))
        check(g.alive(), "the game died")


def test_reset_while_another_client_watches():
    with demo() as g:
        c = ready(g)
        w = g.connect()
        check(w.cmd("watch game.tick").startswith("ok watching"), "watch")
        c.ok("step 5")
        ticks = [json.loads(w.line())["game.tick"] for _ in range(5)]
        c.ok("reset")
        c.ok("step 3")
        after = [json.loads(w.line()) for _ in range(3)]
        check([a["frame"] for a in after] == [1, 2, 3], repr(after))
        check([a["game.tick"] for a in after] == ticks[:3], "ticks after reset "
              "%r, first time %r" % (after, ticks))


def test_a_trace_across_a_load_stays_readable():
    path = os.path.join(tempfile.mkdtemp(prefix="gh-snap-"), "t.trace")
    with demo({"HOOK_TRACE": path}) as g:
        c = ready(g)
        c.ok("step 20")
        c.ok("save mid")
        c.ok("step 20")
        c.ok("load mid")
        c.ok("step 5")
        c.ok("trace stop")
    r = subprocess.run([DUMPER, "cat", path], capture_output=True, text=True,
                       timeout=60)
    check(r.returncode == 0, r.stderr)
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    nums = [l["frame"] for l in lines]
    check(nums == list(range(0, 41)) + list(range(21, 26)), repr(nums))
    check(lines[41]["keyframe"], "the first frame after the load is a keyframe")
    check(lines[41]["state"] == lines[21]["state"], "frame 21 differs after "
          "the load")
    os.unlink(path)
    os.rmdir(os.path.dirname(path))


def test_snapshot_errors_are_clear():
    with demo() as g:
        c = ready(g)
        r = c.cmd("load nope")
        check(r == "err snapshot no snapshot 'nope'", r)
        r = c.cmd("save bad/name")
        check(r.startswith("err snapshot a snapshot's name is"), r)
        check(c.cmd("save").startswith("err usage"), "save without a name")
        check(c.ok("step 2") == "2", "the game does not go on")
    # Run mode: no first frame was kept.
    with Game([DEMO], env={"HOOK_LAYOUT": LAYOUT}) as g:
        c = g.connect()
        r = c.cmd("reset")
        check(r.startswith("err snapshot no start snapshot"), r)
        check(g.alive(), "the game died")


def test_a_reset_sent_before_the_first_frame_waits_for_it():
    # The first boundary is kept before any request is served there: a
    # reset that arrives early gets frame 0, not "no start snapshot".
    for _ in range(3):
        with demo() as g:
            c = g.connect()
            r = c.cmd("reset")
            check(r.startswith("ok ") and json.loads(r[3:])["frame"] == 0, r)
            check(c.ok("step 2") == "2", "no step after an early reset")
