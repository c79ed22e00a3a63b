"""``ocop-sim export-xlsx`` and ``ocop-sim import-xlsx``: the Excel round trip for planners.

Registered by :func:`register`.
"""
from __future__ import annotations

from pathlib import Path

from . import options
from .options import UsageError


def cmd_export_xlsx(args) -> int:
    """Simulate a scenario and write its Excel workbook (levers and assumptions editable)."""
    from ..excel import write_workbook
    from ..scenarios import load
    from ..simulate import simulate

    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise UsageError(f"export-xlsx: --out: expected a file ending in .xlsx, got {args.out!r}")
    if not out.parent.is_dir():
        raise UsageError(f"export-xlsx: --out: expected an existing folder, got {str(out.parent)!r}")
    ld = load(args.scenario, allow_outside=args.allow_outside)
    res = simulate(ld.scenario, draws=args.draws, seed=args.seed, mode=args.mode)
    write_workbook(res, ld, out, lang=args.lang)
    print(f"wrote {out}  ({ld.scenario.name}, {res.mode}, draws={res.draws}, seed={res.seed})")
    return 0


def _configure_export(p) -> None:
    p.add_argument("scenario", help="scenario YAML")
    options.include(p, options.out("workbook to write (.xlsx)", required=True), options.draws(), options.seed(),
                    options.mode(), options.lang())


def cmd_import_xlsx(args) -> int:
    """Read a workbook edited in Excel into a validated scenario YAML that extends the original."""
    from ..excel import changed_names, import_workbook
    from ..scenarios import load

    ld = import_workbook(args.workbook, args.out, base=args.scenario, name=args.name,
                         allow_outside=args.allow_outside, check_base=not args.any_base)
    base = load(ld.chain[1], allow_outside=True)
    changes = changed_names(base.scenario, ld.scenario)
    print(f"wrote {args.out}  ({ld.scenario.name}, extends {ld.chain[1]}; "
          f"{len(changes)} changed: {', '.join(changes) or 'nothing'})")
    return 0


def _configure_import(p) -> None:
    p.add_argument("workbook", help="the .xlsx written by export-xlsx or the report, edited in Excel")
    p.add_argument("--scenario", default=None,
                   help="the base scenario YAML (default: the file named in the workbook's manifest)")
    options.include(p, options.out("scenario YAML to write (.yaml); holds only the changes", required=True))
    p.add_argument("--name", default=None, help="name of the new scenario (default: the --out file's stem)")
    p.add_argument("--any-base", action="store_true",
                   help="compare against the base even if it changed since the workbook was written")


def register(subparsers, common) -> None:
    """Add ``export-xlsx`` and ``import-xlsx``; ``common`` holds the options every subcommand takes."""
    options.add_command(subparsers, "export-xlsx", cmd_export_xlsx, _configure_export, common)
    options.add_command(subparsers, "import-xlsx", cmd_import_xlsx, _configure_import, common)
