"""rustext.dirstate.DirstateItem behaves like mercurial.pure.parsers.DirstateItem."""
import itertools

import pytest

from mercurial.pure import parsers as pure

dirstate = pytest.importorskip("mercurial.rustext.dirstate")
RustItem = dirstate.DirstateItem

PROPERTIES = [
    "state", "mode", "size", "mtime", "has_fallback_exec", "fallback_exec",
    "has_fallback_symlink", "fallback_symlink", "tracked", "any_tracked",
    "added", "modified", "maybe_clean", "p1_tracked", "p2_info", "removed",
]
HAS_MTIME = 1 << 11
MTIME_SECOND_AMBIGUOUS = 1 << 12
MTIMES = [(100, 0, False), (100, 7, False), (100, 8, True), (101, 7, False),
          (100, 0, True)]


def observe(item):
    """Every observable value (or the exception type it raises)."""
    out = {}
    for name in PROPERTIES:
        try:
            value = getattr(item, name)
        except Exception as e:  # noqa: BLE001 - the type is what we compare
            value = type(e)
        if name.startswith("fallback_") and value is not None:
            value = bool(value)  # pure returns the raw flag bit (e.g. 64)
        out[name] = value
    if item.any_tracked:
        flags, size, s, ns = item.v2_data()
        if not flags & HAS_MTIME:
            # pure keeps a stale "second ambiguous" bit once the mtime is
            # dropped; no reader looks at it without HAS_MTIME.
            flags &= ~MTIME_SECOND_AMBIGUOUS
        out["v2_data"] = (flags, size, s, ns)
    out["likely"] = [item.mtime_likely_equal_to(m) for m in MTIMES]
    for name in ("_v1_state", "_v1_mode", "_v1_size", "_v1_mtime"):
        try:
            out[name] = getattr(item, name)()
        except Exception as e:  # noqa: BLE001
            out[name] = type(e)
    return out


PARENTFILEDATA = [None, (0o100644, 12, None), (0o100755, 0, (100, 0, False)),
                  (0o120777, 5, (100, 7, True)), (0o100644, 3, (100, 7, False))]


def constructor_cases():
    bools = [False, True]
    for wc, p1, p2, data, mtime in itertools.product(bools, repeat=5):
        for pfd in PARENTFILEDATA:
            for fe, fs in itertools.product([None, False, True], repeat=2):
                yield dict(wc_tracked=wc, p1_tracked=p1, p2_info=p2,
                           has_meaningful_data=data,
                           has_meaningful_mtime=mtime, parentfiledata=pfd,
                           fallback_exec=fe, fallback_symlink=fs)


MUTATIONS = [
    ("set_possibly_dirty", ()),
    ("set_clean", (0o100644, 42, (200, 5, False))),
    ("set_clean", (0o100755, 1, (200, 0, True))),
    ("set_tracked", ()),
    ("set_untracked", ()),
    ("drop_merge_data", ()),
]


def test_constructor_and_mutations_match_pure():
    count = 0
    for kwargs in constructor_cases():
        p, r = pure.DirstateItem(**kwargs), RustItem(**kwargs)
        assert observe(r) == observe(p), kwargs
        for name, args in MUTATIONS:
            p, r = pure.DirstateItem(**kwargs), RustItem(**kwargs)
            getattr(p, name)(*args)
            getattr(r, name)(*args)
            assert observe(r) == observe(p), (kwargs, name)
        count += 1
    assert count == 2 ** 5 * len(PARENTFILEDATA) * 9


def test_default_and_positional_constructors():
    assert observe(RustItem()) == observe(pure.DirstateItem())
    args = (True, True, False, True, True, (0o100644, 3, (5, 6, False)))
    assert observe(RustItem(*args)) == observe(pure.DirstateItem(*args))


@pytest.mark.parametrize("value", [None, True, False])
def test_fallback_setters(value):
    # pure's setters are mis-declared (read-only properties) and C's are
    # not reliable either; setting must equal constructing with the value.
    r = RustItem(wc_tracked=True, fallback_exec=True, fallback_symlink=False)
    r.fallback_exec = value
    r.fallback_symlink = value
    p = pure.DirstateItem(wc_tracked=True, fallback_exec=value,
                          fallback_symlink=value)
    assert observe(r) == observe(p)
    assert r.has_fallback_exec == (value is not None)


def test_from_v1_data_matches_pure():
    for state in b"nram":
        state = bytes([state])
        for mode in (0, 0o100644, 0o120777):
            for size in (-2, -1, 0, 17):
                for mtime in (-1, 0, 1234):
                    p = pure.DirstateItem.from_v1_data(state, mode, size, mtime)
                    r = RustItem.from_v1_data(state, mode, size, mtime)
                    assert observe(r) == observe(p), (state, mode, size, mtime)


def test_from_v1_data_unknown_state():
    with pytest.raises(RuntimeError) as p:
        pure.DirstateItem.from_v1_data(b"x", 0, 0, 0)
    with pytest.raises(RuntimeError) as r:
        RustItem.from_v1_data(b"x", 0, 0, 0)
    assert str(r.value) == str(p.value)


def test_from_v2_data_matches_pure():
    import random

    rng = random.Random(4)
    for _ in range(3000):
        flags = rng.randrange(0, 1 << 16)
        size = rng.choice([0, 1, 4096, 2 ** 31 - 1])
        s = rng.choice([0, 1, 2 ** 31 - 1])
        ns = rng.choice([0, 1, 999999999])
        p = pure.DirstateItem.from_v2_data(flags, size, s, ns)
        r = RustItem.from_v2_data(flags, size, s, ns)
        assert observe(r) == observe(p), (flags, size, s, ns)


def test_invalid_timestamp_rejected():
    with pytest.raises(ValueError):
        RustItem(wc_tracked=True, p1_tracked=True,
                 parentfiledata=(0o100644, 1, (1, 10 ** 9, False)))
