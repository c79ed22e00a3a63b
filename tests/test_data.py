import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ocop_sim import data


@pytest.mark.parametrize("raw, value, kind", [
    ("100", 100.0, "exact"), ("45-46", 45.5, "range"), ("~60", 60.0, "approx"), ("12737.17", 12737.17, "exact"),
    ("1,053", 1053.0, "exact"),
])
def test_parse_value_rules(raw, value, kind):
    assert data.parse_value(raw) == (value, kind)


@pytest.mark.parametrize("raw", [">240", ">=40", "11/14", "March 2019", "", "46-45", "QĐ 1698/QĐ-UBND"])
def test_parse_value_rejects_what_it_cannot_read(raw):
    with pytest.raises(data.FactsError):
        data.parse_value(raw)


def test_areas_are_the_11_districts_plus_binh_phuoc():
    geo = data.areas()
    assert len(geo.ids) == 12
    assert sum(r == "old_dong_nai" for r in geo.region) == 11
    assert geo.mask("old_binh_phuoc").sum() == 1
    assert abs(geo.weight[geo.mask("old_dong_nai")].sum() - 1.0) < 1e-9
    assert "Biên Hòa" in geo.name_vi


def test_group_pools_are_three_times_the_2018_survey_of_190_products():
    from ocop_sim.config import GROUPS

    g = data.groups()  # default pack: Đồng Nai 2019
    assert list(g) == list(GROUPS) == ["food", "beverage", "herbal", "handicraft", "ornamental", "tourism"]
    # the 2018 baseline survey listed 190 potential products (155 food, 14 handicraft, ...); each
    # surveyed group's pool is 3x its count; ornamental (not in the 490 scheme) is judgement
    surveyed = {k: v for k, v in g.items() if k != "ornamental"}
    assert sum(v["pool"] for v in surveyed.values()) == 3 * 190
    assert g["food"]["pool"] == 3 * 155 and g["handicraft"]["pool"] == 3 * 14
    assert all("2018" in v["source"] and "survey" in v["source"] for v in surveyed.values())
    for pack in ("dong_nai_2019", "dong_nai_2025"):
        assert abs(sum(v["idea_share"] for v in data.groups(pack).values()) - 1.0) < 1e-9


def test_merger_event_brings_141_products_and_99_entities():
    from ocop_sim.packs import load_pack

    mergers = [e for e in load_pack("dong_nai_2019").info.events if e.type == "merger"]
    assert len(mergers) == 1
    bp = mergers[0]
    assert bp.area == "binh_phuoc" and bp.year == 2025
    assert bp.products_3star + bp.products_4star + bp.products_p5 + bp.products_n5 == 141
    assert bp.entities == 99 and bp.products_n5 == 3
    # the merged province's pack starts after it: no merger left to happen
    assert not [e for e in load_pack("dong_nai_2025").info.events if e.type == "merger"]


def test_packaged_actuals_have_sources_and_known_values():
    df = data.actuals()
    assert df["source_url"].str.startswith("http").all()
    odn = df[(df.scope == "old_dong_nai") & (df.metric == "products_3star_plus")]
    assert set(odn["value"]) >= {100.0, 150.0, 282.0, 298.0}
    ent = df[(df.scope == "old_dong_nai") & (df.metric == "entities")].sort_values("at")
    assert list(ent["value"]) == [45.0, 75.0, 165.0]
    # the one range in the series is kept and marked, not silently rounded
    assert (odn["value_kind"] == "range").sum() == 1


#: The facts the packs' actuals.csv are built from: copies kept in the repository (a fresh clone
#: has them), checked byte for byte against the project's shared originals where those exist.
FACTS_FILES = ("dongnai_facts.csv", "national_facts.csv")


def _shared_data(root):
    return Path(os.environ.get("OCOP_SHARED_DATA", root.parent / "shared" / "data"))


@pytest.mark.parametrize("name", FACTS_FILES)
def test_facts_copies_equal_the_shared_originals(root, name):
    copy = root / "tests" / "data" / name
    assert copy.is_file(), f"{copy} is missing: copy it from ../shared/data/{name}"
    # the copy is the original as recorded when it was copied (an edit by hand would make the
    # packs disagree with the sourced facts): tests/data/facts_sha256.json
    recorded = json.loads((root / "tests" / "data" / "facts_sha256.json").read_text(encoding="utf-8"))[name]
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == recorded["sha256"], \
        f"{copy} is not the copy recorded in tests/data/facts_sha256.json: copy it again from {recorded['copied_from']}"
    shared = _shared_data(root) / name
    if shared.is_file():  # in the project's workspace: the original has not moved on since
        assert copy.read_bytes() == shared.read_bytes(), \
            f"{copy} differs from {shared}: copy it again, record its sha256 and rebuild the packs"
    else:  # a clone elsewhere has no shared folder; CI runs in the workspace and must compare
        assert os.environ.get("CI") != "true", f"CI: the shared original {shared} is missing (set OCOP_SHARED_DATA)"


def test_actuals_built_from_the_facts_match_both_packaged_files(tmp_path, root):
    """tools/build_actuals.py on the facts copy in tests/data rebuilds the actuals.csv of both
    Đồng Nai packs (the 2019 history pack and the merged 2025 pack carrying it) byte for byte."""
    facts = root / "tests" / "data" / "dongnai_facts.csv"
    tool = root / "tools" / "build_actuals.py"
    for f in (facts, tool):
        assert f.is_file(), f"{f} is missing from the repository: the rebuild cannot be checked"
    packs = ("dong_nai_2019", "dong_nai_2025")
    outs = [tmp_path / p / "actuals.csv" for p in packs]
    for o in outs:
        o.parent.mkdir()
    done = subprocess.run([sys.executable, str(tool), str(facts), *map(str, outs)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for pack, out in zip(packs, outs):
        packaged = root / "ocop_sim" / "packs" / pack / "actuals.csv"
        assert out.read_bytes() == packaged.read_bytes(), f"{packaged} is not what build_actuals.py makes of the facts"
    # the rebuild can fail: one changed fact changes the output
    edited = tmp_path / "facts_edited.csv"
    text = facts.read_text(encoding="utf-8")
    assert ",282," in text
    edited.write_text(text.replace(",282,", ",283,"), encoding="utf-8")  # old Đồng Nai, end 2024
    subprocess.run([sys.executable, str(tool), str(edited), str(outs[0])], check=True, capture_output=True)
    assert outs[0].read_bytes() != (root / "ocop_sim" / "packs" / packs[0] / "actuals.csv").read_bytes()


def test_user_actuals_csv_bad_row_names_file_row_field(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("scope,metric,kind_of_series,year,at,value,source_url\n"
                 "old_dong_nai,products_3star_plus,stock,,2022.0,100,x\n"
                 "old_dong_nai,products_3star_plus,stock,,2023.0,>240,x\n", encoding="utf-8")
    with pytest.raises(data.FactsError, match=r"a\.csv: row 3: field value: .*'>240'"):
        data.load_actuals_csv(p)


def test_user_actuals_csv_missing_column(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("scope,metric,value\nprovince,entities,3\n", encoding="utf-8")
    with pytest.raises(data.FactsError, match="missing kind_of_series"):
        data.load_actuals_csv(p)
