"""The demo game's hand-written layout (demo-game/demo-game.layout.json) says
what the game's C code says: every struct type's size and every member's
offset, size and kind agree with what gdb reads from the debug build's DWARF
(build/demo-game.debug, the same sources with -g), no C member is left out,
and every top-level field's symbol exists in build/demo-game with the size
and C type the field claims. So the layout cannot silently drift from the
game. A self-check proves the comparison does fail, naming the member, when
the layout is wrong."""
import copy
import json
import os
import re
import subprocess

from gh import ROOT, check

LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")
DEBUG = os.path.join(ROOT, "build", "demo-game.debug")
GAME = os.path.join(ROOT, "build", "demo-game")

# Layout type name -> the C struct it describes (`struct NAME`).
C_STRUCT = {"Hero": "hero", "Entity": "entity", "Game": "game", "Msg": "msg"}

POINTER_SIZE = 8

# C scalar type names (qualifiers removed) -> dtype kind: i signed, u unsigned,
# f floating, b bool. A type not here is reported, never guessed.
C_KIND = {}
for _n in ("signed char", "short", "short int", "signed short", "int", "signed",
           "signed int", "long", "long int", "signed long", "long long",
           "long long int", "signed long long", "int8_t", "int16_t", "int32_t",
           "int64_t", "ssize_t", "ptrdiff_t", "intptr_t", "off_t", "time_t"):
    C_KIND[_n] = "i"
for _n in ("unsigned char", "unsigned short", "unsigned short int",
           "short unsigned int", "unsigned", "unsigned int", "unsigned long",
           "unsigned long int", "long unsigned int", "unsigned long long",
           "long long unsigned int", "uint8_t", "uint16_t", "uint32_t",
           "uint64_t", "size_t", "uintptr_t"):
    C_KIND[_n] = "u"
for _n in ("float", "double", "long double"):
    C_KIND[_n] = "f"
for _n in ("_Bool", "bool"):
    C_KIND[_n] = "b"
CHAR_TYPES = ("char", "signed char", "unsigned char")
QUALIFIERS = ("_Atomic", "const", "volatile", "restrict")


# ---------------------------------------------------------------- gdb and nm

_gdb_cache = {}


def gdb(command):
    """One gdb command against the debug build; its standard output."""
    if command not in _gdb_cache:
        check(os.path.exists(DEBUG), "%s is missing: run `make %s`" % (
            DEBUG, os.path.relpath(DEBUG, ROOT)))
        env = dict(os.environ)
        env.pop("DEBUGINFOD_URLS", None)   # never go to the network
        p = subprocess.run(["gdb", "-batch", "-nx", "-ex", command, DEBUG],
                           capture_output=True, text=True, timeout=60, env=env)
        check(p.returncode == 0 and p.stdout.strip(),
              "gdb %r: status %d: %s" % (command, p.returncode,
                                        (p.stderr or p.stdout).strip()))
        _gdb_cache[command] = p.stdout
    return _gdb_cache[command]


