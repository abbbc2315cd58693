"""The glossary's forbidden words, and the Indonesian words that must not show when the bot speaks English
(LANGUAGE=en): shared by the catalogue test, the demo's transcript test and the end-to-end run in English."""

from __future__ import annotations

import re

# docs/glossary.md, "Kata yang tidak dipakai": the word, and what the glossary says instead.
FORBIDDEN = {
    r"\b(me)?tagih(an)?\b": "pengingat", r"\bwalikota\b": "Wali Kota", r"\b(tangani|menangani)\b": "Berangkat",
    r"✅ ?terima\b": "✅ Diterima", r"🚑": "🚗 for the step", r"\bgelombang\b": "banyak laporan sekaligus",
    r"\bmedian\b|\bp90\b|\bn=|persentil": "biasanya / 9 dari 10 laporan", r"pimpinan opd": "Pimpinan Instansi",
    r"tidak sah": "tidak dapat dibaca", r"\bterikat\b": "terdaftar", r"\binstans\b": "server",
    r"laporan diterima:|diterima semua": "tercatat / terkirim", r"\b\d{1,2}:\d{2}\b": "04.49 (EYD V)",
}

# Indonesian words that must not show in English. Command names, <code> examples and the fields a call taker
# types (kecamatan, kelurahan/desa/negeri, asal, tujuan, tertangani, palsu ...) are input, removed before the check.
INDONESIAN = re.compile(
    r"\b(yang|dan|tidak|belum|sudah|untuk|dari|dengan|atau|laporan|petugas|instansi|pelapor|kirim|tekan|"
    r"diterima|berangkat|tiba|selesai|lokasi|menit|jam|detik|hari|bulan|minggu|grafik|rekap|kejadian|pengingat|"
    r"eskalasi|ditutup|terdaftar|tercatat|terkirim|keterangan|alamat|prioritas|pimpinan|januari|februari|maret|"
    r"mei|juni|juli|agustus|oktober|desember|tanpa|lewati|batal|ubah)\b", re.IGNORECASE)
