"""The state layer inside a real game: `get`, `set` and `watch` read and
write what the layout names (checked against what the demo game draws);
HOOK_TRACE and `trace start/stop` record every frame; a trace survives
SIGKILL of the game up to its last completed record; without a layout the
executable's writable segments are recorded raw; a bad layout is reported
and never stops the game; memory that becomes unreadable mid-run is marked,
not faulted on."""
import atexit
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from gh import ROOT, Game, check, frame_of, hookctl, screen, status, wait_until

BUILD = os.path.join(ROOT, "build")
DEMO = os.path.join(BUILD, "demo-game")
LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")
PTR_GAME = os.path.join(BUILD, "tests", "ptr-game")
PTR_LAYOUT = os.path.join(ROOT, "tests", "progs", "ptr-game.layout.json")
DUMPER = os.path.join(BUILD, "dumper")

# Traces outlive the games that wrote them (a Game removes its directory).
TMP = tempfile.mkdtemp(prefix="gh-state-")
atexit.register(shutil.rmtree, TMP, True)


def tmp(name):
    return os.path.join(TMP, name)


def dumper(*args, input=None):
    return subprocess.run([DUMPER] + list(args), capture_output=True,
                          timeout=60, input=input)


def cat(path, *extra):
    r = dumper("cat", path, *extra)
    lines = [json.loads(l) for l in r.stdout.decode().splitlines()]
    return r, lines


def demo(env=None, **kw):
    e = {"HOOK_LAYOUT": LAYOUT}
    e.update(env or {})
    return Game([DEMO], env=e, lockstep=True, **kw)


def test_get_reads_what_the_game_draws():
    with demo() as g:
        c = g.connect()
        c.ok("step 30")
        st = status(screen(c))
        hero = json.loads(c.ok("get hero"))
        check(hero["hp"] == st["hp"] and hero["gold"] == st["gold"] and
              hero["level"] == st["level"], "get hero %r vs screen %r" % (hero, st))
        whole = json.loads(c.ok("get"))
        check(list(whole) == ["hero", "entity_count", "entities", "game",
                              "regen_ticks", "first_message", "second_message"],
              "fields %r" % list(whole))
        check(whole["game"]["tick"] == st["tick"], "tick %r vs %r" % (whole["game"], st))
        check(len(whole["entities"]) == whole["entity_count"] > 0,
              "counted array: %d entities, entity_count %d" % (
                  len(whole["entities"]), whole["entity_count"]))
        # One field prints its value; several print an object.
        check(c.ok("get hero.hp") == str(st["hp"]), "get hero.hp")
        xs = json.loads(c.ok("get entities.x entities[0].kind"))
        check(xs["entities.x"] == [e["x"] for e in whole["entities"]], repr(xs))
        check(xs["entities[0].kind"] == whole["entities"][0]["kind"], repr(xs))
        # The heap message list, through a pointer chain.
        text = json.loads(c.ok("get first_message.text"))
        check(text in g.text() or "Stage" in text, "message %r not drawn" % text)


def test_set_changes_the_game():
    with demo() as g:
        c = g.connect()
        c.ok("step 5")
        c.ok("set hero.gold 4321")
        c.ok("step 1")
        check(status(screen(c))["gold"] == 4321, "gold not 4321 on screen")
        c.ok("set first_message.text \"set by a test\"")
        check(json.loads(c.ok("get first_message.text")) == "set by a test",
              "string set")
        # Bad sets: the game goes on.
        for cmd, code in [("set hero 5", "field"), ("set hero.hp x", "field"),
                          ("set hero.nope 1", "field"), ("set hero.hp", "usage"),
                          ("set entities[99].hp 1", "field"),
                          ("set hero.hp 99999999999", "field")]:
            r = c.cmd(cmd)
            check(r.startswith("err " + code + " "), "%s -> %r" % (cmd, r))
        check(c.ok("step 1") == "7", "the game did not go on")


def test_get_errors_name_the_problem():
    with demo() as g:
        c = g.connect()
        r = c.cmd("get nope")
        check(r.startswith("err field unknown field 'nope' (fields: hero,"), r)
        r = c.cmd("get hero.hpp")
        check(r.startswith("err field hero.hpp: no member 'hpp' (members: x, hp,"), r)
        r = c.cmd("get entities[64]")
        check("out of range" in r, r)
        r = c.cmd("get hero.hp[1]")
        check("not an array" in r, r)


