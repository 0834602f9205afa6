#!/usr/bin/python3
"""gamehook's test runner: the C unit tests (also built with sanitizers) and
the functional tests in tests/func. Every case prints `ok NAME` or
`FAIL NAME: why`; the last line is `N passed, N failed`."""
import glob
import importlib.util
import os
import subprocess
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

passed = 0
failed = 0
failures = []


def report(name, ok, why=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok   " + name, flush=True)
    else:
        failed += 1
        failures.append(name)
        print("FAIL " + name + ": " + why, flush=True)


def run_unit(binary, label):
    """Run one C unit test binary and take its ok/FAIL lines."""
    try:
        p = subprocess.run([binary], capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        report(label, False, "timed out")
        return
    cases = 0
    for line in p.stdout.splitlines():
        if line.startswith("ok "):
            report(label + ":" + line[3:].strip(), True)
            cases += 1
        elif line.startswith("FAIL "):
            report(label + ":" + line[5:].strip(), False, "")
            cases += 1
    if cases == 0 or p.returncode != 0:
        report(label, False, "exit status %d, %d cases\n%s%s" % (
            p.returncode, cases, p.stdout[-2000:], p.stderr[-2000:]))


# A test that has not finished after this many seconds is stopped: its
# module's child prints every thread's stack and exits, the test is
# reported failed and the run goes on (a hang once used up CI's 90 minutes).
TEST_TIMEOUT = float(os.environ.get("GH_TEST_TIMEOUT", "600"))


def child(path, only, fd):
    """In a child process: run every test_* function of one module, writing
    one JSON line per result to descriptor FD."""
    import faulthandler
    import json
    out = os.fdopen(fd, "w", buffering=1)

    def say(**kw):
        out.write(json.dumps(kw) + "\n")

    spec = importlib.util.spec_from_file_location(
        os.path.basename(path)[:-3], path)
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)
    except Exception:
        say(label=os.path.basename(path), ok=False,
            why=traceback.format_exc())
        return 0
    for name in sorted(n for n in dir(mod) if n.startswith("test_")):
        label = os.path.basename(path)[:-3] + "." + name
        if only and not any(o in label for o in only):
            continue
        say(start=label)
        faulthandler.dump_traceback_later(TEST_TIMEOUT, exit=True)
        t0 = time.monotonic()
        try:
            getattr(mod, name)()
            say(label=label + " (%.1fs)" % (time.monotonic() - t0), ok=True)
        except Exception:
            say(label=label, ok=False, why=traceback.format_exc())
        faulthandler.cancel_dump_traceback_later()
    return 0


def run_func(path, only):
    """Run one functional test module in a child process, so that a test
    that hangs or kills its interpreter fails alone."""
    import json
    rfd, wfd = os.pipe()
    p = subprocess.Popen([sys.executable, os.path.abspath(__file__),
                          "--child", path, str(wfd)] + list(only),
                         pass_fds=(wfd,), stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    os.close(wfd)
    import threading
    state = {"running": None}
    errbuf = []

    def read_results():
        with os.fdopen(rfd) as results:
            for line in results:
                r = json.loads(line)
                if "start" in r:
                    state["running"] = r["start"]
                    continue
                state["running"] = None
                report(r["label"], r["ok"], r.get("why", ""))

    reader = threading.Thread(target=read_results, daemon=True)
    errt = threading.Thread(target=lambda: errbuf.append(p.stderr.read()),
                            daemon=True)
    reader.start()
    errt.start()
    p.wait()
    # What the test left in its process group goes now, whatever it holds:
    # a process forked from the test and stuck before its exec keeps the
    # results pipe open, and the run would wait on it forever.
    try:
        os.killpg(p.pid, 9)
    except (ProcessLookupError, PermissionError):
        pass
    reader.join(30)
    errt.join(30)
    err = "".join(errbuf)
    running = state["running"]
    if running is not None or p.returncode != 0:
        what = running or os.path.basename(path)
        why = ("did not finish within %gs; the threads' stacks:\n" %
               TEST_TIMEOUT) if "Timeout" in err else \
            "the test process ended (status %d):\n" % p.returncode
        report(what, False, why + err[-20000:])
    elif err:
        sys.stderr.write(err)


def main():
    only = sys.argv[1:]
    os.chdir(ROOT)
    if not only:
        for b in sorted(glob.glob("build/tests/test-*")):
            run_unit(b, "unit/" + os.path.basename(b))
        # Everything built again under AddressSanitizer and UBSan (the
        # programs, tests and benches: a sanitizer build must not rot), and
        # the unit tests run there; tests/func/test_sanitized.py drives the
        # sanitized programs.
        r = subprocess.run(["make", "-s", "-j2", "B=build/san",
                            "SANITIZE=address,undefined", "all", "tests",
                            "benches"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            report("sanitize-build", False, r.stdout[-3000:] + r.stderr[-3000:])
        else:
            for b in sorted(glob.glob("build/san/tests/test-*")):
                run_unit(b, "asan+ubsan/" + os.path.basename(b))
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "func", "test_*.py"))):
        mod = os.path.basename(path)[:-3]
        # (a filter naming MODULE.TEST runs no other module)
        if only and all("." in o and not (mod + ".").endswith(
                o.split(".")[0] + ".") for o in only):
            continue
        run_func(path, only)
    if failures:
        print("\nfailed:\n  " + "\n  ".join(failures))
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        sys.exit(child(sys.argv[2], sys.argv[4:], int(sys.argv[3])))
    sys.exit(main())
