"""Statistics of a period, as numbers and as the sentences a head of office says on the radio (pure)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from ..i18n import Catalogue, Html
from ..i18n.text import fit
from .calls import CallStats, kind_label
from .histogram import Buckets, quantile
from .periods import Period


@dataclass(frozen=True)
class Measure:
    """Minutes from the report (or from the claim, for on scene) for one agency and one step."""

    n: int
    median: float | None
    p90: float | None
    within: float | None  # share within the rules' deadline, 0..1; None where the rules set no deadline


# measure -> (from, to): moments of a report's agency (created = the report); and the rules' deadline it is held to
MEASURES = {"acknowledge": (("created", "acknowledged"), "acknowledge"), "claim": (("created", "claimed"), None),
            "on_scene": (("claimed", "arrived"), "on_scene"), "resolve": (("created", "done"), "resolve")}


def measure(buckets: Buckets, has_deadline: bool) -> Measure:
    """One step's durations, given as histogram buckets (minutes, count, count within the deadline)."""
    n = sum(count for _, count, _ in buckets)
    within = sum(inside for _, _, inside in buckets) / n if has_deadline and n else None
    return Measure(n, quantile(buckets, 0.5), quantile(buckets, 0.9), within)


@dataclass(frozen=True)
class AgencyResponse:
    key: str
    name: str
    targets: int
    acknowledge: Measure
    claim: Measure
    on_scene: Measure
    resolve: Measure


@dataclass(frozen=True)
class Recap:
    period: Period
    total: int
    by_category: list[tuple[str, int]]               # category key, count (every category, most first)
    by_subtype: list[tuple[str, str | None, int]]   # category, sub-type, count
    by_kecamatan: list[tuple[str, int]]              # display name, count (every kecamatan, most first)
    false_reports: int
    duplicates: int
    still_open: int
    response: list[AgencyResponse] = field(default_factory=list)
    by_village: list[tuple[str, int]] = field(default_factory=list)
    calls: CallStats | None = None  # every call the desk logged in the period, reports included


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{round(value * 100)}%"


def _min(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}".replace(".", ",")


def recap_text(recap: Recap, labels: dict[str, str], sub_labels: dict[tuple[str, str], str], tr: Catalogue) -> Html:
    """The /rekap text: counts first, then response times per agency with the share within deadline."""
    lines = [tr("rekap_title", period=recap.period.label, total=recap.total)]
    cats = []
    for key, count in recap.by_category:
        subs = [f"{sub_labels.get((c, s or ''), s or '-')} {n}" for c, s, n in recap.by_subtype if c == key and s and n]
        cats.append(f"{labels[key]} {count}" + (f" ({', '.join(subs)})" if subs else ""))
    lines.append(tr("rekap_categories", items="; ".join(cats)))
    lines.append(tr("rekap_kecamatan", items=_ranked(recap.by_kecamatan, tr)))
    if recap.by_village:
        lines.append(tr("rekap_villages", items=", ".join(f"{k} {n}" for k, n in recap.by_village)))
    share = recap.false_reports / recap.total if recap.total else None
    lines.append(tr("rekap_false", count=recap.false_reports, share=_pct(share), duplicates=recap.duplicates,
                    open=recap.still_open))
    if recap.calls is not None and recap.calls.total:
        lines += calls_lines(recap.calls, tr)
    if recap.response:
        lines.append(tr("rekap_response_header"))
        for r in recap.response:
            lines.append(tr("rekap_response_line", agency=r.name, n=r.targets,
                            ack=_min(r.acknowledge.median), ack90=_min(r.acknowledge.p90),
                            ackin=_pct(r.acknowledge.within), claim=_min(r.claim.median),
                            scene=_min(r.on_scene.median), scene90=_min(r.on_scene.p90),
                            scenein=_pct(r.on_scene.within), done=_min(r.resolve.median),
                            donein=_pct(r.resolve.within)))
    return Html(fit("\n".join(lines)))


def calls_lines(calls: CallStats, tr: Catalogue) -> list[Html]:
    """Calls beside reports: by kind, the prank share, and how long from a call to its report."""
    items = ", ".join(f"{kind_label(k, tr)} {n}" for k, n in calls.by_kind)
    lines = [tr("rekap_calls", total=calls.total, items=Html(items), prank=_pct(calls.prank_share))]
    if calls.to_report_count:
        lines.append(tr("rekap_call_to_report", typical=_min(calls.to_report_median), slow=_min(calls.to_report_p90),
                        n=calls.to_report_count))
    return lines


def _ranked(counts: list[tuple[str, int]], tr: Catalogue) -> Html:
    """'Sirimau 3, Nusaniwe 1; tanpa laporan: Teluk Ambon, …': places without reports are named, not ranked."""
    ranked = html.escape(", ".join(f"{k} {n}" for k, n in counts if n), quote=False)
    empty = [k for k, n in counts if not n]
    if not empty:
        return Html(ranked)
    rest = tr("rekap_zero", names=", ".join(empty))
    return Html(f"{ranked}; {rest}" if ranked else rest)


def spoken_summary(recap: Recap, labels: dict[str, str], tr: Catalogue) -> Html:
    """'Januari 2026: 80 laporan, terbanyak keamanan dan ketertiban; Sirimau tertinggi, disusul Nusaniwe dan
    Teluk Ambon; Leitimur Selatan terendah.'"""
    if not recap.total:
        return tr("spoken_none", period=recap.period.label)
    top = labels[recap.by_category[0][0]].lower().replace("&", "dan")
    ranked = [name for name, n in recap.by_kecamatan if n]
    if len(ranked) < 4:  # "highest, then …, lowest" needs four places with reports; a kecamatan with none is not ranked
        return tr("spoken_summary_few", period=recap.period.label, total=recap.total, top=top,
                  items=_ranked(recap.by_kecamatan, tr))
    return tr("spoken_summary", period=recap.period.label, total=recap.total, top=top, first=ranked[0],
              second=ranked[1] if len(ranked) > 1 else "-", third=ranked[2] if len(ranked) > 2 else "-",
              last=ranked[-1])
