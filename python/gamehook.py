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
               speed=None, lib=None, terminal=True, env=None, timeout=60.0):
        """Start ARGV under the shim and connect. With TERMINAL (the
        default) the game gets a pseudo-terminal of its own (80x24), kept
        drained, as curses games need; close() (or leaving a `with`) ends
        the game."""
        import fcntl
        import shutil
        import tempfile
        import termios
        import threading
        import time
        if lib is None:
            # Installed: lib/gamehook/{libhook.so,python/}; in the tree:
            # build/libhook.so beside python/.
            for cand in (os.path.join(os.path.dirname(_here), "libhook.so"),
                         os.path.join(os.path.dirname(_here), "build",
                                      "libhook.so")):
                if os.path.exists(cand):
                    lib = cand
                    break
            else:
                raise GamehookError("launch", "libhook.so not found; pass lib=")
        tmp = tempfile.mkdtemp(prefix="gamehook-py-")
        sock = os.path.join(tmp, "game.sock")
        e = {k: v for k, v in os.environ.items()
             if not k.startswith("HOOK_") and k not in ("GAMEHOOK_OWNER",
                                                         "LD_PRELOAD")}
        e.update(LD_PRELOAD=os.path.abspath(lib), HOOK_SOCKET=sock,
                 HOOK_LOG=os.path.join(tmp, "game.log"))
        e.setdefault("TERM", "xterm")
        for var, val in (("HOOK_MODE", "lockstep" if lockstep else None),
                         ("HOOK_LAYOUT", layout), ("HOOK_SEED", seed),
                         ("HOOK_TRACE", trace), ("HOOK_SPEED", speed)):
            if val is not None:
                e[var] = str(val)
        e.update(env or {})
        master = None
        if terminal:
            master, slave = os.openpty()
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
            io = dict(stdin=slave, stdout=slave, stderr=slave)
        else:
            io = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL)
        proc = subprocess.Popen(list(argv), env=e, start_new_session=True, **io)
        if terminal:
            os.close(slave)

            def drain():
                while True:
                    try:
                        if not os.read(master, 1 << 16):
                            return
                    except OSError:
                        return
            threading.Thread(target=drain, daemon=True).start()
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
                raise GamehookError("launch", "%s did not start under the "
                                    "shim (exit status %r) %s" % (
                                        argv[0], proc.returncode, log))
            time.sleep(0.005)
        g = cls(sock, timeout=timeout)
        g._proc = proc
        g._tmp = tmp
        g._master = master
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

    def screen(self):
        return json.loads(self.command("screen"))

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
                    os.close(self._master)
                import shutil
                shutil.rmtree(self._tmp, True)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()