def test_watch_streams_a_line_a_frame():
    with demo() as g:
        c = g.connect()
        wait_until(lambda: frame_of(c) == 0, what="the first frame")
        check(json.loads(c.ok("info"))["capturing"] is False,
              "capturing with nobody listening")
        w = g.connect()
        r = w.cmd("watch hero.x game.tick")
        check(r.startswith("ok watching from frame 1"), r)
        c.ok("step 5")
        lines = [json.loads(w.line()) for _ in range(5)]
        check([l["frame"] for l in lines] == [1, 2, 3, 4, 5], repr(lines))
        check(all(set(l) == {"frame", "vtime_ns", "hero.x", "game.tick"} for l in lines),
              repr(lines[0]))
        ticks = [l["game.tick"] for l in lines]
        check(ticks == list(range(ticks[0], ticks[0] + 5)), "ticks %r" % ticks)
        # A watcher of everything gets the whole state beside the frame.
        a = g.connect()
        a.ok("watch")
        c.ok("step 1")
        full = json.loads(a.line())
        check(full["frame"] == 6 and "hero" in full and "entities" in full,
              repr(full)[:200])
        check(json.loads(c.ok("info"))["capturing"] is True, "not capturing")
        # Watchers leaving never hurt the game, and capture stops with them.
        w.close()
        a.close()
        check(c.ok("step 3") == "9", "step after the watchers left")
        check(g.alive(), "the game died")
        wait_until(lambda: json.loads(c.ok("info"))["capturing"] is False,
                   what="capture to stop with nobody watching")


def test_hookctl_watch_and_get():
    with demo() as g:
        c = g.connect()
        wait_until(lambda: frame_of(c) == 0, what="the first frame")
        r = hookctl("-s", g.sock, "get", "hero.hp")
        check(r.returncode == 0 and r.stdout.strip() == "100", repr(r))
        p = subprocess.Popen([os.path.join(BUILD, "hookctl"), "-s", g.sock, "watch",
                              "hero.hp"], stdout=subprocess.PIPE, text=True)
        try:
            time.sleep(0.3)
            c.ok("step 3")
            got = [json.loads(p.stdout.readline()) for _ in range(3)]
            check([x["frame"] for x in got] == [1, 2, 3], repr(got))
        finally:
            p.kill()
            p.wait()
        r = hookctl("-s", g.sock, "get", "nope")
        check(r.returncode == 1 and "unknown field" in r.stderr, repr(r))


def test_trace_records_every_frame_and_inputs():
    path = tmp("run.trace")
    with demo({"HOOK_TRACE": path, "HOOK_KEYFRAME": "25"}) as g:
        c = g.connect()
        c.ok("step 40")
        c.ok("key right right")
        c.ok("set hero.gold 77")
        c.ok("step 60")
        info = json.loads(c.ok("info"))
        check(info["trace"]["state"] == "recording", repr(info["trace"]))
        r = c.ok("trace stop")
        check(json.loads(r)["frames"] == 101, r)
        check(c.cmd("trace stop").startswith("err state not recording"), "second stop")
    r, frames = cat(path)
    check(r.returncode == 0, r.stderr)
    check([f["frame"] for f in frames] == list(range(0, 101)), "frames %r (%d "
          "records), dumper stderr %r" % ([f["frame"] for f in frames][:20],
                                        len(frames), r.stderr[-500:]))
    keys = [f["frame"] for f in frames if f["keyframe"]]
    check(keys == [0, 25, 50, 75, 100], "keyframes %r" % keys)
    inputs = {f["frame"]: f["inputs"] for f in frames if f["inputs"]}
    names = [(k, i["kind"], i.get("name")) for k, v in sorted(inputs.items()) for i in v]
    check((41, "key", "right") in names and (42, "key", "right") in names and
          (41, "set", "hero.gold") in names, "inputs %r" % names)
    check(frames[41]["state"]["hero"]["gold"] == 77, "gold after the set")
    # The recorded state is what `get` said at the time.
    check(frames[100]["state"]["game"]["tick"] > frames[0]["state"]["game"]["tick"],
          "ticks did not advance")


