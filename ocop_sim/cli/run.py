"""``ocop-sim validate`` and ``ocop-sim run``: check scenario files; simulate and print the targets."""
from __future__ import annotations

import contextlib
from pathlib import Path

from . import options


def _load_all(paths: list[str], allow_outside: bool = False):
    from ..scenarios import load

    return [load(p, allow_outside=allow_outside) for p in paths]


def cmd_validate(args) -> int:
    """Validate scenario files and province packs (a folder holding ``pack.yaml``)."""
    from ..packs import PACK_FILE, load_pack

    packs = [p for p in args.scenarios if (Path(p) / PACK_FILE).is_file()]
    checked = [load_pack(str(Path(p).resolve())) for p in packs]
    loaded = _load_all([p for p in args.scenarios if p not in packs], args.allow_outside)
    for pk in checked:
        print(f"ok  {pk.folder}  (pack {pk.name}, {len(pk.actuals)} reported figures)")
    for ld in loaded:
        print(f"ok  {ld.path}  ({ld.scenario.name}, {ld.scenario.kind}, pack {Path(ld.scenario.pack).name}, "
              f"{ld.hash[:12]})")
    return 0


def format_start(res, lang: str = "en") -> str:
    """One line: the state the run starts from (an outlook: the pack's reported stocks)."""
    import numpy as np

    from ..i18n import fmt_number, t
    from ..packs import load_pack

    pack = load_pack(res.scenario.pack)
    parts = [f"{t(m, lang)} {fmt_number(float(np.median(res.start_value(m))), lang, digits=0)}"
             for m in ("products_3star", "products_4star", "products_national_5star", "products_3star_plus",
                       "entities")]
    d = pack.info.stock_date.split("-")
    date = f"{d[2]}/{d[1]}/{d[0]}" if len(d) == 3 else pack.info.stock_date
    kind = t("start_reported", lang) if res.scenario.kind == "outlook" else t("start_history", lang)
    return f"{kind} {date}: " + " · ".join(parts)


def format_targets(table, lang: str = "en") -> str:
    """Plain-text target table for the terminal, in the reports' formats (:mod:`ocop_sim.fmt`):
    counts whole, shares and probabilities in percent, goals in words ("at least …", "từ … trở lên")."""
    from .. import fmt
    from ..i18n import fmt_number, t

    label = "label_vi" if lang == "vi" else "label_en"
    lines = []
    head = f"{t('target', lang):<58} {t('when', lang):>9} {t('goal', lang):>18} {t('median', lang):>9} " \
           f"{'P10–P90':>17} {t('probability', lang):>6}  {t('status', lang)}"
    lines.append(head)
    lines.append("-" * len(head))
    for _, r in table.iterrows():
        name = str(r[label])[:58]
        metric = str(r.get("metric", ""))
        q = (lambda x: fmt.quantity(metric, x, lang)) if metric else (lambda x: fmt_number(x, lang, digits=1))
        goal = fmt.comparison(r["comparison"], q(r["target"]), lang)
        if r["status"] in ("outside_horizon", "no_report"):
            lines.append(f"{name:<58} {r['when']:>9} {goal:>18} {'—':>9} {'—':>17} {'—':>6}  {t(r['status'], lang)}")
            continue
        if r["status"] in ("met_reported", "missed_reported", "planned"):
            v = r["reported"] if r["status"] != "planned" else r["median"]
            lines.append(f"{name:<58} {r['when']:>9} {goal:>18} {q(v):>9} {'—':>17} "
                         f"{'—':>6}  {t(r['status'], lang)}")
            continue
        band = f"{q(r['p10'])}–{q(r['p90'])}"
        lines.append(f"{name:<58} {r['when']:>9} {goal:>18} {q(r['median']):>9} "
                     f"{band:>17} {fmt.share(r['probability'], lang):>6}  {t(r['status'], lang)}")
    return "\n".join(lines)


def cmd_run(args) -> int:
    from ..cache import cached_simulate
    from ..io import check_out_dir, safe_child
    from ..locks import OutputLock
    from ..resources import check_memory

    loaded = _load_all(args.scenarios, args.allow_outside)
    out = Path(args.out) if args.out else None
    for ld in loaded:  # refuse a run that cannot fit in memory before any work
        check_memory(ld.scenario, args.draws, args.mode, label=str(ld.path))
    if out is not None:
        for ld in loaded:  # refuse unsafe names before anything runs
            safe_child(out, f"{ld.scenario.name}_summary.csv")
        check_out_dir(out)  # a file or a read-only folder: exit 2 now, not after the simulation
    lock = OutputLock(out) if out is not None else contextlib.nullcontext()
    with lock, options.executor_from_args(args) as executor:
        for ld in loaded:
            _run_one(ld, args, executor, out, cached_simulate)
    return 0


def _run_one(ld, args, executor, out, cached_simulate) -> None:
    """Simulate one scenario (through the result cache), print its targets, write its tables."""
    sc = ld.scenario
    res = cached_simulate(sc, draws=args.draws, seed=args.seed, mode=args.mode, use_cache=not args.no_cache,
                          executor=executor, engine=args.engine)
    table = res.attainment()
    engine = f", engine={res.engine}" if res.engine != "numpy" else ""
    print(f"\n== {sc.name}: {ld.path}  ({res.mode}, draws={res.draws}, seed={res.seed}{engine})")
    print(format_start(res, args.lang))
    print(format_targets(table, args.lang))
    if args.checks:
        from ..checks import format_checks, run_checks

        print(format_checks(run_checks(sc, res), args.lang)[0])
    if out is not None:  # the set is staged and moved into place together (old set or new, never a mix)
        from ..io import staged_output

        with staged_output(out, last=f"{sc.name}_manifest.json") as stage:
            paths = res.to_csv(stage)
        print(f"wrote {len(paths)} files to {out}/{sc.name}_*")


def _configure_validate(p) -> None:
    p.add_argument("scenarios", nargs="+")


def _configure_run(p) -> None:
    p.add_argument("scenarios", nargs="+")
    options.include(p, options.draws(), options.seed(), options.mode())
    p.add_argument("--engine", choices=["numpy", "compiled", "auto"], default="numpy",
                   help="Monte Carlo engine: numpy (the reference, default), compiled (numba: the same "
                        "distribution, not the same draws, ~4x faster), auto (compiled where numba is installed); "
                        "the manifest records the engine, and reproduce uses it")
    options.include(p, options.lang(), options.out("folder for CSV tables and the manifest"),
                options.jobs(help="worker processes for chunks of draws"),
                options.scheduler("run chunks of draws on a Dask scheduler (tcp://host:port, or local-dask)"),
                options.no_cache())
    p.add_argument("--checks", action="store_true", help="also evaluate and print the scenario's reality checks")


def register(subparsers, common) -> None:
    """Add ``validate`` and ``run``; ``common`` holds the options every subcommand takes."""
    options.add_command(subparsers, "validate", cmd_validate, _configure_validate, common,
                        help="validate scenario files")
    options.add_command(subparsers, "run", cmd_run, _configure_run, common,
                    help="simulate scenarios and print the target table")
