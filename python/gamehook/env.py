"""GameEnv: one game under the shim behind Gymnasium's Env interface.

    from gamehook import GameEnv
    env = GameEnv(["build/demo-game"], layout="demo-game/demo-game.layout.json",
                  seed=7, scenario="demo-game/demo-game.scenario.json")
    obs, info = env.reset()
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())

The mapping from a layout to spaces lives here, in one place (Observer):
every scalar path of the layout (hero.hp, entities.x, game.state) is a
Box of its dtype and shape (an array of structs gives each member a
leading axis of the array's max; |S and |V values are uint8 arrays of
their bytes); "screen" is a Box of the terminal's characters (uint32 code
points, rows x cols); "raw" the state blob (uint8). Values are decoded
from the blob of one binary step request with numpy, never from JSON.
VectorEnv and gamehookd use the same Observer, so a game's spaces are the
same everywhere.
"""
import collections
import json
import socket
import struct

import numpy as np

from . import spaces as _own
from .client import Game
from .errors import GamehookError
from .scenario import Scenario

try:
    import gymnasium as _gym
except ImportError:
    _gym = None

_Base = _gym.Env if _gym is not None else object

# One key set a step: nothing, each arrow, space, enter.
DEFAULT_ACTIONS = [[], ["left"], ["right"], ["up"], ["down"], ["space"],
                   ["enter"]]


# --- the wire: binary requests, framed by hand (schema/control.proto) -----

def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(tag, data):
    return bytes([tag]) + _varint(len(data)) + data


def command_body(line):
    """Request.command = LINE, less the id."""
    return _field(0x12, line.encode())


def step_body(frames=1, raw=True):
    """Request.step {frames, raw}, less the id."""
    s = b"\x08" + _varint(frames) + (b"\x20\x01" if raw else b"")
    return _field(0x1a, s)


class Wire:
    """Pipelined requests on a Game's socket: frame() numbers a request,
    take() parses the responses that have arrived. The Game's own methods
    may be used between exchanges (request ids stay shared)."""

    def __init__(self, game):
        from ._proto import control_pb2
        self._Response = control_pb2.Response
        self.game = game
        self.sock = game._s
        self.buf = bytearray(game._buf)
        game._buf = b""

    def frame(self, body):
        """The length-prefixed request BODY with the next id; returns
        (bytes, id)."""
        rid = self.game._next_id
        self.game._next_id += 1
        msg = b"\x08" + _varint(rid) + body
        return struct.pack("<I", len(msg)) + msg, rid

    def take(self, out, want):
        """Append complete responses in the buffer to OUT, up to WANT."""
        buf = self.buf
        while len(out) < want and len(buf) >= 4:
            n = struct.unpack_from("<I", buf)[0]
            if len(buf) < 4 + n:
                break
            out.append(self._Response.FromString(bytes(buf[4:4 + n])))
            del buf[:4 + n]

    def receive(self):
        """Read what the socket has (blocking until something); False at
        end of stream."""
        d = self.sock.recv(1 << 18)
        if not d:
            return False
        self.buf += d
        return True

    def exchange(self, reqs):
        """Send REQS (framed bytes) in one write, return their responses."""
        self.sock.sendall(b"".join(reqs))
        out = []
        self.take(out, len(reqs))
        while len(out) < len(reqs):
            if not self.receive():
                raise ConnectionError("the game closed the connection")
            self.take(out, len(reqs))
        return out


# --- the layout as arrays -----------------------------------------------

Leaf = collections.namedtuple("Leaf", "key dtype native shape offset strides")


def _resolve_type(layout, t):
    """A struct dict, or a numpy dtype."""
    if isinstance(t, dict):
        return t
    types = layout.get("types", {})
    if t in types:
        return types[t]
    return np.dtype(t)


def _size_of(layout, t):
    t = _resolve_type(layout, t)
    return t["size"] if isinstance(t, dict) else t.itemsize


