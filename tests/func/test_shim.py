"""The shim itself: it exports exactly its hooks, takes exactly the frame
rules its README lists, never writes to the game's terminal, leaves a game
playing as it would without it, and is safe when other libraries'
constructors call its hooks before or after its own constructor ran."""
import json
import os
import re
import shutil
import subprocess
import tempfile

from gh import (BUILD, DEMO, LIB, PROGS, ROOT, Game, cc, check, hookctl, screen, status,
                wait_until)


def exported_functions(lib):
    """The functions a shared object exports (nm -D)."""
    syms = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True,
                          text=True, check=True).stdout
    return {l.split()[-1] for l in syms.splitlines() if l.split()[1] in "TW"}


def map_globals(path):
    """The names a version script lists as global."""
    body = open(path).read().split("global:")[1].split("local:")[0]
    return set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", body))


def test_exports_exactly_the_hooks():
    # The EXPORT-marked definitions in the shim's sources, the generated
    # version script and the library's dynamic symbols are one set.
    # Found in the preprocessed sources, so hooks a macro defines count too
    # (EXPORT expands to exactly this; system headers spell it otherwise).
    mark = re.compile(r'__attribute__\(\(visibility\("default"\)\)\)\s+'
                      r'[^(;{]*?\b(\w+)\s*\(')
    label = re.compile(r'\b(\w+)\s*\([^();{]*\)\s*__asm__\s*\(\s*"(\w+)"\s*\)')
    marked = set()
    for name in sorted(os.listdir(os.path.join(ROOT, "shim"))):
        if name.endswith(".c"):
            text = subprocess.run(
                ["cc", "-E", "-D_GNU_SOURCE", "-I", BUILD, "-I",
                 os.path.join(BUILD, "gen"), "-I", os.path.join(ROOT, "common"),
                 os.path.join(ROOT, "shim", name)],
                capture_output=True, text=True, check=True).stdout
            found = set(mark.findall(text))
            # A hook named for the linker (__asm__("scanf"): glibc's
            # headers may rename the C name) exports that name.
            for cname, sym in label.findall(text):
                if cname in found:
                    found.discard(cname)
                    found.add(sym)
            marked |= found
    check({"nanosleep", "wgetch", "__libc_start_main"} <= marked,
          "EXPORT-marked hooks not found in shim/: %r" % sorted(marked))
    wanted = map_globals(os.path.join(BUILD, "libhook.map"))
    exported = exported_functions(LIB)
    check(marked == wanted == exported,
          "marked but not in the map %r, in the map but not marked %r, "
          "exported but not in the map %r, in the map but not exported %r" % (
              sorted(marked - wanted), sorted(wanted - marked),
              sorted(exported - wanted), sorted(wanted - exported)))


def test_a_hook_missing_from_the_map_is_caught():
    # A new EXPORT-marked hook enters the generated version script by itself,
    # and a library linked from a map that lacks it fails the check the
    # build runs after linking (scripts/exports.sh, as the Makefile calls it).
    script = os.path.join(ROOT, "scripts", "exports.sh")
    with tempfile.TemporaryDirectory() as d:
        obj = cc(d, "probe", '#include "shim.h"\n'
                 "int probe_helper(void);\n"
                 "int probe_helper(void) { return 2; }\n"
                 "EXPORT int\nprobe_hook(void)\n{\n\treturn probe_helper();\n}\n"
                 "EXPORT int probe_other(void) { return 3; }\n",
                 "-c", "-fPIC", "-fvisibility=hidden", "-I", os.path.join(ROOT, "shim"),
                 "-o", os.path.join(d, "probe.o"))
        gen = subprocess.run(["sh", script, "map", obj], capture_output=True,
                             text=True, check=True).stdout
        mapfile = os.path.join(d, "probe.map")
        with open(mapfile, "w") as f:
            f.write(gen)
        check(map_globals(mapfile) == {"probe_hook", "probe_other"},
              "generated map lists %r" % sorted(map_globals(mapfile)))

        def link(version_script):
            so = os.path.join(d, "probe.so")
            subprocess.run(["cc", "-shared", "-o", so, obj,
                            "-Wl,--version-script=" + version_script], check=True)
            return so, subprocess.run(["sh", script, "check", so, mapfile],
                                      capture_output=True, text=True)

        so, ok = link(mapfile)
        check(ok.returncode == 0 and exported_functions(so) == {"probe_hook", "probe_other"},
              "generated map: check %d %s, exported %r" % (
                  ok.returncode, ok.stderr, sorted(exported_functions(so))))
        stale = os.path.join(d, "stale.map")
        with open(stale, "w") as f:
            f.write("{ global: probe_other; local: *; };\n")
        so, bad = link(stale)
        check(bad.returncode != 0 and "listed, not exported: probe_hook" in bad.stderr,
              "a library missing probe_hook passed the check: %d %r" % (
                  bad.returncode, bad.stderr))


