"""The Python launcher starts a game on a pseudo-terminal without forking
its caller: no fork handler of the caller's libraries runs (gRPC's child
handler once waited forever on a lock another thread held, which hung a
test that launched a local game beside remote ones; Python's own at-fork
hooks stand in for it here, since they run exactly when a fork does), and
the game still gets its own session with the pty as its controlling
terminal, the shim preloaded, and SIGPIPE at its default, through
`hookctl tty-exec` and through the Python trampoline used when no hookctl
is found; the trampoline itself runs without the shim."""
import json
import os
import subprocess
import sys
import tempfile

from gh import ROOT, check

DEMO = os.path.join(ROOT, "build", "demo-game")

PROBE = r"""
import json, os, sys
sys.path.insert(0, os.path.join(%(root)r, "python"))
import gamehook
from gamehook import launch
forks = []
os.register_at_fork(after_in_child=lambda: os.write(%(fd)d, b"forked\n"))
if %(no_hookctl)r:
    def missing():
        raise gamehook.GamehookError("launch", "hookctl not found")
    launch.find_hookctl = missing
g = gamehook.Game.launch([%(demo)r], lockstep=True, seed=3)
pid = json.loads(g.command("hello"))["pid"]
stat = open("/proc/%%d/stat" %% pid).read().rsplit(")", 1)[1].split()
status = open("/proc/%%d/status" %% pid).read()
ign = int(status.split("SigIgn:")[1].split()[0], 16)
maps = open("/proc/%%d/maps" %% pid).read()
print(json.dumps({"pid": pid, "session": int(stat[3]),
                  "tty_nr": int(stat[4]), "tpgid": int(stat[5]),
                  "sigpipe_ignored": bool(ign & (1 << 12)),
                  "shim": "libhook.so" in maps,
                  "step": g.command("step 2"),
                  "fd0": os.readlink("/proc/%%d/fd/0" %% pid)}))
g.close()
"""


def probe(no_hookctl):
    with tempfile.TemporaryDirectory() as d:
        mark = os.path.join(d, "forks")
        fd = os.open(mark, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            r = subprocess.run(
                ["/usr/bin/python3", "-c", PROBE % {
                    "root": ROOT, "fd": fd, "demo": DEMO,
                    "no_hookctl": no_hookctl}],
                capture_output=True, text=True, timeout=60, pass_fds=(fd,))
        finally:
            os.close(fd)
        check(r.returncode == 0, "probe: %s %s" % (r.stdout, r.stderr))
        with open(mark) as f:
            forked = f.read()
    return json.loads(r.stdout.strip().splitlines()[-1]), forked


def check_game(got, forked, how):
    check(forked == "", "%s: the launch forked the caller (its at-fork "
          "hooks ran: %r)" % (how, forked))
    check(got["session"] == got["pid"], "%s: not a session of its own: %r"
          % (how, got))
    check(got["tty_nr"] != 0 and got["tpgid"] == got["pid"],
          "%s: no controlling terminal, or not its foreground: %r" %
          (how, got))
    check(got["fd0"].startswith("/dev/pts/"), "%s: stdin %s" %
          (how, got["fd0"]))
    check(got["shim"] and got["step"] == "2", "%s: the shim did not run the "
          "game: %r" % (how, got))
    check(not got["sigpipe_ignored"], "%s: SIGPIPE ignored in the game" %
          how)


def test_hookctl_trampoline_gives_the_terminal_without_a_fork():
    got, forked = probe(no_hookctl=False)
    check_game(got, forked, "hookctl tty-exec")


def test_python_trampoline_when_no_hookctl():
    got, forked = probe(no_hookctl=True)
    check_game(got, forked, "python trampoline")


def test_trampoline_runs_without_the_shim():
    sys.path.insert(0, os.path.join(ROOT, "python"))
    from gamehook import launch
    for hk in (os.path.join(ROOT, "build", "hookctl"), ""):
        cmd, env = launch.tty_trampoline(0, DEMO, ["demo"], {
            "LD_PRELOAD": "/x/libhook.so", "A": "1"}, hookctl=hk)
        check("LD_PRELOAD" not in env and env["A"] == "1",
              "trampoline env %r" % env)
        check("/x/libhook.so" in cmd and cmd[-2:] == [DEMO, "demo"],
              "trampoline command %r" % cmd)


def test_tty_exec_refuses_bad_use_clearly():
    hk = os.path.join(ROOT, "build", "hookctl")
    for args, why in ((["tty-exec"], "usage"),
                      (["tty-exec", "x", "", "/bin/true", "true"],
                       "not a descriptor"),
                      (["tty-exec", "0", "", "/nonexistent", "n"],
                       "TIOCSCTTY")):
        r = subprocess.run([hk] + args, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=10)
        check(r.returncode == 127 and why in r.stderr,
              "hookctl %s: %d %r" % (" ".join(args), r.returncode, r.stderr))
