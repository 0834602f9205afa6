#!/usr/bin/python3
"""bench-timers: what the virtual timers cost, and how far ahead of real
time each timer test game runs.

1. Per frame: bench-timer-game in lockstep at speed max, stepped 300 frames
   at a time over the text protocol, with 4 timerfds expiring (about 12
   expiries a frame) against the same game with none; rounds alternate and
   the figures are medians.
2. Speed: every timer-shaped test game of tests/progs runs free for 2 real
   seconds plain, under libfaketime at x10 (when Debian's libfaketime is
   installed: the baseline a user has without gamehook), and under gamehook
   at speed max; the figure is its world's ticks per real second over its
   nominal tick rate (1.0x: real time)."""
import os
import pty
import re
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B = os.path.join(ROOT, "build")
LIB = os.path.join(B, "libhook.so")
FAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"
ROUNDS = 7

# name: argv under build/tests, nominal ticks a second
GAMES = [("itimer (setitimer+sigsuspend)", ["itimer-game"], 50),
         ("alarm (blocking getch)", ["alarm-game"], 1),
         ("timerfd + poll", ["timerfd-game"], 40),
         ("timerfd + epoll", ["timerfd-game", "--epoll"], 40),
         ("POSIX timer + sigwaitinfo", ["ptimer-game"], 1000 / 30),
         ("POSIX timer, SIGEV_THREAD", ["ptimer-game", "--thread"], 1000 / 30),
         ("clock() busy loop", ["clock-game"], 100),
         ("cond_timedwait worker", ["condvar-game"], 100),
         ("curses halfdelay", ["halfdelay-game"], 5),
         ("select timeout", ["select-game"], 20),
         ("ftime + nodelay getch spin", ["spin-game"], 20)]


def clean_env():
    e = {k: v for k, v in os.environ.items()
         if not k.startswith(("HOOK_", "FAKETIME", "GAMEHOOK_")) and k != "LD_PRELOAD"}
    e["TERM"] = "xterm"
    return e


def spawn(argv, env):
    m, s = pty.openpty()
    p = subprocess.Popen(argv, stdin=s, stdout=s, stderr=s, env=env,
                         start_new_session=True)
    os.close(s)
    return p, m


def drain(m, secs):
    out, t0 = b"", time.monotonic()
    while time.monotonic() - t0 < secs:
        r, _, _ = select.select([m], [], [], 0.05)
        if r:
            try:
                out += os.read(m, 65536)
            except OSError:
                break
    return out


def ticks_per_second(argv, env, secs=2.0):
    p, m = spawn(argv, env)
    try:
        t0 = time.monotonic()
        out = drain(m, secs)
        real = time.monotonic() - t0
    finally:
        p.kill()
        p.wait()
        os.close(m)
    ticks = [int(x) for x in re.findall(rb"tick (\d+)", out)]
    return (max(ticks) if ticks else 0) / real


class Ctl:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(path)
        self.f = self.s.makefile("rb")

    def cmd(self, line):
        self.s.sendall(line.encode() + b"\n")
        r = self.f.readline().decode().strip()
        if not r.startswith("ok"):
            sys.exit("bench-timers: %r -> %r" % (line, r))
        return r[3:]


def frame_cost(ntimers, d):
    """Seconds a frame of bench-timer-game takes in lockstep at max."""
    sock = os.path.join(d, "t%d.sock" % ntimers)
    if os.path.exists(sock):
        os.unlink(sock)       # the last round's game left it
    env = dict(clean_env(), LD_PRELOAD=LIB, HOOK_MODE="lockstep",
               HOOK_SOCKET=sock, HOOK_LOG=os.path.join(d, "log"))
    p, m = spawn([os.path.join(B, "bench-timer-game"), str(ntimers)], env)
    try:
        for _ in range(500):
            if os.path.exists(sock):
                break
            time.sleep(0.01)
        c = Ctl(sock)
        c.cmd("step 60")   # warm
        t0 = time.perf_counter()
        c.cmd("step 300")
        return (time.perf_counter() - t0) / 300
    finally:
        # The game never ends by itself: never leave it behind.
        p.kill()
        p.wait()
        os.close(m)


def main():
    print("bench-timers: virtual timers (%s, %d CPUs)" % (
        time.strftime("%Y-%m-%d"), os.cpu_count()), flush=True)
    with tempfile.TemporaryDirectory() as d:
        none, four = [], []
        for _ in range(ROUNDS):
            none.append(frame_cost(0, d))
            four.append(frame_cost(4, d))
        n, f = statistics.median(none), statistics.median(four)
        print("  frame, no timers (baseline)   %7.1f us  (median of %d)" % (n * 1e6, ROUNDS))
        print("  frame, 4 timerfds             %7.1f us  (~12 expiries a frame)" % (f * 1e6))
        print("  the timers' cost              %7.1f us a frame, %.1f us an expiry" % (
            (f - n) * 1e6, (f - n) * 1e6 / 12))
    have_ft = os.path.exists(FAKETIME)
    print("\n  %-30s %8s %14s %14s" % ("game (ticks/s over nominal)", "plain",
                                       "faketime x10" if have_ft else "(no faketime)",
                                       "gamehook max"))
    for name, a, rate in GAMES:
        argv = [os.path.join(B, "tests", a[0])] + a[1:]
        plain = ticks_per_second(argv, clean_env()) / rate
        ft = ticks_per_second(argv, dict(clean_env(), LD_PRELOAD=FAKETIME,
                                         FAKETIME="+0 x10", FAKETIME_NO_CACHE="1")) / rate \
            if have_ft else float("nan")
        with tempfile.TemporaryDirectory() as d:
            gh = ticks_per_second(argv, dict(clean_env(), LD_PRELOAD=LIB, HOOK_SPEED="max",
                                             HOOK_SOCKET=d + "/s.sock",
                                             HOOK_LOG=d + "/log")) / rate
        print("  %-30s %7.1fx %13.1fx %13.1fx  %s" % (name, plain, ft, gh,
                                                    "goal >= 5x" if gh >= 5 else "BELOW 5x"))


if __name__ == "__main__":
    main()
