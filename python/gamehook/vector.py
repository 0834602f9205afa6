"""VectorEnv: many games stepped as a batch from one Python process.

    from gamehook import VectorEnv
    envs = VectorEnv(4, ["build/demo-game"], layout="demo-game/demo-game.layout.json",
                     seed=1, scenario="demo-game/demo-game.scenario.json")
    obs, infos = envs.reset()
    obs, rewards, terminated, truncated, infos = envs.step(envs.action_space.sample())

    envs.async_reset()                        # EnvPool's asynchronous API
    obs, rew, term, trunc, info = envs.recv() # the first batch_size games ready
    envs.send(actions, info["env_id"])

Gymnasium 1.x's vector API (num_envs, single_observation_space,
single_action_space, batched spaces, arrays out, infos as arrays with
"_key" masks, metadata["autoreset_mode"]) and EnvPool's send/recv beside
it. There is no worker process per game: every game's requests are
written to its socket at once (pipelined binary requests, as GameEnv
plans them), the games compute in parallel, and this process waits on
all their sockets with one selector, finishing each game's step as its responses arrive.
"""
import collections
import concurrent.futures
import selectors
import time

import numpy as np

from . import spaces as _own
from .env import GameEnv
from .errors import GamehookError

try:
    import gymnasium as _gym
    import gymnasium.vector
    _VBase = _gym.vector.VectorEnv
except ImportError:
    _gym = None
    _VBase = object
try:
    from gymnasium.vector import AutoresetMode as _Mode
except ImportError:
    _Mode = None


class AutoresetMode(str):
    """Gymnasium's AutoresetMode values, when gymnasium is missing."""
    pass


if _Mode is None:
    NEXT_STEP = AutoresetMode("NextStep")
    SAME_STEP = AutoresetMode("SameStep")
else:
    NEXT_STEP = _Mode.NEXT_STEP
    SAME_STEP = _Mode.SAME_STEP

_MODES = {"next_step": NEXT_STEP, "nextstep": NEXT_STEP, "same_step":
          SAME_STEP, "samestep": SAME_STEP}


def _mode(m):
    if m is None:
        return NEXT_STEP
    key = str(getattr(m, "value", m)).lower().replace("-", "_")
    if key not in _MODES:
        raise GamehookError("usage", "autoreset_mode %r: next_step or "
                            "same_step" % (m,))
    return _MODES[key]


class _Result:
    """One game's finished step or reset."""
    __slots__ = ("blob", "rows", "reward", "terminated", "truncated", "info",
                 "final")

    def __init__(self, blob, rows, reward, terminated, truncated, info):
        self.blob = blob
        self.rows = rows
        self.reward = reward
        self.terminated = terminated
        self.truncated = truncated
        self.info = info
        self.final = None


def _add_info(infos, info, i, n):
    """Gymnasium's vector info: each key an array over the games and a
    "_key" mask of the games that gave it."""
    for k, v in info.items():
        if k not in infos:
            if isinstance(v, (bool, np.bool_)):
                infos[k] = np.zeros(n, bool)
            elif isinstance(v, (int, np.integer)):
                infos[k] = np.zeros(n, np.int64)
            elif isinstance(v, (float, np.floating)):
                infos[k] = np.zeros(n, np.float64)
            else:
                infos[k] = np.full(n, None, object)
            infos["_" + k] = np.zeros(n, bool)
        infos[k][i] = v
        infos["_" + k][i] = True


