"""Input for graphical games: keys (by name, with modifiers), mouse motion,
buttons, wheel and text reach an SDL2, an SDL 1.2 and a plain Xlib game
through their own event queues on exactly the frame each command answers,
and the keyboard, modifier and mouse state the game reads agrees with the
events; in lockstep the real keyboard and mouse (device input from the X
server's XTEST) are ignored until `keyboard real`; the inputs are recorded
in the trace and a replay of it is identical; bad arguments get clear
errors. Each game runs under a private Xvfb."""
import json
import os
import re
import select
import signal
import subprocess
import tempfile

from gh import (BUILD, DEMO, PROGS, Game, TestFailure, check, wait_until)

DUMPER = os.path.join(BUILD, "dumper")
GAMES = {"sdl2": PROGS + "/sdl2-input", "sdl1": PROGS + "/sdl1-input",
         "x11": PROGS + "/x11-input"}


class Xvfb:
    """A private X server for one test, on a display number of its own: one
    in the hundreds (others on this machine start theirs from :0), the next
    one when it is taken. -noreset: without it the server resets when its
    last client leaves, and SDL 1.2, which opens the display, closes it and
    opens it again, finds no server half the time."""

    def __init__(self):
        base = 100 + os.getpid() % 700
        for n in range(base, base + 40):
            if self._start(n):
                self.display = ":%d" % n
                return
        raise TestFailure("no free X display from :%d to :%d" % (base, base + 39))

    def _start(self, n):
        """Start Xvfb on :N; True once it is ready (it writes N to
        -displayfd), False when it exits (the display is taken)."""
        r, w = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", ":%d" % n, "-displayfd", str(w), "-nolisten", "tcp", "-noreset",
             "-screen", "0", "640x480x24"], pass_fds=(w,),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        os.close(w)
        data = b""
        try:
            while not data.endswith(b"\n"):
                ready, _, _ = select.select([r], [], [], 30)
                if not ready:
                    self.stop()
                    raise TestFailure("Xvfb :%d neither started nor failed" % n)
                chunk = os.read(r, 64)
                if not chunk:
                    self.proc.wait(timeout=10)
                    return False
                data += chunk
        finally:
            os.close(r)
        return data.strip() == str(n).encode()

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.stop()


def game(x, lib, **env):
    """A graphical test game in lockstep on X's display, its frames ending
    at its SDL_Delay/nanosleep (one a turn of its loop)."""
    e = {"DISPLAY": x.display, "HOOK_FRAME": "nanosleep",
         "SDL_VIDEODRIVER": "x11", "SDL_AUDIODRIVER": "dummy"}
    e.update(env)
    g = Game([GAMES[lib]], env=e, lockstep=True)
    g.wait_output(r"ready|failed|SDL_", 30)
    if "ready" not in g.text():
        g.stop()
        raise TestFailure("%s did not start on %s: %r" % (lib, x.display, g.text()))
    return g


def lines(g):
    return [l.strip() for l in g.text().splitlines()]


def expect(g, frame, pattern):
    """Wait for the game's line `F<frame> <pattern>` (a regex)."""
    rx = re.compile("(?m)^F%d %s" % (frame, pattern))
    try:
        wait_until(lambda: rx.search(g.text().replace("\r", "")), 20,
                   "the game's line %r" % rx.pattern)
    except TestFailure:
        raise TestFailure("no line %r; the game printed:\n%s" % (
            rx, "\n".join(lines(g)[-30:])))


def events_at(g, frame):
    return [l for l in lines(g) if l.startswith("F%d " % frame)]


