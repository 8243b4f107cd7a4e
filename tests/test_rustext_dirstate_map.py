"""rustext.dirstate.DirstateMap, CopyMap and Dirs: lazy iterators that refuse
to run after a mutation, byte parity with the C v1 writer, the exceptions of
Mercurial's C code for corrupt data, and Dirs parity with C parsers.dirs."""
import random
import struct

import pytest

from mercurial import error
from mercurial.cext import parsers as cparsers
from mercurial.dirstateutils import docket as docketmod

rustext = pytest.importorskip("mercurial.rustext")
dirstate = rustext.dirstate
DirstateMap = dirstate.DirstateMap

P1, P2 = b"\x11" * 20, b"\x22" * 20
NULL = b"\0" * 20


def sample_map():
    m = DirstateMap.new_empty()
    for f in (b"a", b"d/b", b"d/e/c", b"f/g"):
        assert m.set_tracked(f)
    return m


def test_module_layout():
    import mercurial.rustext.dirstate as dotted

    assert dotted is dirstate
    assert issubclass(dirstate.FallbackError, Exception)
    assert dirstate.V2_FORMAT_MARKER == docketmod.V2_FORMAT_MARKER
    for name in ("DirstateMap", "DirstateItem", "Dirs", "DirstateIdentity",
                 "status"):
        assert hasattr(dirstate, name)


def test_mapping_protocol():
    m = sample_map()
    assert len(m) == 4
    assert b"a" in m and b"zz" not in m and None not in m
    assert m[b"d/b"].added
    assert m.get(b"zz") is None and m.get(b"zz", 5) == 5
    with pytest.raises(KeyError):
        m[b"zz"]
    assert sorted(m) == sorted(m.keys()) == [b"a", b"d/b", b"d/e/c", b"f/g"]
    assert sorted(k for k, v in m.items()) == sorted(m)
    assert m.hastrackeddir(b"d") and m.hastrackeddir(b"d/e")
    assert not m.hastrackeddir(b"a") and m.hasdir(b"f")
    # like pathutil.dirs (C and pure), the root counts as a directory
    assert sorted(m.tracked_dirs()) == [b"", b"d", b"d/e", b"f"]
    assert not m.set_tracked(b"a")
    assert m.set_untracked(b"a") and not m.set_untracked(b"zz")
    assert b"a" not in m  # an added file untracked is forgotten


@pytest.mark.parametrize("make_iter", [
    lambda m: iter(m),
    lambda m: m.keys(),
    lambda m: m.items(),
    lambda m: m.debug_iter(False),
    lambda m: iter(m.copymap()),
    lambda m: m.copymap().items(),
])
@pytest.mark.parametrize("mutate", [
    lambda m: m.set_tracked(b"new"),
    lambda m: m.set_untracked(b"d/b"),
    lambda m: m.clear(),
    lambda m: m.copymap().__setitem__(b"f/g", b"a"),
    lambda m: m.reset_state(b"a", True, True, False, True, None),
])
def test_iterators_invalidated_by_mutation(make_iter, mutate):
    m = sample_map()
    m.copymap()[b"d/b"] = b"a"
    it = make_iter(m)
    next(it)
    mutate(m)
    with pytest.raises(RuntimeError):
        next(it)
    # a fresh iterator works again
    list(make_iter(m))


def test_iterator_keeps_map_alive():
    m = sample_map()
    it = m.items()
    del m
    assert len(list(it)) == 4


def test_copymap_dict_api():
    m = sample_map()
    cm = m.copymap()
    assert len(cm) == 0 and dict(cm) == {}
    cm[b"d/b"] = b"a"
    cm[b"f/g"] = b"a"
    assert cm[b"d/b"] == b"a" and cm.get(b"x") is None and cm.get(b"x", 1) == 1
    assert b"d/b" in cm and 3 not in cm
    assert dict(cm) == cm.copy() == {b"d/b": b"a", b"f/g": b"a"}
    assert dict(cm.items()) == cm.copy()
    assert cm.pop(b"d/b", None) == b"a" and cm.pop(b"d/b", None) is None
    cm[b"d/b"] = b"a"
    assert cm.pop(b"d/b") == b"a" and cm.pop(b"d/b", 7) == 7
    with pytest.raises(KeyError):  # dict.pop without a default
        cm.pop(b"d/b")
    with pytest.raises(TypeError):
        cm.pop()
    del cm[b"f/g"]
    with pytest.raises(KeyError):
        del cm[b"f/g"]
    with pytest.raises(KeyError):
        cm[b"f/g"]
    assert len(m.copymap()) == 0