class VectorEnv(_VBase):
    """NUM_ENVS games of ARGV (GameEnv's keywords, each game seeded
    SEED+i when SEED is given). AUTORESET_MODE: "next_step" (Gymnasium's
    default: the step after an episode ends resets that game, with reward
    0) or "same_step" (the step that ends it resets it; the last
    observation and info are in infos["final_obs"] and
    infos["final_info"]). BATCH_SIZE: how many games recv() returns
    (EnvPool's batch_size; default all)."""

    def __new__(cls, *args, server=None, **kw):
        """With SERVER ("HOST:PORT" or a list of them) the games run under
        gamehookd there: a gamehook.remote_vector.RemoteVectorEnv."""
        if server is None:
            return super().__new__(cls)
        try:
            from . import remote_vector
        except ImportError as e:
            raise GamehookError("remote", "server=%r: remote games need "
                                "gamehook.remote_vector, which this "
                                "installation lacks (%s)" % (server, e))
        return remote_vector.RemoteVectorEnv(*args, server=server, **kw)

    def __init__(self, num_envs, argv, *, autoreset_mode=None,
                 batch_size=None, seed=None, server=None, **kw):
        if not (isinstance(num_envs, int) and num_envs >= 1):
            raise GamehookError("usage", "num_envs must be an integer >= 1, "
                                "not %r" % (num_envs,))
        self.num_envs = num_envs
        self.batch_size = num_envs if batch_size is None else int(batch_size)
        if not 1 <= self.batch_size <= num_envs:
            raise GamehookError("usage", "batch_size must be 1 to %d"
                                % num_envs)
        self.autoreset_mode = _mode(autoreset_mode)
        self.envs = []
        with concurrent.futures.ThreadPoolExecutor(min(num_envs, 16)) as ex:
            futs = [ex.submit(GameEnv, argv, seed=None if seed is None else
                              seed + i, **kw) for i in range(num_envs)]
            err = None
            for f in futs:
                try:
                    self.envs.append(f.result())
                except Exception as e:
                    err = err or e
        if err is not None:
            for e in self.envs:
                e.close()
            raise err
        e0 = self.envs[0]
        self.render_mode = e0.render_mode
        self.metadata = {"autoreset_mode": self.autoreset_mode,
                         "render_modes": ["ansi"]}
        self.single_observation_space = e0.observation_space
        self.single_action_space = e0.action_space
        sp = _own.backend()
        if sp is _own:
            bs = _own.batch_space
        else:
            from gymnasium.vector.utils import batch_space as bs
        self.observation_space = bs(e0.observation_space, num_envs)
        self.action_space = bs(e0.action_space, num_envs)
        self.observer = e0.observer
        self.closed = False
        self._sel = selectors.DefaultSelector()
        self._adopted = [None] * num_envs
        for i in range(num_envs):
            self._adopt(i)
        self._pending = [None] * num_envs   # (kind, ids, arg, resps)
        # Games whose connection broke: reset() launches them again (the
        # process may not be reaped yet when its socket closes).
        self._broken = [False] * num_envs
        self._ready = collections.OrderedDict()
        self._ended = np.zeros(num_envs, bool)  # next step resets it
        self._final = {}                        # same-step: ended results
        self._np_random = None

    # Each game's socket in one selector (registered by number: a game
    # launched again has a new one). Each game's terminal is drained by
    # its Wire: before its requests, and whenever the wait passes
    # Wire.POLL (serving the terminals from the selector too would wake
    # this loop for every write a game makes).

    def _adopt(self, i):
        env = self.envs[i]
        old = self._adopted[i]
        if old is not None and old[0] is env.game:
            return
        if old is not None:
            try:
                self._sel.unregister(old[1])
            except (KeyError, ValueError, OSError):
                pass
        fd = env.wire.sock.fileno()
        self._sel.register(fd, selectors.EVENT_READ, i)
        self._adopted[i] = (env.game, fd)

    # Requests: a game's requests are written at once; its responses are
    # collected as they arrive.

    def _dispatch(self, i, kind, arg=None):
        env = self.envs[i]
        if self._pending[i] is not None:
            raise GamehookError("state", "game %d already has a step in "
                                "flight (recv() it first)" % i)
        if kind == "step":
            reqs, ids, at = env._plan_step(arg)
            self._pending[i] = ("step", ids, at, [])
        else:
            plan = env._plan_reset(arg)
            if plan is None or self._broken[i] or not env.alive():
                # A new seed, or a game that died: launched again, now.
                reqs, ids, resps = env._relaunch(arg)
                self._broken[i] = False
                self._adopt(i)
                self._complete(i, kind, ids, (arg, False), resps)
                return
            reqs, ids = plan
            self._pending[i] = (kind, ids, (arg, True), [])
        env.wire.drain()
        try:
            env.wire.sock.sendall(b"".join(reqs))
        except OSError as e:
            self._lost(i, e)
        self._take(i)

    def _lost(self, i, why):
        """Game I's connection is gone: drop what it had in flight (reset()
        launches it again) and raise."""
        self._pending[i] = None
        self._broken[i] = True
        old = self._adopted[i]
        if old is not None:
            try:
                self._sel.unregister(old[1])
            except (KeyError, ValueError, OSError):
                pass
            self._adopted[i] = None
        env = self.envs[i]
        p = getattr(env.game, "_proc", None)
        raise ConnectionError("game %d (pid %s) closed its connection%s "
                              "(%s); reset() launches it again" % (
                                  i, env.game.pid, "" if p is None or
                                  p.poll() is None else ", exit status %s"
                                  % p.returncode, why))

    def _take(self, i):
        p = self._pending[i]
        self.envs[i].wire.take(p[3], len(p[1]))
        if len(p[3]) == len(p[1]):
            self._pending[i] = None
            self._complete(i, p[0], p[1], p[2], p[3])

    def _complete(self, i, kind, ids, arg, resps):
        env = self.envs[i]
        if kind == "step":
            _, reward, term, trunc, info, blob, rows = env._finish_step(
                resps, ids, arg, decode=False)
            res = _Result(blob, rows, reward, bool(term), bool(trunc), info)
            if (term or trunc) and self.autoreset_mode == SAME_STEP:
                self._final[i] = res
                self._dispatch(i, "autoreset")
                return
            self._ended[i] = term or trunc
        else:
            seed, in_memory = arg
            _, info, blob, rows = env._finish_reset(resps, ids, seed,
                                                    decode=False,
                                                    in_memory=in_memory)
            self._adopt(i)
            res = _Result(blob, rows, 0.0, False, False, info)
            self._ended[i] = False
            if kind == "autoreset":
                # Same-step: the ending step's reward and flags, the
                # reset's observation and info, the last ones as final_*.
                f = res.final = self._final.pop(i)
                res.reward, res.terminated, res.truncated = \
                    f.reward, f.terminated, f.truncated
        self._ready[i] = res

    def _wait(self, done):
        """Serve every game's socket until DONE() holds."""
        timeout = self.envs[0].wire.timeout or 60.0
        deadline = None
        while not done():
            events = self._sel.select(self.envs[0].wire.POLL)
            if not events:
                for i, p in enumerate(self._pending):
                    if p is not None:
                        self.envs[i].wire.drain()
                now = time.monotonic()
                if deadline is None:
                    deadline = now + timeout
                elif now > deadline:
                    raise GamehookError("timeout", "no game answered in %ss "
                                        "(games waiting: %s)" % (timeout, [
                                            i for i, p in enumerate(
                                                self._pending)
                                            if p is not None]))
                continue
            deadline = None
            for key, _ in events:
                i = key.data
                try:
                    got = self.envs[i].wire.receive()
                except OSError as e:
                    got = e
                if got is not True:
                    self._lost(i, got or "end of stream")
                if self._pending[i] is not None:
                    self._take(i)

    def _settle(self):
        """Finish, and drop, whatever is in flight: steps sent and never
        received, or the rest of a batch a lost game broke off."""
        while any(p is not None for p in self._pending):
            try:
                self._wait(lambda: all(p is None for p in self._pending))
            except ConnectionError:
                continue        # that game's part was dropped
        self._ready.clear()
        self._final.clear()

    # Batches out.

    def _batch(self, ids, results):
        n = len(ids)
        obs = self.observer.decode_batch([r.blob for r in results],
                                         [r.rows for r in results])
        rew = np.array([r.reward for r in results], np.float64)
        term = np.array([r.terminated for r in results], bool)
        trunc = np.array([r.truncated for r in results], bool)
        infos = {}
        for k, r in enumerate(results):
            _add_info(infos, r.info, k, n)
            if r.final is not None:
                _add_info(infos, {
                    "final_obs": self.observer.decode(r.final.blob,
                                                      r.final.rows),
                    "final_info": r.final.info}, k, n)
        return obs, rew, term, trunc, infos

    def _run(self, jobs):
        """Dispatch JOBS [(i, kind, arg)] and wait for all of them; the
        results in the order of JOBS."""
        if any(p is not None for p in self._pending) or self._ready:
            raise GamehookError("state", "sent steps not yet received "
                                "(finish them with recv())")
        for i, kind, arg in jobs:
            self._dispatch(i, kind, arg)
        want = [i for i, _, _ in jobs]
        self._wait(lambda: all(i in self._ready for i in want))
        return [self._ready.pop(i) for i in want]

    # Gymnasium's vector API.

    def reset(self, *, seed=None, options=None):
        """Reset every game: SEED an int (game i gets SEED+i) or a list;
        returns (obs, infos) with a leading axis of num_envs. Steps sent
        and not received are dropped; a game that died is launched
        again."""
        if seed is None:
            seeds = [None] * self.num_envs
        elif isinstance(seed, (int, np.integer)):
            seeds = [int(seed) + i for i in range(self.num_envs)]
            self._np_random = np.random.default_rng(seed)
        else:
            seeds = list(seed)
            if len(seeds) != self.num_envs:
                raise GamehookError("usage", "reset: %d seeds for %d games"
                                    % (len(seeds), self.num_envs))
        self._settle()
        res = self._run([(i, "reset", s) for i, s in enumerate(seeds)])
        obs, _, _, _, infos = self._batch(list(range(self.num_envs)), res)
        return obs, infos

    def step(self, actions):
        """Step every game with its action (the batched action space);
        returns (obs, rewards, terminated, truncated, infos) as arrays."""
        acts = self._split(actions, self.num_envs)
        jobs = [(i, "reset", None) if self._ended[i] and
                self.autoreset_mode == NEXT_STEP else (i, "step", acts[i])
                for i in range(self.num_envs)]
        res = self._run(jobs)
        return self._batch(list(range(self.num_envs)), res)

    def _split(self, actions, n):
        """N actions, each checked before any is sent."""
        a = np.asarray(actions)
        if a.shape[:1] != (n,):
            raise GamehookError("range", "actions for %d games, not %r"
                                % (n, a.shape))
        acts = list(a)
        for k, x in enumerate(acts):
            if x not in self.single_action_space:
                raise GamehookError("range", "action %d, %r, is not in %r"
                                    % (k, x, self.single_action_space))
        return acts

    # EnvPool's asynchronous API.

    def async_reset(self):
        """Reset every game without waiting; recv() returns them."""
        for i in range(self.num_envs):
            self._dispatch(i, "reset", None)

    def send(self, actions, env_ids=None):
        """Step the games ENV_IDS (default all) with ACTIONS, without
        waiting. A game whose episode ended is reset instead (EnvPool's
        rule), its action ignored."""
        ids = np.arange(self.num_envs) if env_ids is None else \
            np.asarray(env_ids, dtype=np.int64).reshape(-1)
        acts = self._split(actions, len(ids))
        for k, i in enumerate(ids):
            i = int(i)
            if not 0 <= i < self.num_envs:
                raise GamehookError("range", "env id %d of %d games"
                                    % (i, self.num_envs))
            if i in self._ready:
                raise GamehookError("state", "game %d has a result not yet "
                                    "received" % i)
            if self._ended[i] and self.autoreset_mode == NEXT_STEP:
                self._dispatch(i, "reset", None)
            else:
                self._dispatch(i, "step", acts[k])

    def recv(self):
        """The first batch_size games to finish what was sent: (obs,
        rewards, terminated, truncated, infos) with infos["env_id"]."""
        inflight = sum(p is not None for p in self._pending)
        if inflight + len(self._ready) < self.batch_size:
            raise GamehookError("state", "recv: %d games in flight, batch "
                                "size %d" % (inflight + len(self._ready),
                                             self.batch_size))
        self._wait(lambda: len(self._ready) >= self.batch_size)
        ids = list(self._ready)[:self.batch_size]
        res = [self._ready.pop(i) for i in ids]
        out = self._batch(ids, res)
        out[4]["env_id"] = np.array(ids, np.int64)
        return out

    # The rest.

    @property
    def np_random(self):
        if self._np_random is None:
            self._np_random = np.random.default_rng()
        return self._np_random

    @property
    def unwrapped(self):
        return self

    def render(self):
        """"ansi": each game's screen text."""
        if self.render_mode != "ansi":
            return None
        return tuple(e.render() for e in self.envs)

    def close(self, **kw):
        if getattr(self, "closed", True):
            return
        self.closed = True
        try:
            self._sel.close()
        except Exception:
            pass
        for e in self.envs:
            e.close()

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
        return "VectorEnv(%d, %r)" % (self.num_envs, self.envs[0]._argv)
