"""Headless games: `hookctl run --headless` and the Python launcher's
headless=True give each game a private X server (Xvfb: a display number
of its own, a cookie in a private directory, Mesa's software OpenGL), so
the graphical demo runs in both render modes, four launched at the same
moment get four displays, and two run side by side on two displays, each
drawing its own picture (read back with XGetImage); the server ends with
the game, never left behind: after a normal end, a kill -9 or a crash of
the game, the launcher killed while the game runs on (hookctl and a
Python process), or the keeper itself killed; without --headless the game
gets the caller's DISPLAY and no server is started; OpenGL there is
Mesa's software renderer (glxinfo, run by hookctl in the foreground,
which returns once the server is gone); a machine without Xvfb is told so
before anything starts; the two launchers give a headless game the same
environment; and a headless run's trace replays on a private server."""
import json
import os
import signal
import stat
import subprocess
import tempfile
import time

from gh import BUILD, HOOKCTL, LIB, PROGS, ROOT, Conn, Game, check, \
    wait_until
import gamehook
import xshot

GFX = os.path.join(BUILD, "demo-gfx")
DUMPER = os.path.join(BUILD, "dumper")
LAYOUT = os.path.join(ROOT, "demo-gfx", "demo-gfx.layout.json")
WINDOW = (320, 272, 640, 480)
PLAYER, BACKGROUND, PAUSE = b"\xf0\xd0\x20", b"\x10\x18\x30", b"\x80\x80\xa0"


def _env(d):
    """The caller's environment for hookctl, its runtime directory D."""
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("HOOK_") and k not in ("GAMEHOOK_OWNER",
                                                    "LD_PRELOAD")}
    e["XDG_RUNTIME_DIR"] = d
    return e


def servers_of(auth):
    """The Xvfb processes serving with cookie file AUTH."""
    return [p for p, argv in xshot.xvfb_pids().items() if auth in argv]


def gone(auth):
    """Wait until no Xvfb serves with AUTH and its private directory is
    removed."""
    wait_until(lambda: not servers_of(auth) and
               not os.path.exists(os.path.dirname(auth)), 30,
               "the X server of %s to end" % auth)


def display_of(pid):
    d = xshot.game_display(pid)
    check(d.get("DISPLAY", "").startswith(":") and "XAUTHORITY" in d and
          d.get("LIBGL_ALWAYS_SOFTWARE") == "1", "no private display: %r" % d)
    auth = d["XAUTHORITY"]
    st = os.stat(os.path.dirname(auth))
    check(stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == os.getuid(),
          "the cookie's directory is not private: %o" % st.st_mode)
    check(stat.S_IMODE(os.stat(auth).st_mode) == 0o600, "cookie mode")
    check(len(servers_of(auth)) == 1, "no Xvfb for %s" % auth)
    return d


def ticks(sock):
    c = Conn(sock)
    try:
        return json.loads(c.ok("get world.tick"))
    finally:
        c.close()


def picture(d, tmp, name):
    """The game's window on display D: its colours (the PNG viewed)."""
    png = os.path.join(tmp, name + ".png")
    w, h, _ = xshot.shoot(d, png)
    return xshot.colours(w, h, xshot.read_png(png)[2], WINDOW)


def run_bg(tmp, sock, *game, extra=(), env=None):
    r = subprocess.run([HOOKCTL, "run", "--headless", "--background",
                        "--layout", LAYOUT, "-s", sock] + list(extra) +
                       ["--"] + list(game), capture_output=True, text=True,
                       timeout=120, env=env or _env(tmp),
                       stdin=subprocess.DEVNULL)
    check(r.returncode == 0 and r.stdout.strip() == sock,
          "hookctl run: %d %r %r" % (r.returncode, r.stdout, r.stderr))
    return json.loads(Conn(sock).ok("hello"))["pid"]


def test_hookctl_run_headless_in_both_modes():
    with tempfile.TemporaryDirectory(prefix="gh-headless-") as tmp:
        for mode in ([], ["--gl"]):
            sock = os.path.join(tmp, "g.sock")
            pid = run_bg(tmp, sock, GFX, *mode)
            d = display_of(pid)
            check(d["DISPLAY"] != os.environ.get("DISPLAY"), d)
            wait_until(lambda: ticks(sock) >= 20, 120, "20 ticks")
            seen = picture(d, tmp, "gl" if mode else "renderer")
            check(PLAYER in seen and BACKGROUND in seen,
                  "%r: the window is not drawn (%d colours)" % (mode,
                                                                len(seen)))
            os.kill(pid, signal.SIGTERM)      # SDL's quit: a normal end
            gone(d["XAUTHORITY"])


