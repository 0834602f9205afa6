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
import queue

import numpy as np

from .errors import GamehookError
from .remote import RemoteError, RemoteGameEnv, pb
from .vecbase import (NEXT_STEP, SAME_STEP, AutoresetMode,  # noqa: F401
                      BatchedEnv, Result)


def _stack(items):
    if isinstance(items[0], dict):
        return {k: _stack([x[k] for x in items]) for k in items[0]}
    return np.stack(items)


class _Job:
    def __init__(self, kind, answers):
        self.kind = kind            # "step", "reset" or "autoreset"
        self.left = answers
        self.last = None
        self.error = None


class RemoteVectorEnv(BatchedEnv):
    """NUM_ENVS games of ARGV on SERVER (one "HOST:PORT" or a list, the
    games dealt round-robin), GameEnv's keywords, game i seeded SEED+i.
    AUTORESET_MODE as VectorEnv's ("next_step", the default, or
    "same_step"; or Gymnasium's AutoresetMode); BATCH_SIZE: how many games
    recv() returns. What both share is gamehook.vecbase's."""

    def __init__(self, num_envs, argv, *, server, autoreset_mode=None,
                 batch_size=None, seed=None, timeout=60.0, **kw):
        servers = [server] if isinstance(server, str) else list(server)
        if not servers:
            raise GamehookError("usage", "server: no servers")
        self._setup(num_envs, batch_size, autoreset_mode)
        self._timeout = timeout
        self._make_envs(lambda i: RemoteGameEnv(
            argv, server=servers[i % len(servers)],
            seed=None if seed is None else seed + i, timeout=timeout, **kw))
        self._q = queue.SimpleQueue()
        for i, e in enumerate(self.envs):
            e._c.feed(self._q, i)

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
        if job.kind != "step":
            reward, term, trunc = 0.0, False, False
        self._finished(i, job.kind, Result(reward, bool(term), bool(trunc),
                                           info, obs=obs))

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

    # --- observations out ------------------------------------------------------

    def _stack_obs(self, results):
        return _stack([r.obs for r in results])

    def _one_obs(self, result):
        return result.obs