def _walk(layout, t, off, shape, strides, key, out):
    t = _resolve_type(layout, t)
    if isinstance(t, dict):
        for name, m in t["members"].items():
            mo = off + m["offset"]
            if "count" in m:
                c = int(m["count"])
                _walk(layout, m["type"], mo, shape + (c,),
                      strides + (_size_of(layout, m["type"]),),
                      key + "." + name, out)
            else:
                _walk(layout, m["type"], mo, shape, strides,
                      key + "." + name, out)
        return
    if t.kind in "SV":
        # Strings and byte blocks: their bytes, a trailing axis.
        u1 = np.dtype(np.uint8)
        out.append(Leaf(key, u1, u1, shape + (t.itemsize,), off,
                        strides + (1,)))
        return
    native = t if t.isnative else t.newbyteorder("=")
    out.append(Leaf(key, t, native, shape, off, strides))


def layout_leaves(layout):
    """The layout's scalar paths as Leaves (key, dtype in the blob, native
    dtype, shape, offset in the blob, strides), and the blob's size: each
    top-level field in order in a slot starting at a multiple of 8, a
    counted array its max elements (FORMAT.md, "The state blob")."""
    leaves = []
    pos = 0
    for name, f in layout["fields"].items():
        pos = (pos + 7) & ~7
        size = _size_of(layout, f["type"])
        c = f.get("count")
        if c is None:
            _walk(layout, f["type"], pos, (), (), name, leaves)
            pos += size
        else:
            n = int(c) if not isinstance(c, str) else int(f["max"])
            _walk(layout, f["type"], pos, (n,), (size,), name, leaves)
            pos += size * n
    return leaves, pos


def _box_for(sp, leaf):
    d = leaf.native
    if d == np.bool_:
        return sp.Box(np.zeros(leaf.shape, bool), np.ones(leaf.shape, bool),
                      leaf.shape, np.bool_)
    if np.issubdtype(d, np.integer):
        i = np.iinfo(d)
        return sp.Box(np.full(leaf.shape, i.min, d),
                      np.full(leaf.shape, i.max, d), leaf.shape, d)
    return sp.Box(np.full(leaf.shape, -np.inf, d),
                  np.full(leaf.shape, np.inf, d), leaf.shape, d)


