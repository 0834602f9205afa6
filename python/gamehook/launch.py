"""Launching games under the shim: common/launch.c's rules, one for one
(README, "What a launched game gets")."""
import os
import struct
import subprocess

from .errors import GamehookError

# The package's directory, and the directory holding it (the tree's python/
# or an install's lib/gamehook/python/): the shim is looked for beside that.
_here = os.path.dirname(os.path.abspath(__file__))
_top = os.path.dirname(os.path.dirname(_here))


def find_lib():
    """The shim: inside the package (pip installs it there); installed as
    lib/gamehook/{libhook.so,python/}; in the tree, build/libhook.so beside
    python/."""
    for cand in (os.path.join(_here, "libhook.so"),
                 os.path.join(_top, "libhook.so"),
                 os.path.join(_top, "build", "libhook.so")):
        if os.path.exists(cand):
            return os.path.abspath(cand)
    raise GamehookError("launch", "libhook.so not found; pass lib=")


def is_shim_var(name):
    """Whether NAME is one of the shim's own variables (HOOK_*, GAMEHOOK_*,
    LD_PRELOAD): never passed from the caller, kept apart in traces."""
    name = name.split("=", 1)[0]
    return (name.startswith("HOOK_") or name.startswith("GAMEHOOK_")
            or name == "LD_PRELOAD")


def _pairs(env):
    if env is None:
        return []
    if hasattr(env, "items"):       # a dict, os.environ
        return list(env.items())
    return [tuple(e.split("=", 1)) for e in env if "=" in e]


def launch_env(base=None, hook=None, shim=None, env=None, unset=(), pty=True):
    """The environment a launched game gets (README, "What a launched game
    gets"; common/launch.c): BASE (a dict or NAME=VALUE list; None: this
    process's environment) less the shim's variables; TERM=xterm on a pty
    with no TERM; the HOOK settings; LD_PRELOAD the shim first, then the
    base's other libraries; ENV set and UNSET removed, last. An ordered
    dict: a variable set again keeps its place."""
    e = {}
    preload = None
    for k, v in _pairs(os.environ if base is None else base):
        if k == "LD_PRELOAD":
            preload = v
        if not is_shim_var(k):
            e[k] = v
    if pty and "TERM" not in e:
        e["TERM"] = "xterm"
    for k, v in _pairs(hook):
        e[k] = str(v)
    if shim is not None:
        import re
        libs = [p for p in re.split(r"[: ]", preload or "")
                if p and os.path.basename(p) != "libhook.so"]
        e["LD_PRELOAD"] = ":".join([shim] + libs)
    for k, v in _pairs(env):
        e[k] = str(v)
    for k in unset:
        e.pop(k, None)
    return e


def resolve(prog, env, cwd=None):
    """PROG's path as the launcher finds it (execvp's way, with ENV's PATH;
    relative to CWD). Raises GamehookError("launch", why)."""
    def executable(p):
        full = p if os.path.isabs(p) or cwd is None else os.path.join(cwd, p)
        return os.path.isfile(full) and os.access(full, os.X_OK)
    if not prog:
        raise GamehookError("launch", "no program to run")
    if "/" in prog:
        if executable(prog):
            return prog
        full = prog if os.path.isabs(prog) or cwd is None else \
            os.path.join(cwd, prog)
        raise GamehookError("launch", "%s: %s" % (full, "not an executable file"
                            if os.path.exists(full) else
                            "No such file or directory"))
    for d in env.get("PATH", "/usr/local/bin:/usr/bin:/bin").split(":"):
        cand = os.path.join(d, prog) if d else prog
        if executable(cand):
            return cand
    raise GamehookError("launch", "%s: not found in PATH" % prog)


def spawn(argv, hook=None, shim=None, env=None, unset=(), cwd=None,
          size=(80, 24), clean=None, stdio=None, stdin_null=False,
          pass_fds=()):
    """Start ARGV by the launcher's rules; returns (Popen, pty master fd or
    None). SIZE (cols, rows): a pseudo-terminal of its own of that size as
    its controlling terminal and standard descriptors, in a session of its
    own; None: /dev/null in a session of its own (stdio="inherit": this
    process's descriptors). CLEAN: start from exactly that environment (a
    trace's recorded one) instead of this process's. What keeps the game
    from starting (a directory, a program, a size) raises GamehookError
    before anything starts."""
    import fcntl
    import termios
    pty = size is not None and stdio != "inherit"
    e = launch_env(clean, hook=hook, shim=shim, env=env, unset=unset, pty=pty)
    if cwd is not None and not os.path.exists(cwd):
        raise GamehookError("launch", "directory %s: No such file or "
                            "directory" % cwd)
    if cwd is not None and not os.path.isdir(cwd):
        raise GamehookError("launch", "%s: not a directory" % cwd)
    if pty and not all(1 <= int(n) <= 9999 for n in size):
        raise GamehookError("launch", "terminal size %sx%s: 1 to 9999 each"
                            % tuple(size))
    path = resolve(argv[0], e, cwd)
    if stdio == "inherit":
        proc = subprocess.Popen(list(argv), executable=path, env=e, cwd=cwd,
                                pass_fds=pass_fds)
        return proc, None
    if not pty:
        proc = subprocess.Popen(list(argv), executable=path, env=e, cwd=cwd,
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL,
                                start_new_session=True, pass_fds=pass_fds)
        return proc, None
    master, slave = os.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ,
                    struct.pack("HHHH", int(size[1]), int(size[0]), 0, 0))
        ctty = 1 if stdin_null else 0

        def controlling_terminal():
            fcntl.ioctl(ctty, termios.TIOCSCTTY, 0)
        proc = subprocess.Popen(
            list(argv), executable=path, env=e, cwd=cwd,
            stdin=subprocess.DEVNULL if stdin_null else slave, stdout=slave,
            stderr=slave, start_new_session=True, pass_fds=pass_fds,
            preexec_fn=controlling_terminal)
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    return proc, master
