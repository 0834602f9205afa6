"""Many games on one or several gamehookds as one vector environment
(README, "gamehookd"): Gymnasium 1.x's vector API and EnvPool's send/recv,
like gamehook.VectorEnv, each game a RemoteGameEnv. Every game's requests
are written before any answer is read, and the answers of all the streams
are taken as they come (a reader thread per stream, one queue), so the
servers' games compute at once.

    from gamehook.remote_vector import RemoteVectorEnv
    envs = RemoteVectorEnv(8, ["build/demo-game"], layout=..., seed=0,
                           server=["box1:50051", "box2:50051"])
"""
import collections
import concurrent.futures
import queue

import numpy as np

from . import spaces as _own
from .errors import GamehookError
from .remote import RemoteError, RemoteGameEnv, pb

try:
    import gymnasium as _gym
    _VBase = _gym.vector.VectorEnv
except ImportError:
    _VBase = object

NEXT_STEP = "next_step"
SAME_STEP = "same_step"


def _mode(m):
    m = NEXT_STEP if m is None else str(getattr(m, "value", m))
    if m not in (NEXT_STEP, SAME_STEP):
        raise GamehookError("usage", "autoreset_mode %r: next_step or "
                            "same_step" % (m,))
    return m


def _stack(items):
    if isinstance(items[0], dict):
        return {k: _stack([x[k] for x in items]) for k in items[0]}
    return np.stack(items)


def _add_info(infos, info, k, n):
    """Gymnasium's vector infos, as gamehook.VectorEnv gives them: each key
    an array over the games, "_key" a mask of the games that gave it."""
    for key, v in info.items():
        if key not in infos:
            dt = bool if isinstance(v, (bool, np.bool_)) else np.int64 \
                if isinstance(v, (int, np.integer)) else np.float64 \
                if isinstance(v, (float, np.floating)) else object
            infos[key] = np.zeros(n, dt) if dt is not object else \
                np.full(n, None, object)
            infos["_" + key] = np.zeros(n, bool)
        infos[key][k] = v
        infos["_" + key][k] = True


class _Job:
    def __init__(self, kind, answers):
        self.kind = kind            # "step", "reset" or "autoreset"
        self.left = answers
        self.last = None
        self.error = None