def test_two_games_side_by_side():
    with tempfile.TemporaryDirectory(prefix="gh-headless-") as tmp:
        games = [gamehook.Game.launch([GFX] + mode, layout=LAYOUT,
                                      lockstep=False, headless=True)
                 for mode in ([], ["--gl"])]
        try:
            ds = [display_of(g._proc.pid) for g in games]
            check(ds[0]["DISPLAY"] != ds[1]["DISPLAY"], ds)
            for i, g in enumerate(games):
                wait_until(lambda: g.get("world.tick") >= 20, 120,
                           "game %d's ticks" % i)
            # Each display shows its own game: the first one paused draws
            # its pause bars there, and only there.
            games[0].set("world.state", 1)

            def paused_there():
                a, b = picture(ds[0], tmp, "a"), picture(ds[1], tmp, "b")
                return PLAYER in a and PLAYER in b and PAUSE in a and \
                    PAUSE not in b
            wait_until(paused_there, 60, "the pause bars on the first display")
        finally:
            auths = []
            for g in games:
                auths.append(xshot.game_display(g._proc.pid)["XAUTHORITY"])
                g.close()
        # close() returns once the game's X server is gone.
        for a in auths:
            check(not servers_of(a) and not os.path.exists(a),
                  "left behind: %s" % a)


def test_no_server_left_when_the_game_dies():
    with tempfile.TemporaryDirectory(prefix="gh-headless-") as tmp:
        for sig in (signal.SIGKILL, signal.SIGSEGV):
            sock = os.path.join(tmp, "g%d.sock" % sig)
            pid = run_bg(tmp, sock, GFX, "--gl")
            d = display_of(pid)
            os.kill(pid, sig)
            gone(d["XAUTHORITY"])


