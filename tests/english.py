"""Indonesian words that must not show when the bot speaks English (LANGUAGE=en): shared by the catalogue test
and the end-to-end run in English."""

from __future__ import annotations

import re

# Indonesian words that must not show in English. Command names, <code> examples and the fields a call taker
# types (kecamatan, kelurahan/desa/negeri, asal, tujuan, tertangani, palsu ...) are input, removed before the check.
INDONESIAN = re.compile(
    r"\b(yang|dan|tidak|belum|sudah|untuk|dari|dengan|atau|laporan|petugas|instansi|pelapor|kirim|tekan|"
    r"diterima|berangkat|tiba|selesai|lokasi|menit|jam|detik|hari|bulan|minggu|grafik|rekap|kejadian|pengingat|"
    r"eskalasi|ditutup|terdaftar|tercatat|terkirim|keterangan|alamat|prioritas|pimpinan|januari|februari|maret|"
    r"mei|juni|juli|agustus|oktober|desember|tanpa|lewati|batal|ubah)\b", re.IGNORECASE)
