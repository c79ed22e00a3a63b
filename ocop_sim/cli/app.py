"""``ocop-sim app``: the explorer as a web page (Voilà), on loopback with a token.

Registered by :func:`register`.
"""
from __future__ import annotations

import argparse
import ipaddress

from . import options

DEFAULT_SCENARIO = "params/baseline.yaml"


def _port(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1024 <= v <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port in 1024..65535, got {v}")
    return v


def _ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an IP address such as 127.0.0.1, got {text!r}") from None


def cmd_app(args) -> int:
    """Serve the scenario explorer as a web page (sliders, live targets, band, goal seek, save)."""
    from ..app import DEFAULT_PORT, serve

    serve(args.scenario, port=args.port or DEFAULT_PORT, lang=args.lang, ip=args.ip,
          open_browser=not args.no_browser)
    return 0


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                   help=f"starting scenario; its folder is where 'Save as scenario' writes (default {DEFAULT_SCENARIO})")
    p.add_argument("--port", type=_port, default=None, help="port on the address (default 8866)")
    options.include(p, options.lang(("vi", "en"), "vi", help="language the page opens in (switchable)"))
    p.add_argument("--ip", type=_ip, default="127.0.0.1",
                   help="address to listen on (default loopback only; the token is always required)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")


def register(subparsers, common) -> None:
    """Add ``app``; ``common`` holds the options every subcommand takes."""
    options.add_command(subparsers, "app", cmd_app, _configure, common)
