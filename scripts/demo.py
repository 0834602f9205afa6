#!/usr/bin/python3
"""`make demo`: the demo game under the shim, in lockstep, driven by a small
scripted controller over the text protocol. It runs the game in a
pseudo-terminal of its own, so it works with or without a terminal, shows
what the game drew (through the shim's `screen` command), records a trace
of the game's state (named by demo-game/demo-game.layout.json) under
HOOK_SEED, shows what it captured, read back with dumper, and replays it
to show every frame comes out the same."""
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
sys.path.insert(0, os.path.join(ROOT, "python"))
import gamehook  # noqa: E402


class Control:
    """One text-protocol connection: a command a line, a reply a line."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(30)
        self.s.connect(path)
        self.f = self.s.makefile("r")

    def __call__(self, cmd):
        self.s.sendall((cmd + "\n").encode())
        reply = self.f.readline().rstrip("\n")
        if not reply.startswith("ok"):
            raise SystemExit("demo: %r -> %r" % (cmd, reply))
        return reply[3:]


def start_game(tmp, size):
    """The demo game under the shim, in lockstep, in a pty of SIZE (cols,
    rows), started by the Python client's launcher (the rules of README's
    "What a launched game gets"). Nobody looks at that pty (the screen is
    read through the shim), so its TERM is xterm whatever yours is: a
    terminal type the game's host may lack cannot stop the demo."""
    sock = os.path.join(tmp, "demo.sock")
    hook = {"HOOK_MODE": "lockstep", "HOOK_SOCKET": sock,
            "HOOK_LAYOUT": os.path.join(ROOT, "demo-game", "demo-game.layout.json"),
            "HOOK_TRACE": os.path.join(tmp, "demo.trace"), "HOOK_SEED": "7",
            "HOOK_LOG": os.path.join(tmp, "demo.log")}
    game, master = gamehook.spawn(
        [os.path.join(BUILD, "demo-game"), "--seed", "7"], hook=hook,
        shim=os.path.join(BUILD, "libhook.so"), env={"TERM": "xterm"},
        size=size)
    for _ in range(500):
        if os.path.exists(sock) or game.poll() is not None:
            break
        time.sleep(0.01)
    if game.poll() is not None:
        raise SystemExit("demo: the game exited at start")
    return game, master, sock


def drain(fd):
    """Keep the game's terminal output flowing (we read the screen back
    through the shim, not from here)."""
    while select.select([fd], [], [], 0)[0]:
        try:
            if not os.read(fd, 65536):
                return
        except OSError:
            return


def parse(rows):
    m = re.search(r"HP (\d+)/(\d+)\s+Gold (\d+)\s+Lvl (\d+).*Score (\d+).*Tick (\d+)\s+Regen (\d+)",
                  rows[0])
    lane = rows[4] if len(rows) > 4 else ""
    st = (dict(zip(("hp", "max_hp", "gold", "level", "score", "tick", "regen"),
                   map(int, m.groups()))) if m else {})
    cost = re.search(r"Upgrade\(u\) (\d+)g", rows[1] if len(rows) > 1 else "")
    st["cost"] = int(cost.group(1)) if cost else 1 << 30
    return st, lane


def decide(st, lane):
    """A simple player: walk right, strike what is close, upgrade with gold."""
    hero = lane.find("@")
    if st.get("gold", 0) >= st["cost"]:
        return "u"
    ahead = [i for i, ch in enumerate(lane) if ch in "cCT" and i > hero]
    if ahead and ahead[0] - hero <= 2:
        return "space"
    if st.get("hp", 100) < 30 and hero > 3:
        return "left"
    return "right"


