"""The reduced OCOP model (one area, one group, 3★/4★/provincial 5★/national 5★ with certificate
ageing, expected mode) in four implementations, for the peer benchmark (issue 5, item 4).

1. :func:`run_package` – the package's own :func:`ocop_sim.model.step`, configured to one area
   and one group (expected sampler, levers at zero, quality weights at zero so that scores are
   constant, no events);
2. :func:`run_numpy` – the same stock-and-flow equations written once in :func:`equations`,
   evaluated with plain floats;
3. :func:`run_pysd` – those equations written to a Vensim ``.mdl`` file and run with PySD;
4. :func:`build_bptk` / :func:`run_bptk` – those equations as a BPTK-Py SD-DSL model (Python
   engine and, if present, the Rust engine).

All use Euler integration with dt = 1 year, so the SD tools reproduce the yearly discrete steps
exactly: every stock is ``INTEG(next_value - stock)``.  SD time ``t`` holds the state at the
start of year ``t``, i.e. the package's end-of-year state of ``t - 1``.

Stocks: ``cand`` (candidates) and ``c_<level>_<age>`` (certified products by star level and
certificate age 0/1/2 full years).  Rates are the baseline assumptions of ``params/baseline.yaml``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

LEVEL_NAMES = ("s3", "s4", "p5", "n5")
AGES = (0, 1, 2)
START, END = 2019, 2035  # years simulated (the package's horizon)
#: the reduced model's start: the 2018 survey's ~190 potential products in development, and a pool
#: of three times that (Đồng Nai 2019 pack), in one area and one group
CAND0, POOL0 = 190.0, 570.0


@dataclass(frozen=True)
class ReducedParams:
    """Constants of the reduced model (per year rates [1/yr] and probabilities [-])."""

    cand0: float          # initial candidates [products]
    ideas: float          # new ideas per year with the whole pool left [products/yr]
    pool0: float          # potential products at the start [products]
    growth: float         # new potential products a year, share of pool0 [1/yr]
    h: float              # entity exit hazard: certificates lost [1/yr]
    sr: float             # submission rate [1/yr]
    p_fail: float         # P(score < 3★ threshold) [-]
    p3: float             # P(3★) [-]
    p4: float             # P(4★) [-]
    p5: float             # P(5★ band) [-]
    retry: float          # failed products that stay candidates [-]
    dropout: float        # candidate dropout [1/yr]
    rate: float           # upgrade attempts [1/yr]
    pu4: float            # P(upgrade attempt reaches 4★) [-]
    pu5: float            # P(upgrade attempt reaches 5★ band) [-]
    csr: float            # central submission rate of provincial 5★ [1/yr]
    cpr: float            # central pass rate [-]
    renew: float          # renewal probability at expiry [-]
    down: float           # downgrade probability if not renewed [-]
    first_eval: float     # first evaluation year [yr]
    central_first: float  # first central council year [yr]


@lru_cache(maxsize=1)
def _scenario():
    from ocop_sim import load

    root = Path(__file__).resolve().parents[1]
    sc = load(root / "params" / "baseline.yaml").scenario
    # quality 0 (constant scores), no score drift as the pool is used, one renewal rule for every level
    a = sc.assumptions
    upd = {"quality_weight_training": 0.0, "quality_weight_development": 0.0, "quality_weight_value_chain": 0.0,
           "score_depletion": 0.0, "renewal_factor_4star": 1.0, "downgrade_prob_4star": a.downgrade_prob}
    return sc.model_copy(update={"assumptions": sc.assumptions.model_copy(update=upd), "events": [],
                                 "posterior": None})


def reduced_params() -> ReducedParams:
    """Constants from the baseline assumptions (quality 0: constant scores)."""
    from ocop_sim import model
    from ocop_sim.simulate import parameter_arrays

    sc = _scenario()
    P = {k: float(v[0]) for k, v in parameter_arrays(sc, 1, None).items()}
    score = P["score_base"]
    args = (P["score_scale"], P["threshold_3star"], P["threshold_4star"], P["threshold_5star"],
            P["premium_share"], P["premium_score_bonus"])
    f, s3, s4, s5 = (float(x) for x in model.star_probabilities(score, *args))
    u = [float(x) for x in model.star_probabilities(score + P["upgrade_score_bonus"], *args)]
    return ReducedParams(
        cand0=CAND0,
        # with no programme money inflow is the autonomous share of the base rates
        ideas=(P["base_new_ideas"] + P["ideas_per_new_entity"] * P["base_new_entities"]) * P["autonomous_share"],
        pool0=POOL0 * P["pool_factor"], growth=P["pool_growth"],
        h=P["entity_exit_rate"], sr=P["submission_rate"], p_fail=f, p3=s3, p4=s4, p5=s5,
        retry=P["retry_prob"], dropout=P["candidate_dropout"], rate=P["upgrade_attempt_rate"],
        pu4=u[2] + u[3], pu5=u[3], csr=P["central_submission_rate"], cpr=P["central_pass_rate"],
        renew=P["renewal_base_prob"], down=P["downgrade_prob"], first_eval=P["first_evaluation_year"],
        central_first=P["central_first_year"])


# ----------------------------------------------------------------------------- the equations, once

def equations(v, aux, step) -> dict:
    """Next values of every stock from current values ``v`` (stocks and constants by name).

    ``aux(name, expr)`` names an auxiliary (returns something usable in expressions);
    ``step(height, t0)`` is ``height`` from time ``t0`` on, else 0.  The same function builds the
    Vensim text, the BPTK model and the plain-float model.
    """
    eval_on = aux("eval_on", step(1, v["first_eval"]))
    central_on = aux("central_on", step(1, v["central_first"]))
    sub = aux("submitted", v["cand"] * v["sr"] * eval_on)
    failed = aux("failed", sub * v["p_fail"])
    cand1 = aux("cand_after_eval", v["cand"] - sub + failed * v["retry"])
    ideas = aux("new_ideas", v["ideas"] * v["pool"] / v["pool0"])  # ideas come from what is left of the pool
    nxt = {"cand": cand1 - cand1 * v["dropout"] + ideas, "pool": v["pool"] - ideas + v["growth"] * v["pool0"]}
    x = {(lv, k): aux(f"kept_{lv}_{k}", v[f"c_{lv}_{k}"] - v[f"c_{lv}_{k}"] * v["h"])
         for lv in LEVEL_NAMES for k in AGES}
    up34 = [aux(f"up34_{k}", x[("s3", k)] * v["rate"] * v["pu4"]) for k in AGES]
    up45 = [aux(f"up45_{k}", x[("s4", k)] * v["rate"] * v["pu5"]) for k in AGES]
    passc = [aux(f"pass_c_{k}", x[("p5", k)] * v["csr"] * central_on * v["cpr"]) for k in AGES]
    y = {}
    for k in AGES:
        y[("s3", k)] = aux(f"left_s3_{k}", x[("s3", k)] - up34[k])
        y[("s4", k)] = aux(f"left_s4_{k}", x[("s4", k)] - up45[k])
        y[("p5", k)] = aux(f"left_p5_{k}", x[("p5", k)] - passc[k])
        y[("n5", k)] = x[("n5", k)]
    renewed = {lv: aux(f"renewed_{lv}", y[(lv, 2)] * v["renew"]) for lv in LEVEL_NAMES}
    down = {lv: aux(f"downgraded_{lv}", y[(lv, 2)] * (1 - v["renew"]) * v["down"]) for lv in LEVEL_NAMES}
    new = {"s3": sub * v["p3"], "s4": sub * v["p4"], "p5": sub * v["p5"]}
    upgraded = {"s4": up34[0] + up34[1] + up34[2], "p5": up45[0] + up45[1] + up45[2],
                "n5": passc[0] + passc[1] + passc[2]}
    down_to = {"s3": down["s4"], "s4": down["p5"], "p5": down["n5"]}
    for lv in LEVEL_NAMES:
        age0 = renewed[lv]
        for part in (new, upgraded, down_to):
            if lv in part:
                age0 = age0 + part[lv]
        nxt[f"c_{lv}_0"] = aux(f"age0_{lv}", age0)
        nxt[f"c_{lv}_1"] = y[(lv, 0)]
        nxt[f"c_{lv}_2"] = y[(lv, 1)]
    return nxt


STOCKS = ("cand", "pool") + tuple(f"c_{lv}_{k}" for lv in LEVEL_NAMES for k in AGES)
CONSTANTS = tuple(ReducedParams.__dataclass_fields__)


def _initial(p: ReducedParams) -> dict[str, float]:
    return {s: (p.cand0 if s == "cand" else p.pool0 if s == "pool" else 0.0) for s in STOCKS}


def level_totals(rows: dict[str, np.ndarray]) -> np.ndarray:
    """(T, 5) array: candidates and the four levels summed over certificate ages."""
    return np.stack([rows["cand"]] + [sum(rows[f"c_{lv}_{k}"] for k in AGES) for lv in LEVEL_NAMES], axis=1)


# ----------------------------------------------------------------------------- 1. the package's own step

def run_package(p: ReducedParams | None = None) -> np.ndarray:
    """The package's :func:`ocop_sim.model.step` on one area and one group: (T, 5) end-of-year values."""
    from ocop_sim import model
    from ocop_sim.simulate import parameter_arrays

    sc = _scenario()
    P = parameter_arrays(sc, 1, None)
    p = p or reduced_params()
    lev = model.YearLevers(training_share_officials=0.25)  # every other lever of the registry: 0 (off)
    state = model.State(cand=np.full((1, 1, 1), p.cand0), cert=np.zeros((1, 1, 1, model.N_LEVELS, model.N_AGES)),
                        ent=np.zeros((1, 1)), trained_lead=np.zeros((1, 1)), trained_off=np.zeros(1),
                        officials_pool=np.full(1, 180.0), projects=np.zeros((1, len(model.PROJECTS))),
                        active=np.array([True]), pool=np.full((1, 1, 1), p.pool0), pool0=np.full((1, 1, 1), p.pool0),
                        lapsed_cum=np.zeros((1, 1, model.N_LEVELS)), log_inflow=np.zeros(1), score_shift=np.zeros(1))
    sampler = model.Sampler(None)
    out = []
    for year in range(START, END + 1):
        state, _ = model.step(state, year, lev, P, np.array([1.0]), np.array([1.0]), 0, sampler)
        out.append([state.cand.sum()] + list(state.cert[0, 0, 0].sum(axis=-1)))
    return np.array(out)


