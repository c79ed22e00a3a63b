# The two commands of the README:  make reports   |   make test
# Both create .venv with Python 3.11 and install what they need on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export MPLBACKEND := Agg
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: reports tables test bench install clean-reports calibrate backtest

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP)

## The main job: every bundled scenario in both languages + the comparison report -> reports/
## (smoke.yaml is the tests' tiny scenario; sweep_budget.yaml is a sweep, run as one batch of its own)
## PDFs too (one per scenario and language) where Chromium + playwright are there or can be installed
## (tools/setup_browser.sh); without them the reports are still made, without PDFs, and it says so.
REPORT_FORMATS = $$($(PY) -c "from ocop_sim.pdf import missing; print('html,xlsx' if missing() else 'html,pdf,xlsx')")
reports: $(STAMP)
	-OCOP_REQUIRE_BROWSER=0 bash tools/setup_browser.sh $(PY)
	$(VENV)/bin/ocop-sim sweep params/sweep_budget.yaml --out reports/sweep_budget
	$(VENV)/bin/ocop-sim report $(filter-out params/smoke.yaml params/sweep_budget.yaml,$(wildcard params/*.yaml)) --out reports --lang both --jobs 2 --format $(REPORT_FORMATS)

## The bundled posterior of Đồng Nai (Bayesian, pooled with the other provinces' packs) and its
## leak-free backtests at four cut-offs, recorded with it: params/posteriors/dong_nai.npz (+ .json).
## The backtests measure the method that made the posterior: each cut-off refits the other
## provinces on what was known then and pools with them (--pool-backtests).  ~40 min on 2 cores.
calibrate: $(STAMP)
	$(VENV)/bin/ocop-sim calibrate params/history.yaml --pool params/provinces/*.yaml --pool-backtests --jobs 2 \
		--backtest 2021 2022 2023 2024 --out params/posteriors/dong_nai.npz --json params/posteriors/dong_nai_summary.json

## Leak-free backtests of the history at four cut-offs, scores as JSON
backtest: $(STAMP)
	mkdir -p reports
	$(VENV)/bin/ocop-sim backtest params/history.yaml --until 2021 2022 2023 2024 --jobs 2 --json reports/backtest.json

## Result tables only (no notebooks)
tables: $(STAMP)
	$(VENV)/bin/ocop-sim run params/*.yaml --out reports/tables

## The whole test suite, browser tests included: the script installs Debian's chromium + playwright;
## where it cannot, the run FAILS naming what is missing (CI must not skip them).  On a machine
## without a browser, `make test OCOP_REQUIRE_BROWSER=0` lets the browser tests skip with that reason.
## Two test processes (pytest-xdist), one test file each at a time (module fixtures are built once):
## 12 min instead of 17 on the 2-core machine (2026-11-30). TEST_WORKERS=0 runs in one process.
OCOP_REQUIRE_BROWSER ?= 1
export OCOP_REQUIRE_BROWSER
TEST_WORKERS ?= 2
test: $(STAMP)
	@# the numba kernels compile once (not in both test processes), beside the browser's set-up
	$(PY) -c "from ocop_sim import engine, engine_mc; engine.warm_up(); engine_mc.warm_up()" & pid=$$!; \
		bash tools/setup_browser.sh $(PY) || { wait $$pid; exit 1; }; wait $$pid
	$(PY) -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile

## Benchmarks (not tests): speed and memory ratios measured side by side
## PySD and BPTK-Py are installed for the benchmark only (not package dependencies); BPTK-Py
## pins exact pandas/scipy/numpy/tqdm versions, so it goes in with --no-deps to leave the venv alone.
bench: $(STAMP)
	$(PY) -m pip install --quiet pysd jsonpickle xlsxwriter
	$(PY) -m pip install --quiet --no-deps BPTK-Py
	$(PY) benchmarks/bench.py $(BENCH_ARGS)

clean-reports:
	rm -rf reports
