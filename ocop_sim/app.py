"""The explorer as a web app without code: ``ocop-sim app [SCENARIO] [--port P]``.

The page is served by **Voilà**, not Panel.  Why, measured on this project's machine:

* Voilà renders the package's ipywidgets (the explorer's sliders and its ``Output``/``HTML``
  results), so the app and ``notebooks/explore.ipynb`` share one widget code path
  (:class:`ocop_sim.widgets.Explorer` holds the state and the save logic for both);
* it adds 4.6 MB (``voila`` + ``websockets``) to an environment that already has Jupyter,
  where Panel would add ~60 MB (``panel``, ``bokeh``, ``panel-material-ui``, ``param``, …) and a
  second widget toolkit to keep in step;
* it inherits jupyter_server's token authentication (``?token=``) and its loopback binding,
  and strips every code cell from the page (``strip_sources``);
* startup: importing Voilà costs ~5 s of CPU here, and a pre-heated kernel (``--preheat_kernel``:
  it imports the package before anyone asks, then waits for its page) is ready ~15 s after start
  on a loaded 2-core machine; a page then shows in ~10 s under that load (build, one expected run,
  the chart), and moving a slider re-runs the expected mode in ~0.5 s.  Panel starts faster (no
  kernel) but would need the whole UI written again.

How it runs: :func:`serve` writes a one-cell notebook (``App.from_env().show()``) and a kernel
spec naming this Python into a private temporary folder and starts Voilà on it.  The scenario,
its folder and the language reach the kernel through environment variables (never through code
text); the page's query string may name another scenario *of that folder*
(``?scenario=name.yaml&lang=vi``).  All logic is here, in :class:`App`, testable without a browser.

Longer than 400 lines because it is one page: the Voilà template, the scenario form, the run with
its progress, and the goal-seek panel share the page's state; the widgets themselves live in
:mod:`ocop_sim.widgets`.
"""
from __future__ import annotations

import io
import json
import math
import os
import re
import secrets
import sys
import tempfile
import unicodedata
from pathlib import Path
from urllib.parse import parse_qs

from . import levers as _levers
from . import plots
from .config import ASSUMPTION_NAMES, Levers, assumption_meta, lever_meta, schedule_value
from .goalseek import format_result, goal_seek
from .guide import guide_html
from .i18n import assumption_text, fmt_number, t, unit_text
from .io import OutputPathError, safe_child
from .report.tables import _CSS, esc, evaluation_html, outlook_html, targets_html
from .results import Result
from .scenarios import ScenarioError, load
from .sensitivity import LEVER_NAMES
from .simulate import BLOCK, concat_runs, run_draws, simulate
from .widgets import Explorer, _nice_step

#: Environment variables that carry the app's settings to its kernel.
ENV_SCENARIO, ENV_FOLDER, ENV_LANG = "OCOP_APP_SCENARIO", "OCOP_APP_FOLDER", "OCOP_APP_LANG"
#: Environment variable holding a fixed token (tests); otherwise a random one per start.
ENV_TOKEN = "OCOP_APP_TOKEN"
DEFAULT_PORT = 8866
#: Monte Carlo draws offered for the band and the probabilities.
DRAW_CHOICES = (200, 500, 1000, 2000)
#: Probability criteria offered to goal seek (None: the expected mode).
GOAL_CRITERIA = (None, 0.5, 0.8, 0.9)
#: Draws of a goal seek on a probability (each evaluation is one Monte Carlo run).
GOAL_DRAWS = 200

