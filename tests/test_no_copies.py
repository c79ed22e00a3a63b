"""No copied block of six or more lines inside ``ocop_sim/`` (issue 11, "Done when").

Each module is read as normalised lines: white space folded, comments, docstrings, import
statements, blank lines and lines of lone punctuation (``)``, ``],``) left out.  Every window of
:data:`WINDOW` consecutive normalised lines is hashed; a hash found at two places that do not
overlap is a copied block.  Adjacent windows are merged into one block per pair of places, so the
failure names each copy once, as ``a.py:10-24 ~ b.py:40-54``.  This finds copies to the letter
(after normalisation); the ``duplicates`` tool of the tool library also finds copies with other
names, which this test does not try to.
"""
from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ocop_sim"
#: how many normalised lines make a copied block
WINDOW = 6
_STRING_OR_COMMENT = re.compile(r"""("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')|#.*""")
_TRIPLE = re.compile(r'"""|\'\'\'')
_DOCSTRING_START = re.compile(r"""^[rRbBuUfF]{0,2}(\"\"\"|\'\'\')""")
_IMPORT = re.compile(r"^(import\s|from\s+\S+\s+import\b)")
_SPACE = re.compile(r"\s+")
_SPACE_AT_PUNCTUATION = re.compile(r"(?<=\W) | (?=\W)")
_PUNCTUATION_ONLY = re.compile(r"^[()\[\]{},:;]*$")


def normalised_lines(source: str) -> list[tuple[int, str]]:
    """(line number, normalised text) of each line of ``source`` that counts, in order.

    White space is folded (and dropped next to punctuation: ``x=1`` is ``x = 1``); comments are
    cut; blank lines, lines of lone punctuation, import statements (also in parentheses over
    several lines) and string statements (docstrings, also over several lines) are left out.
    Read line by line with regular expressions, not tokenized: fast, and exact enough for code
    formatted as ours is (a triple quote inside a one-quote string would confuse it).
    """
    out: list[tuple[int, str]] = []
    skip_until = None  # the text that ends a docstring or an import being skipped
    in_string = False  # inside a triple-quoted string that is not a docstring (kept as text)
    for n, raw in enumerate(source.splitlines(), 1):
        line = raw.strip()
        if skip_until is not None:
            if skip_until in line:
                skip_until = None
            continue
        if not in_string:
            m = _DOCSTRING_START.match(line)
            if m:
                if line.count(m.group(1)) < 2:
                    skip_until = m.group(1)
                continue
            if _IMPORT.match(line):
                if "(" in line and ")" not in line:
                    skip_until = ")"
                continue
            if "#" in line:
                line = _STRING_OR_COMMENT.sub(lambda m: m.group(1) or "", line).strip()
        if len(_TRIPLE.findall(line)) % 2:
            in_string = not in_string
        line = _SPACE_AT_PUNCTUATION.sub("", _SPACE.sub(" ", line))
        if line and not _PUNCTUATION_ONLY.match(line):
            out.append((n, line))
    return out


def copied_blocks(root: Path = PACKAGE, window: int = WINDOW) -> list[str]:
    """Every copied block of ``window`` or more normalised lines among the ``*.py`` files below
    ``root``, one ``a.py:10-24 ~ b.py:40-54`` string per pair of places, longest first."""
    files = {p.relative_to(root).as_posix(): normalised_lines(p.read_text(encoding="utf-8"))
             for p in sorted(root.rglob("*.py"))}
    where: dict[int, list[tuple[str, int]]] = defaultdict(list)  # hash of a window -> (file, index)
    for name, lines in files.items():
        texts = [t for _, t in lines]
        for i in range(len(texts) - window + 1):
            where[hash(tuple(texts[i:i + window]))].append((name, i))
    # matching window starts per ordered pair of places, keyed by the offset between them
    runs: dict[tuple[str, str, int], set[int]] = defaultdict(set)
    for places in where.values():
        for j, (fa, ia) in enumerate(places):
            for fb, ib in places[j + 1:]:
                if fa == fb and abs(ia - ib) < window:
                    continue  # a window overlapping itself (a line repeated six times and more)
                runs[(fa, fb, ib - ia)].add(ia)
    blocks = []
    for (fa, fb, off), starts in runs.items():
        starts_sorted = sorted(starts)
        first = prev = starts_sorted[0]
        for s in starts_sorted[1:] + [None]:
            if s is not None and s == prev + 1:
                prev = s
                continue
            la, lb = files[fa], files[fb]
            n = prev - first + window
            blocks.append((n, f"{fa}:{la[first][0]}-{la[prev + window - 1][0]} ~ "
                              f"{fb}:{lb[first + off][0]}-{lb[prev + off + window - 1][0]} ({n} lines)"))
            if s is not None:
                first = prev = s
    return [text for _, text in sorted(blocks, key=lambda b: (-b[0], b[1]))]


def test_the_finder_finds_a_copy(tmp_path):
    body = "\n".join(f"    x{i} = y[{i}] + {i}  # step {i}" for i in range(7))
    (tmp_path / "a.py").write_text(f'import os\n\n\ndef f(y):\n    """Doc."""\n{body}\n    return x0\n')
    # the same lines with other white space and comments, behind an import and a docstring of their own
    copy = body.replace(" = ", "=").replace("  # step", "# other")
    (tmp_path / "b.py").write_text(f'from os import path\n\n\ndef g(y):\n    """Other doc\n    text."""\n'
                                   f"\n{copy}\n    return x1\n")
    (tmp_path / "c.py").write_text("\n".join(f"z{i} = {i}" for i in range(10)) + "\n")
    assert copied_blocks(tmp_path) == ["a.py:6-12 ~ b.py:8-14 (7 lines)"]
    # five lines are not a copy
    (tmp_path / "b.py").write_text("def g(y):\n" + "\n".join(body.splitlines()[:5]) + "\n")
    assert copied_blocks(tmp_path) == []


def test_no_copied_blocks_in_the_package():
    blocks = copied_blocks()
    assert not blocks, (f"{len(blocks)} copied block(s) of {WINDOW}+ normalised lines in ocop_sim/ "
                        "(put the shared lines in one function):\n" + "\n".join(blocks))