# ----------------------------------------------------------------------------- 2. plain floats

def run_numpy(p: ReducedParams | None = None) -> np.ndarray:
    """:func:`equations` with plain floats: (T, 5) end-of-year values."""
    p = p or reduced_params()
    const = {k: getattr(p, k) for k in CONSTANTS}
    state = _initial(p)
    rows = {s: [] for s in STOCKS}
    for year in range(START, END + 1):
        state = equations({**const, **state}, lambda name, e: e,
                          lambda h, t0, _y=year: h if _y >= t0 else 0.0)
        for s in STOCKS:
            rows[s].append(state[s])
    return level_totals({k: np.array(v) for k, v in rows.items()})


# ----------------------------------------------------------------------------- 3. Vensim / PySD

class _Sym(str):
    """An expression in Vensim syntax; arithmetic builds parenthesised text."""

    def _op(self, o, sym, rev=False):
        a, b = (_fmt(o), self) if rev else (self, _fmt(o))
        return _Sym(f"({a} {sym} {b})")

    def __add__(self, o): return self._op(o, "+")
    def __radd__(self, o): return self._op(o, "+", True)
    def __sub__(self, o): return self._op(o, "-")
    def __rsub__(self, o): return self._op(o, "-", True)
    def __mul__(self, o): return self._op(o, "*")
    def __rmul__(self, o): return self._op(o, "*", True)
    def __truediv__(self, o): return self._op(o, "/")


