"""`fewer_gc_passes`: the young generation's threshold is raised inside and restored after."""

from __future__ import annotations

import gc

import pytest

from tripl_cli.runner.gc_pacing import YOUNG_THRESHOLD, fewer_gc_passes


def test_threshold_is_raised_inside_and_restored_after_an_error() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_gc_passes():
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:])
        raise RuntimeError("a failing collection")
    assert gc.get_threshold() == before


def test_a_higher_threshold_set_by_the_host_is_kept() -> None:
    before = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD * 2, *before[1:])
    try:
        with fewer_gc_passes():
            assert gc.get_threshold()[0] == YOUNG_THRESHOLD * 2
    finally:
        gc.set_threshold(*before)


def test_collection_switched_off_by_the_host_stays_off() -> None:
    before = gc.get_threshold()
    gc.set_threshold(0, *before[1:])
    try:
        with fewer_gc_passes():
            assert gc.get_threshold()[0] == 0
        assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)
