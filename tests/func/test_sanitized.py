"""The programs built under AddressSanitizer and UBSan (build/san, which
tests/run.py builds before the functional tests) run clean on real work:
the sanitized dumper reads the golden trace and its damaged copies with the
same output and exit status as the plain build, and the sanitized hookctl
launches the demo game, steps, reads and watches it and stops it; any
sanitizer report fails the test (reports go to log files the test reads, and
a planted report proves the check sees them)."""
import glob
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "lib"))
from gh import BUILD, DEMO, ROOT, Game, check  # noqa: E402

SAN = os.path.join(BUILD, "san")
GOLDEN = os.path.join(ROOT, "tests", "golden")
LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")


def _san_env(logdir):
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "log_path=%s/asan:detect_leaks=1" % logdir
    env["UBSAN_OPTIONS"] = "log_path=%s/ubsan:print_stacktrace=1" % logdir
    return env


def _reports(logdir):
    out = []
    for p in sorted(glob.glob(os.path.join(logdir, "*"))):
        with open(p, errors="replace") as f:
            out.append(p + ":\n" + f.read()[-3000:])
    return out


def _program(name):
    p = os.path.join(SAN, name)
    check(os.access(p, os.X_OK), "%s not built (tests/run.py builds build/san)" % p)
    return p


def test_a_planted_report_is_seen():
    # The check below must be able to fail: a sanitized unit test binary
    # made to overflow writes a report where _reports looks.
    src = "int main(int c, char **v) { char b[4]; volatile int i = c + 3; b[i] = 1; return b[0]; }\n"
    with tempfile.TemporaryDirectory() as d:
        c = os.path.join(d, "o.c")
        with open(c, "w") as f:
            f.write(src)
        exe = os.path.join(d, "o")
        subprocess.run(["cc", "-fsanitize=address,undefined", "-o", exe, c],
                       check=True)
        logs = os.path.join(d, "logs")
        os.mkdir(logs)
        subprocess.run([exe], env=_san_env(logs), capture_output=True)
        r = _reports(logs)
        check(r and "stack-buffer-overflow" in r[0], "planted overflow not reported: %r" % r)


def test_dumper_under_sanitizers_matches_plain_build():
    dumper = _program("dumper")
    plain = os.path.join(BUILD, "dumper")
    trace = os.path.join(GOLDEN, "demo.trace")
    with open(trace, "rb") as f:
        data = f.read()
    with tempfile.TemporaryDirectory() as d:
        logs = os.path.join(d, "logs")
        os.mkdir(logs)
        # The good trace, then damaged copies: cut, a flipped payload bit,
        # garbage in front, and the first half alone.
        copies = {"good": data, "cut": data[:len(data) - 37],
                  "bit": data[:900] + bytes([data[900] ^ 0x10]) + data[901:],
                  "garbage": b"GHR1" + os.urandom(200) + data,
                  "half": data[:len(data) // 2]}
        for name, blob in copies.items():
            p = os.path.join(d, name + ".trace")
            with open(p, "wb") as f:
                f.write(blob)
            for args in (["info", p], ["cat", p], ["cat", "--delta", p],
                         ["verify", p], ["cat", "--from", "60", "--to", "90", p]):
                a = subprocess.run([dumper] + args, capture_output=True,
                                   env=_san_env(logs), timeout=120)
                b = subprocess.run([plain] + args, capture_output=True, timeout=60)
                check(a.returncode == b.returncode,
                      "%s %s: exit %d under sanitizers, %d plain\n%s" % (
                          name, args[0], a.returncode, b.returncode, a.stderr[-2000:]))
                check(a.stdout == b.stdout, "%s %s: output differs" % (name, args))
        r = _reports(logs)
        check(not r, "sanitizer reports:\n" + "\n".join(r))


def test_hookctl_under_sanitizers_drives_the_demo():
    hookctl = _program("hookctl")
    with tempfile.TemporaryDirectory() as d, \
            Game([DEMO], lockstep=True,
                 env={"HOOK_LAYOUT": LAYOUT, "HOOK_SEED": "3"}) as g:
        g.connect().close()
        logs = os.path.join(d, "logs")
        os.mkdir(logs)
        env = _san_env(logs)

        def ctl(*args, input=None):
            return subprocess.run([hookctl, "-s", g.sock] + list(args),
                                  input=input, capture_output=True, text=True,
                                  env=env, timeout=60)
        r = ctl("step", "30")
        check(r.returncode == 0 and r.stdout.strip() == "30", "step: %r" % (r,))
        r = ctl("get", "hero.hp")
        check(r.returncode == 0 and int(r.stdout) > 0, "get: %r" % (r,))
        r = ctl("nosuchcommand")
        check(r.returncode == 1 and "unknown" in r.stderr, "unknown: %r" % (r,))
        # A script on standard input, and a raw get of the whole state.
        r = ctl(input="key right\nstep 5\nget\nscreen\n")
        check(r.returncode == 0 and '"hero"' in r.stdout, "script: %r" % (r,))
        r = ctl("detach")
        check(r.returncode == 0, "detach: %r" % (r,))
        r = ctl("hello")
        check(r.returncode == 2, "the game still answers after detach: %r" % (r,))
        check(g.alive(), "the game died")
        rep = _reports(logs)
        check(not rep, "sanitizer reports:\n" + "\n".join(rep))
