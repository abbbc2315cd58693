"""The recap as a picture a leader can read on a phone: matplotlib's object API (a Figure of its own, drawn by
the Agg canvas), never pyplot, whose global state is not thread-safe — charts are drawn in worker threads
(the map's viewers, /rekap and the scheduled charts at once)."""

from __future__ import annotations

import io

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .domain.chart_data import ChartData

BLUE, ORANGE, GREY = "#1f5fa8", "#e07b00", "#888888"


def recap_png(data: ChartData) -> bytes:
    """Three panels, large type: reports by category, by kecamatan, median response times per agency."""
    fig = Figure(figsize=(7.2, 10.8), dpi=150)
    axes = fig.subplots(3, 1, gridspec_kw={"height_ratios": [max(len(data.categories), 1),
                                                             max(len(data.kecamatan), 1),
                                                             max(len(data.response), 1) + 1]})
    fig.suptitle(data.title, fontsize=16, fontweight="bold")
    _bars(axes[0], data.categories, data.texts["by_category"], data.texts["no_reports"], BLUE)
    _bars(axes[1], data.kecamatan, data.texts["by_kecamatan"], data.texts["no_reports"], BLUE)
    _response(axes[2], data.response, data.texts)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")  # a Figure made without pyplot is its own: nothing global to close
    return buffer.getvalue()


def _bars(ax, items: list[tuple[str, int]], title: str, empty: str,  # type: ignore[no-untyped-def]
          color: str) -> None:
    ax.set_title(title, fontsize=13, loc="left")
    if not items:
        ax.text(0.5, 0.5, empty, ha="center", va="center", fontsize=12, color=GREY)
        ax.axis("off")
        return
    labels = [label for label, _ in items][::-1]
    values = [value for _, value in items][::-1]
    bars = ax.barh(labels, values, color=color)
    ax.bar_label(bars, padding=3, fontsize=11)
    ax.tick_params(axis="y", labelsize=11)
    ax.set_xlim(0, max(values) * 1.18 or 1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts are whole reports
    ax.spines[["top", "right"]].set_visible(False)


def _response(ax, items: list[tuple[str, float | None, float | None]],  # type: ignore[no-untyped-def]
              texts: dict[str, str]) -> None:
    ax.set_title(texts["response"], fontsize=13, loc="left")
    rows = [(a, ack, scene) for a, ack, scene in items if ack is not None or scene is not None]
    if not rows:
        ax.text(0.5, 0.5, texts["no_response"], ha="center", va="center", fontsize=12, color=GREY)
        ax.axis("off")
        return
    names = [a for a, _, _ in rows][::-1]
    positions = range(len(names))
    ack = [r[1] or 0 for r in rows][::-1]
    scene = [r[2] or 0 for r in rows][::-1]
    height = 0.38
    b1 = ax.barh([p + height / 2 for p in positions], ack, height, color=BLUE, label=texts["acknowledged"])
    b2 = ax.barh([p - height / 2 for p in positions], scene, height, color=ORANGE, label=texts["on_scene"])
    ax.bar_label(b1, labels=[f"{v:.1f}" if v else "" for v in ack], padding=3, fontsize=10)
    ax.bar_label(b2, labels=[f"{v:.1f}" if v else "" for v in scene], padding=3, fontsize=10)
    ax.set_yticks(list(positions), names, fontsize=11)
    ax.legend(loc="lower right", fontsize=10)
    ax.set_xlim(0, max(ack + scene) * 1.2 or 1)
    ax.spines[["top", "right"]].set_visible(False)
