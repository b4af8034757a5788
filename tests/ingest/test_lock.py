"""One writer at a time: the store's write lock."""

from __future__ import annotations

import pytest

from ingest.lock import StoreBusyError, store_write_lock


def test_a_second_writer_is_told_who_holds_the_store(tmp_path):
    with store_write_lock(tmp_path, "policyqa ingest"):
        with pytest.raises(StoreBusyError, match=r"being written by policyqa ingest \(pid \d+\) since \d{4}-"):
            with store_write_lock(tmp_path, "policyqa remove", wait=False):
                pass
    with store_write_lock(tmp_path, "policyqa remove", wait=False):  # free again once the first is done
        pass


def test_the_lock_goes_with_its_holder_even_when_it_fails(tmp_path):
    with pytest.raises(RuntimeError):
        with store_write_lock(tmp_path, "policyqa ingest"):
            raise RuntimeError("killed half-way")
    with store_write_lock(tmp_path, "policyqa ingest", wait=False):
        pass
