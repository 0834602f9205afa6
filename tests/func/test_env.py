"""gamehook.GameEnv drives the demo game through Gymnasium's API: a random
agent passes a checker modelled on gymnasium's env_checker (spaces,
reset/step types, observations inside the space, reset(seed=) repeating
episodes and reseeding np_random); observations are the layout's arrays
with the blob's values, the screen's characters or the raw blob; a
scenario's reward, termination and step limit, and callables instead;
frame_skip; held keys (MultiBinary); in-memory reset keeps the process,
a new seed relaunches; bad observe paths, scenarios and actions raise
clear errors; and where gymnasium is importable GameEnv subclasses
gymnasium.Env and builds gymnasium.spaces (shown with a stand-in
gymnasium module put on sys.path for that one check)."""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from gh import ROOT, check
import envcheck
import gamehook
from gamehook import GameEnv, GamehookError, spaces

DEMO = os.path.join(ROOT, "build", "demo-game")
LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")
RIGHT = 2   # DEFAULT_ACTIONS: [], left, right, up, down, space, enter


def make(**kw):
    kw.setdefault("layout", LAYOUT)
    kw.setdefault("seed", 5)
    return GameEnv([DEMO], **kw)


def test_random_agent_passes_the_checker():
    scen = os.path.join(ROOT, "demo-game", "demo-game.scenario.json")
    with make(render_mode="ansi", scenario=scen) as env:
        check(spaces.backend() is spaces, "gymnasium is importable here; "
              "this test expects gamehook.spaces")
        check(isinstance(env.observation_space, spaces.Dict) and
              isinstance(env.action_space, spaces.Discrete) and
              env.action_space.n == len(gamehook.env.DEFAULT_ACTIONS),
              "%r %r" % (env.observation_space, env.action_space))
        check(env.max_steps == 3000 and env.scenario.variables ==
              ["hero.score", "hero.hp", "game.state"], "demo scenario")
        n = envcheck.check_env(env, spaces, steps=60)
        check(n == 60, "%d steps" % n)
        text = env.render()
        check(text.splitlines()[0].startswith("HP "), repr(text[:80]))


def test_observations_are_the_layouts_arrays():
    with make() as env:
        obs, info = env.reset()
        sp = env.observation_space
        check(sp["hero.hp"].dtype == np.int32 and sp["hero.hp"].shape == ()
              and sp["entities.x"].shape == (64,) and
              sp["game.regen_seen"].dtype == np.uint64 and
              sp["game.tick"].dtype == np.uint32 and
              sp["first_message.text"].shape == (56,) and
              sp["first_message.text"].dtype == np.uint8, repr(sp))
        check(info["frame"] == 1 and info["steps"] == 0 and
              "vtime_ns" in info and "unreadable" in info, repr(info))
        for _ in range(3):
            obs, _, _, _, info = env.step(RIGHT)
        # Every value is what `get` reads at the same boundary.
        g = env.game
        check(int(obs["hero.x"]) == g.get("hero.x") == 5,
              "hero.x %r" % obs["hero.x"])
        whole = g.get()
        count = whole["entity_count"]
        check(list(obs["entities.x"][:count]) ==
              [e["x"] for e in whole["entities"]] and
              not obs["entities.x"][count:].any(), "entities.x %r vs %r" % (
                  obs["entities.x"][:count + 1], whole["entities"]))
        check(int(obs["game.tick"]) == whole["game"]["tick"], "tick")
        text = bytes(obs["first_message.text"]).rstrip(b"\0").decode()
        check(whole["first_message"] is None or
              text == whole["first_message"]["text"], "message %r vs %r"
              % (text, whole["first_message"]))
        # Unreadable fields are named (second_message: one message only).
        check(info["unreadable"] == (["second_message"] if
                                     whole["second_message"] is None else []),
              "unreadable %r" % info["unreadable"])

    with make(observe=["hero", "screen", "raw"]) as env:
        obs, _ = env.reset()
        keys = list(obs)
        check(keys[:10] == ["hero." + m for m in (
            "x", "hp", "max_hp", "gold", "level", "xp", "xp_next", "score",
            "attack", "cooldown")] and keys[10:] == ["screen", "raw"], keys)
        scr = obs["screen"]
        check(scr.shape == (24, 80) and scr.dtype == np.uint32, scr.shape)
        row0 = "".join(map(chr, scr[0])).rstrip()
        check(row0 == env.game.screen()[0], "screen row 0 %r" % row0)
        raw = obs["raw"]
        check(raw.shape == (env.game.state_size,) and
              int(raw[4:8].view("<i4")[0]) == int(obs["hero.hp"]), "raw")
        check(obs in env.observation_space, "not in the space")

    with make(observe="screen") as env:
        obs, _ = env.reset()
        check(isinstance(obs, np.ndarray) and obs.shape == (24, 80) and
              isinstance(env.observation_space, spaces.Box), "screen alone")