def parse_ptype(text):
    """`ptype /o struct X` output -> {"size": N, "members": [{name, offset,
    size, decl, bits}]}, top-level members only, in order.

    Each member line is `/* OFFSET | SIZE */ DECL;` (OFFSET is `BYTE: BIT`
    for a bit-field); a nested struct or union opens with `... {` on the
    offset line and is named on its closing `} NAME;` line; holes show as
    `/* XXX 4-byte padding */` lines, a union's members as `/* SIZE */`
    with no offset, and the sizes as
    `/* total size (bytes): N */`, the outer one last."""
    member_rx = re.compile(
        r"^/\*\s*(?:(\d+)(?:\s*:\s*(\d+))?\s*\|)?\s*(\d+)\s*\*/\s*(.*)$")
    close_rx = re.compile(r"^\}\s*(\w+)((?:\[\d+\])*)\s*;$")
    total_rx = re.compile(r"^/\*\s*total size \(bytes\):\s*(\d+)\s*\*/$")
    members, size, depth, pending = [], None, 0, None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("/* XXX") or "type = " in line:
            continue
        m = member_rx.match(line)
        if m:
            # A union's members have a size and no offset: they are at 0.
            offset, bit, msize, decl = (int(m.group(1) or 0), m.group(2),
                                        int(m.group(3)), m.group(4).strip())
            if decl.endswith("{"):           # a nested struct or union
                if depth == 0:
                    pending = {"offset": offset, "size": msize,
                               "decl": decl[:-1].strip(), "bits": bit is not None}
                depth += 1
            elif depth == 0:
                if bit is not None:          # `unsigned int flag : 3;`
                    decl = re.sub(r"\s*:\s*\d+\s*;$", ";", decl)
                name, _ = split_decl(decl)
                members.append({"name": name, "offset": offset, "size": msize,
                                "decl": decl, "bits": bit is not None})
            continue
        m = total_rx.match(line)
        if m:
            if depth == 0:
                size = int(m.group(1))
            continue
        m = close_rx.match(line)
        if m:
            depth -= 1
            if depth == 0 and pending is not None:
                pending["name"] = m.group(1)
                pending["decl"] = "%s %s%s;" % (pending["decl"], m.group(1),
                                                m.group(2))
                members.append(pending)
                pending = None
    check(size is not None, "no total size in gdb output:\n" + text)
    return {"size": size, "members": members}


def c_struct(name):
    """The members and size of `struct NAME` in the debug build."""
    return parse_ptype(gdb("ptype /o struct " + name))


def split_decl(decl):
    """`struct msg *next;` -> ("next", "struct msg *"); `char text[56];` ->
    ("text", "char [56]"): the member name and its type as gdb's `whatis`
    writes it."""
    d = decl.rstrip(";").strip()
    m = re.match(r"^(.*?)\(\s*\*\s*(\w+)\s*\)\s*\((.*)\)$", d)   # function pointer
    if m:
        return m.group(2), "%s (*)(%s)" % (m.group(1).strip(), m.group(3))
    m = re.match(r"^(.*?)(\w+)\s*((?:\[\d+\])*)$", d)
    check(m is not None, "cannot read the C declaration %r" % decl)
    base, name, dims = m.group(1).strip(), m.group(2), m.group(3)
    return name, (base + (" " + dims if dims else "")).replace("* ", "*")


def c_type(text):
    """A C type as gdb writes it -> {"kind": "ptr"|"struct"|"enum"|"char"|
    "scalar"|"?", "name": ..., "dims": [..], "target": pointee type}."""
    t = text.strip()
    dims = [int(x) for x in re.findall(r"\[(\d+)\]", t)]
    t = re.sub(r"\s*(\[\d+\])+\s*$", "", t).strip()
    words = [w for w in t.split() if w not in QUALIFIERS]
    t = " ".join(words).replace(" *", "*")
    if "(*)" in t or t.endswith("*"):
        target = t[:-1].strip() if t.endswith("*") else None
        return {"kind": "ptr", "dims": dims, "target": target, "name": t}
    m = re.match(r"^(struct|union) (\w+)$", t)
    if m:
        return {"kind": m.group(1), "name": m.group(2), "dims": dims}
    if t.startswith("enum "):
        return {"kind": "enum", "name": t, "dims": dims}
    if t in CHAR_TYPES:
        return {"kind": "char", "name": t, "dims": dims}
    if t in C_KIND:
        return {"kind": "scalar", "name": t, "letter": C_KIND[t], "dims": dims}
    return {"kind": "?", "name": t, "dims": dims}


def nm_symbols(path):
    """nm -S PATH -> {symbol: (size, nm type letter)}, sized symbols only."""
    check(os.path.exists(path), "%s is missing: run `make`" % path)
    p = subprocess.run(["nm", "-S", path], capture_output=True, text=True,
                       timeout=60)
    check(p.returncode == 0, "nm -S %s: %s" % (path, p.stderr.strip()))
    syms = {}
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4:
            syms[parts[3]] = (int(parts[1], 16), parts[2])
    return syms


