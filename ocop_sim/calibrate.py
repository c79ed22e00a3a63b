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
from .scenarios import derive
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
        # where each report's value comes from: its row, or a ratio of two rows
        plain = [(j, r) for j, (r, rat) in enumerate(zip(self._row_index(), self._ratio)) if rat is None]
        self._plain_out = np.array([j for j, _ in plain], dtype=int)
        self._plain_rows = np.array([r for _, r in plain], dtype=int)
        self._ratio_out = np.array([j for j, rat in enumerate(self._ratio) if rat is not None], dtype=int)
        self._num = np.array([rat[0] for rat in self._ratio if rat is not None], dtype=int)
        self._den = np.array([rat[1] for rat in self._ratio if rat is not None], dtype=int)
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
        return self._values(r.arrays, r.n_draws, r)

    @property
    def reusable(self) -> bool:
        """Built, and every report read through the matrix (:meth:`values` needs no Result)."""
        return self._key is not None and not self.direct

    def values(self, arrays) -> np.ndarray:
        """:meth:`__call__` of run arrays of the layout last seen, without checking the layout:
        for a caller that runs one scenario and one event list many times (a calibration), after
        a first call has built (and checked) the matrix.  Requires :attr:`reusable`."""
        if not self.reusable:
            raise ValueError("ObservationOperator.values: call the operator on a Result first "
                             "(or some report is not linear)")
        return self._values(arrays, next(iter(arrays.stocks.values())).shape[1])

    def _values(self, arrays, V: int, r=None) -> np.ndarray:
        rows = np.empty((len(self._rows), V))
        if len(self.linear):
            rows[self.linear] = self.W @ self._gathered(arrays, V)
        for j in self.direct:
            rows[j] = model_value(r, self._rows[j])
        out = np.empty((len(self.obs), V))
        out[self._plain_out] = rows[self._plain_rows]
        if len(self._ratio_out):  # as Result.value: NaN where nothing was submitted
            num, den = rows[self._num], rows[self._den]
            with np.errstate(divide="ignore", invalid="ignore"):
                out[self._ratio_out] = np.where(den > 0, num / np.maximum(den, 1e-12), np.nan)
        return out

    def _row_index(self) -> list[int]:
        """The first probed row of each report."""
        out, k = [], 0
        for rat in self._ratio:
            out.append(k)
            k += 1 if rat is None else 2
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

    def _gathered(self, arrays, V: int) -> np.ndarray:
        """The elements the matrix reads (used columns × draws): ``_features(r, used)[cols]``."""
        where = {"stocks": arrays.stocks, "flows": arrays.flows, "initial": arrays.initial or {}}
        parts = [where[w][n].reshape(T, V, per)[t, :, e] for w, n, T, per, t, e in self._gather]
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
    return derive(scenario, {"assumptions": dict(values)})
