"""gamehook.VectorEnv steps demo games as a batch with Gymnasium 1.x's
vector API: batched spaces and arrays out, infos as arrays with "_key"
masks, next-step auto-reset (the step after an episode ends resets that
game, reward 0) and same-step auto-reset (the ending step resets it, the
last observation in infos["final_obs"]); EnvPool's send/recv returns the
first batch_size games ready with their env_id, each game's episode
following its own actions; sent steps run in every game without this
process waiting on them (no worker per game: the requests were written);
bad batches are refused before anything is sent."""
import os

import numpy as np

from gh import ROOT, Conn, check, wait_until
import json
from gamehook import VectorEnv, GamehookError, spaces
from gamehook.vector import NEXT_STEP, SAME_STEP

DEMO = os.path.join(ROOT, "build", "demo-game")
LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")
# Terminated when the hero reaches cell 4 (from 2); reward: its moves.
SCEN = {"reward": {"variables": {"hero.x": {"reward": 1.0}}},
        "done": {"variables": {"hero.x": {"op": ">=", "reference": 4}}}}
NOOP, LEFT, RIGHT = 0, 1, 2


def make(n, **kw):
    return VectorEnv(n, [DEMO], layout=LAYOUT, seed=3, scenario=SCEN,
                     observe=["hero.x", "game.tick"], **kw)


def test_next_step_autoreset():
    with make(4) as v:
        check(v.num_envs == 4 and v.metadata["autoreset_mode"] == NEXT_STEP,
              repr(v.metadata))
        check(isinstance(v.single_action_space, spaces.Discrete) and
              isinstance(v.action_space, spaces.MultiDiscrete) and
              list(v.action_space.nvec) == [7] * 4 and
              v.observation_space["hero.x"].shape == (4,) and
              v.single_observation_space["hero.x"].shape == (), "spaces")
        obs, infos = v.reset()
        check(list(obs["hero.x"]) == [2] * 4 and list(infos["frame"]) ==
              [1] * 4 and infos["_frame"].all(), repr((obs, infos)))
        a = np.array([RIGHT, RIGHT, NOOP, LEFT])
        got = []
        for _ in range(3):
            obs, rew, term, trunc, infos = v.step(a)
            check(obs in v.observation_space, "obs outside the space")
            got.append((list(obs["hero.x"]), list(rew), list(term),
                        list(infos["frame"])))
        check(got == [
            ([3, 3, 2, 1], [1, 1, 0, -1], [False] * 4, [2, 2, 2, 2]),
            ([4, 4, 2, 0], [1, 1, 0, -1], [True, True, False, False],
             [3, 3, 3, 3]),
            # The games that ended are reset, their actions ignored.
            ([2, 2, 2, 0], [0, 0, 0, 0], [False] * 4, [1, 1, 4, 4])], repr(got))
        obs, rew, term, _, _ = v.step(a)
        check(list(obs["hero.x"]) == [3, 3, 2, 0], repr(obs))


def test_same_step_autoreset():
    with make(4, autoreset_mode="same_step") as v:
        check(v.metadata["autoreset_mode"] == SAME_STEP, repr(v.metadata))
        v.reset()
        a = np.array([RIGHT, NOOP, RIGHT, LEFT])
        v.step(a)
        obs, rew, term, trunc, infos = v.step(a)
        # Games 0 and 2 ended and were reset in the same step.
        check(list(term) == [True, False, True, False] and
              list(obs["hero.x"]) == [2, 2, 2, 0] and list(rew) ==
              [1, 0, 1, -1], repr((obs, rew, term)))
        check(list(infos["_final_obs"]) == [True, False, True, False] and
              int(infos["final_obs"][0]["hero.x"]) == 4 and
              int(infos["final_obs"][2]["hero.x"]) == 4 and
              infos["final_info"][0]["frame"] == 3 and
              list(infos["frame"]) == [1, 3, 1, 3], repr(infos))
        obs, rew, term, _, infos = v.step(a)
        check(list(obs["hero.x"]) == [3, 2, 3, 0] and not term.any() and
              "final_obs" not in infos, repr((obs, infos)))


def test_send_recv():
    with make(4, batch_size=2) as v:
        v.async_reset()
        seen = {}
        for _ in range(2):
            obs, rew, term, trunc, info = v.recv()
            check(len(info["env_id"]) == 2 and obs["hero.x"].shape == (2,),
                  repr(info))
            for i, x in zip(info["env_id"], obs["hero.x"]):
                seen[int(i)] = int(x)
        check(seen == {0: 2, 1: 2, 2: 2, 3: 2}, repr(seen))
        try:
            v.recv()
            check(False, "recv with nothing sent did not fail")
        except GamehookError as e:
            check(e.code == "state", str(e))
        # Even games go right, odd ones left; each follows its own.
        want = {0: RIGHT, 1: LEFT, 2: RIGHT, 3: LEFT}
        steps = {i: 0 for i in range(4)}
        v.send(np.array([want[i] for i in range(4)]), np.arange(4))
        try:
            v.send(np.array([NOOP]), [0])
            check(False, "a second send to a game in flight was accepted")
        except GamehookError as e:
            check(e.code == "state", str(e))
        for _ in range(12):
            obs, rew, term, trunc, info = v.recv()
            ids = [int(i) for i in info["env_id"]]
            for k, i in enumerate(ids):
                if info["steps"][k] == 0:       # reset after an ending
                    steps[i] = 0
                    check(int(obs["hero.x"][k]) == 2, "reset obs")
                    continue
                steps[i] += 1
                x = int(obs["hero.x"][k])
                exp = 2 + steps[i] if want[i] == RIGHT else max(
                    0, 2 - steps[i])
                check(x == exp, "game %d after %d steps: x %d, not %d" % (
                    i, steps[i], x, exp))
                check(bool(term[k]) == (x >= 4), "term %r" % term)
            v.send(np.array([want[i] for i in ids]), ids)
        v.recv()