# ------------------------------------------------------------- the layout

DTYPE_RX = re.compile(r"^([<>|=])([iubfSV])(\d+)$")


def load_layout():
    with open(LAYOUT) as f:
        return json.load(f)


def item_size(layout, t):
    """Bytes of one element of type T (dtype, type name or inline struct);
    None when T is not a type."""
    if isinstance(t, dict):
        return t.get("size")
    if isinstance(t, str):
        m = DTYPE_RX.match(t)
        if m:
            return int(m.group(3))
        if t in layout.get("types", {}):
            return layout["types"][t].get("size")
    return None


def kind_problem(layout, ltype, ct):
    """Why layout type LTYPE does not describe one element of C type CT
    (array dimensions already taken off), or None when it does."""
    if isinstance(ltype, str) and ltype in layout.get("types", {}):
        want = C_STRUCT.get(ltype)
        if want is None:
            return "layout type %r has no C struct in the test's C_STRUCT map" % ltype
        if ct["kind"] != "struct" or ct["name"] != want:
            return "type %s is struct %s, the C type is %s" % (
                ltype, want, ("struct " if ct["kind"] == "struct" else "") + ct["name"])
        return None
    m = DTYPE_RX.match(ltype) if isinstance(ltype, str) else None
    if m is None:
        return "type %r is neither a dtype nor a type of the layout" % (ltype,)
    letter = m.group(2)
    if ct["kind"] == "ptr":
        ok = letter == "u" and int(m.group(3)) == POINTER_SIZE
        return None if ok else "C pointer %s wants <u%d, not %s" % (
            ct["name"], POINTER_SIZE, ltype)
    if ct["kind"] == "char":
        if letter in ("S", "V"):
            return None
        want = "u" if ct["name"] == "unsigned char" else "i"
        return None if letter == want else "C %s wants |%s1 or |S, not %s" % (
            ct["name"], want, ltype)
    if ct["kind"] == "enum":
        return None if letter in ("i", "u") else "C %s wants an integer, not %s" % (
            ct["name"], ltype)
    if ct["kind"] == "scalar":
        return None if letter == ct["letter"] else "C %s is kind '%s', not %s" % (
            ct["name"], ct["letter"], ltype)
    return "cannot tell what dtype C type %r is (add it to C_KIND)" % ct["name"]


def member_problems(layout, path, lm, cm):
    """Layout member LM against C member CM (from parse_ptype)."""
    out = []
    if cm["bits"]:
        return [(path, "C member %s is a bit-field" % cm["decl"])]
    if lm.get("offset") != cm["offset"]:
        out.append((path, "offset %r, the C member is at %d" % (
            lm.get("offset"), cm["offset"])))
    count = lm.get("count", 1)
    isz = item_size(layout, lm.get("type"))
    if isz is None or not isinstance(count, int):
        out.append((path, "type %r count %r has no size" % (lm.get("type"), count)))
    elif isz * count != cm["size"]:
        out.append((path, "size %d (%r x %d), the C member is %d bytes" % (
            isz * count, lm.get("type"), count, cm["size"])))
    _, ctext = split_decl(cm["decl"])
    ct = c_type(ctext)
    ltype = lm.get("type")
    # A string or raw dtype may cover a whole char array; else one element
    # of the layout is one element of the C array.
    if not (ct["kind"] == "char" and ct["dims"] and isinstance(ltype, str)
            and DTYPE_RX.match(ltype) and DTYPE_RX.match(ltype).group(2) in "SV"):
        why = kind_problem(layout, ltype, ct)
        if why:
            out.append((path, why))
    return out


