"""``ocop-sim cache clear|info``: manage the result cache (:mod:`ocop_sim.cache`)."""
from __future__ import annotations

from . import options
from .options import UsageError


def cmd_cache(args) -> int:
    """Show or clear the result cache (.ocop_cache/ or $OCOP_SIM_CACHE)."""
    from .. import cache

    action = getattr(args, "cache_action", None)
    if action == "clear":
        n = cache.clear(args.dir)
        print(f"removed {n} cached results from {cache.cache_dir(args.dir)}")
        return 0
    if action == "info":
        ci = cache.info(args.dir)
        print(f"{ci.folder}: {ci.entries} cached results, {ci.bytes / 1e6:.1f} MB")
        for m in ci.items[: args.limit]:
            print(f"  {m.get('key', '')[:12]}  {m.get('scenario', '?'):<24} {m.get('mode', '?'):<12} "
                  f"draws={m.get('draws', '?'):<6} seed={m.get('seed', '?'):<20} "
                  f"{m.get('bytes', 0) / 1e6:8.1f} MB  {m.get('created', '')}")
        return 0
    raise UsageError("ocop-sim cache: expected an action: clear or info")


def _configure(p) -> None:
    sub = p.add_subparsers(dest="cache_action", parser_class=type(p))
    for name, helptext in (("clear", "delete every cached result"), ("info", "list cached results")):
        q = sub.add_parser(name, help=helptext)
        q.add_argument("--dir", default=None, help="cache folder (default: $OCOP_SIM_CACHE or ./.ocop_cache)")
        if name == "info":
            q.add_argument("--limit", type=int, default=20, help="entries to list (newest first)")
    p.set_defaults(dir=None, limit=20)


def register(subparsers, common) -> None:
    """Add ``cache``; ``common`` holds the options every subcommand takes."""
    options.add_command(subparsers, "cache", cmd_cache, _configure, common)