def test_scenario_reward_termination_truncation():
    scen = {"reward": {"variables": {"hero.x": {"reward": 1.0}}},
            "done": {"variables": {"hero.x": {"op": ">=", "reference": 10}}}}
    path = os.path.join(tempfile.mkdtemp(), "s.json")
    with open(path, "w") as f:
        json.dump(scen, f)
    with make(scenario=path, observe=["hero.x"]) as env:
        env.reset()
        got = []
        while True:
            obs, r, term, trunc, info = env.step(RIGHT)
            got.append((int(obs["hero.x"]), r, term, trunc))
            if term or trunc:
                break
        check(got == [(x, 1.0, x >= 10, False) for x in range(3, 11)],
              repr(got))
        try:
            env.step(0)
            check(False, "a step after termination was accepted")
        except GamehookError as e:
            check(e.code == "state", str(e))
        obs, _ = env.reset()
        check(int(obs["hero.x"]) == 2, "reset to %r" % obs["hero.x"])
        _, r, _, _, _ = env.step(1)      # left, back: a negative reward
        check(r == -1.0, repr(r))

    # frame_skip: the action held 4 frames, the change summed; a step
    # limit truncates.
    scen["truncate"] = {"max_steps": 2}
    with make(scenario=scen, frame_skip=4, observe=["hero.x"]) as env:
        env.reset()
        o1, r1, t1, tr1, _ = env.step(RIGHT)
        o2, r2, t2, tr2, _ = env.step(RIGHT)
        check((int(o1["hero.x"]), r1, t1, tr1) == (6, 4.0, False, False) and
              (int(o2["hero.x"]), r2, t2, tr2) == (10, 4.0, True, True),
              repr([(o1, r1, t1, tr1), (o2, r2, t2, tr2)]))

    # Callables instead of the scenario's comparisons.
    with make(observe=["hero.x"], reward=lambda prev, s: s.value("hero.x") *
              10.0, terminated=lambda s: s.value("hero.x") == 4,
              max_steps=50) as env:
        env.reset()
        out = [env.step(RIGHT)[1:3] for _ in range(2)]
        check(out == [(30.0, False), (40.0, True)], repr(out))


def test_held_keys_and_reset():
    with make(held_keys=["left", "right"], observe=["hero.x"]) as env:
        check(isinstance(env.action_space, spaces.MultiBinary) and
              env.action_space.shape == (2,), repr(env.action_space))
        env.reset()
        xs = [int(env.step(a)[0]["hero.x"]) for a in
              ([0, 1], [0, 1], [0, 1], [0, 0], [1, 0])]
        check(xs == [3, 4, 5, 5, 4], "held right then released: %r" % xs)
        pid = env.game.pid
        o, _ = env.reset()
        check(env.game.pid == pid and int(o["hero.x"]) == 2,
              "in-memory reset: pid %r -> %r, x %r" % (pid, env.game.pid, o))
        # The held key was released by the reset.
        check(int(env.step([0, 0])[0]["hero.x"]) == 2, "key still held")
        o, _ = env.reset(seed=11)
        check(env.game.pid != pid, "a new seed did not launch the game")
        pid = env.game.pid
        env.reset(seed=11)
        check(env.game.pid == pid, "the same seed launched it again")


def test_bad_input_is_refused_clearly():
    def fails(code, words, fn):
        try:
            fn()
        except GamehookError as e:
            check(e.code == code and all(w in e.message for w in words),
                  "%s: %s" % (code, e))
            return
        check(False, "no error, expected %s %s" % (code, words))
    fails("field", ["'hero.mana'", "hero.hp"],
          lambda: make(observe=["hero.mana"]))
    fails("scenario", ["reward.variables.hero.x", "'weight'"], lambda: make(
        scenario={"reward": {"variables": {"hero.x": {"weight": 1}}}}))
    fails("scenario", ["done.variables.hero.x.op", "'about'"], lambda: make(
        scenario={"done": {"variables": {"hero.x": {"op": "about"}}}}))
    fails("field", ["'entities.x' is not a scalar"], lambda: make(
        scenario={"reward": {"variables": {"entities.x": {"reward": 1}}}}))
    fails("scenario", ["nothere.json"], lambda: make(scenario="nothere.json"))
    with make(observe=["hero.x"]) as env:
        fails("state", ["reset"], lambda: env.step(0))
        env.reset()
        fails("range", ["Discrete(7)"], lambda: env.step(7))
        fails("range", ["Discrete(7)"], lambda: env.step("left"))
        # The game carries on after refused actions.
        check(int(env.step(RIGHT)[0]["hero.x"]) == 3, "game stuck")