def _fmt(x) -> str:
    return x if isinstance(x, str) else repr(float(x))


def vensim_text(p: ReducedParams | None = None) -> str:
    """The reduced model as a Vensim ``.mdl`` text (Euler, dt = 1, years START..END+1)."""
    p = p or reduced_params()
    lines: list[str] = []

    def eq(name, expr, unit="", doc=""):
        lines.append(f"{name} = {expr}\n\t~\t{unit}\n\t~\t{doc}\n\t|\n")

    def aux(name, expr):
        eq(name, expr)
        return _Sym(name)

    for k in CONSTANTS:
        eq(k, repr(float(getattr(p, k))), doc="constant of the reduced OCOP model")
    v = {k: _Sym(k) for k in CONSTANTS + STOCKS}
    nxt = equations(v, aux, lambda h, t0: _Sym(f"STEP({_fmt(h)}, {t0})"))
    init = _initial(p)
    for s in STOCKS:
        eq(f"next_{s}", nxt[s], "products")
        eq(s, f"INTEG(next_{s} - {s}, {init[s]!r})", "products")
    lines.append("********************************************************\n\t.Control\n"
                 "********************************************************~\n\t\tSimulation Control Parameters\n\t|\n")
    eq("INITIAL TIME", str(START), "Year")
    eq("FINAL TIME", str(END + 1), "Year")
    eq("TIME STEP", "1", "Year")
    eq("SAVEPER", "TIME STEP", "Year")
    return "{UTF-8}\n" + "".join(lines) + "\\\\\\---/// Sketch information - do not modify anything except names\n"


