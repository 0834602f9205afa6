"""gamehook's Python package: drive games under the shim from Python.

    from gamehook import Game
    with Game.launch(["build/demo-game"], layout="demo-game/demo-game.layout.json",
                     seed=7) as g:
        obs = g.step(10, observe=["hero.hp", "entities.x"])

Modules: client (Game, the binary control protocol), launch (the
launcher's rules, as common/launch.c), errors.
"""
from .errors import GamehookError, ERROR_CODES
from .launch import find_lib, is_shim_var, launch_env, resolve, spawn
from .client import Game, Observation, MAGIC, VERSION

__all__ = ["Game", "Observation", "GamehookError", "ERROR_CODES", "MAGIC",
           "VERSION", "find_lib", "is_shim_var", "launch_env", "resolve",
           "spawn"]
