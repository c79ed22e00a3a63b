"""What a reader gets (issue 17, "done when"): the vi and en reports of two scenarios, their
comparison, the calibration report, the index pages and the workbooks, scanned for code names
(snake_case identifiers, JSON, file names), English in the Vietnamese texts, years written with a
thousands separator and fractional counts; the terms checked against the glossary."""
from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ocop_sim import i18n

ROOT = Path(__file__).resolve().parents[1]
DRAWS = 30

IDENTIFIER = re.compile(r"\b[A-Za-z0-9]+_[A-Za-z0-9_]+\b")
JSON = re.compile(r"[{\[]\s*\"")
FILE_NAME = re.compile(r"\b[\w-]+\.(?:yaml|yml|csv|json|py|ipynb|npz|pkl|log)\b")
ABSOLUTE_PATH = re.compile(r"(?:^|\s)/(?:home|tmp|work|root|Users)/")
YEAR_WITH_SEPARATOR = re.compile(r"\b2[.,]0(?:1[5-9]|[2-4]\d)\b")
#: A count with decimals (the decimal mark of the language; a rate "… chủ thể/năm" or the upper end of
#: a range "1,5–2,2 sản phẩm" is a measured average, not a count).
FRACTIONAL_COUNT = {lang: re.compile(r"(?<![–\d.,])\b\d+" + mark + r"\d+\s+(?:sản phẩm|chủ thể|dự án|người|products|"
                                     r"entities|projects|people)\b(?!/)")
                    for lang, mark in (("vi", ","), ("en", r"\."))}
#: English words that must not appear in a Vietnamese text (proper names such as Monte Carlo,
#: Bass, Sultan, Farley, Lehmann, OCOP, Excel, P10–P90 are not in the list).
ENGLISH = re.compile(r"\b(?:the|of|and|with|from|Target|Targets|Median|Probability|Share|Year|Scenario|products|"
                     r"entities|draws|expected|judgement|Outlook|Evaluation|Reported|Source|Value|Unit|Status|"
                     r"met|missed|risk|Funding|Spending|Lever|Levers|Assumptions|Notebook|Created|Mode|"
                     r"No description)\b")


class _Text(HTMLParser):
    """Visible text of a page, its ``<html lang>`` and the alternative texts of its images."""

    def __init__(self):
        super().__init__()
        self.parts, self.alts, self.lang, self._skip = [], [], None, 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "style", "title"):
            self._skip += 1
        elif tag == "html":
            self.lang = a.get("lang")
        elif tag == "img":
            self.alts.append(a.get("alt") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "title") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def page(path: Path):
    p = _Text()
    p.feed(path.read_text(encoding="utf-8"))
    return " ".join(" ".join(p.parts).split()), p.alts, p.lang


def avoided_in(text: str) -> list[str]:
    out = []
    for v in i18n.avoided_terms():
        for form in {v, v[:1].upper() + v[1:], v[:1].lower() + v[1:]}:
            if re.search(r"(?<!\w)" + re.escape(form) + r"(?!\w)", text):
                out.append(v)
                break
    return out


