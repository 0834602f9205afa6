"""Reproducible runs: with HOOK_SEED, two runs of the demo game (its worker
thread included) given the same inputs at the same frames record identical
traces frame for frame, at speed max and at speed 1 alike, and another seed
gives another run; `dumper replay` re-drives a recorded run and finds it
identical, and names the first frame and the values where a run that
drifts differs."""
import atexit
import json
import os
import shutil
import subprocess
import tempfile

from gh import ROOT, Game, check, frame_of, wait_until

BUILD = os.path.join(ROOT, "build")
DEMO = os.path.join(BUILD, "demo-game")
LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")
DUMPER = os.path.join(BUILD, "dumper")
DRIFT = os.path.join(BUILD, "tests", "drift-game")
DRIFT_LAYOUT = os.path.join(ROOT, "tests", "progs", "drift-game.layout.json")

TMP = tempfile.mkdtemp(prefix="gh-replay-")
atexit.register(shutil.rmtree, TMP, True)


def record(name, seed, script, speed=None, argv=None, layout=LAYOUT, env=None):
    """Run the demo game in lockstep under HOOK_SEED, drive it with SCRIPT
    (commands; 'step N' waits), record it all; returns the trace path."""
    path = os.path.join(TMP, name)
    e = {"HOOK_LAYOUT": layout, "HOOK_TRACE": path, "HOOK_KEYFRAME": "50"}
    if seed is not None:
        e["HOOK_SEED"] = str(seed)
    if speed is not None:
        e["HOOK_SPEED"] = speed
    e.update(env or {})
    with Game(argv or [DEMO], env=e, lockstep=True) as g:
        c = g.connect()
        wait_until(lambda: frame_of(c) == 0, what="the first frame")
        for cmd in script:
            c.ok(cmd)
        c.ok("trace stop")
    return path


def frames(path):
    r = subprocess.run([DUMPER, "cat", path], capture_output=True, text=True,
                       timeout=60)
    check(r.returncode == 0, r.stderr)
    return r.stdout.splitlines()


SCRIPT = ["step 100", "key right right right", "step 60", "key space",
          "step 40", "set hero.gold 300", "key u", "step 100"]


def test_same_seed_same_inputs_same_trace():
    a = frames(record("a.trace", 11, SCRIPT))
    b = frames(record("b.trace", 11, SCRIPT))
    check(len(a) == 301, "%d frames" % len(a))
    for i, (x, y) in enumerate(zip(a, b)):
        check(x == y, "frame %d differs:\n%s\n%s" % (i, x[:400], y[:400]))
    # The worker thread ran, and the heap list's pointers repeated.
    last = json.loads(a[-1])["state"]
    check(last["regen_ticks"] > 50, "regen_ticks %r" % last["regen_ticks"])
    linked = [json.loads(x)["frame"] for x in a
              if (json.loads(x)["state"]["first_message"] or {}).get("next")]
    check(len(linked) > 10, "no heap list of two messages to compare pointers of")


def test_another_seed_another_run():
    a = frames(record("s1.trace", 1, ["step 100"]))
    b = frames(record("s2.trace", 2, ["step 100"]))
    sa = json.loads(a[0])["state"]["game"]["seed"]
    sb = json.loads(b[0])["state"]["game"]["seed"]
    check(sa != sb, "both seeded the game with %r" % sa)
    check(a[-1] != b[-1], "the runs ended identical")


def test_speed_one_and_max_record_the_same_run():
    script = ["step 60", "key right", "step 30"]
    a = frames(record("max.trace", 3, script, speed="max"))
    b = frames(record("one.trace", 3, script, speed="1"))
    check(a == b, "speed 1 and max differ at frame %d" % next(
        (i for i, (x, y) in enumerate(zip(a, b)) if x != y), -1))


def test_replay_finds_a_clean_run_identical():
    path = record("clean.trace", 21, SCRIPT)
    r = subprocess.run([DUMPER, "replay", path, "--", DEMO], capture_output=True,
                       text=True, timeout=120)
    check(r.returncode == 0, r.stdout + r.stderr)
    check("replay: identical: 301 frames compared, 0 to 300, every state hash "
          "equal" in r.stdout, r.stdout)


