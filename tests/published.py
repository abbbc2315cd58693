"""A dataset built to match Kota Ambon's published Call Center 112 figures (DOMAIN.md), as import CSV.

- 8 Sep 2025 – 31 Jan 2026: 154 medis, 230 kamtibmas, 66 bencana, 82 lainnya, 16 jenazah. (The published total
  "~550" is rounded: these five add up to 548.)
- up to 10 Nov 2025: Sirimau 129, Nusaniwe 61, Teluk Ambon 37, Teluk Ambon Baguala 28, Leitimur Selatan 0.
- January 2026: 80 reports, kamtibmas the largest; Sirimau, then Nusaniwe, then Teluk Ambon; Leitimur Selatan
  lowest."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WIT = ZoneInfo("Asia/Jayapura")
CATEGORY_TOTALS = {"medis": 154, "kamtibmas": 230, "bencana": 66, "lainnya": 82, "jenazah": 16}
# (first day, last day, categories, kecamatan) of three stretches that add up to the published figures.
STRETCHES = [
    (date(2025, 9, 8), date(2025, 11, 10),
     {"medis": 72, "kamtibmas": 107, "bencana": 31, "lainnya": 38, "jenazah": 7},
     {"Sirimau": 129, "Nusaniwe": 61, "Teluk Ambon": 37, "Teluk Ambon Baguala": 28, "Leitimur Selatan": 0}),
    (date(2025, 11, 11), date(2025, 12, 31),
     {"medis": 60, "kamtibmas": 89, "bencana": 26, "lainnya": 32, "jenazah": 6},
     {"Sirimau": 90, "Nusaniwe": 50, "Teluk Ambon": 35, "Teluk Ambon Baguala": 30, "Leitimur Selatan": 8}),
    (date(2026, 1, 1), date(2026, 1, 31),
     {"medis": 22, "kamtibmas": 34, "bencana": 9, "lainnya": 12, "jenazah": 3},
     {"Sirimau": 30, "Nusaniwe": 20, "Teluk Ambon": 15, "Teluk Ambon Baguala": 12, "Leitimur Selatan": 3}),
]
SUBTYPES = {"medis": ["gawat_darurat", "kecelakaan"], "kamtibmas": ["perkelahian", "gangguan_keamanan", "miras",
                                                                    "kriminalitas"],
            "bencana": ["banjir", "tanah_longsor", "pohon_tumbang", "kebakaran"],
            "lainnya": ["odgj", "orang_hilang", "hewan_liar", "gangguan_listrik"], "jenazah": [""]}


def published_csv(seed: int = 112) -> str:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["waktu", "kategori", "jenis", "kecamatan", "alamat", "keterangan",
                                             "status", "hasil"])
    writer.writeheader()
    for first, last, categories, kecamatan in STRETCHES:
        cats = [c for c, n in categories.items() for _ in range(n)]
        places = [k for k, n in kecamatan.items() for _ in range(n)]
        assert len(cats) == len(places)
        rng.shuffle(cats)
        rng.shuffle(places)
        days = (last - first).days + 1
        for i, (category, place) in enumerate(zip(cats, places, strict=True)):
            day = first + timedelta(days=i * days // len(cats))
            moment = datetime.combine(day, time(8 + i % 12, (i * 7) % 60), tzinfo=WIT)
            writer.writerow({"waktu": moment.isoformat(), "kategori": category,
                             "jenis": rng.choice(SUBTYPES[category]), "kecamatan": place,
                             "alamat": f"Alamat {i}", "keterangan": "Data historis", "status": "closed",
                             "hasil": "palsu" if i % 25 == 0 else "tertangani"})
    return out.getvalue()
