"""gamehook's Python client: drive a game under the shim from a program,
over the binary control protocol (schema/control.proto).

    from gamehook import Game
    with Game.launch(["build/demo-game"], layout="demo-game/demo-game.layout.json",
                     seed=7) as g:
        obs = g.step(10, observe=["hero.hp", "entities.x"])
        g.key("right", "space")
        obs = g.step(5, observe=["hero.x"])
        g.reset()

It needs python3-protobuf and the generated module control_pb2 (see
_proto.py). Only fields this client knows are read, so a newer shim that
adds fields still works with it.
"""
import json
import os
import socket
import struct
import time

from ._proto import control_pb2 as _pb
from .errors import GamehookError
from .launch import find_lib, spawn

MAGIC = b"\0GHB"
VERSION = 1


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
        self.pixels = None    # step(pixels=...): the picture, numpy

    def __getitem__(self, path):
        return self.values[path]

    def __repr__(self):
        return "Observation(frame=%d, values=%r)" % (self.frame, self.values)


def _shot_line(path, size=None, gray=False):
    line = "screenshot" + (" " + path if path else "")
    if size:
        line += " --size %dx%d" % (int(size[0]), int(size[1]))
    return line + (" --gray" if gray else "")


def _as_array(p, shm=None):
    """A Pixels message as a numpy array (H x W x 3, or H x W gray): its
    data, or (p.shared) a copy of the first bytes of SHM, the memory the
    client passed (_PixelMemory)."""
    import numpy
    if p.shared:
        n = p.width * p.height * p.channels
        if shm is None or shm.size < n:
            raise GamehookError("protocol", "pixels in shared memory the "
                                "client did not pass")
        a = numpy.frombuffer(shm.map, dtype=numpy.uint8, count=n).copy()
    else:
        a = numpy.frombuffer(p.data, dtype=numpy.uint8)
    if p.channels == 1:
        return a.reshape(p.height, p.width)
    return a.reshape(p.height, p.width, p.channels)