# What each library's game prints for each kind of input: the command, and
# (frame offset from the reply, pattern) pairs.
SCRIPTS = {
    "sdl2": [
        ("key a", [(0, r"key down sc=4 sym=97 mod=0 "),
                   (0, r"text 'a'"),
                   (0, r"state keys=4, mod=0 "),
                   (1, r"key up sc=4 sym=97 mod=0 "),
                   (1, r"state keys= mod=0 ")]),
        ("key C-S-b", [(0, r"key down sc=224 sym=1073742048 mod=0x40 "),
                       (0, r"key down sc=225 sym=1073742049 mod=0x41 "),
                       (0, r"key down sc=5 sym=98 mod=0x41 "),
                       (0, r"state keys=5,224,225, mod=0x41 "),
                       (0, r"text ", 0),   # a control key types no text
                       (1, r"key up sc=5 sym=98 mod=0x41 "),
                       (1, r"key up sc=224 sym=1073742048 mod=0 "),
                       (1, r"state keys= mod=0 ")]),
        ("key sc:80 Return", [(0, r"key down sc=80 sym=1073741904 "),
                              (1, r"key down sc=40 sym=13 "),
                              (1, r"text ", 0)]),
        ("key A", [(0, r"key down sc=225 "),
                   (0, r"key down sc=4 sym=97 mod=0x1 "),
                   (0, r"text 'A'")]),
        ("click 10 20", [(0, r"motion 10,20 rel 10,20 state 0"),
                         (0, r"button down b=1 at 10,20"),
                         (0, r"state keys= mod=0 mouse=10,20 buttons=1"),
                         (1, r"button up b=1 at 10,20"),
                         (1, r"state keys= mod=0 mouse=10,20 buttons=0")]),
        ("wheel -2", [(0, r"wheel -2")]),
        ("type h\u00e9llo!", [(0, "text 'h\u00e9llo!'")]),
        ("keydown lshift", [(0, r"key down sc=225 .*mod=0x1 "),
                            (0, r"state keys=225, mod=0x1 ")]),
        ("keyup lshift", [(0, r"key up sc=225 .*mod=0 "),
                          (0, r"state keys= mod=0 ")]),
        ("mouse move 50 60", [(0, r"motion 50,60 rel 40,40 state 0"),
                              (0, r"state .*mouse=50,60 buttons=0")]),
        ("mouse down right", [(0, r"button down b=3 at 50,60"),
                              (0, r"state .*mouse=50,60 buttons=4")]),
        ("mouse up 3", [(0, r"button up b=3 at 50,60"),
                        (0, r"state .*buttons=0")]),
    ],
    "sdl1": [
        ("key a", [(0, r"key down sym=97 mod=0 unicode=97"),
                   (0, r"state keys=97, mod=0 "),
                   (1, r"key up sym=97 mod=0 "),
                   (1, r"state keys= mod=0 ")]),
        ("key C-S-b", [(0, r"key down sym=306 mod=0x40 "),
                       (0, r"key down sym=304 mod=0x41 "),
                       (0, r"key down sym=98 mod=0x41 unicode=2"),
                       (0, r"state keys=98,304,306, mod=0x41 "),
                       (1, r"key up sym=98 "),
                       (1, r"state keys= mod=0 ")]),
        ("key left A", [(0, r"key down sym=276 "),
                        (1, r"key down sym=97 mod=0x1 unicode=65")]),
        ("click 10 20", [(0, r"motion 10,20 rel 10,20 state 0"),
                         (0, r"button down b=1 at 10,20"),
                         (0, r"state keys= mod=0 mouse=10,20 buttons=1"),
                         (1, r"button up b=1 at 10,20"),
                         (1, r"state keys= mod=0 mouse=10,20 buttons=0")]),
        ("wheel 1", [(0, r"button down b=4 at 10,20"),
                     (0, r"button up b=4 at 10,20")]),
        ("type h\u00e9!", [(0, r"key down sym=104 mod=0 unicode=104"),
                           (0, r"key down sym=0 mod=0 unicode=233"),
                           (0, r"key down sym=49 mod=0 unicode=33")]),
        ("keydown lshift", [(0, r"key down sym=304 mod=0x1 "),
                            (0, r"state keys=304, mod=0x1 ")]),
        ("keyup lshift", [(0, r"key up sym=304 mod=0 "),
                          (0, r"state keys= mod=0 ")]),
        ("mouse move 50 60", [(0, r"motion 50,60 rel 40,40 state 0")]),
        ("mouse down 3", [(0, r"button down b=3 at 50,60"),
                          (0, r"state .*mouse=50,60 buttons=4")]),
        ("mouse up right", [(0, r"button up b=3 at 50,60")]),
    ],
    "x11": [
        ("key a", [(0, r"key down keysym=0x61 state=0 str=a"),
                   (0, r"state keys=0x61, "),
                   (1, r"key up keysym=0x61 state=0 str=a"),
                   (1, r"state keys= ")]),
        ("key C-S-b", [(0, r"key down keysym=0xffe3 state=0 "),
                       (0, r"key down keysym=0xffe1 state=0x4 "),
                       (0, r"key down keysym=0x42 state=0x5 "),
                       (0, r"state keys=0xffe3,0xffe1,0x62, mouse=0,0 mask=0x5"),
                       (1, r"key up keysym=0xffe3 state=0x4 "),
                       (1, r"state keys= mouse=0,0 mask=0$")]),
        ("key left A", [(0, r"key down keysym=0xff51 "),
                        (1, r"key down keysym=0xffe1 "),
                        (1, r"key down keysym=0x41 state=0x1 str=A")]),
        ("click 10 20", [(0, r"motion 10,20 state 0"),
                         (0, r"button down b=1 at 10,20"),
                         (0, r"state keys= mouse=10,20 mask=0x100"),
                         (1, r"button up b=1 at 10,20"),
                         (1, r"state keys= mouse=10,20 mask=0$")]),
        ("wheel 2", [(0, r"button down b=4 at 10,20", 2),
                     (0, r"button up b=4 at 10,20", 2)]),
        ("type hi!", [(0, r"key down keysym=0x68 state=0 str=h"),
                      (0, r"key down keysym=0x69 state=0 str=i"),
                      (0, r"key down keysym=0x21 state=0x1 str=!")]),
        ("keydown lshift", [(0, r"key down keysym=0xffe1 state=0 "),
                            (0, r"state keys=0xffe1, mouse=10,20 mask=0x1")]),
        ("keyup lshift", [(0, r"key up keysym=0xffe1 state=0x1 "),
                          (0, r"state keys= mouse=10,20 mask=0$")]),
        ("mouse move 50 60", [(0, r"motion 50,60 state 0"),
                              (0, r"state keys= mouse=50,60 mask=0$")]),
        ("mouse down middle", [(0, r"button down b=2 at 50,60"),
                               (0, r"state .*mask=0x200")]),
        ("mouse up 2", [(0, r"button up b=2 at 50,60")]),
    ],
}


