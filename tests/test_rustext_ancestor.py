"""mercurial.rustext.ancestor / dagop over Mercurial's C revlog index.

Ported from upstream's tests/test-rust-ancestor.py (which needs a Rust
revlog index that we deliberately do not provide: Mercurial would then use it
for every revlog), plus a differential check against mercurial/ancestor.py.
"""
import random
import sys

import pytest

from mercurial import ancestor as pyancestor
from mercurial import dagop as pydagop
from mercurial.cext import parsers
from mercurial.node import wdirrev
from mercurial.testing import revlog as revlogtesting

rustext = pytest.importorskip("mercurial.rustext")
from mercurial.rustext.ancestor import (  # noqa: E402
    AncestorsIterator,
    LazyAncestors,
    MissingAncestors,
)
from mercurial.rustext import dagop  # noqa: E402


def parse_index2(data, inline):
    """The C index parser across versions: Mercurial 7.x added the
    generaldelta and delta-info flags as required arguments (their values do
    not change the parents and nodes read here)."""
    try:
        return parsers.parse_index2(data, inline)
    except TypeError:
        try:
            return parsers.parse_index2(data, inline, False)
        except TypeError:
            return parsers.parse_index2(data, inline, False, False)


def parseindex(data=revlogtesting.data_non_inlined):
    return parse_index2(data, False)[0]


def test_both_import_styles():
    import mercurial.rustext.ancestor as viadotted

    assert viadotted is rustext.ancestor
    assert rustext.ancestor.__package__ == "mercurial.rustext"


def test_iterator_revlist():
    idx = parseindex()
    assert {i: (r[5], r[6]) for i, r in enumerate(idx)} == {
        0: (-1, -1), 1: (0, -1), 2: (1, -1), 3: (2, -1)}
    assert list(AncestorsIterator(idx, [3], 0, True)) == [3, 2, 1, 0]
    assert list(AncestorsIterator(idx, [3], 0, False)) == [2, 1, 0]


def test_lazyancestors_and_refcounts():
    idx = parseindex()
    start = sys.getrefcount(idx)
    lazy = LazyAncestors(idx, [3], 0, True)
    # one reference for the object, one for its membership iterator
    assert sys.getrefcount(idx) == start + 2
    assert 2 in lazy
    assert None not in lazy
    assert bool(lazy)
    assert list(lazy) == [3, 2, 1, 0]
    assert list(lazy) == [3, 2, 1, 0]
    ait = iter(lazy)
    assert sys.getrefcount(idx) == start + 3
    del ait
    assert sys.getrefcount(idx) == start + 2
    del lazy
    assert sys.getrefcount(idx) == start
    assert not LazyAncestors(idx, [0], 0, False)


def test_missingancestors():
    idx = parseindex()
    missanc = MissingAncestors(idx, [1])
    assert missanc.hasbases()
    assert missanc.missingancestors([3]) == [2, 3]
    missanc.addbases({2})
    assert missanc.bases() == {1, 2}
    assert missanc.missingancestors([3]) == [3]
    assert missanc.basesheads() == {2}
    assert not MissingAncestors(idx, []).hasbases()


def test_missingancestors_remove_in_place():
    idx = parseindex()
    revs = {0, 1, 2, 3}
    MissingAncestors(idx, [1]).removeancestorsfrom(revs)
    assert revs == {2, 3}


def test_iterator_keeps_index_alive():
    idx = parseindex()
    start = sys.getrefcount(idx)
    ait = AncestorsIterator(idx, [3], 0, True)
    assert sys.getrefcount(idx) == start + 1
    assert next(ait) == 3
    del ait
    assert sys.getrefcount(idx) == start
    ait = AncestorsIterator(idx, [3], 0, True)
    del idx
    assert list(ait) == [3, 2, 1, 0]


def test_graph_error_on_corrupt_parent():
    data = (revlogtesting.data_non_inlined[: 64 + 27] + b"\xf2"
            + revlogtesting.data_non_inlined[64 + 28:])
    idx = parseindex(data)
    with pytest.raises(rustext.GraphError) as info:
        AncestorsIterator(idx, [1], -1, False)
    assert isinstance(info.value, ValueError)
    assert info.value.args == ("ParentOutOfRange", 1)


def test_wdir_unsupported():
    idx = parseindex()
    with pytest.raises(rustext.GraphError) as info:
        list(AncestorsIterator(idx, [wdirrev], -1, False))
    assert info.value.args == ("InvalidRevision", wdirrev)


def test_not_an_index():
    with pytest.raises(TypeError):
        AncestorsIterator([(0, 0, 0, 0, 0, -1, -1, b"")], [0], 0, True)


def test_headrevs_and_rank():
    idx = parseindex()
    assert dagop.headrevs(idx, [1, 2, 3]) == {3}
    assert dagop.rank(idx, 2, 3) == 5


def _random_index(rng, nrevs):
    """A C index (version 1, non-inlined) with a random DAG."""
    import struct

    from mercurial.revlogutils import constants

    entries = []
    for rev in range(nrevs):
        p1 = rng.randrange(-1, rev) if rev else -1
        p2 = rng.randrange(-1, rev) if rev > 1 and rng.random() < 0.3 else -1
        entries.append((p1, p2))
    fmt = constants.INDEX_ENTRY_V1.format
    data = b""
    for rev, (p1, p2) in enumerate(entries):
        offset_flags = 0 if rev else (constants.REVLOGV1 << 16)
        data += struct.pack(fmt, offset_flags, 0, 0, rev, rev, p1, p2,
                            rev.to_bytes(20, "big"))
    return parse_index2(data, False)[0], entries


@pytest.mark.parametrize("seed", range(20))
def test_differential_against_python(seed):
    rng = random.Random(seed)
    idx, entries = _random_index(rng, 40)

    def pfunc(r):
        return entries[r] if r >= 0 else (-1, -1)

    for _ in range(20):
        revs = rng.sample(range(40), rng.randrange(0, 4))
        stop = rng.randrange(-1, 20)
        inclusive = rng.random() < 0.5
        want = pyancestor.lazyancestors(pfunc, revs, stop, inclusive)
        got = LazyAncestors(idx, revs, stop, inclusive)
        assert list(got) == list(want)
        assert bool(got) == bool(want)
        probes = [rng.randrange(-1, 40) for _ in range(10)]
        assert [p in got for p in probes] == [p in want for p in probes]

        bases = rng.sample(range(-1, 40), rng.randrange(0, 4))
        pym = pyancestor.incrementalmissingancestors(pfunc, bases)
        rm = MissingAncestors(idx, bases)
        assert bool(rm.hasbases()) == bool(pym.hasbases())
        queries = rng.sample(range(40), rng.randrange(0, 5))
        assert rm.missingancestors(queries) == pym.missingancestors(queries)
        assert rm.bases() == pym.bases
        assert rm.basesheads() == pym.basesheads()
        s1 = set(rng.sample(range(40), 8))
        s2 = set(s1)
        rm.removeancestorsfrom(s1)
        pym.removeancestorsfrom(s2)
        assert s1 == s2
        assert dagop.headrevs(idx, queries) == pydagop.headrevs(queries, pfunc)
