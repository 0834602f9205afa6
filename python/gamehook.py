"""gamehook's Python client: drive a game under the shim from a program,
over the binary control protocol (schema/control.proto).

    from gamehook import Game
    with Game.launch(["build/demo-game"], layout="demo-game/demo-game.layout.json",
                     seed=7) as g:
        obs = g.step(10, observe=["hero.hp", "entities.x"])
        g.key("right", "space")
        obs = g.step(5, observe=["hero.x"])
        g.reset()

It needs python3-protobuf and the generated module control_pb2 (`make`
writes it to build/python; it is looked for next to this file, in
build/python, and on sys.path). Only fields this client knows are read, so
a newer shim that adds fields still works with it.
"""
import json
import os
import socket
import struct
import subprocess
import sys

_here = os.path.dirname(os.path.abspath(__file__))
for _p in (_here, os.path.join(os.path.dirname(_here), "build", "python")):
    if os.path.exists(os.path.join(_p, "control_pb2.py")) and _p not in sys.path:
        sys.path.insert(0, _p)
import control_pb2 as _pb  # noqa: E402

MAGIC = b"\0GHB"
VERSION = 1


class GamehookError(Exception):
    """An err reply: .code (e.g. "field", "state") and the message."""

    def __init__(self, code, message):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message


# The codes a GamehookError can carry: the names of the shim's error code
# table (common/errcode.c), in its order; a test holds the two together.
ERROR_CODES = ("auth", "unknown", "usage", "range", "state", "full", "layout",
               "field", "set", "trace", "toolong", "binary", "unsupported",
               "memory", "snapshot")


class Observation:
    """What a step returns: the frame it ended at, virtual time, the values
    asked for (a dict path -> value, or the whole state), the raw state
    blob (bytes, when asked for) and the names of unreadable fields."""

    def __init__(self, frame, vtime_ns, values, state, unreadable):
        self.frame = frame
        self.vtime_ns = vtime_ns
        self.values = values
        self.state = state
        self.unreadable = unreadable

    def __getitem__(self, path):
        return self.values[path]

    def __repr__(self):
        return "Observation(frame=%d, values=%r)" % (self.frame, self.values)


# --- launching games: common/launch.c's rules, one for one ------------------


def find_lib():
    """The shim: installed as lib/gamehook/{libhook.so,python/}; in the
    tree, build/libhook.so beside python/."""
    for cand in (os.path.join(os.path.dirname(_here), "libhook.so"),
                 os.path.join(os.path.dirname(_here), "build", "libhook.so")):
        if os.path.exists(cand):
            return os.path.abspath(cand)
    raise GamehookError("launch", "libhook.so not found; pass lib=")


def is_shim_var(name):
    """Whether NAME is one of the shim's own variables (HOOK_*, GAMEHOOK_*,
    LD_PRELOAD): never passed from the caller, kept apart in traces."""
    name = name.split("=", 1)[0]
    return (name.startswith("HOOK_") or name.startswith("GAMEHOOK_")
            or name == "LD_PRELOAD")


def _pairs(env):
    if env is None:
        return []
    if hasattr(env, "items"):       # a dict, os.environ
        return list(env.items())
    return [tuple(e.split("=", 1)) for e in env if "=" in e]


def launch_env(base=None, hook=None, shim=None, env=None, unset=(), pty=True):
    """The environment a launched game gets (README, "What a launched game
    gets"; common/launch.c): BASE (a dict or NAME=VALUE list; None: this
    process's environment) less the shim's variables; TERM=xterm on a pty
    with no TERM; the HOOK settings; LD_PRELOAD the shim first, then the
    base's other libraries; ENV set and UNSET removed, last. An ordered
    dict: a variable set again keeps its place."""
    e = {}
    preload = None
    for k, v in _pairs(os.environ if base is None else base):
        if k == "LD_PRELOAD":
            preload = v
        if not is_shim_var(k):
            e[k] = v
    if pty and "TERM" not in e:
        e["TERM"] = "xterm"
    for k, v in _pairs(hook):
        e[k] = str(v)
    if shim is not None:
        import re
        libs = [p for p in re.split(r"[: ]", preload or "")
                if p and os.path.basename(p) != "libhook.so"]
        e["LD_PRELOAD"] = ":".join([shim] + libs)
    for k, v in _pairs(env):
        e[k] = str(v)
    for k in unset:
        e.pop(k, None)
    return e


