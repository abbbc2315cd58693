"""The fixture world of the demo, the tests and the benchmarks: a small Call Center 112 Kota Ambon — its people,
its agency groups (Telegram chat ids and titles), and the house fire in Batu Merah that all of them play."""

from __future__ import annotations

ADMIN = 1
CALL_TAKER = 1001
SUPERVISOR = 1002
LEADER = 3001
DAMKAR_STAFF = 2001
PLN_STAFF = 2002
DINKES_STAFF = 2003
DISHUB_STAFF = 2004
TNI_POLRI_STAFF = 2005
STRANGER = 9999

NAMES = {ADMIN: "Andi", CALL_TAKER: "Rina", SUPERVISOR: "Sari", LEADER: "Pak Kadis", DAMKAR_STAFF: "Budi",
         PLN_STAFF: "Yani", DINKES_STAFF: "dr. Sinta", DISHUB_STAFF: "Ferry", TNI_POLRI_STAFF: "Agus",
         STRANGER: "Orang Asing"}

# Every agency group of rules/agencies.yaml, in its order, with the title the demo gives its chat.
GROUP_TITLES = {
    "call_center": "Call Center 112", "pimpinan": "Pimpinan Instansi", "monitoring": "Pemantauan Wali Kota",
    "tni_polri": "TNI-Polri", "sar": "SAR", "damkar": "Damkar", "pln": "PLN", "dinkes": "Dinkes/RS",
    "dishub": "Dishub", "bpbd": "BPBD", "satpol_pp": "Satpol PP", "perkim": "Perkim", "dlhp": "DLHP",
    "jenazah": "Ambulans Jenazah",
}
GROUPS = {key: -1001000000001 - n for n, key in enumerate(GROUP_TITLES)}
UNBOUND_GROUP = -1001000000099  # a group no agency uses

FIRE = """kategori: bencana
jenis: kebakaran
kecamatan: Sirimau
kelurahan: Batu Merah
alamat: Jl. Jend. Sudirman, belakang masjid
pelapor: Ibu Maria
telepon: 0812 3456 7890
keterangan: Rumah terbakar, 2 orang terjebak di lantai 2"""
FIRE_REPORT = "/lapor\n" + FIRE  # as the call taker sends it
FIRE_GROUPS = {"damkar", "pln", "dinkes", "dishub", "tni_polri", "call_center", "pimpinan", "monitoring"}
