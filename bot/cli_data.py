"""CLI for the numbers and the exchange formats: `stats`, `export`, `import`."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from . import files
from .clock import utcnow
from .domain.exchange_formats import (
    CALL_COLUMNS,
    CSV_COLUMNS,
    call_csv_row,
    cap_alert,
    csv_row,
    csv_safe,
    csv_safe_row,
    eido,
)
from .domain.model import Role
from .domain.periods import Period
from .services import exchange, stats
from .services.context import Services, role_of


class DataCliError(Exception):
    pass


def add_commands(sub: argparse._SubParsersAction, run: Any) -> None:  # type: ignore[type-arg]
    st = sub.add_parser("stats", help="statistik suatu periode; `stats rebuild`: hitung ulang ringkasan harian")
    st.add_argument("action", nargs="?", choices=["rebuild"],
                    help="rebuild: hitung ulang ringkasan statistik harian dari semua laporan dan panggilan")
    _period_args(st)
    st.add_argument("--format", choices=["table", "csv", "json"], default="table")
    st.add_argument("--villages", action="store_true", help="juga per kelurahan/desa")
    st.set_defaults(func=lambda settings, args: run(settings, lambda s: _stats(s, args)))
    ex = sub.add_parser("export", help="ekspor laporan (CSV, JSON ala NENA EIDO, CAP 1.2) atau catatan panggilan")
    _period_args(ex)
    ex.add_argument("--format", choices=["csv", "json", "cap", "calls"], required=True,
                    help="calls: catatan panggilan (CSV), termasuk laporan sebagai panggilan 'darurat'")
    ex.add_argument("--output", help="berkas (csv/json) atau folder (cap); bawaan: keluaran standar")
    ex.add_argument("--include-personal-data", action="store_true",
                    help="sertakan nama dan telepon pelapor (hanya admin, tercatat)")
    ex.add_argument("--by", type=int, help="ID Telegram admin yang meminta data pribadi")
    ex.set_defaults(func=lambda settings, args: run(settings, lambda s: _export(s, args, settings)))
    im = sub.add_parser("import", help="impor laporan lama dari CSV (semua atau tidak sama sekali)")
    im.add_argument("--format", choices=["csv"], default="csv")
    im.add_argument("file")
    im.set_defaults(func=lambda settings, args: run(settings, lambda s: _import(s, args)))


def _period_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="start", help="tanggal awal YYYY-MM-DD (bawaan: awal bulan ini)")
    parser.add_argument("--to", dest="end", help="tanggal akhir YYYY-MM-DD, ikut dihitung (bawaan: hari ini)")


def period_of(services: Services, args: argparse.Namespace) -> Period:
    today = utcnow().astimezone(services.tz).date()
    try:
        first = date.fromisoformat(args.start) if args.start else today.replace(day=1)
        last = date.fromisoformat(args.end) if args.end else today
    except ValueError as exc:
        raise DataCliError(f"Tanggal tidak sah: {exc} (tulis YYYY-MM-DD).") from exc
    if last < first:
        raise DataCliError("--to lebih awal dari --from.")
    start = datetime.combine(first, time(0), tzinfo=services.tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=services.tz)
    return Period(start, end, f"{first:%d-%m-%Y} s.d. {last:%d-%m-%Y}")


async def _stats(services: Services, args: argparse.Namespace) -> int:
    if args.action == "rebuild":
        incidents, calls = await stats.rebuild(services, utcnow())
        print(f"Ringkasan statistik dihitung ulang: {incidents} laporan, {calls} panggilan.")
        return 0
    period = period_of(services, args)
    # Roll-ups not yet built for these rules (the bot builds them when it starts): counted from the reports instead
    # (slower), rather than holding the database for a rebuild while the bot may be running.
    recap = stats.recap if await stats.rollups_current(services) else stats.recap_direct
    async with services.db.uow() as uow:
        summary = await recap(uow, services, period, villages=args.villages)
    rows = _stat_rows(services, summary)
    if args.format == "json":
        print(json.dumps({"period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
                          "total": summary.total, "rows": [dict(zip(("group", "key", "value"), r, strict=True))
                                                           for r in rows]}, ensure_ascii=False, indent=2))
    elif args.format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["kelompok", "kunci", "nilai"])
        writer.writerows([csv_safe(cell) for cell in row] for row in rows)
    else:
        print(f"Periode {period.label}: {summary.total} laporan")
        for group, key, value in rows:
            print(f"{group:<12} {key:<40} {value}")
    return 0


def _stat_rows(services: Services, summary: stats.Recap) -> list[tuple[str, str, Any]]:
    rules = services.rules
    rows: list[tuple[str, str, Any]] = [("total", "laporan", summary.total)]
    rows += [("kategori", key, n) for key, n in summary.by_category]
    rows += [("jenis", f"{c}/{s or '-'}", n) for c, s, n in summary.by_subtype]
    rows += [("kecamatan", k, n) for k, n in summary.by_kecamatan]
    rows += [("desa", k, n) for k, n in summary.by_village]
    rows += [("hasil", "palsu", summary.false_reports), ("hasil", "duplikat", summary.duplicates),
             ("status", "terbuka", summary.still_open)]
    calls = summary.calls
    if calls is not None:
        rows += [("panggilan", "total", calls.total)] + [("panggilan", kind, n) for kind, n in calls.by_kind]
        rows += [("panggilan", "iseng_persen", _rounded(calls.prank_share and calls.prank_share * 100)),
                 ("panggilan_ke_laporan", "median_menit", _rounded(calls.to_report_median)),
                 ("panggilan_ke_laporan", "p90_menit", _rounded(calls.to_report_p90)),
                 ("panggilan_ke_laporan", "n", calls.to_report_count)]
    for r in summary.response:
        for step, measure in (("terima", r.acknowledge), ("tangani", r.claim), ("tiba", r.on_scene),
                              ("selesai", r.resolve)):
            for name, value in (("median_menit", measure.median), ("p90_menit", measure.p90),
                                ("tepat_waktu", measure.within), ("n", measure.n)):
                rows.append(("respons", f"{rules.agency_name(r.key)}/{step}/{name}",
                             "" if value is None else (round(value, 2) if isinstance(value, float) else value)))
    return rows


def _rounded(value: float | None) -> Any:
    return "" if value is None else round(value, 2)


async def _export(services: Services, args: argparse.Namespace, settings: Any) -> int:
    personal = args.include_personal_data
    if personal:
        if args.by is None:
            raise DataCliError("--include-personal-data perlu --by <ID Telegram admin> (dicatat).")
        async with services.db.uow() as uow:
            if await role_of(uow.repo, services, args.by) != Role.ADMIN:
                raise DataCliError(f"ID {args.by} bukan admin; data pribadi pelapor tidak diekspor.")
    period = period_of(services, args)
    if args.format == "calls":
        return await _export_calls(services, period, personal, args)
    records = await exchange.records(services, period)
    if personal:
        await exchange.record_personal_export(services, args.by, f"{args.format} {period.label}", utcnow())
    if args.format == "cap":
        return _write_cap(records, services, settings, personal, args.output)
    if args.format == "json":
        body = json.dumps({"source": "Sigap 112 Kota Ambon", "format": "NENA EIDO (bentuk)",
                           "incidents": [eido(r, services.tz, personal) for r in records]},
                          ensure_ascii=False, indent=2)
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(csv_safe_row(csv_row(r, services.tz, personal)) for r in records)
        body = buffer.getvalue()
    if args.output:
        files.write_private(Path(args.output), body.encode("utf-8"))
        print(f"{len(records)} laporan ditulis ke {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(body)
    return 0


async def _export_calls(services: Services, period: Period, personal: bool, args: argparse.Namespace) -> int:
    calls = await exchange.call_records(services, period)
    if personal:
        await exchange.record_personal_export(services, args.by, f"calls {period.label}", utcnow())
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CALL_COLUMNS)
    writer.writeheader()
    writer.writerows(csv_safe_row(call_csv_row(c, services.tz, personal)) for c in calls)
    if args.output:
        files.write_private(Path(args.output), buffer.getvalue().encode("utf-8"))
        print(f"{len(calls)} panggilan ditulis ke {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(buffer.getvalue())
    return 0


def _write_cap(records: list[Any], services: Services, settings: Any, personal: bool, output: str | None) -> int:
    alerts = [(r.number, cap_alert(r, services.tz, settings.cap_sender, personal)) for r in records]
    if output is None:
        if len(alerts) > 1:
            raise DataCliError(f"{len(alerts)} laporan: CAP berisi satu peringatan per berkas, beri --output <folder>.")
        for _, xml in alerts:
            sys.stdout.write(xml.decode("utf-8") + "\n")
        return 0
    folder = Path(output)
    files.private_dir(folder)
    for number, xml in alerts:
        files.write_private(folder / f"{number}.xml", xml)
    print(f"{len(alerts)} peringatan CAP ditulis ke {folder}", file=sys.stderr)
    return 0


async def _import(services: Services, args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.exists():
        raise DataCliError(f"Berkas {path} tidak ada.")
    try:
        rows = exchange.parse_csv(services, path.read_text(encoding="utf-8-sig"))
        count = await exchange.import_rows(services, rows, utcnow())
    except exchange.ImportError_ as exc:
        raise DataCliError("Tidak ada yang diimpor; perbaiki baris berikut:\n" + "\n".join(exc.problems)) from exc
    print(f"{count} laporan diimpor dari {path}.")
    return 0