def compare_types(layout, struct_of=c_struct):
    """Every struct type of LAYOUT against its C struct: a list of
    (path, why), empty when they agree."""
    out = []
    for tname, t in layout.get("types", {}).items():
        path = "types." + tname
        cname = C_STRUCT.get(tname)
        if cname is None:
            out.append((path, "no C struct for it in the test's C_STRUCT map"))
            continue
        cs = struct_of(cname)
        if t.get("size") != cs["size"]:
            out.append((path + ".size", "%r, sizeof(struct %s) is %d" % (
                t.get("size"), cname, cs["size"])))
        by_name = {m["name"]: m for m in cs["members"]}
        lmembers = t.get("members", {})
        for mname, lm in lmembers.items():
            mpath = "%s.members.%s" % (path, mname)
            if mname not in by_name:
                out.append((mpath, "struct %s has no member %r (it has %s)" % (
                    cname, mname, ", ".join(by_name))))
                continue
            out += member_problems(layout, mpath, lm, by_name[mname])
        for cm in cs["members"]:
            if cm["name"] not in lmembers:
                out.append(("%s.members.%s" % (path, cm["name"]),
                            "struct %s member %s (offset %d, %d bytes) is not in the layout"
                            % (cname, cm["decl"], cm["offset"], cm["size"])))
    return out


def field_problems(layout, name, f, syms, whatis, struct_of):
    """One top-level field against nm's symbol and gdb's C type."""
    path = "fields." + name
    sym = f.get("symbol")
    if sym is None or f.get("module", "") != "":
        return []           # only the main executable's symbols are checked here
    if sym not in syms:
        return [(path + ".symbol", "no symbol %r in %s" % (sym, GAME))]
    symsize, _ = syms[sym]
    offset = f.get("offset", 0)
    pointers = f.get("pointers")
    count = f.get("count")
    n = count if isinstance(count, int) else f.get("max", 1)
    isz = item_size(layout, f.get("type"))
    out = []
    if isz is None:
        return [(path + ".type", "%r has no size" % (f.get("type"),))]
    if pointers:
        need = offset + POINTER_SIZE
        if need > symsize or (offset == 0 and symsize != POINTER_SIZE):
            out.append((path, "holds a pointer at offset %d, symbol %s is %d bytes"
                        % (offset, sym, symsize)))
    elif offset + isz * n > symsize or (offset == 0 and isz * n != symsize):
        out.append((path, "%d bytes (%r x %d) at offset %d, symbol %s is %d bytes"
                    % (isz * n, f.get("type"), n, offset, sym, symsize)))
    if offset:
        return out          # inside a symbol: its C type says nothing simple
    ct = c_type(whatis(sym))
    if not pointers:
        if count is not None:
            if len(ct["dims"]) != 1 or n > ct["dims"][0]:
                out.append((path, "%d elements, C %s is %s" % (n, sym, whatis(sym))))
            ct = dict(ct, dims=ct["dims"][1:])
        m = DTYPE_RX.match(str(f.get("type")))
        if ct["kind"] == "char" and ct["dims"] and m and m.group(2) in "SV":
            pass            # a string or raw block covers the char array
        elif ct["dims"]:
            out.append((path, "C %s is an array (%s), the field is not" % (
                sym, whatis(sym))))
        else:
            why = kind_problem(layout, f.get("type"), ct)
            if why:
                out.append((path, why))
        return out
    # Follow the chain through the C types: each hop reads a pointer, at the
    # symbol first, then at a member of the struct the last hop reached.
    cur, at = None, None
    for i, k in enumerate(pointers):
        if i == 0:
            pt = ct
        else:
            hit = [m for m in struct_of(cur)["members"] if m["offset"] == at]
            if not hit:
                return out + [(path, "hop %d: struct %s has no member at offset %d"
                               % (i, cur, at))]
            pt = c_type(split_decl(hit[0]["decl"])[1])
        if pt["kind"] != "ptr" or pt["dims"]:
            return out + [(path, "hop %d reads %s, not a pointer" % (i, pt["name"]))]
        target = c_type(pt["target"] or "")
        if target["kind"] != "struct":
            return out + [(path, "hop %d: %s points to no struct" % (i, pt["name"]))]
        cur, at = target["name"], k
    if at == 0:
        why = kind_problem(layout, f.get("type"), {"kind": "struct", "name": cur,
                                                   "dims": []})
    else:
        hit = [m for m in struct_of(cur)["members"] if m["offset"] == at]
        why = ("struct %s has no member at offset %d" % (cur, at) if not hit else
               kind_problem(layout, f.get("type"),
                            c_type(split_decl(hit[0]["decl"])[1])))
    if why:
        out.append((path, why))
    return out


