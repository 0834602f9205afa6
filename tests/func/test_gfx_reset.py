"""save/load/reset for graphical games: the graphical demo (build/demo-gfx)
in each render mode (a software SDL_Renderer, the window surface, OpenGL
on Mesa's llvmpipe, whose threads idle in pthread_cond_wait), headless
and lockstep, saved at a frame, driven on with keys and a click, loaded,
and driven again with the same input gives the same state (every layout
field) and the same picture at every frame as the first pass, and the
pictures change along the way; `reset` brings back frame 1's state and
picture, and 50 resets in a row neither hang nor grow threads or
descriptors, with memory bounded; the X connection lives through them
because the X libraries' memory is not rewound (with HOOK_XARENA=0 it is,
and Xlib drops the connection at the first frame after a load). On tests/progs/park-game (threads parked in
pthread_cond_wait and sem_wait): a load is refused, clearly, when a thread
waits at another place than at the save or was created since, a save
while a thread computes, and the game goes on after each refusal; the live bytes of a parked thread's
condition variable and mutex are kept across a load, and without that
(HOOK_PARK_KEEP=0) a load loses the worker's wake-up and the game hangs,
which is what the keep prevents. glxgears (Debian's mesa-utils: GLX,
libX11 linked directly) is saved, loaded and reset the same way: the same
pictures after a load, frame 1's picture after 21 resets. lbreakouthd
(Debian, SDL2 on OpenGL, threads started after frame 0): `reset` to frame
0 is refused with the reason; after `save @start` at frame 60 each reset
and the same key give the same picture, which differs without the key."""
import hashlib
import json
import os
import socket
import subprocess
import tempfile

from gh import BUILD, ROOT, Conn, Game, check

GFX = os.path.join(BUILD, "demo-gfx")
GFX_LAYOUT = os.path.join(ROOT, "demo-gfx", "demo-gfx.layout.json")
PARK = os.path.join(BUILD, "tests", "park-game")
PARK_LAYOUT = os.path.join(ROOT, "tests", "progs", "park-game.layout.json")
MODES = {"renderer": [], "surface": ["--surface"], "gl": ["--gl"]}
STATE = "get world player cursor entity_count entities rng_state"


def gfx(flags, seed=7):
    return Game([GFX] + flags, lockstep=True, headless=True,
                env={"HOOK_SEED": str(seed), "HOOK_LAYOUT": GFX_LAYOUT})


