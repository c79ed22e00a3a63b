"""The observation operator: what a model run says about one reported figure.

A report is a stock at a date (valid certificates, or a cumulative count of every product ever
certified) or a flow within a calendar year.  :func:`model_value` returns its model counterpart
per draw; the Bayesian calibration, the backtests and the credibility checks all ask it
(:mod:`ocop_sim.inference`).
"""
from __future__ import annotations

import numpy as np
from scipy import sparse

from .config import Scenario
from .results import Result


def model_value(result, obs: dict) -> np.ndarray:
    """Model counterpart (per draw) of one observation.

    Stocks are read at the observation's date after the evaluation rounds held by then
    (:meth:`ocop_sim.results.Result.value_at`), counted as the report counts them (``counting``:
    ``valid`` or ``cumulative``); flows are summed over the observation's calendar year.
    """
    if obs["kind"] == "flow":
        return result.value(obs["metric"], obs["scope"], period=(obs["year"], obs["year"]))
    return result.value_at(obs["metric"], obs["at"], obs["scope"], obs.get("counting", "valid"))


#: the arrays a report reads (certificates by level, lapsed, entities; new certificates,
#: recognitions, submissions, new entities), each linearly
_SOURCES = (("stocks", "certified"), ("stocks", "lapsed_cum"), ("stocks", "entities"),
            ("initial", "certified"), ("initial", "lapsed_cum"), ("initial", "entities"),
            ("flows", "new_certified"), ("flows", "upgrades"), ("flows", "submitted"), ("flows", "new_entities"),
            ("flows", "renewed"), ("flows", "downgraded"))
#: the largest probe (elements of one source array per draw) worth building a matrix for
_MAX_PROBE = 1500


