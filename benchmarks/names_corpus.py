"""Write ``benchmarks/data/names_corpus.jsonl``: the labelled corpus of the ``names`` pattern.

Each line: ``{"split": "dev"|"seen"|"heldout"|"dev2"|"heldout2"|...|"dev11"|"heldout11", "text": ...,
"names": [...]}``, ``names`` the exact personal names in ``text`` (empty for a hard negative).
Half of the lines carry names in free text (English and Indonesian phrasing: titles, cue words,
user names, all caps, bare names), half are hard negatives (places, products, companies, months,
IDs, error classes, HTTP lines, ordinary sentences that start with words that are also names).

The splits share no template and no name. ``dev`` is what the detector was tuned on. ``seen``
was the first held-out part: measured once (86.2 % of names caught, 3.8 % of harmless lines
altered), then its misses were studied and the detector changed, so it is tuning data now.
``heldout`` was written after that, before the detector was measured on it (100 % of names,
5.0 % of harmless lines altered); its misses were read, so it is tuning data now too.

The second round (``dev2``, ``heldout2``) was written in one go before the detector's second
round of changes, from templates, hard negatives and names new to the corpus, and divided at
random between the two. Measured once before any change: ``dev2`` 91.4 % of names, 26.4 % of
harmless lines altered; ``heldout2`` 92.9 % and 21.4 %. ``dev2`` is tuning data; ``heldout2``
is never tuned on: only its totals are looked at, never its lines' results. Measured once after
the second round's changes (92.9 % of names, 7.1 % of harmless lines altered; dev2 97.8 % and
2.4 %): the rules had fitted dev2's long tail. So a third round (``dev3``, ``heldout3``) was
written then, before any further change, the same way; ``heldout3`` was the split the figures
were reported on, ``heldout2`` a second look. Measured once
before the third round's changes: ``dev3`` 90.0 % of names, 7.5 % of harmless lines altered;
``heldout3`` 86.7 % and 9.2 %. After them (the figures reported): ``heldout3`` 90.0 % of names,
6.2 % of harmless lines altered; ``heldout2`` (its second look) 92.9 % and 7.1 %; ``dev3``
98.3 % and 3.0 %, ``dev2`` 97.8 % and 2.4 %. A fourth round (``dev4``, ``heldout4``) was written
then, before the fourth round's changes; measured once before them: ``dev4`` 84.1 % of names,
3.5 % of harmless lines altered; ``heldout4`` 91.7 % and 10.7 %. After them: ``heldout4`` 88.3 %
of names, 8.9 % of harmless lines altered (the rule for brands that open a line took two names
followed by a noun); ``heldout3`` (second look) 90.0 % and 4.6 %; ``heldout2`` (third look)
92.9 % and 4.8 %; ``dev4`` 90.5 % and 0.0 %, ``dev3`` 98.3 % and 1.5 %, ``dev2`` 97.8 % and 0.8 %.
``heldout4`` was then the split ``benchmarks/names.py`` reported by default. A fifth round (``dev5``,
``heldout5``) was written then, before the fifth round's changes, the same way (its own
generator, new templates, names new to the corpus, hard negatives: brands and titles before
roles, words that are also names opening a sentence); measured once before them: ``dev5``
91.3 % of names, 8.6 % of harmless lines altered; ``heldout5`` 80.3 % and 6.4 %. ``dev5`` is
tuning data; ``heldout5`` is never tuned on. After the fifth round's changes (Balinese ``Ni``/``I``,
a given name in no list before a name on its own, greetings by the time of day before a comma,
``Teh`` before a name only): ``heldout5`` 80.3 % of names, 6.4 % of harmless lines altered
(unchanged: the rules fitted dev5's misses and none of heldout5's); ``heldout4`` (second look)
88.3 % and 8.9 %; ``heldout3`` 90.0 % and 4.6 %; ``heldout2`` 92.9 % and 4.8 %; ``dev5`` 98.6 %
and 6.5 %, ``dev4`` 90.5 % and 0.0 %, ``dev3`` 98.3 % and 1.5 %, ``dev2`` 97.8 % and 0.8 %.
``heldout5`` was then the split ``benchmarks/names.py`` reported by default. Its lines were read
next (it is tuning data now), and the detector changed in more general ways (the dictionaries'
common words shipped with the list, the subject or speaker of a sentence, product nouns after a
run, passive agents): ``heldout5`` 98.5 % of names and 1.1 % of harmless lines altered after
that. A sixth round (``dev6``, ``heldout6``) was written then by a separate author who never saw
the detector, before the sixth round's changes, the same way (new templates, names new to the
corpus, new hard negatives); measured once before them: ``dev6`` 66.7 % of names, 1.4 % of harmless
lines altered; ``heldout6`` 89.9 % and 0.0 % (Presidio, same run: 53.6 % and 34.6 %). After them
(tuned on ``dev6``): ``heldout6`` 94.2 % and 0.0 %; its misses were then seen once in a listing of
all splits, so it is tuning data too. A seventh round (``dev7``, ``heldout7``) was written then
by a separate author who never saw the detector, before the seventh round's changes, the same
way; measured once before them: ``dev7`` 81.5 % and 3.6 %; ``heldout7`` 73.1 % and 2.4 % (Presidio:
57.7 % and 41.7 %). After them (tuned on ``dev7``): ``dev7`` 93.8 % and 1.2 %, ``heldout7`` 80.8 %
and 2.4 %. An eighth round (``dev8``, ``heldout8``) was written then by a separate author who never
saw the detector, before the eighth round's changes, the same way; measured once before them:
``dev8`` 76.8 % and 1.1 %; ``heldout8`` 56.7 % and 0.0 % (Presidio: 65.6 % and 50.0 %). After them
(tuned on ``dev8``: titles inside runs, signatures, keys, cc lists, names by their letters):
``dev8`` 93.9 % and 1.1 %; ``heldout8`` 62.2 % and 0.0 % (Presidio, same run: 65.6 % and 50.0 %, 111
lines per CPU-second); ``heldout7`` (second look) 80.8 % and 1.2 %; ``heldout6`` 95.7 % and 1.3 %.
The rules fit each round's tuning half and carry over only partly to phrasings they have not
seen: ``heldout8`` (never tuned on, its lines never read) was then the split ``benchmarks/names.py``
reported by default. A ninth and a tenth round (``dev9``/``heldout9``, ``dev10``/``heldout10``) were
written then, each by a separate author who never saw the detector or the earlier rounds, the same
way; measured once before any change: ``dev9`` 77.8 % of names, 1.1 % of harmless lines altered,
``heldout9`` 78.4 % and 3.4 %; ``dev10`` 58.3 % and 3.1 %, ``heldout10`` 57.6 % and 3.0 %. Then the
model (``NameModel``, trained by ``packaging/train_names.py`` on every split but ``heldout8``,
``heldout9`` and ``heldout10``) was added: ``heldout10`` 68.7 % and 4.0 %, ``heldout9`` 82.9 % and
3.4 %, ``heldout8`` 74.4 % and 0.0 %. After the changes tuned on ``dev9``/``dev10`` (cues whose object
is a person, keys, mentions; the model on capitalised words and lower-case listed names only):
``heldout10`` 69.7 % and 4.0 %, ``heldout9`` 81.1 % and 3.4 %, ``heldout8`` 72.2 % and 0.0 %,
``heldout7`` 88.5 % and 2.4 %; ``dev10`` 83.3 % and 3.1 %, ``dev9`` 90.9 % and 1.1 %. The held-out
halves' totals were looked at about eight times during that work; their lines were never read,
but for three templates a line-length check printed. An eleventh round (``dev11``, ``heldout11``) was
written last, by a separate author who never saw the detector or the earlier rounds, and measured
once as it came, with no change after: ``heldout11`` 76.0 % of names, 0.0 % of harmless lines
altered (the rules alone 67.7 % and 0.0 %; Presidio, same run: 42.7 % and 40.0 %); ``dev11`` 82.9 %
and 2.3 % (the rules alone 74.3 % and 2.3 %; Presidio: 42.9 % and 48.3 %). Neither half is trained
on yet (``packaging/train_names.py``'s ``HELDOUT``). ``heldout11`` is the split ``benchmarks/names.py``
reports by default. Earlier rounds' lines are unchanged (each round has its own seeded
generator). Seeded: the file is the same at every run.

    python benchmarks/names_corpus.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "names_corpus.jsonl"

# {N}: a full name, {F}: a given name alone, {U}: a user name made from a name, {C}: the name in caps,
# {L}: the name in lower case (from the sixth round on), {N2}: a second full name.
POSITIVE = {
    "dev": [
        "order {id} approved by {N}", "Pelanggan Ibu {N} minta revisi desain", "uploaded by {U}",
        "Dear {N}, your preview is ready", "Halo Kak {F}, file sudah siap dicetak", "invoice sent to {N} for {id}",
        "revision requested by customer {N}", "pembayaran a.n. {N} sudah diterima", "oleh {C} via WhatsApp",
        "Bapak {N} membatalkan pesanan {id}", "user {U} logged in from mobile app", "{N} approved the proof for {id}",
        "Hi {F}, we could not process your file", "komplain dari Bpk. {N} soal warna banner",
        "assigned to {N} (design team)", "pesanan {id} dibuat oleh {U}", "From: {N} <redacted:email>",
        "Mr. {N} requested a refund for {id}", "Sdri. {N} minta kirim ulang invoice", "atas nama {N}, total Rp 250.000",
    ],
    "seen": [
        "proof {id} rejected by {N}: colours too dark", "Mohon konfirmasi, Ibu {N}, apakah desain sudah sesuai?",
        "file {id} shared by {U}", "Dear Mr. {N}, thank you for your order", "Hai {F}, pesananmu sedang dikirim",
        "reminder emailed to {N}", "customer {N} uploaded 3 files", "transfer a.n. {C} belum masuk",
        "dicetak ulang atas permintaan Pak {N}", "password reset requested by user {U}",
        "{N} left a comment on {id}", "Halo {N}, invoice {id} jatuh tempo besok", "approved by {C}",
        "catatan dari Mbak {F}: tambah logo", "Dr. {N} asked for a quote", "kurir menghubungi Sdr. {N}",
        "pelanggan {N} komplain pengiriman terlambat", "Hello {F}, your account was created",
        "revisi ke-2 diminta oleh {N}", "To: {N}; Subject: proof for {id}",
    ],
    "heldout": [
        "quote {id} accepted by {N}", "Ibu {N} sudah transfer DP 50%", "artwork replaced by {U} at 14:02",
        "Dear {N}, we need a higher resolution logo", "Halo Bu {F}, proof kedua sudah kami kirim",
        "refund of Rp 75.000 issued to {N}", "new customer {N} registered via web", "konfirmasi dari {C} diterima",
        "Pak {N} minta nota dikirim ke kantor", "session expired for user {U}", "{N} changed the delivery address",
        "Hi {N}, your sticker order is on its way", "invoice {id} paid by {C}", "Kak {F} minta tambah 2 lembar",
        "Ms. {N} cancelled the reprint", "paket untuk Sdr. {N} sudah diambil kurir",
        "pelanggan {N} memberi rating 5", "Hello {F}, thanks for the quick approval", "file final dikirim oleh {N}",
        "Cc: {N}; proof {id} attached",
    ],
}
NEGATIVE = {
    "dev": [
        "preview generated for {id} in 44231 ms", "PT Budi Jaya Abadi invoice {id} overdue",
        "alamat pengiriman Jl. Sudirman No. 5, Jakarta Selatan", "Made changes to the print layout of {id}",
        "Hari Raya Idul Fitri: produksi libur 3 hari", "ValueError: invalid literal for int() with base 10",
        "GET /api/orders/{id} HTTP/1.1 200", "Terima Kasih sudah order di CFlex", "Will retry in 5 seconds",
        "sorted by name, page 2 of 7", "processed by worker-3 in 2.1 s", "Bagus, file sudah diterima",
        "shipment via JNE from Surabaya to Medan", "cache miss for key orders:list:page=2",
        "Bank Mandiri transfer confirmed for {id}", "Universitas Indonesia order 500 brosur",
        "deadline Senin, 12 Januari 2026", "Honda Beat poster size A3 approved", "Toko Sinar Jaya restock paper",
        "job {id} failed: TimeoutError after 30 s", "Bandara Soekarno-Hatta banner delivered",
        "Grace period for invoice {id} ends in May", "connection reset by peer (errno 104)",
        "TypeError: 'NoneType' object is not subscriptable", "upload selesai dalam 2.3 detik",
        "Jadwal cetak Rabu pagi, kirim Kamis sore", "Gagal mengirim notifikasi WhatsApp, dicoba lagi",
        "File diterima dan sedang diproses oleh sistem", "Retrying job 4411 after timeout (attempt 3 of 5)",
        "Order Approved", "Preview Ready For Download", "New Year promo: 20% off stickers",
        "nginx: [error] 1234#0: *5 upstream timed out while reading response header",
        "sshd[812]: Accepted publickey for deploy from 127.0.0.1 port 50122", "Payment via OVO settled",
        "Kertas Art Paper 150 gsm habis di gudang Bekasi", "Sinar Mas Group bulk order 10.000 kalender",
        "Indomie carton print run scheduled", "Jakarta Convention Center booth banner 3x2 m",
        "customer service replied within 4 h", "Dear Customer, your order has shipped",
        "Halo semua, maintenance malam ini pukul 23:00", "user not found: id 4412", "by default the proof is A4",
        "Pak RT approved the banner for the event", "Tahun Baru Imlek: jam operasional berubah",
        "Google Drive link expired for {id}", "Shopee order synced, 12 items", "Summer Garden theme selected",
        "Jumat Berkah promo poster", "Bintang Kejora award certificate printed", "Mei 2026 invoice batch closed",
        "Selasa, 5 Mei 2026 10:15 WIB", "Surabaya warehouse stock: 120 reams", "Gunung Agung calendar design v3",
        "Ibu Kota Nusantara project brochure", "HTTP 502 Bad Gateway from upstream", "Celery worker lost",
        "AssertionError in test_preview_size", "java.lang.NullPointerException at PreviewService.render",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
        "batch {id} merged into {id}", "Permata Hijau branch reorder", "Lestari Alam brand guideline PDF",
    ],
    "seen": [
        "render of {id} took 12.4 s on worker-2", "CV Maju Bersama paid invoice {id}",
        "kirim ke Jl. Gatot Subroto Kav. 12, Bandung", "Indah Kiat paper stock low (A4, 80 gsm)",
        "Selamat Pagi! Promo cetak banner Agustus", "KeyError: 'customer_id' in handler",
        "POST /api/upload HTTP/1.1 413",
        "Mark as done after QA", "ordered by date desc", "retried by scheduler after backoff",
        "Mawar Merah wedding invitation template v2", "stok kertas Bintang habis", "Bagus sekali, hasil cetak rapi",
        "Sent from Yogyakarta warehouse on Friday", "Rumah Sakit Harapan Kita order 200 flyer",
        "Universitas Gadjah Mada request quote for {id}", "Hotel Santika Bali menu card reprint",
        "deploy 1.24.3 finished on Tuesday 3 March", "Grab Express pickup scheduled 14:00",
        "RuntimeError: event loop is closed", "Summer Sale poster approved for print",
        "pengiriman Kota Malang via SiCepat", "Apple iPhone mockup rendered", "printer HP LaserJet offline",
        "Dinas Pendidikan Kota Surabaya pesan spanduk",
        "Cetak ulang dijadwalkan Sabtu depan", "Notifikasi email gagal: SMTP 421", "Semua file sudah dikompres",
        "Invoice Paid", "Download Complete", "Flash Sale Desember: free ongkir", "Order Shipped To Warehouse",
        "kernel: Out of memory: Killed process 2211 (python3)", "CRON[5511]: (root) CMD (backup.sh)",
        "Payment via DANA pending confirmation", "Spanduk Flexi Korea 340 gsm stok menipis",
        "Astra International fleet stickers approved", "Aqua gallon label reprint", "Pasar Baru outlet poster",
        "reply from support within SLA", "Dear Valued Customer, thanks for waiting", "Halo tim, server restart jam 2",
        "user id 9912 not verified", "by design the bleed is 3 mm", "Pak Camat office ordered 50 banners",
        "Selamat Natal dan Tahun Baru", "Dropbox sync error for {id}", "Tokopedia order imported, 3 items",
        "Autumn Leaves invitation theme chosen", "Minggu ini produksi penuh", "Juni 2026 payroll closed",
        "Kamis, 11 Juni 2026 09:00 WIB", "Medan branch printer jam", "Danau Toba tourism brochure v2",
        "Kota Tua photo backdrop approved", "HTTP 504 Gateway Timeout after 60 s", "Redis connection refused",
        "IndexError: list index out of range", "org.postgresql.util.PSQLException: connection refused",
        "curl/8.5.0 GET /healthz 200 0.002", "job {id} superseded by {id}", "Mega Kuningan office move flyer",
        "Jaya Abadi Motor spare part catalogue", "Melati Putih soap packaging proof",
    ],
    "heldout": [
        "thumbnail of {id} cached for 24 h", "PT Sumber Rejeki Makmur order 3.000 nota",
        "gudang Jl. Ahmad Yani No. 88, Semarang", "Sidu notebook cover proof approved", "Promo Lebaran: diskon 15%",
        "ZeroDivisionError: division by zero", "PUT /api/orders/{id}/status HTTP/1.1 204", "Print Queue Paused",
        "grouped by customer segment", "handled by retry middleware", "Cetakan Sinar Dunia terlalu pucat",
        "Hasil scan kurang tajam, mohon kirim ulang", "Dispatched from Denpasar hub on Wednesday",
        "Klinik Pratama Sehat order kartu berobat", "Institut Teknologi Bandung poster wisuda",
        "Villa Seminyak menu board reprint", "released 2.7.0 on Monday 6 April", "Gojek Send pickup at 10:30",
        "OSError: [Errno 28] No space left on device", "Autumn Collection lookbook printed",
        "pengambilan di Kota Bogor", "Samsung Galaxy case print file", "Epson L3210 ink low",
        "Kantor Pos Pusat shipping label", "Lampu Merah café menu printed", "stock of Sinar Jaya envelopes low",
        "Bank Central Asia virtual account created", "Rabu, 8 April 2026 16:45 WIB", "Oktober 2026 closing done",
        "systemd[1]: Started cflexagent.service", "HTTP 429 Too Many Requests from WhatsApp gateway",
        "Taman Mini brochure draft v4", "Pantai Kuta event backdrop", "pembayaran via QRIS berhasil",
        "Dear team, please check the queue", "Halo admin, stok kertas habis", "user session {id} expired",
        "Pak Kurir sudah di lokasi", "Jadwal produksi Senin-Jumat", "Sari Ayu cosmetics label proof",
        "Harapan Baru foundation calendar order", "FileNotFoundError: /var/data/previews/{id}.png",
        "merge {id} into {id} done", "Golden Rose wedding theme", "Mitra Abadi supplier invoice",
    ],
}
NAMES = {
    # Javanese, Sundanese, Balinese, Batak, Minang, Chinese-Indonesian, Arabic-origin, international.
    "dev": [
        ("Budi Santoso", "Budi"), ("Ratna Sari", "Ratna"), ("Made Wirawan", "Made"), ("Siti Rahayu", "Siti"),
        ("Agus Salim", "Agus"), ("Hendra Gunawan", "Hendra"), ("Dewi Lestari", "Dewi"), ("Asep Sunandar", "Asep"),
        ("Ketut Arsana", "Ketut"), ("Rudi Siregar", "Rudi"), ("Yusuf Nasution", "Yusuf"), ("Fitri Chaniago", "Fitri"),
        ("Lim Swie Hoa", "Lim"), ("Kevin Wijaya", "Kevin"), ("Ahmad Fauzi", "Ahmad"), ("John Smith", "John"),
        ("Maria Garcia", "Maria"), ("Nurul Hidayah", "Nurul"), ("Joko Widodo", "Joko"), ("Wayan Sudarsana", "Wayan"),
    ],
    "seen": [
        ("Sri Wahyuni", "Sri"), ("Bambang Pamungkas", "Bambang"), ("Nyoman Sukerta", "Nyoman"),
        ("Dedi Kurniawan", "Dedi"), ("Tuti Handayani", "Tuti"), ("Ujang Hermawan", "Ujang"),
        ("Togar Simanjuntak", "Togar"), ("Rina Harahap", "Rina"), ("Andi Tanjung", "Andi"), ("Yanti Susanti", "Yanti"),
        ("Hengky Tanuwijaya", "Hengky"), ("Liem Hok Sun", "Liem"), ("Fatimah Azzahra", "Fatimah"),
        ("Abdul Rahman", "Abdul"), ("Putu Ayu Lestari", "Putu"),
        ("Michael Brown", "Michael"), ("Emily Johnson", "Emily"), ("Rizky Pratama", "Rizky"), ("Eko Prasetyo", "Eko"),
        ("Dian Permatasari", "Dian"),
    ],
    "heldout": [
        ("Wahyu Setiawan", "Wahyu"), ("Nining Sumarni", "Nining"), ("Komang Adi Putra", "Komang"),
        ("Yudi Hartanto", "Yudi"), ("Rahmawati Nasution", "Rahmawati"), ("Cecep Supriatna", "Cecep"),
        ("Boru Sitompul", "Boru"), ("Reza Fahlevi", "Reza"), ("Indra Lubis", "Indra"), ("Wulan Sari", "Wulan"),
        ("Aditya Halim", "Aditya"), ("Tjong Wei Ming", "Tjong"), ("Hasan Basri", "Hasan"), ("Kadek Darmawan", "Kadek"),
        ("Sarah Williams", "Sarah"), ("David Miller", "David"), ("Arief Budiman", "Arief"), ("Lina Marlina", "Lina"),
        ("Teguh Santosa", "Teguh"), ("Nur Aini", "Nur"),
    ],
}


# -- the second round (dev2 / heldout2) ----------------------------------------
# Written in one go, before the detector's second round of changes, then divided at random
# (seeded) between "dev2" (tuning data: its misses may be studied) and "heldout2" (never
# studied: only its totals are reported). Same distribution, no line in common. The hard
# negatives lean on what the first round got wrong: Indonesian shop, brand and place names made
# of common words that are also given names (Sinar, Jaya, Indah, Sari, Ayu, Putra, Permata ...).
FRESH_POSITIVE = [
    "{N} approved proof {id}", "{N} sudah menyetujui desain {id}", "proof {id} signed off by {N} at 09:12",
    "quote {id} emailed to {N}", "{N} requested 200 extra copies of {id}", "please call {N} back about the banner size",
    "delivery for {N} moved to Friday", "assigned designer: {N}", "comment from {N}: use the darker blue",
    "{F} uploaded a new logo for {id}", "ticket {id} escalated to {N}", "Thanks {F}, we received your payment",
    "account {U} locked after 5 failed logins", "login ok for {U} from the mobile app",
    "export of {id} requested by {U}", "Penerima: {C}, Bandung", "Good morning {F}, your proof is attached",
    "customer {N} asked for matte lamination", "{N} (customer) disputes the charge on {id}",
    "review by {N}: colours OK", "{N} and {N2} approved the final layout",
    "Mrs. {N} will pick up the order tomorrow", "Prof. {N} ordered 40 posters for the seminar",
    "pesanan {id} milik {N} siap diambil", "mohon hubungi Bapak {N} untuk konfirmasi ukuran",
    "nota {id} untuk {N} sudah dicetak", "Ibu {F} minta file dikirim lewat WhatsApp", "desain diperbaiki oleh {N}",
    "pengirim: {N}, Bekasi", "konsumen atas nama {N} belum melunasi", "Mas {F} akan ambil banner sore ini",
    "Mbak {F} dari bagian desain sedang cuti", "{F} minta revisi ukuran font", "sudah dibayar lunas oleh {N}",
    "order baru dari {N}, 2 spanduk 3x1 m", "terima kasih {F}, pembayaran sudah kami terima",
    "Yth. {N}, pesanan Anda sedang diproses", "dikonfirmasi {N} lewat telepon",
    "{N} membatalkan order {id} karena salah ukuran", "transfer dari rekening {C} sudah masuk",
    "Bu {F} komplain hasil cetak buram", "akun {U} dinonaktifkan admin", "file dari {U} gagal diunggah",
    "CS {F} membalas chat pelanggan", "Sdr. {N} tidak bisa dihubungi", "{N} left the proof unapproved for 3 days",
    "invoice {id} is addressed to {N}", "payment reminder #2 for {N}",
    "note: {N} prefers pickup at the Bekasi office", "contact person {N}, ext. 204", "PIC: {N}",
    "reprint approved, {N} will pay the difference", "draft {id} shared with {N} and {N2}",
    "ulasan dari {N}: hasil cetak bagus", "Kak {F}, ukuran file maksimal 50 MB ya",
    "Hi {F}! Your stickers shipped today", "{N} menambahkan catatan pada {id}",
    "pesanan atas nama {C} dibatalkan", "password changed by {U}", "Pak {F} sudah konfirmasi via telepon",
    "nama penerima {N}, alamat di catatan", "kiriman {id} diterima {N}",
]
FRESH_NEGATIVE = [
    # shops, brands and companies made of common words (many of them also given names)
    "Toko Sumber Makmur order 500 kantong plastik", "UD Sinar Terang restock tinta eco solvent",
    "Apotek Sehat Sentosa label obat dicetak", "Bengkel Jaya Motor spanduk 2x1 m",
    "Salon Cantik Ayu price list printed", "Percetakan Mulia Abadi subcontract job {id}",
    "Rumah Makan Sederhana menu reprint",
    "Kopi Kenangan cup sleeve proof", "Es Teh Indonesia banner order", "Sari Roti packaging proof v3",
    "Mie Sedaap carton label approved", "Wardah sticker sheet sent to print", "Indah Logistik pickup delayed",
    "Cahaya Baru lighting catalogue 24 pages", "Bintang Timur bus ticket print run", "Setia Budi branch flyer",
    "Putra Jaya Transport invoice {id}", "Karya Mandiri Sejahtera paid by transfer",
    "Berkah Jaya Abadi minta penawaran",
    "Sentosa Makmur restock kertas", "Maju Jaya Elektronik price tags", "Citra Kencana mug print 50 pcs",
    "Permata Bunda kindergarten poster", "Intan Permata jewellery box labels", "Mulia Keramik catalogue proof",
    "Sinar Harapan Plastik stiker kemasan", "Dewi Sri rice sack label", "Bunga Rampai anthology cover",
    "Anggrek Bulan florist card", "Melati Indah laundry price list", "Cempaka Wangi soap wrapper",
    "Kenanga Sari catering menu", "Mutiara Hitam seafood banner", "Batik Keris shopping bag print",
    "Matahari Department Store voucher printed", "Alam Sutera showroom backdrop",
    "Rejeki Lancar travel agent brochure", "Agung Sedayu Group site hoarding", "Surya Abadi Sentosa invoice overdue",
    "Gemilang Jaya Sakti stamp order", "Puspa Sari gift shop label", "Wangi Harum parfum sticker",
    "Hidup Baru furniture flyer", "Sumber Rezeki packaging reorder", "Ayu Lestari bakery box print",
    "Mekar Sari plant nursery signage", "Cipta Karya Mandiri project board", "Budi Luhur campus banner",
    "Toko Buku Gramedia order 300 bookmarks", "Indomaret price tag batch", "Alfamart promo wobbler",
    "Kimia Farma prescription labels", "Bakmi GM menu reprint", "Solaria table tent cards",
    "Harapan Jaya bus schedule poster", "Bumi Asih orphanage calendar", "Pelita Harapan school yearbook",
    "Tunas Muda football club jersey print", "Putri Ayu boutique hang tags", "Bunda Kasih daycare flyer",
    "Kasih Ibu hospital signage", "Cinta Alam outdoor store banner", "Damai Sejahtera church bulletin",
    "Tirta Mas water gallon label", "Segar Jaya fruit stall banner",
    # places
    "pickup point Kelapa Gading, Jakarta Utara", "outlet Tanah Abang buka jam 8", "kirim ke Cempaka Putih Timur",
    "gudang Kebon Jeruk penuh", "cabang Harapan Indah closed on Sunday", "Pondok Indah Mall booth banner",
    "Bumi Serpong Damai sales office poster", "Sunter Agung pickup rescheduled", "Kemayoran expo booth 3x3",
    "Pasar Minggu delivery route", "Lenteng Agung warehouse inventory", "Tebet Barat signage order",
    "Gambir station poster", "Ciputat courier delayed", "Depok Baru flyers distributed", "Sawangan area sold out",
    "Bogor Nirwana Residence brochure", "Cibubur Junction banner", "Jatiwaringin outlet reopened",
    "Karang Tengah office move", "Sukamaju village poster", "Pulo Gadung bus terminal poster",
    "Mangga Dua shop sticker", "Glodok electronics flyer", "Ragunan zoo map reprint", "Kota Wisata Cibubur banner",
    "Lippo Karawaci mall directory", "Setiabudi One building signage", "Menteng Dalam delivery done",
    # products
    "Kertas HVS 70 gram stok tinggal 12 rim", "Vinyl Ritrama glossy 1 roll masuk", "Sticker Chromo A3+ habis",
    "Art Carton 260 gsm price updated", "Banner Frontlite 280 gsm restocked", "Canon imagePROGRAF TM-300 paper jam",
    "Roland VersaCAMM head cleaning done", "Mimaki JV150 print head alarm", "Tinta Galaxy eco solvent 1 liter",
    "Luster Photo Paper 260 gsm", "Duplex 350 box die-cut ready", "Kalender Meja 2027 template",
    "Undangan Pernikahan Rustic Gold preview", "Stiker Vinyl Transparan cutting", "Kartu Nama Premium 2 sisi",
    "Brosur Lipat Tiga A4", "Mug Putih Sublim 11 oz", "Kaos Cotton Combed 30s hitam", "Tote Bag Kanvas natural",
    "Plakat Akrilik 3 mm", "Nota NCR Rangkap 3", "Map Folder Laminasi Doff", "X-Banner Standing 60x160",
    "Roll Up Banner Premium", "ID Card PVC + Lanyard", "Amplop Coklat Jaya 110", "Buku Yasin Hard Cover",
    "Pin Peniti 58 mm",
    # ordinary sentences, titles and UI texts
    "Mohon maaf, mesin sedang maintenance", "Selamat datang di portal pelanggan", "Semoga harimu menyenangkan",
    "Happy Birthday banner template", "Grand Opening spanduk 5x1 m", "Best Seller badge added to product page",
    "Harga Spesial untuk member", "Dengan hormat, kami informasikan jadwal libur", "Bisa dikirim besok pagi?",
    "Pesanan sudah dikemas dan siap kirim", "Ayo pesan sekarang, diskon berakhir Minggu",
    "Indah sekali warnanya, terima kasih", "Lestari alam kita, kurangi plastik", "Sukses selalu untuk tim produksi",
    "Cepat, murah, berkualitas", "Gratis ongkir ke seluruh Jabodetabek", "Baru saja restart service",
    "Mulai besok jam kerja 08.00-17.00", "Tolong cek ulang ukuran file", "Harap tunggu, file sedang diunggah",
    "Print Ready", "Awaiting Customer Approval", "Proof Sent", "Payment Received", "Low Ink Warning",
    "Queue Cleared", "New Message", "Ready For Pickup", "Order Cancelled By Customer",
    "Faith Hope Love wall decal", "Joy To The World card", "Sweet Home sign board", "Royal Blue ink cartridge",
    "Ruby Red vinyl", "Ivory White paper 120 gsm", "Golden Hour photo backdrop", "Jade Green sticker",
    "Amber Glow candle label", "Rose Gold foil stamping", "Crystal Clear laminate", "Victory Day banner",
    "Hope Street Cafe menu", "Hunter Green card stock", "Sandy Beach backdrop", "Misty Morning invitation theme",
    # cue words before what is not a name
    "approved by Finance", "uploaded by Admin Gudang", "sent to Warehouse Bekasi", "dibuat oleh Sistem",
    "dicetak oleh Tim Produksi", "dikirim dari Gudang Utama", "Dear Partner, your commission report is ready",
    "Halo Kakak, ada promo baru", "Hi Team, deploy at 17:00", "Kepada Yth. Bapak/Ibu Pelanggan",
    "customer Corporate tier upgraded", "user Premium plan renewed", "picked up by Gojek courier",
    "dikirim oleh Kurir JNE", "imported from Shopee marketplace", "Dari: Marketing", "To: Accounting",
    "signed by Direktur Utama", "diterima oleh Resepsionis", "Hello World test print",
    "pelanggan Baru dapat diskon 10%", "pelanggan Setia bulan ini: 12 orang", "oleh karena itu jadwal mundur",
    "by the way the proof is ready", "Halo Bandung! Cabang baru sudah buka", "Hi Jakarta, promo spesial",
    # IDs, numbers, error classes, system lines, user agents
    "INV/2026/04/00123 generated", "SKU BNR-FL-280 out of stock",
    "PermissionError: [Errno 13] Permission denied: '/srv/cflex/uploads'",
    "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)",
    "sqlalchemy.exc.OperationalError: could not connect to server",
    "ConnectionResetError: [Errno 104] Connection reset by peer",
    "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 0", "MemoryError while rasterising {id}",
    "BrokenPipeError in stream writer",
    "django.db.utils.IntegrityError: duplicate key value violates unique constraint",
    "redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379",
    "PIL.Image.DecompressionBombError: image size exceeds limit", "ghostscript: Unrecoverable error, exit code 1",
    "celery.exceptions.SoftTimeLimitExceeded in render_pdf", "botocore.exceptions.ClientError: AccessDenied",
    "httpx.ReadTimeout after 30.0 s", "NotImplementedError: CMYK TIFF", "KeyboardInterrupt received, shutting down",
    "ssl.SSLCertVerificationError: certificate has expired", "psycopg2.errors.UniqueViolation on orders_pkey",
    "build 20260411.3 deployed", "commit 4f9a2c1 merged", "nomor order 2026041100123", "VA 8808123456789012 expired",
    "kode booking ABX7Q2", "paket 2 dari 5 dikirim", "HTTP/2 200 in 38 ms",
    "GET /api/products?category=banner&page=3 200", "POST /webhook/midtrans 200 12ms", "worker-7 heartbeat missed",
    "disk /dev/sda1 at 91%", "uvicorn.error: Application startup complete.",
    "gunicorn[2211]: Booting worker with pid: 2230", "postfix/smtp[3321]: connect to mx.example.com timed out",
    "dockerd: container cflex-api restarted (exit 137)",
    "kernel: EXT4-fs warning (device sda1): ext4_dx_add_entry: Directory index full",
    "systemd[1]: cflex-worker.service: Main process exited, code=killed",
    "logrotate: rotated /var/log/nginx/access.log", "CRON[9921]: (www-data) CMD (php artisan schedule:run)",
    "sudo: deploy : TTY=pts/0 ; PWD=/srv ; USER=root ; COMMAND=/bin/systemctl restart nginx",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Dalvik/2.1.0 (Linux; U; Android 13; SM-A145F Build/TP1A.220624.014)", "WhatsApp/2.24.6.77 A",
    "okhttp/4.12.0", "TLSv1.3 handshake ok", "Let's Encrypt renewal succeeded for cflex.example",
    "Laravel queue: Processed App\\Jobs\\SendInvoice", "App\\Models\\Order not found",
    # calendar
    "Jadwal libur Nyepi: Kamis 19 Maret", "Promo Ramadan mulai 1 Maret", "cut-off Jumat 15:00",
    "Tuesday batch closed at 18:00",
]
FRESH_NAMES = [
    ("Dimas Prasetya", "Dimas"), ("Fajar Nugroho", "Fajar"), ("Ayu Puspitasari", "Ayu"), ("Gede Wiratama", "Gede"),
    ("Maruli Simatupang", "Maruli"), ("Dadang Suhendar", "Dadang"), ("Rosmawati Tambunan", "Rosmawati"),
    ("Febri Hasibuan", "Febri"), ("Irfan Hakim", "Irfan"), ("Desi Ratnasari", "Desi"),
    ("Stefanus Gunadi", "Stefanus"), ("Lukas Tanoto", "Lukas"), ("Oei Siu Lan", "Siu Lan"),
    ("Syarifah Fadhilah", "Syarifah"), ("Zainal Arifin", "Zainal"), ("Hendrik Pattinama", "Hendrik"),
    ("Yohana Kristiani", "Yohana"), ("Bayu Saputra", "Bayu"), ("Annisa Rahmah", "Annisa"),
    ("Rangga Permana", "Rangga"), ("Tri Wulandari", "Tri"), ("Agung Wicaksono", "Agung"), ("Jessica Tan", "Jessica"),
    ("Robert Wilson", "Robert"), ("Priya Sharma", "Priya"), ("Thomas Becker", "Thomas"),
    ("Sinta Marpaung", "Sinta"), ("Hadi Susilo", "Hadi"), ("Oka Mahendra", "Oka"), ("Ratih Kumalasari", "Ratih"),
    ("Wawan Hermansyah", "Wawan"), ("Ningsih Maryati", "Ningsih"), ("Iwan Kurnia", "Iwan"),
    ("Aulia Safitri", "Aulia"), ("Benny Kusuma", "Benny"), ("Citra Anggraini", "Citra"),
    ("Nengah Sudiarta", "Nengah"), ("Muhammad Rizal", "Rizal"), ("Kurniawati Siahaan", "Kurniawati"),
    ("Vincent Sutanto", "Vincent"),
]


# -- the third round (dev3 / heldout3) -----------------------------------------
# Written after heldout2 was measured once on the changed detector (92.9 % of names, 7.1 % of
# harmless lines altered, against 97.8 % and 2.4 % on dev2: the rules fitted dev2's long tail),
# before any further change, and divided at random like the second round.
POOL3_POSITIVE = [
    "{N} baru saja membayar invoice {id}", "invoice {id} lunas, dibayar {N}", "proof {id} viewed by {N} on mobile",
    "{N} opened the payment link for {id}", "customer note from {N}: tolong dipercepat", "reminder sent to {U}",
    "failed login for user {U}", "WA bot: pesan dari {N} diteruskan ke CS", "chat assigned to agent {F}",
    "Selamat siang {F}, desain sudah kami revisi", "Pagi {F}, pesanan sudah dikirim",
    "pesanan untuk Ibu {N} dikirim via JNE", "Pak {N} minta faktur pajak", "Mbak {F} sudah cek proof?",
    "Sdri. {N} belum konfirmasi alamat", "order {id} placed by {N} (3 items)",
    "{N} updated the shipping address on {id}", "{C} - DP 50% diterima", "refund approved for {N}",
    "{N} wants the banner in landscape", "kurir gagal menghubungi {N}", "{N} komplain warna tidak sesuai",
    "desainer {F} mengerjakan {id}", "tagihan atas nama {N} jatuh tempo", "nama pemesan: {N}",
    "signed in as {U}", "{U} exported 120 orders", "dear {F}, please confirm the size",
    "Hello {N}, your invoice is attached", "{F} asked for a discount", "{N} mengunggah 4 file desain",
    "notes: {N} will call back tomorrow", "Halo {F}! Terima kasih sudah order",
    "pesanan {id} diambil sendiri oleh {N}", "pickup by {N} confirmed", "Bapak {F} dari Surabaya minta katalog",
    "{N} cancelled subscription", "Ibu {F} transfer kurang Rp 5.000", "{N} replied: OK lanjut cetak",
    "ditandatangani {N}",
]
POOL3_NEGATIVE = [
    "Sumber Alam Elektronik promo flyer", "Mitra Usaha Mandiri invoice {id}", "Jaya Makmur Sentosa paid",
    "Cahaya Abadi Motor sticker", "Maju Bersama Sejahtera order 20 banner", "Bintang Terang lampu catalogue",
    "Sinar Mulia Plastik label", "Indah Jaya Textile invoice", "Dunia Kertas restock", "Istana Boneka window sticker",
    "Surya Kencana Sentosa contract", "Prima Jaya Abadi quotation", "Anugerah Jaya catering menu",
    "Bunga Melati packaging proof", "Kembang Sari sweets label", "Dewi Fortuna lottery poster",
    "Ratu Sari batik label", "Putra Mandiri Teknik invoice", "Sari Murni oil label", "Mekar Jaya baliho order",
    "Segar Sari juice cup print", "Lancar Jaya ekspedisi resi", "Bumi Indah Residence brochure",
    "Kencana Ungu paint label", "Tirta Sari spring water label", "Asri Jaya furniture catalogue",
    "Rahayu Abadi tiket print", "Cipta Rasa menu card", "Rasa Sayang karaoke flyer", "Harum Manis mango box",
    "Merah Putih flag order 100 pcs", "Garuda Jaya courier sticker", "Satria Muda basketball jersey",
    "delivery to Cilandak Barat", "Pondok Labu drop point", "Cempaka Baru outlet reopened",
    "Rawa Belong flower market banner", "Kebayoran Lama office printer", "Tanjung Priok port gate pass",
    "Ciledug Indah shop sign", "Duren Sawit warehouse stock", "Jati Asih drop-off point", "Pulo Mas route closed",
    "Grogol Petamburan district flyers", "Tanah Kusir pickup", "Tomang flyover banner", "Bintaro Jaya sector 9",
    "Gading Serpong signage", "Summarecon Bekasi booth", "Cibinong branch opening",
    "Sticker Vinyl Glossy A3", "Kertas Concorde 220 gsm", "Banner Korea 440 gsm", "Kertas Jasmine 230 gsm",
    "Kertas Samson 90 gsm", "Tinta Dataprint refill", "Kertas Manila putih", "Kertas Ivory 310 gsm",
    "Kertas Linen Jepang", "BC Bontax 250", "Kanvas Albatros 1 roll", "Lakban Daimaru coklat",
    "Map Plastik Bantex", "Pulpen Standard AE7", "Spidol Snowman hitam", "Buku Tulis Kiky 38 lembar",
    "Amplop Paperline 104", "PaperOne A4 80 gsm",
    "Terima kasih atas kesabarannya", "Mohon ditunggu, antrean cetak penuh", "Silakan cek email untuk invoice",
    "Order Ready To Ship", "Payment Pending Verification", "Welcome Back", "Password Changed Successfully",
    "Session Timeout", "Invalid Coupon Code", "Free Shipping Applied", "Diskon Akhir Tahun",
    "Spesial Hari Kemerdekaan", "Semangat Pagi tim gudang!", "Sehat Selalu untuk semua pelanggan",
    "Indah pada waktunya", "Bagus banget hasilnya", "Cantik sekali desainnya", "Mantap, lanjut cetak",
    "Putih semua, tinta habis?", "Merah terlalu gelap di hasil cetak", "Jaya selalu, tim CFlex!",
    "approved by Manager Produksi", "dikirim oleh Ekspedisi Lion Parcel", "diambil dari Gudang Cikarang",
    "diproses oleh Admin Toko", "Dear Valued Partner", "Halo Sobat CFlex", "Hi there, your order shipped",
    "customer Umum tanpa akun", "pelanggan Reseller dapat harga khusus", "user Guest checkout",
    "Kepada Yth. Pimpinan", "triggered by Cron job", "uploaded by Designer Team",
    "Halo Kak, ada yang bisa dibantu?", "Dear Sir/Madam", "To: Finance Dept", "From: Noreply",
    "resi JNE CGK1234567890", "AWB 8825123456 in transit",
    "ERROR django.request: Internal Server Error: /api/orders/", "WARNING urllib3.connectionpool: Retrying",
    "asyncio: Task exception was never retrieved", "OSError: [Errno 24] Too many open files",
    "requests.exceptions.ConnectTimeout", "ImportError: cannot import name 'Image' from 'PIL'",
    "TypeError: Object of type Decimal is not JSON serializable",
    "AttributeError: 'NoneType' object has no attribute 'email'", "sqlite3.OperationalError: database is locked",
    "CSRF verification failed. Request aborted.",
    "SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted')",
    "php-fpm[1123]: WARNING: [pool www] child 2231 exited on signal 9",
    "mysqld: Aborted connection 51 to db: 'cflex' user: 'app'", "redis: Background saving started by pid 4112",
    "certbot: Congratulations! Your certificate has been saved", "ufw: [UFW BLOCK] IN=eth0 SRC=127.0.0.1",
    "fail2ban.actions: NOTICE [sshd] Ban 127.0.0.1", "Googlebot/2.1 crawl of /products/banner",
    "Libur Isra Miraj: Kamis", "cut-off Sabtu jam 12", "Promo Harbolnas 12.12", "Tahun Baru Islam: kantor tutup",
]
POOL3_NAMES = [
    ("Eka Saputri", "Eka"), ("Rudy Hartono", "Rudy"), ("Yogi Firmansyah", "Yogi"), ("Nia Kurniasih", "Nia"),
    ("Heru Prasetyo", "Heru"), ("Melinda Sari", "Melinda"), ("Sutrisno Hadi", "Sutrisno"), ("Ika Rahmawati", "Ika"),
    ("Galih Ramadhan", "Galih"), ("Sekar Ayuningtyas", "Sekar"), ("Daniel Sitorus", "Daniel"),
    ("Paulus Manik", "Paulus"), ("Rahmat Hidayat", "Rahmat"), ("Nurhayati Daulay", "Nurhayati"),
    ("Faisal Amri", "Faisal"), ("Hamzah Alatas", "Hamzah"), ("Sandra Kusnadi", "Sandra"),
    ("Felix Sugiarto", "Felix"), ("Linda Setiadi", "Linda"), ("Anton Sihombing", "Anton"),
    ("Maya Salsabila", "Maya"), ("Entis Sutisna", "Entis"), ("Euis Komariah", "Euis"), ("Andreas Pardede", "Andreas"),
    ("Michelle Lim", "Michelle"), ("Jonathan Lee", "Jonathan"), ("Emma Thompson", "Emma"), ("Ravi Kumar", "Ravi"),
    ("Slamet Riyadi", "Slamet"), ("Aminah Nasir", "Aminah"),
]


# -- the fourth round (dev4 / heldout4) ----------------------------------------
# Written after heldout3's measurement, before the changes of the fourth round, the same way.
POOL4_POSITIVE = [
    "{N} invoice {id} overdue 3 days", "{N} order {id} siap kirim", "{N} menyetujui harga",
    "{N} confirmed the pickup time", "{N} is waiting for the proof", "{N}, please check your email",
    "{N}: revisi logo sudah OK", "{F} from marketing approved the layout", "{N} dan tim akan datang jam 3",
    "payment from {N} matched to {id}", "new message from {N}", "assigned {id} to {N}", "chat with {N} closed",
    "escalated by {U}", "{U} changed the price list", "login failed: {U}", "Terima kasih Bapak {N} atas pesanannya",
    "Ibu {N} ingin desain ulang", "Kak {F}, file-nya sudah kami terima", "Mas {N} tidak di rumah, paket dititipkan",
    "{C} CANCELLED ORDER {id}", "{C}: konfirmasi transfer", "customer: {N} <redacted:email>",
    "pemesan {N} minta invoice PDF", "penerima paket: {N}", "a.n. {N} - Rp 150.000",
    "Dear Mrs. {N}, your refund is processed", "Hi {N}, welcome to CFlex", "Halo {F}, pesanan kamu sudah jadi",
    "Yth. Bapak {N}", "{N} called about {id}", "{N} has 2 unpaid invoices", "{N} belum bayar DP",
    "{N} rated the service 4/5", "feedback {N}: pengiriman cepat", "sales {F} follow up ke pelanggan",
    "kurir {F} sudah berangkat", "{N}'s order was split into 2 shipments", "{N} (VIP) minta prioritas",
    "reviewed by {N} and {N2}",
]
POOL4_NEGATIVE = [
    "Sumber Makmur Jaya price list", "Anugerah Abadi catalogue reprint", "Sinar Abadi Jaya contract {id}",
    "Mulia Jaya packaging", "Cahaya Bintang event poster", "Permata Sari hijab label",
    "Indah Permai kitchen brochure", "Sentosa Abadi paint can label", "Bintang Mas jewellery card",
    "Karya Utama banner 4x1", "Putri Indah hijab catalogue", "Ayu Sari spa menu", "Dewi Ayu cosmetic box",
    "Lestari Jaya minyak goreng label", "reprint for Sumber Rejeki invoice {id}",
    "delivery to Cahaya Mulia warehouse", "quote sent to Mitra Sejati", "pesanan dari Jaya Abadi sudah dicetak",
    "banner untuk Berkah Abadi siap", "stiker Harapan Indah dikirim", "invoice Surya Jaya belum dibayar",
    "kirim ke Sinar Baru, Bekasi", "contract with Putra Perkasa signed", "sample for Dewi Sartika Foundation",
    "delivery area: Kramat Jati", "kurir ke Pondok Kelapa", "alamat Cipinang Muara RT 03", "drop point Ciracas",
    "gudang Cijantung penuh", "Bukit Duri area closed", "Menteng Atas route", "Sunter Hijau pickup",
    "Jatinegara market stall", "Kalideres terminal poster", "Marunda port delivery",
    "Vinyl Oracal 651 putih", "Stiker Transparan Bening", "Banner Flexi China 280", "Tinta Epson 003 hitam",
    "Kain Satin Velvet", "Akrilik Bening 2 mm", "Kayu Jati frame", "Kaos Polo Pique", "Topi Baseball Bordir",
    "Jersey Printing Full", "Gantungan Kunci Akrilik", "Mug Magic Hitam", "Payung Promosi Golf",
    "Tas Spunbond Custom",
    "Semoga sukses selalu", "Jangan lupa konfirmasi ya", "Harga sudah termasuk PPN", "Mohon transfer sebelum jam 3",
    "Pesanan sedang dikemas", "Print Job Queued", "Low Paper Warning", "Account Verified", "Checkout Complete",
    "Thank You For Your Order", "Happy Eid Mubarak banner", "Selamat Ulang Tahun spanduk", "Grand Launching poster",
    "Mega Sale 11.11", "Super Deal hari ini", "Bright Future theme", "Ocean Blue invitation", "Sunny Day backdrop",
    "Lovely Pink sticker", "Pure White card stock", "Deep Forest green tone", "Maple Leaf motif",
    "approved by Owner", "dibuat oleh Bagian Desain", "dikirim ke Cabang Utama", "Dear Valued Member",
    "Halo Pelanggan Setia", "Hi Guest, sign in to continue", "customer Baru dari Instagram", "user Anonymous",
    "oleh Tim Marketing", "from Tokopedia seller center", "signed by Supervisor", "assigned to Production",
    "Kepada Bapak/Ibu", "Dari: Admin CFlex",
    "HTTP 500 Internal Server Error", "TimeoutError: read timed out (30 s)",
    "ValueError: invalid color profile 'CMYK'", "gunicorn.error: WORKER TIMEOUT (pid:1234)",
    "nginx: worker process 4411 exited on signal 11",
    "kernel: TCP: request_sock_TCP: Possible SYN flooding on port 443", "systemd-journald: Suppressed 211 messages",
    "apt: 12 packages can be upgraded", "chronyd: Selected source 127.0.0.1", "cflexagent: spool 31% full",
    "redis.exceptions.TimeoutError", "psycopg2.OperationalError: SSL SYSCALL error: EOF detected",
    "boto3: Found credentials in environment variables.", "PIL.UnidentifiedImageError: cannot identify image file",
    "ghostscript: Error: /undefined in --showpage--", "ImageMagick: convert-im6.q16: no images defined",
    "SKU BNR-280-KOR", "batch 2026-04-17-03 done", "ticket #4821 closed", "PO/CFX/2026/0412 approved",
    "ref TRX20260417ABC12", "Libur Waisak hari Kamis", "closing Jumat sore", "Promo Akhir Bulan Maret",
]
POOL4_NAMES = [
    ("Arif Wibowo", "Arif"), ("Bagus Prakoso", "Bagus"), ("Intan Nuraini", "Intan"), ("Hendro Saputro", "Hendro"),
    ("Yuliana Sembiring", "Yuliana"), ("Dodi Kurniadi", "Dodi"), ("Puspita Sari", "Puspita"),
    ("Kristian Wongso", "Kristian"), ("Rini Astuti", "Rini"), ("Agustinus Lay", "Agustinus"),
    ("Cucu Rohaeti", "Cucu"), ("Bima Arya", "Bima"), ("Widya Lestari", "Widya"), ("Fransiska Tarigan", "Fransiska"),
    ("Gilang Permadi", "Gilang"), ("Lutfi Maulana", "Lutfi"), ("Novita Sari", "Novita"),
    ("Samuel Hutapea", "Samuel"), ("Wenny Tjandra", "Wenny"), ("Chandra Liman", "Chandra"),
    ("Hana Pertiwi", "Hana"), ("Raka Aditya", "Raka"), ("Tika Maharani", "Tika"), ("George Clarke", "George"),
    ("Olivia Chen", "Olivia"), ("Zaki Mubarak", "Zaki"), ("Ria Amelia", "Ria"), ("Endang Susilowati", "Endang"),
    ("Taufik Ismail", "Taufik"), ("Yosua Manurung", "Yosua"),
]


# -- the fifth round (dev5 / heldout5) -----------------------------------------
# Written after heldout4's measurement on the fourth round's changes (88.3 % of names, 8.9 % of
# harmless lines altered), before the fifth round's changes, the same way: new templates, names
# new to the corpus, hard negatives leaning on brands and titles before roles (Dr. Oetker,
# Mr. DIY, Pak Satpam), words that are also names opening a sentence (Fajar, Dwi, Will, May,
# Grace, Mark), HTTP lines and error classes; divided at random between dev5 and heldout5.
POOL5_POSITIVE = [
    "order {id} handed over to {N} at the counter", "{N} signed the delivery receipt for {id}",
    "courier note: {N} not at home, left with neighbour", "refund request {id} opened by {N}",
    "{N} asked to change the paper to art carton", "reply from {N}: please send the invoice again",
    "proof {id} awaiting {N}'s approval", "Morning {F}, the reprint is ready",
    "Hey {F}, your file is too small to print",
    "{F} will collect the banners tomorrow", "voucher {id} redeemed by {N}", "session started for {U}",
    "{U} deleted draft {id}", "api token created by {U}", "approval pending from {N} and {N2}",
    "Attn: {N}, finance department", "Mr {N} paid in cash", "Miss {F} called twice about the delivery",
    "{C} PAID INVOICE {id}", "shipping label printed for {N}", "{N} rescheduled the pickup to Monday", "owner: {N}",
    "{N} minta dikirim hari ini juga", "sudah ditelepon, {N} setuju harga baru", "nota lunas a/n {N}",
    "pesanan Bu {N} belum diambil", "Pak {F} minta diskon 10%", "Kakak {F}, desainnya mau warna apa?",
    "Om {F} pesan 5 spanduk untuk acara kantor", "Mbak {N} sudah transfer, mohon dicek",
    "Selamat sore {F}, invoice sudah kami kirim", "bukti transfer dari {N} buram",
    "pesanan {id} atas nama Sdr. {N}", "{N} menanyakan status pesanan {id}", "diterima oleh {C} di lobi",
    "admin {F} mengubah harga", "revisi diminta {N} lewat email", "pembeli: {N}, Tangerang",
    "{F}: sudah saya cek, lanjut cetak", "{N} belum membalas chat sejak kemarin", "akun {U} berhasil didaftarkan",
    "kontak darurat {N}", "Bapak {N} dan Ibu {N2} hadir saat serah terima",
]
POOL5_NEGATIVE = [
    # places
    "Kampung Melayu pickup point", "Bukit Tinggi souvenir order", "Pematang Siantar branch flyer",
    "Tanjung Duren office reprint", "kirim ke Sumber Sari, Malang", "Pasar Senen stall banner",
    "Rawamangun campus poster", "Margonda Raya outlet", "Cikini area delivery done", "Kebon Sirih office signage",
    "Palmerah hub delayed", "Kelapa Dua drop point", "Taman Sari Bandung pickup", "Gunung Sahari warehouse full",
    "Ancol Dreamland banner", "Nusa Dua resort menu reprint", "shipment to Mataram, Lombok",
    "Panakkukang Makassar branch", "Simpang Lima Semarang billboard", "Malioboro stall sticker",
    # companies and brands, some made of words that are also names
    "PT Gudang Garam calendar 2027", "Indofood carton print", "Teh Botol Sosro cooler sticker",
    "Kapal Api coffee sachet proof", "Sido Muncul jamu label", "Blue Bird taxi door sticker",
    "Garuda Indonesia boarding pass sleeve", "Telkomsel voucher print run", "Wings Food packaging",
    "Mayora biscuit box proof", "Ultra Jaya milk carton label", "Djarum Foundation banner",
    "Unilever Indonesia POSM order", "Erha Clinic brochure", "J.CO Donuts box print", "Chatime cup sleeve",
    "Janji Jiwa menu board", "Fore Coffee sticker", "Hokben table card", "Ace Hardware price tag",
    "Informa catalogue 40 pages", "Ramayana voucher print", "Eiger hang tags", "CV Mitra Karya Abadi invoice {id}",
    "UD Sari Rejeki restock", "Sumber Waras hospital signage", "Adi Karya Konstruksi banner",
    "Wira Jaya Logistik resi", "Arta Graha building sign", "Mandala Putra travel brochure",
    "Raja Sticker Bekasi partner order", "Dunia Banner online reorder", "Bina Nusantara campus flyer",
    "Tunas Harapan school calendar", "Rama Shinta dance poster", "Sri Rejeki Isman textile labels",
    "Bima Sakti planetarium ticket", "Arjuna Motor spare part label", "Wisma Asri apartment brochure",
    "Graha Indah event hall banner", "Dr. Oetker pudding box print", "Mr. DIY price tags",
    "Nur Cahaya Islamic calendar", "Sekar Jagad batik motif catalogue",
    # products and machines
    "Kertas Foto Glossy 230 gsm", "Albatros Matte 1 roll", "Sticker Oracal Doff", "Banner Backlite 510",
    "PVC Foam Board 5 mm", "Kain Flag Bendera", "Tinta Sublim Hansol", "Brother QL-800 label printer error",
    "Canon iX6770 cartridge empty", "Epson SureColor F570 head clog", "Xerox Versant 180 calibrated",
    "Konica Minolta bizhub C3070 toner low", "Plotter Graphtec CE7000 offline", "Laminating Doff Thermal 1 roll",
    "Kartu Undangan Hardcover Emas", "Stempel Flash Otomatis", "Spanduk Kain 3x1", "Poster Art Paper A2",
    "Kalender Dinding 6 lembar",
    # calendar
    "Januari 2027 price list", "invoice batch Februari closed", "Agustus promo 17-an", "libur Maulid Nabi Senin",
    "Minggu, 3 Mei 2026 closed", "due date April 30", "March closing report sent", "Juli stock opname",
    "Desember rush orders: 312", "Sabtu-Minggu tutup",
    # ordinary sentences that open with a word that is also a name
    "Fajar menyingsing, produksi dimulai jam 6", "Dwi warna cetak untuk kop surat", "Tri fold brochure A4 approved",
    "Mark all as read", "Bill of materials updated for {id}", "Frank feedback from QA: colours off",
    "Max file size is 50 MB", "Chase the courier for {id}", "Rich text editor failed to load",
    "Will ship on Monday", "May require manual review", "Grace period extended to 14 days",
    "Art director review scheduled", "Sunny weather poster series", "Intan berlian jewellery catalogue",
    "Cahaya lampu terlalu terang di foto produk", "Mulia sekali niatnya, donasi 100 kalender", "Bagus, lanjutkan",
    "Rezeki tidak ke mana, order naik 20%", "Budi pekerti poster for school", "Kasih sayang theme Valentine",
    "Harapan kami pesanan tiba tepat waktu", "Tuan rumah acara: CFlex",
    # cue words and titles before what is not a name
    "approved by QA Team", "updated by System Scheduler", "dikirim oleh Pihak Ekspedisi", "diterima oleh Satpam",
    "oleh Bagian Keuangan", "customer Wholesale segment", "user Admin logged out", "Dear Reseller, price list attached",
    "Halo Customer, pesananmu sudah siap", "Hi Everyone, system update tonight", "From: CFlex Notifications",
    "Dari: Sistem Otomatis", "atas nama Perusahaan", "a.n. PT Cahaya Abadi", "Bapak/Ibu yang terhormat",
    "Pak Satpam minta kunci gudang", "Bu Guru pesan 30 sertifikat", "Kak Admin, tolong cek", "Mas Kurir sudah sampai",
    # UI texts and capitalised phrases
    "Order Complete", "Upload Failed", "Try Again Later", "Pickup Scheduled", "Refund Issued", "Account Suspended",
    "Print Preview Generated", "Customer Support Ticket Closed", "Summer Breeze theme", "Silver Lining card",
    "Morning Glory label", "Happy Hour flyer", "Christmas Eve backdrop", "Black Friday banner",
    "Cyber Monday voucher", "Valentine Special mug",
    # IDs, error classes, HTTP and system lines
    "ORD-55120 split into ORD-55121 and ORD-55122", "ModuleNotFoundError: No module named 'reportlab'",
    "ValueError: could not convert string to float: 'A4'", "jinja2.exceptions.TemplateNotFound: invoice.html",
    "pydantic.ValidationError: 2 validation errors for Order", "RecursionError: maximum recursion depth exceeded",
    "StopIteration in preview generator", "concurrent.futures.TimeoutError", "OverflowError: int too large to convert",
    "FileExistsError: [Errno 17] File exists: '/tmp/render'", "HTTP/1.1 301 Moved Permanently",
    "GET /static/js/app.3f9a1c.js 304", "DELETE /api/cart/items/9912 204", "HEAD /healthz 200 1ms",
    "PATCH /api/users/4412 422 Unprocessable Entity", "OPTIONS /api/orders 204",
    "node[2231]: Error: ECONNREFUSED 127.0.0.1:5432", "pm2: App [cflex-web] exited with code [1]",
    "containerd: shim disconnected", "kubelet: Liveness probe failed: HTTP probe failed with statuscode: 503",
    "sshd[991]: Failed password for invalid user admin from 127.0.0.1 port 40022",
    "auditd: audit backlog limit exceeded", "python3[4410]: DeprecationWarning: datetime.utcnow() is deprecated",
    "npm WARN deprecated request@2.88.2", "UUID 3f2b9c1e-8a7d-4e21-b1c3-9d0e5f6a7b8c not found",
    "hash sha256:9f86d081884c7d65 mismatch", "v2.14.0-rc.1 tagged", "order 2026-05-01-0042 queued",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/124.0", "facebookexternalhit/1.1",
]
POOL5_NAMES = [
    ("Sugeng Riyanto", "Sugeng"), ("Wartini Sulastri", "Wartini"), ("Ilham Syahputra", "Ilham"),
    ("Yayan Ruhiyat", "Yayan"), ("Neneng Hasanah", "Neneng"), ("Ngurah Wisnawa", "Ngurah"),
    ("Ni Luh Sukmawati", "Sukmawati"), ("Parlindungan Silalahi", "Parlindungan"), ("Ronald Panjaitan", "Ronald"),
    ("Yulia Damanik", "Yulia"), ("Afrizal Piliang", "Afrizal"), ("Rosnani Koto", "Rosnani"),
    ("Hendy Setiono", "Hendy"), ("Lily Tanudjaja", "Lily"), ("Kwee Liang", "Kwee"), ("Husein Assegaf", "Husein"),
    ("Khadijah Alaydrus", "Khadijah"), ("Fikri Haikal", "Fikri"), ("Larasati Wening", "Larasati"),
    ("Joni Sumarno", "Joni"), ("Christopher Evans", "Christopher"), ("Hannah Schmidt", "Hannah"),
    ("Oliver Bennett", "Oliver"), ("Ahmed Hassan", "Ahmed"), ("Kenji Tanaka", "Kenji"), ("Dwi Handoko", "Dwi"),
    ("Septian Nugraha", "Septian"), ("Yudha Pratomo", "Yudha"), ("Evi Nurjanah", "Evi"),
    ("Toni Hidayatullah", "Toni"), ("Margaretha Lumbantobing", "Margaretha"), ("Agustina Manalu", "Agustina"),
    ("Mulyadi Saragih", "Mulyadi"), ("Bintang Pradana", "Bintang"),
]


# -- the sixth round (dev6 / heldout6) -----------------------------------------
# Written by a separate author who never saw the detector, its word lists or its tests, before
# the sixth round's changes, the same way: new templates (titles such as Bli, Teh, Kang, Uda, Uni,
# Hj., names in quotes and parentheses, possessives, names at the end of a line, two names, names in
# lower case via {L}), names new to the corpus (some of them also ordinary words: Indah, Cahya,
# Permata, Mulia, Rose, Hope, Faith, Grant, Chase), hard negatives (companies and brands made of
# such words, places, holidays, nginx and syslog lines, paper terms); divided at random between
# dev6 and heldout6.
POOL6_POSITIVE = [
    # titles and terms of address
    "Bli {F} sudah ambil spanduk di counter Denpasar", "Teh {F} minta proof dikirim ulang lewat WA",
    "Kang {F} dari Garut pesan 20 kaos sablon", "Uda {F} konfirmasi ukuran baliho 4x6 m",
    "Uni {F} minta tambahan 100 lembar brosur", "Hj. {N} memesan 500 buku Yasin untuk tahlilan",
    "H. {N} transfer pelunasan via BSI", "Dr. {N} needs the conference posters by Thursday",
    "Mrs. {N} said the box arrived dented", "Ms. {N} asked whether we can print on kraft paper",
    "Sdr. {N} menolak paket karena salah alamat", "Sdri. {N} sudah melunasi sisa tagihan {id}",
    "Bapak {N} selaku ketua panitia menyetujui desain backdrop", "Bu {N} (guru SD) pesan 40 sertifikat lomba",
    "Mas {F} dari tim produksi lembur sampai jam 10", "Mbak {F} (kasir) salah input nominal di {id}",
    "Kak {N}, mau sekalian laminasi doff?",
    # cue words
    "ticket {id} handled by {N} (CS shift pagi)", "ditangani {N}, menunggu balasan pelanggan",
    "paket {id} diterima oleh {N} di meja resepsionis", "signed in as {U} via Google OAuth",
    "audit: {U} changed order {id} status to PAID", "upload rejected for {U}: file exceeds 100 MB",
    "user {U} tidak punya akses ke menu laporan", "konfirmasi bayar (a.n. {C}) cocok dengan {id}",
    "subject: URGENT - PESANAN {C} BELUM DATANG", 'Dari: "{N}" via form kontak website',
    "Halo {F}, makasih sudah sabar menunggu", "Hi {F}, just checking whether the proof looks right to you",
    "Dear {F}, order {id} is out for delivery today",
    # bare names, names in the middle or at the end of a sentence
    "{F} baru kirim bukti transfer, tolong dicek", "{N} minta warna pink diganti magenta",
    "proof for {N}'s wedding invitation uploaded (v3)", "koordinasi dengan {N} soal ukuran banner panggung",
    "CS note: spoke with {N}, will resend the artwork tonight", "invoice {id} sudah dikirim ke email {N}",
    "courier picked up the parcel; recipient {N}", "reprint gratis disetujui (pelanggan lama, {N})",
    'nama di kartu ucapan: "{N}"', "escalation: {N} threatened a chargeback on {id}",
    "konfirmasi pembayaran dari {N} sebesar Rp 1.350.000 sudah diverifikasi",
    "error: cannot generate tax invoice for {N}: missing NPWP",
    "cflex-worker[2231]: notify: WhatsApp sent to {N} for {id}",
    # two names, lower case
    "proof {id} reassigned from {N} to {N2}", "{N} and {N2} both asked for the invoice to be split",
    "chat log: pelanggan {L} nanya ongkir ke Bekasi", "catatan kurir: titip ke satpam, penerima {L}",
]
POOL6_NEGATIVE = [
    # companies, shops and institutions, some made of words that are also names
    "Toko Sumber Rejeki minta nota rangkap 2", "PT Indah Kiat Pulp & Paper surat jalan diterima",
    "CV Cahaya Mulia Printing subkon laminasi {id}", "Sinar Mas Land brosur cluster baru, 2.000 eks",
    "Toko Bangunan Intan Jaya spanduk promo semen", "Bayu Buana Travel ticket holder 500 pcs",
    "UD Permata Tani label pupuk 5 kg", "Koperasi Mulia Sejahtera undangan rapat tahunan 150 lembar",
    "CV Sari Indah Catering menu prasmanan", "Apotek Jaya Sehat etiket obat 1.000 lembar",
    "Pegadaian outlet Cawang pesan standing banner", "Yayasan Bina Insani sertifikat wisuda 120 lembar",
    "Masjid Al-Ikhlas kalender 2027, 500 eks", "Gereja HKBP Kebayoran warta jemaat mingguan",
    "Bank Rakyat Indonesia mutasi masuk Rp 2.750.000",
    # brands and products
    "Teh Pucuk Harum wobbler 200 pcs approved", "Indomie Goreng promo stand banner",
    "Kapal Api Special Mix shelf talker proof", "Gudang Garam Surya 12 neon box sticker",
    "Wardah display card reprint", "Honda Beat Street decal set cutting", "Yamaha NMAX body sticker custom",
    "Le Minerale gallon sleeve label", "Pocari Sweat event backdrop 6x3 m", "Chitato snack display proof",
    "Tolak Angin counter display", "Kecap Bango hanging mobile proof", "So Klin detergent wobbler",
    "Teh Kotak cooler sticker", "Aqua 600 ml shrink label sample",
    # places and streets
    "kirim ke Jl. Gatot Subroto Barat No. 21, Denpasar", "Bandara Soekarno-Hatta Terminal 3 booth graphic",
    "Pantai Kuta surf event flag banner 10 pcs", "Gunung Bromo trip brochure A5 lipat dua",
    "alamat Kebayoran Baru, Jakarta Selatan 12110", "Ciputat Timur drop point tutup sementara",
    "Kota Batu, Jawa Timur: ongkir Rp 18.000", "pickup di Jl. Pemuda Raya No. 7, Semarang",
    "Jl. Veteran No. 3 gudang lama dikosongkan", "Stasiun Manggarai signage order",
    "Pelabuhan Tanjung Perak container label", "Ubud, Gianyar: kurir lokal sudah jalan",
    "Candi Prambanan festival poster", "Kintamani coffee label proof", "Bukit Jimbaran villa menu board",
    "Kuningan City mall banner dipasang", "kirim ke Payakumbuh, Sumatera Barat", "Tebing Tinggi branch reorder",
    # calendar and holidays
    "Hari Raya Idul Fitri: kantor tutup 5 hari, order masuk diproses setelahnya",
    "Natal 25 Desember: pengiriman libur", "Imlek promo angpao custom", "Nyepi: kurir Bali tidak beroperasi",
    "Rabu, 30 September 2026 cut-off pukul 14:00", "Monday 30 November 2026 batch started",
    "Sunday deliveries paused until further notice", "jadwal cetak ulang: Kamis depan",
    "Maret-April: permintaan kalender turun", "Idul Adha: produksi hanya setengah hari",
    "Hari Kemerdekaan 17 Agustus: spanduk 300 pcs", "April invoices emailed in one batch",
    # ordinary sentences that open with a word that is also a name
    "Will be retried at 02:00 by the scheduler", "May 2026 report exported to /var/lib/cflex/reports/2026-05.csv",
    "Mark the order as urgent if the deadline is under 48 h", "Grant read access to the finance group",
    "Chase up unpaid invoices older than 30 days", "Made a backup of orders.db before the migration",
    "Indah banget hasil hot print-nya, makasih", "Intan imitasi untuk plakat habis, pakai kristal akrilik",
    "Sari buah mangga label botol 250 ml", "Permata merah di logo perlu dibuat ulang dalam vektor",
    "Rose petals pattern selected for the invitation", "Hope to ship by Friday, depends on the courier",
    "Drew the bleed lines on a separate layer as requested", "Lily white envelopes restocked",
    "Dawn shift starts at 05:00", "Bunga papan ucapan selamat ukuran 2x1,25 m",
    "Putri Duyung theme for a kids party backdrop", "Baru saja masuk 3 order dari marketplace",
    # cue words and titles before what is not a name
    "handled by Auto-Responder", "diterima oleh Security Lobby", "assigned to Tim Finishing",
    "signed in as service account cflex-bot", "Dear Pelanggan CFlex, ada update kebijakan retur",
    "Hi Admin, there are 4 pending refunds", "Dari: CS CFlex Bali", "dikirim oleh kurir internal",
    "customer Sekolah (B2B) discount applied", "atas nama CV Anugerah Sablon", "Bu Lurah pesan banner 17-an",
    "Mas Admin minta data resi hari ini", "Bu RT minta undangan rapat warga",
    # services, notifications, couriers
    "WhatsApp gateway: 3 messages queued, 0 failed", "WA template invoice_reminder approved by Meta",
    "Midtrans settlement received for {id}", "J&T Express pickup gagal, dijadwalkan ulang",
    "Anteraja resi tidak valid", "Cetak Kilat 1 Jam tersedia untuk kartu nama",
    "Paket Undangan Premium Emboss 300 pcs", "Layanan Desain Express aktif Senin-Sabtu",
    # paper and print terms, statuses
    "Art Paper 260 gsm, laminasi doff 1 sisi", "Ivory 310 + Spot UV, 500 lembar",
    "Samson Kraft 80 gsm paper bag, 2 warna", "Duplex 400 box makanan, die-cut ulang",
    "Vinyl Glossy 60x40 cm, kiss-cut", "Laminasi Doff habis, pakai Glossy sementara", "Status: MENUNGGU PROOF",
    "Status changed: Printing -> Finishing", "QC Passed", "Ready To Print", "Out For Delivery",
    # error classes
    'asyncpg.exceptions.UniqueViolationError: duplicate key value violates unique constraint "orders_code_key"',
    "aiohttp.client_exceptions.ServerDisconnectedError: Server disconnected",
    "ValueError: unsupported page size 'F4'", "asyncio.exceptions.CancelledError in upload handler",
    "weasyprint: ERROR: Failed to load font 'Montserrat'", "OSError: cannot write mode RGBA as JPEG",
    "botocore.exceptions.EndpointConnectionError: Could not connect to the endpoint URL",
    "httpx.ConnectError: [Errno 111] Connection refused",
    "tenacity.RetryError[<Future at 0x7f3a2c1d9e50 state=finished raised ReadTimeout>]",
    # nginx
    "2026/11/30 14:02:11 [error] 2231#2231: *88412 upstream timed out (110: Connection timed out) while reading "
    'response header from upstream, client: 127.0.0.1, server: api.cflex.id, request: "GET /orders/{id} HTTP/1.1", '
    'upstream: "http://127.0.0.1:8000/orders/{id}", host: "api.cflex.id"',
    "[warn] 2231#2231: *88501 a client request body is buffered to a temporary file "
    "/var/cache/nginx/client_temp/0000000042, client: 127.0.0.1, server: upload.cflex.id, "
    'request: "POST /upload HTTP/1.1"',
    "[error] 2231#2231: *90122 client intended to send too large body: 157286400 bytes, client: 127.0.0.1, "
    "server: upload.cflex.id",
    "[crit] 2231#2231: *912 SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) "
    "while SSL handshaking, client: 127.0.0.1, server: 0.0.0.0:443",
    '[error] 2231#2231: *7001 open() "/var/www/cflex/static/favicon.ico" failed (2: No such file or directory)',
    '127.0.0.1 - - [30/Nov/2026:14:02:11 +0700] "GET /api/orders?status=proof HTTP/1.1" 200 5123',
    # systemd and syslog
    "systemd[1]: Started cflex-worker.service - CFlex render worker.",
    "CRON[1234]: (root) CMD (/usr/local/bin/cflex-backup --daily)",
    "systemd[1]: cflex-api.service: Scheduled restart job, restart counter is at 3.",
    "kernel: nvme0n1: I/O error, dev nvme0n1, sector 88123", "rsyslogd: imjournal: journal files changed, reopening",
    "systemd-logind[712]: New session 42 of user deploy.",
    "sshd[2231]: Disconnected from user deploy 127.0.0.1 port 52210",
    # IDs, amounts, paths
    "ORD-88120 moved to status PROOF_SENT", "file F-4410 checksum e3b0c442 ok",
    "uuid 9b2f6c0a-41d3-4e8a-9c77-0d3e2f1a5b66 removed from queue", "deploy 7c1e9a4 (v2.4.1) rolled out to 3 nodes",
    "total Rp 1.250.000 (termasuk PPN 11%)", "saved to /var/lib/cflex/uploads/2026/11/30/{id}/artwork_final.pdf",
    "tmp cleanup: removed 412 files from /var/tmp/cflex-render", "2026-11-30T14:02:11+07:00 job {id} done in 8.4 s",
]
POOL6_NAMES = [
    # Javanese, Sundanese, Balinese, Batak, Minang, Bugis, Chinese-Indonesian, Arabic-origin, international;
    # some given names are also ordinary words.
    ("Indah Kusumaningrum", "Indah"), ("Cahya Nugraheni", "Cahya"), ("Bayu Adinegoro", "Bayu"),
    ("Permata Hapsari", "Permata"), ("Mulia Siagian", "Mulia"), ("Rose Marbun", "Rose"),
    ("Intan Kurniasari", "Intan"), ("Suparman Hadiwijoyo", "Suparman"), ("Retno Palupi", "Retno"),
    ("Wiwik Sumiyati", "Wiwik"), ("Darmanto Sastro", "Darmanto"), ("Sulistyo Budiarto", "Sulistyo"),
    ("Acep Saepudin", "Acep"), ("Dede Rohmat", "Dede"), ("Nenden Sukaesih", "Nenden"),
    ("I Made Suardana", "Made"), ("Ni Luh Putu Ardani", "Ardani"), ("Gusti Ayu Trisna Dewi", "Trisna"),
    ("Ketut Sudiarsa", "Ketut"), ("Tiurma Napitupulu", "Tiurma"), ("Bonar Situmorang", "Bonar"),
    ("Lamhot Simbolon", "Lamhot"), ("Rahmi Sikumbang", "Rahmi"), ("Desrianti Jambak", "Desrianti"),
    ("Andi Tenri Ajeng", "Tenri"), ("Syamsul Daeng Matutu", "Syamsul"), ("Tan Bun Seng", "Bun Seng"),
    ("Yenny Gunawijaya", "Yenny"), ("Steven Wiranata", "Steven"), ("Meiliana Tjahjadi", "Meiliana"),
    ("Fuad Baraqbah", "Fuad"), ("Sakinah Alhabsyi", "Sakinah"), ("Umar Bawazier", "Umar"),
    ("Hope Richardson", "Hope"), ("Faith Okafor", "Faith"), ("Grant Fairweather", "Grant"),
    ("Chase Whitaker", "Chase"), ("Arjun Mehta", "Arjun"), ("Anjali Nair", "Anjali"),
    ("Chen Xiaoling", "Xiaoling"), ("Yuki Nakamura", "Yuki"), ("Omar Al-Farsi", "Omar"),
    ("Pieter van der Berg", "Pieter"), ("Sophie de Vries", "Sophie"),
]


# -- the seventh round (dev7 / heldout7) ---------------------------------------
# Written by a separate author who never saw the detector, its word lists or its tests, before
# the seventh round's changes, the same way: new templates (titles such as Koh, Cik, Om, Tante,
# Bpk., Hj.; POD and bank-mutation lines in caps, key=value audit lines, names in quotes, brackets
# and parentheses, possessives, greetings such as Assalamualaikum and Om Swastiastu, two names),
# names new to the corpus (some of them also ordinary words: Mawar, Melati, Bunga, Embun, Surya,
# Cahaya, Sunny, Joy, Ray, Hunter, Summer, Dawn), hard negatives (companies, brands, places and
# streets made of such words, holidays, UI strings, tracebacks, nginx, syslog and cups lines, paper
# terms); divided at random between dev7 and heldout7.
POOL7_POSITIVE = [
    # titles and terms of address
    "Bpk. {N} (Dinas Kominfo) ambil 12 roll banner, nota {id}", "Ibu Hj. {N} pesan undangan walimah 800 pcs ({id})",
    "Koh {F} minta harga grosir label stiker untuk {id}", "Cik {F} dari toko kue sudah ACC desain box {id}",
    "Tante {F} titip pesan: kartu ucapan {id} jangan dilipat", "Om {N} nego ongkir {id} ke Pontianak",
    "Mr. {N} from the consulate wants 50 name cards by Friday ({id})",
    "Dr. {N}, Sp.A. minta label obat racikan {id} dicetak ulang", "Sdri. {N} mengeluh sablon kaos {id} luntur",
    "Mrs. {N}'s invitation cards ({id}) need gold foil, not silver",
    # cue words, greetings and key-value text
    "checkout {id} completed by customer {N} (GoPay)", "mutasi BCA masuk Rp 420.000 a.n. {C}, dicocokkan ke {id}",
    "Dari: {N} | Perihal: revisi logo {id}", "Dear Bapak {N}, berikut kami lampirkan penawaran {id}",
    "Halo Mbak {F}, bukti potong PPh untuk {id} sudah kami terima",
    "ticket {id} auto-assigned to {U} (round-robin, queue: design)", "POD {id}: DITERIMA OLEH {C} (YBS)",
    "case {id} handled by {N}; customer promised to transfer before 17:00",
    "signed in as {U} (role: kasir) from the Denpasar outlet", "penerima: {N}, Jl. Kenanga III No. 4, Sleman ({id})",
    "pengirim {N} (dropship), resi {id}", "contact person: {N} (HRD), butuh 200 ID card untuk {id}",
    "pic={U} order={id} step=finishing", "note: penerima={L} kurir=sicepat order={id}",
    "Assalamualaikum {F}, invoice {id} sudah lunas ya", "Om Swastiastu {F}, pesanan {id} sudah bisa diambil",
    "Hi {N}, this is CFlex: the courier for {id} arrives between 13:00 and 15:00",
    # user names, capitals, lower case
    "{U} approved refund {id} (Rp 85.000)", "audit user={U} action=DELETE_PROOF target={id}",
    "WA inbound from {L} re {id}: 'kak udah transfer ya'", "TRF DARI {C} KE CFLEX INDONESIA REF {id}",
    "ATTN {C}: PROOF {id} EXPIRES TONIGHT", "nama rekening {C} beda dengan nama pemesan {N2}",
    # bare names, names in the middle or at the end of a sentence
    "{N} sent the wrong file again, asked for a new proof on {id}", "{F} udah oke sama warnanya, lanjut cetak {id}",
    "{N} will drop by the Kemang store on Saturday to pay for {id}", "tolong kabari {N} kalau banner {id} sudah kering",
    "we still owe {N} a reprint for {id} (misaligned cut)", "sudah saya WA {F} tadi pagi soal {id}",
    "desain {id} revisi ke-4, kata {N} font kurang besar", "spanduk {id} sudah dipasang, foto dikirim ke {N}",
    "{F}'s company logo is missing from {id}", "Thanks, {F}. Your reprint of {id} is on us.",
    # quotes, brackets, parentheses, system lines, two names
    "[CS] {N}: minta invoice {id} dipisah per cabang", 'label text set to "Happy 7th Birthday {F}!" on {id}',
    "order {id} (pemesan: {N}) ditahan, menunggu pelunasan", "cflex-notify[3021]: SMS queued for {N} ({id})",
    "error: WhatsApp template rejected for {N}: parameter 1 too long ({id})",
    "{N} menggantikan {N2} sebagai PIC akun korporat", "shift handover: {N} -> {N2}, 4 chats open",
]
POOL7_NEGATIVE = [
    # companies, shops and institutions, some made of words that are also names
    "PT Sinar Mulia Abadi PO {id} diterima bagian gudang", "CV Berkah Jaya Makmur minta faktur pajak bulan ini",
    "PT Cahaya Surya Gemilang booth banner 3x3 m", "CV Embun Pagi Florist kartu ucapan 500 pcs",
    "Toko Mawar Indah pesan label harga 2.000 lembar", "UD Bunga Tanjung restock kantong kertas",
    "Melati Jaya Laundry nota rangkap 3, 10 buku", "Koperasi Karyawan Sejahtera Bersama undangan RAT",
    "Apotek Bunda Sehat etiket biru 1.000 lembar", "Bengkel Putra Bagus Motor stiker cutting",
    "RM Sari Minang menu board A3", "Yayasan Cahaya Hati sertifikat santunan 60 lembar",
    "PT Indah Jaya Sentosa surat jalan {id}", "Sunny Side Up Cafe menu reprint", "Joy Kids playground voucher 300 pcs",
    "Summer Hill Residence brochure 2.000 eks", "Dawn Bakery box sticker 5 x 5 cm",
    "Surya Kencana Motor price list laminasi", "Toko Emas Cahaya Murni kotak perhiasan 200 pcs",
    # brands and products
    "Kopi Kenangan Mantan cup sleeve 5.000 pcs", "Es Teh Indonesia price list A4 laminasi",
    "Sari Roti delivery crate sticker", "Teh Botol Sosro Kotak standing display", "Aqua Life gallon label proof",
    "Mie Sedaap Korean Spicy wobbler", "Le Minerale 1500 ml shelf strip", "Chitato Lite hanging banner",
    "Kapal Api Grande poster A2", "Baygon aerosol shelf talker", "Rinso Molto banner 3x1 untuk toko kelontong",
    "Sunlight Jeruk Nipis shelf strip", "Bear Brand cooler sticker", "Mama Lemon promo poster",
    "Susu Bendera wobbler 100 pcs", "Roti'O kiosk menu board",
    # places and streets
    "kirim ke Jl. Diponegoro No. 45, Menteng", "Kota Tua Jakarta event wristband 1.000 pcs",
    "outlet Tanah Abang Blok A lantai 3", "Bukit Tinggi, Sumatera Barat: ongkir Rp 32.000",
    "Danau Toba festival backdrop 8x4 m", "Pasar Baru Bandung drop point tutup hari Minggu",
    "Kelapa Gading Barat, Jakarta Utara 14240", "Pondok Indah golf tournament banner 5x1",
    "Sunter Jaya gudang baru mulai beroperasi", "Cempaka Putih Barat RT 05/RW 02",
    "Kramat Jati pasar induk spanduk harga", "Jl. Melati Raya No. 12, Depok",
    "Jl. Surya Kencana, Bogor: kurir susah parkir", "Perumahan Bumi Mawar Asri blok C",
    "Dago Atas, Bandung: pengiriman sore", "Pantai Indah Kapuk showroom signage",
    # calendar and holidays
    "Isra Miraj: CS libur, chat dibalas besok", "Maulid Nabi: pengiriman Jawa Tengah tertunda",
    "Hari Kemerdekaan: kuota cetak bendera 2.000 pcs", "Tahun Baru Imlek: angpao custom hot foil emas",
    "Wednesday, 14 October 2026, cut-off 15:00 WIB", "Jumat, 9 Oktober 2026 libur cuti bersama",
    "May invoices exported to the accountant", "Agustus-September: order bendera naik 3x",
    "Saturday pickups only until noon", "Kalender kerja 2027: 16 hari libur nasional",
    # ordinary sentences that open with a word that is also a name
    "Will notify the customer once the proof is ready", "May take up to 3 working days for custom die-cut",
    "Joy and gratitude theme for the church anniversary banner", "Dawn-to-dusk shift roster printed for the warehouse",
    "Summer collection hang tags need a 5 mm hole punch", "Hunter green envelopes out of stock",
    "Sunny side of the shop is too hot for vinyl storage", "Ray tracing preview disabled on worker-2",
    "Surya Majapahit motif untuk sampul buku kenangan", "Bunga kertas untuk dekorasi booth pameran",
    "Embun di plastik wrap bikin tinta belang", "Melati putih motif undangan akad nikah",
    "Mawar merah di desain terlalu pink, minta CMYK ulang", "Cahaya ruangan memengaruhi warna foto produk",
    "Bagus hasil emboss-nya, pelanggan puas", "Indah dilihat dari jauh, tapi teks kecil pecah",
    "Putri malu motif untuk sarung bantal custom", "Bunga deposito tidak berlaku untuk saldo deposit pelanggan",
    "Sunny, 31 °C: tinta outdoor cepat kering",
    # UI strings and title-case headings
    "Kirim Ulang Invoice", "Order Summary", "Konfirmasi Pembayaran Berhasil", "Design Proof Rejected",
    "Upload Artwork Again", "Lihat Detail Pesanan", "Bayar Sekarang", "Courier Assigned", "Menunggu Pelunasan",
    "Jadwal Ambil Barang Diubah",
    # cue words and titles before what is not a name
    "handled by Bot CS", "diterima oleh Bagian Ekspedisi", "assigned to Finishing Line 2", "signed in as Guest",
    "Dear Mitra Reseller, harga baru berlaku 1 November", "Halo Warga CFlex, server maintenance Sabtu malam",
    "From: Payment Gateway <redacted:email>", "penerima: Bagian Umum Kantor Kecamatan", "PIC: Tim Desain Bali",
    "contact person: Front Office", "a.n. Yayasan Pendidikan Harapan Bangsa",
    "pelanggan Korporat minta tempo pembayaran 30 hari", "Pak Kades pesan baliho HUT desa",
    "Bu Bidan pesan kartu imunisasi 200 lembar", "Kak CS, invoice saya belum masuk", "Mas Ojol nunggu di depan",
    "oleh-oleh khas Bukit Tinggi: label keripik balado", "by courier: Paxel same day",
    # tracebacks and error classes
    "Traceback (most recent call last):", '  File "/srv/cflex/app/render.py", line 212, in rasterize',
    "reportlab.platypus.doctemplate.LayoutError: Flowable too large on page 2",
    "fitz.FileDataError: cannot open broken document",
    "PIL.Image.DecompressionBombWarning: Image size (201326592 pixels) exceeds limit",
    'sqlalchemy.exc.IntegrityError: (psycopg2.errors.ForeignKeyViolation) insert or update on table "order_items"',
    "requests.exceptions.SSLError: HTTPSConnectionPool(host='graph.facebook.com', port=443)",
    "celery.exceptions.Retry: Retry in 60s: ConnectionError()", "KeyError: 'awb_number'",
    "ValueError: bleed must be >= 0 mm, got -2",
    # nginx and HTTP
    '127.0.0.1 - - [14/Oct/2026:09:12:44 +0700] "POST /api/payments/callback HTTP/1.1" 502 166 "-" "Midtrans/1.0"',
    "2026/10/14 09:12:44 [error] 1187#1187: *3021 connect() failed (111: Connection refused) while connecting to "
    'upstream, client: 127.0.0.1, server: cflex.id, request: "POST /api/proofs/{id}/approve HTTP/1.1"',
    "[error] 1187#1187: *3301 upstream prematurely closed connection while reading response header from upstream, "
    "client: 127.0.0.1, server: files.cflex.id",
    "[warn] 1187#1187: *4410 upstream server temporarily disabled while connecting to upstream",
    "GET /invoices/{id}.pdf HTTP/2.0 404",
    # systemd, syslog, cron, cups
    "cflex-render[4412]: rasterised {id} at 300 dpi in 6.2 s",
    "cflex-notify[3021]: WhatsApp API rate limit hit, backing off 30 s",
    "cflex-api[1020]: worker 3 started (pid 1044)", "systemd[1]: Stopping cflex-queue.service - CFlex job queue...",
    "CRON[7712]: (cflex) CMD (/opt/cflex/bin/purge-previews --older-than 30d)",
    "anacron[611]: Job `cron.daily' terminated",
    "kernel: usb 1-1.2: new high-speed USB device number 5 using ehci-pci",
    "cupsd[902]: [Job 1187] Printer not connected; will retry in 30 seconds.",
    # IDs, amounts, dates, paths
    "invoice INV/CFX/2026/10/00871 issued", "sha1 3a7bd3e2360a3d29eea436fcfb7e44c735d117c8 matches",
    "uuid 4c1f7e2a-9b3d-4f6e-8a21-7d5c0b9e3f14 attached to {id}", "cflexagent 0.19.2 (build 20261014.1) started",
    "amount due Rp 3.475.000, paid Rp 3.000.000, sisa Rp 475.000",
    "2026-10-14 09:12:44,118 WARNING retry 2/5 for {id}",
    "/srv/cflex/spool/2026-10-14/{id}/proof_v3.pdf written (4.2 MB)",
    "resi SiCepat 004512998871 status: ON PROCESS", "13:45:02 WIB: antrean cetak 27 job",
    # paper and print terms, products and services of the business
    "Art Carton 310 gsm, laminasi glossy 2 sisi, 1.000 lembar", "HVS 80 gsm A4 habis, pakai 70 gsm dulu",
    "Kraft Liner 125 untuk box hampers", "Stiker Vinyl Chromo A3+ kiss cut, 50 lembar",
    "Yupo 180 micron waterproof label", "Albatros 220 gsm roll 1,07 m x 50 m", "Luster 260 gsm untuk foto pameran",
    "Spot UV + Hot Foil Gold pada cover", "Paket Cetak Kilat Banner 2 Jam", "CFlex Express Same Day Pickup",
    "Layanan Desain Logo Basic Rp 150.000", "Promo Kartu Nama Gratis Desain",
]
POOL7_NAMES = [
    # Javanese, Sundanese, Balinese, Batak, Minang, Bugis, Chinese-Indonesian, Arabic-origin, international;
    # some given names are also ordinary words.
    ("Mawar Kusumawardani", "Mawar"), ("Melati Anggraeni", "Melati"), ("Bunga Rahmadani", "Bunga"),
    ("Embun Safira", "Embun"), ("Surya Dharmawan", "Surya"), ("Cahaya Ramadhani", "Cahaya"),
    ("Sunny Hartawan", "Sunny"), ("Joy Simanungkalit", "Joy"), ("Ray Harianja", "Ray"),
    ("Sumarsono Adiputro", "Sumarsono"), ("Lestiyani Purwaningsih", "Lestiyani"), ("Gatot Wiyono", "Gatot"),
    ("Kusnul Khotimah", "Kusnul"), ("Jajang Nurjaman", "Jajang"), ("Imas Masitoh", "Imas"),
    ("Engkos Kosasih", "Engkos"), ("I Wayan Suwena", "Suwena"), ("Ni Made Sriasih", "Sriasih"),
    ("Anak Agung Sagung Mirah", "Mirah"), ("Ni Ketut Sumertini", "Sumertini"), ("Martua Sinaga", "Martua"),
    ("Rotua Pakpahan", "Rotua"), ("Binsar Hutagalung", "Binsar"), ("Novrizal Caniago", "Novrizal"),
    ("Yelfi Rahmadona", "Yelfi"), ("Andi Irmawati", "Irmawati"), ("Ridwan Daeng Sikki", "Ridwan"),
    ("Ong Bwee Lan", "Bwee Lan"), ("The Kok Liong", "Kok Liong"), ("Felicia Gunawan", "Felicia"),
    ("Wiliam Tanujaya", "Wiliam"), ("Abdullah Alkaff", "Abdullah"), ("Farida Bahasuan", "Farida"),
    ("Mustafa Shahab", "Mustafa"), ("Nabila Alhadar", "Nabila"),
    ("Hunter Collins", "Hunter"), ("Summer Jensen", "Summer"), ("Dawn Mitchell", "Dawn"),
    ("Rohan Desai", "Rohan"), ("Meera Iyer", "Meera"), ("Wang Lihua", "Lihua"), ("Haruto Sato", "Haruto"),
    ("Baek Haneul", "Haneul"), ("Khalid Al-Mansouri", "Khalid"), ("Joost Hendriks", "Joost"),
    ("Jürgen Hoffmann", "Jürgen"), ("Élodie Marchand", "Élodie"),
]


# -- the eighth round (dev8 / heldout8) ----------------------------------------
# Written by a separate author who never saw the detector, its word lists or its tests, before
# the eighth round's changes, the same way: new templates (titles such as Ko, Ci, Ustadz, Haji,
# Buya, Etek, Tulang, Gek, Mbok, Aa, Neng, Pakde, Nona, Pdt., Ir., Mevr.; key=value and "key: value"
# lines, @mentions, cc and forwarded lists, signatures, names in quotes, brackets and angle brackets,
# possessives, names at the end of a line, two names, capitals and lower case), names new to the
# corpus (with particles such as bin, binti, van, Dela, a hyphen and an apostrophe; some given names
# are also ordinary words: Lestari, Bening, Wangi, Pelangi, Jade, Iris, Grace), hard negatives
# (companies, brands, places and streets made of such words, sentences opening with Kasih, Sabar,
# Untung, Iris, Pelangi, Bening; colours, fonts, design software, holidays, UI strings, tracebacks,
# nginx, syslog and cron lines, paper terms); divided at random between dev8 and heldout8.
POOL8_POSITIVE = [
    # titles and terms of address
    "Ko {F} sudah bayar DP {id} lewat transfer BCA, mohon dicek",
    "Ci {F} mau ganti warna pita undangan {id} jadi champagne",
    "Ustadz {N} memesan 300 buku panduan manasik ({id})", "Haji {N} ambil sendiri kalender masjid {id} hari Jumat",
    "Buya {N} minta spanduk pengajian {id} ukuran 4x1 m", "Etek {F} pesan label rendang {id}, 500 lembar",
    "Tulang {F} dari Siantar pesan undangan pesta adat {id}",
    "Gek {F} titip pesan: undangan metatah {id} pakai aksara Bali",
    "Mbok {F} dari warung di Ubud minta menu {id} dilaminasi", "Aa {F} nanti sore ambil spanduk {id} jam 4",
    "Neng {F} nanya, stiker {id} tahan air nggak?", "Pakde {F} minta nota {id} ditulis tangan saja",
    "Nona {F} dari Ambon konfirmasi resi {id} sudah sampai", "Pdt. {N} pesan warta jemaat {id} 200 eksemplar",
    "Ir. {N}, M.T. minta poster seminar {id} dicetak A1", "Mevr. {N} asked for a Dutch-language invoice for {id}",
    # cue words, roles, key=value and "key: value"
    "approver: {N} | step: final proof | order: {id}", "requested_by={U} refund={id} amount=150000 status=pending",
    'customer_name: "{N}", order_id: {id}, channel: whatsapp', "kasir shift malam: {N}; selisih kas Rp 20.000 di {id}",
    "operator mesin {F} lapor head printer mampet saat cetak {id}", "QC oleh {N}: potongan {id} miring 2 mm",
    "desainer pengganti untuk {id}: {N}", "handover ke kurir selesai ({id}), penanggung jawab {N}",
    # user names, mentions, capitals, lower case
    "@{U} tolong cek proof {id} sebelum jam 5 ya", "[audit] actor={U} ip=127.0.0.1 event=invoice.void ref={id}",
    "2FA disabled for account {U} by support (ticket {id})", "cflex-cs[771]: chat {id} closed by agent {U}",
    "NAMA PENERIMA: {C} / ORDER {id} / COD", "SETORAN TUNAI OLEH {C} UNTUK {id}",
    "chat masuk dari {L}: kak {id} kapan jadi?", "resi {id}: penerima {L}, alamat kurang lengkap",
    # sentence subjects with different verbs, names in the middle of a sentence
    "{N} complained that the gold foil on {id} is peeling", "{N} mengambil alih pesanan {id} dari tim Bekasi",
    "{N} forwarded the purchase order for {id} to finance", "{N} ngotot minta {id} selesai hari ini",
    "{N} menandatangani BAST untuk {id} di kantor kecamatan", "{N} double-paid {id}; refund the second transfer",
    "tadi sore {N} datang ke toko bawa flashdisk untuk {id}",
    "finance says {N} still has a credit of Rp 40.000 from {id}",
    "jangan cetak {id} dulu sebelum {N} balas", "cflex-mailer[2210]: receipt for {id} delivered to {N}",
    # two names, cc and forwarded lists
    "cc: {N}, {N2} - proof {id} final", "Fwd: from {N} to {N2}: PO untuk {id}",
    "{N} mewakili {N2} mengambil paket {id}", "approvals for {id}: {N} (yes), {N2} (pending)",
    # quotes, brackets, possessives, end of line, signatures, greetings
    'teks plakat {id}: "Penghargaan untuk {N}"', "assignee changed to <{N}> on {id}",
    "{id} [{N}] menunggu ACC warna", "{F}'s proof for {id} bounced back from the mail server",
    "{N}'s assistant will collect {id} at noon", "invoice {id} dikirim ulang atas permintaan {N}.",
    "proof {id} rejected twice by {N}; escalate?", "Sudah diverifikasi ({id}). Terima kasih, {F}!",
    "Mohon dicek ya, proof {id} terlampir. — {F}", "Best regards, {N} (Procurement) re: {id}",
    "Hormat kami, {N} - lampiran penawaran {id}", "Met pagi Kak {F}, DP {id} sudah kami terima ya",
    "Permisi Bu {N}, kurir {id} sudah di depan pagar",
]
POOL8_NEGATIVE = [
    # companies, shops and institutions, some made of words that are also names
    "PT Fajar Surya Wisesa surat jalan kertas duplex {id}", "CV Pelangi Nusantara Abadi minta faktur pajak Februari",
    "Toko Bening Jaya restock botol kaca label 1.000 pcs", "Wangi Sari Florist kartu ucapan 300 lembar",
    "UD Lestari Tani karung pupuk 25 kg, cetak 2 warna", "Koperasi Pelangi Sejahtera buku RAT 150 eks",
    "Iris Optik price card A6 laminasi doff", "Jade Garden Restaurant menu book 20 halaman",
    "Rose Garden Hotel door hanger 500 pcs", "Pelangi Kids Preschool rapor semester ganjil",
    "PT Sinar Untung Sentosa PO {id} diterima gudang", "Bengkel Sabar Jaya stiker cutting 30 pcs",
    "Yayasan Kasih Bangsa kalender dinding 2028", "Klinik Gigi Senyum Bening brosur lipat tiga",
    "Laundry Wangi Bersih nota rangkap 2, 20 buku", "SMA Negeri 3 Denpasar sertifikat lomba 80 lembar",
    "Gereja Bethel Indonesia Jemaat Sion warta mingguan", "Pesantren Darul Ulum buku raport santri",
    # brands and products
    "Sariwangi tea box sleeve proof v2", "Good Day coffee shelf strip 1 m", "Teh Gelas cooler sticker 40x60 cm",
    "Roma Kelapa biscuit wobbler 200 pcs", "Nutrisari sachet hanging display", "Pop Mie cup lid sticker",
    "Indocafe Coffeemix standing banner", "Lifebuoy hand wash shelf talker", "Tropicana Slim price strip",
    "Yakult cooler door sticker", "Beng-Beng counter display box", "Teh Sosro promo spanduk 3x1",
    # places and streets
    "kirim ke Wangi-Wangi, Wakatobi: estimasi 9 hari", "Jl. Asia Afrika No. 8, Bandung: papan nama toko",
    "Jl. Braga, Bandung: kurir tidak bisa parkir", "Jl. Merdeka Barat, gedung lantai 4, resepsionis",
    "Jl. Raya Serpong Km 7, Tangerang Selatan", "Jl. Kenari II No. 14, Salemba",
    "Jl. Pahlawan No. 1, Semarang: ambil di pos satpam", "gudang Cikarang Barat kebanjiran, kirim dari Bekasi",
    "Blok M Square lantai dasar kios 21", "Sanur, Denpasar Selatan: ongkir Rp 15.000",
    "Tabanan drop point buka jam 9", "Balikpapan Baru cluster Pelangi Indah brosur",
    "Pekanbaru, Riau: cargo via JNE Trucking", "Jayapura, Papua: ongkir udara Rp 78.000/kg",
    "Manado, Sulawesi Utara: pengiriman 4-6 hari", "Taman Pelangi Jogja event backdrop 6x3 m",
    # calendar and holidays
    "Galungan dan Kuningan: outlet Bali tutup 2 hari", "Hari Raya Waisak: produksi libur",
    "Paskah: gereja pesan 1.000 kartu ucapan", "Tahun Baru Hijriah, kurir tidak beroperasi",
    "Hari Sumpah Pemuda: spanduk lomba 17 pcs", "Hari Batik Nasional 2 Oktober promo seragam",
    "Jumat Kliwon, 5 Februari 2027", "Februari 2027 tutup buku sudah dikunci",
    "Thursday, 11 February 2027: cut-off moved to 13:00", "Selasa-Rabu pengiriman Jabodetabek saja",
    # ordinary sentences that open with a word that is also a name
    "Kasih tahu pelanggan kalau {id} sudah siap diambil", "Sabar ya kak, antrean cetak lagi panjang",
    "Untung file backup {id} masih ada di NAS", "Iris stiker sesuai garis potong, sisakan 2 mm",
    "Pelangi warna di sampul terlalu ramai, minta disederhanakan", "Bening banget laminasi glossy-nya",
    "Lestari lingkungan: kertas daur ulang tersedia", "Wangi kertas baru kebawa ke box hampers",
    "Selamat, pesanan {id} sudah lunas", "Setia menunggu balasan dari ekspedisi sejak pagi",
    "Murni kesalahan sistem, bukan dari pelanggan", "Suci hama dulu mesin potongnya sebelum dipakai lagi",
    "Jack the shelf up before moving the plotter", "Bill to the head office, ship to the branch",
    "Penny-sized dots appear on the roll, check the print head", "Miles driven by the courier today: 142 km",
    # cue words, titles and signatures before what is not a name
    "disetujui oleh Kepala Produksi", "oleh: Sistem Pembayaran Otomatis", "Salam, Tim CFlex",
    "Regards, Customer Care CFlex", "Hormat kami, Manajemen CFlex", "— Admin Gudang Bekasi",
    "cc: finance, gudang, cs", "@channel tolong cek antrean cetak", "@here server restart 5 menit lagi",
    "Fwd: Invoice Pembayaran Bulan Januari", "Kepada: Bagian Pembelian", "user=system action=purge_previews count=412",
    "actor=cron event=reminder.sent total=38", "approver: Finance Manager | step: payment",
    "Pak Ustadz minta banner pengajian 3x1", "Pak Ketua RW pesan spanduk kerja bakti",
    "Bu Kepala Sekolah minta sertifikat ditandatangani basah", "Kak Kurir, titip di pos satpam ya",
    "Neng, ongkirnya sudah termasuk?", "Ko, stok kertas art paper masih ada?",
    # UI strings and title-case headings
    "Export To PDF", "Add Bleed Margin", "Resend Tracking Number", "Pilih Metode Pengiriman",
    "Tambah Ke Keranjang", "Cetak Label Pengiriman", "Ringkasan Tagihan", "Riwayat Pembayaran",
    "Unduh Faktur Pajak", "Proof Approved By Customer",
    # colours, fonts and software
    "Warna Merah Marun untuk seragam panitia", "Biru Dongker, Pantone 289 C",
    "Hijau Tosca terlalu pucat di bahan flexi",
    "Kuning Kenari vs Kuning Kunyit: pelanggan pilih yang kedua", "Abu Misty dan Coklat Mocca untuk undangan",
    "font Times New Roman 12 pt untuk isi buku", "Open Sans Bold not embedded in {id}",
    "Montserrat SemiBold diganti Poppins di kartu nama", "Arial Black di judul terlalu tebal",
    "Adobe Illustrator CC 2024 file (.ai) tidak bisa dibuka", "CorelDRAW X7 export ke PDF/X-1a",
    "Canva link harus di-download dulu sebagai PDF Print", "Adobe Photoshop PSD 2,1 GB ditolak uploader",
    "Inkscape SVG tanpa outline, teks berubah font",
    # tracebacks and error classes
    '  File "/srv/cflex/app/notify/whatsapp.py", line 88, in send_template',
    "pypdf.errors.PdfReadError: EOF marker not found", "lxml.etree.XMLSyntaxError: Opening and ending tag mismatch",
    "decimal.InvalidOperation: [<class 'decimal.ConversionSyntax'>]",
    "zoneinfo._common.ZoneInfoNotFoundError: 'No time zone found with key WIB'",
    "UnicodeEncodeError: 'latin-1' codec can't encode character '\\u2013' in position 12",
    "FileNotFoundError: [Errno 2] No such file or directory: '/srv/cflex/fonts/OpenSans-Bold.ttf'",
    "fontTools.ttLib.TTLibError: Not a TrueType or OpenType font",
    "redis.exceptions.ResponseError: OOM command not allowed when used memory > 'maxmemory'",
    "alembic.util.exc.CommandError: Can't locate revision identified by '3f9a1c2b7d4e'",
    # nginx and HTTP
    '[error] 3312#3312: *2210 limiting requests, excess: 10.520 by zone "api", client: 127.0.0.1, '
    "server: api.cflex.id",
    "[emerg] 3312#3312: bind() to 0.0.0.0:443 failed (98: Address already in use)",
    "[error] 3312#3312: *4021 no live upstreams while connecting to upstream, client: 127.0.0.1, "
    "server: proof.cflex.id",
    "[alert] 3312#3312: *8 open socket #12 left in connection 4",
    '127.0.0.1 - - [02/Feb/2027:10:21:03 +0700] "GET /proof/{id}/preview.webp HTTP/2.0" 200 48211 "-" '
    '"WhatsApp/2.23.20.0"',
    "HTTP 403 Forbidden: signature mismatch on /webhooks/xendit", "POST /api/v2/uploads/chunk?part=7 HTTP/1.1 499",
    # systemd, syslog, cron
    "systemd[1]: cflex-mailer.service: Failed with result 'exit-code'.",
    "systemd[1]: Reloading cflex-proof.service - CFlex proof generator...",
    "systemd[1]: Starting cflex-backup.service - Nightly backup of orders DB...",
    "CRON[4410]: (cflex) CMD (/opt/cflex/bin/send-reminders --overdue 3d >> /var/log/cflex/reminders.log 2>&1)",
    "cflex-sync[1201]: marketplace sync: 14 orders pulled from Tokopedia, 3 from Shopee",
    "cflex-ocr[880]: transfer receipt for {id} parsed, confidence 0.82",
    "smartd[640]: Device: /dev/sda [SAT], 8 Currently unreadable (pending) sectors",
    "postfix/qmgr[1102]: 4F2A31C0B2: removed", "chronyd[511]: System clock wrong by 2.314 seconds",
    # IDs, hashes, versions, amounts, paths
    'etag W/"5e1f-9a3bc7d2" unchanged, served from cache', "order_id=ORD-20270202-0113 status=READY_FOR_PICKUP",
    "md5 d41d8cd98f00b204e9800998ecf8427e for empty upload {id}",
    "invoice INV-CFX-2702-0091 voided, credit note CN-0012",
    "cflexagent 3.2.0+build.417 (git 1a2b3c4) on python 3.12.3", "total Rp 2.145.500 dibayar via VA BNI 988012345678",
    "/mnt/nas/arsip/2027/02/{id}/final_CMYK_300dpi.tif (182 MB)", "2027-02-02T10:21:03.114+07:00 INFO queue depth 42",
    # paper and print terms
    "Bleed 3 mm, safe area 5 mm, crop marks on", "Kertas BW 100 gsm untuk nota", "Art Paper 150 gsm 4/4 warna",
    "Sablon Plastisol 2 warna, kaos hitam", "DTF Film A3 1 roll masuk gudang", "Cutting Sticker Oracal 651 Matte",
    "Emboss + Deboss pada cover buku tahunan", "Jilid Spiral Kawat A5, 40 buku", "Finishing Mata Ayam tiap 50 cm",
    "Laminasi Dingin Glossy untuk stiker outdoor", "Potong Pond bentuk bulat diameter 5 cm",
]
POOL8_NAMES = [
    # Javanese, Sundanese, Balinese, Batak, Minang, Bugis, Dayak, Papuan, Ambonese and Manado,
    # Chinese-Indonesian, Arabic-origin, international; some given names are also ordinary words.
    ("Lestari Wahyuningsih", "Lestari"), ("Bening Kartikasari", "Bening"), ("Wangi Pramesti", "Wangi"),
    ("Pelangi Ayuningrum", "Pelangi"), ("Tugiyo Wiryono", "Tugiyo"), ("Suwarni Pujiastuti", "Suwarni"),
    ("Haryanto Kusumo", "Haryanto"), ("Dadan Ramdani", "Dadan"), ("Iis Rohayati", "Iis"), ("Yana Mulyana", "Yana"),
    ("I Putu Gede Arimbawa", "Arimbawa"), ("Ni Wayan Sekarini", "Sekarini"), ("Dewa Ayu Candrawati", "Candrawati"),
    ("Togi Sihotang", "Togi"), ("Lasma Nainggolan", "Lasma"), ("Hotman Rajagukguk", "Hotman"),
    ("Yendri Guci", "Yendri"), ("Sastri Bakri", "Sastri"), ("Ilyas Daeng Nassa", "Ilyas"),
    ("Hasnawati Baso", "Hasnawati"), ("Markus Tingang", "Markus"), ("Elisabeth Nyahu", "Elisabeth"),
    ("Yakob Wenda", "Yakob"), ("Fince Kogoya", "Fince"), ("Yulianus Rumbiak", "Yulianus"),
    ("Stevie Wowor", "Stevie"), ("Jeane Rumengan", "Jeane"), ("Ferdinand Latuheru", "Ferdinand"),
    ("Ruth Tuhumury", "Ruth"), ("Kho Siok Lian", "Siok Lian"), ("Winarto Sugianto", "Winarto"),
    ("Cynthia Suryajaya", "Cynthia"), ("Idris bin Harun", "Idris"), ("Zulaikha binti Usman", "Zulaikha"),
    ("Rasyid Basalamah", "Rasyid"), ("Jade Turner", "Jade"), ("Iris Wallace", "Iris"), ("Grace O'Connell", "Grace"),
    ("Priyanka Menon", "Priyanka"), ("Maricel Dela Cruz", "Maricel"), ("Zhao Mingyu", "Mingyu"),
    ("Aiko Fujimoto", "Aiko"), ("Park Jiwoo", "Jiwoo"), ("Layla Al-Hashimi", "Layla"), ("Daan van Leeuwen", "Daan"),
    ("Klaus Weber", "Klaus"), ("Bronwyn McKenzie", "Bronwyn"), ("Rajesh Pillai", "Rajesh"),
]


# -- round 9 (dev9 / heldout9) ----------------------------------------
# Written by a separate author who never saw the detector nor the earlier rounds' lines.
POOL9_POSITIVE = [
    # English
    "INFO order {id} created by {N} via web checkout",
    "proof approved by {N} at 14:32, moving {id} to print queue",
    "audit: user {U} changed price override on {id} from 185000 to 150000",
    "Hi {F}, your banner proof for {id} is ready. Please reply OK to proceed.",
    "Subject: Re: Revised invitation layout - {N}",
    "From: \"{N}\" via CFlex Support <support@cflex.co.id>",
    "courier update {id}: package handed to {N} (recipient) at front desk",
    "payment callback ok order_id={id} status=settlement payer_name=\"{C}\" amount=450000",
    "Ticket #{id} assigned to {N2} - customer {N} reports sticker colors washed out",
    "Called {F} twice, no answer. Will try again after lunch.",
    "Reminder: pickup for {id} scheduled tomorrow 10:00, contact person {N}",
    "ValueError: invalid recipient name '{N}' for shipping label {id}",
    "WARN duplicate customer record merged: \"{L}\" -> cust_88412",
    "Thanks {F}! We'll get the packaging samples out by Friday.",
    "10.0.3.17 - {U} [12/Mar/2024:09:14:02 +0700] \"GET /files/{id}/proof.pdf HTTP/1.1\" 200 48213",
    "Spoke with Mr. {N} regarding the invoice discrepancy on {id}.",
    "Ms. {F} asked whether we can laminate both sides of the menu cards.",
    "Forwarded message from {N}: \"pls change the font on page 2 to something bolder\"",
    "@{U} can you re-export {id} at 300 dpi? The client says it's blurry.",
    "designer on duty today: {N}",
    "Refund of Rp 75.000 issued to {N} for misprinted stickers ({id})",
    "Delivered 13:05. Received by {F}, signed at the reception.",
    "Invoice {id} emailed to {N}, cc {N2}",
    "Customer note: \"Please call my assistant, {N}, before delivery.\"",
    "sessions: login ok for {U} from 36.71.122.9",
    "customer search q=\"{L}\" returned 3 matches",
    # Indonesian
    "Pak {F} minta spanduknya dicetak ukuran 3x1 meter, bahan flexi 340 gram",
    "Bu {N} sudah transfer DP 50%, mohon cek mutasi",
    "kak {F} file undangannya udah kami terima ya, ditunggu konfirmasinya",
    "Pesanan {id} diambil sendiri oleh {N} jam 16.10",
    "Kurir {N} gagal antar, alamat tidak ditemukan, paket kembali ke toko",
    "min, saya {N} yang kemarin pesen stiker label, udah jadi belum ya?",
    "Desainer: {F}. Revisi ke-3, warna logo diganti merah marun",
    "tolong hubungi {N} di nomor yang tertera di nota, dia yang bayar pelunasan",
    "Catatan CS: pelanggan atas nama {C} komplain hasil cetak buram",
    "Mas {F} gk bisa dihubungi dari pagi, proof ditahan dulu",
    "Mbak {F}, mohon maaf keterlambatannya, mesin sedang diperbaiki",
    "Salam, {N} - Admin CFlex Cabang Depok",
    "Titip pesan dari {N}: jangan dipotong terlalu mepet ya",
    "Sudah dikonfirmasi oleh Hj. {N} via telepon, cetak 500 pcs",
    "Bang {F} udah otw ambil barang di gudang",
    "pembayaran a.n. {L} belum masuk, status masih pending",
    "Penerima: {N} | Alamat: Jl. Kenanga No. 12, Sleman",
    "Undangan pernikahan {N} & {N2}, 300 lembar, kertas jasmine 220gsm",
    "dr. {N} pesan kartu nama 5 box, minta dikirim ke klinik",
    "Admin {F} izin pulang cepat, shift sore digantikan {N2}",
    "Struk {id} dicetak ulang atas permintaan {N}",
    "Laporan: printer A3 macet lagi. Dilaporkan oleh {F}. Sudah dicoba reset.",
    "{N} menyetujui desain akhir, lanjut produksi",
    "Makasih banyak buat {F} yang udah bantu lembur kemarin \U0001F64F",
    "Dikirim via JNE, resi {id}, penerima {C}",
    "Halo kak, ini dengan {F} dari bagian keuangan, mau konfirmasi invoice {id}",
    "Nota dibuat oleh {U}, diskon 10% disetujui {N2}",
    "Pak RT bilang paket untuk {N} dititip di pos ronda",
    # Mixed
    "Ok noted kak {F}, proof nya kami kirim by email ya",
    "customer {N} minta rush order, deadline besok pagi",
    "assign ke {F} aja, dia yang pegang file packaging {id}",
    "FYI pickup {id} udah diambil sama {N} tadi sore",
    "ERROR gagal kirim WA ke {N}: nomor tidak terdaftar (code 470)",
    "follow up ke Bu {F} soal invoice yg overdue",
    "[cron] daily production report sent to {U}@cflex.co.id",
    "reviewer={U} action=reject reason=\"bleed kurang 3mm\" file={id}",
    "Regards, {N} | Procurement, PT Sinar Abadi Sentosa",
    "Kak {F} sama {N2} udah di-add ke grup WA produksi",
]

POOL9_NEGATIVE = [
    # shops, brands, companies built from name-like words
    "Toko Sinar Jaya minta nota dikirim ulang, total Rp 1.250.000",
    "CV Cahaya Abadi Printing - invoice {id} jatuh tempo 15 Maret",
    "Supplier Mawar Digital Printing konfirmasi stok flexi 280gr habis",
    "Melati Offset cannot take the overflow job this week",
    "Order from Intan Advertising: 20 roll-up banners, 60x160 cm",
    "Bintang Terang Sablon kirim sampel kaos polos warna navy",
    "PT Surya Citra Grafika membayar via transfer BCA",
    "UD Rahayu Makmur: pesanan kardus packaging 1000 pcs",
    "Toko Kurnia Baru tutup selama libur Lebaran",
    "Lestari Alam Packaging supplier kardus baru, harga lebih murah",
    "Harapan Jaya Motor minta penawaran stiker body",
    "Mutiara Printing tolak order karena mesin penuh",
    "Wardah kosmetik pesan hang tag 5000 pcs",
    "Kopi Kenangan outlet Kelapa Gading minta menu board baru",
    "Order dari Alfamart cabang Bogor: stiker harga promo",
    "Sari Roti: label kemasan revisi barcode",
    "Rezeki Grafika minta harga grosir brosur A5",
    "Tirta Kencana air minum: label botol 600ml",
    "Toko Buku Gunung Agung minta pembatas buku custom",
    "PermataBank VA 8528 0012 3345: pembayaran diterima",
    "Bank Mandiri virtual account expired, generate ulang",
    "Label Madu Murni 250ml, 1000 pcs, bahan vinyl transparan",
    # paper / print terms / colours
    "Indah Kiat Art Paper 150gsm restocked, 12 rim",
    "Kertas Sidu HVS A4 70gr tinggal 3 rim di gudang",
    "Bahan: Art Carton 260gsm, laminasi doff, potong kiss cut",
    "Undangan softcover, kertas Jasmine 220gr, amplop Linen ivory",
    "Sticker vinyl Ritrama glossy + laminasi, cutting pakai Graphtec",
    "Flexi Korea 440gr untuk backlite, finishing mata ayam tiap 50 cm",
    "Kemasan pakai Duplex 310 dengan spot UV di logo",
    "Warna Magenta terlalu tebal, turunkan density 10%",
    "Color profile mismatch: expected Coated FOGRA39, got sRGB IEC61966-2.1",
    "Pantone 186 C diganti ke merah marun sesuai request",
    "Pilihan warna pita: Rose Gold, Champagne, Ivory, Hijau Tosca",
    "Foil color options: Amber, Jade, Ruby, Pearl White",
    "Rose Gold foil out of stock, suggest Champagne instead",
    "Crystal clear sticker (transparan) habis, ganti vinyl putih?",
    "Angel wing backdrop for wedding booth, 3x2.5 m",
    "Ivory 310gsm with Olive and Coral spot colours, 2 sides",
    # fonts / software
    "Font Montserrat Bold tidak ter-embed di PDF, outline dulu",
    "Missing font: Poppins-SemiBold.ttf (substituted with Helvetica)",
    "Georgia dan Verdana tidak tersedia di RIP, ganti ke Open Sans",
    "Export from CorelDRAW X7 failed: unsupported object type",
    "Adobe Illustrator 2024 file opened with compatibility warnings",
    "ImageMagick convert: width or height exceeds limit 'proof_{id}.tif'",
    "Ghostscript 10.02.1: Unrecoverable error, exit code 1",
    "Canva Pro link expired, minta klien download ulang dalam format PDF Print",
    "Fonts bundled: Lato, Raleway, Bebas Neue, Pacifico, Lobster",
    # places
    "Kirim ke Bandung, Jl. Braga No. 45, Kec. Sumur Bandung",
    "Alamat: Jl. Kaliurang Km 7, Sleman, DI Yogyakarta 55581",
    "Pickup point: Grand Indonesia East Mall, lobby level 1",
    "Delivery to Tunjungan Plaza 3, loading dock B, Surabaya",
    "Ongkir Medan - Pematangsiantar Rp 38.000 via JNE REG",
    "Paket transit di Denpasar, lanjut ke Mataram besok",
    "Kelurahan Sukajadi, Kecamatan Sukajadi, Kota Bandung",
    "Booth di Summarecon Mall Bekasi butuh backdrop 3x2 m",
    "Event Paris Van Java weekend: 40 x-banner, deadline Kamis",
    "Kirim ke Lenteng Agung, dekat stasiun",
    "Cabang Pasar Minggu tutup setiap hari Minggu",
    "Kampung Melayu - Tanah Abang via kurir internal",
    "Ship to Jl. Asia Afrika No. 8, Bandung, Jawa Barat 40111",
    "Reseller Bukittinggi dan Padang minta katalog terbaru",
    "Pontianak - Samarinda belum ada layanan kargo laut minggu ini",
    # religious places, schools, hospitals
    "Banner Masjid Raya Baiturrahman untuk acara Maulid Nabi",
    "Spanduk Gereja HKBP Menteng: Selamat Hari Natal 2024",
    "Pesanan Vihara Dharma Bhakti untuk perayaan Imlek",
    "Baliho ucapan Hari Raya Nyepi, Tahun Baru Saka 1946",
    "Masjid Al-Ikhlas pesan 5 spanduk jadwal sholat Ramadhan",
    "SMA Negeri 3 Semarang pesan 12 spanduk wisuda",
    "Sertifikat seminar Universitas Padjadjaran, 250 lembar",
    "Institut Teknologi Bandung: poster pameran tugas akhir A1",
    "Universitas Andalas: map ijazah hard cover, hot print emas",
    "Budi pekerti poster series for SD Negeri 2 Cimahi",
    "RS Hermina minta brosur tarif baru, 2000 eksemplar",
    "RSUD Cengkareng PO-2024-118 sudah ditandatangani",
    "RS Kasih Ibu brochure reprint, same artwork as last year",
    # holidays, months, weekdays
    "Libur Idul Fitri: toko tutup 8-15 April, buka kembali Selasa",
    "Closed on Good Friday and Christmas Day",
    "Promo Harbolnas 12.12 berlaku sampai hari Minggu",
    "Jadwal produksi: Senin-Jumat 08.00-17.00, Sabtu setengah hari",
    "Rabu depan mesin Mimaki di-service teknisi",
    "Kamis ini listrik padam jam 09.00-12.00, produksi diliburkan",
    "May promo: 15% off all sticker orders",
    "Report for June generated: 1,284 orders, 37 reprints",
    "August batch of calendars shipped to 14 resellers",
    "Spanduk 17 Agustus dan umbul-umbul HUT RI sudah siap kirim",
    "Galungan dan Kuningan: cabang Denpasar libur 2 hari",
    "Promo Senja: diskon 10% untuk order di atas jam 18.00",
    # titles followed by roles
    "Pak Satpam minta paket ditaruh di pos depan",
    "Bu RT pesan 2 spanduk 17 Agustusan buat kampung",
    "Titip ke Pak RW aja kak kalau rumah kosong",
    "Pak Lurah minta undangan rapat dicetak 150 lembar",
    "Mas Kurir udah di depan, minta dibukain pager",
    "Mbak CS tolong cek resi saya dong, dari kemarin belum gerak",
    "Kak Admin, bisa cetak hari ini gk?",
    "Bang Ojol nunggu di parkiran, barang siap diambil",
    "Bu Guru pesan piagam lomba 30 lembar, kertas BC",
    "Pak Ustadz minta banner pengajian ukuran 2x1",
    "Tunggu approval dari Bapak/Ibu pemesan ya",
    "Attn: Purchasing Dept., Dear Sir/Madam, please find the quotation attached",
    # greetings / sentences starting with name-like words
    "Hi there, thanks for reaching out to CFlex Support!",
    "Halo kak, terima kasih sudah order di CFlex \U0001F64F",
    "Indah sekali hasil cetaknya, makasih banyak min!",
    "Bagus, lanjut cetak 200 pcs ya",
    "Untung file masternya masih ada di NAS",
    "Sabar ya kak, antrian cetak lagi panjang",
    "Ada revisi lagi dari klien soal warna background",
    "Dan satu lagi, ukurannya A5 bukan A4",
    "Bulan ini target produksi naik 20%",
    "Cuaca hujan guntur, pengiriman motor ditunda sampai sore",
    "Will ship tomorrow morning via SiCepat BEST",
    "Mark as paid after the transfer clears",
    "Bill to: PT Sejahtera Abadi, NPWP 01.234.567.8-901.000",
    "Grace period for invoice {id} ends in 3 days",
    "Hope this clarifies the bleed requirements (3 mm each side).",
    "Frank feedback from the client: the blue looks too purple",
    "Dawn shift starts at 05:00 for the Lebaran rush",
    "Chase unpaid invoices older than 30 days",
    # tracebacks / errors
    "Traceback (most recent call last):",
    "  File \"/srv/cflex/app/orders/proof.py\", line 214, in render_proof",
    "KeyError: 'customer_name'",
    "FileNotFoundError: [Errno 2] No such file or directory: '/data/uploads/{id}/final.pdf'",
    "PIL.UnidentifiedImageError: cannot identify image file '/tmp/upload_7f3a.jpg'",
    "psycopg2.OperationalError: could not connect to server: Connection refused",
    "celery.exceptions.SoftTimeLimitExceeded: task rasterize_pdf[{id}] exceeded 300s",
    "django.core.exceptions.ValidationError: ['Enter a valid phone number.']",
    "requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='api.midtrans.com', port=443): Read timed out.",
    # nginx / systemd / cron / syslog
    "10.0.3.22 - - [14/Mar/2024:10:02:11 +0700] \"POST /api/v1/orders HTTP/1.1\" 201 512 \"-\" \"okhttp/4.9.3\"",
    "2024/03/14 10:05:33 [error] 1123#1123: *8842 upstream timed out (110: Connection timed out) while "
    "reading response header from upstream, client: 103.28.14.9, server: cflex.co.id, request: \"GET /proof/{id} HTTP/1.1\"",  # noqa: E501
    "systemd[1]: Started CFlex Print Queue Worker.",
    "cflex-worker.service: Main process exited, code=exited, status=1/FAILURE",
    "CRON[22318]: (root) CMD (/usr/local/bin/backup-uploads.sh >/dev/null 2>&1)",
    "sshd[4411]: Accepted publickey for deploy from 10.0.0.5 port 52114 ssh2",
    "kernel: [812345.221] usb 1-1.2: new high-speed USB device number 7 using xhci_hcd",
    "cupsd: Job 4412 queued on 'Epson_L3210' by 'www-data'.",
    # payments / couriers
    "payment callback: order_id={id} transaction_status=expire fraud_status=accept",
    "Xendit webhook received: event=invoice.paid amount=350000 currency=IDR",
    "GoPay QRIS settlement batch 20240314 completed, 58 transactions",
    "JNE: Shipment {id} - WITH DELIVERY COURIER, Jakarta Selatan",
    # ids, hashes, versions, amounts, paths
    "sha256=9f2c4e1a7b0d3e58c6a1f4b2e9d07c3a5b8e6f1d2c4a7b9e0f3d5c8a1b2e4f6d",
    "build 2.14.3+git.8f3c2ad deployed to production",
    "Total: Rp 2.475.000 (PPN 11% termasuk)",
    "Upload complete: /data/uploads/2024/03/{id}/spanduk_final_v7.pdf (48.2 MB)",
    "Ref: INV/2024/III/00482, due 2024-04-30",
    # UI strings / headings / field labels
    "Button clicked: Approve Proof & Send To Print",
    "Menu: Daftar Pesanan | Riwayat Transaksi | Pengaturan Akun",
    "## Weekly Production Summary",
    "Laporan Harian Cabang Bekasi - Selasa",
    "Nama file tidak boleh mengandung spasi atau karakter khusus",
    "Kolom 'Nama Penerima' wajib diisi",
    "customer_name field is empty for order {id}, using company name",
    "Konfirmasi Pembayaran | Download Proof | Mark Ready For Pickup",
    # machines
    "Epson L3210 ink level low: Cyan 12%, Yellow 8%",
    "Roland VersaCAMM VS-540i head cleaning finished",
    "Konica Minolta bizhub C360: paper jam in tray 2",
]

POOL9_NAMES = [
    ("Purwanto Hadisaputro", "Purwanto"),
    ("Endah Setyaningsih", "Endah"),
    ("Darsono Wiryoatmojo", "Darsono"),
    ("Tumini Sastrodiharjo", "Tumini"),
    ("Untung Suroso", "Untung"),
    ("Lintang Maheswari", "Lintang"),
    ("Guntur Wibisono", "Guntur"),
    ("Enok Nurlaela", "Enok"),
    ("Aceng Sopandi", "Aceng"),
    ("Iyus Rusmana", "Iyus"),
    ("I Wayan Mertayasa", "Mertayasa"),
    ("Ni Komang Tri Astiti", "Astiti"),
    ("Ida Bagus Gde Sukrata", "Sukrata"),
    ("Tumpal Simarmata", "Tumpal"),
    ("Rismauli Sinurat", "Rismauli"),
    ("Darwin Lumbanraja", "Darwin"),
    ("Murni Sitanggang", "Murni"),
    ("Sabar Pohan", "Sabar"),
    ("Rosdiana Sipisang", "Rosdiana"),
    ("Afdal Kampai", "Afdal"),
    ("Zulhendri Bendang", "Zulhendri"),
    ("Muhammad Arsyad Daeng Nyampa", "Arsyad"),
    ("Nurhaedah Daeng Caya", "Nurhaedah"),
    ("Besse Tenriawaru", "Besse"),
    ("Romlah Sarbini", "Romlah"),
    ("Jaelani Saidi", "Jaelani"),
    ("Rinto Bungai", "Rinto"),
    ("Petrus Anyie", "Petrus"),
    ("Mince Wanimbo", "Mince"),
    ("Naftali Mandowen", "Naftali"),
    ("Theresia Lekatompessy", "Theresia"),
    ("Boy Pattiasina", "Boy"),
    ("Frangky Kaunang", "Frangky"),
    ("Vonny Tumbelaka", "Vonny"),
    ("Kasih Rumondor", "Kasih"),
    ("Lie Mei Hwa", "Mei Hwa"),
    ("Khouw Giok Nio", "Giok Nio"),
    ("Tjoa Kian Hong", "Kian Hong"),
    ("Erwin Hadinata", "Erwin"),
    ("Hasyim Bafadhal", "Hasyim"),
    ("Nadia Alamudi", "Nadia"),
    ("Senja Kirana", "Senja"),
    ("Suci Wulandini", "Suci"),
    ("Lars Eriksson", "Lars"),
    ("Nguyen Van Duc", "Duc"),
    ("Penny Lawson", "Penny"),
    ("Frank Moretti", "Frank"),
    ("Kwame Asante", "Kwame"),
]


# -- round 10 (dev10 / heldout10) ----------------------------------------
# Written by a separate author who never saw the detector nor the earlier rounds' lines.
POOL10_POSITIVE = [
    # --- English ---
    '"level":"info","ts":"2024-03-11T09:14:22+07:00","msg":"proof approved by {N}","order_id":"{id}"',
    "Reminder: call {F} before 3pm re: banner size, customer asked for 3x1 m not 2x1 m",
    'audit user={U} action=invoice.void invoice={id} reason="duplicate entry"',
    "Pickup scheduled for {N} - 2 boxes of stickers, counter 2, after 16:00",
    "Subject: Fwd: Re: Wedding invitation revision ({N})",
    "On Tue, 12 Mar 2024 at 10:41, {N} wrote: > can you send the final PDF today?",
    "{F}'s file is still in the RIP queue, do not delete /srv/hotfolder/{id}",
    "Shift roster Sat: opening {N}, closing {N2}",
    "ERROR payment callback mismatch: payer_name='{C}' expected 475000 got 470000 (order {id})",
    "courier update: parcel {id} delivered, left with {N} at the guard post",
    "Ticket #{id} reassigned to {F} (L2 support)",
    "Customer complaint: X-banner colours too dark, {N} wants a free reprint",
    "Please remind {F} to bring an ID card when collecting the yearbooks",
    "Quote Q-{id} sent to {N}, valid 14 days",
    "Mar 12 09:14:02 cflex-pos sudo: {U} : TTY=pts/0 ; PWD=/srv/print ; USER=root ; "
    "COMMAND=/usr/bin/systemctl restart cups",
    "Thanks {F}, got the files. Will send the proof tonight.",
    "Meeting notes - attendees: {N}, {N2}, ops team. Action: reorder vinyl.",
    "Refund of Rp 125.000 processed for {N}; transfer ref {id}",
    "{N} called twice about the mug order, nobody picked up",
    "crash reproduced on {F}'s laptop while exporting CMYK PDF, see attached log",
    "Signed-off-by: {N}",
    "| {id} | {N} | 500 pcs | vinyl sticker | PAID |",
    "ValueError: invalid customer_name '{N}' in row 14 of import_orders.csv",
    "error: could not send WA notification to {N} (number not registered)",
    "Ask {F} whether the logo should be gold foil or plain yellow",
    # --- Indonesian ---
    "[10:02] {F}: kak, file undangannya udah aku kirim via email ya",
    "tlg hubungi {F} sore ini, spanduknya blm diambil dari kemarin",
    "Tagih {N} utk sisa DP invoice {id}, udah lewat 7 hari",
    "Kabari {F} kalau proof kedua udah siap",
    "Jemput {F} di stasiun jam 7, sekalian bawa sampel art carton",
    "Antar ke rumah {N}, gang sebelah masjid, patokan warung cat biru",
    "punya {F} jangan dicetak dulu, nunggu konfirmasi warna",
    "Catatan order {id}: pemesan {N}, minta laminasi doff",
    "Pesanan atas nama {C} sudah dikirim via JNE, resi {id}",
    "Shift malam: {N} (operator mesin), {N2} (finishing)",
    "{F} izin sakit hari ini, surat dokter nyusul",
    "Kak {F} minta invoice dipisah per cabang",
    "Pak {F} komplain cetakan buku tahunan, halaman 34 kebalik",
    "mas {F} td nanya ongkir ke Sorong berapa, blm dijawab",
    "Transfer masuk Rp 1.250.000 dari {C} - BCA, cocokkan dgn order {id}",
    "Sudah dikonfirmasi oleh {N} via WA, desain final versi 3",
    "[WA] {L}: min, stikernya bisa jadi besok gak?",
    "Mohon dibantu, pesanan saya belum sampai. Terima kasih, {N}",
    "Ketemu {F} di percetakan sebelah, katanya HVS lagi langka",
    "user {U} gagal login 3x, akun dikunci sementara",
    "Selamat siang, saya {N}, mau pesan 300 buku yasin untuk tahlilan",
    "Absensi 12/03: {N} telat 25 menit, alasan ban bocor",
    "Kurir: paket {id} diterima {F} (adik pemesan)",
    "cek lagi alamat {F}, katanya udah pindah ke Bekasi",
    "Lembur {N} bulan Maret blm dibayar, tolong dicek bagian keuangan",
    "Pengambilan: {N} - 1 roll banner 5 m, bayar di tempat",
    "Revisi ke-5 dari {F} ditolak, biaya tambahan Rp 50rb sudah diinfokan",
    "Kartu nama drg. {N}, 2 box, art carton 260 gsm, laminasi glossy",
    "Bapak/Ibu {N} pesan 500 kotak nasi printing, kirim Sabtu pagi",
    "Penerima: {C}, Kec. Medan Baru, titip ke tetangga kalau kosong",
    "Resepsionis: tamu {N} nunggu di lobi, mau ambil sampel",
    "gpp kak, nanti {F} yg ambil sendiri ke toko",
    # --- mixed ---
    '"note":"customer {N} minta proof dikirim ulang, link sebelumnya expired"',
    "udah di-approve sama {F}, go ahead print 2 rim",
    "note: {F} prefers WA over email, jangan telpon jam kerja",
    "Handover {N} -> {N2}: semua order Shopee pending sudah di-follow up",
    "FYI {F} lagi cuti sampai Senin, escalate ke supervisor dulu",
    "Re: [CFlex] Invoice {id} a.n. {N}",
    "cron report: 3 jobs failed, owner={U}, cek /var/log/cflex/rip.log",
    '"error":"shipping label failed: recipient {L} missing postal code","order":"{id}"',
]

POOL10_NEGATIVE = [
    # businesses / brands built from name-like words
    "Sinar Jaya Offset konfirmasi stok art paper 150 gsm",
    "Supplier Mulia Kertas Abadi kirim 20 rim HVS 80 gsm hari Kamis",
    "Toko Bintang Terang: tinta eco-solvent habis, PO baru {id}",
    "Percetakan Cahaya Baru minta harga grosir stiker vinyl",
    "CV Indah Karya Mandiri - tagihan bulan Februari",
    "Toko Rahayu Elektronik tutup sementara, servis printer dialihkan",
    "Sari Roti buat meeting besok udah dipesan 3 dus",
    "Bill to: PT Sumber Rejeki Abadi, NPWP terlampir",
    "Pembayaran via GoPay berhasil, order {id}",
    "Shopee Mall voucher gratis ongkir aktif sampai 31 Maret",
    "Tokopedia: pesanan {id} status Dikirim",
    "Order {id} dikirim via J&T Express, estimasi 2 hari",
    "Anteraja pickup gagal, alamat tidak ditemukan",
    "GrabExpress Instant - driver assigned, ETA 12 min",
    "SiCepat REG ke Makassar, berat 3 kg, ongkir Rp 84.000",
    "Ninja Xpress reschedule pickup ke besok pagi",
    "Lion Parcel drop point Jl. Pemuda tutup jam 17:00",
    "Kopi Kenangan langganan kantor naik harga",
    "Bank Mega, Bank Jago, BRI - rekening penerimaan aktif",
    # products / product lines
    "Produk baru: Stiker Chromo Glossy A3+, Rp 8.500/lembar",
    "Undangan Hardcover Seri Melati sold out, restock minggu depan",
    "Paket Mawar (100 undangan + plastik) diskon 10%",
    "Mug Sablon Full Color 11oz - varian Putih, Hitam, Merah Maroon",
    "Tumbler Stainless 500 ml laser engraving, min order 12",
    "Buku Budi Pekerti kelas 4 cetak ulang 500 eksemplar",
    "Crystal clear sticker (transparan) min order 50 lembar",
    "Rose gold foil out of stock, offer champagne gold instead",
    "Kalender Meja 2025 edisi Januari - Desember siap naik cetak",
    # print / paper terms, colours, fonts
    "Art Carton 310 gsm, laminasi doff 1 sisi, potong 9 x 5.5 cm",
    "Bleed 3 mm di semua sisi, safe area 5 mm",
    "Color profile: FOGRA39, rendering intent: relative colorimetric",
    "Jenis kertas: Ivory 230, BW 300, Samson Kraft 110",
    "Kertas Concorde Ice Gold 250 gsm stok tinggal 2 pak",
    "Kertas Jasmine 220 gsm untuk undangan, potong A5",
    "Pearl white 250 gsm dipakai buat kartu ucapan",
    "Finishing: spot UV, emboss, hot stamping emas",
    "Tinta Pantone 286 C diganti Pantone Warm Red",
    "Warna: Biru Dongker, Hijau Tosca, Coklat Susu, Abu Misty",
    "Ivy Green dan Amber Yellow tidak ada di katalog warna kami",
    "Font yang dipakai: Montserrat Bold, Lato Regular, Playfair Display",
    "Missing font: Helvetica Neue LT Std 65 Medium, substituted with Arial",
    "Font Georgia diganti Times New Roman di halaman sampul",
    "Overprint black aktif, rich black C60 M40 Y40 K100",
    "Resolusi gambar 72 dpi, minimal 300 dpi untuk cetak",
    # machines / software
    "Roland VersaCAMM head cleaning dijadwalkan jam 07:00",
    "Mimaki CJV150: media jam, banner flexi 280 gsm",
    "Epson L15150 ink level low: Cyan 12%, Magenta 8%",
    "Konica Minolta C6085 error C-2557, panggil teknisi",
    "CorelDRAW X7 crash saat export PDF/X-1a",
    "Adobe Illustrator 2024 (28.3) file tidak bisa dibuka di CS6",
    "Ghostscript 10.02.1: Error: /undefined in --showpage--",
    "Windows Update KB5034441 failed with 0x80070643",
    "Ubuntu 22.04.4 LTS, kernel 5.15.0-101-generic",
    "Jenkins build #412 SUCCESS (deploy-invoice-service)",
    "Grafana alert: disk usage /srv above 90% for 10m",
    "Canva Pro team invite expired, kirim ulang dari dashboard",
    "Google Drive sync paused: storage full",
    "Redis: OOM command not allowed when used memory > 'maxmemory'",
    "PostgreSQL 15 autovacuum: VACUUM public.orders finished in 3.2 s",
    # places
    "Cabang baru buka di Jl. Merdeka No. 12, Pontianak",
    "Kirim ke Pasar Baru Bandung, lantai 3 blok C",
    "COD area: Kabupaten Sleman, Bantul, Kulon Progo",
    "Pengiriman ke Kab. Manggarai Barat via Labuan Bajo bisa 6 hari",
    "Booth pameran di Mal Taman Anggrek lantai 2",
    "Ongkir Jakarta - Jayapura Rp 145.000/kg",
    "Gudang pindah ke Kawasan Industri Pulogadung mulai April",
    "Pasar Beringharjo, Pasar Klewer, Tanah Abang - area reseller",
    "Kecamatan Cibinong, Kabupaten Bogor, kode pos 16911",
    "Courier hub Medan Amplas: shipment held due to flooding",
    "Delivery to Denpasar Selatan delayed (Nyepi)",
    "Reseller baru dari Tanah Karo dan Toraja",
    "Ongkir ke Merauke dan Kota Tual belum tersedia di Biteship",
    "Pickup point: Summarecon Mal Serpong, lobby selatan",
    "Jl. Braga, Jl. Asia Afrika, Jl. Cikini Raya - titik pemasangan baliho",
    "Minahasa Utara, Sulawesi Utara - ekspedisi laut 9 hari",
    # religious buildings, schools, hospitals, government
    "Spanduk Masjid Al-Ikhlas untuk acara Isra Mi'raj, ukuran 4x1 m",
    "Masjid Istiqlal parkir timur dipakai untuk bazar",
    "Pura Jagatnatha minta cetak kalender Saka 1946",
    "Vihara Dharma Bhakti pesan 200 lampion print",
    "Gereja Katedral pesan buku misa 1.000 eksemplar",
    "SMA Negeri 3 Yogyakarta - order buku tahunan 320 eksemplar",
    "Universitas Negeri Malang wisuda: 1.200 map ijazah",
    "RSUD Kota Bandung pesan formulir NCR 3 ply",
    "RS Hermina pesan 2.000 leaflet vaksinasi",
    "RS Panti Rapih minta revisi logo di amplop",
    "Puskesmas Kecamatan Tebet minta leaflet imunisasi",
    "Dinas Pendidikan Kab. Sidoarjo - surat pesanan {id}",
    "Kantor Kelurahan Sukajadi ambil stempel warna biru",
    "Polsek Coblong order plakat akrilik 20 pcs",
    "KPP Pratama Jakarta Kebayoran Baru - upload e-Faktur sukses",
    # holidays, months, weekdays
    "Libur Idul Fitri: toko tutup 8-15 April, order diproses Selasa 16 April",
    "Promo Harbolnas 12.12 dan Natal, diskon sampai 20%",
    "Imlek besok, kirim sampel angpao merah emas",
    "Jadwal produksi: Senin - Sabtu, Minggu libur",
    "Tutup lebih awal hari Jumat untuk sholat Jumat",
    "Deadline Kamis 14 Maret, proof paling lambat Rabu",
    "Monday standup moved to Tuesday because of Waisak",
    "Agustus: lonjakan order bendera & umbul-umbul 17-an",
    "Promo Ramadhan: diskon 15% kartu ucapan Lebaran",
    "Jumat Berkah: gratis 10 stiker untuk setiap order undangan",
    "Natal & Tahun Baru: cutoff order 20 Desember",
    "May 2024 invoice summary attached, June batch next week",
    "Selasa depan maintenance server jam 22:00 WIB",
    "Laporan Mingguan Produksi - Minggu ke-2 Maret",
    # Title Case UI strings / headings
    "Order Summary | Shipping Method | Payment Status",
    "Upload Your Design - Choose Paper Type - Add To Cart",
    "Customer Service Hours: Monday to Friday, 08:00-17:00 WIB",
    "Terms And Conditions Apply",
    "Dashboard > Laporan Penjualan > Export Excel",
    "Grace period for unpaid invoices: 3 days",
    "Status Pesanan: Menunggu Pembayaran",
    "Riwayat Transaksi - Halaman 2 dari 14",
    # errors, tracebacks
    'Traceback (most recent call last): File "/opt/cflex/app/render.py", line 214, in render_pdf',
    'psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint "orders_pkey"',
    "KeyError: 'paper_type'",
    "requests.exceptions.ConnectTimeout: HTTPSConnectionPool(host='api.biteship.com', port=443)",
    "PIL.UnidentifiedImageError: cannot identify image file '/srv/uploads/{id}.tif'",
    "celery.exceptions.SoftTimeLimitExceeded in task generate_proof[{id}]",
    "django.core.exceptions.ValidationError: ['Enter a valid phone number.']",
    "AttributeError: 'NoneType' object has no attribute 'shipping_address'",
    # HTTP / nginx / systemd / cron / syslog
    '10.0.3.17 - - [12/Mar/2024:09:14:22 +0700] "POST /api/v1/orders HTTP/1.1" 201 512 "-" "Mozilla/5.0 '
    '(Linux; Android 13)"',
    "nginx: [warn] upstream server temporarily disabled while connecting to upstream",
    "systemd[1]: Started CFlex RIP Queue Worker.",
    "systemd[1]: cflex-invoice.service: Main process exited, code=exited, status=1/FAILURE",
    "CRON[21877]: (root) CMD (/usr/local/bin/backup_orders.sh >> /var/log/backup.log 2>&1)",
    "kernel: usb 1-1.2: new high-speed USB device number 5 using xhci_hcd",
    "cupsd: Job {id} queued on 'Epson_L15150' by 'www-data'",
    "sshd[1032]: Accepted publickey for deploy from 10.0.3.5 port 51922 ssh2",
    "postfix/smtp[8812]: status=sent (250 2.0.0 OK queued)",
    # ids, hashes, versions, amounts, paths, payment callbacks
    "checksum sha256=9f2c1e07ab44 file=/srv/hotfolder/{id}_final.pdf",
    "release v2.14.3 deployed, commit 4e7a9c1",
    "Total: Rp 2.475.000 (DP 50% = Rp 1.237.500)",
    "/mnt/nas/arsip/2024/03/undangan/{id}/cover_cmyk.tif",
    "INV/2024/03/{id} jatuh tempo 30 hari",
    "Midtrans callback: transaction_status=settlement, gross_amount=350000.00, order_id={id}",
    "Xendit webhook: status=PAID, payment_channel=QRIS",
    "VA BCA 8808 0812 3456 expired, order {id} dibatalkan otomatis",
    # titles followed by a role
    "Pak Satpam minta paket ditaruh di pos depan",
    "Bu Bendahara sekolah minta kuitansi rangkap dua",
    "Mas Kurir udah sampai depan, tlg siapin paketnya",
    "Pak RT pesan 50 spanduk tujuhbelasan",
    "Bu Lurah minta desain baliho direvisi",
    "Kak Admin, stiker saya kapan dikirim?",
    "Bang Ojol nunggu di parkiran",
    "Mbak CS tolong cek resi {id}",
    "Pak Kades minta tambah logo kabupaten",
    "Ibu Kepala Sekolah sudah tanda tangan SPK",
    "Dear Sir/Madam, please find attached the quotation",
    "Hi Team, the printer on floor 2 is jammed again",
    "Dear Customer, your order has been shipped",
    # ordinary sentences starting with name-like words
    "Wangi banget tinta yang baru, ventilasi dibuka aja",
    "Indah sekali hasil embossnya, customer puas",
    "Sabar ya kak, antrian cetak lagi panjang",
    "Murni salah input dari sistem, bukan dari kasir",
    "Cahaya lampu UV di mesin laminasi mulai redup",
    "Langit-langit gudang bocor, roll kertas dipindah ke rak atas",
    "Bunga papan ucapan selamat dikirim ke gedung sebelah",
    "Bintang 5 dari pembeli Shopee, ulasan: packing rapi",
    "Terima kasih sudah setia belanja di CFlex",
    "Will send the revised proof tomorrow morning",
    "Mark invoice {id} as paid",
    "Grant write access to the /designs share for the night shift",
    "Hope the banner dries before pickup",
    "Amber LED blinking on the laminator, check heater",
    "Sunny day, outdoor banner install at 10",
    "Frank feedback from the school: the cover looks cheap",
]

POOL10_NAMES = [
    ("Sumirah", "Sumirah"),
    ("Paijo", "Paijo"),
    ("Tukiman", "Tukiman"),
    ("Ngadiyem", "Ngadiyem"),
    ("Pandu Wiratmaja", "Pandu"),
    ("Kuncoro Adinugroho", "Kuncoro"),
    ("Mentari Oktaviani", "Mentari"),
    ("Sabar Sitanggang", "Sabar"),
    ("Suci Nurfitriani", "Suci"),
    ("Murni Sihite", "Murni"),
    ("Berlian Hutauruk", "Berlian"),
    ("Langit Samudra", "Langit"),
    ("Mega Silvia Prameswari", "Mega"),
    ("Cepi Kusumah", "Cepi"),
    ("Nunung Rostini", "Nunung"),
    ("Aep Saepulloh", "Aep"),
    ("Ida Bagus Wirya Adnyana", "Wirya"),
    ("Cokorda Istri Padmi", "Padmi"),
    ("Hotlan Situngkir", "Hotlan"),
    ("Tiominar Purba", "Tiominar"),
    ("Gusnita Pitopang", "Gusnita"),
    ("Dasrul Sutan Marajo", "Dasrul"),
    ("La Ode Harmin", "Harmin"),
    ("Haeruddin Daeng Ngemba", "Haeruddin"),
    ("Wa Ode Sitti Marwah", "Marwah"),
    ("Juleha", "Juleha"),
    ("Rohimat Sanusi", "Mamat"),
    ("Teuku Razali Hasballah", "Razali"),
    ("Cut Rizka Maulida", "Rizka"),
    ("Yohanes Ingan", "Yohanes"),
    ("Marthen Wonda", "Marthen"),
    ("Elsina Wanimbo", "Elsina"),
    ("Beatrix Tahalele", "Beatrix"),
    ("Meiske Rondonuwu", "Meiske"),
    ("Jeffry Mandagi", "Jeffry"),
    ("Kornelis Ndun", "Kornelis"),
    ("Veronika Mbete", "Vero"),
    ("Liauw Giok Mei", "Giok Mei"),
    ("Ivana Halimsetiono", "Ivana"),
    ("Go Tiong Han", "Tiong Han"),
    ("Ali Bahreisy", "Ali"),
    ("Salwa Bin Syekh Abubakar", "Salwa"),
    ("Vikram Raghunathan", "Vikram"),
    ("Jericho Manalastas", "Jericho"),
    ("Hafizuddin bin Kamarul", "Hafiz"),
    ("Ryosuke Kawaguchi", "Ryosuke"),
    ("Seo Minjae", "Minjae"),
    ("Matteo Ricciardi", "Matteo"),
    ("Amber Kowalski", "Amber"),
]


# -- round 11 (dev11 / heldout11) ----------------------------------------
# Written by a separate author who never saw the detector nor the earlier rounds' lines.
POOL11_POSITIVE = [
    "order {id}: proof approved by {N} via WhatsApp, proceed to print",
    "Assigned ticket #{id} to {F} (design team)",
    "courier update {id}: package handed to {N} at front desk, signature captured",
    "login ok user={U} ip=10.0.3.17 method=password",
    "Refund for {id} requested by {N}; reason: banner colours faded after 2 weeks",
    "Hi {F}, your sticker order {id} is ready for pickup at our Jl. Kaliurang shop.",
    "Fwd: Invoice {id} - attn {N}, Finance Dept",
    "[audit] role changed: {U} -> cashier (by admin)",
    "Thanks {F}! We'll send the proof tonight.",
    "{N} called twice about the wedding invitations, wants gold foil instead of silver",
    "note: customer insists the name on the book cover is spelled {C}",
    "Shift swap approved: {N} covers Saturday, {N2} covers Sunday",
    "Met with {N} from the school committee re: yearbook pricing",
    "reason: 'recipient {N} not at address, neighbour refused to accept'",
    'payment callback status=PAID payer_name="{C}" amount=450000 ref={id}',
    "Could you check with {F} whether the mug mockup was sent?",
    "Proof v3 rejected - {F} says the logo is too small",
    "deliver to: {N}, Perum Griya Asri Blok C-12, Sleman",
    "cc: {N}; {N2}",
    "Package for {id} left with security; recipient ({N}) notified by SMS",
    "ValueError: invalid customer name '{N} ' (trailing whitespace) in row 14",
    "2024-03-11 09:14:02 INFO worker-2 rendering {id}.pdf for {U}",
    "Reminder: {F}'s invoice is 14 days overdue",
    "Customer review: \"Fast and neat, thank you!\" - {N}",
    "Pesanan {id} atas nama {N} sudah dicetak, tinggal laminasi",
    "Kak {F}, file undangannya sudah kami terima ya. Mohon ditunggu proofnya",
    "[14.02, 3/4/2024] {N}: min, spanduknya bisa jadi besok pagi?",
    "Sudah ditransfer sama {F} tadi siang, cek mutasi BCA",
    "izin sakit: {N} (surat dokter menyusul)",
    "Bu {F} minta warna hijaunya dibikin lebih gelap",
    "Yang ambil barang bukan {F}, tapi adiknya. KTP sudah difoto.",
    "catatan: kirim ke rumah {N}, jangan ke kantor",
    "Pak {N} komplain stiker vinylnya mengelupas, minta cetak ulang",
    "pengirim: CFlex Jogja | penerima: {C} | resi {id}",
    "alasan batal: {F} salah pilih ukuran A3, harusnya A4",
    "Terima kasih {F}, pembayaran untuk {id} sudah kami terima.",
    "Operator hari ini: {N}. Mesin indoor sempat head clog jam 10",
    "Mohon konfirmasi ke {N} soal jumlah buku yang mau dijilid",
    "Dear Bapak/Ibu {N}, terlampir penawaran harga kalender meja 2025.",
    "absen: {F} tidak masuk, tanpa keterangan",
    "Desain kemasan sudah di-ACC sama {F} lewat chat",
    "{F} bilang mau ambil sendiri jam 4 sore",
    "User {U} mengubah status pesanan {id} menjadi SELESAI",
    "kurir: paket sudah diterima oleh {L} (keluarga)",
    "Tolong {F} cek lagi ejaan nama mempelai di undangan",
    "Lembur disetujui untuk {N} dan {N2}, total 3 jam",
    "Ada titipan dari {N} buat kasir, ditaruh di laci meja depan",
    "Komplain via IG: {N} merasa ongkirnya terlalu mahal",
    "Saya {N}, mau tanya harga cetak buku yasin 100 eks",
    "diskon 10% khusus pelanggan lama a.n. {C}",
    "Tiket #{id} dibuka oleh {U}: hasil cetak banner buram",
    "Sudah saya WA {F}, belum dibalas sampai sekarang",
    "Pengambilan diwakilkan: {N} membawa surat kuasa dan KTP asli",
    "mas {F} td nelp, katanya transfernya double, tolong dicek",
    "Invoice {id} dikirim ulang ke alamat email {U}@yahoo.co.id",
    "Noted kak {F}, nanti proof-nya kita kirim by email ya",
    "pickup by {N} - udah lunas, jangan ditagih lagi",
    "escalated ke supervisor, {F} minta refund full",
    "Subject: Re: Revisi logo untuk {N}",
    'status=GAGAL reason="nama rekening tidak sesuai: {C}" order={id}',
    "FYI {N} resign per akhir bulan, please revoke akses POS",
    "{id} | Rush order | PIC: {F} | deadline Jumat",
    "cron[2211]: daily sales summary mailed to {U}",
    "order {id} note: 'nama di plakat: {L}, huruf kecil semua sesuai request'",
]

POOL11_NEGATIVE = [
    "Percetakan Bintang Terang mengirim ulang kertas art carton 260 gsm",
    "CV Sinar Abadi order 20 rim HVS 80 gram untuk {id}",
    "Toko Mawar Jaya minta nota dikirim lewat WA",
    "UD Sumber Rejeki sudah lunas, faktur {id} ditutup",
    "Indah Jaya Offset: mesin Heidelberg sedang servis sampai Kamis",
    "Supplier Kertas Sinar Dunia naik harga 5% mulai bulan Maret",
    "Roland VersaCamm VS-640 error: ink end, slot 3 (magenta)",
    "Mimaki JV33 head cleaning completed in 42s",
    "Epson L3210 offline, check USB cable on counter PC",
    "HP Latex 315 maintenance cartridge at 12%",
    "Warna Rose Gold habis, ganti Champagne Gold untuk foil undangan",
    "Hijau Tosca dan Biru Dongker tidak sesuai proof, cek profil ICC",
    "Pantone 186 C vs CMYK 0/100/81/4, selisih delta E 3.2",
    "Font Montserrat Bold tidak ter-embed di file {id}.pdf",
    "Missing fonts: Poppins-SemiBold, Open Sans, Times New Roman",
    "Export from CorelDRAW X7 failed: outline text before sending",
    "Adobe Illustrator 2024 crashed while opening {id}.ai",
    "Canva link tidak bisa dibuka, minta file PDF/X-1a saja",
    "Bahan: Flexi China 280 gr, finishing mata ayam tiap 50 cm",
    "Sticker Vinyl Ritrama + laminasi doff, potong kiss cut",
    "Kertas Ivory 310, Samson Kraft, BC putih, Jasmine 230 gsm",
    "Undangan hardcover emboss, pita satin warna Dusty Pink",
    "Mug sublim putih 11 oz, tinta sublimasi sisa 2 botol",
    "Kaos sablon DTF ukuran XL kurang 6 pcs",
    "Box packaging duplex 350 dengan spot UV di logo",
    "Buku Yasin cover Jasmine, isi HVS 70, jilid lem panas",
    "Order dari Tokopedia {id} otomatis dibatalkan sistem",
    "Shopee: pesanan {id} sudah sampai di Hub Sleman",
    "JNE REG resi {id} status: WITH DELIVERY COURIER",
    "J&T Express: paket sedang transit di DC Cakung",
    "SiCepat BEST sudah pickup 14 koli dari toko",
    "GoSend Instant dibatalkan driver, re-order jam 15.20",
    "GrabExpress Sameday tidak tersedia di area Bantul",
    "AnterAja gagal antar: alamat tidak ditemukan",
    "Lion Parcel surcharge Rp12.000 untuk paket > 10 kg",
    "Pos Indonesia kilat khusus, estimasi 3-5 hari kerja",
    "Midtrans notification: transaction_status=settlement order_id={id}",
    "Xendit callback: status=EXPIRED external_id={id}",
    "QRIS via OVO diterima Rp85.000",
    "ShopeePay refund diproses 1x24 jam",
    "Transfer Bank Mandiri belum masuk, cek lagi jam 2",
    "BCA KlikBisnis: mutasi terakhir CR 1.250.000",
    "Setoran tunai di Indomaret Jl. Magelang km 5",
    "Bayar listrik toko di Alfamart, struk disimpan di map kuning",
    "Alamat: Jl. Kaliurang km 7, Sleman, DI Yogyakarta",
    "Cabang baru di Jl. Pemuda No. 12, Semarang",
    "Kirim ke Jl. Veteran Raya, dekat Pasar Kembang",
    "Antar ke Pasar Beringharjo lantai 2 los batik",
    "Pickup di Mangga Dua Square lantai dasar",
    "Stand pameran di Ambarrukmo Plaza minggu depan",
    "Booth di Galeria Mall, loading dock lewat belakang",
    "Banner untuk acara di Grand Indonesia, ukuran 3x1 m",
    "Ekspedisi ke Tanah Abang blok A via kargo",
    "Ongkir ke Kabupaten Gunungkidul lebih mahal dari Bantul",
    "Pengiriman ke Kulon Progo pakai armada sendiri",
    "Order dari Banyuwangi dan Sidoarjo digabung satu resi",
    "Kargo ke Flores dan Sumba lewat Surabaya, 10-14 hari",
    "Ke Nusa Penida harus nyebrang, ongkir dihitung terpisah",
    "Pelanggan di Bangka Belitung minta sample kertas dulu",
    "Kecamatan Depok, Kelurahan Caturtunggal, RT 05 RW 12",
    "Spanduk Masjid Agung untuk pengajian akbar, 2 lembar",
    "Baliho Gereja Kristen Jawa untuk perayaan Paskah",
    "Penjor dan banner Pura Jagatnatha untuk Galungan",
    "Lampion dan poster Klenteng untuk Imlek",
    "Buku kenangan SMA Negeri 3 Yogyakarta, 320 eksemplar",
    "Sertifikat lomba SD Muhammadiyah Condongcatur",
    "Plakat wisuda Politeknik Negeri Bandung, 45 pcs",
    "Seminar kit Universitas Atma Jaya, tote bag + ID card",
    "X-banner untuk RSUD Sleman: jadwal vaksin",
    "Brosur RS Bethesda revisi nomor IGD",
    "Papan nama Puskesmas Mlati II sudah dipasang",
    "Formulir Dinas Kependudukan dan Pencatatan Sipil, 5 rim",
    "Stempel Kantor Kecamatan Ngaglik sudah jadi",
    "Spanduk Polsek Depok Barat: tertib berlalu lintas",
    "Laporan SPT ke Kantor Pelayanan Pajak Pratama Sleman",
    "Cuti bersama Idul Fitri: toko tutup 8-15 April",
    "Promo Natal dan Tahun Baru, diskon kartu ucapan 15%",
    "Hari Raya Nyepi: cabang Denpasar tutup sehari",
    "Angpao Imlek edisi Tahun Naga sudah naik cetak",
    "Libur Waisak, kurir tidak beroperasi",
    "Lomba 17 Agustus: pesanan umbul-umbul naik 3x lipat",
    "Stock opname dilakukan tiap Sabtu terakhir bulan",
    "Senin - Jumat 08.00-17.00, Sabtu sampai jam 14.00, Minggu libur",
    "Rabu dan Kamis mesin outdoor dipakai untuk order pemilu",
    "Deadline laporan bulan Juni dan Juli digabung",
    "Closed on Sunday and public holidays",
    "Every Monday at 09:00: weekly backup to NAS",
    "Invoices due by Friday, 31 May",
    "Order Status: Ready For Pickup",
    "Add New Customer",
    "Print Queue Empty",
    "Forgot Password?",
    "Download Invoice PDF",
    "Customer Details | Shipping Address | Payment Method",
    "Bukti Transfer Belum Diunggah",
    "Riwayat Pesanan Pelanggan",
    "Pak RT sudah tanda tangan surat pengantar",
    "Bu Kepala Sekolah minta revisi sampul buku tahunan",
    "Mas kurir datang jam 3, paket sudah diserahkan",
    "Kak admin, stok kertas A3+ tinggal berapa?",
    "Dear Customer, your order has been shipped.",
    "Hi team, reminder to clock out before 17:30",
    "Mbak kasir tolong rekap setoran hari ini",
    "Bapak/Ibu pelanggan yth, harga cetak naik mulai 1 Juli",
    "Dear Sir/Madam, please find attached the quotation.",
    "Indah sekali hasil cetaknya, terima kasih banyak!",
    "Bunga papan ucapan sudah dikirim ke gedung pernikahan",
    "Mawar merah cocok jadi motif undangan tema vintage",
    "Bintang lima untuk toko ini, pelayanannya ramah",
    "Untung masih ada stok kertas Jasmine",
    "Sabar ya kak, antrian cetak lagi panjang",
    "Kasih tahu admin kalau file sudah final",
    "Cahaya di ruang produksi kurang, warna jadi susah dicek",
    "Sinar UV bikin stiker outdoor cepat pudar",
    "Kuat dan tahan air, cocok untuk label botol",
    "Damai sekali hari ini, order sepi",
    "Melati putih dipakai untuk ornamen undangan adat",
    "Hilal belum terlihat, Lebaran kemungkinan hari Rabu",
    "Selamat pagi, kami buka jam 08.00",
    "Mulia Print & Design - cabang Godean",
    "Sari Roti pesan 2000 stiker label kemasan",
    "Jenkins build #482 passed (cflex-api)",
    "Ruby gem prawn updated to 2.4.0",
    "Traceback (most recent call last):",
    '  File "/srv/cflex/app/orders/views.py", line 214, in create_order',
    "KeyError: 'customer_name'",
    "django.db.utils.OperationalError: database is locked",
    "PermissionError: [Errno 13] Permission denied: '/var/spool/cflex/{id}.pdf'",
    "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.midtrans.com')",
    "ghostscript: Error: /undefinedfilename in (/tmp/{id}.ps)",
    "TimeoutError: rendering {id} exceeded 120s",
    '10.0.0.5 - - [12/Mar/2024:10:11:12 +0700] "GET /api/orders/{id} HTTP/1.1" 200 512',
    '10.0.0.9 - - [12/Mar/2024:10:12:40 +0700] "POST /upload HTTP/1.1" 413 183',
    "nginx: [warn] upstream response is buffered to a temporary file",
    "systemd[1]: Started CFlex Print Queue Worker.",
    "systemd[1]: cflex-worker.service: Main process exited, code=killed, status=9/KILL",
    "CRON[4412]: (www-data) CMD (/usr/bin/php /srv/cflex/artisan schedule:run)",
    "kernel: [88213.004] usb 1-1.2: new high-speed USB device number 7",
    "sshd[9921]: Accepted publickey for deploy from 10.0.0.2 port 52214",
    "postfix/smtp[2231]: status=sent (250 2.0.0 OK)",
    "sha256=9f2c4e1ab77d03c5e8a1f0b6d2c4e9a7 file={id}.pdf",
    "version 3.12.4 (build 20240311-a7f9c2e)",
    "Total: Rp1.275.000 (DP 50%, sisa Rp637.500)",
    "/mnt/nas/orders/2024/03/{id}/final_v2_FIX_banget.pdf",
    "PPN 11% = Rp140.250, subtotal Rp1.275.000",
    "Ukuran 60x160 cm, resolusi 150 dpi, mode warna CMYK",
    "Pesanan {id}: 500 lembar brosur A5, 2 sisi, art paper 120",
    "Mesin potong Graphtec macet, pisau perlu diganti",
    "Backup database selesai pukul 23.59, ukuran 1,2 GB",
    "Pelanggan tidak bisa dihubungi, order {id} ditahan",
    "Lunas via transfer, nota dikirim ke email terdaftar",
    "Kemasan kotak nasi motif batik Parang, 1000 pcs",
    "Kalender dinding 2025 desain tema Candi Prambanan",
]

POOL11_NAMES = [
    ("Sinar Hadiningrat", "Sinar"),
    ("Rembulan Kinanti", "Rembulan"),
    ("Tegar Adiwinata", "Tegar"),
    ("Damai Lumbangaol", "Damai"),
    ("Ucok Hasugian", "Ucok"),
    ("Nanang Supriadi", "Nanang"),
    ("Yuyun Wahyuningsih", "Yuyun"),
    ("Ikhsan Datuk Rajo Ameh", "Ikhsan"),
    ("Zulkifli Simabua", "Zulkifli"),
    ("Amiruddin Daeng Rani", "Amiruddin"),
    ("Mamat Sanip", "Mamat"),
    ("Maulidar Ramli", "Maulidar"),
    ("Masrani Anang", "Masrani"),
    ("Dominikus Ajang", "Dominikus"),
    ("Lusiana Ubing", "Lusi"),
    ("Otniel Yikwa", "Otniel"),
    ("Ester Tabuni", "Ester"),
    ("Jacky Sopacua", "Jacky"),
    ("Ivone Sahusilawane", "Ivone"),
    ("Fanny Rompas", "Fanny"),
    ("Jerry Sumampouw", "Jerry"),
    ("Yustinus Seran", "Yustinus"),
    ("Getrudis Bria", "Getrudis"),
    ("Gouw Sian Ling", "Sian Ling"),
    ("Sherly Tanzil", "Sherly"),
    ("Lukito Halim", "Lukito"),
    ("Hilal Aljufri", "Hilal"),
    ("Aisyah Baagil", "Aisyah"),
    ("Waluyo Pranoto", "Waluyo"),
    ("Sriyatun", "Sriyatun"),
    ("Paimin", "Paimin"),
    ("Kuat Sudarmadji", "Kuat"),
    ("Tentrem Rahayuningsih", "Tentrem"),
    ("Ayi Suryana", "Ayi"),
    ("Ade Irawan", "Ade"),
    ("Desak Made Ratnadi", "Desak"),
    ("Kompyang Wirata", "Kompyang"),
    ("Poltak Simanullang", "Poltak"),
    ("Rugun Sinambela", "Rugun"),
    ("Sahat Sianturi", "Sahat"),
    ("Sunday Adeyemi", "Sunday"),
    ("April Castillo", "April"),
    ("Ingrid Solberg", "Ingrid"),
    ("Tomasz Nowak", "Tomasz"),
    ("Tran Thi Mai", "Mai"),
    ("Siobhan Gallagher", "Siobhan"),
    ("Purnama Sidik", "Purnama"),
    ("Mutiara Anjani", "Mutiara"),
]


def _divide(items: list[str] | list[tuple[str, str]], seed: str) -> tuple[list[object], list[object]]:
    """``items`` shuffled (seeded) and dealt alternately to dev2 and heldout2."""
    pool: list[object] = list(items)
    random.Random(seed).shuffle(pool)
    return pool[0::2], pool[1::2]


#: The rounds written after the first: round -> (templates with names, hard negatives, names). Round k's
#: splits are dev<k> and heldout<k>; its own seeds keep every earlier round's lines as they were.
ROUNDS: dict[int, tuple[list[str], list[str], list[tuple[str, str]]]] = {
    2: (FRESH_POSITIVE, FRESH_NEGATIVE, FRESH_NAMES), 3: (POOL3_POSITIVE, POOL3_NEGATIVE, POOL3_NAMES),
    4: (POOL4_POSITIVE, POOL4_NEGATIVE, POOL4_NAMES), 5: (POOL5_POSITIVE, POOL5_NEGATIVE, POOL5_NAMES),
    6: (POOL6_POSITIVE, POOL6_NEGATIVE, POOL6_NAMES), 7: (POOL7_POSITIVE, POOL7_NEGATIVE, POOL7_NAMES),
    8: (POOL8_POSITIVE, POOL8_NEGATIVE, POOL8_NAMES), 9: (POOL9_POSITIVE, POOL9_NEGATIVE, POOL9_NAMES),
    10: (POOL10_POSITIVE, POOL10_NEGATIVE, POOL10_NAMES), 11: (POOL11_POSITIVE, POOL11_NEGATIVE, POOL11_NAMES),
}


def _fresh() -> None:
    for k, (positive, negative, names) in ROUNDS.items():
        seed = "names-corpus" if k == 2 else f"names-corpus-{k}"
        for kind, items in (("positive", positive), ("negative", negative), ("names", names)):
            table = {"positive": POSITIVE, "negative": NEGATIVE, "names": NAMES}[kind]
            table[f"dev{k}"], table[f"heldout{k}"] = _divide(items, f"{seed}-{kind}")  # type: ignore[index]


_fresh()

def username(rnd: random.Random, full: str) -> str:
    parts = full.lower().split()
    return rnd.choice([f"{parts[0]}.{parts[-1]}", f"{parts[0][0]}{parts[-1]}", f"{parts[0]}_{parts[-1]}"])


def order_id(rnd: random.Random) -> str:
    return rnd.choice([f"ORD-{rnd.randint(1000, 99999)}", f"F-{rnd.randint(1000, 9999)}",
                       f"req-{rnd.getrandbits(32):08x}"])


def lines(split: str, rnd: random.Random, per_template: int) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for tpl in POSITIVE[split]:
        for _ in range(per_template):
            full, first = rnd.choice(NAMES[split])
            shown2 = ""
            if "{N2}" in tpl:
                shown2 = rnd.choice([n for n, _ in NAMES[split] if n != full])
            if "{U}" in tpl:
                shown = username(rnd, full)
            elif "{C}" in tpl:
                shown = full.upper()
            elif "{F}" in tpl:
                shown = first
            elif "{L}" in tpl:
                shown = full.lower()
            else:
                shown = full
            text = (tpl.replace("{N2}", shown2).replace("{N}", shown).replace("{F}", shown).replace("{U}", shown)
                    .replace("{C}", shown).replace("{L}", shown))
            out.append({"split": split, "text": text.replace("{id}", order_id(rnd)),
                        "names": [shown, shown2] if shown2 else [shown]})
    for tpl in NEGATIVE[split]:
        for _ in range(per_template if "{id}" in tpl else 1):  # no duplicate lines
            out.append({"split": split, "text": tpl.replace("{id}", order_id(rnd)), "names": []})
    return out


def main() -> None:
    rnd = random.Random(16)
    rows = lines("dev", rnd, 4) + lines("seen", rnd, 4) + lines("heldout", rnd, 4)
    for k in ROUNDS:  # each round's own generator: the earlier rounds' lines stay as they were
        rnd_k = random.Random(1600 + k)
        rows += lines(f"dev{k}", rnd_k, 3) + lines(f"heldout{k}", rnd_k, 3)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    pos = sum(1 for r in rows if r["names"])
    print(f"wrote {OUT.name}: {len(rows)} lines, {pos} with names, {len(rows) - pos} hard negatives")


if __name__ == "__main__":
    main()
