"""The on-disk cache of derived knowledge-base results: same results as computing them, never a stale or
damaged entry read, nothing fails when the cache folder cannot be written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from secretome.kb import cache, store
from secretome.stats import enrichment


@pytest.fixture()
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "secretome"


def manifest() -> dict:
    return json.loads((store.data_dir() / "manifest.json").read_text(encoding="utf-8"))


def computed_table() -> pd.DataFrame:
    return store.classify(store.read_proteins(manifest()["files"]["proteins"]))


def test_cache_folder_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "secretome"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # the XDG rule: a relative value is ignored
    assert cache.cache_dir() == Path.home() / ".cache" / "secretome"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.cache_dir() == Path.home() / ".cache" / "secretome"


def test_classified_entries_from_the_cache_equal_the_computed_ones(cache_home):
    expected = computed_table()
    first = store.classified_entries(manifest())  # computes and stores
    files = list(cache_home.glob(f"{store.CLASSIFIED_CACHE}-*.npz"))
    assert len(files) == 1 and cache.fingerprint()[:20] in files[0].name
    second = store.classified_entries(manifest())  # reads
    pd.testing.assert_frame_equal(first, expected)
    pd.testing.assert_frame_equal(second, expected)
    assert list(second.dtypes) == list(expected.dtypes)
    assert not list(cache_home.glob(".*.tmp"))  # no temporary file left behind


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "foreign"])
def test_a_damaged_or_foreign_entry_is_rebuilt(cache_home, damage):
    store.classified_entries(manifest())
    path = next(cache_home.glob(f"{store.CLASSIFIED_CACHE}-*.npz"))
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        path.write_bytes(bytes(data[: len(data) // 2]))
    elif damage == "flip":  # one byte inside a member: zip's CRC-32 no longer matches
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "garbage":
        path.write_bytes(b"not an archive")
    else:  # a well-formed archive written for another knowledge base
        np.savez(path, __fingerprint__=np.frombuffer(b"0" * 64, dtype=np.uint8), __rows__=np.array([1]))
    assert cache.load(store.CLASSIFIED_CACHE) is None
    pd.testing.assert_frame_equal(store.classified_entries(manifest()), computed_table())
    assert cache.load(store.CLASSIFIED_CACHE) is not None  # rewritten whole


def test_an_unwritable_cache_folder_costs_only_the_rebuild(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    cache.store("anything", {"a": np.arange(3)})
    assert cache.load("anything") is None
    pd.testing.assert_frame_equal(store.classified_entries(manifest()), computed_table())


def test_the_fingerprint_covers_rules_data_and_code():
    from secretome.kb.store import CURATED_FILES

    names = {"manifest.json", "proteins.tsv.gz", "gene_sets.gmt.gz", "store.py", "vocab.py", "enrichment.py", "cache.py"}
    assert names | set(CURATED_FILES) <= {path.name for path in cache.sources()}


def test_strings_holding_the_separator_are_not_packed():
    assert cache.pack_strings(["a", "b\x00c"]) is None
    packed = cache.pack_strings(["", "é", "x;y"])
    assert list(cache.unpack_strings(packed, 3)) == ["", "é", "x;y"]
    with pytest.raises(ValueError):
        cache.unpack_strings(packed, 4)


def test_default_set_index_from_the_cache_equals_the_built_one(cache_home, monkeypatch):
    built = enrichment._build_default_index()
    monkeypatch.setattr(enrichment, "_default_index", enrichment._default_index.__wrapped__)
    first = enrichment._default_index()  # builds and stores
    assert list(cache_home.glob(f"{enrichment.SET_INDEX_CACHE}-*.npz"))
    second = enrichment._default_index()  # reads
    for index in (first, second):
        for field in ("names", "genes", "set_of", "gene_of"):
            np.testing.assert_array_equal(getattr(index, field), getattr(built, field))
    assert second.set_of.dtype == np.int32 and second.names.dtype == object  # as stored: no widening copy


def test_a_set_index_out_of_range_is_refused():
    index = enrichment.SetIndex.build({"S1": ["A", "B"], "S2": ["B", "C"]})
    arrays = index.arrays()
    restored = enrichment.SetIndex.from_arrays(arrays)
    np.testing.assert_array_equal(restored.gene_of, index.gene_of)
    arrays["gene_of"] = arrays["gene_of"] + 5
    with pytest.raises(ValueError):
        enrichment.SetIndex.from_arrays(arrays)
    arrays["gene_of"] = index.arrays()["gene_of"].astype(float)
    with pytest.raises(ValueError, match="not integers"):
        enrichment.SetIndex.from_arrays(arrays)


def test_concurrent_writers_leave_one_whole_file(cache_home):
    arrays = {"values": np.arange(100_000)}
    pids = []
    for _ in range(4):
        pid = os.fork()
        if pid == 0:  # child: write the same entry many times
            try:
                for _ in range(20):
                    cache.store("race", arrays)
            finally:
                os._exit(0)
        pids.append(pid)
    for _ in range(50):  # the parent reads meanwhile: always a whole entry or none
        loaded = cache.load("race")
        assert loaded is None or np.array_equal(loaded["values"], arrays["values"])
    for pid in pids:
        os.waitpid(pid, 0)
    np.testing.assert_array_equal(cache.load("race")["values"], arrays["values"])
    assert not list(cache_home.glob(".*.tmp"))


def test_identifier_indexes_from_the_cache_equal_the_built_ones(cache_home):
    table = store.classified_entries(manifest())
    expected = store.build_indexes(table)
    first = store.identifier_indexes(table)  # builds and stores
    assert list(cache_home.glob(f"{store.INDEX_CACHE}-*.npz"))
    second = store.identifier_indexes(table)  # reads
    for name in store.INDEXES:
        assert first[name] == expected[name] and second[name] == expected[name], name
    assert expected["by_accession"]["P02768"] == table.index[table["accession"] == "P02768"][0]  # albumin
    assert set(expected["by_synonym"]).isdisjoint(expected["by_gene"])


def test_an_index_pointing_outside_the_table_is_refused_and_rebuilt(cache_home):
    table = store.classified_entries(manifest())
    store.identifier_indexes(table)
    arrays = cache.load(store.INDEX_CACHE)
    arrays["by_gene.rows"] = arrays["by_gene.rows"] + len(table)  # a row past the end of the table
    with pytest.raises(ValueError, match="does not fit"):
        store._unpack_indexes(arrays, len(table))
    cache.store(store.INDEX_CACHE, arrays)
    assert store.identifier_indexes(table)["by_gene"] == store.build_indexes(table)["by_gene"]
