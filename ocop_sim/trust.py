"""How far a scenario's probabilities can be trusted, in one plain sentence.

The sentence is built from the leak-free backtest scores recorded with the scenario's posterior
(``ocop-sim calibrate … --backtest``); the scenario report puts it above the targets table and
the planning document in its summary.  Below :mod:`ocop_sim.report` and
:mod:`ocop_sim.document`, which both use it.
"""
from __future__ import annotations

from .i18n import fmt_percent, t
from .posterior import load_meta
from .scenarios import params_file


def trust_sentence(scenario, lang: str = "en") -> str:
    """One plain sentence saying how far the probabilities can be trusted, from the backtest
    scores recorded with the scenario's posterior (``ocop-sim calibrate … --backtest``)."""
    bt = None
    if scenario.posterior:
        bt = load_meta(str(params_file(scenario.posterior))).get("backtest")
    if not bt or not bt.get("cutoffs"):
        return t("trust_none", lang)
    cuts = bt["cutoffs"]
    years = [c["until"] for c in cuts]
    cov80 = bt.get("coverage_80", float("nan"))
    n = sum(int(c.get("n_quantities", 0)) for c in cuts)
    return t("trust_measured", lang).format(
        first=min(years), last=max(years), share=fmt_percent(cov80, lang, 0), n=n,
        worst=fmt_percent(min(c["coverage"]["80"] for c in cuts), lang, 0))
