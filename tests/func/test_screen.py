"""The screen of any terminal program, from what it writes to its terminal
(libvterm in the shim): `screen` of a game drawing with printf escape codes
(itimer-game, esc-game) shows its status line; line-drawing characters come
as their Unicode glyphs (curses ACS in a UTF-8 and in the C locale, the DEC
set written by hand), and bytes written through libc's syscall(SYS_write)
too; `screen --attrs` gives the cursor and every cell's
colours and attributes, so coloured blanks are seen; a curses game's screen
means what it meant (the demo's status line and hero, a JSON array of rows
without trailing blanks); the emulator never touches the game's heap (a
game printing the distance between its per-frame allocations sees it
constant while a controller reads the screen every frame), and a seeded
run read every frame replays identically; traces keep the screen's changed
rows (HOOK_TRACE_SCREEN=1 and `trace start PATH --screen`), `dumper cat`
prints them and `dumper screen` rebuilds the screen `screen` gave at that
frame; `info` counts the bytes interpreted, and HOOK_SCREEN=0 turns it all
off; the Python client reads a 200x60 screen with its attributes, larger
than 16 KiB, through the binary protocol; bad options get clear errors."""
import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from gh import ROOT, Game, check, frame_of, status, wait_until

BUILD = os.path.join(ROOT, "build")
DEMO = os.path.join(BUILD, "demo-game")
LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")
DUMPER = os.path.join(BUILD, "dumper")
ITIMER = os.path.join(BUILD, "tests", "itimer-game")
ACS = os.path.join(BUILD, "tests", "acs-game")
ESC = os.path.join(BUILD, "tests", "esc-game")

TMP = tempfile.mkdtemp(prefix="gh-screen-")
atexit.register(shutil.rmtree, TMP, True)

BOX = ["  ┌──────────────────┐", "  │                  │", "  │  inside          │",
       "  │                  │", "  └──────────────────┘"]


def attrs_of(c):
    return json.loads(c.ok("screen --attrs"))


def cells(runs):
    """A row's runs [COUNT, FG, BG, LETTERS] as one (FG, BG, LETTERS) a cell."""
    out = []
    for n, fg, bg, at in runs:
        out += [(fg, bg, at)] * n
    return out


def test_raw_escape_game_status_line():
    with Game([ITIMER], lockstep=True) as g:
        c = g.connect()
        check(c.ok("step 30") == "30", "step")
        rows = json.loads(c.ok("screen"))
        check(len(rows) == 24, "%d rows" % len(rows))
        check(rows[0].startswith("tick 30 "), "status line: %r" % rows[0])
        c.ok("step 5")
        rows = json.loads(c.ok("screen"))
        check(rows[0].startswith("tick 35 "), "status line after 5: %r" % rows[0])


