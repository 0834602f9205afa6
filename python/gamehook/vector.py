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
import selectors
import time

from .env import GameEnv
from .errors import GamehookError
from .vecbase import (NEXT_STEP, SAME_STEP, AutoresetMode,  # noqa: F401
                      BatchedEnv, Result)


class VectorEnv(BatchedEnv):
    """NUM_ENVS games of ARGV (GameEnv's keywords, each game seeded
    SEED+i when SEED is given). AUTORESET_MODE: "next_step" (Gymnasium's
    default: the step after an episode ends resets that game, with reward
    0) or "same_step" (the step that ends it resets it; the last
    observation and info are in infos["final_obs"] and
    infos["final_info"]); Gymnasium's AutoresetMode values and spellings
    ("NextStep", "SameStep") too. BATCH_SIZE: how many games recv()
    returns (EnvPool's batch_size; default all). The API itself is
    gamehook.vecbase's, shared with RemoteVectorEnv."""

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
        self._setup(num_envs, batch_size, autoreset_mode)
        self._make_envs(lambda i: GameEnv(
            argv, seed=None if seed is None else seed + i, **kw))
        self.observer = self.envs[0].observer
        self._sel = selectors.DefaultSelector()
        self._adopted = [None] * num_envs
        for i in range(num_envs):
            self._adopt(i)
        # Games whose connection broke: reset() launches them again (the
        # process may not be reaped yet when its socket closes).
        self._broken = [False] * num_envs

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
            env.wire.send(b"".join(reqs))
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
            _, reward, term, trunc, info, blob, rows, px = env._finish_step(
                resps, ids, arg, decode=False)
            res = Result(reward, bool(term), bool(trunc), info, blob=blob,
                         rows=rows, pixels=px)
        else:
            seed, in_memory = arg
            _, info, blob, rows, px = env._finish_reset(resps, ids, seed,
                                                    decode=False,
                                                    in_memory=in_memory)
            self._adopt(i)
            res = Result(0.0, False, False, info, blob=blob, rows=rows,
                         pixels=px)
        self._finished(i, kind, res)

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

    # Observations out.

    def _stack_obs(self, results):
        return self.observer.decode_batch([r.blob for r in results],
                                          [r.rows for r in results],
                                          [r.pixels for r in results])

    def _one_obs(self, result):
        return self.observer.decode(result.blob, result.rows, result.pixels)

    def _close_more(self):
        self._sel.close()

    def __repr__(self):
        return "VectorEnv(%d, %r)" % (self.num_envs, self.envs[0]._argv)