class RemoteVectorEnv(_VBase):
    """NUM_ENVS games of ARGV on SERVER (one "HOST:PORT" or a list, the
    games dealt round-robin), GameEnv's keywords, game i seeded SEED+i.
    AUTORESET_MODE "next_step" (default) or "same_step"; BATCH_SIZE: how
    many games recv() returns."""

    def __init__(self, num_envs, argv, *, server, autoreset_mode=None,
                 batch_size=None, seed=None, timeout=60.0, **kw):
        if not (isinstance(num_envs, int) and num_envs >= 1):
            raise GamehookError("usage", "num_envs must be an integer >= 1, "
                                "not %r" % (num_envs,))
        servers = [server] if isinstance(server, str) else list(server)
        if not servers:
            raise GamehookError("usage", "server: no servers")
        self.num_envs = num_envs
        self.batch_size = num_envs if batch_size is None else int(batch_size)
        if not 1 <= self.batch_size <= num_envs:
            raise GamehookError("usage", "batch_size must be 1 to %d" %
                                num_envs)
        self.autoreset_mode = _mode(autoreset_mode)
        self._timeout = timeout
        self.envs = []
        with concurrent.futures.ThreadPoolExecutor(min(num_envs, 16)) as ex:
            futs = [ex.submit(RemoteGameEnv, argv, server=servers[
                i % len(servers)], seed=None if seed is None else seed + i,
                timeout=timeout, **kw) for i in range(num_envs)]
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
        if _own.backend() is _own:
            bs = _own.batch_space
        else:
            from gymnasium.vector.utils import batch_space as bs
        self.observation_space = bs(e0.observation_space, num_envs)
        self.action_space = bs(e0.action_space, num_envs)
        self._q = queue.SimpleQueue()
        for i, e in enumerate(self.envs):
            e._c.feed(self._q, i)
        self._pending = [None] * num_envs
        self._ready = collections.OrderedDict()
        self._ended = np.zeros(num_envs, bool)
        self._final = {}
        self._np_random = None
        self.closed = False

    # --- requests out, answers in -------------------------------------------

    def _dispatch(self, i, kind, arg=None):
        env = self.envs[i]
        if self._pending[i] is not None:
            raise GamehookError("state", "game %d already has a step in "
                                "flight (recv() it first)" % i)
        if kind == "step":
            env.step_send(arg)
            self._pending[i] = _Job(kind, 1)
        else:
            req = pb.ResetRequest()
            if arg is not None:
                from .tensors import pack
                pack(arg, out=req.settings["seed"])
            env._c.send("reset", req)
            env._c.send("step", env._step_req)
            self._pending[i] = _Job(kind, 2)

    def _answer(self, i, r):
        if isinstance(r, RemoteError):     # the stream itself failed
            self._pending[i] = None
            raise r
        job = self._pending[i]
        if job is None:
            raise GamehookError("state", "an answer from game %d that asked "
                                "nothing" % i)
        try:
            job.last = self.envs[i]._c.unwrap(r)
        except RemoteError as e:
            job.error = job.error or e
        job.left -= 1
        if job.left:
            return
        self._pending[i] = None
        if job.error is not None:
            self._ended[i] = True       # the next step starts an episode
            raise job.error
        obs, reward, term, trunc, info = self.envs[i]._observe(job.last)
        if job.kind == "step":
            if (term or trunc) and self.autoreset_mode == SAME_STEP:
                self._final[i] = (obs, reward, term, trunc, info)
                self._dispatch(i, "autoreset")
                return
            self._ended[i] = term or trunc
            self._ready[i] = (obs, reward, term, trunc, info, None)
            return
        self._ended[i] = False
        if job.kind == "autoreset":
            f = self._final.pop(i)
            self._ready[i] = (obs, f[1], f[2], f[3], info, f)
        else:
            self._ready[i] = (obs, 0.0, False, False, info, None)

    def _wait(self, done):
        while not done():
            try:
                i = self._q.get(timeout=self._timeout)
            except queue.Empty:
                raise GamehookError("timeout", "no server answered in %ss "
                                    "(games waiting: %s)" % (
                                        self._timeout,
                                        [i for i, p in enumerate(self._pending)
                                         if p is not None])) from None
            try:        # (one recv() may already have taken it)
                r = self.envs[i]._c.answers.get_nowait()
            except queue.Empty:
                continue
            self._answer(i, r)

    def _batch(self, ids, results):
        n = len(ids)
        obs = _stack([r[0] for r in results])
        rew = np.array([r[1] for r in results], np.float64)
        term = np.array([r[2] for r in results], bool)
        trunc = np.array([r[3] for r in results], bool)
        infos = {}
        for k, r in enumerate(results):
            _add_info(infos, r[4], k, n)
            if r[5] is not None:
                _add_info(infos, {"final_obs": r[5][0],
                                  "final_info": r[5][4]}, k, n)
        return obs, rew, term, trunc, infos

    def _run(self, jobs):
        if any(p is not None for p in self._pending) or self._ready:
            raise GamehookError("state", "sent steps not yet received "
                                "(finish them with recv())")
        for i, kind, arg in jobs:
            self._dispatch(i, kind, arg)
        want = [i for i, _, _ in jobs]
        self._wait(lambda: all(i in self._ready for i in want))
        return [self._ready.pop(i) for i in want]

    def _split(self, actions, n):
        a = np.asarray(actions)
        if a.shape[:1] != (n,):
            raise GamehookError("range", "actions for %d games, not %r" %
                                (n, a.shape))
        acts = list(a)
        for k, x in enumerate(acts):
            if x not in self.single_action_space:
                raise GamehookError("range", "action %d, %r, is not in %r" %
                                    (k, x, self.single_action_space))
        return acts

    # --- Gymnasium's vector API ---------------------------------------------

    def reset(self, *, seed=None, options=None):
        """Reset every game (SEED: game i gets SEED+i, or a list)."""
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
        res = self._run([(i, "reset", s) for i, s in enumerate(seeds)])
        obs, _, _, _, infos = self._batch(list(range(self.num_envs)), res)
        return obs, infos

    def step(self, actions):
        """Every game one step: (obs, rewards, terminated, truncated,
        infos), arrays over the games."""
        acts = self._split(actions, self.num_envs)
        jobs = [(i, "reset", None) if self._ended[i] and
                self.autoreset_mode == NEXT_STEP else (i, "step", acts[i])
                for i in range(self.num_envs)]
        return self._batch(list(range(self.num_envs)), self._run(jobs))

    # --- EnvPool's asynchronous API -------------------------------------------

    def async_reset(self):
        for i in range(self.num_envs):
            self._dispatch(i, "reset", None)

    def send(self, actions, env_ids=None):
        """Step the games ENV_IDS (default all) without waiting; a game
        whose episode ended is reset instead, its action ignored."""
        ids = np.arange(self.num_envs) if env_ids is None else \
            np.asarray(env_ids, dtype=np.int64).reshape(-1)
        acts = self._split(actions, len(ids))
        for k, i in enumerate(ids):
            i = int(i)
            if not 0 <= i < self.num_envs:
                raise GamehookError("range", "env id %d of %d games" %
                                    (i, self.num_envs))
            if i in self._ready:
                raise GamehookError("state", "game %d has a result not yet "
                                    "received" % i)
            if self._ended[i] and self.autoreset_mode == NEXT_STEP:
                self._dispatch(i, "reset", None)
            else:
                self._dispatch(i, "step", acts[k])

    def recv(self):
        """The first batch_size games to finish: the step's arrays, with
        infos["env_id"]."""
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

    @property
    def np_random(self):
        if self._np_random is None:
            self._np_random = np.random.default_rng()
        return self._np_random

    def render(self):
        return tuple(e.render() for e in self.envs)

    def close(self, **kw):
        if self.closed:
            return
        self.closed = True
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