#: The app's own texts (those not in :mod:`ocop_sim.i18n`), in both languages.
TEXT = {
    "app_title": {"vi": "Khám phá kịch bản OCOP", "en": "OCOP scenario explorer"},
    "scenario": {"vi": "Kịch bản", "en": "Scenario"},
    "language": {"vi": "Ngôn ngữ", "en": "Language"},
    "intro": {"vi": "Kéo thanh trượt: bảng mục tiêu và biểu đồ được tính lại ngay (chế độ kỳ vọng). "
                    "Mức của một giải pháp áp dụng từ năm {year}.",
              "en": "Move a slider: the targets table and the chart are recomputed at once (expected mode). "
                    "A measure's level applies from {year} on."},
    "results": {"vi": "Kết quả (chế độ kỳ vọng)", "en": "Results (expected mode)"},
    "expected_note": {"vi": "Một lần chạy không có yếu tố ngẫu nhiên, với giá trị kỳ vọng của mọi giả định. Dải bất định và "
                            "xác suất đạt mục tiêu: nút Monte Carlo bên dưới.",
                      "en": "One run without randomness, at the expected value of every assumption. The uncertainty band "
                            "and the probability of meeting each target: the Monte Carlo button below."},
    "evaluation": {"vi": "Đánh giá các mục tiêu đã qua", "en": "Evaluation of past targets"},
    "band": {"vi": "Dải bất định và xác suất (Monte Carlo)", "en": "Uncertainty band and probabilities (Monte Carlo)"},
    "draws": {"vi": "Số lượt mô phỏng", "en": "Draws"},
    "compute_band": {"vi": "Tính dải và xác suất", "en": "Compute band and probabilities"},
    "computing": {"vi": "Đang tính…", "en": "Computing…"},
    "band_done": {"vi": "Xong: {draws} lượt mô phỏng, {s} giây.", "en": "Done: {draws} draws, {s} s."},
    "band_stale": {"vi": "Thiết lập đã thay đổi: hãy tính lại.", "en": "Settings changed: compute again."},
    "goal": {"vi": "Cần bao nhiêu để đạt mục tiêu?", "en": "What does it take?"},
    "goal_help": {"vi": "Tìm hệ số nhân nhỏ nhất của mức kinh phí một giải pháp (từ năm {year}) để đạt mục tiêu đã chọn.",
                  "en": "Finds the smallest factor on one measure's level (from {year} on) that meets the chosen target."},
    "target": {"vi": "Mục tiêu", "en": "Target"},
    "lever": {"vi": "Giải pháp", "en": "Measure"},
    "criterion": {"vi": "Tiêu chí", "en": "Criterion"},
    "expected": {"vi": "Chế độ kỳ vọng", "en": "Expected mode"},
    "prob_at_least": {"vi": "Xác suất ≥ {p}", "en": "Probability ≥ {p}"},
    "run_goal": {"vi": "Tìm mức cần thiết", "en": "Find what it takes"},
    "apply": {"vi": "Áp dụng vào thanh trượt", "en": "Apply to the slider"},
    "no_outlook": {"vi": "Kịch bản không có mục tiêu trong tầm dự báo.", "en": "The scenario has no target within its horizon."},
    "save": {"vi": "Lưu thành kịch bản", "en": "Save as scenario"},
    "save_name": {"vi": "Tên tệp (chữ, số, _ -)", "en": "File name (letters, digits, _ -)"},
    "save_help": {"vi": "Ghi một tệp YAML kế thừa kịch bản đang mở, chỉ gồm các thay đổi, vào thư mục kịch bản {folder}.",
                  "en": "Writes a YAML file that extends the open scenario with only your changes, into the scenarios folder {folder}."},
    "saved": {"vi": "Đã lưu {file}. Mở lại: {link}", "en": "Saved {file}. Open it: {link}"},
    "no_changes": {"vi": "Chưa có thay đổi nào để lưu.", "en": "Nothing changed yet: nothing to save."},
    "guide": {"vi": "Hướng dẫn sử dụng", "en": "User guide"},
    "unit": {"vi": "đơn vị", "en": "unit"},
}

#: What each measure pays for, in Vietnamese (the English text is the schema's description):
#: from the lever registry.
LEVER_HELP_VI = {_s.name: _s.help_vi for _s in _levers.LEVERS}


def tx(key: str, lang: str, **kw) -> str:
    """An app text in ``lang`` (falls back to :func:`ocop_sim.i18n.t`)."""
    text = TEXT[key][lang] if key in TEXT else t(key, lang)
    return text.format(**kw) if kw else text


def lever_label(name: str, lang: str) -> str:
    return lever_meta(name).get("vi", name) if lang == "vi" else t(name, "en")


def lever_help(name: str, lang: str) -> str:
    if lang == "vi":
        return LEVER_HELP_VI.get(name, lever_label(name, "vi"))
    return str(lever_meta(name)["description"]).rsplit(" [", 1)[0]


def lever_unit(name: str, lang: str) -> str:
    return unit_text(lever_meta(name).get("unit", "-"), lang)


def key_assumptions() -> list[str]:
    return [n for n in ASSUMPTION_NAMES if assumption_meta(n).get("key")]