def test_sent_steps_run_without_waiting():
    with make(4) as v:
        v.reset()
        v.send(np.full(4, NOOP))
        # Nothing received yet: every game still runs its step.
        for e in v.envs:
            c = Conn(e.game.sock_path)
            wait_until(lambda: json.loads(c.ok("hello"))["frame"] == 2,
                       what="game %s to run its sent step" % e.game.pid)
            c.s.close()
        obs, _, _, _, info = v.recv()
        check(list(info["frame"]) == [2] * 4, repr(info))


def test_bad_batches_are_refused():
    with make(2) as v:
        v.reset()
        for bad in (np.array([RIGHT]), np.array([RIGHT, 9]),
                    np.array([[1, 2], [3, 4]])):
            try:
                v.step(bad)
                check(False, "accepted %r" % bad)
            except GamehookError as e:
                check(e.code == "range", str(e))
        obs, _, _, _, info = v.step(np.array([RIGHT, RIGHT]))
        check(list(obs["hero.x"]) == [3, 3] and list(info["frame"]) ==
              [2, 2], repr((obs, info)))


def test_a_batch_writing_more_than_the_ptys_hold():
    # As test_env's: each game writes more than its pty holds in a step;
    # the wait drains them all.
    with VectorEnv(2, [DEMO], layout=LAYOUT, seed=3, frame_skip=3000,
                   observe=["game.tick"], timeout=20) as v:
        v.reset()
        _, _, _, _, info = v.step(np.array([NOOP, NOOP]))
        check(list(info["frame"]) == [3001, 3001], repr(info))


def test_a_game_that_dies_is_named_and_relaunched_by_reset():
    # One of two games killed: the batch raises naming it (the other's
    # step is dropped, not left in flight), reset() launches it again and
    # both play on.
    with make(2, timeout=20) as v:
        v.reset()
        v.step(np.array([RIGHT, RIGHT]))
        pid0, pid1 = v.envs[0].game.pid, v.envs[1].game.pid
        os.kill(pid0, 9)
        try:
            v.step(np.array([RIGHT, RIGHT]))
            check(False, "a batch with a dead game returned")
        except ConnectionError as e:
            check("game 0 (pid %d)" % pid0 in str(e), str(e))
        obs, info = v.reset()
        check(v.envs[0].game.pid != pid0 and v.envs[1].game.pid == pid1 and
              list(obs["hero.x"]) == [2, 2] and list(info["frame"]) ==
              [1, 1], repr((obs, info)))
        obs, _, _, _, _ = v.step(np.array([RIGHT, RIGHT]))
        check(list(obs["hero.x"]) == [3, 3], repr(obs))


def test_both_vectors_take_both_spellings_of_the_autoreset_mode():
    # VectorEnv and RemoteVectorEnv share one base (gamehook.vecbase):
    # each takes Gymnasium's spellings ("SameStep", its enum) and snake
    # case ("same_step", "next-step") alike, gives Gymnasium's values in
    # metadata, and refuses anything else with a usage error.
    from gamehook.remote_vector import RemoteVectorEnv
    from gamehook.vecbase import BatchedEnv
    check(issubclass(VectorEnv, BatchedEnv) and
          issubclass(RemoteVectorEnv, BatchedEnv), "one base")
    for given, want in (("same_step", SAME_STEP), ("SameStep", SAME_STEP),
                        ("next-step", NEXT_STEP), ("NextStep", NEXT_STEP),
                        (SAME_STEP, SAME_STEP), (None, NEXT_STEP)):
        r = object.__new__(RemoteVectorEnv)
        r._setup(2, None, given)
        check(r.autoreset_mode == want, "remote %r: %r" % (
            given, r.autoreset_mode))
    with make(2, autoreset_mode="SameStep") as v:
        check(v.metadata["autoreset_mode"] == SAME_STEP, repr(v.metadata))
        v.reset()
        a = np.array([RIGHT, RIGHT])
        v.step(a)
        obs, rew, term, _, infos = v.step(a)
        check(list(term) == [True, True] and list(obs["hero.x"]) == [2, 2]
              and infos["_final_obs"].all(), repr((obs, term, infos)))
    for cls in (VectorEnv, RemoteVectorEnv):
        try:
            object.__new__(cls)._setup(2, None, "every_step")
            check(False, "%s took every_step" % cls.__name__)
        except GamehookError as e:
            check(e.code == "usage" and "next_step or same_step" in str(e),
                  str(e))