def load_pysd(path: Path):
    """Write the .mdl file and load it with PySD (translation to Python happens here)."""
    import pysd

    path = Path(path)
    path.write_text(vensim_text(), encoding="utf-8")
    return pysd.read_vensim(str(path))


def run_pysd(m) -> np.ndarray:
    """Run a loaded PySD model: (T, 5) values at times START+1..END+1 (= end of START..END)."""
    df = m.run(return_columns=list(STOCKS), progress=False)
    df = df.loc[[float(t) for t in range(START + 1, END + 2)]]
    return level_totals({s: df[s].to_numpy(float) for s in STOCKS})


# ----------------------------------------------------------------------------- 4. BPTK-Py

def build_bptk(p: ReducedParams | None = None):
    """The reduced model in BPTK-Py's SD DSL (stocks, converters, constants)."""
    from BPTK_Py import Model
    from BPTK_Py import sd_functions as sd

    p = p or reduced_params()
    m = Model(starttime=START, stoptime=END + 1, dt=1, name="ocop_reduced")
    v = {}
    for k in CONSTANTS:
        c = m.constant(k)
        c.equation = float(getattr(p, k))
        v[k] = c
    stocks = {s: m.stock(s) for s in STOCKS}
    init = _initial(p)
    for s, st in stocks.items():
        st.initial_value = init[s]
        v[s] = st

    def aux(name, expr):
        c = m.converter(name)
        c.equation = expr
        return c

    # BPTK's step switches on strictly after t0 (Vensim: time + dt/2 > t0): shift by half a step
    nxt = equations(v, aux, lambda h, t0: sd.step(h, t0 - 0.5))
    for s, st in stocks.items():
        f = m.biflow(f"net_{s}")  # a plain flow is clipped at 0 (a uniflow)
        f.equation = nxt[s] - st
        st.equation = f
    return m


def run_bptk(m, backend: str = "python") -> np.ndarray:
    df = m.simulate(list(STOCKS), backend=backend)
    df = df.loc[[float(t) for t in range(START + 1, END + 2)]]
    return level_totals({s: df[s].to_numpy(float) for s in STOCKS})


def max_rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max(1, |a|) over all entries."""
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(a))))
