"""Plot functions: return the Axes, draw what the frames hold, label through i18n."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ocop_sim import plots, report  # noqa: E402
from ocop_sim.i18n import t  # noqa: E402


@pytest.fixture(scope="module")
def res(smoke):
    from ocop_sim import simulate

    return simulate(smoke.scenario, draws=20)


@pytest.fixture(autouse=True)
def _close():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_fan_draws_median_targets_actuals(res, lang):
    from ocop_sim.data import actuals

    summary = report.report_summary(res)
    table = res.attainment()
    ax = plots.plot_fan(summary, "products_3star_plus", "old_dong_nai", table, actuals(), lang=lang)
    s = summary[(summary.metric == "products_3star_plus") & (summary.scope == "old_dong_nai")]
    line = ax.get_lines()[0]
    assert np.allclose(line.get_ydata(), s["median"]) and np.allclose(line.get_xdata(), s["year"] + 1)
    assert ax.get_title() == t("fan_chart", lang)
    texts = [x.get_text() for x in ax.texts]
    assert any(t("target", lang) in x and "2025" in x for x in texts)  # target markers annotated
    legend = [x.get_text() for x in ax.get_legend().get_texts()]
    assert t("actual", lang) in legend


def test_vi_axis_number_format(res):
    ax = plots.plot_spending(res.spending(), lang="vi")
    assert ax.yaxis.get_major_formatter()(1234.5, 0) == "1.234,5"
    ax = plots.plot_spending(res.spending(), lang="en")
    assert ax.yaxis.get_major_formatter()(1234.5, 0) == "1,234.5"
    ax = plots.plot_training(report.report_summary(res), res.attainment(), lang="vi")
    assert ax.yaxis.get_major_formatter()(0.5, 0) == "50 %"


def test_star_mix_stack_totals(res):
    mix = res.star_mix()
    ax = plots.plot_star_mix(mix, lang="vi")
    top = ax.collections[-1].get_paths()[0].vertices[:, 1].max()
    assert top == pytest.approx(mix.sum(axis=1).max())
    assert [x.get_text() for x in ax.get_legend().get_texts()][0] == t("products_3star", "vi")


def test_by_area_bars_and_names(res):
    end = res.scenario.horizon.end
    df = res.by_area(end)
    ax = plots.plot_by_area(df, end, lang="vi")
    widths = sorted(p.get_width() for p in ax.patches)
    assert widths == pytest.approx(sorted(df["value"]))
    assert "Biên Hòa" in [x.get_text() for x in ax.get_yticklabels()]


def test_spending_stack_and_compare_plots(res):
    sp = res.spending()
    ax = plots.plot_spending(sp)
    assert max(p.get_y() + p.get_height() for p in ax.patches) == pytest.approx(sp.sum(axis=1).max())
    runs = [(type("L", (), {"scenario": res.scenario})(), res)]
    m = report.probability_matrix(runs, "en")
    ax = plots.plot_prob_matrix(m)
    assert len(ax.texts) == m.size
    ca = report.cost_attainment(runs)
    assert ca["total_cost_bn_vnd"].iloc[0] == pytest.approx(sp.to_numpy().sum())
    ax = plots.plot_cost_vs_attainment(ca, lang="vi")
    assert ax.get_xlabel() == t("total_cost_bn_vnd", "vi")
    ax = plots.plot_by_group(res.by_group(), lang="en")
    assert len(ax.get_lines()) == res.by_group().shape[1]
    ax = plots.plot_cost_per_product(report.cost_per_product_frame(res))
    assert ax.get_lines()[0].get_ydata()[-1] > 0
