"""GameEnv: one game under the shim behind Gymnasium's Env interface.

    from gamehook import GameEnv
    env = GameEnv(["build/demo-game"], layout="demo-game/demo-game.layout.json",
                  seed=7, scenario="demo-game/demo-game.scenario.json")
    obs, info = env.reset()
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())

Observations come from gamehook.observe (Observer: the layout -> spaces
mapping, in one place), decoded from the blob one binary step request
returns; the requests are framed here (Wire), and planned apart from
their answers so VectorEnv can pipeline many games' at once.
"""
import json
import socket
import struct

import numpy as np

from . import spaces as _own
from .client import Game, _PixelMemory, _as_array, _shot_line
from .closing import Closing
from .errors import GamehookError
from .observe import Leaf, Observer, State, layout_leaves  # noqa: F401
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


# A request's id field for the ids of one byte, made once.
_ID1 = [b"\x08" + bytes([i]) for i in range(128)]
_u32 = struct.Struct("<I").unpack_from
_p32 = struct.Struct("<I").pack


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
    may be used between exchanges (request ids stay shared).

    The game is launched with drain=False: its terminal (the pty
    Game.launch made) is drained here, not by a thread: with each
    exchange and whenever an answer takes more than Game.POLL seconds (a
    game that writes more than the pty holds in one step blocks until
    then); the Game's own methods drain it too while they wait. A drain
    thread per game costs this process a wakeup and a GIL handover for
    every write a game makes; measured, that was most of its CPU a
    step."""

    def __init__(self, game):
        from ._proto import control_pb2
        self._parse = control_pb2.Response.FromString
        self.game = game
        self.sock = game._s
        self.timeout = game.timeout
        self.POLL = game.POLL
        self.buf = bytearray(game._buf)
        game._buf = b""
        # Reads land in one buffer made once (recv() would allocate its
        # size each call).
        self._rx = bytearray(1 << 18)
        self._rxv = memoryview(self._rx)
        self.tty = game.terminal
        self.drain = game.drain_terminal
        self._waited = game.waited

    def frame(self, body):
        """The length-prefixed request BODY with the next id; returns
        (bytes, id)."""
        g = self.game
        rid = g._next_id
        g._next_id = rid + 1
        msg = (_ID1[rid] if rid < 128 else b"\x08" + _varint(rid)) + body
        return _p32(len(msg)) + msg, rid

    def take(self, out, want):
        """Append complete responses in the buffer to OUT, up to WANT."""
        buf = self.buf
        parse = self._parse
        while len(out) < want and len(buf) >= 4:
            n = _u32(buf)[0]
            if len(buf) < 4 + n:
                break
            # The parser takes the buffer's bytes in place (no copy).
            with memoryview(buf) as m:
                out.append(parse(m[4:4 + n]))
            del buf[:4 + n]

    def send(self, data):
        """Write DATA (framed requests); the game's picture memory goes
        with it when not yet passed (SCM_RIGHTS, as Game does)."""
        shm = self.game._shm
        if shm is not None and not shm.passed:
            n = socket.send_fds(self.sock, [data], [shm.fd])
            shm.passed = True
            data = data[n:]
        if data:
            self.sock.sendall(data)

    def receive(self):
        """Read what the socket has (blocking until something) into the
        buffer; False at end of stream."""
        n = self.sock.recv_into(self._rx)
        if not n:
            return False
        self.buf += self._rxv[:n]
        return True

    def exchange(self, reqs):
        """Send REQS (framed bytes) in one write, return their responses.
        The terminal is drained once they are sent, while the game works
        on them (not in the round trip's way)."""
        self.send(reqs[0] if len(reqs) == 1 else b"".join(reqs))
        self.drain()
        out = []
        want = len(reqs)
        deadline = None
        while True:
            self.take(out, want)
            if len(out) == want:
                return out
            try:
                got = self.receive()
            except (socket.timeout, BlockingIOError):
                deadline = self._waited(deadline)
                continue
            if not got:
                raise ConnectionError("the game closed the connection")


# --- the environment ------------------------------------------------------

def pixel_spec(pixels):
    """PIXELS as GameEnv takes it (None or False: no picture; True: full
    size RGB; a dict {"size": (W, H), "gray": bool}, both optional) as
    None or a dict of Game.screenshot()'s size and gray; anything else
    raises GamehookError("usage")."""
    if pixels is None or pixels is False:
        return None
    if pixels is True:
        return {"size": None, "gray": False}
    if not isinstance(pixels, dict):
        raise GamehookError("usage", "pixels=%r: True (full size RGB) or a "
                            "dict {\"size\": (W, H), \"gray\": bool}"
                            % (pixels,))
    bad = sorted(set(map(str, pixels)) - {"size", "gray"})
    if bad:
        raise GamehookError("usage", "pixels: unknown key %s (keys: size, "
                            "gray)" % ", ".join(bad))
    size = pixels.get("size")
    gray = pixels.get("gray", False)
    if size is not None:
        if isinstance(size, (str, bytes)) or not hasattr(size, "__len__") \
                or len(size) != 2 or not all(
                    isinstance(v, (int, np.integer)) and
                    not isinstance(v, bool) and 1 <= v <= 16384
                    for v in size):
            raise GamehookError("usage", "pixels size=%r: (width, height), "
                                "integers from 1 to 16384" % (size,))
        size = (int(size[0]), int(size[1]))
    if not isinstance(gray, (bool, np.bool_)):
        raise GamehookError("usage", "pixels gray=%r: True or False"
                            % (gray,))
    return {"size": size, "gray": bool(gray)}


def _seeded(seed):
    if seed is not None and (isinstance(seed, bool) or
                             not isinstance(seed, (int, np.integer)) or
                             seed < 0):
        raise GamehookError("usage", "seed must be an integer >= 0, not %r"
                            % (seed,))
    return np.random.default_rng(seed)


class GameEnv(Closing, _Base):
    """One game as a Gymnasium environment (a gymnasium.Env when gymnasium
    is importable). ARGV starts the game under the shim, in lockstep, on a
    pty of SIZE (cols, rows); LAYOUT names its state, SEED its randomness
    (HOOK_SEED). ACTIONS: a list of key sets, one chosen a step (Discrete);
    HELD_KEYS: key names held while their bit is 1 (MultiBinary); the keys
    of an action are held down for the step's FRAME_SKIP frames. OBSERVE:
    see Observer. SCENARIO: a scenario file, dict or Scenario (reward,
    termination, max steps); REWARD(prev_state, state), TERMINATED(state),
    TRUNCATED(state) callables override it; MAX_STEPS truncates.
    HEADLESS: the game on a private X server of its own (Xvfb, as
    Game.launch(headless=True)). PIXELS (True, or {"size": (W, H),
    "gray": bool}): the picture presented at each step's last frame in
    the observation, as "pixels" (see Observer); RENDER_MODE "rgb_array":
    render() gives the last picture, full size RGB."""

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": None}

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
                 cwd=None, server=None, timeout=60.0, headless=False,
                 pixels=None):
        if actions is not None and held_keys is not None:
            raise GamehookError("usage", "actions= (key sets) or held_keys= "
                                "(held keys), not both")
        if not (isinstance(frame_skip, int) and frame_skip >= 1):
            raise GamehookError("usage", "frame_skip must be an integer "
                                ">= 1, not %r" % (frame_skip,))
        if render_mode not in (None, "ansi", "rgb_array"):
            raise GamehookError("usage", "render_mode %r: 'ansi' or "
                                "'rgb_array'" % (render_mode,))
        if not isinstance(headless, (bool, np.bool_)):
            raise GamehookError("usage", "headless=%r: True or False"
                                % (headless,))
        self._pixels = pixel_spec(pixels)
        self._last_px = None
        _seeded(seed)
        self.render_mode = render_mode
        self._argv = list(argv)
        self._launch_kw = dict(layout=layout, lib=lib, env=env, cwd=cwd,
                               size=tuple(size), timeout=timeout,
                               headless=bool(headless))
        self._size = tuple(size)
        self._game_seed = seed
        self.frame_skip = frame_skip
        self.game = None
        self._np_random = None
        self._np_random_seed = None
        self.scenario = Scenario.load(scenario) if scenario is not None \
            else None
        self._launch()
        try:
            self._setup(observe, held_keys, actions, frame_skip, reward,
                        terminated, truncated, max_steps)
        except BaseException:
            self.close()
            raise

    def _setup(self, observe, held_keys, actions, frame_skip, reward,
               terminated, truncated, max_steps):
        """What needs the running game: its layout and state size."""
        sp = _own.backend()
        shape = self._pixels_shape() if self._pixels is not None else None
        if shape is not None and observe is None and \
                self._launch_kw["layout"] is None:
            observe = "pixels"  # no layout given: the picture alone
        self.observer = Observer(self.game.layout, self.game.state_size,
                                 observe, self._size, sp, pixels=shape)
        self.observation_space = self.observer.space
        # What follows a step's requests: the screen, the picture (into
        # the memory shared with the game: Game's, see _launch).
        self._extras = ([command_body("screen")]
                        if self.observer.wants_screen else []) + (
            [command_body(_shot_line(None, **self._pixels) + " --shm")]
            if self.observer.wants_pixels else [])
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
            # Each set's requests before and after the step, made once.
            self._set_bodies = [
                ([command_body("key " + ks[0])], [])
                if len(ks) == 1 and frame_skip == 1 else
                ([command_body("keydown " + k) for k in ks],
                 [command_body("keyup " + k) for k in ks])
                for ks in self._sets]
            self.action_space = sp.Discrete(len(self._sets))
            self._keys = None
        for k in (self._keys or [k for s in self._sets for k in s]):
            if not k or any(c.isspace() for c in k):
                raise GamehookError("usage", "key name %r" % (k,))
        for path in (self.scenario.variables if self.scenario else []):
            self.observer.value(bytes(self.game.state_size), path)
        self._reward_fn = reward
        self._terminated_fn = terminated
        self._truncated_fn = truncated
        self._wants_state = self.scenario is not None or any(
            f is not None for f in (reward, terminated, truncated))
        self.max_steps = max_steps if max_steps is not None else (
            self.scenario.max_steps if self.scenario else None)
        self._held = set()
        self._steps = 0
        self._prev = None
        self._prev_state = None
        self._needs_reset = True
        # The blob, for the observation or the reward and episode end.
        self._need_blob = self.observer.wants_blob or (
            self._wants_state and self.game.state_size > 0)
        self._step_cache = step_body(frame_skip, self._need_blob)
        self._reset_step = step_body(1, self._need_blob)

    def _pixels_shape(self):
        """The picture's shape, from the one the game presented at its
        first frame (or, when it presented none at frame 0, at frame 1:
        reset() goes back before it); a size or gray the shim refuses
        raises here."""
        try:
            a = self.game.screenshot(**self._pixels)
        except GamehookError as e:
            if e.code != "state":
                raise
            self.game.step(1)
            a = self.game.screenshot(**self._pixels)
        return a.shape

    # Launching.

    def _launch(self):
        if self.game is not None:
            self.game.close()
            self.game = None
        self.game = Game.launch(self._argv, seed=self._game_seed,
                                drain=False, **self._launch_kw)
        if self._pixels is not None and self.game._shm is None:
            # Pictures through memory shared with the game (screenshot
            # --shm), passed with the first request either sends.
            self.game._shm = _PixelMemory()
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
            return self._set_bodies[int(action)]
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
        if not pre and not post and not self._extras:
            r, i = self.wire.frame(self._step_cache)
            return [r], [i], 0
        reqs, ids = self._plan(pre + [self._step_cache] + post +
                               self._extras)
        return reqs, ids, len(pre)

    def _check(self, resps, ids):
        for r, i in zip(resps, ids):
            if r.id != i:
                raise ConnectionError("reply %d to request %d" % (r.id, i))
            if not r.ok:
                raise GamehookError(r.code, r.text)

    def _observe(self, r, resps):
        """A step's response R and those after it, RESPS, as (blob, screen
        rows, picture, info, State)."""
        o = r.observation
        blob = o.state if self._need_blob else None
        self.game.frame = o.frame if r.HasField("observation") \
            else int(r.text)
        rows = json.loads(resps[-1 - self.observer.wants_pixels].text) \
            if self.observer.wants_screen else None
        px = None
        if self.observer.wants_pixels:
            px = self._picture(resps[-1].pixels)
            if px.shape != self.observer.pixels_shape:
                raise GamehookError("state", "the picture is %r, the "
                                    "observation space's %r (the window "
                                    "changed size?)" % (
                                        px.shape, self.observer.pixels_shape))
            self._last_px = px
        names = self.observer.fields
        unread = [names[i] if i < len(names) else i for i in o.unreadable]
        info = {"frame": self.game.frame, "vtime_ns": o.vtime_ns,
                "unreadable": unread}
        state = State(self.observer, blob, self.game.frame, o.vtime_ns,
                      unread) if self._wants_state else None
        return blob, rows, px, info, state

    def _picture(self, p):
        """Pixels message P as an array of the caller's own: a copy out of
        the shared memory, or of the reply's bytes when the memory was too
        small (at the first picture; it is grown then for the next)."""
        shm = self.game._shm
        a = _as_array(p, shm)
        if not p.shared:
            shm.fit(p.width * p.height * p.channels)
            a = a.copy()
        return a

    def _finish_step(self, resps, ids, at, decode=True):
        self._check(resps, ids)
        blob, rows, px, info, state = self._observe(resps[at], resps)
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
        obs = self.observer.decode(blob, rows, px) if decode else None
        return obs, reward, terminated, truncated, info, blob, rows, px

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
        bodies += [command_body("reset"), self._reset_step] + self._extras
        self._held = set()
        return self._plan(bodies)

    def _relaunch(self, seed):
        if seed is not None:
            self._game_seed = seed
        self._launch()
        self._held = set()
        reqs, ids = self._plan([self._reset_step] + self._extras)
        return reqs, ids, self.wire.exchange(reqs)

    def _finish_reset(self, resps, ids, seed, decode=True, in_memory=True):
        """The reset's observation; a refused in-memory reset (err
        snapshot) launches the game again."""
        n = len(self._extras)
        if in_memory:
            r = resps[len(ids) - 2 - n]
            if not r.ok and r.code == "snapshot":
                reqs, ids, resps = self._relaunch(seed)
        self._check(resps, ids)
        blob, rows, px, info, state = self._observe(
            resps[len(ids) - 1 - n], resps)
        self._steps = 0
        self._needs_reset = False
        self._prev_state = state
        if self.scenario is not None:
            self._prev = {p: state.value(p) for p in self.scenario.variables}
        info["steps"] = 0
        obs = self.observer.decode(blob, rows, px) if decode else None
        return obs, info, blob, rows, px

    # Gymnasium's interface.

    def reset(self, *, seed=None, options=None):
        """Back to the first frame by the shim's in-memory reset (the game
        is launched again when a reset is refused, for a new SEED, or when
        it died), then one frame run: returns (obs, info)."""
        if self._np_random is None and seed is None:
            self._np_random = _seeded(None)
        plan = self._plan_reset(seed)
        if plan is not None and not self.alive():
            plan = None
        if plan is not None:
            try:
                resps = self.wire.exchange(plan[0])
            except (ConnectionError, OSError):
                plan = None         # the game went away: launch it again
        if plan is None:
            reqs, ids, resps = self._relaunch(seed)
        else:
            reqs, ids = plan
        obs, info, _, _, _ = self._finish_reset(resps, ids, seed,
                                             in_memory=plan is not None)
        return obs, info

    def alive(self):
        """Whether the game's process still runs."""
        p = getattr(self.game, "_proc", None) if self.game else None
        return p is not None and p.poll() is None

    def step(self, action):
        """Press ACTION's keys for frame_skip frames: returns (obs, reward,
        terminated, truncated, info)."""
        reqs, ids, at = self._plan_step(action)
        resps = self.wire.exchange(reqs)
        return self._finish_step(resps, ids, at)[:5]

    def render(self):
        """"ansi": the screen's text, rows joined by newlines;
        "rgb_array": the picture presented at the last step's last frame,
        full size, height x width x 3 uint8 (the observation's own when it
        is that, else read from the game: it is stopped there)."""
        if self.render_mode == "rgb_array":
            px = self._last_px
            if px is not None and px.ndim == 3 and \
                    self._pixels["size"] is None:
                return px.copy()
            return self.game.screenshot()
        if self.render_mode != "ansi":
            return None
        return "\n".join(self.game.screen())

    def close(self):
        if self.game is not None:
            self.game.close()
            self.game = None

    def __repr__(self):
        return "GameEnv(%r)" % (self._argv,)