class Observer:
    """The layout -> observation mapping, in one place. OBSERVE: None (every
    scalar path of the layout as a Dict; "screen" without a layout), the
    string "screen" or "raw" (that Box alone), or a list of names: scalar
    paths, prefixes of them ("hero": every hero.*), "screen", "raw" (a
    Dict with those keys). .space is built from SP (gymnasium.spaces or
    gamehook.spaces); decode() and decode_batch() make observations."""

    def __init__(self, layout, state_size, observe, screen_size, sp=None):
        self.sp = sp or _own.backend()
        self.layout = layout
        self.fields = list(layout["fields"]) if layout else []
        self.leaves, size = layout_leaves(layout) if layout else ([], 0)
        if layout and size != state_size:
            raise GamehookError("layout", "the layout's state blob is %d "
                                "bytes, the game's %d" % (size, state_size))
        self.state_size = state_size
        self.by_key = {lf.key: lf for lf in self.leaves}
        cols, rows = screen_size
        self.screen_shape = (int(rows), int(cols))
        self.single = None
        if observe is None:
            names = [lf.key for lf in self.leaves] if layout else None
            if names is None:
                self.single = "screen"
                names = ["screen"]
        elif isinstance(observe, str):
            if observe in ("screen", "raw"):
                self.single = observe
            names = [observe]
        else:
            names = list(observe)
        items = []
        for n in names:
            if n == "screen":
                items.append(("screen", "screen"))
            elif n == "raw":
                if not layout:
                    raise GamehookError("layout", "observe raw: the game "
                                        "has no layout loaded")
                items.append(("raw", "raw"))
            elif n in self.by_key:
                items.append((n, self.by_key[n]))
            else:
                sub = [lf for lf in self.leaves if lf.key.startswith(n + ".")]
                if not sub:
                    raise GamehookError("field", "observe: no path '%s' in "
                                        "the layout (paths: %s; or screen, "
                                        "raw)" % (n, ", ".join(
                                            self.by_key) or "none"))
                items += [(lf.key, lf) for lf in sub]
        seen = set()
        self.items = []
        for k, src in items:
            if k not in seen:
                seen.add(k)
                self.items.append((k, src))
        self.wants_screen = any(s == "screen" for _, s in self.items)
        self.wants_blob = bool(layout) and state_size > 0
        self.space = self._build(self.sp)
        self._plan_decode()

    def _one_space(self, sp, src):
        if src == "screen":
            return sp.Box(np.zeros(self.screen_shape, np.uint32),
                          np.full(self.screen_shape, 0x10FFFF, np.uint32),
                          self.screen_shape, np.uint32)
        if src == "raw":
            return sp.Box(np.zeros((self.state_size,), np.uint8),
                          np.full((self.state_size,), 255, np.uint8),
                          (self.state_size,), np.uint8)
        return _box_for(sp, src)

    def _build(self, sp):
        if self.single:
            return self._one_space(sp, self.single)
        return sp.Dict(collections.OrderedDict(
            (k, self._one_space(sp, s)) for k, s in self.items))

    # Decoding.

    def screen_array(self, rows):
        rows_n, cols = self.screen_shape
        a = np.full(self.screen_shape, 32, np.uint32)
        for i, r in enumerate(rows[:rows_n]):
            r = r[:cols]
            if r:
                a[i, :len(r)] = np.frombuffer(r.encode("utf-32-le"), "<u4")
        return a

    def _leaf(self, buf, lf, lead=(), lead_strides=()):
        a = np.ndarray(lead + lf.shape, lf.dtype, buf, lf.offset,
                       lead_strides + lf.strides)
        return a.astype(lf.native) if lf.dtype != lf.native else a

    def _plan_decode(self):
        """The decode loop's table: (key, shape, dtype, offset, strides,
        native dtype or None) a leaf, "screen" and "raw" by name."""
        self._table = [(k, None, None, None, None, src) if isinstance(src, str)
                       else (k, src.shape, src.dtype, src.offset, src.strides,
                             None if src.dtype == src.native else src.native)
                       for k, src in self.items]

    def decode(self, blob, screen_rows=None):
        """One observation from the blob (bytes) and the screen's rows."""
        buf = bytearray(blob) if blob is not None else None
        out = {}
        nd = np.ndarray
        for k, shape, dt, off, st, other in self._table:
            if shape is not None:
                a = nd(shape, dt, buf, off, st)
                out[k] = a if other is None else a.astype(other)
            elif other == "screen":
                out[k] = self.screen_array(screen_rows)
            else:
                out[k] = np.frombuffer(buf, np.uint8).copy()
        return out[self.single] if self.single else out

    def decode_batch(self, blobs, screens=None):
        """Observations of several games stacked: every array gains a
        leading axis (gymnasium's batch_space)."""
        n = len(blobs)
        out = {}
        if self.wants_blob:
            buf = np.empty((n, self.state_size), np.uint8)
            for i, b in enumerate(blobs):
                buf[i] = np.frombuffer(b, np.uint8)
        nd = np.ndarray
        lead, lst = (n,), (self.state_size,)
        for k, shape, dt, off, st, other in self._table:
            if shape is not None:
                a = nd(lead + shape, dt, buf, off, lst + st)
                out[k] = a if other is None else a.astype(other)
            elif other == "screen":
                out[k] = np.stack([self.screen_array(s) for s in screens])
            else:
                out[k] = buf
        return out[self.single] if self.single else out

    def value(self, blob, key):
        """One scalar path's value as a Python number."""
        lf = self.by_key.get(key)
        if lf is None or lf.shape != ():
            raise GamehookError("field", "'%s' is not a scalar path of the "
                                "layout (scalar paths: %s)" % (key, ", ".join(
                                    k for k, v in self.by_key.items()
                                    if v.shape == ())))
        return np.frombuffer(blob, lf.dtype, 1, lf.offset)[0].item()


