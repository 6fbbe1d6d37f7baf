"""gc_paused restores the collector's state, also when the block raises or nests."""

from __future__ import annotations

import gc

import pytest

from medpath.gc_paused import gc_paused


def test_collector_is_off_inside_and_back_on_after_even_on_error():
    assert gc.isenabled()
    with pytest.raises(ValueError), gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled(), "the inner block must not switch the collector back on"
        raise ValueError
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled():
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