def test_no_server_left_when_the_launcher_is_killed():
    with tempfile.TemporaryDirectory(prefix="gh-headless-") as tmp:
        # hookctl in the foreground, killed: the game runs on, drawn on
        # its server, which ends when the game does.
        sock = os.path.join(tmp, "fg.sock")
        h = subprocess.Popen([HOOKCTL, "run", "--headless", "--layout",
                              LAYOUT, "-s", sock, "--output",
                              os.path.join(tmp, "out"), "--", GFX],
                             env=_env(tmp), stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        wait_until(lambda: os.path.exists(sock), 120, "the socket")
        pid = json.loads(Conn(sock).ok("hello"))["pid"]
        d = display_of(pid)
        h.kill()
        h.wait()
        t = ticks(sock)
        wait_until(lambda: ticks(sock) > t + 5, 120, "the game going on")
        check(servers_of(d["XAUTHORITY"]), "the server went with hookctl")
        os.kill(pid, signal.SIGKILL)
        gone(d["XAUTHORITY"])

        # A Python program that launched a headless game, killed.
        script = ("import sys; sys.path.insert(0, %r); import gamehook, time\n"
                  "p, _ = gamehook.spawn([%r], hook={'HOOK_SOCKET': %r}, "
                  "shim=%r, size=None, headless=True)\n"
                  "print(p.pid, flush=True); time.sleep(600)\n") % (
                      os.path.join(ROOT, "python"), GFX,
                      os.path.join(tmp, "py.sock"), LIB)
        py = subprocess.Popen(["/usr/bin/python3", "-c", script],
                              stdout=subprocess.PIPE, env=_env(tmp))
        pid = int(py.stdout.readline())
        d = display_of(pid)
        py.kill()
        py.wait()
        time.sleep(0.5)
        check(servers_of(d["XAUTHORITY"]), "the server went with python")
        os.kill(pid, signal.SIGKILL)
        gone(d["XAUTHORITY"])

        # The keeper itself killed: the server dies with it.
        sock = os.path.join(tmp, "k.sock")
        pid = run_bg(tmp, sock, GFX)
        d = display_of(pid)
        x = servers_of(d["XAUTHORITY"])[0]
        keeper = int(open("/proc/%d/stat" % x).read().rsplit(")", 1)[1]
                     .split()[1])
        check(open("/proc/%d/comm" % keeper).read().strip() ==
              "gamehook-xvfb", "the server's parent is not its keeper")
        os.kill(keeper, signal.SIGKILL)
        wait_until(lambda: not servers_of(d["XAUTHORITY"]), 30,
                   "the server to follow its keeper")
        os.kill(pid, signal.SIGKILL)


def test_without_headless_the_callers_display():
    with tempfile.TemporaryDirectory(prefix="gh-headless-") as tmp, \
            xshot.Xvfb(tmp) as x:
        env = _env(tmp)
        env.update(DISPLAY=x.display, XAUTHORITY=x.auth)
        sock = os.path.join(tmp, "own.sock")
        r = subprocess.run([HOOKCTL, "run", "--background", "--layout",
                            LAYOUT, "-s", sock, "--", GFX], env=env,
                           capture_output=True, text=True, timeout=120,
                           stdin=subprocess.DEVNULL)
        check(r.returncode == 0, r.stderr)
        pid = json.loads(Conn(sock).ok("hello"))["pid"]
        try:
            d = xshot.game_display(pid)
            check(d["DISPLAY"] == x.display and
                  d["XAUTHORITY"] == x.auth and
                  "LIBGL_ALWAYS_SOFTWARE" not in d, d)
            wait_until(lambda: ticks(sock) >= 5, 120, "ticks")
            check(not [a for a in xshot.xvfb_pids().values()
                       if any(os.path.join(tmp, "gamehook") in v for v in a)],
                  "a server was started")
            check(PLAYER in picture(x.env, tmp, "own"), "not drawn there")
        finally:
            os.kill(pid, signal.SIGKILL)


def test_without_xvfb_it_says_so_first():
    with tempfile.TemporaryDirectory(prefix="gh-headless-") as tmp:
        env = _env(tmp)
        bindir = os.path.join(tmp, "bin")
        os.mkdir(bindir)
        os.symlink(GFX, os.path.join(bindir, "demo-gfx"))
        env["PATH"] = bindir
        r = subprocess.run([HOOKCTL, "run", "--headless", "--", "demo-gfx"],
                           env=env, capture_output=True, text=True,
                           timeout=60, stdin=subprocess.DEVNULL)
        check(r.returncode == 2 and "Xvfb: not found in PATH (headless games "
              "need Debian's xvfb package)" in r.stderr, r.stderr)
        saved = os.environ["PATH"]
        os.environ["PATH"] = bindir
        try:
            gamehook.spawn(["demo-gfx"], size=None, headless=True)
            check(False, "spawn started without Xvfb")
        except gamehook.GamehookError as e:
            check("Xvfb: not found in PATH" in str(e), str(e))
        finally:
            os.environ["PATH"] = saved


def test_both_launchers_give_the_same_headless_environment():
    # As test_context's check for the other rules: the same caller, the
    # same overrides, hookctl run --headless and spawn(headless=True)
    # record the same environment, but for the server each got.
    caller = {"PATH": os.environ["PATH"], "HOME": "/nonexistent-home",
              "DISPLAY": ":99", "WAYLAND_DISPLAY": "wayland-1",
              "XAUTHORITY": "/nonexistent-home/.Xauthority", "GH_KEEP": "1",
              "LANG": "C.UTF-8"}
    worker = os.path.join(PROGS, "worker-clock")
    got = {}
    with tempfile.TemporaryDirectory(prefix="gh-headless-") as tmp:
        caller["XDG_RUNTIME_DIR"] = tmp
        for who in ("c", "py"):
            trace = os.path.join(tmp, "env-%s.trace" % who)
            sock = os.path.join(tmp, "env-%s.sock" % who)
            if who == "c":
                cmd = [HOOKCTL, "run", "--background", "--no-pty",
                       "--headless", "--trace", trace, "-s", sock,
                       "--env", "GH_SET=1", "--", worker]
            else:
                cmd = ["/usr/bin/python3", "-c", (
                    "import sys; sys.path.insert(0, %r); import gamehook\n"
                    "p, _ = gamehook.spawn([%r], hook={'HOOK_TRACE': %r, "
                    "'HOOK_SOCKET': %r}, shim=%r, env={'GH_SET': '1'}, "
                    "stdio='inherit', headless=True)") % (
                        os.path.join(ROOT, "python"), worker, trace, sock,
                        LIB)]
            with open(os.path.join(tmp, "out-" + who), "w") as out:
                r = subprocess.run(cmd, env=caller, stdout=out, stderr=out,
                                   timeout=120, stdin=subprocess.DEVNULL)
            check(r.returncode == 0, open(os.path.join(tmp, "out-" +
                                                       who)).read())
            wait_until(lambda: subprocess.run(
                [DUMPER, "info", trace], capture_output=True).returncode == 0,
                60, "the trace's header")
            j = json.loads(subprocess.run([DUMPER, "info", trace, "--json"],
                                          capture_output=True,
                                          text=True).stdout)
            env = dict(e.split("=", 1) for e in j["launch"]["env"])
            shim = dict(e.split("=", 1) for e in j["launch"]["shim_env"])
            got[who] = (env, shim)
            os.kill(j["pid"], signal.SIGKILL)
            gone(env["XAUTHORITY"])
    (ce, cs), (pe, ps) = got["c"], got["py"]
    for e in (ce, pe):
        check(e["DISPLAY"].startswith(":") and e["DISPLAY"] != ":99" and
              e["XAUTHORITY"].endswith("/xauthority") and
              e["LIBGL_ALWAYS_SOFTWARE"] == "1" and
              "WAYLAND_DISPLAY" not in e, e)
    strip = ("DISPLAY", "XAUTHORITY")
    check(list(k for k in ce) == list(k for k in pe) and
          {k: v for k, v in ce.items() if k not in strip} ==
          {k: v for k, v in pe.items() if k not in strip},
          "environments differ:\n%r\n%r" % (ce, pe))
    check(cs.get("HOOK_HEADLESS") == ps.get("HOOK_HEADLESS") == "1",
          (cs, ps))


def test_a_headless_run_replays_headless():
    # The trace keeps HOOK_HEADLESS=1 among the shim's variables; dumper
    # replay gives the game a private server again (the recorded DISPLAY's
    # server is long gone), and ends it after.
    with tempfile.TemporaryDirectory(prefix="gh-headless-") as tmp:
        trace = os.path.join(tmp, "h.trace")
        with gamehook.Game.launch([GFX, "--gl"], layout=LAYOUT, seed=3,
                                  trace=trace, headless=True,
                                  terminal=False) as g:
            g.step(120)
            g.command("trace stop")
        j = json.loads(subprocess.run([DUMPER, "info", trace, "--json"],
                                      capture_output=True, text=True).stdout)
        check("HOOK_HEADLESS=1" in j["launch"]["shim_env"], j["launch"])
        r = subprocess.run([DUMPER, "replay", trace], capture_output=True,
                           text=True, timeout=300, env=_env(tmp))
        check("no terminal, headless (a private X server), " in r.stdout and
              "frames 0 to 120" in r.stdout and
              ("replay: identical" in r.stdout or "diverged" in r.stdout),
              r.stdout + r.stderr)
        check(not [a for a in xshot.xvfb_pids().values()
                   if any(os.path.join(tmp, "gamehook") in v for v in a)],
              "the replay's server was left behind")


def test_opengl_is_mesas_software_renderer():
    with tempfile.TemporaryDirectory(prefix="gh-headless-") as tmp:
        out = os.path.join(tmp, "glxinfo")
        r = subprocess.run([HOOKCTL, "run", "--headless", "--output", out,
                            "--", "glxinfo", "-B"], env=_env(tmp),
                           capture_output=True, text=True, timeout=120,
                           stdin=subprocess.DEVNULL)
        text = open(out).read()
        check(r.returncode == 0 and "direct rendering: Yes" in text and
              ("OpenGL renderer string: llvmpipe" in text or
               "OpenGL renderer string: softpipe" in text), r.stderr + text)
        # In the foreground hookctl returns once the server is gone.
        left = [n for n in os.listdir(os.path.join(tmp, "gamehook"))
                if n.startswith("xvfb-")]
        check(not left and not [a for a in xshot.xvfb_pids().values() if any(
            os.path.join(tmp, "gamehook") in v for v in a)],
              "the server outlived hookctl run: %r" % left)


def test_games_launched_at_the_same_moment_get_their_own_displays():
    # Four hookctl runs started together: Xvfb's -displayfd takes the
    # first free display by its lock file, so none collide.
    with tempfile.TemporaryDirectory(prefix="gh-headless-") as tmp:
        socks = [os.path.join(tmp, "m%d.sock" % i) for i in range(4)]
        runs = [subprocess.Popen([HOOKCTL, "run", "--headless", "--background",
                                  "--layout", LAYOUT, "-s", s, "--", GFX],
                                 env=_env(tmp), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
                for s in socks]
        pids, ds = [], []
        try:
            for r, s in zip(runs, socks):
                out, err = r.communicate(timeout=120)
                check(r.returncode == 0 and out.strip() == s, err)
                pids.append(json.loads(Conn(s).ok("hello"))["pid"])
            ds = [display_of(p) for p in pids]
            check(len({d["DISPLAY"] for d in ds}) == 4, ds)
            for s in socks:
                wait_until(lambda: ticks(s) >= 5, 120, "every game ticking")
        finally:
            for p in pids:
                os.kill(p, signal.SIGKILL)
        for d in ds:
            gone(d["XAUTHORITY"])
