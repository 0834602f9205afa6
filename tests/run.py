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


def run_func(path, only):
    """Run every test_* function of one functional test module."""
    spec = importlib.util.spec_from_file_location(
        os.path.basename(path)[:-3], path)
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)
    except Exception:
        report(os.path.basename(path), False, traceback.format_exc())
        return
    for name in sorted(n for n in dir(mod) if n.startswith("test_")):
        label = os.path.basename(path)[:-3] + "." + name
        if only and not any(o in label for o in only):
            continue
        t0 = time.monotonic()
        try:
            getattr(mod, name)()
            report(label + " (%.1fs)" % (time.monotonic() - t0), True)
        except Exception:
            report(label, False, traceback.format_exc())


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
        run_func(path, only)
    if failures:
        print("\nfailed:\n  " + "\n  ".join(failures))
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