class State(collections.abc.Mapping):
    """What reward and termination callables see: every scalar path of the
    layout (state["hero.hp"]: an array; state.value("hero.hp"): a number),
    the blob, frame, vtime_ns and the unreadable fields."""

    def __init__(self, observer, blob, frame, vtime_ns, unreadable):
        self.observer = observer
        self.blob = blob
        self.frame = frame
        self.vtime_ns = vtime_ns
        self.unreadable = unreadable

    def __getitem__(self, key):
        lf = self.observer.by_key[key]
        return self.observer._leaf(bytearray(self.blob), lf)

    def __iter__(self):
        return iter(self.observer.by_key)

    def __len__(self):
        return len(self.observer.by_key)

    def value(self, key):
        return self.observer.value(self.blob, key)


# --- the environment ------------------------------------------------------

def _seeded(seed):
    if seed is not None and (isinstance(seed, bool) or
                             not isinstance(seed, (int, np.integer)) or
                             seed < 0):
        raise GamehookError("usage", "seed must be an integer >= 0, not %r"
                            % (seed,))
    return np.random.default_rng(seed)


class GameEnv(_Base):
    """One game as a Gymnasium environment (a gymnasium.Env when gymnasium
    is importable). ARGV starts the game under the shim, in lockstep, on a
    pty of SIZE (cols, rows); LAYOUT names its state, SEED its randomness
    (HOOK_SEED). ACTIONS: a list of key sets, one chosen a step (Discrete);
    HELD_KEYS: key names held while their bit is 1 (MultiBinary); the keys
    of an action are held down for the step's FRAME_SKIP frames. OBSERVE:
    see Observer. SCENARIO: a scenario file, dict or Scenario (reward,
    termination, max steps); REWARD(prev_state, state), TERMINATED(state),
    TRUNCATED(state) callables override it; MAX_STEPS truncates."""

    metadata = {"render_modes": ["ansi"], "render_fps": None}

    def __new__(cls, *args, server=None, **kw):
        if server is None:
            return super().__new__(cls)
        try:
            from . import remote
        except ImportError as e:
            raise GamehookError("remote", "server=%r: remote games need "
                                "gamehook.remote, which this installation "
                                "lacks (%s)" % (server, e))
        return remote.RemoteGameEnv(*args, server=server, **kw)

    def __init__(self, argv, *, layout=None, seed=None, actions=None,
                 held_keys=None, scenario=None, observe=None, frame_skip=1,
                 max_steps=None, reward=None, terminated=None, truncated=None,
                 render_mode=None, size=(80, 24), env=None, lib=None,
                 cwd=None, server=None, timeout=60.0):
        if actions is not None and held_keys is not None:
            raise GamehookError("usage", "actions= (key sets) or held_keys= "
                                "(held keys), not both")
        if not (isinstance(frame_skip, int) and frame_skip >= 1):
            raise GamehookError("usage", "frame_skip must be an integer "
                                ">= 1, not %r" % (frame_skip,))
        if render_mode not in (None, "ansi"):
            raise GamehookError("usage", "render_mode %r: only 'ansi'"
                                % (render_mode,))
        _seeded(seed)
        self.render_mode = render_mode
        self._argv = list(argv)
        self._launch_kw = dict(layout=layout, lib=lib, env=env, cwd=cwd,
                               size=tuple(size), timeout=timeout)
        self._size = tuple(size)
        self._game_seed = seed
        self.frame_skip = frame_skip
        self.game = None
        self._np_random = None
        self._np_random_seed = None
        self._launch()
        sp = _own.backend()
        self.observer = Observer(self.game.layout, self.game.state_size,
                                 observe, self._size, sp)
        self.observation_space = self.observer.space
        if held_keys is not None:
            self._keys = [str(k) for k in held_keys]
            if not self._keys:
                raise GamehookError("usage", "held_keys: no keys")
            self.action_space = sp.MultiBinary(len(self._keys))
            self._sets = None
        else:
            self._sets = [list(a) for a in (DEFAULT_ACTIONS if actions is None
                                            else actions)]
            if not self._sets:
                raise GamehookError("usage", "actions: no key sets")
            self.action_space = sp.Discrete(len(self._sets))
            self._keys = None
        for k in (self._keys or [k for s in self._sets for k in s]):
            if not k or any(c.isspace() for c in k):
                raise GamehookError("usage", "key name %r" % (k,))
        self.scenario = Scenario.load(scenario) if scenario is not None \
            else None
        for path in (self.scenario.variables if self.scenario else []):
            self.observer.value(bytes(self.game.state_size), path)
        self._reward_fn = reward
        self._terminated_fn = terminated
        self._truncated_fn = truncated
        self.max_steps = max_steps if max_steps is not None else (
            self.scenario.max_steps if self.scenario else None)
        self._held = set()
        self._steps = 0
        self._prev = None
        self._prev_state = None
        self._needs_reset = True
        self._step_cache = step_body(frame_skip, self.observer.wants_blob)
        self._reset_step = step_body(1, self.observer.wants_blob)
        self._screen_body = command_body("screen")

    # Launching.

    def _launch(self):
        if self.game is not None:
            self.game.close()
            self.game = None
        self.game = Game.launch(self._argv, seed=self._game_seed,
                                **self._launch_kw)
        self.wire = Wire(self.game)

    # Gymnasium's np_random.

    @property
    def np_random(self):
        if self._np_random is None:
            self._np_random = _seeded(None)
        return self._np_random

    @np_random.setter
    def np_random(self, rng):
        self._np_random = rng

    @property
    def np_random_seed(self):
        return -1 if self._np_random_seed is None else self._np_random_seed

    @property
    def unwrapped(self):
        return self

    # Requests, planned and finished apart so VectorEnv can pipeline many
    # games' requests and wait on all their sockets at once.

    def _key_bodies(self, action):
        """Requests before and after the step that press ACTION's keys."""
        if self._sets is not None:
            if not self.action_space.contains(action):
                raise GamehookError("range", "action %r is not in %r" % (
                    action, self.action_space))
            keys = self._sets[int(action)]
            if len(keys) == 1 and self.frame_skip == 1:
                return [command_body("key " + keys[0])], []
            return ([command_body("keydown " + k) for k in keys],
                    [command_body("keyup " + k) for k in keys])
        a = np.asarray(action)
        if a.shape != (len(self._keys),) or not np.all((a == 0) | (a == 1)):
            raise GamehookError("range", "action %r is not in %r" % (
                action, self.action_space))
        want = {k for k, b in zip(self._keys, a) if b}
        pre = [command_body("keyup " + k) for k in self._keys
               if k in self._held and k not in want]
        pre += [command_body("keydown " + k) for k in self._keys
                if k in want and k not in self._held]
        self._held = want
        return pre, []

    def _plan(self, bodies):
        reqs, ids = [], []
        for b in bodies:
            r, i = self.wire.frame(b)
            reqs.append(r)
            ids.append(i)
        return reqs, ids

    def _plan_step(self, action):
        """(requests, ids, where the step's response is)."""
        if self._needs_reset:
            raise GamehookError("state", "step() before reset(), or after "
                                "the episode ended")
        pre, post = self._key_bodies(action)
        bodies = pre + [self._step_cache] + post
        if self.observer.wants_screen:
            bodies.append(self._screen_body)
        reqs, ids = self._plan(bodies)
        return reqs, ids, len(pre)

    def _check(self, resps, ids):
        for r, i in zip(resps, ids):
            if r.id != i:
                raise ConnectionError("reply %d to request %d" % (r.id, i))
            if not r.ok:
                raise GamehookError(r.code, r.text)

    def _observe(self, r, screen_resp):
        o = r.observation
        blob = o.state if self.observer.wants_blob else None
        self.game.frame = o.frame if r.HasField("observation") \
            else int(r.text)
        rows = json.loads(screen_resp.text) if screen_resp is not None \
            else None
        names = self.observer.fields
        unread = [names[i] if i < len(names) else i for i in o.unreadable]
        info = {"frame": self.game.frame, "vtime_ns": o.vtime_ns,
                "unreadable": unread}
        state = State(self.observer, blob, self.game.frame, o.vtime_ns,
                      unread)
        return blob, rows, info, state

    def _finish_step(self, resps, ids, at, decode=True):
        self._check(resps, ids)
        blob, rows, info, state = self._observe(
            resps[at], resps[-1] if self.observer.wants_screen else None)
        self._steps += 1
        reward = 0.0
        terminated = truncated = False
        sc = self.scenario
        if sc is not None:
            now = {p: state.value(p) for p in sc.variables}
            if self._reward_fn is None:
                reward = sc.reward(self._prev, now)
            if self._terminated_fn is None:
                terminated = sc.terminated(now)
            self._prev = now
        if self._reward_fn is not None:
            reward = float(self._reward_fn(self._prev_state, state))
        if self._terminated_fn is not None:
            terminated = bool(self._terminated_fn(state))
        if self._truncated_fn is not None:
            truncated = bool(self._truncated_fn(state))
        if self.max_steps is not None and self._steps >= self.max_steps:
            truncated = True
        self._prev_state = state
        info["steps"] = self._steps
        if terminated or truncated:
            self._needs_reset = True
        obs = self.observer.decode(blob, rows) if decode else None
        return obs, reward, terminated, truncated, info, blob, rows

    def _plan_reset(self, seed):
        """(requests, ids) of an in-memory reset, or None when the game
        must be launched again (a new seed)."""
        if seed is not None:
            _seeded(seed)
            self._np_random = _seeded(seed)
            self._np_random_seed = seed
            if seed != self._game_seed:
                return None
        bodies = [command_body("keyup " + k) for k in sorted(self._held)]
        bodies += [command_body("reset"), self._reset_step]
        if self.observer.wants_screen:
            bodies.append(self._screen_body)
        self._held = set()
        return self._plan(bodies)

    def _relaunch(self, seed):
        if seed is not None:
            self._game_seed = seed
        self._launch()
        self._held = set()
        reqs, ids = self._plan([self._reset_step] + (
            [self._screen_body] if self.observer.wants_screen else []))
        return reqs, ids, self.wire.exchange(reqs)

    def _finish_reset(self, resps, ids, seed, decode=True, in_memory=True):
        """The reset's observation; a refused in-memory reset (err
        snapshot) launches the game again."""
        if in_memory:
            r = resps[len(ids) - 2 - (1 if self.observer.wants_screen else 0)]
            if not r.ok and r.code == "snapshot":
                reqs, ids, resps = self._relaunch(seed)
        self._check(resps, ids)
        at = len(ids) - 1 - (1 if self.observer.wants_screen else 0)
        blob, rows, info, state = self._observe(
            resps[at], resps[-1] if self.observer.wants_screen else None)
        self._steps = 0
        self._needs_reset = False
        self._prev_state = state
        if self.scenario is not None:
            self._prev = {p: state.value(p) for p in self.scenario.variables}
        info["steps"] = 0
        obs = self.observer.decode(blob, rows) if decode else None
        return obs, info, blob, rows

    # Gymnasium's interface.

    def reset(self, *, seed=None, options=None):
        """Back to the first frame by the shim's in-memory reset (the game
        is launched again when a reset is refused, or for a new SEED),
        then one frame run: returns (obs, info)."""
        if self._np_random is None and seed is None:
            self._np_random = _seeded(None)
        plan = self._plan_reset(seed)
        if plan is None:
            reqs, ids, resps = self._relaunch(seed)
        else:
            reqs, ids = plan
            resps = self.wire.exchange(reqs)
        obs, info, _, _ = self._finish_reset(resps, ids, seed,
                                             in_memory=plan is not None)
        return obs, info

    def step(self, action):
        """Press ACTION's keys for frame_skip frames: returns (obs, reward,
        terminated, truncated, info)."""
        reqs, ids, at = self._plan_step(action)
        resps = self.wire.exchange(reqs)
        return self._finish_step(resps, ids, at)[:5]

    def render(self):
        """"ansi": the screen's text, rows joined by newlines."""
        if self.render_mode != "ansi":
            return None
        return "\n".join(self.game.screen())

    def close(self):
        if self.game is not None:
            self.game.close()
            self.game = None

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self):
        return "GameEnv(%r)" % (self._argv,)