def test_gymnasium_is_used_when_importable():
    # A stand-in gymnasium (Env, spaces as subclasses of gamehook's) on
    # sys.path, in a child process: GameEnv must pick it up.
    d = tempfile.mkdtemp()
    os.makedirs(os.path.join(d, "gymnasium"))
    with open(os.path.join(d, "gymnasium", "__init__.py"), "w") as f:
        f.write("class Env:\n    pass\nfrom . import spaces\n")
    with open(os.path.join(d, "gymnasium", "spaces.py"), "w") as f:
        f.write("from gamehook import spaces as g\n" + "".join(
            "class %s(g.%s):\n    pass\n" % (c, c) for c in (
                "Space", "Box", "Discrete", "MultiBinary", "MultiDiscrete",
                "Dict")))
    code = """
import sys, gymnasium, gamehook
env = gamehook.GameEnv([%r], layout=%r, seed=1)
obs, _ = env.reset()
print(isinstance(env, gymnasium.Env), type(env.observation_space).__module__,
      type(env.observation_space["hero.x"]).__module__,
      type(env.action_space).__module__, obs in env.observation_space)
env.close()
""" % (DEMO, LAYOUT)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True,
                       text=True, timeout=120, env=dict(
                           os.environ, PYTHONPATH=d + ":" + os.path.join(
                               ROOT, "python")))
    check(p.stdout.split() == ["True", "gymnasium.spaces", "gymnasium.spaces",
                               "gymnasium.spaces", "True"],
          "stdout %r stderr %s" % (p.stdout, p.stderr[-800:]))


def test_a_step_writing_more_than_the_pty_holds():
    # 3,000 frames in one step: the demo writes far more to its terminal
    # than a pty buffers (64 KiB); the env drains it while it waits, so
    # the game never blocks on its write.
    with make(frame_skip=3000, observe=["game.tick"], timeout=20) as env:
        env.reset()
        obs, _, _, _, info = env.step(0)
        check(info["frame"] == 3001, repr(info))
        text = "\n".join(env.game.screen())
        check("Tick" in text, text[:200])


def test_the_games_own_methods_still_drain_its_terminal():
    # env.game's own step() writes more than a pty holds too; with the
    # env draining the terminal instead of the Game's thread, the Game's
    # reads must drain it while they wait.
    with make(observe=["game.tick"], timeout=20) as env:
        env.reset()
        o = env.game.step(3000, observe=["game.tick"])
        check(o.frame == 3001, repr(o))
        for _ in range(3):
            env.game.command("step 1000")
        obs, _, _, _, info = env.step(0)
        check(info["frame"] == 6002, repr(info))


def test_server_goes_to_gamehook_remote():
    # GameEnv(server=) and VectorEnv(server=) hand over to gamehook.remote
    # and gamehook.remote_vector (py-remote's modules), whatever this tree
    # has: stand-ins in sys.modules show the routing, None an absent one.
    from gamehook import VectorEnv

    class Stand:
        def __init__(self, *a, **kw):
            self.a, self.kw = a, kw
    names = ("remote", "remote_vector")
    saved = {n: (sys.modules.get("gamehook." + n), getattr(gamehook, n, None))
             for n in names}

    def install(n, mod):
        # `from . import n` takes the package's attribute first.
        sys.modules["gamehook." + n] = mod
        if mod is None:
            if hasattr(gamehook, n):
                delattr(gamehook, n)
        else:
            setattr(gamehook, n, mod)
    try:
        fake = type(sys)("gamehook.remote")
        fake.RemoteGameEnv = Stand
        fakev = type(sys)("gamehook.remote_vector")
        fakev.RemoteVectorEnv = Stand
        install("remote", fake)
        install("remote_vector", fakev)
        e = GameEnv([DEMO], server="box:50051", seed=3, observe="screen")
        check(isinstance(e, Stand) and e.a == ([DEMO],) and e.kw == {
            "server": "box:50051", "seed": 3, "observe": "screen"},
            repr(vars(e)))
        v = VectorEnv(4, [DEMO], server=["a:1", "b:2"], batch_size=2)
        check(isinstance(v, Stand) and v.a == (4, [DEMO]) and v.kw == {
            "server": ["a:1", "b:2"], "batch_size": 2}, repr(vars(v)))
        install("remote", None)
        install("remote_vector", None)
        for make_it, mod in ((lambda: GameEnv([DEMO], server="box:1"),
                              "gamehook.remote"),
                             (lambda: VectorEnv(2, [DEMO], server="box:1"),
                              "gamehook.remote_vector")):
            try:
                make_it()
                check(False, "no error without %s" % mod)
            except GamehookError as err:
                check(err.code == "remote" and mod in err.message and
                      "box:1" in err.message, str(err))
    finally:
        for n, (mod, attr) in saved.items():
            if mod is None:
                sys.modules.pop("gamehook." + n, None)
            else:
                sys.modules["gamehook." + n] = mod
            if attr is None:
                if hasattr(gamehook, n):
                    delattr(gamehook, n)
            else:
                setattr(gamehook, n, attr)



def test_a_game_that_dies_is_launched_again_by_reset():
    # The game killed under the env: the step raises (never hangs), and
    # reset() launches it again.
    with make(observe=["hero.x"], timeout=20) as env:
        env.reset()
        env.step(RIGHT)
        pid = env.game.pid
        os.kill(pid, 9)
        try:
            env.step(RIGHT)
            check(False, "a step of a dead game returned")
        except (ConnectionError, OSError):
            pass
        obs, info = env.reset()
        check(env.game.pid != pid and int(obs["hero.x"]) == 2 and
              info["frame"] == 1, "after reset: pid %r, %r %r" % (
                  env.game.pid, obs, info))
        check(int(env.step(RIGHT)[0]["hero.x"]) == 3, "stepping again")
