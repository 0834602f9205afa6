"""Write tracking (HOOK_TRACK): each method is picked or refused with the
reason in `info` (wp works on this kernel, soft-dirty is refused for want of
the bits, off is off, a bad value stops the game from being driven); with
tracking on, a load and a save over a name copy only the pages written
since (fewer bytes than the snapshot holds) and the game comes back exact,
across mappings that appear, grow (brk), move (mremap), are replaced in
place (MAP_FIXED) and go (munmap), over many save/load/reset cycles; a
trace recorded with tracking is identical to one recorded without, and
both hold the values the game checksums itself; a user without
privileges gets write-protection too (user-mode-only userfaultfd)."""
import json
import os
import platform
import shutil
import subprocess
import tempfile

from gh import ROOT, Game, check, frame_of, hookctl, shim_env, wait_until

BUILD = os.path.join(ROOT, "build")
MAP_GAME = os.path.join(BUILD, "tests", "map-game")
MAP_LAYOUT = os.path.join(ROOT, "tests", "progs", "map-game.layout.json")
DEMO = os.path.join(BUILD, "demo-game")
DEMO_LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")
DUMPER = os.path.join(BUILD, "dumper")
FRAMES = 90
MID = 12


def kernel_has_wp():
    """Linux 6.7 brought UFFD_FEATURE_WP_ASYNC and PAGEMAP_SCAN."""
    major, minor = (int(x) for x in platform.release().split(".")[:2])
    return (major, minor) >= (6, 7)


def game(argv, layout, track=None, **env):
    e = {"HOOK_LAYOUT": layout, "HOOK_SEED": "5"}
    if track is not None:
        e["HOOK_TRACK"] = track
    e.update(env)
    return Game(argv, env=e, lockstep=True)


def ready(g):
    c = g.connect()
    wait_until(lambda: frame_of(c) == 0, what="the first frame")
    return c


def track_info(c):
    return json.loads(c.ok("info"))["track"]


def test_each_method_is_chosen_or_refused_with_its_reason():
    for track in (None, "wp", "soft-dirty", "off"):
        with game([DEMO], DEMO_LAYOUT, track) as g:
            c = ready(g)
            # Frame 0 is announced before the start snapshot is kept
            # (which turns tracking on); a step waits for it.
            c.ok("step 1")
            t = track_info(c)
            if track == "off":
                check(t["method"] == "none" and t["why"] == "HOOK_TRACK=off"
                      and not t["on"], repr(t))
            elif track == "soft-dirty":
                # This machine's kernel keeps no soft-dirty bits.
                check(t["method"] == "none" and "soft-dirty" in t["why"] and
                      "CONFIG_MEM_SOFT_DIRTY" in t["why"], repr(t))
            elif kernel_has_wp():
                check(t["method"] == "wp" and t["on"] and t["regions"] > 0 and
                      t["tracked_bytes"] > 0, repr(t))
            else:
                check(t["method"] != "wp" and "wp:" in t["why"], repr(t))
            # The lockstep start snapshot is saved whatever the method.
            c.ok("step 4")
            r = json.loads(c.ok("reset"))
            check(r["loaded"] and r["frame"] == 0, repr(r))
    with tempfile.TemporaryDirectory() as d:
        r = hookctl("run", "-b", "-s", os.path.join(d, "s.sock"), "--env",
                    "HOOK_TRACK=sometimes", "--",
                    os.path.join(BUILD, "tests", "worker-clock"))
        check(r.returncode == 2 and "HOOK_TRACK" in r.stderr, r)


def reference_run(track):
    """The values of every frame from 1 to FRAMES, stepping one by one."""
    with game([MAP_GAME], MAP_LAYOUT, track) as g:
        c = ready(g)
        ref = {}
        for f in range(1, FRAMES + 1):
            c.ok("step 1")
            ref[f] = json.loads(c.ok("get"))
        return ref


def goto(c, frame):
    now = frame_of(c)
    check(now <= frame, "at %d, past %d" % (now, frame))
    if frame > now:
        c.ok("step %d" % (frame - now))
    check(frame_of(c) == frame, "not at frame %d" % frame)