def test_curses_line_drawing_as_glyphs_in_any_locale():
    for env in ({"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}, {"LANG": "C", "LC_ALL": "C"}):
        with Game([ACS], lockstep=True, env=env) as g:
            c = g.connect()
            c.ok("step 3")
            rows = json.loads(c.ok("screen"))
            check(rows[2:7] == BOX, "%s: the box: %r" % (env["LANG"], rows[:8]))
            check(rows[0] == "acs tick 3 key 0", "%s: %r" % (env["LANG"], rows[0]))


def test_hand_written_dec_line_drawing():
    with Game([ESC], lockstep=True) as g:
        c = g.connect()
        c.ok("step 5")
        rows = json.loads(c.ok("screen"))
        check(rows[2:5] == ["  ┌────┐", "  │    │", "  └────┘"], "box: %r" % rows[:6])
        check(rows[6] == "by syscall", "syscall(SYS_write): %r" % rows[:8])
        check(rows[0].startswith("esc tick 5 "), rows[0])
        d = attrs_of(c)
        row = cells(d["attrs"][3])
        check(row[4][2] == "r" and row[5][2] == "r" and row[3][2] == "" and
              row[6][2] == "", "the reverse block: %r" % row[:8])


def test_attrs_show_coloured_blanks_and_the_cursor():
    with Game([ACS], lockstep=True, env={"LANG": "C.UTF-8"}) as g:
        c = g.connect()
        c.ok("step 2")
        plain = json.loads(c.ok("screen"))
        d = attrs_of(c)
        check(d["text"] == plain, "text differs from plain screen")
        check(d["rows"] == 24 and d["cols"] == 80, "size %r" % d)
        check(len(d["attrs"]) == 24, "%d attr rows" % len(d["attrs"]))
        for r in d["attrs"]:
            check(sum(run[0] for run in r) == 80, "a row's runs cover %r" % r)
        # The red blanks: 4 cells from column 32 (30 + tick 2), white on red.
        red = cells(d["attrs"][4])
        check(plain[4][30:36].strip() == "", "blanks are blank: %r" % plain[4])
        check([x[1] for x in red[32:36]] == [1] * 4 and red[31][1] != 1 and
              red[36][1] != 1, "red cells: %r" % red[28:40])
        check(red[32][0] == 7, "white on red: %r" % (red[32],))
        blue = cells(d["attrs"][5])
        check([x[:2] for x in blue[30:33]] == [(2, 4)] * 3, "green on blue: %r" %
              blue[28:36])
        bold = cells(d["attrs"][8])
        check([x[2] for x in bold[2:6]] == ["b"] * 4 and bold[6][2] == "",
              "bold: %r" % bold[:8])
        # The cursor: where curses left it, after "BOLD".
        check(d["cursor"] == {"row": 8, "col": 6}, "cursor %r" % d["cursor"])
        # The blocks move: a step later the red run starts a column on.
        c.ok("step 1")
        red = cells(attrs_of(c)["attrs"][4])
        check([x[1] for x in red[33:37]] == [1] * 4 and red[32][1] != 1,
              "moved: %r" % red[28:40])


def test_curses_game_screen_means_what_it_did():
    with Game([DEMO], lockstep=True) as g:
        c = g.connect()
        c.ok("step 60")
        rows = json.loads(c.ok("screen"))
        check(isinstance(rows, list) and len(rows) == 24, "rows: %r" % rows)
        check(all(r == r.rstrip(" ") for r in rows), "trailing blanks")
        st = status(rows)
        check(st["tick"] in (60, 61), "status %r" % st)
        check(any("@" in r for r in rows), "no hero: %r" % rows)
        check(rows[-1].startswith("<-/-> "), "help line: %r" % rows[-1])
        c.ok("key right right right")
        c.ok("step 10")
        after = json.loads(c.ok("screen"))
        col = lambda rs: next(r.index("@") for r in rs if "@" in r)
        check(col(after) > col(rows), "the hero did not move: %r" % after)


def esc_run(observe):
    """esc-game for 40 frames, the screen read (plain and --attrs) and
    recorded every frame when OBSERVE; what it printed: (tick, distance)."""
    path = os.path.join(TMP, "heap.trace")
    with Game([ESC], lockstep=True) as g:
        c = g.connect()
        if observe:
            c.ok("trace start %s --screen" % path)
        for i in range(40):
            if observe:
                json.loads(c.ok("screen"))
                attrs_of(c)
            c.ok("step 1")
        wait_until(lambda: "tick 40 " in g.text(), what="tick 40 drawn")
        if observe:
            c.ok("trace stop")
        return re.findall(r"tick (\d+) heap (-?\d+)", g.text())


def test_screen_reading_never_touches_the_heap():
    # esc-game prints the distance between the blocks it allocates, one a
    # frame: anything else allocating on its heap between two frames (the
    # emulator fed or read, a `screen` answered, screen rows recorded)
    # changes a distance. The unit test (test-term) shows the emulator
    # itself takes nothing from the heap; this shows the whole path.
    watched = esc_run(True)
    plain = esc_run(False)
    check(len(plain) > 40, "ticks: %r" % plain)
    check(watched == plain, "observing moved the game's heap:\n%r\n%r" %
          (watched, plain))
    check(set(d for t, d in plain[10:]) == {"48"}, "distances %r" % plain)


def test_screen_read_every_frame_replays_identically():
    path = os.path.join(TMP, "watched.trace")
    e = {"HOOK_LAYOUT": LAYOUT, "HOOK_TRACE": path, "HOOK_SEED": "9",
         "HOOK_TRACE_SCREEN": "1"}
    with Game([DEMO, "--seed", "9"], env=e, lockstep=True) as g:
        c = g.connect()
        wait_until(lambda: frame_of(c) == 0, what="the first frame")
        for i in range(80):
            json.loads(c.ok("screen"))
            attrs_of(c)
            c.ok("key " + ("right" if i % 3 else "space"))
            c.ok("step 2")
        c.ok("trace stop")
    r = subprocess.run([DUMPER, "replay", path, "--", DEMO, "--seed", "9"],
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0 and "replay: identical: 161 frames" in r.stdout,
          r.stdout + r.stderr)


def test_bad_options_are_refused():
    with Game([ESC], lockstep=True) as g:
        c = g.connect()
        c.ok("step 3")
        for bad in ("screen --colour", "screen --attrs x"):
            r = c.cmd(bad)
            check(r.startswith("err usage"), "%r -> %r" % (bad, r))
        check(json.loads(c.ok("screen"))[0].startswith("esc tick 3 "), "after")


def test_info_counts_and_hook_screen_off():
    with Game([ESC], lockstep=True) as g:
        c = g.connect()
        c.ok("step 5")
        t = json.loads(c.ok("info"))["terminal"]
        check(t["on"] is True and t["bytes"] > 5 * 40 and t["lost"] == 0 and
              (t["rows"], t["cols"]) == (24, 80), "terminal %r" % t)
        c.ok("step 5")
        t2 = json.loads(c.ok("info"))["terminal"]
        check(t2["bytes"] > t["bytes"], "bytes did not grow: %r %r" % (t, t2))
    # Off: nothing interpreted, and --attrs says why.
    with Game([ESC], lockstep=True, env={"HOOK_SCREEN": "0"}) as g:
        c = g.connect()
        c.ok("step 5")
        t = json.loads(c.ok("info"))["terminal"]
        check(t["on"] is False and t["bytes"] == 0, "terminal %r" % t)
        r = c.cmd("screen --attrs")
        check(r.startswith("err unsupported") and "HOOK_SCREEN=0" in r, r)
        check(c.cmd("screen").startswith("err unsupported"), "plain screen")


def test_python_client_large_screen_over_the_binary_protocol():
    # A 200x60 terminal: the --attrs reply is larger than a 16 KiB reply
    # buffer, and comes whole through the binary protocol.
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import gamehook
    with gamehook.Game.launch([ACS, "stripes"], size=(200, 60), env={"LANG": "C.UTF-8"},
                              lib=os.path.join(BUILD, "libhook.so")) as g:
        g.step(3)
        rows = g.screen()
        check(len(rows) == 60 and rows[2:7] == BOX, rows[:8])
        d = g.screen(attrs=True)
        check((d["rows"], d["cols"]) == (60, 200), "size %r" % d)
        check(len(d["attrs"]) == 60 and all(sum(r[0] for r in row) == 200
                                            for row in d["attrs"]), "runs")
        # The stripes: one run a cell, red and blue by turns.
        check([r[2] for r in d["attrs"][10][:4]] == [2, 4, 2, 4] or
              [r[2] for r in d["attrs"][10][:4]] == [1, 4, 1, 4], d["attrs"][10][:4])
        big = json.dumps(d)
        check(len(big) > 100000, "the reply is only %d bytes" % len(big))


def dumper(*args):
    return subprocess.run([DUMPER] + list(args), capture_output=True, text=True,
                          timeout=60)


def test_trace_keeps_the_screen_and_dumper_reads_it():
    path = os.path.join(TMP, "acs.trace")
    live = {}
    with Game([ACS], lockstep=True, env={"LANG": "C.UTF-8"}) as g:
        c = g.connect()
        c.ok("step 2")
        check(c.ok("trace start %s --screen" % path).startswith("recording"), "start")
        for _ in range(12):
            f = int(c.ok("step 1"))
            live[f] = json.loads(c.ok("screen"))
        stop = json.loads(c.ok("trace stop"))
        check(stop["screen"] is True and stop["frames"] >= 12, "stop: %r" % stop)
    r = dumper("cat", path)
    check(r.returncode == 0, r.stderr)
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    first = lines[0]
    check(first["keyframe"] and first["screen"]["height"] == 24 and
          len(first["screen"]["rows"]) == 24, "first frame: %r" % first.get("screen"))
    check([first["screen"]["rows"][str(i)] for i in range(2, 7)] == BOX,
          "the box in the trace: %r" % first["screen"]["rows"])
    # Later frames carry only what changed: the status line and the red
    # blocks' row (its text is blank: its attributes moved).
    mid = lines[3]["screen"]
    check(sorted(mid["rows"], key=int) == ["0", "4"], "changed rows: %r" % mid)
    check(mid["rows"]["0"].startswith("acs tick "), mid)
    check(any(run[2] == 1 for run in mid["attrs"]["4"]), "red run: %r" % mid["attrs"])
    # dumper screen rebuilds what `screen` said at each frame.
    for f in (min(live), min(live) + 5, max(live)):
        r = dumper("screen", path, "--frame", str(f), "--json")
        check(r.returncode == 0, r.stderr)
        check(json.loads(r.stdout) == live[f], "frame %d:\n%s\n%r" % (f, r.stdout, live[f]))
    r = dumper("screen", path)
    check(r.returncode == 0 and r.stdout.splitlines() == live[max(live)], r.stdout)
    r = dumper("screen", path, "--frame", "100000")
    check(r.returncode == 1 and "no frame 100000" in r.stderr, r.stderr)


def test_hook_trace_screen_from_the_start_and_errors():
    path = os.path.join(TMP, "esc.trace")
    with Game([ESC], lockstep=True, env={"HOOK_TRACE": path,
                                         "HOOK_TRACE_SCREEN": "1"}) as g:
        c = g.connect()
        c.ok("step 10")
        for bad, code in (("screen --colour", "err usage"),
                          ("screen --attrs x", "err usage"),
                          ("trace start %s --bogus" % path, "err usage")):
            r = c.cmd(bad)
            check(r.startswith(code), "%r -> %r" % (bad, r))
        c.ok("trace stop")
    r = dumper("screen", path, "--frame", "10")
    check(r.returncode == 0 and r.stdout.splitlines()[0].startswith("esc tick 10 "),
          r.stdout + r.stderr)
    check(r.stdout.splitlines()[2] == "  ┌────┐", r.stdout)
    # A trace without the screen says so.
    plain = os.path.join(TMP, "plain.trace")
    with Game([ESC], lockstep=True, env={"HOOK_TRACE": plain}) as g:
        c = g.connect()
        c.ok("step 3")
        c.ok("trace stop")
    r = dumper("screen", plain)
    check(r.returncode == 1 and "keeps no screen" in r.stderr, r.stderr)
    check('"screen"' not in dumper("cat", plain).stdout, "screen in a plain trace")
    # A bad HOOK_TRACE_SCREEN is a configuration error, reported.
    with Game([ESC], lockstep=True, env={"HOOK_TRACE_SCREEN": "yes"}) as g:
        wait_until(lambda: "HOOK_TRACE_SCREEN" in open(g.log).read()
                   if os.path.exists(g.log) else False, what="the log's complaint")
