"""Closing: what GameEnv, RemoteGameEnv and the vector environments share
as holders of games: a `with` block closes them, and so does the garbage
collector for one forgotten (its game would otherwise run on)."""


class Closing:
    """Mixed in before the environment's base class; the class defines
    close(), which must be safe to call twice."""

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