def resolve(prog, env, cwd=None):
    """PROG's path as the launcher finds it (execvp's way, with ENV's PATH;
    relative to CWD). Raises GamehookError("launch", why)."""
    def executable(p):
        full = p if os.path.isabs(p) or cwd is None else os.path.join(cwd, p)
        return os.path.isfile(full) and os.access(full, os.X_OK)
    if not prog:
        raise GamehookError("launch", "no program to run")
    if "/" in prog:
        if executable(prog):
            return prog
        full = prog if os.path.isabs(prog) or cwd is None else \
            os.path.join(cwd, prog)
        raise GamehookError("launch", "%s: %s" % (full, "not an executable file"
                            if os.path.exists(full) else
                            "No such file or directory"))
    for d in env.get("PATH", "/usr/local/bin:/usr/bin:/bin").split(":"):
        cand = os.path.join(d, prog) if d else prog
        if executable(cand):
            return cand
    raise GamehookError("launch", "%s: not found in PATH" % prog)


def spawn(argv, hook=None, shim=None, env=None, unset=(), cwd=None,
          size=(80, 24), clean=None, stdio=None, stdin_null=False,
          pass_fds=()):
    """Start ARGV by the launcher's rules; returns (Popen, pty master fd or
    None). SIZE (cols, rows): a pseudo-terminal of its own of that size as
    its controlling terminal and standard descriptors, in a session of its
    own; None: /dev/null in a session of its own (stdio="inherit": this
    process's descriptors). CLEAN: start from exactly that environment (a
    trace's recorded one) instead of this process's. What keeps the game
    from starting (a directory, a program, a size) raises GamehookError
    before anything starts."""
    import fcntl
    import termios
    pty = size is not None and stdio != "inherit"
    e = launch_env(clean, hook=hook, shim=shim, env=env, unset=unset, pty=pty)
    if cwd is not None and not os.path.exists(cwd):
        raise GamehookError("launch", "directory %s: No such file or "
                            "directory" % cwd)
    if cwd is not None and not os.path.isdir(cwd):
        raise GamehookError("launch", "%s: not a directory" % cwd)
    if pty and not all(1 <= int(n) <= 9999 for n in size):
        raise GamehookError("launch", "terminal size %sx%s: 1 to 9999 each"
                            % tuple(size))
    path = resolve(argv[0], e, cwd)
    if stdio == "inherit":
        proc = subprocess.Popen(list(argv), executable=path, env=e, cwd=cwd,
                                pass_fds=pass_fds)
        return proc, None
    if not pty:
        proc = subprocess.Popen(list(argv), executable=path, env=e, cwd=cwd,
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL,
                                start_new_session=True, pass_fds=pass_fds)
        return proc, None
    master, slave = os.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ,
                    struct.pack("HHHH", int(size[1]), int(size[0]), 0, 0))
        ctty = 1 if stdin_null else 0

        def controlling_terminal():
            fcntl.ioctl(ctty, termios.TIOCSCTTY, 0)
        proc = subprocess.Popen(
            list(argv), executable=path, env=e, cwd=cwd,
            stdin=subprocess.DEVNULL if stdin_null else slave, stdout=slave,
            stderr=slave, start_new_session=True, pass_fds=pass_fds,
            preexec_fn=controlling_terminal)
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    return proc, master


