"""Graphical games frame-exact under one seed, with audio on and X events
in: a sleeping thread (SDL's audio thread, on a real driver: SDL's disk
driver writes the samples to a file from its own thread) never moves the
clock while the game computes, so a frame that takes a second of real time
still lasts the 16 virtual ms it slept and no sleeper ran meanwhile
(before, the audio thread moved the clock itself after 200 ms of real
time: that frame lasted 48 ms); a driver that never waits (ALSA's null
device) gets its callbacks once per buffer of virtual time (before,
millions a second); the graphical demo with audio on, in each
render mode, gives the same picture, state and clock at every one of 200
frames in two seeded runs fed the same input; HOOK_AUDIO=dummy hands SDL
its dummy driver (no samples written, callbacks still on virtual time)
and info says so; events the X server sends (the window mapped, exposed)
reach a plain Xlib game at the frame after the one that mapped its
window, even when the server answers late (stopped for a second: before,
they came whenever it woke); and lbreakouthd, from Debian, has the same
clock at every frame and presents its first picture at the same frame in
two seeded runs (before, it came a frame earlier or later, 22 virtual ms
apart), and the same picture at every frame, its first included (its
rows the menu never covers held a freed image in some runs before seeded
runs zeroed large new blocks: test_seed_alloc)."""
import atexit
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import xshot
from gh import BUILD, ROOT, Game, check, wait_until

sys.path.insert(0, os.path.join(ROOT, "python"))
import gamehook  # noqa: E402

SDL = os.path.join(BUILD, "tests", "sdl-game")
XEV = os.path.join(BUILD, "tests", "x-events")
GFX = os.path.join(BUILD, "demo-gfx")
LAYOUT = os.path.join(ROOT, "demo-gfx", "demo-gfx.layout.json")

TMP = tempfile.mkdtemp(prefix="gh-gfxdet-")
atexit.register(shutil.rmtree, TMP, True)
X = xshot.Xvfb(TMP)
atexit.register(X.stop)


def game(argv, seed, audio="disk", env=None):
    e = dict(X.env, SDL_VIDEODRIVER="x11", SDL_AUDIODRIVER=audio,
             SDL_DISKAUDIOFILE=os.path.join(TMP, "audio-%d.raw" % seed),
             HOOK_SEED=str(seed))
    e.update(env or {})
    return Game(argv, env=e, lockstep=True)


def status(c):
    """sdl-game's last status line, from its terminal, as a dict."""
    rows = [r for r in json.loads(c.ok("screen")) if "frame" in r]
    line = rows[-1].split("\r")[-1] if rows else ""
    return {k: int(v) for k, v in re.findall(r"(\w+) (-?\d+)", line)}


def sdl_run(seed, busy):
    """sdl-game with audio on the disk driver, a second of computing at
    frame 10: its status after each of 20 steps, and info at the end."""
    out = []
    with game([SDL, "render", "--audio", "--busy", "10:300"] if busy else
              [SDL, "render", "--audio"], seed) as g:
        c = g.connect(timeout=60)
        for f in range(1, 21):
            check(c.ok("step 1") == str(f), "step to %d" % f)
            out.append(status(c))
        info = json.loads(c.ok("info"))
    return out, info


def test_a_slow_frame_with_audio_passes_no_time():
    # Frame 10 computes for about a second of real time while SDL's audio
    # thread sleeps on the virtual clock: the clock is the frame thread's,
    # so the frame lasts the 16 ms the game sleeps, like every other.
    a, info = sdl_run(21, True)
    check(info["self_advanced"] == 0 and info["audio"] == "real", info)
    # (From frame 1: the first frame also waits a frame period at its
    # present, as any game's does.)
    for prev, cur in zip(a[1:], a[2:]):
        check(cur["ticks"] - prev["ticks"] == 16,
              "frame %d lasted %d virtual ms, not 16 (%r, %r)" %
              (cur["frame"], cur["ticks"] - prev["ticks"], prev, cur))
    check(a[-1]["audio"] > a[0]["audio"], "no audio callbacks: %r" % a)
    b, _ = sdl_run(21, True)
    check(a == b, "one seed, two runs: %r\n%r" % (a, b))
    # The disk driver really wrote the samples, from its own thread.
    check(os.path.getsize(os.path.join(TMP, "audio-21.raw")) > 0, "no samples")


def test_a_driver_that_never_waits_is_paced_by_the_clock():
    # ALSA's null device takes samples as fast as they come: SDL's audio
    # thread never waits, and before it called the game back millions of
    # times a second of real time. Its callbacks now come once per buffer
    # in virtual time (8 kHz, 256 samples: each 32 ms, 50 in 1.6 s), the
    # same in two seeded runs.
    runs = []
    for _ in range(2):
        with game([SDL, "render", "--audio"], 41,
                  audio="alsa", env={"AUDIODEV": "null"}) as g:
            c = g.connect(timeout=60)
            c.ok("step 20")
            s1 = status(c)
            c.ok("step 100")
            s2 = status(c)
            check("audio:" not in g.text(), "no audio device: %r" %
                  g.text()[-300:])
        check(s2["audio"] - s1["audio"] == 50, (s1, s2))
        runs.append((s1, s2))
    check(runs[0] == runs[1], runs)