def safe_scenario_name(text: str) -> str:
    """A file stem from what a user typed: diacritics dropped (``đ`` → ``d``), every other
    character outside ``A-Za-z0-9_-`` turned into ``_``, at most 60 characters; '' if nothing is left."""
    s = unicodedata.normalize("NFKD", str(text).replace("đ", "d").replace("Đ", "D"))
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = re.sub(r"[^A-Za-z0-9_-]+", "_", s).strip("_-")
    return s[:60]


def scenario_files(folder: Path) -> list[str]:
    """The scenario files of ``folder`` (``*.yaml`` holding a scenario, not a sweep), by name."""
    import yaml

    names = []
    for p in sorted(Path(folder).glob("*.yaml")):
        try:
            doc = yaml.safe_load(p.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
        if isinstance(doc, dict) and "name" in doc and "sweep" not in doc:
            names.append(p.name)
    return names


def fig_png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def chart_png(res, table, lang: str, band: bool) -> bytes:
    """Fan chart of products at 3★+ (province): the band only for a Monte Carlo result."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt


    fig, ax = plt.subplots(figsize=(8.5, 3.8))
    plots.plot_fan(res.summary(["products_3star_plus"], ["province"]), "products_3star_plus", "province",
                   table, ax=ax, lang=lang)
    if not band:  # the expected mode has no band: no legend entry promising one
        h, lab = ax.get_legend_handles_labels()
        keep = [(a, b) for a, b in zip(h, lab) if b != t("band_p10_p90", lang)]
        ax.legend([a for a, _ in keep], [b for _, b in keep], fontsize=8, loc="upper left")
    return fig_png(fig)


def simulate_with_progress(scenario, draws: int, seed: int | None = None, progress=None):
    """:func:`ocop_sim.simulate.simulate` in Monte Carlo mode, block by block, calling
    ``progress(done, total)`` after each block: the same numbers (blocks are seeded by index)."""
    seed = scenario.seed if seed is None else int(seed)
    parts = []
    for start in range(0, draws, BLOCK):
        stop = min(draws, start + BLOCK)
        parts.append(run_draws(scenario, start, stop, seed))
        if progress is not None:
            progress(stop, draws)
    return Result(scenario=scenario, arrays=concat_runs(parts), mode="monte_carlo", seed=seed, draws=draws)


class App:
    """The explorer page: sliders from the schema, live results, Monte Carlo band, goal seek, save.

    Parameters
    ----------
    scenario_path : the starting scenario (its folder is the scenarios folder: saves go there only).
    lang : 'vi' or 'en' (switchable on the page).
    folder : the scenarios folder (default: the scenario's folder).
    """

    def __init__(self, scenario_path: str | Path, lang: str = "vi", folder: str | Path | None = None):
        self.path = Path(scenario_path).resolve()
        self.folder = Path(folder).resolve() if folder else self.path.parent
        self.lang = lang if lang in ("vi", "en") else "vi"
        self.ex = Explorer(self.path, lang=self.lang, save_dir=self.folder)
        self.from_year = self.ex.from_year
        self.expected = None   # Result of the current settings (expected mode)
        self.mc = None         # Monte Carlo Result of the current settings, or None when stale
        self.goal = None       # last GoalSeekResult
        self.root = None
        self._w: dict = {}

    # ------------------------------------------------------------------ construction from the page
    @classmethod
    def from_env(cls) -> "App":
        """The app of the kernel Voilà started: settings from :data:`ENV_SCENARIO` & co., and the
        page's query string (``scenario=<file of the folder>``, ``lang=vi|en``)."""
        if os.environ.get("VOILA_PREHEAT") == "True":  # a pre-heated kernel: wait for its page request
            from voila.utils import wait_for_request

            wait_for_request()
        folder = Path(os.environ[ENV_FOLDER])
        path = Path(os.environ[ENV_SCENARIO])
        lang = os.environ.get(ENV_LANG, "vi")
        q = parse_qs(os.environ.get("QUERY_STRING", ""))
        if q.get("lang", [""])[0] in ("vi", "en"):
            lang = q["lang"][0]
        name = q.get("scenario", [""])[0]
        if name:
            try:
                p = safe_child(folder, name)  # a plain file name of the folder, nothing else
            except OutputPathError:
                p = None  # anything else opens the starting scenario
            if p is not None and p.suffix in (".yaml", ".yml") and p.is_file():
                path = p
        return cls(path, lang=lang, folder=folder)

    # ------------------------------------------------------------------ state (no browser needed)
    def values(self) -> dict[str, float]:
        """Current slider values: levers at ``from_year``, key assumptions."""
        sc = self.ex.scenario()
        out = {n: float(schedule_value(getattr(sc.levers, n), self.from_year)) for n in Levers.model_fields}
        out.update({n: float(getattr(sc.assumptions, n)) for n in key_assumptions()})
        return out

    def set_value(self, name: str, value: float) -> None:
        """Move a slider (lever or key assumption) and recompute the expected mode."""
        self.ex.set_lever(name, float(value), refresh=False)
        self.mc = None
        self.refresh()

    def refresh(self) -> None:
        self.expected = simulate(self.ex.scenario(), mode="expected")
        self._show_expected()
        self._show_band()

    def compute_band(self, draws: int | None = None, progress=None):
        """Monte Carlo band and probabilities of the current settings."""
        sc = self.ex.scenario()
        draws = int(draws or sc.draws)
        self.mc = simulate_with_progress(sc, draws, progress=progress)
        return self.mc

    def seek(self, target_id: str, lever: str, probability: float | None = None):
        """Goal seek on the current settings (:func:`ocop_sim.goalseek.goal_seek`)."""
        self.goal = goal_seek(self.ex.scenario(), target_id, lever, probability=probability,
                              from_year=self.from_year, draws=GOAL_DRAWS, folder=self.path.parent)
        return self.goal

    def save(self, text: str) -> Path:
        """Save the changes as ``<sanitised text>.yaml`` in the scenarios folder (validated; never
        over an existing file, the starting scenario or anything outside the folder)."""
        stem = safe_scenario_name(text)
        if not stem:
            raise ScenarioError(str(text), "name", "expected a file name with letters or digits, got nothing usable")
        if not self.ex.overrides():
            raise ScenarioError(stem, "", tx("no_changes", "en"))
        return self.ex.save(safe_child(self.folder, f"{stem}.yaml"), name=stem)

    def outlook_targets(self) -> list[tuple[str, str]]:
        """(label, id) of the targets goal seek can aim at (inside the horizon, not yet past)."""
        tab = self.expected.attainment() if self.expected is not None else self.ex.table()
        col = "label_vi" if self.lang == "vi" else "label_en"
        fut = tab[tab["phase"] != "evaluation"] if "phase" in tab else tab
        fut = fut[~fut["status"].isin(["outside_horizon", "planned", "met_reported", "missed_reported", "no_report"])]
        return [(f"{r[col]} ({r['when']})", r["id"]) for _, r in fut.iterrows()]

    # ------------------------------------------------------------------ the page
    def show(self) -> None:
        from IPython.display import display

        display(self.widget())

    def widget(self):
        import ipywidgets as w

        self.root = w.VBox(layout=w.Layout(width="100%"))
        self.root.add_class("ocop-app")
        self._build()
        self.refresh()
        return self.root

    def _build(self) -> None:
        """(Re)build every widget in the current language; slider values from the current settings."""
        import ipywidgets as w


        L = self.lang
        sc = self.ex.loaded.scenario
        W = self._w = {}
        lang = w.ToggleButtons(options=[("Tiếng Việt", "vi"), ("English", "en")], value=L,
                               tooltips=[tx("language", "vi"), tx("language", "en")])
        lang.add_class("ocop-lang")
        lang.observe(self._on_lang, names="value")
        files = scenario_files(self.folder)
        current = self.ex.path.name
        pick = w.Dropdown(options=files if current in files else [current, *files], value=current,
                          description=tx("scenario", L), layout=w.Layout(width="420px"))
        pick.add_class("ocop-scenario")
        pick.observe(self._on_pick, names="value")
        title = getattr(sc.title, L) or sc.name
        head = w.HTML(f"{_CSS}<style>{_APP_CSS}</style><h2>{esc(tx('app_title', L))}: {esc(title)}</h2>"
                      f"<p>{esc(tx('intro', L, year=self.from_year))}</p>")
        vals = self.values()
        lever_rows = [self._slider(n, vals[n], "lever") for n in Levers.model_fields]
        key_rows = [self._slider(n, vals[n], "assumption") for n in key_assumptions()]
        acc = w.Accordion(children=[w.VBox(lever_rows), w.VBox(key_rows)], selected_index=0)
        acc.set_title(0, t("levers", L))
        acc.set_title(1, t("key_assumptions", L))
        # results (expected mode)
        W["chart"] = w.Image(format="png", layout=w.Layout(max_width="760px"))
        W["table"] = w.HTML()
        W["table"].add_class("ocop-outlook")
        W["evaluation"] = w.HTML()
        ev = w.Accordion(children=[W["evaluation"]], selected_index=None)
        ev.set_title(0, tx("evaluation", L))
        # Monte Carlo
        choices = sorted(set(DRAW_CHOICES) | ({sc.draws} if sc.draws <= max(DRAW_CHOICES) else set()))
        W["draws"] = w.Dropdown(options=choices, value=min(sc.draws, max(DRAW_CHOICES)), description=tx("draws", L))
        W["band_btn"] = w.Button(description=tx("compute_band", L), button_style="primary",
                                 layout=w.Layout(width="260px"))
        W["band_btn"].add_class("ocop-band-button")
        W["band_btn"].on_click(self._on_band)
        W["progress"] = w.IntProgress(value=0, min=0, max=100, layout=w.Layout(width="300px"))
        W["progress"].add_class("ocop-progress")
        W["band_msg"] = w.HTML()
        W["band_msg"].add_class("ocop-band-msg")
        W["band_chart"] = w.Image(format="png", layout=w.Layout(max_width="760px", display="none"))
        W["band_table"] = w.HTML()
        W["band_table"].add_class("ocop-band-table")
        band = w.VBox([w.HBox([W["draws"], W["band_btn"], W["progress"]]), W["band_msg"], W["band_chart"],
                       W["band_table"]])
        # goal seek
        W["goal_target"] = w.Dropdown(options=self.outlook_targets_or_none(), description=tx("target", L),
                                      layout=w.Layout(width="720px"), style={"description_width": "110px"})
        W["goal_lever"] = w.Dropdown(options=[(lever_label(n, L), n) for n in LEVER_NAMES], description=tx("lever", L),
                                     layout=w.Layout(width="520px"), style={"description_width": "110px"})
        W["goal_crit"] = w.Dropdown(options=[(tx("expected", L) if p is None else tx("prob_at_least", L, p=fmt_number(p, L, 1)), p)
                                             for p in GOAL_CRITERIA], description=tx("criterion", L),
                                    layout=w.Layout(width="420px"), style={"description_width": "110px"})
        W["goal_btn"] = w.Button(description=tx("run_goal", L), layout=w.Layout(width="auto"))
        W["goal_btn"].add_class("ocop-goal-button")
        W["goal_btn"].on_click(self._on_goal)
        W["goal_out"] = w.HTML()
        W["goal_out"].add_class("ocop-goal-out")
        W["goal_apply"] = w.Button(description=tx("apply", L), layout=w.Layout(width="auto", display="none"))
        W["goal_apply"].add_class("ocop-goal-apply")
        W["goal_apply"].on_click(self._on_apply)
        goal = w.VBox([w.HTML(f"<p>{esc(tx('goal_help', L, year=self.from_year))}</p>"), W["goal_target"],
                       W["goal_lever"], W["goal_crit"], W["goal_btn"], W["goal_out"], W["goal_apply"]])
        # save
        W["save_name"] = w.Text(value=f"{sc.name}_app", placeholder=tx("save_name", L), description="",
                                layout=w.Layout(width="320px"))
        W["save_name"].add_class("ocop-save-name")
        W["save_btn"] = w.Button(description=tx("save", L), button_style="success", layout=w.Layout(width="auto"))
        W["save_btn"].add_class("ocop-save-button")
        W["save_btn"].on_click(self._on_save)
        W["save_msg"] = w.HTML()
        W["save_msg"].add_class("ocop-save-msg")
        save = w.VBox([w.HTML(f"<p>{esc(tx('save_help', L, folder=str(self.folder)))}</p>"),
                       w.HBox([W["save_name"], W["save_btn"]]), W["save_msg"]])
        parts = {"band": band, "goal": goal, "save": save}
        guide = guide_html(L)
        if guide:  # the planners' guide, readable in the app (docs/guide.<lang>.md)
            W["guide"] = w.HTML(f'<div class="ocop-guide">{guide}</div>')
            parts["guide"] = W["guide"]
        tools = w.Accordion(children=list(parts.values()), selected_index=0)
        for i, key in enumerate(parts):
            tools.set_title(i, tx(key, L))
        left = w.VBox([acc], layout=w.Layout(width="44%", min_width="420px"))
        right = w.VBox([w.HTML(f"<h3>{esc(tx('results', L))}</h3>"), W["chart"], W["table"], ev, tools],
                       layout=w.Layout(width="56%"))
        self.root.children = [w.HBox([lang, pick]), head, w.HBox([left, right])]

    def outlook_targets_or_none(self) -> list:
        opts = self.outlook_targets()
        return opts or [(tx("no_outlook", self.lang), "")]

    def _slider(self, name: str, value: float, kind: str):
        import ipywidgets as w


        L = self.lang
        if kind == "lever":
            m = lever_meta(name)
            label, help_, unit = lever_label(name, L), lever_help(name, L), lever_unit(name, L)
            if name == "training_share_officials":
                lo, hi, step = 0.0, 1.0, 0.01
            else:
                lo, hi = 0.0, max(float(m.get("max_ui", 10.0)), value)
                step = 1.0 if str(m.get("unit", "")).startswith("count") else _nice_step(hi / 200)
        else:
            m = assumption_meta(name)
            label, unit = assumption_text(name, L), unit_text(m["unit"], L)
            help_ = f"{t('source', L)}: {m.get('source', '')}" if m.get("source") else ""
            lo, hi = float(m["low"]), float(m["high"])
            step = _nice_step((hi - lo) / 500)
        # the value is shown in the reader's number format (7,5 in Vietnamese), not the slider's own
        s = w.FloatSlider(value=value, min=lo, max=hi, step=step, description="", continuous_update=False,
                          readout=False, layout=w.Layout(width="80%"))
        s.add_class(f"ocop-slider-{name}")
        digits = max(0, -math.floor(math.log10(step) + 1e-9)) if step > 0 else 2
        shown = w.HTML(layout=w.Layout(width="90px"))
        shown.add_class(f"ocop-value-{name}")

        def show(v: float) -> None:
            shown.value = (f'<span class="ocop-value" data-value="{float(v)!r}">'
                           f'{esc(fmt_number(float(v), L, digits))}</span>')

        show(value)
        s.observe(lambda ch: show(ch["new"]), names="value")
        s.observe(lambda ch, n=name: self._on_slide(n, ch["new"]), names="value")
        self._w[f"slider:{name}"] = s
        text = (f'<div class="ocop-label"><b>{esc(label)}</b> <span class="ocop-unit">[{esc(unit)}]</span>'
                f'<br><span class="ocop-help">{esc(help_)}</span></div>')
        box = w.VBox([w.HTML(text), w.HBox([s, shown])])
        box.add_class("ocop-row")
        return box

    # ------------------------------------------------------------------ display of results
    def _show_expected(self) -> None:
        if not self._w:
            return
        L, res = self.lang, self.expected
        tab = res.attainment()
        fut = tab[tab["phase"] != "evaluation"] if "phase" in tab else tab
        past = tab[tab["phase"] == "evaluation"] if "phase" in tab else tab.iloc[:0]
        self._w["chart"].value = chart_png(res, tab, L, band=False)
        body = f"<p>{esc(tx('expected_note', L))}</p>"
        body += targets_html(fut, L) if len(fut) else f"<p>{esc(tx('no_outlook', L))}</p>"
        self._w["table"].value = body
        self._w["evaluation"].value = evaluation_html(past, L) if len(past) else ""

    def _show_band(self) -> None:
        if not self._w:
            return
        W, L = self._w, self.lang
        if self.mc is None:
            W["band_chart"].layout.display = "none"
            W["band_table"].value = ""
            if W["progress"].value:
                W["band_msg"].value = f"<p>{esc(tx('band_stale', L))}</p>"
                W["progress"].value = 0
            return
        tab = self.mc.attainment()
        fut = tab[tab["phase"] != "evaluation"] if "phase" in tab else tab
        W["band_chart"].value = chart_png(self.mc, tab, L, band=True)
        W["band_chart"].layout.display = ""
        W["band_table"].value = outlook_html(fut, self.mc.scenario, L) if len(fut) else ""

    # ------------------------------------------------------------------ callbacks
    def _on_slide(self, name: str, value: float) -> None:
        self.ex.set_lever(name, float(value), refresh=False)
        self.mc = None
        self.refresh()

    def _on_lang(self, change) -> None:
        self.lang = change["new"]
        self.ex.lang = self.lang
        self._build()
        self._show_expected()
        self._show_band()

    def _on_pick(self, change) -> None:
        try:
            ex = Explorer(safe_child(self.folder, change["new"]), lang=self.lang, save_dir=self.folder)
        except Exception as exc:  # noqa: BLE001 - shown to the user
            self._w["save_msg"].value = f'<p class="ocop-error">{esc(t("error", self.lang))}: {esc(exc)}</p>'
            return
        self.ex, self.path, self.mc, self.goal = ex, ex.path.resolve(), None, None
        self.from_year = ex.from_year
        self._build()
        self.refresh()

    def _on_band(self, _b=None) -> None:
        import time

        W, L = self._w, self.lang
        W["band_btn"].disabled = True
        W["progress"].value = 0
        W["band_msg"].value = f"<p>{esc(tx('computing', L))}</p>"
        t0 = time.perf_counter()
        try:
            self.compute_band(int(W["draws"].value),
                              progress=lambda done, total: setattr(W["progress"], "value", int(100 * done / total)))
            self._show_band()
            W["progress"].value = 100
            W["band_msg"].value = (f'<p class="ocop-done">'
                                   f'{esc(tx("band_done", L, draws=self.mc.draws, s=fmt_number(time.perf_counter() - t0, L, 1)))}</p>')
        except Exception as exc:  # noqa: BLE001 - shown to the user
            W["band_msg"].value = f'<p class="ocop-error">{esc(t("error", L))}: {esc(exc)}</p>'
        finally:
            W["band_btn"].disabled = False

    def _on_goal(self, _b=None) -> None:
        W, L = self._w, self.lang
        if not W["goal_target"].value:
            return
        W["goal_btn"].disabled = True
        W["goal_apply"].layout.display = "none"
        W["goal_out"].value = f"<p>{esc(tx('computing', L))}</p>"
        try:
            r = self.seek(W["goal_target"].value, W["goal_lever"].value, W["goal_crit"].value)
            W["goal_out"].value = f'<pre class="ocop-goal">{esc(format_result(r, L))}</pre>'
            if r.reachable and isinstance(r.schedule, dict):
                W["goal_apply"].layout.display = ""
        except Exception as exc:  # noqa: BLE001 - shown to the user
            W["goal_out"].value = f'<p class="ocop-error">{esc(t("error", L))}: {esc(exc)}</p>'
        finally:
            W["goal_btn"].disabled = False

    def _on_apply(self, _b=None) -> None:
        r = self.goal
        if r is None or not isinstance(r.schedule, dict):
            return
        value = float(schedule_value(r.schedule, self.from_year))
        s = self._w.get(f"slider:{r.lever}")
        if s is not None:
            s.max = max(s.max, value)
            s.value = value  # observed: records the change and recomputes

    def _on_save(self, _b=None) -> None:
        W, L = self._w, self.lang
        try:
            p = self.save(W["save_name"].value)
            link = f'<a href="?scenario={esc(p.name)}&amp;lang={L}">{esc(p.name)}</a>'
            W["save_msg"].value = f'<p class="ocop-saved" data-file="{esc(p.name)}">' \
                                  f'{tx("saved", L, file=esc(p.name), link=link)}</p>'
        except Exception as exc:  # noqa: BLE001 - shown to the user, escaped
            W["save_msg"].value = f'<p class="ocop-error">{esc(t("error", L))}: {esc(exc)}</p>'


_APP_CSS = """
.ocop-app {font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif;}
.ocop-label {font-size: 13px; line-height: 1.3; margin-top: 6px;}
.ocop-unit {color: #555;}
.ocop-help {color: #666; font-size: 11.5px;}
.ocop-error {color: #b00;}
pre.ocop-goal {white-space: pre-wrap; font-size: 12px;}
/* the expected mode is one deterministic run: no band, no probability to show */
.ocop-outlook table.targets th:nth-child(5), .ocop-outlook table.targets td:nth-child(5),
.ocop-outlook table.targets th:nth-child(6), .ocop-outlook table.targets td:nth-child(6) {display: none;}
"""

# ---------------------------------------------------------------------------- the server


def warm() -> None:
    """What every page needs, imported before the page is asked for (a pre-heated kernel does this
    while nobody waits): the model, the tables, the plots, the widgets."""
    import matplotlib

    matplotlib.use("Agg")
    import ipywidgets  # noqa: F401
    import matplotlib.pyplot  # noqa: F401

    # the model, the tables and the widgets are this module's own imports: loaded with it
    load(os.environ[ENV_SCENARIO], allow_outside=True)

#: The app page's only cell: no code text carries user input.
_CELL = "from ocop_sim.app import App, warm\nwarm()\nApp.from_env().show()"


def _notebook(kernel: str) -> dict:
    return {"cells": [{"cell_type": "code", "execution_count": None, "id": "ocopapp", "metadata": {},
                       "outputs": [], "source": _CELL}],
            "metadata": {"kernelspec": {"display_name": "ocop-sim", "language": "python", "name": kernel},
                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


#: Name of the page template: Voilà's ``lab`` template without its CDN stylesheet links (Font
#: Awesome from jsdelivr): the page must load with no request leaving the machine.
TEMPLATE = "ocop"


def _template(folder: Path) -> None:
    from voila.paths import collect_template_paths  # noqa: F401  (voila is installed)
    import voila

    src = Path(voila.__file__).resolve().parents[4] / "share" / "jupyter" / "voila" / "templates" / "lab" / "index.html.j2"
    if not src.is_file():  # an installation laid out otherwise: use the lab template unchanged
        src = None
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "conf.json").write_text(json.dumps({"base_template": "lab"}), encoding="utf-8")
    if src is not None:
        text = "\n".join(line for line in src.read_text(encoding="utf-8").splitlines()
                         if "https://cdn." not in line)
        (folder / "index.html.j2").write_text(text, encoding="utf-8")


def prepare(scenario: str | Path, lang: str = "vi", workdir: str | Path | None = None) -> tuple[Path, dict]:
    """Write the app notebook and a kernel spec of this Python into a private folder; returns the
    notebook and the environment its kernel needs.  Validates the scenario first (ScenarioError)."""
    scenario = Path(scenario).resolve()
    load(scenario, allow_outside=True)  # a user's mistake stops here, in one line
    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="ocop-app-"))
    kernel = "ocop-sim-app"
    spec = work / "jupyter" / "kernels" / kernel
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps(
        {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
         "display_name": "ocop-sim", "language": "python", "metadata": {"debugger": False}}), encoding="utf-8")
    _template(work / "jupyter" / "voila" / "templates" / TEMPLATE)
    nb = work / "app" / "ocop_app.ipynb"
    nb.parent.mkdir(parents=True, exist_ok=True)
    nb.write_text(json.dumps(_notebook(kernel)), encoding="utf-8")
    env = {ENV_SCENARIO: str(scenario), ENV_FOLDER: str(scenario.parent), ENV_LANG: lang,
           "JUPYTER_PATH": os.pathsep.join([str(work / "jupyter"), os.environ.get("JUPYTER_PATH", "")]).rstrip(os.pathsep),
           "MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    return nb, env


def voila_argv(notebook: Path, port: int, token: str, ip: str = "127.0.0.1", open_browser: bool = False) -> list[str]:
    argv = [str(notebook), f"--port={int(port)}", f"--Voila.ip={ip}", f"--token={token}",
            "--Voila.port_retries=0", "--show_tracebacks=False", "--strip_sources=True",
            "--theme=light", f"--template={TEMPLATE}", f"--Voila.open_browser={bool(open_browser)}",
            # single-notebook mode serves files of the notebook's folder that match this list: none
            "--VoilaConfiguration.file_allowlist=[]",
            # a kernel waits, package imported, for the next page: it opens in seconds, not tens
            "--preheat_kernel=True", "--pool_size=1"]
    if not open_browser:
        argv.append("--no-browser")
    return argv


def serve(scenario: str | Path, port: int = DEFAULT_PORT, lang: str = "vi", ip: str = "127.0.0.1",
          open_browser: bool = True) -> None:
    """Serve the app until interrupted (Ctrl-C).  Prints the address with its token."""
    import atexit
    import shutil

    nb, env = prepare(scenario, lang)
    atexit.register(shutil.rmtree, nb.parents[1], True)  # the private folder goes with the server
    os.environ.update(env)
    token = os.environ.get(ENV_TOKEN) or secrets.token_urlsafe(24)
    print(f"ocop-sim app: http://{ip}:{port}/?token={token}", flush=True)
    from voila.app import Voila

    Voila.launch_instance(argv=voila_argv(nb, port, token, ip, open_browser))