def test_frame_rules_are_one_table():
    # The HOOK_FRAME names the shim accepts, those its error message lists
    # and those the README's HOOK_FRAME row names are one set; each is taken,
    # and `info` reports a rule by its first name (an alias by its rule's).
    d = tempfile.mkdtemp(dir=BUILD)
    try:
        r = hookctl("run", "--frame", "bogus", "-s", os.path.join(d, "s.sock"),
                    "--", PROGS + "/worker-clock")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    m = re.search(r"HOOK_FRAME: unknown frame rule 'bogus' \(([A-Za-z_, ]+)\)", r.stderr)
    check(r.returncode == 2 and m, r)
    listed = m.group(1).split(", ")
    check(len(set(listed)) == len(listed) and "auto" in listed, listed)
    row = [l for l in open(os.path.join(ROOT, "README.md")).read().splitlines()
           if l.startswith("| `HOOK_FRAME` |")]
    check(len(row) == 1, "README has %d HOOK_FRAME rows" % len(row))
    documented = re.findall(r"`([A-Za-z_]+)`", row[0].split("|")[2])
    check(sorted(documented) == sorted(listed),
          "README names %r, the shim takes %r" % (sorted(documented), sorted(listed)))
    shown = {}
    for name in listed:
        with Game([PROGS + "/worker-clock"], env={"HOOK_FRAME": name}) as g:
            shown[name] = json.loads(g.connect().ok("info"))["frame_rule"]
    check(all(shown.get(v) == v for v in shown.values()),
          "info names rules by names it does not report as themselves: %r" % shown)
    check(shown["ppoll"] == "poll" and shown["refresh"] == "doupdate" and
          shown["auto"] == "auto", shown)


def test_nothing_written_to_the_terminal():
    with Game([PROGS + "/worker-clock"], lockstep=True) as g:
        c = g.connect()
        c.ok("step 5")
        c.cmd("bogus")
        g.wait_output(r"frame 5 at 50")
        lines = g.text().splitlines()
        check(all(re.match(r"^(frame|worker) \d+ at \d+\r?$", l) for l in lines),
              "foreign output on the terminal: %r" % lines)
        check("driving" in open(g.log).read(), "the log is where the shim writes")


def test_demo_plays_the_same_with_and_without_the_shim():
    # The same keys on the real keyboard: the game quits cleanly both ways,
    # having drawn its status line.
    for shim in (False, True):
        with Game([DEMO, "--seed", "9"], shim=shim) as g:
            g.wait_output(r"HP 100/100")
            g.wait_output(r"Regen [1-9]")
            g.type_real(b"q")
            wait_until(lambda: not g.alive(), what="quit")
            check(g.proc.returncode == 0, "status %r with shim=%r" % (g.proc.returncode, shim))


def test_run_mode_keeps_real_time():
    with Game([DEMO, "--seed", "9"]) as g:
        c = g.connect()
        t0 = status(screen(c))["tick"]
        import time
        time.sleep(1.0)
        t1 = status(screen(c))["tick"]
        check(15 <= t1 - t0 <= 45, "%d ticks in 1 s at speed 1 (30 Hz game)" % (t1 - t0))


def test_hooks_safe_in_other_constructors():
    lib = PROGS + "/libctor.so"
    for order in ("%s:%s" % (lib, LIB), "%s:%s" % (LIB, lib)):
        with Game([PROGS + "/worker-clock"], lockstep=True,
                  env={"LD_PRELOAD": order}) as g:
            c = g.connect()
            check(c.ok("step 3") == "3", "steps with " + order)
            g.wait_output(r"ctor-ok")


def test_stripped_demo_under_the_shim():
    with Game([DEMO + ".stripped", "--seed", "2"], lockstep=True) as g:
        c = g.connect()
        c.ok("step 30")
        st = status(screen(c))
        check(st["tick"] >= 30, st)
        check(json.loads(c.ok("hello"))["build_id"] != "", "build id read from memory")