def picture(c, tmp, size=(640, 480)):
    path = os.path.join(tmp, "shot.png")
    r = json.loads(c.ok("screenshot " + path))
    check((r["width"], r["height"]) == size, r)
    with open(path, "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()


def drive(c, tmp):
    """Eight frames with keys and a click: each frame's picture, then the
    state."""
    pics = []
    c.ok("keydown right")
    for i in range(8):
        if i == 3:
            c.ok("click 200 150")
        if i == 5:
            c.ok("keyup right")
            c.ok("keydown down")
        c.ok("step 1")
        pics.append(picture(c, tmp))
    c.ok("keyup down")
    return pics, json.loads(c.ok(STATE))


def test_load_repeats_a_pass_in_each_mode():
    with tempfile.TemporaryDirectory(prefix="gh-gfxreset-") as tmp:
        for name, flags in MODES.items():
            with gfx(flags) as g:
                c = g.connect(timeout=60)
                c.ok("step 5")
                saved = json.loads(c.ok(STATE))
                r = json.loads(c.ok("save a"))
                check(r["saved"] and r["frame"] == 5, "%s: %r" % (name, r))
                pics1, st1 = drive(c, tmp)
                check(st1 != saved, "%s: the input changed nothing" % name)
                check(len(set(pics1)) > 4, "%s: the pictures hardly change"
                      % name)
                r = json.loads(c.ok("load a"))
                check(r["loaded"] and r["frame"] == 5, "%s: %r" % (name, r))
                check(json.loads(c.ok(STATE)) == saved,
                      "%s: the state after the load is not the saved one"
                      % name)
                pics2, st2 = drive(c, tmp)
                check(st2 == st1, "%s: another state after the load:\n%r\n%r"
                      % (name, st1, st2))
                check(pics2 == pics1, "%s: other pictures after the load "
                      "(frames %r differ)" % (name, [i for i in range(8)
                                                     if pics1[i] != pics2[i]]))


def test_the_x_connection_is_not_rewound():
    # Without the X libraries' own arena (HOOK_XARENA=0) their memory is
    # rewound with the game's, the connection's sequence numbers with it,
    # and Xlib gives up on the connection at the next frame after a load:
    # the game ends. With it, the game goes on (the tests above).
    for arena in ("0", "1"):
        with Game([GFX, "--gl"], lockstep=True, headless=True,
                  env={"HOOK_SEED": "7", "HOOK_XARENA": arena}) as g:
            c = g.connect(timeout=60)
            c.ok("step 5")
            c.ok("save a")
            c.ok("step 10")
            c.ok("load a")
            try:
                r = c.cmd("step 3")
            except (EOFError, OSError):
                r = "closed"
            if arena == "0":
                check(r == "closed", "HOOK_XARENA=0: the game went on "
                      "after a load (%r): this test shows nothing" % r)
                g.proc.wait(timeout=30)
                check("X connection" in g.text(), g.text()[-300:])
            else:
                check(r == "ok 8", r)


def arena(c):
    x = json.loads(c.ok("info"))["xarena"]
    return x["live"] + x["deferred"]


def census(pid):
    threads = len(os.listdir("/proc/%d/task" % pid))
    fds = len(os.listdir("/proc/%d/fd" % pid))
    with open("/proc/%d/status" % pid) as f:
        rss = [int(l.split()[1]) for l in f if l.startswith("VmRSS:")][0]
    return threads, fds, rss


def test_reset_again_and_again():
    with tempfile.TemporaryDirectory(prefix="gh-gfxreset-") as tmp:
        for name in ("renderer", "gl"):
            with gfx(MODES[name]) as g:
                c = g.connect(timeout=60)
                c.ok("step 1")
                pic0, st0 = picture(c, tmp), json.loads(c.ok(STATE))
                c.ok("keydown left")
                c.ok("step 12")
                c.ok("keyup left")
                c.ok("click 100 100")
                c.ok("step 3")
                check(json.loads(c.ok(STATE)) != st0, "%s: nothing moved" % name)
                r = json.loads(c.ok("reset"))
                check(r["loaded"] and r["frame"] == 0, "%s: %r" % (name, r))
                c.ok("step 1")
                check(json.loads(c.ok(STATE)) == st0,
                      "%s: frame 1 after a reset is not frame 1" % name)
                check(picture(c, tmp) == pic0,
                      "%s: frame 1's picture after a reset differs" % name)
                for i in range(55):
                    if i == 5:
                        before = census(g.proc.pid)
                        xbefore = arena(c)
                    c.ok("reset")
                    c.ok("key right" if i % 2 else "click 50 %d" % (60 + i))
                    c.ok("step 2")
                after = census(g.proc.pid)
                check(after[0] == before[0], "%s: threads %d -> %d"
                      % (name, before[0], after[0]))
                check(after[1] == before[1], "%s: descriptors %d -> %d"
                      % (name, before[1], after[1]))
                check(arena(c) - xbefore < 1 << 20, "%s: the X libraries' "
                      "arena %d -> %d bytes" % (name, xbefore, arena(c)))
                check(json.loads(c.ok("info"))["xarena"]["code_ranges"] > 0,
                      "%s: no X library seen" % name)
                check(after[2] - before[2] < 32 * 1024,
                      "%s: resident memory %d -> %d KiB in 50 resets"
                      % (name, before[2], after[2]))
                c.ok("reset")
                c.ok("step 1")
                check(picture(c, tmp) == pic0 and
                      json.loads(c.ok(STATE)) == st0,
                      "%s: frame 1 differs after 55 resets" % name)


def park_game(keep=True):
    env = {"HOOK_LAYOUT": PARK_LAYOUT}
    if not keep:
        env["HOOK_PARK_KEEP"] = "0"
    return Game([PARK], lockstep=True, env=env)


def test_loads_refused_when_threads_moved():
    with park_game() as g:
        c = g.connect()
        c.ok("step 10")
        check(json.loads(c.ok("save a"))["saved"], "save with parked threads")
        c.ok("step 15")   # the second thread now waits elsewhere
        r = c.cmd("load a")
        check(r.startswith("err snapshot") and "waits on" in r and
              "load refused" in r, r)
        check(c.ok("step 1") == "26", "the game goes on")
        st = json.loads(c.ok("get tick done phase"))
        check(st == {"tick": 26, "done": 27, "phase": 1}, st)
        c.ok("step 9")    # frame 35
        c.ok("save b")
        c.ok("step 10")   # a thread was created at frame 40
        r = c.cmd("load b")
        check(r.startswith("err snapshot") and "created, ended" in r, r)
        check(c.ok("step 1") == "46", "the game goes on")
        # It waits in sem_wait: parked too, so a save and a load work.
        c.ok("save c")
        c.ok("step 7")
        check(json.loads(c.ok("load c"))["frame"] == 46, "load c")
        c.ok("step 4")
        st = json.loads(c.ok("get tick done phase"))
        check(st == {"tick": 50, "done": 51, "phase": 1}, st)
        c.ok("step 31")   # frame 81: a thread computes
        r = c.cmd("save d")
        check(r.startswith("err snapshot") and "1 of the game's threads are "
              "running" in r, r)
        check(c.ok("step 5") == "86", "the game goes on")
        check(json.loads(c.ok("save d"))["saved"], "the thread ended: save")


def load_cycles(keep):
    """Five times: three frames on, back to the save. Returns how many
    went through before a step hung (5: none hung)."""
    with park_game(keep) as g:
        c = g.connect()
        c.ok("step 60")
        c.ok("save a")
        slow = Conn(g.sock, timeout=15.0)
        for i in range(5):
            try:
                r = slow.cmd("step 3")
            except socket.timeout:
                return i
            check(r == "ok 63", r)
            check(json.loads(slow.ok("load a"))["frame"] == 60, "load")
        st = json.loads(slow.ok("get tick done"))
        check(st == {"tick": 60, "done": 61}, st)
        slow.close()
        return 5


def test_keeping_the_waiters_objects_prevents_a_hang():
    check(load_cycles(True) == 5, "with the keep, a step after a load hung")
    check(load_cycles(False) < 5, "without the keep (HOOK_PARK_KEEP=0), no "
          "load lost the worker's wake-up: this test shows nothing")


def test_glxgears():
    # A Debian program (mesa-utils): OpenGL on GLX, libX11 linked (not
    # loaded by SDL), animated by the clock.
    r = subprocess.run(["sh", os.path.join(ROOT, "scripts", "deps.sh"),
                        "mesa-utils"])
    check(r.returncode == 0, "installing mesa-utils failed")
    with tempfile.TemporaryDirectory(prefix="gh-gfxreset-") as tmp, \
            Game(["/usr/bin/glxgears", "-geometry", "200x150"], lockstep=True,
                 headless=True, env={"HOOK_SEED": "3"}) as g:
        c = g.connect(timeout=60)
        c.ok("step 1")
        pic0 = picture(c, tmp, (200, 150))
        c.ok("step 19")
        c.ok("save a")
        passes = []
        for _ in range(2):
            pics = []
            for i in range(10):
                c.ok("step 1")
                pics.append(picture(c, tmp, (200, 150)))
            passes.append(pics)
            check(json.loads(c.ok("load a"))["frame"] == 20, "load")
        check(len(set(passes[0])) > 5, "the gears hardly turn")
        check(passes[0] == passes[1], "other pictures after the load")
        for _ in range(20):
            c.ok("reset")
            c.ok("step 3")
        c.ok("reset")
        c.ok("step 1")
        check(picture(c, tmp, (200, 150)) == pic0,
              "frame 1's picture differs after 21 resets")


def test_lbreakouthd_reset_to_a_later_start():
    # Debian's lbreakouthd (SDL2's renderer on OpenGL, SDL_mixer on the
    # dummy audio driver; set-group-id, so a private copy): its audio and
    # Mesa's threads start after frame 0, so `reset` to the kept @start is
    # refused, saying so; `save @start` once they run makes `reset` go
    # there, and the same key after each reset gives the same picture.
    r = subprocess.run(["sh", os.path.join(ROOT, "scripts", "deps.sh"),
                        "lbreakouthd"])
    check(r.returncode == 0, "installing lbreakouthd failed")
    with tempfile.TemporaryDirectory(prefix="gh-gfxreset-") as tmp:
        exe = os.path.join(tmp, "lbreakouthd")
        with open("/usr/games/lbreakouthd", "rb") as f, open(exe, "wb") as o:
            o.write(f.read())
        os.chmod(exe, 0o755)
        home = os.path.join(tmp, "home")
        os.mkdir(home)
        with Game([exe], lockstep=True, headless=True,
                  env={"HOOK_SEED": "3", "HOME": home,
                       "SDL_AUDIODRIVER": "dummy"}) as g:
            c = g.connect(timeout=60)
            c.ok("step 60")
            r = c.cmd("reset")
            check(r.startswith("err snapshot") and "not those of the "
                  "snapshot" in r, r)
            c.ok("save @start")
            pics = []
            for i in range(6):
                if i:
                    check(json.loads(c.ok("reset"))["frame"] == 60, "reset")
                c.ok("key Down")
                c.ok("step 10")
                path = os.path.join(tmp, "shot.png")
                c.ok("screenshot " + path)
                with open(path, "rb") as f:
                    pics.append(hashlib.sha1(f.read()).hexdigest())
            check(len(set(pics)) == 1, "other pictures after a reset: %r"
                  % pics)
            c.ok("reset")
            c.ok("step 10")
            c.ok("screenshot " + path)
            with open(path, "rb") as f:
                check(hashlib.sha1(f.read()).hexdigest() != pics[0],
                      "the key changed nothing: this test shows nothing")