def show_trace(path):
    """What the shim recorded: dumper's summary, then the hero and the wave
    every 100 frames, decoded from the trace alone."""
    dumper = os.path.join(BUILD, "dumper")
    print("\ndemo: the trace, %d bytes (dumper info %s):" % (
        os.path.getsize(path), os.path.basename(path)))
    r = subprocess.run([dumper, "info", path], capture_output=True, text=True)
    # The launch context's variables, one a line, are many: counted only.
    print("\n".join(l for l in r.stdout.rstrip().splitlines()
                    if not (l.startswith("  ") and "=" in l)))
    if r.returncode != 0:
        raise SystemExit("demo: dumper info failed: " + r.stderr)
    r = subprocess.run([dumper, "cat", path], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("demo: dumper cat failed: " + r.stderr)
    print("\ndemo: the state it captured (dumper cat, every 100th frame):")
    print("  frame   hp  gold  level  score  wave  entities  first message")
    for line in r.stdout.splitlines():
        f = json.loads(line)
        if f["frame"] % 100:
            continue
        st = f["state"]
        msg = (st["first_message"] or {}).get("text", "")
        print("  %5d  %3d  %4d  %5d  %5d  %4d  %8d  %s" % (
            f["frame"], st["hero"]["hp"], st["hero"]["gold"], st["hero"]["level"],
            st["hero"]["score"], st["game"]["wave"], st["entity_count"], msg))


def replay(path):
    """Run the game again from the trace alone, as it was launched (the
    trace carries its command line, environment, directory and terminal
    size), under the same seed, with the recorded inputs: every frame's
    state must come out identical."""
    print("\ndemo: replaying the trace (dumper replay):")
    r = subprocess.run([os.path.join(BUILD, "dumper"), "replay", path],
                       capture_output=True, text=True, timeout=300)
    print(r.stdout.rstrip())
    if r.returncode != 0:
        raise SystemExit("demo: the replay differed: " + r.stderr)


def main():
    import argparse
    ap = argparse.ArgumentParser(description="make demo's controller")
    ap.add_argument("--size", default="80x24",
                    help="the game's terminal, COLSxROWS (default 80x24)")
    a = ap.parse_args()
    m = re.fullmatch(r"(\d+)[xX](\d+)", a.size)
    if not m:
        raise SystemExit("demo: --size takes COLSxROWS, not %r" % a.size)
    tty = sys.stdout.isatty()
    tmp = tempfile.mkdtemp(prefix="gamehook-demo-")
    game, master, sock = start_game(tmp, (int(m.group(1)), int(m.group(2))))
    try:
        ctl = Control(sock)
        hello = json.loads(ctl("hello"))
        print("demo: %s under the shim, pid %d, socket %s, mode %s"
              % (os.path.basename(hello["exe"]), hello["pid"], sock, hello["mode"]))
        t0 = time.monotonic()
        frames = 0
        shown = 0
        for turn in range(120):
            rows = json.loads(ctl("screen"))
            st, lane = parse(rows)
            ctl("key " + decide(st, lane))
            frames = int(ctl("step 5"))
            drain(master)
            if tty:
                sys.stdout.write("\033[H\033[2J" + "\n".join(rows) + "\n")
                sys.stdout.flush()
                time.sleep(0.03)
            elif turn % 40 == 0:
                shown += 1
                print("\n--- frame %d ---\n%s" % (frames, "\n".join(r for r in rows if r.strip())))
        rows = json.loads(ctl("screen"))
        st, _ = parse(rows)
        info = json.loads(ctl("info"))
        elapsed = time.monotonic() - t0
        print("\n--- frame %d (final) ---\n%s" % (frames, "\n".join(r for r in rows if r.strip())))
        print("\ndemo: %d frames stepped in %.2f s real time; game time %.1f s; "
              "hero hp %s, gold %s, score %s" % (
                  frames, elapsed, info["vtime_ns"] / 1e9, st.get("hp"),
                  st.get("gold"), st.get("score")))
        ctl("key q")
        ctl("resume")
        end = time.monotonic() + 10
        while game.poll() is None and time.monotonic() < end:
            drain(master)
            time.sleep(0.01)
        if game.poll() is None:
            raise SystemExit("demo: the game did not quit")
        print("demo: the game quit with status %d" % game.returncode)
        show_trace(os.path.join(tmp, "demo.trace"))
        replay(os.path.join(tmp, "demo.trace"))
    finally:
        if game.poll() is None:
            game.kill()
            game.wait()
        os.close(master)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