def run_script(lib):
    with Xvfb() as x, game(x, lib) as g:
        c = g.connect()
        c.ok("step 2")
        info = json.loads(c.ok("info"))
        check(info["input"] == {"sdl2": "sdl2", "sdl1": "sdl1.2",
                                "x11": "x11"}[lib], info["input"])
        check(info["keyboard"] == "ignore", "lockstep ignores the real keyboard")
        for cmd, want in SCRIPTS[lib]:
            g.settled_output(quiet=0.2)
            before = len(lines(g))
            r = c.ok(cmd)
            now = json.loads(c.ok("hello"))["frame"]
            f = int(r) if cmd.split()[0] not in ("keydown", "keyup") else now + 1
            check(f == now + 1, "%s lands on the next frame, not %d" % (cmd, f))
            c.ok("step 3")
            for w in want:
                if len(w) < 3 or w[2] > 0:
                    expect(g, f + w[0], w[1])
            g.settled_output(quiet=0.2)
            # Each line comes once, on its frame and no other.
            new = lines(g)[before:]
            for w in want:
                off, pat, n = w if len(w) == 3 else w + (1,)
                at = [l for l in new if re.match(r"F\d+ " + pat, l)]
                check(len(at) == n and
                      all(a.startswith("F%d " % (f + off)) for a in at),
                      "%s: %r wanted %d times at frame %d only, seen %r" % (
                          cmd, pat, n, f + off, at))
        c.ok("key esc")
        c.send("step 2\n")   # the game ends on Escape: no reply comes
        wait_until(lambda: not g.alive(), 20, "the game to end on Escape")