def c_v1_bytes(entries, copies, parents=(P1, P2)):
    """Dirstate-v1 bytes in the order given (the layout of
    mercurial/pure/parsers.py's pack_dirstate)."""
    out = [parents[0], parents[1]]
    for f, (state, mode, size, mtime) in entries:
        name = f + (b"\0" + copies[f] if f in copies else b"")
        out.append(struct.pack(">cllll", state, mode, size, mtime, len(name)))
        out.append(name)
    return b"".join(out)


def random_entries(rng, n):
    entries = []
    for i in range(n):
        path = b"/".join(b"d%d" % rng.randrange(4) for _ in range(rng.randrange(3)))
        path = (path + b"/" if path else b"") + b"f%d" % i
        state = rng.choice(b"nnnnarm")
        size = rng.choice([-2, -1, 0, 5, 1000])
        mtime = rng.choice([-1, 0, 1234567])
        mode = rng.choice([0o100644, 0o100755, 0o120777])
        if state == ord("n") and size < 0:
            mtime = -1
        entries.append((path, (bytes([state]), mode, size, mtime)))
    return entries


@pytest.mark.parametrize("seed", range(10))
def test_v1_round_trip_is_byte_identical_to_c(seed):
    rng = random.Random(seed)
    entries = random_entries(rng, rng.randrange(0, 60))
    copies = {p: entries[0][0] for p, _ in rng.sample(entries, min(3, len(entries)))}
    data = c_v1_bytes(entries, copies)
    m, parents = DirstateMap.new_v1(data, None)
    assert parents == (P1, P2)
    cmap, ccopies = {}, {}
    cparsers.parse_dirstate(cmap, ccopies, data)
    # what C writes back after reading the same file
    assert m.write_v1(P1, P2) == cparsers.pack_dirstate(cmap, ccopies, (P1, P2))
    assert dict(m.copymap()) == ccopies
    for path, citem in cmap.items():
        item = m[path]
        for attr in ("state", "mode", "size", "mtime", "tracked", "added",
                     "removed", "p1_tracked", "p2_info", "maybe_clean"):
            assert getattr(item, attr) == getattr(citem, attr), (path, attr)
    assert sorted(e[0] for e in m.debug_iter(False)) == sorted(cmap)
    # v1 has no directory records: `debugdirstate --all` lists files only,
    # as with Mercurial's C map
    assert sorted(e[0] for e in m.debug_iter(True)) == sorted(cmap)


def test_empty_v1_has_no_parents():
    m, parents = DirstateMap.new_v1(b"", None)
    assert len(m) == 0 and parents is None


def c_parse_error(data):
    try:
        cparsers.parse_dirstate({}, {}, data)
    except Exception as e:  # noqa: BLE001
        return type(e), str(e)
    return None


@pytest.mark.parametrize("cut", [1, 30, 39, 41, 45, 50, 60])
def test_truncated_v1_raises_like_c(cut):
    data = c_v1_bytes([(b"some/file", (b"n", 0o100644, 3, 4)),
                       (b"other", (b"a", 0, -1, -1))], {b"other": b"some/file"})
    expected = c_parse_error(data[:cut])
    if expected is None:
        DirstateMap.new_v1(data[:cut], None)
        return
    with pytest.raises(expected[0]) as info:
        DirstateMap.new_v1(data[:cut], None)
    assert str(info.value) == expected[1]


def test_unknown_v1_state_raises_like_c():
    data = bytearray(c_v1_bytes([(b"f", (b"n", 0o100644, 3, 4))], {}))
    data[40] = ord("x")
    expected = c_parse_error(bytes(data))
    with pytest.raises(expected[0]):
        DirstateMap.new_v1(bytes(data), None)


def test_corrupt_v2_raises_corrupted_dirstate():
    m = sample_map()
    packed, meta, append = m.write_v2(1)
    assert not append
    m2 = DirstateMap.new_v2(packed, len(packed), meta, b"uuid", None)
    assert sorted(m2) == sorted(m)
    with pytest.raises(error.CorruptedDirstate):
        DirstateMap.new_v2(packed[:10], 10, meta, b"uuid", None)
    with pytest.raises(error.CorruptedDirstate):
        DirstateMap.new_v2(packed, len(packed), b"\xff" * len(meta), b"uuid",
                           None)