def snapshot_windows(track, ref):
    """Saves before and loads after the mapping changes of map-game; each
    load must give back the saved frame exactly, and the frames after it
    must be those of the reference run (the game's own checksum of all its
    memory included). Returns the snapshots' sizes and the bytes each load
    copied."""
    sizes = []
    with game([MAP_GAME], MAP_LAYOUT, track) as g:
        c = ready(g)
        # (save at, load at): across heap growth and a replacement in
        # place; after a move; across a new mapping, growth, replacement.
        for save_at, load_at in ((5, 25), (35, 37), (55, 75), (82, 88)):
            goto(c, save_at)
            s = json.loads(c.ok("save w"))
            check(s["saved"] and s["frame"] == save_at, repr(s))
            check(json.loads(c.ok("get")) == ref[save_at],
                  "frame %d differs from the reference run" % save_at)
            goto(c, load_at)
            for cycle in range(3):
                r = json.loads(c.ok("load w"))
                check(r["loaded"] and r["frame"] == save_at, repr(r))
                sizes.append((r["bytes"], r["copied"]))
                got = json.loads(c.ok("get"))
                check(got == ref[save_at], "%s: load %d of frame %d: not "
                      "the saved state" % (track, cycle, save_at))
                c.ok("step %d" % (load_at - save_at))
                got = json.loads(c.ok("get"))
                check(got == ref[load_at], "%s: frame %d after load %d "
                      "differs from the reference run (sum %d, not %d)" %
                      (track, load_at, cycle, got["sum"], ref[load_at]["sum"]))
            # A save over the name, then a load of it.
            s = json.loads(c.ok("save w"))
            check(s["saved"] and s["frame"] == load_at, repr(s))
            c.ok("step 1")
            c.ok("load w")
            check(json.loads(c.ok("get")) == ref[load_at], "%s: load of "
                  "the save over w at %d" % (track, load_at))
            goto(c, load_at + 1)
    return sizes


def test_loads_are_exact_across_mappings_that_come_and_go():
    ref = reference_run("off")
    check(ref[FRAMES]["moving_words"] == 4096 and ref[45]["gone_words"] == 0
          and ref[55]["gone_words"] == 2048 and ref[65]["heap_words"] == 12288,
          "map-game did not go through its schedule: %r" % {
              k: ref[FRAMES][k] for k in ("moving_words", "heap_words")})
    full = snapshot_windows("off", ref)
    check(all(copied >= 0.9 * size for size, copied in full),
          "without tracking a load copies everything: %r" % full)
    if not kernel_has_wp():
        return
    part = snapshot_windows("wp", ref)
    # Each load copied less than all, and all of them less than three
    # quarters (what the game wrote and its stack are a few pages).
    check(all(copied < size for size, copied in part), repr(part))
    check(sum(c for _, c in part) * 4 < sum(s for s, _ in part) * 3,
          "tracking copied more than three quarters: %r" % part)


def test_many_cycles_stay_exact():
    ref = reference_run("wp")
    with game([MAP_GAME], MAP_LAYOUT) as g:
        c = ready(g)
        # Resets go no further than frame 8 and loads of frame 12 no
        # further than 28: map-game's move at frame 29 leaves the earlier
        # mapping unmapped (a load refuses then), and its heap growth at
        # frame 9, if run again after a reset, finds the pages grown the
        # first time, with their contents (memory mapped since a snapshot
        # stays as it is, tracking or not).
        goto(c, MID)
        c.ok("save mid")
        for cycle in range(40):
            if cycle % 3 == 0:
                r = json.loads(c.ok("reset"))
                back = 0
                n = 1 + (cycle * 5) % 8
            else:
                r = json.loads(c.ok("load mid"))
                back = MID
                n = 1 + (cycle * 7) % 16
            check(r["loaded"] and r["frame"] == back, repr(r))
            if back:
                check(json.loads(c.ok("get")) == ref[back], "cycle %d: the "
                      "load is not exact" % cycle)
            c.ok("step %d" % n)
            got = json.loads(c.ok("get"))
            check(got == ref[back + n], "cycle %d: frame %d differs "
                  "after a %s" % (cycle, back + n, "reset" if not back else
                                  "load"))
            if cycle % 5 == 4:
                # Saves over the name at the same frame: the second one
                # surely finds the same mappings as the first (a reset and
                # steps would grow the heap again), so it copies only what
                # the load wrote.
                for again in range(2):
                    c.ok("load mid")
                    s = json.loads(c.ok("save mid"))
                check(s["frame"] == MID and (s["copied"] < s["bytes"] / 2 or
                                            not kernel_has_wp()), repr(s))


def record(track, path):
    with game([MAP_GAME], MAP_LAYOUT, track, HOOK_KEYFRAME="30") as g:
        c = ready(g)
        c.ok("trace start " + path)
        c.ok("step %d" % FRAMES)
        c.ok("trace stop")
        return track_info(c)