def test_sdl2_game_gets_every_kind_of_input_at_its_frame():
    run_script("sdl2")


def test_sdl1_game_gets_every_kind_of_input_at_its_frame():
    run_script("sdl1")


def test_xlib_game_gets_every_kind_of_input_at_its_frame():
    run_script("x11")


def sender(x, lib, *args):
    r = subprocess.run([PROGS + "/x-sender", lib + "-input"] + list(args),
                       env=dict(os.environ, DISPLAY=x.display),
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, "x-sender: %s" % r.stderr)


def test_real_keyboard_and_mouse_are_ignored_in_lockstep():
    for lib in ("sdl2", "sdl1", "x11"):
        with Xvfb() as x, game(x, lib) as g:
            c = g.connect()
            c.ok("step 2")
            before = len(lines(g))
            sender(x, lib, "button", "3", "7", "8")
            sender(x, lib, "key", "c")
            c.ok("step 5")
            g.settled_output(quiet=0.3)
            got = [l for l in lines(g)[before:] if " state " not in l]
            check(not got, "%s: real input reached a lockstep game: %r" % (lib, got))
            # Asked for, it comes through (so the sender does reach it).
            check(c.ok("keyboard real") == "real", "keyboard real")
            sender(x, lib, "button", "3", "7", "8")
            for _ in range(40):
                c.ok("step 1")
                if re.search(r"(?m)^F\d+ button down b=3 at 7,8", g.text()):
                    break
            expect_any = re.search(r"(?m)^F\d+ button down b=3 at 7,8", g.text())
            check(expect_any, "%s: the real mouse did not come through with "
                  "keyboard real:\n%s" % (lib, g.text()[-800:]))
            # And it follows the state: the button is up again at the end.
            c.ok("keyboard ignore")


def test_inputs_are_recorded_and_replayed_identically():
    d = tempfile.mkdtemp(prefix="gh-gfx-")
    trace = os.path.join(d, "run.trace")
    with Xvfb() as x:
        with game(x, "sdl2", HOOK_TRACE=trace, HOOK_SEED="5") as g:
            c = g.connect()
            c.ok("step 3")
            sent = {}
            sent["key"] = int(c.ok("key C-a"))
            sent["click"] = int(c.ok("click 30 40 right"))
            sent["wheel"] = int(c.ok("wheel 3"))
            sent["type"] = int(c.ok("type hi"))
            sent["move"] = int(c.ok("mouse move 5 6"))
            c.ok("keydown up")
            c.ok("step 10")
            c.ok("keyup up")
            c.ok("step 5")
            expect(g, sent["type"], "text 'hi'")
            c.ok("trace stop")
        r = subprocess.run([DUMPER, "cat", trace], capture_output=True,
                           text=True, timeout=60)
        check(r.returncode == 0, r.stderr)
        kinds = {}
        for l in r.stdout.splitlines():
            fr = json.loads(l)
            for i in fr["inputs"]:
                kinds.setdefault(i["kind"], []).append((fr["frame"], i))
        for k in ("key_press", "key_release", "mouse_move", "mouse_down",
                  "mouse_up", "wheel", "text"):
            check(k in kinds, "no %s input in the trace: %r" % (k, sorted(kinds)))
        check((sent["wheel"], "wheel") in [(f, i["kind"]) for f, i in kinds["wheel"]],
              "the wheel recorded at another frame: %r" % kinds["wheel"])
        check([i["value"] for f, i in kinds["text"]] == ["hi"], kinds["text"])
        downs = [(f, i["button"], i["x"], i["y"]) for f, i in kinds["mouse_down"]]
        check(downs == [(sent["click"], 3, 30, 40)], downs)
        presses = [(f, i["scancode"], i["mod"]) for f, i in kinds["key_press"]]
        check((sent["key"], 224, 0) in presses and
              (sent["key"], 4, 0x40) in presses, presses)
        # Python's reader gives each input as dumper cat does.
        import gamehook
        py = {f["frame"]: f["inputs"] for f in gamehook.read_trace(trace)}
        cat = {json.loads(l)["frame"]: json.loads(l)["inputs"]
               for l in r.stdout.splitlines()}
        check(py == cat, "read_trace's inputs differ from dumper cat's: %r" % [
            (f, py.get(f), cat[f]) for f in cat if py.get(f) != cat[f]][:3])
        r = subprocess.run([DUMPER, "replay", trace, "--env", "HOOK_FRAME=nanosleep"],
                           capture_output=True, text=True, timeout=300)
        check(r.returncode == 0 and "identical" in r.stdout,
              "replay: %d\n%s%s" % (r.returncode, r.stdout, r.stderr))