def problems(text: str, lang: str) -> list[str]:
    """What a reader must not see in ``text`` (a page, a cell or an image's alternative text)."""
    out = [f"identifier {m!r}" for m in IDENTIFIER.findall(text)]
    out += [f"JSON {m!r}" for m in JSON.findall(text)]
    out += [f"file name {m.group(0)!r}" for m in FILE_NAME.finditer(text)]
    out += [f"absolute path in {text[:60]!r}" for _ in ABSOLUTE_PATH.findall(text)]
    out += [f"year with a separator {m!r}" for m in YEAR_WITH_SEPARATOR.findall(text)]
    out += [f"fractional count {m.group(0)!r}" for m in FRACTIONAL_COUNT[lang].finditer(text)]
    if lang == "vi":
        out += [f"English {m!r}" for m in ENGLISH.findall(text)]
        out += [f"non-glossary term {m!r}" for m in avoided_in(text)]
    return out


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """smoke and a variant of it (to 2035, more product development, the planners' goals), the
    history replay for the calibration report: every report in both languages."""
    from ocop_sim import report

    d = tmp_path_factory.mktemp("params")
    shutil.copytree(ROOT / "params", d, dirs_exist_ok=True)
    (d / "variant.yaml").write_text(
        "extends: smoke.yaml\nname: variant\n"
        "title: {vi: \"Tăng hỗ trợ phát triển sản phẩm\", en: \"More product development\"}\n"
        "description: {vi: \"Kịch bản kiểm thử nhỏ, kéo dài đến 2035, tăng kinh phí phát triển sản phẩm.\",\n"
        "              en: \"The small test scenario to 2035 with more product development.\"}\n"
        "horizon: {start: 2026, end: 2035}\n"
        "targets: [targets/decision_1698.yaml, targets/planners_2035.yaml]\n"
        "levers:\n  product_development_bn_vnd: {2026: 7.0, 2027: 12.0}\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("reports") / "out"
    batch = report.run_batch([str(d / "smoke.yaml"), str(d / "variant.yaml"), str(d / "history.yaml")], out, jobs=2,
                             langs=("vi", "en"), draws=DRAWS, progress=False, calibration="history")
    assert batch.ok, batch.failures
    return out


def _pages(out: Path) -> list[tuple[Path, str]]:
    # the user guide (guide_*.html, issue 16 part 5) teaches commands and file names on purpose: not scanned
    pages = [(p, "vi" if p.stem.endswith("_vi") else "en") for p in sorted(out.rglob("*.html"))
             if not p.name.startswith("guide")]
    assert len(pages) >= 2 * 3 + 2 + 2 + 2  # 3 scenarios, comparison, calibration, index pages
    return pages


@pytest.mark.slow
def test_no_code_form_reaches_a_reader_of_the_pages(reports):
    found = {}
    for path, lang in _pages(reports):
        text, alts, html_lang = page(path)
        assert html_lang == lang, path
        assert alts is not None and all(a and "No description" not in a for a in alts), path
        bad = problems(text, lang) + [p for a in alts for p in problems(a, lang)]
        if bad:
            found[str(path.relative_to(reports))] = sorted(set(bad))[:12]
    assert not found, found


@pytest.mark.slow
def test_counts_whole_and_structure_of_the_document(reports):
    from ocop_sim import document, fmt  # noqa: F401 - document registers its labels
    from ocop_sim.results import GLOSSARY

    for lang in ("vi", "en"):
        html = (reports / "variant" / f"variant_{lang}.html").read_text(encoding="utf-8")
        text, _, _ = page(reports / "variant" / f"variant_{lang}.html")
        heads = [i18n.t(k, lang).split(" {")[0] for k in ("part_1", "evaluation_title", "part_3", "part_4", "part_5")]
        pos = [text.index(h) for h in heads]
        assert pos == sorted(pos), pos
        assert ("Căn cứ" in text) == (lang == "vi") and ("ngày" in text) == (lang == "vi")
        # every median cell of a count metric is a whole number
        for m in re.finditer(r'<td[^>]*data-id="([^"]+)"[^>]*>.*?</td>.*?<td[^>]*data-col="median"[^>]*>([^<]*)</td>',
                             html, flags=re.S):
            cell = m.group(2).strip()
            if cell != "—" and not cell.endswith("%"):
                assert re.fullmatch(r"\d{1,3}(?:[.,]\d{3})*", cell), cell
        assert fmt.share(0.5, lang) == "50 %"
        assert "products_3star_plus" in GLOSSARY  # the metric the headline reads


@pytest.mark.slow
def test_no_code_form_in_the_workbooks(reports):
    import openpyxl

    books = sorted(reports.rglob("*.xlsx"))
    assert len(books) >= 6
    found = {}
    for path in books:
        lang = "vi" if path.stem.endswith("_vi") else "en"
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            bad = problems(ws.title, lang)
            keys = [c.value for c in ws[1]]
            for row in ws.iter_rows(min_row=2):
                if ws.row_dimensions[row[0].row].hidden:
                    continue
                for c, key in zip(row, keys):
                    if ws.column_dimensions[c.column_letter].hidden:
                        continue
                    if isinstance(c.value, str):
                        bad += problems(c.value, lang)
                    elif isinstance(c.value, (int, float)) and key == "year":
                        assert isinstance(c.value, int) and c.number_format == "0", (path, c.coordinate)
                    elif isinstance(c.value, float) and key in ("products",):
                        assert c.number_format == "#,##0", (path, c.coordinate)
            if bad:
                found[f"{path.name}:{ws.title}"] = sorted(set(bad))[:12]
    assert not found, found
