"""gamehook's Python package: drive games under the shim from Python.

    from gamehook import Game
    with Game.launch(["build/demo-game"], layout="demo-game/demo-game.layout.json",
                     seed=7) as g:
        obs = g.step(10, observe=["hero.hp", "entities.x"])

    from gamehook import GameEnv            # Gymnasium's interface
    env = GameEnv(["build/demo-game"], layout="demo-game/demo-game.layout.json")
    obs, info = env.reset(seed=7)

Modules: client (Game, the binary control protocol), launch (the
launcher's rules, as common/launch.c), errors, spaces (Gymnasium's spaces
when gymnasium is missing), observe (the layout -> spaces mapping), env
(GameEnv), vector (VectorEnv), scenario (scenario files).
"""
from .errors import GamehookError, ERROR_CODES
from .launch import find_lib, is_shim_var, launch_env, resolve, spawn
from .client import Game, Observation, MAGIC, VERSION
from . import spaces
from .scenario import Scenario
from .observe import Observer, State
from .env import GameEnv
from .vector import VectorEnv

__all__ = ["Game", "Observation", "GamehookError", "ERROR_CODES", "MAGIC",
           "VERSION", "find_lib", "is_shim_var", "launch_env", "resolve",
           "spawn", "spaces", "Scenario", "GameEnv", "Observer", "State",
           "VectorEnv"]

# Traces as data (trace.py): frames as dumper cat's dicts, columns as numpy.
from .trace import read_trace, TraceReader, TraceError  # noqa: E402
__all__ += ["read_trace", "TraceReader", "TraceError"]
