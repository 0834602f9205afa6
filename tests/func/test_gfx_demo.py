"""The graphical demo game (build/demo-gfx, SDL2) runs on a private X
server (Xvfb, Mesa's software OpenGL) in each of its render modes (a
software SDL_Renderer, the window's surface, OpenGL), alone and under the
shim: it draws a picture that is not black (its background, status bar and
player in their colours, read back from the X server with XGetImage), its
layout names its state (the world ticks, three lives, the entities), the
stripped twin runs too, and it ends cleanly on SIGTERM (SDL's quit event);
its layout agrees with the debug build (build/demo-gfx.debug: every
member's offset, size and kind, every field's symbol), by
test_layout_debug's comparison, which fails when a member is moved."""
import copy
import importlib.util
import json
import os
import signal
import subprocess
import tempfile

from gh import BUILD, ROOT, Game, check, wait_until
import xshot

GFX = os.path.join(BUILD, "demo-gfx")
LAYOUT = os.path.join(os.path.dirname(BUILD), "demo-gfx",
                      "demo-gfx.layout.json")
MODES = {"renderer": [], "surface": ["--surface"], "gl": ["--gl"]}
# The window is centred on the 1280x1024 screen (no window manager).
WINDOW = (320, 272, 640, 480)
BACKGROUND, HUD, PLAYER = b"\x10\x18\x30", b"\x2a\x2f\x4a", b"\xf0\xd0\x20"


def test_alone_in_each_mode():
    # No shim: the game knows nothing of gamehook and runs by itself.
    with tempfile.TemporaryDirectory(prefix="gh-gfx-") as tmp, \
            xshot.Xvfb(tmp) as x:
        for name, flags in MODES.items():
            r = subprocess.run([GFX, "--frames", "30", "--fps", "0"] + flags,
                               env=dict(os.environ, **x.env),
                               capture_output=True, text=True, timeout=120)
            check(r.returncode == 0 and "demo-gfx: 30 frames" in r.stdout,
                  "%s: %d %r %r" % (name, r.returncode, r.stdout, r.stderr))
            check("demo-gfx: video x11, %s" % ("opengl" if name == "gl"
                                                else name) in r.stderr,
                  "%s: %r" % (name, r.stderr))
        r = subprocess.run([GFX, "--fps", "x"], capture_output=True, text=True,
                           timeout=30)
        check(r.returncode == 2 and "not a number" in r.stderr, r.stderr)


def run_and_shoot(tmp, x, exe, name, flags):
    with Game([exe] + flags, env=dict(x.env, HOOK_LAYOUT=LAYOUT)) as g:
        c = g.connect(timeout=60)
        hello = json.loads(c.ok("hello"))
        check(hello["layout_error"] == "", hello)
        wait_until(lambda: json.loads(c.ok("get world.tick")) >= 30, 120,
                   "%s: 30 ticks" % name)
        st = json.loads(c.ok("get player.lives cursor.radius entity_count"))
        check(st == {"player.lives": 3, "cursor.radius": 24,
                     "entity_count": st["entity_count"]} and
              st["entity_count"] >= 4, "%s: %r" % (name, st))
        png = os.path.join(tmp, "%s.png" % name)
        w, h, _ = xshot.shoot(x.env, png)
        check((w, h) == (1280, 1024), (w, h))
        # The window's colours, from the PNG's pixels as the X server has
        # them: the background, the status bar, the player.
        rgb = xshot.read_png(png)[2]
        seen = xshot.colours(w, h, rgb, WINDOW)
        for want, what in ((BACKGROUND, "background"), (HUD, "status bar"),
                           (PLAYER, "player")):
            check(want in seen, "%s: no %s colour in the window (%d colours)"
                  % (name, what, len(seen)))
        os.kill(g.proc.pid, signal.SIGTERM)
        g.proc.wait(timeout=60)
        check(g.proc.returncode == 0, "%s: exit %r" % (name,
                                                       g.proc.returncode))
        check("demo-gfx: " in g.text() and " frames, score " in g.text(),
              g.text()[-300:])


def test_under_the_shim_in_each_mode():
    with tempfile.TemporaryDirectory(prefix="gh-gfx-") as tmp, \
            xshot.Xvfb(tmp) as x:
        for name, flags in MODES.items():
            run_and_shoot(tmp, x, GFX, name, flags)


def test_stripped_twin():
    r = subprocess.run(["nm", GFX + ".stripped"], capture_output=True,
                       text=True)
    check("no symbols" in r.stderr, r.stderr)
    with tempfile.TemporaryDirectory(prefix="gh-gfx-") as tmp, \
            xshot.Xvfb(tmp) as x:
        r = subprocess.run([GFX + ".stripped", "--frames", "10", "--fps", "0",
                            "--gl"], env=dict(os.environ, **x.env),
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0 and "10 frames" in r.stdout, r.stderr)


def test_layout_matches_the_debug_build():
    spec = importlib.util.spec_from_file_location(
        "layout_check_gfx", os.path.join(ROOT, "tests", "func",
                                         "test_layout_debug.py"))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    m.LAYOUT, m.DEBUG, m.GAME = LAYOUT, GFX + ".debug", GFX
    m.C_STRUCT = {"Player": "player", "Cursor": "cursor", "Entity": "entity",
                  "World": "world"}
    layout = m.load_layout()
    problems = m.compare_types(layout)
    check(not problems, "demo-gfx's layout types differ from its debug "
          "build:\n" + m.show(problems))
    problems = m.compare_fields(layout, m.nm_symbols(GFX))
    check(not problems, "demo-gfx's layout fields differ:\n" + m.show(problems))
    moved = copy.deepcopy(layout)
    moved["types"]["World"]["members"]["seed"]["offset"] = 44
    check([p[0] for p in m.compare_types(moved)] ==
          ["types.World.members.seed"], "a moved member went unseen")