def test_trace_start_and_stop_on_demand():
    with demo() as g:
        c = g.connect()
        path = tmp("on-demand.trace")
        c.ok("step 10")
        r = c.ok("trace start " + path)
        check(r == "recording to %s from frame 11" % path, r)
        check(c.cmd("trace start " + path).startswith("err trace already recording"),
              "double start")
        c.ok("step 20")
        c.ok("trace stop")
        c.ok("step 5")
        r = c.cmd("trace start /nonexistent-dir/x.trace")
        check(r.startswith("err trace trace: cannot open /nonexistent-dir/x.trace:"), r)
        check(c.cmd("trace bogus").startswith("err usage"), "trace bogus")
        # Again, to a new file: recording can restart.
        path2 = tmp("again.trace")
        c.ok("trace start " + path2)
        c.ok("step 3")
        c.ok("trace stop")
    r, frames = cat(path)
    check([f["frame"] for f in frames] == list(range(11, 31)), repr(
        [f["frame"] for f in frames]))
    check(frames[0]["keyframe"], "the first frame is a keyframe")
    r, frames = cat(path2)
    check([f["frame"] for f in frames] == [36, 37, 38], repr([f["frame"] for f in frames]))


def test_sigkill_keeps_every_completed_record():
    path = tmp("killed.trace")
    g = demo({"HOOK_TRACE": path, "HOOK_KEYFRAME": "30"})
    try:
        c = g.connect()
        c.ok("step 100")
        # Every record up to frame 100 is out once the writer caught up.
        wait_until(lambda: json.loads(c.ok("info"))["trace"]["bytes"] ==
                   os.path.getsize(path) and os.path.getsize(path) > 0,
                   what="the writer to catch up")
        wait_until(lambda: cat(path)[1][-1:] and cat(path)[1][-1]["frame"] == 100,
                   what="frame 100 on disk")
        # Now run flat out and kill it mid-write.
        c.ok("resume")
        time.sleep(0.3)
        os.kill(g.proc.pid, signal.SIGKILL)
        g.proc.wait()
    finally:
        g.stop()
    r = dumper("verify", path)
    out = r.stdout.decode() + r.stderr.decode()
    check(r.returncode in (0, 1), out)
    if r.returncode == 1:
        check("truncated" in out and out.count("offset") == 1, out)
    r, frames = cat(path)
    nums = [f["frame"] for f in frames]
    check(nums == list(range(0, len(nums))) and len(nums) > 101,
          "frames after the kill: %d, first gaps %r" % (len(nums), nums[:3]))


def test_raw_state_without_a_layout():
    with Game([DEMO], lockstep=True) as g:
        path = tmp("raw.trace")
        c = g.connect()
        hello = json.loads(c.ok("hello"))
        check(hello["layout"] == "raw" and hello["layout_error"] == "", repr(hello))
        c.ok("trace start " + path)
        c.ok("step 10")
        seg = c.ok("get seg0")
        check(seg.startswith('"') and len(seg) > 1000, seg[:80])
        c.ok("trace stop")
    r = dumper("info", path)
    check(r.returncode == 0 and b"raw" in r.stdout and b"seg0" in r.stdout,
          r.stdout.decode()[:500])
    r, frames = cat(path)
    check(len(frames) == 10 and "seg0" in frames[0]["state"], repr(len(frames)))


def test_bad_layout_is_reported_and_the_game_runs():
    bad = tmp("bad.json")
    with open(bad, "w") as f:
        f.write('{\n  "gamehook_layout": 1,\n  "fields": {\n'
                '    "score": { "symbol": "scroe", "type": "<i4" }\n  }\n}\n')
    with Game([DEMO], env={"HOOK_LAYOUT": bad}, lockstep=True) as g:
        c = g.connect()
        hello = json.loads(c.ok("hello"))
        check(hello["layout_error"].startswith(
            "layout %s:4: fields.score.symbol: no symbol 'scroe' in " % bad),
            hello["layout_error"])
        r = c.cmd("get hero")
        check(r.startswith("err layout no layout loaded: layout "), r)
        check(c.ok("step 3") == "3", "the game does not step")
        with open(g.log) as f:
            check("no symbol 'scroe'" in f.read(), "not in the log")
    # hookctl run says so with exit status 3.
    r = hookctl("run", "--background", "--lockstep", "--layout", bad, "--", PTR_GAME)
    check(r.returncode == 3 and "no symbol 'scroe'" in r.stderr, repr(r))
    sock = r.stdout.strip()
    check(sock.endswith(".sock"), "no socket printed: %r" % r.stdout)
    hello = json.loads(hookctl("-s", sock, "hello").stdout)
    os.kill(hello["pid"], signal.SIGKILL)