class ObservationOperator:
    """:func:`model_value` of many reports for many runs of one scenario, as one matrix product.

    Every count a report reads is a linear function of the run's arrays (a sum over areas, groups
    and levels, blended between year ends by the evaluation rounds), so the model values of all
    reports are ``W @ Φ`` with ``Φ`` the arrays' elements (features × draws).  ``W`` is built once
    per layout of the run by probing: a run whose draws are unit impulses, one array element each,
    read by :func:`model_value` itself, so there is one definition of what a report means.  On
    the first run of a layout the product is checked against :func:`model_value`; a report that
    is not linear (a pass rate is a ratio) or does not match is computed directly.
    """

    #: reports that are a ratio of two flows of the same year (the Result's definition)
    RATIOS = {"evaluation_pass_rate": ("new_products_3star_plus", "submitted")}

    def __init__(self, obs):
        self.obs = list(obs)
        # the rows probed: each report, or the numerator and denominator of a ratio
        self._rows, self._ratio = [], []
        for o in self.obs:
            if o["metric"] in self.RATIOS and o["kind"] == "flow":
                num, den = self.RATIOS[o["metric"]]
                self._ratio.append((len(self._rows), len(self._rows) + 1))
                self._rows += [{**o, "metric": num}, {**o, "metric": den}]
            else:
                self._ratio.append(None)
                self._rows.append(o)
        self._row_of = {}
        k = 0
        for j, rat in enumerate(self._ratio):
            if rat is None:
                self._row_of[j] = k
                k += 1
            else:
                k += 2
        self._key = None
        self.W = sparse.csr_matrix((0, 0))
        self._gather: list = []
        self.linear = np.zeros(0, dtype=int)
        self.direct: list[int] = []
        self._used: list[tuple[str, str]] = []

    def __call__(self, r) -> np.ndarray:
        key = self._layout(r)
        if key != self._key:
            self._build(r, key)
        V = r.n_draws
        rows = np.empty((len(self._rows), V))
        if len(self.linear):
            rows[self.linear] = self.W @ self._gathered(r)
        for j in self.direct:
            rows[j] = model_value(r, self._rows[j])
        out = np.empty((len(self.obs), V))
        for j, rat in enumerate(self._ratio):
            if rat is None:
                out[j] = rows[self._row_of[j]]
            else:  # as Result.value: NaN where nothing was submitted
                num, den = rows[rat[0]], rows[rat[1]]
                out[j] = np.where(den > 0, num / np.maximum(den, 1e-12), np.nan)
        return out

    @staticmethod
    def _arrays(r, where: str) -> dict:
        a = r.arrays
        return a.stocks if where == "stocks" else a.flows if where == "flows" else (a.initial or {})

    def _layout(self, r):
        shapes = tuple((w, n, self._arrays(r, w)[n].shape[:1] + self._arrays(r, w)[n].shape[2:])
                       for w, n in _SOURCES if n in self._arrays(r, w))
        init = r.arrays.initial
        act = r.arrays.stocks["active"][:, 0].tobytes() + (b"" if init is None else init["active"][:, 0].tobytes())
        return (r.scenario.pack, tuple(int(y) for y in r.years), init is not None, act, shapes)

    def _gathered(self, r) -> np.ndarray:
        """The elements the matrix reads (used columns × draws): ``_features(r, used)[cols]``."""
        V = r.n_draws
        parts = [self._arrays(r, w)[n].reshape(T, V, per)[t, :, e] for w, n, T, per, t, e in self._gather]
        return np.concatenate(parts, axis=0) if parts else np.zeros((0, V))

    @staticmethod
    def _features(r, used) -> np.ndarray:
        V = r.n_draws
        return np.concatenate([np.moveaxis(ObservationOperator._arrays(r, w)[n], 1, -1).reshape(-1, V)
                               for w, n in used], axis=0)

    def _build(self, r, key) -> None:
        from dataclasses import replace

        self._key = key
        used = [(w, n) for w, n in _SOURCES if n in self._arrays(r, w)]
        sizes = [int(np.prod(self._arrays(r, w)[n].shape)) // r.n_draws for w, n in used]
        if not used or max(sizes) > _MAX_PROBE:
            self.linear, self.direct, self.W, self._used = np.zeros(0, dtype=int), list(range(len(self._rows))), \
                sparse.csr_matrix((0, 0)), []
            return
        blocks, ok = [], np.ones(len(self._rows), dtype=bool)
        for (w, n), size in zip(used, sizes):
            stocks, flows = dict(r.arrays.stocks), dict(r.arrays.flows)
            initial = None if r.arrays.initial is None else dict(r.arrays.initial)
            groups = {"stocks": stocks, "flows": flows, "initial": initial}
            for g, d in groups.items():  # every array: zeros with ``size`` draws (read-only views)
                for k, v in (d or {}).items():
                    d[k] = np.broadcast_to(0.0, v.shape[:1] + (size,) + v.shape[2:])
            for d, src in ((stocks, r.arrays.stocks), (initial, r.arrays.initial)):
                if d is not None:  # which areas exist comes from the run itself
                    d["active"] = np.broadcast_to(src["active"][:, :1], src["active"].shape[:1] + (size,)
                                                  + src["active"].shape[2:])
            shape = self._arrays(r, w)[n].shape
            probe = np.moveaxis(np.eye(size).reshape(shape[:1] + shape[2:] + (size,)), -1, 1)
            groups[w][n] = probe
            arrays = replace(r.arrays, stocks=stocks, flows=flows, initial=initial)
            pr = Result(scenario=r.scenario, arrays=arrays, mode="expected", seed=r.seed, draws=size)
            rows = np.zeros((len(self._rows), size))
            for j, o in enumerate(self._rows):
                try:
                    rows[j] = model_value(pr, o)
                except (KeyError, IndexError, ValueError, ZeroDivisionError, FloatingPointError):
                    ok[j] = False
            blocks.append(rows)
        W = np.concatenate(blocks, axis=1)
        direct_all = np.array([model_value(r, o) for o in self._rows], dtype=float).reshape(len(self._rows), -1)
        with np.errstate(all="ignore"):
            approx = W @ self._features(r, used)
        ok &= np.all(np.isclose(approx, direct_all, rtol=1e-9, atol=1e-9) | (np.isnan(approx) & np.isnan(direct_all)),
                     axis=1)
        self.linear = np.flatnonzero(ok)
        self.direct = [int(j) for j in np.flatnonzero(~ok)]
        # sparse (a report reads a few dozen elements): no multithreaded BLAS call per evaluation,
        # which costs more than it saves on a busy 2-core machine
        Wl = W[self.linear]
        # gather only the elements some report reads (a few hundred of the arrays' ~10⁴ per draw):
        # per source, the (year, element) index pairs of the matrix's non-zero columns
        cols = np.flatnonzero(np.any(Wl != 0, axis=0))
        self.W = sparse.csr_matrix(Wl[:, cols])
        self._gather = []
        offset = 0
        for (w, n), size in zip(used, sizes):
            arr = self._arrays(r, w)[n]
            T, per = arr.shape[0], size // arr.shape[0]
            mine = cols[(cols >= offset) & (cols < offset + size)] - offset
            if mine.size:
                self._gather.append((w, n, T, per, mine // per, mine % per))
            offset += size
        self._used = used


def select(actuals: list[dict], until: int | None, years: np.ndarray) -> list[dict]:
    """Observations inside the run's years (and observed by the end of ``until`` if given)."""
    first, last = int(years[0]), int(years[-1])
    return [o for o in actuals if first <= o["year"] <= last and (until is None or o["year"] <= until)]


def with_assumptions(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """The scenario with assumption values replaced, validated (bounds, threshold order)."""
    a = type(scenario.assumptions).model_validate({**scenario.assumptions.model_dump(), **values})
    return scenario.model_copy(update={"assumptions": a})