def test_traces_are_identical_with_and_without_tracking():
    with tempfile.TemporaryDirectory() as d:
        a, b = os.path.join(d, "off.trace"), os.path.join(d, "wp.trace")
        record("off", a)
        t = record(None, b)
        if kernel_has_wp():
            check(t["method"] == "wp" and t["syncs"] >= FRAMES, repr(t))
        outs = []
        for path in (a, b):
            r = subprocess.run([DUMPER, "cat", path, "--delta"],
                               capture_output=True, timeout=120)
            check(r.returncode == 0, r.stderr)
            outs.append(r.stdout)
        check(outs[0] == outs[1], "the traces differ with tracking")
        lines = [json.loads(x) for x in outs[1].decode().splitlines()]
        check(len(lines) >= FRAMES, "%d frames" % len(lines))
        # The last frame, rebuilt whole: the game's own checksum of the
        # areas agrees with the values recorded.
        r = subprocess.run([DUMPER, "cat", b, "--from", str(FRAMES)],
                           capture_output=True, timeout=120)
        check(r.returncode == 0, r.stderr)
        st = json.loads(r.stdout.decode().splitlines()[-1])
        st = st.get("state", st)
        h = 2166136261
        for name in ("big", "fixed", "moving", "heap", "gone"):
            for v in st[name][:st.get(name + "_words", len(st[name]))]:
                h = ((h ^ v) * 16777619) & 0xffffffff
        check(h == st["sum"], "the recorded areas do not sum to the game's "
              "own checksum (%d, not %d)" % (h, st["sum"]))


def test_an_unprivileged_user_gets_write_protection_too():
    # Run as nobody: userfaultfd is opened user-mode only, which needs no
    # privilege whatever vm.unprivileged_userfaultfd says (0 here). The
    # shim answers only its own user: hookctl runs as nobody too.
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
              "--"]
    # Its socket's directory must be its own, and reachable (/tmp may be
    # root's alone); so must the programs, the shim and the layout, which
    # are copied there (the tree may lie under a directory only root may
    # enter: a clone in such a /tmp did).
    with tempfile.TemporaryDirectory(dir="/var/tmp") as d:
        os.chmod(d, 0o755)
        own = {}
        for src in (MAP_GAME, os.path.join(BUILD, "hookctl"),
                    os.path.join(BUILD, "libhook.so"), MAP_LAYOUT):
            own[src] = os.path.join(d, os.path.basename(src))
            shutil.copy2(src, own[src])
        run_dir = os.path.join(d, "run")
        os.mkdir(run_dir)
        os.chown(run_dir, 65534, 65534)
        sock = os.path.join(run_dir, "s.sock")

        def ctl(*cmd):
            r = subprocess.run(nobody + [own[os.path.join(BUILD, "hookctl")],
                                         "-s", sock] + list(cmd),
                               capture_output=True, text=True, timeout=60)
            check(r.returncode == 0, "%s: %s" % (cmd, r.stderr))
            return r.stdout.strip()

        env = shim_env(run_dir, HOOK_MODE="lockstep",
                       HOOK_LAYOUT=own[MAP_LAYOUT], HOOK_TARGET="*map-game")
        env["LD_PRELOAD"] = own[os.path.join(BUILD, "libhook.so")]
        p = subprocess.Popen(nobody + [own[MAP_GAME]], env=env,
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            wait_until(lambda: os.path.exists(sock), what="the socket")
            wait_until(lambda: json.loads(ctl("hello"))["frame"] == 0,
                       what="the first frame")
            ctl("step", "1")     # after the start snapshot: tracking is on
            info = json.loads(ctl("info"))
            uid = [l.split()[1] for l in open("/proc/%d/status" % info["pid"])
                   if l.startswith("Uid:")][0]
            check(uid == "65534", "the game runs as uid %s" % uid)
            t = info["track"]
            if kernel_has_wp():
                check(t["method"] == "wp" and t["on"], repr(t))
            else:
                check(t["method"] == "none" and "wp:" in t["why"], repr(t))
            ctl("step", "2")
            ctl("save", "a")
            at = ctl("get")
            ctl("step", "4")
            r = json.loads(ctl("load", "a"))
            check(r["loaded"] and ctl("get") == at, repr(r))
            check(r["copied"] < r["bytes"] or not kernel_has_wp(), repr(r))
        finally:
            p.kill()
            p.wait()
