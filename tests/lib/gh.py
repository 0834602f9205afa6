"""Helpers for gamehook's functional tests: run a program under the shim in
a pseudo-terminal the test creates, talk to its control socket, and wait for
conditions with deadlines (behaviour, never timings)."""
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
import gamehook  # noqa: E402  (its launcher starts every test's game)
BUILD = os.path.join(ROOT, "build")
LIB = os.path.join(BUILD, "libhook.so")
HOOKCTL = os.path.join(BUILD, "hookctl")
DEMO = os.path.join(BUILD, "demo-game")
PROGS = os.path.join(BUILD, "tests")


class TestFailure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def wait_until(pred, timeout=10.0, what="condition"):
    """Poll PRED until it is true; fail after TIMEOUT seconds."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise TestFailure("timed out waiting for " + what)
        time.sleep(0.01)


class Conn:
    """A text-protocol connection to a control socket."""

    def __init__(self, path, timeout=20.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.s.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        l, self.buf = self.buf.split(b"\n", 1)
        return l.decode("utf-8", "replace")

    def cmd(self, text):
        """Send one command; return the reply line."""
        self.send(text + "\n")
        return self.line()

    def ok(self, text):
        """Send one command that must succeed; return its payload."""
        r = self.cmd(text)
        check(r == "ok" or r.startswith("ok "), "%r -> %r" % (text, r))
        return r[3:]

    def close(self):
        self.s.close()


class Game:
    """A program under the shim in a pseudo-terminal of COLSxROWS (80x24),
    started by the Python client's launcher (gamehook.spawn: the rules of
    README's "What a launched game gets"), with TERM=xterm whatever the
    caller's, so tests read the same terminal output everywhere."""

    def __init__(self, argv, env=None, shim=True, lockstep=False, rows=24,
                 cols=80, stdin_pty=True, cwd=None, unset=(), headless=False):
        self.dir = tempfile.mkdtemp(prefix="gh-test-")
        self.sock = os.path.join(self.dir, "game.sock")
        self.log = os.path.join(self.dir, "game.log")
        hook = {}
        if shim:
            hook = {"HOOK_SOCKET": self.sock, "HOOK_LOG": self.log}
            if lockstep:
                hook["HOOK_MODE"] = "lockstep"
        e = {"TERM": "xterm"}
        e.update(env or {})
        self.out = bytearray()
        self.lock = threading.Lock()
        self.proc, self.master = gamehook.spawn(
            argv, hook=hook, shim=LIB if shim else None, env=e, unset=unset,
            cwd=cwd, size=(cols, rows), stdin_null=not stdin_pty,
            headless=headless)
        self.stopping = threading.Event()
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()
        self.conns = []

    def _drain(self):
        while not self.stopping.is_set():
            try:
                r, _, _ = select.select([self.master], [], [], 0.2)
                if not r:
                    if self.proc.poll() is not None:
                        return
                    continue
                d = os.read(self.master, 65536)
            except OSError:
                return
            if not d:
                return
            with self.lock:
                self.out += d

    def output(self):
        with self.lock:
            return bytes(self.out)

    def text(self):
        return self.output().decode("utf-8", "replace")

    def wait_output(self, pattern, timeout=10.0):
        """Wait until the terminal output matches regex PATTERN."""
        rx = re.compile(pattern)
        return wait_until(lambda: rx.search(self.text()), timeout,
                          "output matching %r" % pattern)

    def settled_output(self, quiet=0.3, timeout=15.0):
        """The terminal output once the reader has caught up: no byte more
        for QUIET seconds."""
        last = [None]

        def same():
            cur = self.output()
            ok = cur == last[0]
            last[0] = cur
            time.sleep(quiet)
            return ok
        wait_until(same, timeout, "the output to settle")
        return last[0]

    def type_real(self, data):
        """Type on the real (pseudo-)keyboard."""
        os.write(self.master, data if isinstance(data, bytes) else data.encode())

    def connect(self, timeout=10.0):
        wait_until(lambda: os.path.exists(self.sock) or self.proc.poll() is not None,
                   timeout, "the control socket")
        check(self.proc.poll() is None, "the game exited: %r" % self.text()[-500:])
        c = Conn(self.sock)
        self.conns.append(c)
        return c

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait(timeout=10)
        if self.proc.keeper is not None:    # headless: its X server ends
            self.proc.keeper.wait(timeout=30)
        # The reader goes before its descriptor: closed under it, the
        # number is soon the next game's pty, whose output it would steal.
        self.stopping.set()
        self.reader.join()
        if self.master is not None:
            try:
                os.close(self.master)
            except OSError:
                pass
            self.master = None   # a second stop must not close a reused number
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.stop()


def screen(conn):
    """The game's screen rows, through the shim's `screen` command."""
    return json.loads(conn.ok("screen"))


def hero_col(rows):
    for r in rows:
        if "@" in r:
            return r.index("@")
    raise TestFailure("no hero on screen: %r" % rows)


def status(rows):
    """The demo game's status line as a dict of numbers."""
    m = re.search(r"HP (\d+)/(\d+)\s+Gold (\d+)\s+Lvl (\d+).*Tick (\d+)\s+Regen (\d+)",
                  rows[0])
    check(m is not None, "no status line in %r" % rows[0])
    keys = ["hp", "max_hp", "gold", "level", "tick", "regen"]
    return dict(zip(keys, map(int, m.groups())))


def hookctl(*args, input=None, timeout=30, env=None):
    e = dict(os.environ)
    for k in list(e):
        if k.startswith("HOOK_") or k in ("GAMEHOOK_OWNER", "LD_PRELOAD"):
            del e[k]
    if env:
        e.update(env)
    return subprocess.run([HOOKCTL] + list(args), input=input, capture_output=True,
                          text=True, timeout=timeout, env=e)


def shim_env(directory, **hook):
    """The environment for a program run under the shim by hand (no pty):
    the launcher's rules (gamehook.launch_env), its socket and log in
    DIRECTORY, and the HOOK_* settings given (HOOK_SEED="7", ...)."""
    settings = {"HOOK_SOCKET": os.path.join(directory, "s.sock"),
                "HOOK_LOG": os.path.join(directory, "log")}
    settings.update(hook)
    return dict(gamehook.launch_env(hook=settings, shim=LIB, pty=False))


def frame_of(conn):
    """The frame the game is at, from `hello`."""
    return json.loads(conn.ok("hello"))["frame"]


def cc(directory, name, source, *args):
    """Write SOURCE to DIRECTORY/NAME.c and build it with cc and ARGS (its
    output path follows -o in ARGS, or DIRECTORY/NAME); return the output."""
    src = os.path.join(directory, name + ".c")
    with open(src, "w") as f:
        f.write(source)
    args = list(args)
    if "-o" not in args:
        args = ["-o", os.path.join(directory, name)] + args
    subprocess.run(["cc"] + args + [src], check=True)
    return args[args.index("-o") + 1]