def test_unreadable_memory_mid_run():
    with Game([PTR_GAME], env={"HOOK_LAYOUT": PTR_LAYOUT}, lockstep=True) as g:
        path = tmp("ptr.trace")
        c = g.connect()
        c.ok("trace start " + path)
        seen = {}
        for _ in range(60):
            c.ok("step 1")
            v = json.loads(c.ok("get"))
            seen[v["turns"]] = v["box"]
        c.ok("trace stop")
        check(g.alive(), "the game died")
    for turn, box in seen.items():
        if 20 <= turn < 40:
            check(box is None, "turn %d: box %r while unmapped" % (turn, box))
        else:
            check(box == {"value": turn * 10, "turn": turn},
                  "turn %d: box %r" % (turn, box))
    r, frames = cat(path)
    check(r.returncode == 0, r.stderr)
    bad = [f["state"]["turns"] for f in frames if f["state"]["box"] is None]
    check(bad and min(bad) == 20 and max(bad) == 39, "unreadable turns %r" % bad)


SIG_GAME = os.path.join(BUILD, "tests", "sig-game")
SIG_LAYOUT = os.path.join(ROOT, "tests", "progs", "sig-game.layout.json")


def test_signatures_find_state_in_a_stripped_binary():
    with Game([SIG_GAME], env={"HOOK_LAYOUT": SIG_LAYOUT}, lockstep=True) as g:
        c = g.connect()
        hello = json.loads(c.ok("hello"))
        check(hello["layout_error"] == "", hello["layout_error"])
        c.ok("step 10")
        a = json.loads(c.ok("get"))
        c.ok("step 5")
        b = json.loads(c.ok("get"))
        check(a["tagged"]["magic"] == "GHSIGNA\x01" and a["tagged"]["lives"] == 3,
              repr(a))
        check(b["counter"] - a["counter"] == 5, "counter %r -> %r" % (a, b))
        check(b["tagged"]["score"] - a["tagged"]["score"] == 10, repr((a, b)))
        c.ok("set counter 1000")
        c.ok("step 1")
        check(json.loads(c.ok("get counter")) == 1001, "set through a signature")
    # A signature that matches nowhere, or in many places, is an error
    # naming the field; the game still runs.
    for sig, want in [("de ad be ef de ad be ef", "matches nothing in sig-game's"),
                      ("00 00 00 00 ?? 00", "matches")]:
        bad = tmp("sig-bad.json")
        with open(bad, "w") as f:
            json.dump({"gamehook_layout": 1, "fields": {
                "x": {"signature": sig, "type": "<i4"}}}, f, indent=1)
        with Game([SIG_GAME], env={"HOOK_LAYOUT": bad}, lockstep=True) as g:
            c = g.connect()
            err = json.loads(c.ok("hello"))["layout_error"]
            check(err.startswith("layout %s:4: fields.x.signature: the signature %s"
                                 % (bad, want)), err)
            if want == "matches":
                check("places (0x" in err and "make it longer" in err, err)
            check(c.ok("step 2") == "2", "the game does not step")


def test_trace_to_a_fifo_waits_for_its_reader():
    fifo = tmp("live.fifo")
    os.mkfifo(fifo)
    with demo({"HOOK_TRACE": fifo}) as g:
        c = g.connect()
        # No reader yet: the game is driven all the same; its frames wait
        # in the ring.
        c.ok("step 5")
        reader = subprocess.Popen([DUMPER, "cat", fifo], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        try:
            first = [json.loads(reader.stdout.readline()) for _ in range(6)]
            check([f["frame"] for f in first] == [0, 1, 2, 3, 4, 5], repr(
                [f["frame"] for f in first]))
            c.ok("step 2")
            more = [json.loads(reader.stdout.readline())["frame"] for _ in range(2)]
            check(more == [6, 7], repr(more))
            c.ok("trace stop")
            out, err = reader.communicate(timeout=20)
            check(reader.returncode == 0 and out == "", "after stop: %r %r" % (out, err))
        finally:
            if reader.poll() is None:
                reader.kill()
                reader.wait()
        check(c.ok("step 1") == "8", "the game goes on")


def test_a_reader_that_leaves_stops_the_recording_not_the_game():
    fifo = tmp("gone.fifo")
    os.mkfifo(fifo)
    with demo({"HOOK_TRACE": fifo}) as g:
        c = g.connect()
        reader = subprocess.Popen([DUMPER, "cat", fifo], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
        check(json.loads(reader.stdout.readline())["frame"] == 0, "no frame 0")
        reader.kill()
        reader.wait()
        for _ in range(20):
            c.ok("step 10")
        tr = json.loads(c.ok("info"))["trace"]
        check(tr["state"] == "ended" and "Broken pipe" in tr["error"], repr(tr))
        check(c.ok("step 1") == "201" and g.alive(), "the game did not go on")
        with open(g.log) as f:
            check("recording stopped, the game goes on" in f.read(), "not logged")
