"""`make demo`'s controller works without a terminal: it plays the demo game
in lockstep to frame 600, shows what it drew, and the game quits cleanly."""
import os
import subprocess

from gh import ROOT, check


def test_demo_script_without_a_terminal():
    r = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "demo.py")],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=120, start_new_session=True)
    check(r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:])
    check("600 frames stepped" in r.stdout, r.stdout[-2000:])
    check("--- frame 600 (final) ---" in r.stdout and "HP " in r.stdout, "no screen shown")
    check("the game quit with status 0" in r.stdout, r.stdout[-500:])
