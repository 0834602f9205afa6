"""Launching games under the shim: common/launch.c's rules, one for one
(README, "What a launched game gets")."""
import os
import struct
import subprocess
import sys

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


def find_hookctl():
    """hookctl, whose `hookctl xvfb` keeps a headless game's X server: in
    the tree, build/hookctl beside python/; installed, PREFIX/bin/hookctl
    (the package being in PREFIX/lib/gamehook/python/); else on PATH."""
    import shutil
    for cand in (os.path.join(_top, "build", "hookctl"),
                 os.path.join(_top, "..", "..", "bin", "hookctl")):
        if os.access(cand, os.X_OK):
            return os.path.abspath(cand)
    found = shutil.which("hookctl")
    if found:
        return found
    raise GamehookError("launch", "hookctl not found: a headless game needs "
                        "it (hookctl xvfb keeps its X server)")


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


def launch_env(base=None, hook=None, shim=None, env=None, unset=(), pty=True,
               headless=False, display=None, xauthority=None):
    """The environment a launched game gets (README, "What a launched game
    gets"; common/launch.c): BASE (a dict or NAME=VALUE list; None: this
    process's environment) less the shim's variables; TERM=xterm on a pty
    with no TERM; the HOOK settings, and HEADLESS its private X server's
    DISPLAY and XAUTHORITY (when known), LIBGL_ALWAYS_SOFTWARE=1,
    HOOK_HEADLESS=1 and no WAYLAND_DISPLAY; LD_PRELOAD the shim first,
    then the base's other libraries; ENV set and UNSET removed, last. An
    ordered dict: a variable set again keeps its place."""
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
    if headless:
        if display is not None:
            e["DISPLAY"] = display
        if xauthority is not None:
            e["XAUTHORITY"] = xauthority
        e["LIBGL_ALWAYS_SOFTWARE"] = "1"
        e["HOOK_HEADLESS"] = "1"
        e.pop("WAYLAND_DISPLAY", None)
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


def start_xvfb():
    """A private X server for one game, kept by `hookctl xvfb` (the keeper
    common/headless.c writes once for both launchers): returns (keeper,
    display, xauthority). Write the game's pid and a newline to
    keeper.stdin, then close it: the server ends when the game does.
    Closing it without a pid ends the server at once."""
    keeper = subprocess.Popen([find_hookctl(), "xvfb"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL,
                              start_new_session=True)
    line = keeper.stdout.readline().decode(errors="replace").rstrip("\n")
    keeper.stdout.close()
    if not line.startswith("ok :") or " " not in line[3:]:
        keeper.stdin.close()
        keeper.wait()
        raise GamehookError("launch", line[4:] if line.startswith("err ")
                            else "the X server's keeper ended without a "
                            "display")
    display, xauth = line[3:].split(" ", 1)
    return keeper, display, xauth


def _watch(keeper, pid):
    """Hand the game's PID to the keeper (headless.c's headless_watch)."""
    try:
        keeper.stdin.write(b"%d\n" % pid)
        keeper.stdin.close()
    except OSError:
        pass


def spawn(argv, hook=None, shim=None, env=None, unset=(), cwd=None,
          size=(80, 24), clean=None, stdio=None, stdin_null=False,
          pass_fds=(), headless=False):
    """Start ARGV by the launcher's rules; returns (Popen, pty master fd or
    None). SIZE (cols, rows): a pseudo-terminal of its own of that size as
    its controlling terminal and standard descriptors, in a session of its
    own; None: /dev/null in a session of its own (stdio="inherit": this
    process's descriptors). CLEAN: start from exactly that environment (a
    trace's recorded one) instead of this process's. What keeps the game
    from starting (a directory, a program, a size) raises GamehookError
    before anything starts. HEADLESS: on a private X server (Xvfb) of its
    own, which ends when the game does (the Popen's .keeper is its keeper
    process: wait() on it to know the server is gone)."""
    import shutil
    pty = size is not None and stdio != "inherit"
    e = launch_env(clean, hook=hook, shim=shim, env=env, unset=unset, pty=pty,
                   headless=headless)
    if cwd is not None and not os.path.exists(cwd):
        raise GamehookError("launch", "directory %s: No such file or "
                            "directory" % cwd)
    if cwd is not None and not os.path.isdir(cwd):
        raise GamehookError("launch", "%s: not a directory" % cwd)
    if pty and not all(1 <= int(n) <= 9999 for n in size):
        raise GamehookError("launch", "terminal size %sx%s: 1 to 9999 each"
                            % tuple(size))
    if headless and shutil.which("Xvfb") is None:
        raise GamehookError("launch", "Xvfb: not found in PATH (headless "
                            "games need Debian's xvfb package)")
    path = resolve(argv[0], e, cwd)
    keeper = None
    if headless:
        keeper, display, xauth = start_xvfb()
        e = launch_env(clean, hook=hook, shim=shim, env=env, unset=unset,
                       pty=pty, headless=True, display=display,
                       xauthority=xauth)
    try:
        proc, master = _start(argv, path, e, cwd, pty, size, stdio,
                              stdin_null, pass_fds)
    except BaseException:
        if keeper is not None:
            _watch(keeper, 0)   # no game: the server ends now
            keeper.wait()
        raise
    proc.keeper = keeper
    if keeper is not None:
        _watch(keeper, proc.pid)
    return proc, master


# The trampoline when hookctl is not at hand (a pip-installed package).
_TTY_EXEC = """import os, sys, fcntl, signal, termios
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
os.setsid()
fcntl.ioctl(int(sys.argv[1]), termios.TIOCSCTTY, 0)
if sys.argv[2]:
    os.environ["LD_PRELOAD"] = sys.argv[2]
os.execv(sys.argv[3], sys.argv[4:])
"""


def tty_trampoline(ctty, path, argv, env, hookctl=None):
    """The command and environment that start PATH (ARGV) in a session of
    its own with descriptor CTTY's terminal as its controlling terminal:
    `hookctl tty-exec` (HOOKCTL, else found), or a Python interpreter
    where no hookctl is found. The trampoline runs without the shim
    (ENV's LD_PRELOAD is handed over and set just before the game)."""
    genv = dict(env)
    preload = genv.pop("LD_PRELOAD", "")
    if hookctl is None:
        try:
            hookctl = find_hookctl()
        except GamehookError:
            hookctl = ""
    if hookctl:
        return [hookctl, "tty-exec", str(ctty), preload, path] + \
            list(argv), genv
    return [sys.executable, "-I", "-S", "-c", _TTY_EXEC, str(ctty), preload,
            path] + list(argv), genv


def _start(argv, path, e, cwd, pty, size, stdio, stdin_null, pass_fds):
    """spawn()'s start of the game itself: (Popen, master or None)."""
    import fcntl
    import termios
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
        # No pre-exec function (a fork then runs the fork handlers of every
        # library this process holds, and gRPC's child handler can wait
        # forever on a lock another thread held): the child is started by
        # vfork and a trampoline gives it its controlling terminal.
        tramp, genv = tty_trampoline(ctty, path, argv, e)
        proc = subprocess.Popen(
            tramp, env=genv, cwd=cwd,
            stdin=subprocess.DEVNULL if stdin_null else slave, stdout=slave,
            stderr=slave, pass_fds=pass_fds)
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    return proc, master
