"""Differential dirstate tests: our build vs the C oracle, command by command.

Every hg command runs on two byte-identical repositories, one with
HGMODULEPOLICY=c and one with our installed policy (rust+c-allow), and the
command's exit code, stdout and stderr, then `hg status -A -C`,
`hg debugdirstate` (mtimes reduced to unset / equal to the file / not), the
dirstate parents and the working copy itself must be identical.

Modes (see hgdiff.Pair): independent, lockstep (b := cp -a of a before every
command) and alternate (ours and C take turns on one repo, each reading the
dirstate the other wrote) -- on dirstate-v1 and dirstate-v2 repositories.

Knobs: DIRSTATE_DIFF_SEEDS (random walks per format, default 2),
DIRSTATE_DIFF_STEPS (hg commands per walk, default 30),
DIRSTATE_DIFF_SEED0 (first seed, default 1), DIRSTATE_DIFF_SUBPROCESS=1 (real
.venv/bin/hg processes instead of the fork server), DIRSTATE_DIFF_COPY_ORDER=sorted
(compare `hg debugdirstate`'s copy lines as a set instead of in print order).
"""
import os

import pytest

import hgdiff
from dirstate_scenarios import SCENARIOS, RandomScenario

FORMATS = [pytest.param(False, id="v1"), pytest.param(True, id="v2")]
SEEDS = int(os.environ.get("DIRSTATE_DIFF_SEEDS", "2"))
STEPS = int(os.environ.get("DIRSTATE_DIFF_STEPS", "30"))
SEED0 = int(os.environ.get("DIRSTATE_DIFF_SEED0", "1"))


@pytest.mark.parametrize("v2", FORMATS)
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario(tmp_path, name, v2):
    SCENARIOS[name](hgdiff.Pair(tmp_path, v2, "independent"))


@pytest.mark.parametrize("v2", FORMATS)
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_cross_read(tmp_path, name, v2):
    """Ours and C alternate on one repo: each reads what the other wrote."""
    SCENARIOS[name](hgdiff.Pair(tmp_path, v2, "alternate"))


@pytest.mark.parametrize("v2", FORMATS)
@pytest.mark.parametrize("seed", range(SEED0, SEED0 + SEEDS))
def test_random_walk(tmp_path, seed, v2):
    RandomScenario(seed, STEPS)(hgdiff.Pair(tmp_path, v2, "independent"))


@pytest.mark.parametrize("v2", FORMATS)
@pytest.mark.parametrize("seed", [SEED0 + 1000])
def test_random_walk_lockstep(tmp_path, seed, v2):
    RandomScenario(seed, STEPS)(hgdiff.Pair(tmp_path, v2, "lockstep"))


@pytest.mark.parametrize("v2", FORMATS)
@pytest.mark.parametrize("seed", [SEED0 + 2000])
def test_random_walk_cross_read(tmp_path, seed, v2):
    RandomScenario(seed, STEPS)(hgdiff.Pair(tmp_path, v2, "alternate"))