def test_identity_keyword_constructor():
    ident = dirstate.DirstateIdentity(
        mode=0o100644, dev=1, ino=2, nlink=1, uid=0, gid=0, size=10,
        mtime=5, mtime_nsec=0, ctime=5, ctime_nsec=0)
    m, _ = DirstateMap.new_v1(c_v1_bytes([], {}), ident)
    assert len(m) == 0


def test_state_changes_follow_dirstatemap_semantics():
    data = c_v1_bytes([(b"clean", (b"n", 0o100644, 3, 4)),
                       (b"merged", (b"m", 0o100644, -1, -1))],
                      {b"merged": b"clean"})
    m, _ = DirstateMap.new_v1(data, None)
    m.set_possibly_dirty(b"clean")
    assert m[b"clean"].mtime == -1
    m.set_clean(b"clean", 0o100755, 7, (99, 5, False))
    assert (m[b"clean"].mode, m[b"clean"].size, m[b"clean"].mtime) == (0o100755, 7, 99)
    with pytest.raises(KeyError):
        m.set_clean(b"missing", 0, 0, (1, 0, False))
    with pytest.raises(KeyError):
        m.set_possibly_dirty(b"missing")
    assert m.setparents_fixup() == {b"merged": b"clean"}
    assert not m[b"merged"].p2_info
    m.reset_state(b"clean", False, False, False, True, None)
    assert b"clean" not in m
    m.reset_state(b"n", True, True, False, True, (0o100644, 2, (3, 0, False)))
    assert m[b"n"].maybe_clean and m[b"n"].mtime == 3
    assert m.filefoldmapasdict() == {b"n": b"n", b"merged": b"merged"}


# -- Dirs -------------------------------------------------------------------

def random_paths(rng, n):
    out = []
    for _ in range(n):
        depth = rng.randrange(0, 4)
        out.append(b"/".join(b"x%d" % rng.randrange(3) for _ in range(depth + 1)))
    return out


@pytest.mark.parametrize("seed", range(10))
def test_dirs_parity_with_c(seed):
    rng = random.Random(seed)
    paths = random_paths(rng, 30)
    c, r = cparsers.dirs(paths), dirstate.Dirs(paths)
    probes = set(paths) | {b"", b"x0", b"x1/x2", b"nope"}
    for p in paths:
        probes.update(p[:i] for i in range(len(p)))
    assert sorted(r) == sorted(c)
    assert {p for p in probes if p in r} == {p for p in probes if p in c}
    live = list(paths)
    for _ in range(40):
        if live and rng.random() < 0.5:
            p = live.pop(rng.randrange(len(live)))
            c.delpath(p)
            r.delpath(p)
        else:
            p = random_paths(rng, 1)[0]
            live.append(p)
            c.addpath(p)
            r.addpath(p)
        assert sorted(r) == sorted(c)
        assert {p for p in probes if p in r} == {p for p in probes if p in c}


def test_dirs_from_dict_and_errors():
    items = {b"a/b": dirstate.DirstateItem(wc_tracked=True),
             b"r/x": dirstate.DirstateItem(p1_tracked=True)}
    assert sorted(dirstate.Dirs(items)) == [b"", b"a", b"r"]
    assert sorted(dirstate.Dirs(items, only_tracked=True)) == [b"", b"a"]
    assert sorted(dirstate.Dirs()) == []
    for make in (cparsers.dirs, dirstate.Dirs):
        with pytest.raises(ValueError):
            make([b"a//b"])
        with pytest.raises(ValueError):
            make([b"a"], only_tracked=True)
        with pytest.raises(TypeError):
            make([1])
        with pytest.raises(TypeError):
            make({1: 2})
        d = make([b"a/b"])
        with pytest.raises(ValueError):
            d.delpath(b"c/d")
        assert 5 not in d


def test_dirs_iterator_invalidated_by_mutation():
    d = dirstate.Dirs([b"a/b", b"c/d"])
    it = iter(d)
    next(it)
    d.addpath(b"e/f")
    with pytest.raises(RuntimeError):
        next(it)
