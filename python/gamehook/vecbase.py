"""What gamehook's two vector environments share: VectorEnv (games on
this machine, over their sockets) and RemoteVectorEnv (games under
gamehookds). Gymnasium 1.x's vector API (num_envs, batched spaces, arrays
out, infos as arrays with "_key" masks, metadata["autoreset_mode"]) and
EnvPool's send/recv/async_reset, over a job a game: a step, a reset, or
the reset that follows an ended step in same-step mode.

A subclass makes its games (_make_envs) and says how a game's job is sent
(_dispatch), how answers are waited for until a condition holds (_wait;
finishing a job puts a Result in self._ready), and how its results'
observations are stacked (_stack_obs) or given alone (_one_obs)."""
import collections
import concurrent.futures

import numpy as np

from . import spaces as _own
from .closing import Closing
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

# Both spellings: Gymnasium's ("NextStep", its enum) and snake case
# ("next_step", "next-step").
_MODES = {"next_step": NEXT_STEP, "nextstep": NEXT_STEP, "same_step":
          SAME_STEP, "samestep": SAME_STEP}


def autoreset_mode(m):
    """M (None: next step) as NEXT_STEP or SAME_STEP."""
    if m is None:
        return NEXT_STEP
    key = str(getattr(m, "value", m)).lower().replace("-", "_")
    if key not in _MODES:
        raise GamehookError("usage", "autoreset_mode %r: next_step or "
                            "same_step" % (m,))
    return _MODES[key]


class Result:
    """One game's finished job: its observation (OBS, or the BLOB, screen
    ROWS and PIXELS it decodes from), reward, flags and info; FINAL, in
    same-step mode, the Result of the step that ended the episode."""
    __slots__ = ("obs", "blob", "rows", "pixels", "reward", "terminated",
                 "truncated", "info", "final")

    def __init__(self, reward, terminated, truncated, info, obs=None,
                 blob=None, rows=None, pixels=None):
        self.obs = obs
        self.blob = blob
        self.rows = rows
        self.pixels = pixels
        self.reward = reward
        self.terminated = terminated
        self.truncated = truncated
        self.info = info
        self.final = None


def add_info(infos, info, i, n):
    """Gymnasium's vector info: each key an array over the N games and a
    "_key" mask of the games that gave it; game I's INFO added."""
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


class BatchedEnv(Closing, _VBase):
    """The shared part of VectorEnv and RemoteVectorEnv (see the module)."""

    def _setup(self, num_envs, batch_size, mode):
        if not (isinstance(num_envs, int) and num_envs >= 1):
            raise GamehookError("usage", "num_envs must be an integer >= 1, "
                                "not %r" % (num_envs,))
        self.num_envs = num_envs
        self.batch_size = num_envs if batch_size is None else int(batch_size)
        if not 1 <= self.batch_size <= num_envs:
            raise GamehookError("usage", "batch_size must be 1 to %d"
                                % num_envs)
        self.autoreset_mode = autoreset_mode(mode)

    def _make_envs(self, make):
        """The games, MAKE(i) each, made at once (a thread each, up to
        16); when one fails, those made are closed and its error raised.
        Then the spaces and the jobs' bookkeeping."""
        envs = []
        n = self.num_envs
        with concurrent.futures.ThreadPoolExecutor(min(n, 16)) as ex:
            futs = [ex.submit(make, i) for i in range(n)]
            err = None
            for f in futs:
                try:
                    envs.append(f.result())
                except Exception as e:
                    err = err or e
        if err is not None:
            for e in envs:
                e.close()
            raise err
        self.envs = envs
        e0 = envs[0]
        self.render_mode = e0.render_mode
        self.metadata = {"autoreset_mode": self.autoreset_mode,
                         "render_modes": list(e0.metadata["render_modes"])}
        self.single_observation_space = e0.observation_space
        self.single_action_space = e0.action_space
        if _own.backend() is _own:
            bs = _own.batch_space
        else:
            from gymnasium.vector.utils import batch_space as bs
        self.observation_space = bs(e0.observation_space, n)
        self.action_space = bs(e0.action_space, n)
        self._pending = [None] * n      # each game's job in flight
        self._ready = collections.OrderedDict()     # finished: Results
        self._ended = np.zeros(n, bool)  # next step resets it
        self._final = {}                # same-step: the ending step's Result
        self._np_random = None
        self.closed = False

    # What a subclass provides.

    def _dispatch(self, i, kind, arg=None):
        """Send game I's job KIND ("step" with action ARG, "reset" with
        seed ARG, "autoreset")."""
        raise NotImplementedError

    def _wait(self, done):
        """Take answers until DONE() holds."""
        raise NotImplementedError

    def _stack_obs(self, results):
        raise NotImplementedError

    def _one_obs(self, result):
        raise NotImplementedError

    def _settle(self):
        """Before reset(): what is in flight finished or dropped (by
        default, nothing: reset() then refuses, as step() does)."""

    # Finishing jobs.

    def _finished(self, i, kind, res):
        """Game I's job KIND gave Result RES: into self._ready, or, for a
        step that ended its episode in same-step mode, on to the reset."""
        if kind == "step":
            if (res.terminated or res.truncated) and \
                    self.autoreset_mode == SAME_STEP:
                self._final[i] = res
                self._dispatch(i, "autoreset")
                return
            self._ended[i] = res.terminated or res.truncated
        else:
            self._ended[i] = False
            if kind == "autoreset":
                # Same-step: the ending step's reward and flags, the
                # reset's observation and info, the last ones as final_*.
                f = res.final = self._final.pop(i)
                res.reward, res.terminated, res.truncated = \
                    f.reward, f.terminated, f.truncated
        self._ready[i] = res

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

    def _batch(self, ids, results):
        n = len(ids)
        obs = self._stack_obs(results)
        rew = np.array([r.reward for r in results], np.float64)
        term = np.array([r.terminated for r in results], bool)
        trunc = np.array([r.truncated for r in results], bool)
        infos = {}
        for k, r in enumerate(results):
            add_info(infos, r.info, k, n)
            if r.final is not None:
                add_info(infos, {"final_obs": self._one_obs(r.final),
                                 "final_info": r.final.info}, k, n)
        return obs, rew, term, trunc, infos

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

    # Gymnasium's vector API.

    def reset(self, *, seed=None, options=None):
        """Reset every game: SEED an int (game i gets SEED+i) or a list;
        returns (obs, infos) with a leading axis of num_envs."""
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
        return self._batch(list(range(self.num_envs)), self._run(jobs))

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
        """Each game's render(): "ansi" its screen text, "rgb_array" its
        last picture."""
        if self.render_mode not in ("ansi", "rgb_array"):
            return None
        return tuple(e.render() for e in self.envs)

    def _close_more(self):
        """What a subclass closes before the games."""

    def close(self, **kw):
        if getattr(self, "closed", True) or not hasattr(self, "envs"):
            return              # closed, or never made
        self.closed = True
        try:
            self._close_more()
        finally:
            for e in self.envs:
                e.close()