def test_bad_arguments_get_clear_errors():
    with Xvfb() as x, game(x, "sdl2") as g:
        c = g.connect()
        bad = {
            "mouse": "err usage",
            "mouse jump 1 2": "err usage mouse: expected move X Y, down BUTTON or up BUTTON",
            "mouse move 1": "err usage mouse move X Y",
            "mouse move a 2": "err usage x: expected a whole number",
            "mouse move 1 99999": "err range y: 99999 is out of range",
            "mouse down 9": "err range button",
            "mouse down thumb": "err usage button",
            "mouse up 1": "err state button 1 is not down",
            "click 1": "err usage",
            "click 1 2 3 4": "err usage",
            "click 1 2 nine": "err usage button",
            "wheel 0": "err range wheel: 0 clicks",
            "wheel 101": "err range wheel: 101 is out of range",
            "wheel up": "err usage wheel: expected a whole number",
            "key nosuchkey": "err usage unknown key 'nosuchkey'",
            "key a C-": "err usage unknown key 'C-'",
            "keyup b": "err state key 'b' is not held",
        }
        for cmd, want in bad.items():
            r = c.cmd(cmd)
            check(r.startswith(want), "%r -> %r (wanted %r...)" % (cmd, r, want))
        c.ok("step 3")
        helps = {e["name"]: e for e in json.loads(c.ok("help"))}
        for name in ("mouse", "click", "wheel"):
            check(name in helps, "help lacks %s: %r" % (name, sorted(helps)))
        g.settled_output(quiet=0.2)
        got = [l for l in lines(g) if re.match(r"F\d+ (key|motion|button|wheel|text)", l)]
        check(not got, "refused commands delivered input: %r" % got)
    # A terminal game reads no mouse.
    with Game([DEMO, "--seed", "3"], lockstep=True) as g:
        c = g.connect()
        for cmd in ("mouse move 1 2", "click 1 2", "wheel 1"):
            r = c.cmd(cmd)
            check(r.startswith("err unsupported") and "neither SDL nor Xlib" in r,
                  "%r -> %r" % (cmd, r))
        check(json.loads(c.ok("info"))["input"] == "none", "a curses game's input")