def test_replay_names_the_frame_and_values_that_drift():
    path = record("drift.trace", 4, ["step 200"], argv=[DRIFT], layout=DRIFT_LAYOUT)
    lines = frames(path)
    # The frame whose state shows turn 120 is where the drift must show.
    want = next(json.loads(l)["frame"] for l in lines
                if json.loads(l)["state"]["turns"] == 120)
    # The replay recreates the recorded environment: the drift comes in
    # through an override.
    r = subprocess.run([DUMPER, "replay", path, "--env", "DRIFT_AT=120", "--",
                        DRIFT], capture_output=True, text=True, timeout=120)
    check(r.returncode == 1, r.stdout + r.stderr)
    check("replay: diverged at frame %d (after %d identical frames):" % (want, want)
          in r.stdout, r.stdout)
    check("  score: recorded 240, replayed 241" in r.stdout, r.stdout)
    check("turns" not in r.stdout.split("diverged")[1], r.stdout)


def test_replay_refuses_what_it_cannot_do():
    r = subprocess.run([DUMPER, "replay", "-", "--", DEMO], capture_output=True,
                       text=True, timeout=30)
    check(r.returncode == 2 and "give a file" in r.stderr, r.stderr)
    r = subprocess.run([DUMPER, "replay", os.path.join(TMP, "none.trace"), "--",
                        DEMO], capture_output=True, text=True, timeout=30)
    check(r.returncode == 2 and "No such file" in r.stderr, r.stderr)
    path = record("x.trace", 5, ["step 10"])
    r = subprocess.run([DUMPER, "replay", path, "--", "/nonexistent/game"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 2 and "cannot recreate the recorded launch: "
          "/nonexistent/game: No such file or directory" in r.stderr and r.stdout == "",
          r.stdout + r.stderr)


def test_observing_the_screen_does_not_change_the_run():
    # `screen` reads curses' screen on the game's thread: it must not touch
    # the game's heap (a malloc there moves later allocations: the demo
    # keeps heap pointers, and bytes past a string's end, in its state).
    # A controller that reads the screen before every move, then a replay
    # that never does: every frame must match.
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "demo_script", os.path.join(ROOT, "scripts", "demo.py"))
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    path = os.path.join(TMP, "watched.trace")
    e = {"HOOK_LAYOUT": LAYOUT, "HOOK_TRACE": path, "HOOK_SEED": "7"}
    with Game([DEMO, "--seed", "7"], env=e, lockstep=True) as g:
        c = g.connect()
        wait_until(lambda: frame_of(c) == 0, what="the first frame")
        for _ in range(100):
            st, lane = demo.parse(json.loads(c.ok("screen")))
            c.ok("key " + demo.decide(st, lane))
            c.ok("step 5")
        c.ok("trace stop")
    r = subprocess.run([DUMPER, "replay", path, "--", DEMO, "--seed", "7"],
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0 and "replay: identical: 501 frames" in r.stdout,
          r.stdout + r.stderr)


def test_hookctl_run_seed_turns_randomization_off():
    # The seed reaches the shim through hookctl run, and the re-executed
    # game (address-space randomization off) still says hello.
    r = subprocess.run([os.path.join(BUILD, "hookctl"), "run", "--background",
                        "--lockstep", "--seed", "5", "--layout", DRIFT_LAYOUT,
                        "--", DRIFT], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and r.stdout.strip().endswith(".sock"), repr(r))
    sock = r.stdout.strip()
    hello = json.loads(subprocess.run([os.path.join(BUILD, "hookctl"), "-s", sock,
                                       "hello"], capture_output=True,
                                      text=True, timeout=30).stdout)
    try:
        check(hello["seed"] == 5 and hello["layout_error"] == "", repr(hello))
        with open("/proc/%d/personality" % hello["pid"]) as f:
            check(int(f.read(), 16) & 0x0040000, "randomization still on")
    finally:
        os.kill(hello["pid"], 9)