def demo_run(mode, seed, frames=200):
    """demo-gfx with audio on, stepped FRAMES frames with the same input:
    each frame's (frame, vtime, sha1 of the picture, sha1 of the state)."""
    out = []
    with game([GFX, "--audio"] + mode, seed,
              env={"HOOK_LAYOUT": LAYOUT}) as g:
        g.connect(timeout=60)
        with gamehook.Game(g.sock) as p:
            for f in range(1, frames + 1):
                if f == 30:
                    p.keydown("right")
                elif f == 80:
                    p.keyup("right")
                elif f == 120:
                    p.click(200, 200, "right")
                elif f == 150:
                    p.key("space")
                o = p.step(1, all_state=True, raw=True, pixels=True)
                out.append((o.frame, o.vtime_ns,
                            hashlib.sha1(o.pixels.tobytes()).hexdigest(),
                            hashlib.sha1(o.state).hexdigest()))
            info = p.info()
    check(info["self_advanced"] == 0, info)
    return out


def test_demo_with_audio_is_frame_exact():
    for name, mode in (("renderer", []), ("surface", ["--surface"]),
                       ("gl", ["--gl"])):
        a = demo_run(mode, 7)
        b = demo_run(mode, 7)
        diff = [(x, y) for x, y in zip(a, b) if x != y]
        check(len(a) == 200 and not diff,
              "%s: %d of 200 frames differ, first %r" % (name, len(diff),
                                                         diff[:1]))
        check(len({x[2] for x in a}) > 50, "%s: the pictures hardly change"
              % name)
        check(len({x[3] for x in a}) > 50, "%s: the state hardly changes"
              % name)


def test_hook_audio_dummy():
    # HOOK_AUDIO=dummy: SDL gets its dummy driver whatever the game's
    # environment says (the disk driver writes nothing), the callbacks run
    # on virtual time, and info says so.
    path = os.path.join(TMP, "audio-31.raw")
    with game([SDL, "render", "--audio"], 31,
              env={"HOOK_AUDIO": "dummy"}) as g:
        c = g.connect(timeout=60)
        c.ok("step 40")
        s1 = status(c)
        c.ok("step 50")
        s2 = status(c)
        check(json.loads(c.ok("info"))["audio"] == "dummy", "info")
    check(not os.path.exists(path), "the disk driver wrote %s" % path)
    # 8 kHz, 256 samples: a callback each 32 ms, 25 in 800 ms.
    check(s2["audio"] - s1["audio"] == 25, (s1, s2))
    # A bad value is a configuration error, logged; the game runs as is.
    with game([SDL, "render", "--audio"], 32, env={"HOOK_AUDIO": "loud"}) as g:
        wait_until(lambda: os.path.exists(g.log) and
                   "HOOK_AUDIO: expected real or dummy, not 'loud'" in
                   open(g.log).read(), 60, "the log's complaint")


def xevents_run(stop_server):
    """x-events mapping its window at frame 2: the frames its map and
    expose events reached it, over 15 steps; with STOP_SERVER the X server
    is stopped for a second of real time from before the map until after
    the eighth frame."""
    with Game([XEV, "2"], env=dict(X.env), lockstep=True) as g:
        c = g.connect(timeout=60)
        wait_until(lambda: "ready" in g.text(), 60, "x-events ready")
        check(c.ok("step 1") == "1", "step 1")
        if stop_server:
            os.kill(X.proc.pid, signal.SIGSTOP)
            threading.Timer(1.0, os.kill, (X.proc.pid, signal.SIGCONT)).start()
        try:
            check(c.ok("step 7") == "8", "step 7")
        finally:
            if stop_server:
                time.sleep(1.2)
                os.kill(X.proc.pid, signal.SIGCONT)
        check(c.ok("step 7") == "15", "step 7 more")
        # Every event line up to frame 14 is on the terminal before its
        # "T14" (waiting for the first "F" line alone read the text while
        # the pty's reader had the map line and not yet the expose line:
        # {'map': 3} in 1 of 5 runs under load).
        wait_until(lambda: re.search(r"T14\s", g.text()), 60, "frame 14's events")
        text = g.text()
    return {k: int(f) for f, k in re.findall(r"F(\d+) (map|expose)", text)}


def test_x_events_come_at_a_fixed_frame():
    # The window is mapped (and flushed, no round trip) at frame 2; its
    # MapNotify and Expose are there at frame 3's XPending, however fast
    # the server answers: the read of events waits for it to catch up.
    a = xevents_run(False)
    check(a == {"map": 3, "expose": 3}, a)
    b = xevents_run(True)
    check(a == b, "with a late server: %r, before %r" % (b, a))


def lbreakout_run(exe, seed, frames=60):
    """lbreakouthd under a seed: each frame's (frame, vtime, sha1 of the
    picture or None before its first)."""
    home = tempfile.mkdtemp(dir=TMP)   # it writes its settings there
    with Game([exe], env=dict(X.env, HOME=home, SDL_VIDEODRIVER="x11",
                              SDL_AUDIODRIVER="dummy", HOOK_SEED=str(seed)),
              lockstep=True) as g:
        g.connect(timeout=60)
        return xshot.frame_hashes(g.sock, frames)


def test_lbreakouthd_is_frame_exact():
    r = subprocess.run(["sh", os.path.join(ROOT, "scripts", "deps.sh"),
                        "lbreakouthd"])
    check(r.returncode == 0, "installing lbreakouthd failed")
    # A set-group-id program ignores LD_PRELOAD: a private copy has no bit.
    exe = os.path.join(TMP, "lbreakouthd")
    shutil.copyfile("/usr/games/lbreakouthd", exe)
    os.chmod(exe, 0o755)
    a = lbreakout_run(exe, 5)
    b = lbreakout_run(exe, 5)
    shots = [x for x in a if x[2] is not None]
    check(len(shots) >= 20, "lbreakouthd presented %d pictures" % len(shots))
    # Frame, clock and picture at every step, from before the first.
    diff = [(x, y) for x, y in zip(a, b) if x != y]
    check(not diff, "%d of %d frames differ, first %r" % (len(diff), len(a),
                                                         diff[:1]))