def compare_fields(layout, syms, whatis=None, struct_of=c_struct):
    """Every top-level field with a symbol: a list of (path, why)."""
    if whatis is None:
        def whatis(sym):
            return gdb("whatis " + sym).split("type = ", 1)[1].strip()
    out = []
    fields = layout.get("fields", {})
    for name, f in fields.items():
        out += field_problems(layout, name, f, syms, whatis, struct_of)
        count = f.get("count")
        if isinstance(count, str):
            cf = fields.get(count)
            m = DTYPE_RX.match(str(cf.get("type"))) if cf else None
            if m is None or m.group(2) not in "iu":
                out.append(("fields.%s.count" % name,
                            "%r is not an integer field" % count))
    return out


def show(problems):
    return "\n".join("%s: %s" % p for p in problems)


# ------------------------------------------------------------------ tests

def test_types_match_debug_build():
    problems = compare_types(load_layout())
    check(not problems, "layout types differ from the debug build:\n" + show(problems))


def test_fields_match_symbols():
    layout = load_layout()
    syms = nm_symbols(GAME)
    problems = compare_fields(layout, syms)
    check(not problems, "layout fields differ from %s:\n%s" % (GAME, show(problems)))
    # The debug build is the same game: the sizes it was checked against hold.
    dsyms = nm_symbols(DEBUG)
    for name, f in layout["fields"].items():
        sym = f.get("symbol")
        if sym is None or f.get("module", "") != "":
            continue
        check(dsyms.get(sym, (None,))[0] == syms[sym][0],
              "fields.%s: symbol %s is %r bytes in the debug build, %r in %s" % (
                  name, sym, dsyms.get(sym, (None,))[0], syms[sym][0], GAME))


def test_comparison_catches_mistakes():
    """The comparisons fail, naming exactly the wrong member, on a layout
    made wrong in memory."""
    good = load_layout()
    check(not compare_types(good), "the layout must agree to start with")

    def only(problems, path):
        check([p[0] for p in problems] == [path],
              "expected exactly %s, got:\n%s" % (path, show(problems) or "(none)"))

    moved = copy.deepcopy(good)
    moved["types"]["Hero"]["members"]["hp"]["offset"] += 4
    only(compare_types(moved), "types.Hero.members.hp")

    resized = copy.deepcopy(good)
    resized["types"]["Msg"]["members"]["text"]["type"] = "|S52"
    only(compare_types(resized), "types.Msg.members.text")

    unsigned = copy.deepcopy(good)
    unsigned["types"]["Game"]["members"]["state"]["type"] = "<u4"
    only(compare_types(unsigned), "types.Game.members.state")

    missing = copy.deepcopy(good)
    del missing["types"]["Entity"]["members"]["flash"]
    only(compare_types(missing), "types.Entity.members.flash")

    size = copy.deepcopy(good)
    size["types"]["Game"]["size"] = 68
    only(compare_types(size), "types.Game.size")

    syms = nm_symbols(GAME)
    check(not compare_fields(good, syms), "the fields must agree to start with")
    short = copy.deepcopy(good)
    short["fields"]["entities"]["max"] = 63
    only(compare_fields(short, syms), "fields.entities")

    hop = copy.deepcopy(good)
    hop["fields"]["second_message"]["pointers"] = [0, 8]
    probs = compare_fields(hop, syms)
    only(probs, "fields.second_message")
