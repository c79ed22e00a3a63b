"""Live exploration of a scenario with ipywidgets (the logic behind ``notebooks/explore.ipynb``).

:class:`Explorer` builds one slider per lever and per key assumption from the schema
(``Levers`` ``max_ui`` and units; assumption ``low``/``high``), re-runs the model in expected mode
on each change (debounced) and shows the target table and a chart.  *Save as scenario* writes a
YAML that ``extends`` the starting scenario and holds only the changed keys, validated by
loading it back.  Everything is callable without a browser (``set_lever``, ``set_assumption``,
``table``, ``save``), which is how the tests drive it.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from . import plots, report
from .config import (ALL_SCHEDULES, ASSUMPTION_NAMES, Levers, SCHEDULE_LEVERS, Scenario, assumption_meta, lever_meta,
                     schedule_value)
from .i18n import assumption_text, t, unit_text
from .io import safe_child
from .scenarios import derive, load, write_child
from .simulate import simulate

#: Default year from which a schedule lever's slider value applies.
FROM_YEAR = 2026
#: Seconds of quiet after a slider move before the model re-runs.
DEBOUNCE_S = 0.3


def _nice_step(x: float) -> float:
    """The largest 1, 2 or 5 × 10^k not above ``x``: round values (7.0, 3.5) stay on the grid."""
    import math

    if x <= 0:
        return 0.01
    k = math.floor(math.log10(x))
    for m in (5, 2, 1):
        if m * 10.0 ** k <= x * (1 + 1e-9):
            return round(m * 10.0 ** k, 12)
    return 10.0 ** k


class Explorer:
    """Sliders for the levers and key assumptions of a scenario, live results, save-as-scenario.

    Parameters
    ----------
    scenario_path : the starting scenario YAML.
    lang : 'vi' or 'en'.
    from_year : schedule levers take the slider value from this year on (clipped to the horizon).
    save_dir : default folder of saved scenarios (default: the starting scenario's folder).
    """

    def __init__(self, scenario_path: str | Path, lang: str = "en", from_year: int = FROM_YEAR,
                 save_dir: str | Path | None = None):
        self.path = Path(scenario_path)
        self.loaded = load(self.path, allow_outside=True)
        self.lang = lang
        h = self.loaded.scenario.horizon
        self.from_year = min(max(int(from_year), h.start), h.end)
        self.save_dir = Path(save_dir) if save_dir else self.path.parent
        self.changes: dict[str, dict[str, Any]] = {"levers": {}, "assumptions": {}}
        self._timer: threading.Timer | None = None
        self._quiet = False
        self.sliders = self._make_sliders()
        self._out = None
        self._last = None

    # ------------------------------------------------------------------ schema -> sliders
    def _make_sliders(self) -> dict:
        import ipywidgets as w

        sc = self.loaded.scenario
        sliders = {}
        for name in Levers.model_fields:
            m = lever_meta(name)
            # the schema's label and unit in the reader's language (never the code name)
            label = m.get("vi", name) if self.lang == "vi" else t(name, "en")
            value = schedule_value(getattr(sc.levers, name), self.from_year)
            if name in SCHEDULE_LEVERS:
                hi = max(float(m.get("max_ui", 10.0)), value)
                step = 1.0 if m.get("unit", "").startswith("count") else _nice_step(hi / 200)
            else:  # training_share_officials: a schedule of shares
                hi, step = 1.0, 0.01
            desc = f"{label} ({t('from_year', self.lang)} {self.from_year}) [{unit_text(m.get('unit', '-'), self.lang)}]"
            s = w.FloatSlider(value=value, min=0.0, max=hi, step=step, description=desc, continuous_update=False,
                              tooltip=str(m.get("description", "")).rsplit(" [", 1)[0],
                              style={"description_width": "420px"}, layout=w.Layout(width="760px"))
            s.observe(self._on_change(("levers", name)), names="value")
            sliders[name] = s
        for name in ASSUMPTION_NAMES:
            m = assumption_meta(name)
            if not m.get("key"):
                continue
            value = float(getattr(sc.assumptions, name))
            s = w.FloatSlider(value=value, min=float(m["low"]), max=float(m["high"]),
                              step=_nice_step((float(m["high"]) - float(m["low"])) / 500),
                              description=f"{assumption_text(name, self.lang)} [{unit_text(m['unit'], self.lang)}]",
                              continuous_update=False,
                              style={"description_width": "420px"}, layout=w.Layout(width="760px"))
            s.observe(self._on_change(("assumptions", name)), names="value")
            sliders[name] = s
        return sliders

    def _on_change(self, key: tuple[str, str]):
        def handler(change) -> None:
            if self._quiet:
                return
            self._record(key, change["new"])
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(DEBOUNCE_S, self.refresh)
            self._timer.start()
        return handler

    # ------------------------------------------------------------------ state
    def _record(self, key: tuple[str, str], value: float) -> None:
        section, name = key
        if section == "levers" and name in ALL_SCHEDULES:
            sched = getattr(self.loaded.scenario.levers, name)
            new = {y: v for y, v in sched.items() if y < self.from_year}
            new[self.from_year] = float(value)
            value = {int(y): (int(v) if float(v).is_integer() else float(v)) for y, v in sorted(new.items())}
            if value == {int(y): (int(v) if float(v).is_integer() else float(v)) for y, v in sched.items()}:
                self.changes[section].pop(name, None)
                return
        elif float(value) == float(getattr(getattr(self.loaded.scenario, section), name)):
            self.changes[section].pop(name, None)
            return
        self.changes[section][name] = value

    def set_lever(self, name: str, value: float, refresh: bool = True) -> None:
        """Move the slider of a lever (or key assumption) to ``value`` and re-run at once."""
        if name not in self.sliders:
            raise KeyError(f"no slider {name!r}; expected one of {', '.join(self.sliders)}")
        section = "levers" if name in Levers.model_fields else "assumptions"
        self._quiet = True
        try:
            self.sliders[name].value = value
        finally:
            self._quiet = False
        self._record((section, name), self.sliders[name].value)
        if refresh:
            self.refresh()

    set_assumption = set_lever

    def overrides(self) -> dict:
        """Only the changed keys, as a scenario mapping fragment."""
        return {k: dict(v) for k, v in self.changes.items() if v}

    def scenario(self) -> Scenario:
        """The starting scenario with the changes applied (validated)."""
        return derive(self.loaded.scenario, self.overrides())

    # ------------------------------------------------------------------ results
    def result(self):
        return simulate(self.scenario(), mode="expected")

    def table(self):
        """Attainment table of the current settings (expected mode)."""
        return self.result().attainment()

    def refresh(self) -> None:
        """Re-run and redraw (no-op for the display when not shown)."""
        res = self.result()
        self._last = res
        if self._out is None:
            return
        import matplotlib.pyplot as plt
        from IPython.display import HTML


        table = res.attainment()
        fig, ax = plt.subplots(figsize=(9, 4))
        plots.plot_fan(res.summary(["products_3star_plus"], ["province"]), "products_3star_plus", "province",
                       table, ax=ax, lang=self.lang)
        # the expected mode draws no band: no legend entry promising one
        h, lab = ax.get_legend_handles_labels()
        keep = [(a, b) for a, b in zip(h, lab) if b != t("band_p10_p90", self.lang)]
        ax.legend([a for a, _ in keep], [b for _, b in keep], fontsize=8, loc="upper left")
        # append_display_data sets the Output widget's state directly: safe from the debounce
        # timer's thread, where ``with output:`` capture would not reach the right cell
        self._out.outputs = ()  # not clear_output(): its `with self:` capture misses the cell from the timer thread
        self._out.append_display_data(fig)
        plt.close(fig)
        self._out.append_display_data(HTML(f"<p>{report.esc(t('expected_mode_note', self.lang))}</p>"
                                           + report.targets_sections_html(table, res, self.lang)))

    # ------------------------------------------------------------------ save
    def save(self, path: str | Path, name: str | None = None, replace: bool = False) -> Path:
        """Write the changes as a scenario that ``extends`` the starting one, into the scenarios
        folder (``save_dir``) only: validated before it exists, never over the starting scenario
        or a file it extends, over another scenario only with ``replace`` (a ``.bak`` copy is kept).
        """
        path = Path(path)
        if path.parent == Path("."):
            path = safe_child(self.save_dir, path.name)
        name = name or path.stem
        write_child(self.loaded, path, self.overrides(), name, folder=self.save_dir, replace=replace,
                    allow_outside=True)
        return path

    def save_message(self, filename: str) -> str:
        """Save as ``filename`` (:meth:`save`) and return the HTML line the widget shows: the path
        or the error, escaped (a file name is user text: ``<img onerror=…>.yaml`` stays text)."""
        import html

        try:
            p = self.save(filename)
            return html.escape(f"{t('saved_to', self.lang)}: {p}")
        except Exception as exc:  # noqa: BLE001 - shown to the user
            return html.escape(f"{t('error', self.lang)}: {exc}")

    # ------------------------------------------------------------------ display
    def widget(self):
        import ipywidgets as w

        self._out = w.Output()
        levers = [self.sliders[n] for n in Levers.model_fields]
        keys = [s for n, s in self.sliders.items() if n not in Levers.model_fields]
        acc = w.Accordion(children=[w.VBox(levers), w.VBox(keys)])
        acc.set_title(0, t("levers", self.lang))
        acc.set_title(1, t("key_assumptions", self.lang))
        fname = w.Text(value=f"{self.loaded.scenario.name}_explore.yaml", layout=w.Layout(width="320px"))
        button = w.Button(description=t("save_as_scenario", self.lang))
        msg = w.HTML()

        def on_save(_b) -> None:
            msg.value = self.save_message(fname.value)

        button.on_click(on_save)
        return w.VBox([acc, w.HBox([fname, button]), msg, self._out])

    def show(self) -> None:
        from IPython.display import display

        display(self.widget())
        self.refresh()
