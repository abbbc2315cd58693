"""The people and groups of the end-to-end tests: a small Call Center 112 Kota Ambon."""

ADMIN = 1
CALL_TAKER = 1001
SUPERVISOR = 1002
LEADER = 3001
DAMKAR_STAFF = 2001
PLN_STAFF = 2002
STRANGER = 9999

GROUPS = {
    "call_center": -1001000000001, "pimpinan": -1001000000002, "monitoring": -1001000000003,
    "tni_polri": -1001000000004, "sar": -1001000000005, "damkar": -1001000000006, "pln": -1001000000007,
    "dinkes": -1001000000008, "dishub": -1001000000009, "bpbd": -1001000000010, "satpol_pp": -1001000000011,
    "perkim": -1001000000012, "dlhp": -1001000000013, "jenazah": -1001000000014,
}
UNBOUND_GROUP = -1001000000099

FIRE_REPORT = """/lapor
kategori: bencana
jenis: kebakaran
kecamatan: Sirimau
kelurahan: Batu Merah
alamat: Jl. Jend. Sudirman, belakang masjid
pelapor: Ibu Maria
telepon: 0812 3456 7890
keterangan: Rumah terbakar, 2 orang terjebak di lantai 2"""

FIRE_GROUPS = {"damkar", "pln", "dinkes", "dishub", "tni_polri", "call_center", "pimpinan", "monitoring"}
