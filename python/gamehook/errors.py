"""gamehook's exceptions and the error codes of the shim's replies."""


class GamehookError(Exception):
    """An err reply: .code (e.g. "field", "state") and the message."""

    def __init__(self, code, message):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message


# The codes a GamehookError can carry: the names of the shim's error code
# table (common/errcode.c), in its order; a test holds the two together.
ERROR_CODES = ("auth", "unknown", "usage", "range", "state", "full", "layout",
               "field", "set", "trace", "toolong", "binary", "unsupported",
               "memory", "snapshot")