def test_a_load_releases_what_the_controller_held():
    # SDL's dummy video driver: a load cannot rewind an X connection (the
    # server's side of it goes on), and this is about the input alone.
    with Xvfb() as x, game(x, "sdl2", SDL_VIDEODRIVER="dummy") as g:
        c = g.connect()
        c.ok("step 2")
        c.ok("save a")
        c.ok("keydown x")
        c.ok("mouse down left")
        c.ok("step 2")
        expect(g, json.loads(c.ok("hello"))["frame"] - 1,
               r"state keys=27, mod=0 mouse=0,0 buttons=1")
        c.ok("load a")
        check(c.cmd("keyup x").startswith("err state"), "x still held after a load")
        check(c.cmd("mouse up left").startswith("err state"),
              "the button still down after a load")
        f = int(c.ok("mouse move 3 4"))
        c.ok("step 2")
        # The game was saved with nothing held; what the shim answers for
        # the keyboard and mouse agrees with it after the load.
        expect(g, f, r"state keys= mod=0 mouse=3,4 buttons=0")


def test_python_client_moves_clicks_and_turns_the_wheel():
    import gamehook
    with Xvfb() as x, game(x, "sdl2") as g:
        py = gamehook.Game(g.sock)
        try:
            py.step(2)
            f = py.mouse_move(12, 34)
            py.step(2)
            expect(g, f, r"motion 12,34 rel 12,34 state 0")
            f = py.click(40, 50, "right")
            py.step(3)
            expect(g, f, r"button down b=3 at 40,50")
            expect(g, f + 1, r"button up b=3 at 40,50")
            f = py.mouse_down("middle")
            py.step(2)
            expect(g, f, r"state .*mouse=40,50 buttons=2")
            f = py.mouse_up(2)
            f = py.wheel(4)
            now = py.step(2).frame
            expect(g, f, r"wheel 4")
            check(py.keydown("C-z") == "C-z", "keydown answers the key")
            py.step(2)
            expect(g, now + 1, r"state keys=29,224, mod=0x40 ")
            py.keyup("C-z")
            try:
                py.click(1, 2, "thumb")
                raise TestFailure("a bad button was taken")
            except gamehook.GamehookError as e:
                check(e.code == "usage" and "button" in e.message, str(e))
        finally:
            py.close()


def test_graphical_demo_moves_by_held_keys_and_follows_the_mouse():
    # demo-gfx reads movement from SDL_GetKeyboardState and the mouse from
    # its events: what the shim injects must agree for both.
    import xshot
    gfx = os.path.join(BUILD, "demo-gfx")
    layout = os.path.join(os.path.dirname(BUILD), "demo-gfx",
                          "demo-gfx.layout.json")
    with tempfile.TemporaryDirectory(prefix="gh-gfx-") as tmp, \
            xshot.Xvfb(tmp) as x:
        env = dict(x.env, HOOK_FRAME="nanosleep", HOOK_LAYOUT=layout,
                   SDL_AUDIODRIVER="dummy")
        with Game([gfx, "--seed", "3"], env=env, lockstep=True) as g:
            c = g.connect(timeout=60)
            c.ok("step 5")

            def get(path):
                return json.loads(c.ok("get " + path))
            x0 = get("player.x")
            c.ok("keydown right")
            c.ok("step 10")
            check(get("world.held") == 2, "held right: world.held %r" %
                  get("world.held"))
            x1 = get("player.x")
            check(x1 > x0, "held right moved the player from %r to %r" % (x0, x1))
            c.ok("keyup right")
            c.ok("step 3")
            check(get("world.held") == 0, "released: world.held %r" %
                  get("world.held"))
            c.ok("mouse move 100 80")
            c.ok("step 3")
            cur = get("cursor")
            check((cur["x"], cur["y"]) == (100, 80) and cur["moves"] >= 1, cur)
            r0 = cur["radius"]
            clicks = cur["clicks"]
            c.ok("click 50 60")
            c.ok("wheel 2")
            c.ok("step 4")
            cur = get("cursor")
            check(cur["clicks"] == clicks + 1 and cur["buttons"] == 0 and
                  (cur["x"], cur["y"]) == (50, 60), cur)
            check(cur["radius"] == min(80, r0 + 8), "wheel 2: radius %r -> %r" % (
                r0, cur["radius"]))