class Game:
    """One connection to a game's control socket."""

    def __init__(self, sock, timeout=60.0):
        self.sock_path = sock
        self._proc = None
        self._s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._s.settimeout(timeout)
        self._s.connect(sock)
        self._buf = b""
        self._next_id = 1
        self._s.sendall(MAGIC + struct.pack("<I", VERSION))
        r = self._read()
        if not r.ok:
            raise GamehookError(r.code, r.text)
        h = r.hello
        self.protocol = h.protocol
        self.pid = h.pid
        self.exe = h.exe
        self.build_id = h.build_id
        self.layout = json.loads(h.layout_json) if h.layout_json else None
        self.state_size = h.state_size
        self.frame = h.frame

    # --- launching --------------------------------------------------------

    @classmethod
    def launch(cls, argv, layout=None, seed=None, lockstep=True, trace=None,
               speed=None, lib=None, terminal=True, env=None, unset=(),
               cwd=None, size=(80, 24), timeout=60.0):
        """Start ARGV under the shim (by spawn(), the rules of README's
        "What a launched game gets") and connect. With TERMINAL (the
        default) the game gets a pseudo-terminal of its own of SIZE
        (cols, rows), kept drained, as curses games need; ENV sets
        variables and UNSET removes them, last; close() (or leaving a
        `with`) ends the game."""
        import shutil
        import tempfile
        import threading
        import time
        lib = lib or find_lib()
        tmp = tempfile.mkdtemp(prefix="gamehook-py-")
        sock = os.path.join(tmp, "game.sock")
        hook = {"HOOK_SOCKET": sock, "HOOK_LOG": os.path.join(tmp, "game.log")}
        for var, val in (("HOOK_MODE", "lockstep" if lockstep else None),
                         ("HOOK_LAYOUT", layout), ("HOOK_SEED", seed),
                         ("HOOK_TRACE", trace), ("HOOK_SPEED", speed)):
            if val is not None:
                hook[var] = str(val)
        try:
            proc, master = spawn(argv, hook=hook, shim=lib, env=env,
                                 unset=unset, cwd=cwd,
                                 size=size if terminal else None)
        except Exception:
            shutil.rmtree(tmp, True)
            raise
        stop = threading.Event()
        drainer = None
        if master is not None:
            def drain():
                # Until close() says stop: it closes the master only after
                # this thread is gone (a descriptor closed under a reader
                # is soon another pty's, whose output it would steal).
                import select
                while not stop.is_set():
                    try:
                        if select.select([master], [], [], 0.2)[0] and \
                                not os.read(master, 1 << 16):
                            return
                    except OSError:
                        return
            drainer = threading.Thread(target=drain, daemon=True)
            drainer.start()
        end = time.monotonic() + timeout
        while not os.path.exists(sock):
            if proc.poll() is not None or time.monotonic() > end:
                proc.kill()
                proc.wait()
                log = ""
                try:
                    with open(os.path.join(tmp, "game.log")) as f:
                        log = f.read()[-500:]
                except OSError:
                    pass
                shutil.rmtree(tmp, True)
                if drainer is not None:
                    stop.set()
                    drainer.join()
                    os.close(master)
                raise GamehookError("launch", "%s did not start under the "
                                    "shim (exit status %r) %s" % (
                                        argv[0], proc.returncode, log))
            time.sleep(0.005)
        g = cls(sock, timeout=timeout)
        g._proc = proc
        g._tmp = tmp
        g._master = master
        g._stop_drain = stop
        g._drainer = drainer
        return g

    # --- the protocol -----------------------------------------------------

    def _read(self):
        while True:
            if len(self._buf) >= 4:
                n = struct.unpack("<I", self._buf[:4])[0]
                if len(self._buf) >= 4 + n:
                    r = _pb.Response()
                    r.ParseFromString(self._buf[4:4 + n])
                    self._buf = self._buf[4 + n:]
                    return r
            d = self._s.recv(1 << 16)
            if not d:
                raise ConnectionError("the game closed the connection")
            self._buf += d

    def _request(self, **kw):
        rid = self._next_id
        self._next_id += 1
        data = _pb.Request(id=rid, **kw).SerializeToString()
        self._s.sendall(struct.pack("<I", len(data)) + data)
        r = self._read()
        if r.id != rid:
            raise ConnectionError("reply %d to request %d" % (r.id, rid))
        if not r.ok:
            raise GamehookError(r.code, r.text)
        return r

    def command(self, line):
        """Any text-protocol command; returns the reply's payload."""
        return self._request(command=line).text

    # --- commands -----------------------------------------------------------

    def step(self, frames=1, observe=None, all_state=False, raw=False):
        """Run FRAMES frames; returns an Observation (of OBSERVE's paths,
        or the whole state with ALL_STATE, plus the blob with RAW)."""
        r = self._request(step=_pb.Step(frames=frames, observe=observe or [],
                                        all_state=all_state, raw=raw))
        self.frame = int(r.text)
        if not r.HasField("observation"):
            return Observation(self.frame, None, {}, None, [])
        o = r.observation
        values = json.loads(o.json) if o.json else {}
        if observe and len(observe) == 1 and not all_state:
            values = {observe[0]: values}
        names = [f for f in (self.layout or {}).get("fields", {})]
        unread = [names[i] if i < len(names) else i for i in o.unreadable]
        return Observation(o.frame, o.vtime_ns, values,
                           o.state if o.HasField("state") else None, unread)

    def key(self, *names):
        """Tap keys, one a frame from the next frame on."""
        return int(self.command("key " + " ".join(names)))

    def type(self, text):
        return int(self.command("type " + text))

    def get(self, *paths):
        """Values as `get` gives them: the whole state, one value, or a
        dict path -> value."""
        return json.loads(self.command(" ".join(("get",) + paths)))

    def set(self, path, value):
        return int(self.command("set %s %s" % (path, value)))

    def save(self, name):
        return json.loads(self.command("save " + name))

    def load(self, name):
        r = json.loads(self.command("load " + name))
        self.frame = r["frame"]
        return r

    def reset(self):
        r = json.loads(self.command("reset"))
        self.frame = r["frame"]
        return r

    def screen(self, attrs=False):
        """The screen's rows; with ATTRS, the object `screen --attrs`
        gives (rows, cols, cursor, text, attrs)."""
        return json.loads(self.command("screen --attrs" if attrs else "screen"))

    def info(self):
        return json.loads(self.command("info"))

    def close(self):
        """Close the connection; a game this object launched is ended."""
        try:
            self._s.close()
        finally:
            proc, self._proc = self._proc, None
            if proc is not None:
                try:
                    os.killpg(proc.pid, 9)
                except ProcessLookupError:
                    pass
                proc.wait()
                if getattr(self, "_master", None) is not None:
                    self._stop_drain.set()
                    self._drainer.join()
                    os.close(self._master)
                import shutil
                shutil.rmtree(self._tmp, True)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()