class _PixelMemory:
    """Memory shared with the shim for pictures (screenshot --shm): a
    memfd sealed against shrinking (the shim writes only such memory: a
    file that shrank under its copy would kill the game), passed once over
    the socket and grown to the largest picture seen, so a picture costs
    the shim a copy into it instead of crossing the socket."""

    def __init__(self):
        import fcntl
        self.fd = os.memfd_create("gamehook-pixels",
                                  os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        fcntl.fcntl(self.fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK)
        self.size = 0
        self.map = None
        self.passed = False

    def fit(self, n):
        """Grow to N bytes (the shim sees the new size at its next
        picture; the reply that came without it carried the data)."""
        import mmap
        if n <= self.size:
            return
        os.ftruncate(self.fd, n)
        if self.map is not None:
            self.map.close()
        self.map = mmap.mmap(self.fd, n, mmap.MAP_SHARED, mmap.PROT_READ)
        self.size = n

    def close(self):
        if self.map is not None:
            self.map.close()
            self.map = None
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class Game:
    """One connection to a game's control socket."""

    # With drain=False, every wait on the socket wakes this often to drain
    # the terminal (a game that writes more than its pty holds in a step
    # blocks until then).
    POLL = 0.02

    def __init__(self, sock, timeout=60.0):
        self.sock_path = sock
        self._proc = None
        self._s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._s.settimeout(timeout)
        self._s.connect(sock)
        self._buf = b""
        self._next_id = 1
        self.timeout = timeout
        self.terminal = None        # the pty's master, for drain=False
        self._master = None
        self._drainer = None
        self._shm = None            # _PixelMemory, from the first picture
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
               cwd=None, size=(80, 24), timeout=60.0, headless=False,
               drain=True):
        """Start ARGV under the shim (by spawn(), the rules of README's
        "What a launched game gets") and connect. With TERMINAL (the
        default) the game gets a pseudo-terminal of its own of SIZE
        (cols, rows), kept drained, as curses games need: by a thread,
        or with DRAIN false by this object's own waits and drain_terminal()
        (no thread to wake for each write the game makes; the caller
        drains between requests of its own on the socket, as GameEnv
        does). ENV sets variables and UNSET removes them, last; close()
        (or leaving a `with`) ends the game. HEADLESS: on a private X
        server (Xvfb) of its own, which ends with the game (close()
        returns once it has)."""
        import shutil
        import tempfile
        import threading
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
                                 size=size if terminal else None,
                                 headless=headless)
        except Exception:
            shutil.rmtree(tmp, True)
            raise
        stop = threading.Event()
        drainer = None
        if master is not None:
            # Started in any case: the game may write more than its pty
            # holds before it answers (with DRAIN false the thread ends
            # once connected, within 0.2 s).
            def drain_pty():
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
            drainer = threading.Thread(target=drain_pty, daemon=True)
            drainer.start()
        end = time.monotonic() + timeout
        while not os.path.exists(sock):
            if proc.poll() is not None or time.monotonic() > end:
                proc.kill()
                proc.wait()
                if proc.keeper is not None:
                    proc.keeper.wait()
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
                if master is not None:
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
        if master is not None and not drain:
            stop.set()
            g._drain_here()
        return g

    # --- the terminal, drained without a thread (drain=False) -------------

    def _drain_here(self):
        """Drain the terminal in this object's waits: its reads become one
        system call each that gives up every POLL seconds (a blocking
        socket with a receive timeout; a Python timeout would poll
        first), to drain and wait on."""
        self.terminal = self._master
        os.set_blocking(self.terminal, False)
        # Read into one buffer (no object made a drain; an empty terminal
        # answers None, not an exception).
        import io
        self._tty_io = io.FileIO(self.terminal, "rb", closefd=False)
        self._tty_buf = bytearray(1 << 16)
        self._s.settimeout(None)
        us = int(self.POLL * 1e6)
        self._s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO,
                           struct.pack("@ll", us // 1000000, us % 1000000))

    def drain_terminal(self):
        """Read (and drop) what the game wrote to its terminal, when this
        object drains it (drain=False); else nothing to do."""
        if self.terminal is None:
            return
        try:
            while self._tty_io.readinto(self._tty_buf) == 1 << 16:
                pass
        except OSError:
            pass

    def waited(self, deadline):
        """A wait on the socket gave up after POLL seconds: drain the
        terminal; returns the wait's DEADLINE (None: this was its first
        give-up), raising GamehookError("timeout") past it."""
        self.drain_terminal()
        now = time.monotonic()
        if deadline is None:
            return now + (self.timeout or 60.0)
        if now > deadline:
            raise GamehookError("timeout", "the game did not answer in %ss"
                                % self.timeout)
        return deadline

    # --- the protocol -----------------------------------------------------

    def _read(self):
        deadline = None
        while True:
            if len(self._buf) >= 4:
                n = struct.unpack("<I", self._buf[:4])[0]
                if len(self._buf) >= 4 + n:
                    r = _pb.Response()
                    r.ParseFromString(bytes(self._buf[4:4 + n]))
                    del self._buf[:4 + n]
                    return r
            try:
                d = self._s.recv(1 << 20)
            except (socket.timeout, BlockingIOError):
                if self.terminal is None:
                    raise
                deadline = self.waited(deadline)
                continue
            if not d:
                raise ConnectionError("the game closed the connection")
            if not isinstance(self._buf, bytearray):
                self._buf = bytearray(self._buf)
            self._buf += d   # in place: a 900 KiB picture is not copied per chunk

    def _request(self, **kw):
        return self._reply(self._send(**kw))

    def _send(self, fds=None, **kw):
        rid = self._next_id
        self._next_id += 1
        data = _pb.Request(id=rid, **kw).SerializeToString()
        data = struct.pack("<I", len(data)) + data
        if fds:
            n = socket.send_fds(self._s, [data], fds)
            data = data[n:]
        if data:
            self._s.sendall(data)
        return rid

    def _send_shot(self, size=None, gray=False):
        """A request for the picture without a file: into the memory
        shared with the shim (made and passed with the first one)."""
        fds = None
        if self._shm is None:
            self._shm = _PixelMemory()
        if not self._shm.passed:
            fds = [self._shm.fd]
            self._shm.passed = True
        return self._send(fds=fds, command=_shot_line(None, size=size,
                                                      gray=gray) + " --shm")

    def _pixels(self, rid):
        """The picture answering request RID; the shared memory grown
        when the picture came in the reply because it was too small."""
        p = self._reply(rid).pixels
        a = _as_array(p, self._shm)
        if not p.shared and self._shm is not None:
            self._shm.fit(p.width * p.height * p.channels)
        return a

    def _reply(self, rid):
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

    def step(self, frames=1, observe=None, all_state=False, raw=False,
             pixels=None):
        """Run FRAMES frames; returns an Observation (of OBSERVE's paths,
        or the whole state with ALL_STATE, plus the blob with RAW). With
        PIXELS (True, or a dict of screenshot()'s size and gray) the
        picture presented at the last frame comes too, as .pixels: the
        screenshot request goes with the step, one round trip."""
        rid = self._send(step=_pb.Step(frames=frames, observe=observe or [],
                                       all_state=all_state, raw=raw))
        if pixels:
            prid = self._send_shot(**(pixels if isinstance(pixels, dict)
                                      else {}))
        r = self._reply(rid)
        px = self._pixels(prid) if pixels else None
        self.frame = int(r.text)
        if not r.HasField("observation"):
            o = Observation(self.frame, None, {}, None, [])
            o.pixels = px
            return o
        o = r.observation
        values = json.loads(o.json) if o.json else {}
        if observe and len(observe) == 1 and not all_state:
            values = {observe[0]: values}
        names = [f for f in (self.layout or {}).get("fields", {})]
        unread = [names[i] if i < len(names) else i for i in o.unreadable]
        ob = Observation(o.frame, o.vtime_ns, values,
                         o.state if o.HasField("state") else None, unread)
        ob.pixels = px
        return ob

    def key(self, *names):
        """Tap keys, one a frame from the next frame on."""
        return int(self.command("key " + " ".join(names)))

    def type(self, text):
        return int(self.command("type " + text))

    # Graphical games (SDL2, SDL 1.2, Xlib): held keys, the mouse. Each
    # returns the frame the input lands on (keydown/keyup: the key's name).

    def keydown(self, name):
        return self.command("keydown " + name)

    def keyup(self, name):
        return self.command("keyup " + name)

    def mouse_move(self, x, y):
        """Move the pointer to X, Y (window coordinates)."""
        return int(self.command("mouse move %d %d" % (x, y)))

    def mouse_down(self, button="left"):
        """Press BUTTON (1-8, "left", "middle", "right") where the pointer is."""
        return int(self.command("mouse down %s" % button))

    def mouse_up(self, button="left"):
        return int(self.command("mouse up %s" % button))

    def click(self, x, y, button="left"):
        """Move to X, Y and press BUTTON on the next frame, release it on the
        frame after."""
        return int(self.command("click %d %d %s" % (x, y, button)))

    def wheel(self, clicks):
        """Turn the wheel CLICKS clicks, positive away from the user."""
        return int(self.command("wheel %d" % clicks))

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

    def drop(self, name):
        """Forget snapshot NAME (its memory goes once no other stands on
        it)."""
        return json.loads(self.command("drop " + name))

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

    def screenshot(self, path=None, size=None, gray=False):
        """The picture a graphical game presented, read at the frame
        boundary. With PATH (absolute: the game writes it) a PNG file, and
        the reply {"frame", "width", "height"}; without, a numpy array of
        height x width x 3 uint8 (height x width with GRAY), downscaled to
        SIZE (width, height) when given."""
        if path is not None:
            return json.loads(self.command(_shot_line(path, size=size,
                                                      gray=gray)))
        return self._pixels(self._send_shot(size=size, gray=gray))

    def close(self):
        """Close the connection; a game this object launched is ended."""
        try:
            self._s.close()
            if self._shm is not None:
                self._shm.close()
                self._shm = None
        finally:
            proc, self._proc = self._proc, None
            if proc is not None:
                try:
                    os.killpg(proc.pid, 9)
                except ProcessLookupError:
                    pass
                proc.wait()
                if proc.keeper is not None:
                    proc.keeper.wait()    # its X server is gone
                if self._master is not None:
                    self._stop_drain.set()
                    if self._drainer is not None:
                        self._drainer.join()
                    os.close(self._master)
                    self._master = self.terminal = None
                    self._tty_io = None
                import shutil
                shutil.rmtree(self._tmp, True)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()
