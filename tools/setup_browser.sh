#!/usr/bin/env bash
# Install what the browser tests (tests/browser/) need, idempotently:
#   - Debian's Chromium (/usr/bin/chromium), via apt-get, only when it is missing;
#   - the Python `playwright` package into .venv, via pip (never `playwright install`: the tests
#     drive Debian's Chromium through executable_path; browser downloads are not possible here).
# Where installing is impossible (not root, no apt-get, no network) it prints a LOUD message and
# exits 1 when OCOP_REQUIRE_BROWSER=1 (the default of `make test`, hence of CI), else exits 0 and
# the browser tests skip with a reason naming what is missing.
# Usage: tools/setup_browser.sh [path/to/venv/bin/python]   (default: .venv/bin/python)
set -u

cd "$(dirname "$0")/.."
PY="${1:-.venv/bin/python}"
CHROMIUM="${OCOP_CHROMIUM:-/usr/bin/chromium}"
problems=()

loud() {
    echo "################################################################################" >&2
    echo "## BROWSER TESTS CANNOT RUN: $*" >&2
    echo "## The JupyterLab and HTML-report browser tests (tests/browser/) need Debian's" >&2
    echo "## chromium at $CHROMIUM and the Python package playwright in .venv. Install them" >&2
    echo "## with: sudo apt-get install chromium && .venv/bin/pip install playwright" >&2
    echo "## (as root with network access this script does it for you)." >&2
    echo "################################################################################" >&2
}

# ---- Chromium ---------------------------------------------------------------------------
if [ ! -x "$CHROMIUM" ]; then
    if [ "$(id -u)" != "0" ] && ! command -v sudo >/dev/null 2>&1; then
        problems+=("chromium missing and not root (no sudo)")
    elif ! command -v apt-get >/dev/null 2>&1; then
        problems+=("chromium missing and no apt-get on this machine")
    else
        SUDO=""
        [ "$(id -u)" != "0" ] && SUDO="sudo -n"
        echo "setup_browser: installing Debian's chromium with apt-get ..."
        if ! { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
               $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                   chromium fonts-dejavu-core >/dev/null; }; then
            problems+=("apt-get install chromium failed (no network or no permission?)")
        fi
        [ -x "$CHROMIUM" ] || problems+=("chromium still missing at $CHROMIUM after apt-get")
    fi
fi

# ---- Playwright (Python package only) ---------------------------------------------------
if [ ! -x "$PY" ]; then
    problems+=("no Python at $PY (run 'make install' first)")
elif ! "$PY" -c "import playwright.sync_api" >/dev/null 2>&1; then
    echo "setup_browser: installing the playwright Python package into $(dirname "$(dirname "$PY")") ..."
    # PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: never fetch a browser build (the tests use Debian's)
    if ! PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 "$PY" -m pip install --quiet playwright; then
        problems+=("pip install playwright failed (no network?)")
    elif ! "$PY" -c "import playwright.sync_api" >/dev/null 2>&1; then
        problems+=("playwright installed but does not import")
    fi
fi

if [ "${#problems[@]}" -gt 0 ]; then
    msg=$(printf '%s; ' "${problems[@]}")
    loud "${msg%; }"
    if [ "${OCOP_REQUIRE_BROWSER:-0}" = "1" ]; then
        echo "setup_browser: OCOP_REQUIRE_BROWSER=1: failing (make test OCOP_REQUIRE_BROWSER=0 lets them skip)" >&2
        exit 1
    fi
    exit 0
fi
echo "setup_browser: ok ($("$CHROMIUM" --version 2>/dev/null | head -1); playwright $("$PY" -c 'import importlib.metadata as m; print(m.version("playwright"))'))"
