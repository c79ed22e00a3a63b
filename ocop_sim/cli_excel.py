"""``ocop-sim export-xlsx`` and ``ocop-sim import-xlsx``: the Excel round trip for planners.

Registers itself in :data:`ocop_sim.cli.EXTRA_COMMANDS` at import time.
"""
from __future__ import annotations

from pathlib import Path

from .cli import EXTRA_COMMANDS, UsageError, _draws, _seed


def cmd_export_xlsx(args) -> int:
    """Simulate a scenario and write its Excel workbook (levers and assumptions editable)."""
    from .excel import write_workbook
    from .scenarios import load
    from .simulate import simulate

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
    p.add_argument("--out", required=True, help="workbook to write (.xlsx)")
    p.add_argument("--draws", type=_draws, default=None)
    p.add_argument("--seed", type=_seed, default=None)
    p.add_argument("--mode", choices=["monte_carlo", "expected"], default="monte_carlo")
    p.add_argument("--lang", choices=["en", "vi"], default="en")


def cmd_import_xlsx(args) -> int:
    """Read a workbook edited in Excel into a validated scenario YAML that extends the original."""
    from .excel import changed_names, import_workbook
    from .scenarios import load

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
    p.add_argument("--out", required=True, help="scenario YAML to write (.yaml); holds only the changes")
    p.add_argument("--name", default=None, help="name of the new scenario (default: the --out file's stem)")
    p.add_argument("--any-base", action="store_true",
                   help="compare against the base even if it changed since the workbook was written")


EXTRA_COMMANDS["export-xlsx"] = (cmd_export_xlsx, _configure_export)
EXTRA_COMMANDS["import-xlsx"] = (cmd_import_xlsx, _configure_import)
