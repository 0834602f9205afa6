"""A gamehookd world: one game as an environment (GameEnv), its specs as
dm_env_rpc TensorSpecs, and what ends it: a crash, a hang, a destroy.
The server (server.py) turns requests into calls here; every call into
the game is timed by the server's watchdog, which kills a game that stops
answering so that the call returns with an error instead of hanging."""
import json
import os
import signal
import threading
import time

import numpy as np

from . import tensors
from .client import Game
from .env import GameEnv
from .errors import GamehookError

pb = tensors.pb

# Observations every world has beside the environment's own, after them.
EXTRAS = (("reward", "float64"), ("discount", "float64"),
          ("terminated", "bool"), ("truncated", "bool"), ("info", "str"))


class WorldError(Exception):
    """A request the world refuses: .code is a grpc.StatusCode name
    ("INVALID_ARGUMENT", "ABORTED", ...); .game the GamehookError behind
    it, if the game gave one."""

    def __init__(self, code, message, game=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.game = game


class World:
    """One game under the server. KWARGS are the environment's arguments
    (argv=..., layout=..., ...), already checked by the server."""

    def __init__(self, name, kwargs, owner, make_env=None):
        self.name = name
        self.owner = owner          # the session that created it
        self.joined = None          # the session that joined it
        self.kwargs = kwargs
        self.make_env = make_env or (lambda kw: GameEnv(**kw))
        self.lock = threading.Lock()
        self.busy_since = None      # monotonic time a game call began
        self.killed_for = None      # why the watchdog killed the game
        self.env = None
        self.running = False        # a sequence is under way
        self.pending_seed = None
        self.interrupted = False
        self.destroyed = False
        self._launch()
        self._specs()

    # --- the game -------------------------------------------------------

    def _launch(self):
        self.killed_for = None
        self.env = self._call(self.make_env, dict(self.kwargs))

    def game(self):
        """The Game client inside the environment (for its process)."""
        env = self.env
        if env is None:
            return None
        if isinstance(env, Game):
            return env
        for v in list(vars(env).values()):
            if isinstance(v, Game):
                return v
        return None

    def pid(self):
        g = self.game()
        proc = getattr(g, "_proc", None) if g is not None else None
        return proc.pid if proc is not None else getattr(g, "pid", None)

    def kill(self, why):
        """Kill the game (the watchdog, from another thread): the call
        waiting on it returns with an error."""
        self.killed_for = why
        pid = self.pid()
        if pid:
            for f in (os.killpg, os.kill):
                try:
                    f(pid, signal.SIGKILL)
                    break
                except (ProcessLookupError, PermissionError):
                    continue

    def _dead(self):
        g = self.game()
        proc = getattr(g, "_proc", None) if g is not None else None
        if proc is not None and proc.poll() is not None:
            rc = proc.returncode
            return "killed by signal %d" % -rc if rc < 0 else \
                "exit status %d" % rc
        return None

    def _call(self, fn, *a, **kw):
        """FN(*A) with the watchdog watching; a game that died or was
        killed on the way ends the episode: WorldError ABORTED or
        DEADLINE_EXCEEDED, and the next step relaunches it."""
        self.busy_since = time.monotonic()
        try:
            return fn(*a, **kw)
        except (OSError, ConnectionError, ValueError, GamehookError) as e:
            why = self.killed_for
            if self.destroyed:
                self._end()
                raise WorldError("NOT_FOUND", "world %s was destroyed" %
                                 self.name)
            dead = self._dead() if why is None else why
            if why is not None or dead is not None or \
                    isinstance(e, (OSError, ConnectionError)):
                self._end()
                if why is not None:
                    raise WorldError("DEADLINE_EXCEEDED", "world %s: the game "
                                     "%s; its episode ended, the next step "
                                     "starts a new one" % (self.name, why))
                raise WorldError("ABORTED", "world %s: the game ended (%s: %s);"
                                 " its episode ended, the next step starts a"
                                 " new one" % (self.name, dead or "gone", e))
            if isinstance(e, GamehookError):
                # a bad argument (usage, launch) or what the game refused
                raise WorldError("INVALID_ARGUMENT" if e.code in (
                    "usage", "launch", "layout", "field") else
                    "FAILED_PRECONDITION", "world %s: %s" % (
                    self.name, e), game=e)
            raise WorldError("INVALID_ARGUMENT", "world %s: %s" % (
                self.name, e))
        finally:
            self.busy_since = None

    def _end(self):
        env, self.env = self.env, None
        self.running = False
        if env is not None:
            try:
                env.close()
            except Exception:
                pass

    def close(self):
        with self.lock:
            self._end()

    # --- specs ----------------------------------------------------------

    def _specs(self):
        env = self.env
        self.obs_space = env.observation_space
        self.act_space = env.action_space
        self.obs_leaves = tensors.leaves(self.obs_space)
        self.act_leaves = tensors.leaves(self.act_space)
        if len(self.act_leaves) == 1 and self.act_leaves[0][0] == "observation":
            self.act_leaves = [("action", self.act_leaves[0][1])]
        specs = pb.ActionObservationSpecs()
        self.obs_uids = {}
        uid = 1
        for name, space in self.obs_leaves:
            specs.observations[uid].CopyFrom(tensors.spec(name, space))
            uid += 1
        for name, dtype in EXTRAS:
            specs.observations[uid].CopyFrom(pb.TensorSpec(
                name=name, dtype=tensors.data_type(dtype)))
            uid += 1
        for i, (name, space) in enumerate(self.act_leaves):
            specs.actions[i + 1].CopyFrom(tensors.spec(name, space))
        self.specs = specs
        # What each step needs, worked out once.
        n = len(self.obs_leaves)
        self.obs_out = {u: (s.name, u > n, tensors.packer(s.dtype))
                        for u, s in specs.observations.items()}
        self.act_in = {u: (s, tensors.spec_bounds(s),
                           tensors.np_dtype(s.dtype).kind == "f")
                       for u, s in specs.actions.items()}

    def spaces_json(self):
        return json.dumps({"observation": tensors.describe(self.obs_space),
                           "action": tensors.describe(self.act_space)})

    # --- stepping -------------------------------------------------------

    def _action(self, actions):
        """The environment's action from a StepRequest's actions map."""
        got = {}
        for uid, t in actions.items():
            if uid not in self.specs.actions:
                raise WorldError("INVALID_ARGUMENT", "no action %d (actions: "
                                 "%s)" % (uid, ", ".join(
                                     "%d %s" % (u, s.name) for u, s in sorted(
                                         self.specs.actions.items()))))
            s, bounds, floats = self.act_in[uid]
            try:
                arr = tensors.unpack(t)
                if arr.dtype == object or (arr.dtype.kind == "f") != floats:
                    raise ValueError("%s: a %s tensor for a %s action" % (
                        s.name, arr.dtype, pb.DataType.Name(s.dtype)))
                tensors.check(arr, s, bounds)
            except ValueError as e:
                raise WorldError("INVALID_ARGUMENT", "action %d %s" % (
                    uid, e)) from None
            got[uid] = arr
        # An action not sent is its minimum (dm_env_rpc leaves it to the
        # environment): Discrete 0, the first key set; no held keys.
        for u, (s, (lo, _), _) in self.act_in.items():
            if u not in got:
                got[u] = lo if lo is not None else np.zeros(
                    tuple(s.shape), tensors.np_dtype(s.dtype))
        values = {}
        for i, (name, space) in enumerate(self.act_leaves):
            arr = got[i + 1]
            kind = type(space).__name__
            values[name] = int(arr) if kind == "Discrete" else \
                arr.astype(getattr(space, "dtype", arr.dtype))
        if len(self.act_leaves) == 1 and type(self.act_space).__name__ != \
                "Dict":
            return values[self.act_leaves[0][0]]
        out = {}
        for name, v in values.items():
            d = out
            parts = name.split(".")
            for p in parts[:-1]:
                d = d.setdefault(p, {})
            d[parts[-1]] = v
        return out

    def step(self, actions, requested, resp):
        """One StepRequest into StepResponse RESP."""
        for uid in requested:
            if uid not in self.specs.observations:
                raise WorldError("INVALID_ARGUMENT", "no observation %d (%d "
                                 "to %d)" % (uid, min(self.specs.observations),
                                             max(self.specs.observations)))
        if self.running:
            action = self._action(actions)
            obs, reward, term, trunc, info = self._call(self.env.step, action)
            self.running = not (term or trunc)
            resp.state = pb.RUNNING if self.running else pb.TERMINATED
        else:
            if self.env is None:
                if self.destroyed:
                    raise WorldError("NOT_FOUND", "world %s was destroyed" %
                                     self.name)
                self._launch()
            seed, self.pending_seed = self.pending_seed, None
            obs, info = self._call(self.env.reset, seed=seed)
            reward, term, trunc = 0.0, False, False
            self.running = True
            resp.state = pb.RUNNING
        if not requested:
            return
        flat = {}
        if len(self.obs_leaves) == 1 and self.obs_leaves[0][0] == "observation":
            flat["observation"] = obs
        else:
            def walk(d, prefix):
                for k, v in d.items():
                    if isinstance(v, dict):
                        walk(v, prefix + k + ".")
                    else:
                        flat[prefix + k] = v
            walk(obs, "")
        extra = {"reward": float(reward), "discount": 0.0 if term else 1.0,
                 "terminated": bool(term), "truncated": bool(trunc),
                 "info": json.dumps(info, default=_jsonable)}
        out = resp.observations
        for uid in requested:
            name, is_extra, pack = self.obs_out[uid]
            pack(extra[name] if is_extra else flat[name], out[uid])

    def reset(self, seed=None):
        """The next step starts a new sequence (with SEED)."""
        self.pending_seed = seed
        self.running = False

    def command(self, line):
        g = self.game()
        if g is None:
            if self.env is None:
                raise WorldError("FAILED_PRECONDITION", "world %s: its game "
                                 "ended; step to start it again" % self.name)
            raise WorldError("UNIMPLEMENTED", "world %s: no control "
                             "connection" % self.name)
        return self._call(g.command, line)


def _jsonable(v):
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, bytes):
        return v.decode("latin-1")
    return str(v)
