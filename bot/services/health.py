"""How this deployment is doing: database reachable, outbox backlog and its oldest message per group,
unreachable groups, how late the follow-up sweep is, the last update received."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .context import Services


async def check(services: Services, now: datetime, last_update_at: datetime | None) -> dict[str, Any]:
    report: dict[str, Any] = {"database": "ok", "last_update_at": last_update_at.isoformat() if last_update_at
                              else None}
    try:
        async with services.db.uow() as uow:
            await uow.repo.ping()
            rows = await uow.repo.outbox_backlog()
            lag = await uow.repo.oldest_due_followup(now)
            unreachable = [g.agency_key for g in await uow.repo.groups() if g.status == "unreachable"]
            beats = await uow.repo.heartbeats()
            feeds = await uow.repo.feed_states()
    except Exception as exc:  # the point of a health check: say it, don't crash
        report.update(database="error", error=type(exc).__name__)
        return report
    backlog: dict[str, dict[str, int]] = {}
    for key, n, oldest in rows:  # a person's chat id is their user id: never shown, only counted together
        entry = backlog.setdefault(_chat_label(key), {"pending": 0, "oldest_seconds": 0})
        entry["pending"] += int(n)
        entry["oldest_seconds"] = max(entry["oldest_seconds"], round((now - oldest).total_seconds()))
    report.update(outbox_backlog=sum(v["pending"] for v in backlog.values()), outbox=backlog,
                  unreachable_groups=unreachable, sweep_lag_seconds=round((now - lag).total_seconds()) if lag else 0,
                  instances={b.instance_id: {"last_update_at": _iso(b.last_update_at),
                                             "last_sweep_at": _iso(b.last_sweep_at)} for b in beats},
                  feeds={f.name: {"last_ok_at": _iso(f.last_ok_at), "last_error_at": _iso(f.last_error_at),
                                  "last_error": f.last_error} for f in feeds})
    if report["last_update_at"] is None and beats:
        latest = max((b.last_update_at for b in beats if b.last_update_at), default=None)
        report["last_update_at"] = _iso(latest)
    return report


def _chat_label(key: object) -> str:
    text = str(key)
    return "private" if text.isdigit() else text


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


async def beat(services: Services, instance_id: str, last_update_at: datetime | None, now: datetime) -> None:
    async with services.db.uow() as uow:
        await uow.repo.beat(instance_id, last_update_at, now)
        await uow.commit()


def render(report: dict[str, Any], tr: Any, tz: Any) -> str:
    """/kesehatan as text for an admin on a phone."""
    def when(value: str | None) -> str:
        return datetime.fromisoformat(value).astimezone(tz).strftime("%d-%m %H.%M.%S") if value else "-"

    lines = [tr("health_title", database=report["database"], last=when(report.get("last_update_at")))]
    if report["database"] != "ok":
        return "\n".join(lines)
    lines.append(tr("health_outbox", count=report["outbox_backlog"], lag=report["sweep_lag_seconds"]))
    lines += [tr("health_outbox_line", key=key, n=v["pending"], oldest=v["oldest_seconds"])
              for key, v in sorted(report["outbox"].items())]
    lines.append(tr("health_unreachable", groups=", ".join(report["unreachable_groups"]) or "-"))
    lines += [tr("health_instance", name=name, update=when(v["last_update_at"]), sweep=when(v["last_sweep_at"]))
              for name, v in report.get("instances", {}).items()]
    lines += [tr("health_feed", name=name, ok=when(v["last_ok_at"]), error_at=when(v["last_error_at"]),
                 error=v["last_error"] or "-") for name, v in report.get("feeds", {}).items()]
    return "\n".join(lines)
