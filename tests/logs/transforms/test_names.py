"""The ``names`` redaction pattern: a table test per rule and per blocker, config, hash and counter,
property tests that IDs/UUIDs/dates/versions/numbers are never altered, bounded work on crafted
lines, and parity of the pure and compiled builds."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from cflexagent.config import ConfigError, decode
from cflexagent.logs.transforms import names as pure_names
from cflexagent.logs.transforms import redaction
from cflexagent.logs.transforms.config import RedactConfig
from cflexagent.logs.transforms.redact import RedactMetrics, Redactor

N = "<redacted:name>"
CORPUS = Path(__file__).resolve().parents[3] / "benchmarks" / "data" / "names_corpus.jsonl"


def cfg(**kw: object) -> RedactConfig:
    return decode(kw, RedactConfig)  # type: ignore[no-any-return]


NAMED = [
    # (rule, text, expected)
    ("list: two names", "order ORD-1001 approved by Budi Santoso", f"order ORD-1001 approved by {N}"),
    ("list: bare unambiguous name", "Kevin uploaded 3 files", f"{N} uploaded 3 files"),
    ("list: two names mid-sentence", "invoice sent to Hendra Gunawan today", f"invoice sent to {N} today"),
    ("list: a common given name, then a common name", "order for Dewi Lestari confirmed", f"order for {N} confirmed"),
    ("list: a common given name at the start", "Dewi Lestari approved the proof", f"{N} approved the proof"),
    ("list: a common given name, then a less common word", "Wulan Sari paid", f"{N} paid"),
    ("list: English given name and surname", "John Smith paid ORD-1", f"{N} paid ORD-1"),
    ("list: two names in no dictionary", "Maruli Simatupang paid", f"{N} paid"),
    ("list: all caps pair", "BUDI SANTOSO approved", f"{N} approved"),
    ("list: a surname in no list after a listed name", "Hendra Kurniawanto approved", f"{N} approved"),
    ("list: apostrophe", "Kevin's proof is ready", f"{N}'s proof is ready"),
    ("list: particle", "Muhammad bin Abdullah paid", f"{N} paid"),
    ("list: value of a text key", "customer=Budi Santoso", f"customer={N}"),
    ("balinese Ni before a name", "Ni Kadek Sukmawati approved the proof", f"{N} approved the proof"),
    ("balinese I before a birth-order word", "pesanan dari I Wayan Sudarsana", f"pesanan dari {N}"),
    ("a given name in no list opening a sentence, a surname and a verb", "Husein Harjono asked for a refund",
     f"{N} asked for a refund"),
    ("a given name in no list after a cue, then a surname", "voucher redeemed by Husein Harjono",
     f"voucher redeemed by {N}"),
    ("a greeting by the time of day before a name and a comma", "Morning Rina, the reprint is ready",
     f"Morning {N}, the reprint is ready"),
    ("I stays out of a name that opens with no Balinese word", "part I Rina Harjono", f"part I {N}"),
    ("title Teh before a name", "Teh Rina minta desain ulang", f"Teh {N} minta desain ulang"),
    ("title Bapak", "Bapak Joko Widodo hadir", f"Bapak {N} hadir"),
    ("title Bpk.", "komplain dari Bpk. Sukmawijaya", f"komplain dari Bpk. {N}"),
    ("title Pak, lower case", "pak budi minta cetak ulang", f"pak {N} minta cetak ulang"),
    ("title Ibu, name in no list", "Pelanggan Ibu Sukmawati minta revisi", f"Pelanggan Ibu {N} minta revisi"),
    ("title Bu", "Halo Bu Ratna", f"Halo Bu {N}"),
    ("title Mas", "Mas Xaverius datang", f"Mas {N} datang"),
    ("title Mbak", "catatan dari Mbak Wulan: tambah logo", f"catatan dari Mbak {N}: tambah logo"),
    ("title Kak", "Halo Kak Budi, file sudah siap", f"Halo Kak {N}, file sudah siap"),
    ("title Sdr.", "kurir menghubungi Sdr. Ujang", f"kurir menghubungi Sdr. {N}"),
    ("title Sdri.", "Sdri. Nining minta invoice", f"Sdri. {N} minta invoice"),
    ("title Hj.", "Hj. Fatimah memesan undangan", f"Hj. {N} memesan undangan"),
    ("title H.", "H. Ahmad Dahlan membayar", f"H. {N} membayar"),
    ("title Mr.", "Mr. Smith approved", f"Mr. {N} approved"),
    ("title Mrs.", "Mrs. Johnson paid", f"Mrs. {N} paid"),
    ("title Ms.", "Ms. Zelinski cancelled", f"Ms. {N} cancelled"),
    ("title Dr.", "Dr. Wirawan asked for a quote", f"Dr. {N} asked for a quote"),
    ("cue by, ambiguous name", "approved by Made", f"approved by {N}"),
    ("cue by, user name", "uploaded by kevin.wijaya", f"uploaded by {N}"),
    ("cue by, lower case", "proof checked by budi", f"proof checked by {N}"),
    ("cue oleh, all caps", "oleh BUDI SANTOSO via WhatsApp", f"oleh {N} via WhatsApp"),
    ("cue oleh, lower case pair", "dibuat oleh budi santoso", f"dibuat oleh {N}"),
    ("cue user, initial glued to a name", "user dnurhaliza logged in", f"user {N} logged in"),
    ("cue user, two glued names", "user budisantoso logged in", f"user {N} logged in"),
    ("cue user, user name with an unlisted piece", "reset by user fatimah.azzahra", f"reset by user {N}"),
    ("cue user, underscore", "user ratna_sari logged in", f"user {N} logged in"),
    ("cue pelanggan", "pelanggan Xiaoling komplain", f"pelanggan {N} komplain"),
    ("cue customer", "revision requested by customer Rina Harahap", f"revision requested by customer {N}"),
    ("cue a.n.", "pembayaran a.n. Siti Aminah diterima", f"pembayaran a.n. {N} diterima"),
    ("cue atas nama", "atas nama Agus Salim, total Rp 250.000", f"atas nama {N}, total Rp 250.000"),
    ("cue Dear", "Dear Made Wirawan, your preview is ready", f"Dear {N}, your preview is ready"),
    ("cue Dear + title", "Dear Mr. Nyoman Sukerta, thanks", f"Dear Mr. {N}, thanks"),
    ("cue Halo", "Halo Xiaoling, file siap", f"Halo {N}, file siap"),
    ("cue Hi", "Hi Grace, we could not process your file", f"Hi {N}, we could not process your file"),
    ("cue From:", "From: Hendra Gunawan", f"From: {N}"),
    ("cue Dari:", "Dari: indah", f"Dari: {N}"),
    ("cue chain: oleh + title", "oleh Ibu Ratna Sari", f"oleh Ibu {N}"),
    ("cue akun, user name", "akun desi.ratnasari dinonaktifkan", f"akun {N} dinonaktifkan"),
    ("cue CS", "CS Aulia membalas chat", f"CS {N} membalas chat"),
    ("cue Thanks", "Thanks Aulia, we received your payment", f"Thanks {N}, we received your payment"),
    ("user name without a cue", "login ok for ratih_kumalasari from the app", f"login ok for {N} from the app"),
    ("dotted user name without a cue", "export by api for hendra.gunawan, done", f"export by api for {N}, done"),
    ("a given name in no list before a listed surname", "reprint approved, Oka Mahendra will pay",
     f"reprint approved, {N} will pay"),
    ("role cue", "desainer Hamzah mengerjakan F-9949", f"desainer {N} mengerjakan F-9949"),
    ("greeting by the time of day", "Selamat siang Rahmat, desain sudah kami revisi",
     f"Selamat siang {N}, desain sudah kami revisi"),
    ("cue signed in as, glued initial", "signed in as rhartono", f"signed in as {N}"),
    ("a given name, a surname in no list, a verb", "Cucu Rohaeti confirmed the pickup time",
     f"{N} confirmed the pickup time"),
    ("names joined after a cue", "reviewed by Ria Amelia and Hana Pertiwi", f"reviewed by {N} and {N}"),
    ("a common given name opening a line, then a noun", "Kevin order ORD-1 siap kirim", f"{N} order ORD-1 siap kirim"),
    ("a name with a surname that is no word, then a noun", "Budi Santoso invoice ORD-1 overdue",
     f"{N} invoice ORD-1 overdue"),
    ("names after an email", "budi@example.com sent by Budi", f"<redacted:email> sent by {N}"),
    ("several names", "Budi Santoso forwarded to Siti Rahayu", f"{N} forwarded to {N}"),
    ("the subject of a sentence: a listed given name before a verb", "Andreas asked for a discount",
     f"{N} asked for a discount"),
    ("the subject: an English-word given name before an auxiliary", "Lily will collect the banners",
     f"{N} will collect the banners"),
    ("the speaker of a line: a listed given name before a colon", "Kenji: sudah saya cek", f"{N}: sudah saya cek"),
    ("the speaker: a given name and a surname in no list before a colon", "Cucu Rohaeti: revisi logo OK",
     f"{N}: revisi logo OK"),
    ("the subject: a given name and a listed surname that is a word", "Hana Pertiwi belum bayar DP",
     f"{N} belum bayar DP"),
    ("a lower-case user name opening a line before a verb", "nhasanah deleted draft F-5808",
     f"{N} deleted draft F-5808"),
    ("a user name after for", "session started for kliang", f"session started for {N}"),
    ("a passive verb's agent", "revisi diminta Kenji Tanaka lewat email", f"revisi diminta {N} lewat email"),
    ("a given name in no list after a cue, then a listed surname that is a word",
     "ulasan dari Yohana Kristiani: bagus", f"ulasan dari {N}: bagus"),
    ("all caps: a surname in no list after a listed name", "diterima oleh KENJI TANAKA di lobi",
     f"diterima oleh {N} di lobi"),
    ("title Om", "Om Joni pesan 5 spanduk", f"Om {N} pesan 5 spanduk"),
    ("role cue sales", "sales Endang follow up ke pelanggan", f"sales {N} follow up ke pelanggan"),
    ("thanks in Indonesian", "terima kasih Dimas, pembayaran sudah kami terima",
     f"terima kasih {N}, pembayaran sudah kami terima"),
    ("Ramadhan is a name after a title", "pesanan untuk Ibu Galih Ramadhan", f"pesanan untuk Ibu {N}"),
    ("two common-word names after a cue, none very common", "From: Ratna Sari", f"From: {N}"),
    ("a name opening a line, then and", "Hendro Saputro dan tim akan datang", f"{N} dan tim akan datang"),
    ("a listed name beside a proper noun in no list, inside a sentence", "WhatsApp sent to Yuki Nakamura today",
     f"WhatsApp sent to {N} today"),
    ("a proper noun in no list, then a listed surname, before a verb", "Desrianti Jambak minta warna pink",
     f"{N} minta warna pink"),
    ("all caps: a listed name beside a proper noun in no list", "PESANAN KETUT SUDIARSA BELUM DATANG",
     f"PESANAN {N} BELUM DATANG"),
    ("a cue inside a bracket", "konfirmasi bayar (a.n. GRANT FAIRWEATHER) cocok", f"konfirmasi bayar (a.n. {N}) cocok"),
    ("particles inside a name after a cue", "ditangani Pieter van der Berg, menunggu",
     f"ditangani {N}, menunggu"),
    ("a title before a name in no list, then a lower-case word that ends it", "Bli Desrianti sudah ambil spanduk",
     f"Bli {N} sudah ambil spanduk"),
    ("title Teh before a name in no dictionary and a verb", "Teh Tiurma minta proof dikirim ulang",
     f"Teh {N} minta proof dikirim ulang"),
    ("a given name that is also a brand's", "Halo Permata, makasih sudah menunggu",
     f"Halo {N}, makasih sudah menunggu"),
    ("names joined by and opening a line", "Suparman Hadiwijoyo and Grant Fairweather both asked",
     f"{N} and {N} both asked"),
    ("the subject before a colloquial verb", "Sumarsono udah oke sama warnanya", f"{N} udah oke sama warnanya"),
    ("a cue before two proper nouns in no list", "penerima: Yelfi Rahmadona, Sleman", f"penerima: {N}, Sleman"),
    ("a very common given name beside a listed surname inside a sentence", "tolong kabari Bunga Rahmadani kalau",
     f"tolong kabari {N} kalau"),
    ("from without a colon before two lower-case names", "WA inbound from wiliam tanujaya re F-4837",
     f"WA inbound from {N} re F-4837"),
    ("to before a user name", "ticket auto-assigned to ratna_hapsari (round-robin)",
     f"ticket auto-assigned to {N} (round-robin)"),
    ("ATTN in capitals", "ATTN HARUTO SATO: PROOF EXPIRES TONIGHT", f"ATTN {N}: PROOF EXPIRES TONIGHT"),
    ("the orderer", "nama pemesan Bunga Rahmadani", f"nama pemesan {N}"),
    ("two lower-case listed names without a cue", "koordinasi dengan rina marlina soal ukuran",
     f"koordinasi dengan {N} soal ukuran"),
    ("a cue as a key, lower case", "penerima=budi santoso, pic=rina", f"penerima={N}, pic={N}"),
    ("a Balinese caste word opens a name of common words", "Gusti Ayu Made Sri approved the layout",
     f"{N} approved the layout"),
    ("a name in no list beside a common given name inside a sentence", "proof sent to Élodie Martin",
     f"proof sent to {N}"),
    ("two names in no list that read like names by their letters", "Rohaeti Wisnawa approved",
     f"{N} approved"),
    ("a name in no list by its letters beside one that is not", "foto dikirim ke Yelfi Rahmadona",
     f"foto dikirim ke {N}"),
    ("a title inside a run of capitalised words", "Permisi Bu Yulianus Rumbiak, kurir sudah di depan",
     f"Permisi Bu {N}, kurir sudah di depan"),
    ("a signature", "Hormat kami, Yakob Wenda - lampiran penawaran", f"Hormat kami, {N} - lampiran penawaran"),
    ("a signature in English", "Best regards, Rina Marlina", f"Best regards, {N}"),
    ("a key ending in _by", "requested_by=yana.mulyana refund=ORD-1 status=pending",
     f"requested_by={N} refund=ORD-1 status=pending"),
    ("a name key and a quote", 'customer_name: "Fince Kogoya", order_id: F-9508',
     f'customer_name: "{N}", order_id: F-9508'),
    ("a Batak title", "Tulang Fince dari Siantar pesan undangan", f"Tulang {N} dari Siantar pesan undangan"),
    ("a single name by its letters after a cue", "Terima kasih, Rahmadona!", f"Terima kasih, {N}!"),
    ("a cc list", "cc: Pelangi Ayuningrum, Yakob Wenda - proof final", f"cc: {N}, {N} - proof final"),
    ("a user name with pieces that read like names after a cue", "2FA disabled for account yulianus_rumbiak",
     f"2FA disabled for account {N}"),
    ("a Balinese caste word in lower case after a cue", "chat masuk dari dewa ayu sukmawati: kak",
     f"chat masuk dari {N}: kak"),
    # where a log's own format says a user name stands
    ("sudo's user", "Mar 12 09:14:02 cflex-pos sudo: elsina.wanimbo : TTY=pts/0 ; PWD=/srv ; USER=root",
     f"Mar 12 09:14:02 cflex-pos sudo: {N} : TTY=pts/0 ; PWD=/srv ; USER=root"),
    ("sshd's accepted user", "sshd[812]: Accepted publickey for otniel.yikwa from 10.0.0.5 port 51234 ssh2",
     f"sshd[812]: Accepted publickey for {N} from 10.0.0.5 port 51234 ssh2"),
    ("PAM's user and the uid's owner",
     "pam_unix(sudo:session): session opened for user root(uid=0) by rhartono(uid=1000)",
     f"pam_unix(sudo:session): session opened for user root(uid=0) by {N}(uid=1000)"),
    ("su's user", "su[920]: (to root) la.harmin on pts/1", f"su[920]: (to root) {N} on pts/1"),
    ("systemd-logind's user", "systemd-logind[411]: New session 5 of user sriyatun.",
     f"systemd-logind[411]: New session 5 of user {N}."),
    ("an access line's remote user", '10.0.3.17 - nadia.alamudi [12/Mar/2024:09:14:02 +0700] "GET / HTTP/1.1" 200 48',
     f'10.0.3.17 - {N} [12/Mar/2024:09:14:02 +0700] "GET / HTTP/1.1" 200 48'),
    ("the quoted value of a name's key", "ValueError: invalid customer_name 'Ali Bahreisy ' in row 14",
     f"ValueError: invalid customer_name '{N} ' in row 14"),
    ("the quoted value of a name's key in Indonesian", 'nama penerima "Getrudis Bria" tidak sesuai',
     f'nama penerima "{N}" tidak sesuai'),
    ("a Butonese title", "Sudah dikonfirmasi oleh La Ode Harmin via WA", f"Sudah dikonfirmasi oleh {N} via WA"),
    ("the author of a quoted e-mail", "On Tue, 12 Mar 2024 at 10:41, Elsina Wanimbo wrote: > send the PDF",
     f"On Tue, 12 Mar 2024 at 10:41, {N} wrote: > send the PDF"),
    ("the author of a quoted e-mail before an address", "Pada 12 Mar 2024, Otniel Yikwa <oy@example.id> menulis:",
     f"Pada 12 Mar 2024, {N} <<redacted:email>> menulis:"),
    ("a title before words that also make a village's name", "Pak Fajar Harapan sudah bayar",
     f"Pak {N} sudah bayar"),
    ("a month that is a given name before a listed name", "Mei Ling belum transfer, order ditahan",
     f"{N} belum transfer, order ditahan"),
    ("a month that is a given name after a greeting", "Hi Mei Ling, your banner is ready",
     f"Hi {N}, your banner is ready"),
    ("a word in lower case after a titled name ends it", "Bu Ratna tanya apakah bisa", f"Bu {N} tanya apakah bisa"),
    ("a word in no list as the subject of a person's verb", "Ticket F-3858 reopened; Yosias says it is too dark",
     f"Ticket F-3858 reopened; {N} says it is too dark"),
    ("a word in no list before 'minta'", "escalated ke supervisor, Otniel minta refund full",
     f"escalated ke supervisor, {N} minta refund full"),
    ("a given name that is a common word, subject of a person's verb", "Bunga said the laminate looks darker",
     f"{N} said the laminate looks darker"),
    ("the same after a colon", "Reminder: Made cuti tanggal 12-14", f"Reminder: {N} cuti tanggal 12-14"),
    ("a user name with a piece in no list, subject of a verb", "audit: andi.pawelloi changed price list",
     f"audit: {N} changed price list"),
    ("a possessive opening a line before a noun", "Jeffry's file is still in the RIP queue",
     f"{N}'s file is still in the RIP queue"),
    ("a word in no list after a role, before any verb", "Kurir Yosias belum update resi",
     f"Kurir {N} belum update resi"),
    ("two words in no list inside a sentence", "package handed to Tumini Sastrodiharjo at front desk",
     f"package handed to {N} at front desk"),
    ("a user name with a piece in no list after 'for'", "INFO rendering F-8854.pdf for andi.pawelloi",
     f"INFO rendering F-8854.pdf for {N}"),
    ("a chat speaker's user name after the time", "[09:10] yermias_tefa: udh sy upload ulang",
     f"[09:10] {N}: udh sy upload ulang"),
    ("a chat speaker's common given name after the time", "[10:01] budi: ok siap", f"[10:01] {N}: ok siap"),
    ("an initial glued to a listed surname after 'to'", "Assigned ORD-49604 to fsondakh; due 16:00",
     f"Assigned ORD-49604 to {N}; due 16:00"),
]

UNTOUCHED = [
    # (blocker, text)
    ("organisation PT", "PT Budi Jaya Abadi invoice F-5258 overdue"),
    ("organisation CV", "CV Maju Bersama paid"),
    ("organisation suffix", "Santoso Group Ltd order"),
    ("street Jl.", "alamat Jl. Sudirman No. 5"),
    ("street Jalan", "kirim ke Jalan Gatot Subroto"),
    ("airport", "Bandara Soekarno-Hatta banner delivered"),
    ("university", "Universitas Gadjah Mada request quote"),
    ("bank", "Bank Mandiri transfer confirmed"),
    ("shop", "Toko Sinar Jaya restock paper"),
    ("two common words, no common given name first", "stock of Sinar Jaya envelopes low"),
    ("two common words: brand", "Mawar Merah wedding invitation template"),
    ("two common words: shop", "Cetakan Sinar Dunia terlalu pucat"),
    ("common given name, then a very common word", "Lestari Alam brand guideline PDF"),
    ("common words, one a name elsewhere", "Harapan Baru foundation calendar"),
    ("organisation noun after the run", "Ayu Lestari bakery box print"),
    ("organisation noun two words after", "Dewi Lestari gift shop label"),
    ("a rare list entry alone", "Mie Sedaap carton label approved"),
    ("place word in a run", "Bogor Nirwana Residence brochure"),
    ("place after a greeting", "Hi Jakarta, promo spesial"),
    ("customer tier after a cue", "customer Corporate tier upgraded"),
    ("identifiers of common words", "max_retries reached; file.size, grace_period, self.assertEqual"),
    ("a comma after a title", "Halo Kak, ada yang bisa dibantu?"),
    ("common words opening a line, then a noun", "Ayu Sari spa menu"),
    ("a common given name and a common word opening a line, then a noun", "Lestari Jaya minyak goreng label"),
    ("a ranked name that is no common given name, opening a line, then a noun", "Misty Morning invitation theme"),
    ("customer type after a cue", "pelanggan Reseller dapat harga khusus"),
    ("product word opens the run", "Kertas Samson 90 gsm, Tinta Galaxy refill"),
    ("as without a login before it", "such as budi, as expected"),
    ("time of day before lower case", "kirim sore hari ini, pagi besok"),
    ("domain of a name", "santoso.id is the shop domain, budi.com too"),
    ("holiday", "Hari Raya Idul Fitri: produksi libur"),
    ("title + place", "Ibu Kota Nusantara project brochure"),
    ("city", "shipment from Surabaya to Medan"),
    ("month en", "Grace period ends in May"),
    ("month id", "deadline 12 Januari 2026, Agustus promo"),
    ("weekday", "Jadwal cetak Rabu pagi, kirim Kamis sore"),
    ("weekday en", "Sent on Friday from the warehouse"),
    ("sentence-initial common word", "Made changes to the print layout"),
    ("sentence-initial common word id", "Bagus, file sudah diterima"),
    ("common word alone", "Will retry in 5 seconds"),
    ("two English words", "Summer Sale poster approved"),
    ("phrase", "Terima Kasih sudah order"),
    ("id with digits", "file F-9983 and ORD-1001 done"),
    ("word glued to digits", "user Budi2 and Kevin-7 and Siti_3"),
    ("path", "GET /home/Budi/orders/Kevin HTTP/1.1"),
    ("windows path", r"C:\Users\Budi\Desktop"),
    ("domain", "https://kevin.example.com/Siti"),
    ("error class", "ValueError: invalid literal for int() with base 10"),
    ("java class", "java.lang.NullPointerException at PreviewService.render"),
    ("http line", '"GET /api/orders HTTP/1.1" 200 512 "-" "Mozilla/5.0 (X11; Linux x86_64)"'),
    ("cue + stop word", "sorted by name, page 2"),
    ("cue + default", "by default the proof is A4"),
    ("cue + id", "processed by worker-3"),
    ("Dear + stop", "Dear Customer, your order has shipped"),
    ("Dear + phrase", "Dear Valued Customer, thanks for waiting"),
    ("greeting + stop", "Halo semua, maintenance malam ini"),
    ("user + stop", "user not found: id 4412"),
    ("title + role", "Pak RT approved the banner, Bu Lurah too"),
    ("dotted title without dot", "level H reached"),
    ("colon cue without colon", "loaded from cache Jaya"),
    ("English word after cue", "signed by will"),
    ("user name without a listed piece after cue", "uploaded by file.size"),
    ("camel case", "GoSend WhatsApp iPhone McDonald"),
    ("mask", "<redacted:email> and <name:0123456789abcdef>"),
    ("a greeting by the time of day without a comma: a product", "Evening Star theme chosen"),
    ("a title that is also a product word, before no name", "Teh Pucuk Harum promo poster"),
    ("a dictionary word in no name list after a greeting", "Dear Valued Partner, Halo Sobat CFlex"),
    ("a dictionary word after a plain cue", "atas nama Perusahaan"),
    ("a dictionary word after names in a run: a firm", "Adi Karya Konstruksi banner"),
    ("a dictionary word after a cue that is also a cue", "user Admin logged out"),
    ("a place word opening a run, an organisation noun after it", "Tanjung Duren office reprint"),
    ("a warehouse", "dikirim dari Gudang Utama, diambil dari Gudang Cikarang"),
    ("common words after a plain cue, one very common", "pesanan dari Jaya Abadi sudah dicetak"),
    ("names opening a line before a product noun", "Bintang Kejora award certificate printed"),
    ("a brand opening a line before two nouns", "Sri Rejeki Isman textile labels"),
    ("a product word in mixed case", "Roland VersaCAMM head cleaning done"),
    ("an Indonesian word opening a sentence before a verb", "Rezeki tidak ke mana, order naik"),
    ("a very common word opening a sentence before a colon", "Mark: as read"),
    ("a lower-case word opening a line before a verb", "logged out after 5 minutes; backup completed"),
    ("for before a lower-case listed name", "waiting for budi"),
    ("a product's name opening a line: a listed word beside a word in no list",
     "Galih Sablonex 58 mm, Kain Galih Sablonex"),
    ("a place after a label", "zona kirim: Cempaka Baru, area: Kramat Jati"),
    ("a title-case heading", "Print Job Queued; Order Summary Updated"),
    ("a phrase whose second word is a cue", "Terima Kasih sudah order di CFlex"),
    ("a holiday of two words in no list", "Libur Isra Miraj: Kamis"),
    ("a very common word after a role cue", "Jl. Surya Kencana: kurir susah parkir"),
    ("a role after a title", "Mas Ojol nunggu di depan"),
    ("from and to without a colon before common words", "copied from cache to disk, sent to max_retries"),
    ("a very common given name beside a word in no list inside a sentence", "cetak Art Carton 260 gsm"),
    ("lower-case words of a sentence, some listed", "hasil cetak sudah rapi, warna merah agak pudar"),
    ("a Balinese word opening a product's name", "Made In Indonesia label"),
    ("a holiday that reads like a name", "Libur Isra Miraj dan Maulid"),
    ("words in no list that do not read like names", "Spunbond Queued Kebayoran"),
    ("a name key without its colon", "sorted by name, page 2; file name too long"),
    ("kami without hormat", "kami sudah kirim, Kami Sudah Cek"),
    ("a title inside an organisation's run", "Warung Bu Tini Catering order"),
    ("a greeting by the time of day inside a run", "Misty Morning Glory theme"),
    ("system accounts where a login line has a user", "sudo:   deploy : TTY=pts/0 ; PWD=/srv ; USER=root"),
    ("a service account's pieces", "sshd[812]: Accepted publickey for svc_backup from 10.0.0.5 port 22 ssh2"),
    ("no remote user", '10.0.3.17 - - [12/Mar/2024:09:14:02 +0700] "GET /api/orders HTTP/1.1" 200 48'),
    ("a name's key with no name in its value", "invalid customer_name 'unknown' in row 3, nama file 'proof v2'"),
    ("an e-mail from a team", "On Mon, 11 Mar 2024, CFlex Support Team wrote: > ok"),
    ("a village's name of two words", "Kirim ke Lenteng Agung, dekat stasiun"),
    ("a month before a very common word or a year", "Promo Mei Lalu sudah habis, laporan Mei 2024 selesai"),
    ("a place's name after a cue that is no title", "Reseller baru dari Labuan Bajo dan Toraja"),
    ("a service as the subject of a person's verb", "Xendit minta verifikasi ulang, Tokopedia minta dokumen"),
    ("a software word as the subject of a person's verb",
     "Webhook minta ulang; Backend says 502; Cronjob minta restart"),
    ("a word in no list before a verb any subject takes", "Pembayaran belum masuk, Laminasi belum kering"),
    ("a role before a software word", "Admin Sftp sedang cek"),
    ("a request's opening word before a person's verb", "Jangan lupa konfirmasi, Mohon izin cek ulang"),
    ("an organisation before a person's verb", "CV Jaya minta penawaran"),
    ("dotted identifiers before a verb", "config.reload failed, log.rotate updated, cache.redis failed"),
    ("a system account or a word speaking in a chat line", "[12:00] cron: job done"),
    ("a given name that is a common word speaking in a chat line", "[10:01] indah: hasilnya bagus"),
    ("two words in no list before a product noun", "cetak ulang Tumini Sastrodiharjo banner promo"),
    ("two words in no list opening a sentence", "Konica Minolta printer offline. Sastrodiharjo Tumini"),
    ("identifiers after 'for' and 'to'", "waiting for cache.flush, switched to log.rotate, ran for job_runner"),
    ("words in no list after 'to' that split into names", "could not connect to server, kirim ke rumah"),
]


@pytest.mark.parametrize(("rule", "text", "expected"), NAMED, ids=[r for r, _, _ in NAMED])
def test_name_redacted(redactor: Redactor, rule: str, text: str, expected: str) -> None:
    assert redactor.redact_text(text) == expected
    assert redactor.counts.get("name", 0) == expected.count(N)


@pytest.mark.parametrize(("blocker", "text"), UNTOUCHED, ids=[b for b, _ in UNTOUCHED])
def test_not_a_name_untouched(redactor: Redactor, blocker: str, text: str) -> None:
    assert redactor.redact_text(text) is text
    assert "name" not in redactor.counts


def test_names_in_json_free_text_and_query_strings(redactor: Redactor) -> None:
    rec = {"ts": "2026-11-26T10:15:00Z", "order_id": "ORD-1001", "msg": "approved by Budi Santoso",
           "ctx": {"note": "Halo Kak Siti"}, "status": "sent to Budi Santoso"}
    out = redactor.redact_record(rec)
    assert out["msg"] == f"approved by {N}" and out["ctx"] == {"note": f"Halo Kak {N}"}
    assert out["status"] == rec["status"]  # allowlisted: never scanned
    assert redactor.redact_text('"GET /search?q=Budi+Santoso&page=2 HTTP/1.1"') == (
        f'"GET /search?q={N}&page=2 HTTP/1.1"')
    assert redactor.redact_text("GET /s?who=Kevin HTTP/1.1") == f"GET /s?who={N} HTTP/1.1"


def test_allow_and_extra_names() -> None:
    r = redaction.Redactor(cfg(names_allow=["Kevin", "Bintang Jaya"], names_extra=["Qiraniel", "Indah"]))
    assert r.redact_text("Kevin uploaded") == "Kevin uploaded"  # an allowed word, wherever it stands
    assert r.redact_text("banner Bintang Jaya and Indah Sari") == f"banner Bintang Jaya and {N}"
    assert r.redact_text("sent to Qiraniel, then Indah") == f"sent to {N}, then {N}"
    assert redaction.Redactor(RedactConfig()).redact_text("sent to Qiraniel, then Indah") == (
        "sent to Qiraniel, then Indah")


def test_names_off() -> None:
    r = redaction.Redactor(cfg(patterns=["email"]))
    assert r.redact_text("approved by Budi Santoso") == "approved by Budi Santoso"


@pytest.mark.parametrize(("raw", "message"), [
    ({"names_allow": ["ORD1001"]}, "names_allow"),
    ({"names_extra": ["  "]}, "names_extra"),
    ({"rules": [{"name": "name", "regex": "x"}]}, "reserved"),
])
def test_config_validation(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        cfg(**raw)


def test_hash_mode_correlates_one_person() -> None:
    r = redaction.Redactor(cfg(pattern_action="hash"), key=b"z" * 32)
    a = r.redact_text("approved by Budi Santoso")
    b = r.redact_text("BUDI SANTOSO paid")
    token = re.fullmatch(r"approved by (<name:[0-9a-f]{16}>)", a)
    assert token is not None and b == f"{token[1]} paid"
    assert r.redact_text("approved by Siti Rahayu") != a


def test_counted_as_rule_name() -> None:
    reg = CollectorRegistry()
    m = RedactMetrics(reg)
    r = redaction.Redactor(RedactConfig(), counts=m.counts_for("app"))
    r.redact_text("Budi Santoso and Siti Rahayu")
    assert reg.get_sample_value("cflexagent_log_redactions_total", {"source": "app", "rule": "name"}) == 2


def test_shipped_places_record_their_source_and_licence() -> None:
    from importlib import resources

    text = resources.files("cflexagent").joinpath("data/places.tsv").read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("idn-area-data 4.0.1" in h for h in header)
    assert any("Open Database License 1.0" in h for h in header)
    places = pure_names.parse_places(text)
    finder = pure_names.NameFinder(pure_names.shipped_names(), use_model=False, places=places)
    for phrase in ("lenteng agung", "labuan bajo", "fajar harapan"):
        words = phrase.split()
        assert finder.place_at(["ke", *words, "dekat"], 1) == len(words), phrase
    assert finder.place_at(["lenteng", "raya"], 0) == 0  # (an opening word alone is no place)
    # A village named like a person ("Selamet Raharjo"): left out, the names pattern reads it as a name.
    assert "selamet raharjo" not in places


def test_shipped_list_records_its_source() -> None:
    from importlib import resources

    text = resources.files("cflexagent").joinpath("data/names.tsv").read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("names-dataset 3.3.1" in h and "MIT" in h for h in header)
    names = pure_names.parse_names(text)
    assert len(names) > 20_000
    # Indonesian (several regions and origins) and international names are in it; places are not.
    for name in ("budi", "santoso", "siti", "wayan", "ketut", "siregar", "nasution", "tan", "lim", "ahmad",
                 "kevin", "john", "maria"):
        assert names.get(name, 0) & (pure_names.GIVEN | pure_names.SURNAME), name
    for place in ("jakarta", "surabaya", "bandung", "indonesia"):
        assert names.get(place) == pure_names.PLACE, place
    assert "honda" not in names
    # The flags that weigh a word: common words, the commonest given names, ranked names.
    for word in ("sinar", "harapan", "mawar", "lestari", "alam", "jaya"):
        assert names[word] & pure_names.WORD, word
    for word in ("alam", "jaya", "merah", "harapan"):
        assert names[word] & pure_names.VERY_COMMON, word
    for first in ("budi", "dewi", "siti", "agus", "john"):
        assert names[first] & pure_names.POPULAR, first
    for word in ("sinar", "harapan", "alam", "putri", "indah", "made", "will"):
        assert not names.get(word, 0) & pure_names.POPULAR, word
    # Common words in no name list, for the detector to know as words; blocked words are none.
    for word in ("valued", "logged", "konstruksi", "perusahaan"):
        assert names.get(word, 0) & pure_names.COMMON or word in pure_names.ORG, word
    for word in ("van", "bank", "dear", "oleh"):
        assert not names.get(word, 0) & pure_names.COMMON, word
    # The list is built with the detector's words that have a role (packaging/build_names.py blocks
    # them): none is a name or a common word, so a word added to a role needs the list rebuilt.
    roles = (pure_names.TITLES | pure_names.CUES | pure_names.STRONG_CUES | pure_names.STOP | pure_names.ORG
             | pure_names.CALENDAR | pure_names.PARTICLES)
    stale = sorted(w for w in roles if names.get(w, 0) & (pure_names.GIVEN | pure_names.SURNAME | pure_names.COMMON))
    assert not stale, f"rebuild data/names.tsv (packaging/build_names.py): {stale}"


def test_shipped_trigrams_are_trained_on_the_shipped_list() -> None:
    from importlib import resources

    text = resources.files("cflexagent").joinpath("data/name_grams.tsv").read_text(encoding="utf-8")
    assert text == pure_names.format_grams(pure_names.train_grams(pure_names.shipped_names()))
    grams = pure_names.shipped_grams()
    # Names in no list read like names by their letters; dictionary words and places do not.
    for name in ("rahmadona", "wisnawa", "sukmawati", "hadiwijoyo", "rohaeti"):
        assert pure_names.name_score(grams, name) >= pure_names.NAME_LIKE, name
    for word in ("spunbond", "cikarang", "kebayoran", "queued", "printer", "invoice"):
        assert pure_names.name_score(grams, word) < pure_names.NAME_LIKE, word


# -- nginx access lines -----------------------------------------------------------

_CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
           "Safari/537.36")


@pytest.mark.parametrize("impl", ["pure", "compiled"])
def test_nginx_access_lines_names_only_where_they_can_stand(impl: str) -> None:
    # The names pattern reads remote_user (as a user name) and query values (path, referer), never
    # the request line, status or user agent; the other patterns read the whole line as ever.
    from cflexagent.logs.parsers.text import NGINX_COMBINED, compile_nginx_format, parse_nginx_access
    from cflexagent.logs.transforms import NAME_FIELDS, names, redact
    from tests.test_compiled import compiled

    red_mod, names_mod = (compiled(redact), compiled(names)) if impl == "compiled" else (redact, names)
    finder = names_mod.NameFinder(names_mod.shipped_names())
    r = red_mod.Redactor(RedactConfig(), names=finder, name_fields=NAME_FIELDS["nginx_access"])
    named = (f'203.0.113.9 - budi.santoso [26/Nov/2026:10:15:00 +0700] "GET /search?q=Dewi+Lestari HTTP/1.1" 200 5 '
             f'"https://shop.example/?ref=Kevin" "{_CHROME} Kevin/1.0"')
    clean = f'203.0.113.9 - - [26/Nov/2026:10:15:00 +0700] "GET /Kevin/Budi HTTP/1.1" 404 5 "-" "{_CHROME}"'
    phone = f'203.0.113.9 - - [26/Nov/2026:10:15:00 +0700] "GET /wa?to=6281234567890 HTTP/1.1" 200 5 "-" "{_CHROME}"'
    rx = compile_nginx_format(NGINX_COMBINED)
    texts = [named, clean, phone]
    records = [parse_nginx_access(rx, t)[1] for t in texts]  # type: ignore[index]
    out = r.redact_batch([t.encode() for t in texts], records, False, json.dumps)
    assert out is not None
    lines, fields = out
    assert lines[0].decode() == (
        f'203.0.113.9 - {N} [26/Nov/2026:10:15:00 +0700] "GET /search?q={N} HTTP/1.1" 200 5 '
        f'"https://shop.example/?ref={N}" "{_CHROME} Kevin/1.0"')
    assert fields[0]["remote_user"] == N and fields[0]["path"] == f"/search?q={N}"  # type: ignore[index]
    assert fields[0]["user_agent"] == records[0]["user_agent"]  # type: ignore[index]
    assert lines[1] == clean.encode() and fields[1] is records[1]  # nothing to mask: the fields are not read
    assert "to=<redacted:phone>" in lines[2].decode() and fields[2]["path"] == "/wa?to=<redacted:phone>"  # type: ignore[index]
    assert r.counts == {"name": 3, "phone": 1}
    # Other text formats: the whole line, as before.
    r2 = red_mod.Redactor(RedactConfig(), names=finder)
    assert r2.redact_batch([b"approved by Budi Santoso"], [None], False, json.dumps) == (
        [f"approved by {N}".encode()], [None])


def test_only_nginx_access_sources_narrow_the_names_scan() -> None:
    from cflexagent.logs.transforms import NAME_FIELDS, build_redactor

    assert set(NAME_FIELDS) == {"nginx_access"}
    r = build_redactor("web", RedactConfig(), None, b"", "nginx_access")
    assert r.redact_text("approved by Budi Santoso", False) == "approved by Budi Santoso"
    assert build_redactor("app", RedactConfig(), None, b"", "raw").redact_text("by Budi Santoso") == f"by {N}"


# -- properties ---------------------------------------------------------------

#: Context words that make the detector look hardest at what follows them.
_context = st.sampled_from(["by", "oleh", "user", "pelanggan", "a.n.", "Dear", "Halo", "Pak", "Ibu", "Mr.",
                            "From:", "Budi", "Kevin", "Siti Rahayu", "sent to", "order", "-", ",", "="])
ids = st.one_of(
    st.from_regex(r"(req|ORD|F|job|usr|INV|PO)-[0-9A-Za-z]{1,16}", fullmatch=True).filter(
        lambda s: any(c.isdigit() for c in s)),
    st.uuids().map(str),
    st.uuids().map(lambda u: str(u).upper()),
    st.datetimes().map(lambda t: t.isoformat()),
    st.datetimes().map(lambda t: t.strftime("%d/%b/%Y:%H:%M:%S")),
    st.datetimes().map(lambda t: t.strftime("%Y-%m-%d %H:%M:%S")),
    st.tuples(st.integers(0, 99), st.integers(0, 99), st.integers(0, 999)).map(lambda v: f"v{v[0]}.{v[1]}.{v[2]}"),
    st.integers(0, 10**12).map(str),
    st.integers(0, 10**6).map(lambda n: f"{n}ms"),
    st.from_regex(r"[A-Z][a-z]{2,8}[0-9]{1,4}", fullmatch=True),  # Budi2, Kevin77: words glued to digits
)
PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(parts=st.lists(st.tuples(_context, ids), min_size=1, max_size=5), sep=st.sampled_from([" ", ", ", " | "]))
def test_ids_dates_versions_numbers_never_altered_next_to_cues(parts: list[tuple[str, str]], sep: str) -> None:
    r = redaction.Redactor(cfg(patterns=["names"]))  # (the names pattern alone: "3395 3397 3399 1" is a card's form)
    for ctx, value in parts:
        out = r.redact_text(f"{ctx} {value}")
        assert value in out, (ctx, value, out)
    text = sep.join(v for _, v in parts)
    assert r.redact_text(text) == text


_titles = st.sampled_from(["Bapak", "Pak", "Ibu", "Bu", "Mas", "Mbak", "Kak", "Sdr.", "Mr.", "Mrs.", "Dr."])
_unlisted = st.from_regex(r"[BCDFGJKLMNPRSTWYZ][aeiou][bdgklmnprst][aeiou][a-z]{2,6}", fullmatch=True)


@PROPS
@given(title=_titles, name=_unlisted, tail=st.sampled_from([" minta revisi", ", thanks", "", " paid ORD-1"]))
def test_a_title_makes_any_capitalised_word_a_name(title: str, name: str, tail: str) -> None:
    r = redaction.Redactor(RedactConfig())
    out = r.redact_text(f"note: {title} {name}{tail}")
    assert name not in out and out.endswith(tail)


# -- crafted lines ---------------------------------------------------------------


@pytest.mark.parametrize("unit", ["Budi ", "by ", "Pak ", "Dear Mr. ", "a.n. ", "Budi Santoso, ", "Xy ",
                                  "kevin.wijaya.", "A" * 50, "PT Budi ", "user budisantosobudisantoso ",
                                  "kevin.wijaya ", "zkevin.wijaya ", "Oka Mahendra, ", "Sinar Jaya "])
def test_crafted_lines_cost_linear_time(unit: str) -> None:
    finder = pure_names.NameFinder(pure_names.shipped_names())

    def cost(n: int) -> float:
        text = unit * n
        t0 = time.process_time()
        finder.spans(text)
        return time.process_time() - t0

    small, big = cost(2_000), cost(16_000)
    assert big < 2.0  # 16,000 repeats in well under two seconds, pure Python
    assert big < 8 * 5 * max(small, 1e-3)  # 8x the text: linear, with room for a noisy machine


@pytest.mark.parametrize("shape", ["Xy " * 8_000 + "Sinar", "Xy Sinar " * 4_000, "Sinar Jaya. " * 4_000,
                                   "Wulandari (" * 8_000, "rina " * 8_000, "Sari ada " * 16_000])
def test_the_model_costs_linear_time_on_long_runs(shape: str) -> None:
    """A run of capitalised words is read once, however long, with the name-like word anywhere."""
    finder = pure_names.NameFinder(pure_names.shipped_names())
    t0 = time.process_time()
    finder.spans(shape)
    assert time.process_time() - t0 < 2.0


def test_long_line_finds_every_name() -> None:
    r = redaction.Redactor(RedactConfig())
    out = r.redact_text("approved by Budi Santoso; " * 5000)
    assert "Budi" not in out and r.counts["name"] == 5000


# -- the model ----------------------------------------------------------------

#: Names the rules leave and the model takes: (what it shows, text, what is redacted).
MODEL_NAMED = [
    ("names in a roster after a colon", "Shift pagi: Sutarmi Wulandari (packing)",
     f"Shift pagi: {N} (packing)"),
    ("a quoted name in an error", "duplicate record 'Kusnadi Simbolon' in row 3",
     f"duplicate record '{N}' in row 3"),
    ("a lower-case listed name opening a sentence before a verb", "kevin uploaded a file",
     f"{N} uploaded a file"),
    ("a lower-case Balinese name after its birth-order words", "penerima ni made suartini, alamat kurang lengkap",
     f"penerima ni made {N}, alamat kurang lengkap"),
]
#: What the model does not take, whatever its weights say: the rules' blockers.
MODEL_UNTOUCHED = [
    ("an organisation's run", "Shift pagi: PT Sutarmi Wulandari (packing)"),
    ("a word in mixed case in the run", "Shift pagi: Sutarmi VersaCAMM (packing)"),
    ("mixed case", "duplicate record 'McKusnadi' in row 3"),
    ("a word glued to an ID", "invalid customer_name 'Kusnadi-5521' in row 3"),
    ("a short lower-case listed word", "kernel: nvme0n1: I/O error, dev nvme0n1, sector 88123"),
]


def _finder(use_model: bool) -> pure_names.NameFinder:
    return pure_names.NameFinder(pure_names.shipped_names(), use_model=use_model)


def _taken(finder: pure_names.NameFinder, text: str) -> list[str]:
    sp = finder.spans(text)
    return [text[sp[i]:sp[i + 1]] for i in range(0, len(sp), 2)]


@pytest.mark.parametrize(("rule", "text", "expected"), MODEL_NAMED, ids=[r for r, _, _ in MODEL_NAMED])
def test_model_takes_names_the_rules_leave(redactor: Redactor, rule: str, text: str, expected: str) -> None:
    assert _taken(_finder(False), text) == []
    assert redactor.redact_text(text) == expected
    off = redaction.Redactor(cfg(names_model=False))
    assert off.redact_text(text) == text  # names_model = false: the rules alone


@pytest.mark.parametrize(("blocker", "text"), MODEL_UNTOUCHED, ids=[b for b, _ in MODEL_UNTOUCHED])
def test_model_keeps_the_rules_blockers(redactor: Redactor, blocker: str, text: str) -> None:
    assert redactor.redact_text(text) is text


def test_model_places_every_word_against_the_rules_spans() -> None:
    """A word the gate skips ("Wulandari's.") still moves it along: the later "Wulandari" is not taken for
    the copy inside the rules' span, so the model still reads the line."""
    for text in ("Ibu Dewi Wulandari's. Shift pagi: Sutarmi Wulandari (packing)",
                 "Dear Ibu Sutarmi-Wulandari, Shift pagi: Sutarmi Wulandari (packing)"):
        assert _taken(_finder(True), text)[-1] == "Sutarmi Wulandari"


def test_model_keeps_the_users_allowed_phrases() -> None:
    finder = pure_names.NameFinder(pure_names.shipped_names(), allow=["Kusnadi Simbolon"])
    assert _taken(finder, "invalid customer_name 'Kusnadi Simbolon' in row 3") == []
    assert _taken(_finder(True), "invalid customer_name 'Kusnadi Simbolon' in row 3") == ["Kusnadi Simbolon"]


def test_model_keeps_no_long_word() -> None:
    """Caches hold at most 4,096 words of at most 40 letters each: crafted long words cost no memory."""
    finder = _finder(True)
    for i in range(300):
        finder.spans(f"Sari ada {'qwertyuiopasdfghjklzxcvbnm'[i % 26] * 5_000} Wulandari {'Z' + 'x' * 3_000}")
    model = finder.model
    assert model is not None
    kept = [*model._cache, *model._gates]  # (the words the model read; the gate's verdicts)
    assert "Wulandari" in kept and max(map(len, kept)) <= 40
    assert all(len(w) <= 40 for w in finder._like)


def test_rules_alone_pair_no_lower_case_names_across_a_comma() -> None:
    assert _taken(_finder(False), "rina, marlina") == []


def _model_lines() -> list[Any]:
    model = _finder(True).model
    assert model is not None
    return [(model, model.line(t)) for t in _corpus_texts()]


def test_model_adds_up_the_weights_of_exactly_the_features_it_was_trained_on() -> None:
    """``spans`` sums weights cached per word and per run (``_fast``); training reads ``features``.
    On every candidate of the corpus both give the same logit and the same veto, and most features
    the reader gives have a weight (the shipped model was trained on this reader's features)."""
    checked = weighted = total = 0
    for model, ln in _model_lines():
        runs: dict[int, tuple[float, int]] = {}
        for i in range(len(ln.words)):
            if not model.candidate(ln, i):
                continue
            feats = model.features(ln, i)
            logit, veto = model._fast(ln, i, runs)
            assert logit == pytest.approx(model.score(feats), abs=1e-9), (ln.s, ln.words[i])
            assert veto == model.vetoed(feats), (ln.s, ln.words[i])
            checked += 1
            total += len(feats)
            weighted += sum(1 for f in feats if f in model._weights)
    assert checked > 5000
    assert weighted / total > 0.9


def test_shipped_model_weights_name_features_the_reader_gives() -> None:
    from importlib import resources

    text = resources.files("cflexagent").joinpath("data/name_model.tsv").read_text(encoding="utf-8")
    assert "packaging/train_names.py" in text.split("\n", 3)[1]  # who built it
    weights = pure_names.parse_weights(text)
    families = {k.partition("=")[0] for k in weights}
    seen: set[str] = set()
    for model, ln in _model_lines():
        for i in range(len(ln.words)):
            if model.candidate(ln, i):
                seen.update(f.partition("=")[0] for f in model.features(ln, i))
    assert families - seen - {"bias"} == set()  # no weight for a feature the reader no longer gives
    assert -10 < weights["bias"] < 10 and len(weights) > 1000


def test_model_word_cache_stays_bounded() -> None:
    finder = _finder(True)
    model = finder.model
    assert model is not None
    for i in range(10_000):
        finder.spans(f"Shift pagi: {chr(65 + i % 26)}{'abcdefghij'[i % 10]}{i:x}x Wulandari")
        finder.spans(f"Shift pagi: Wulandari Q{''.join(chr(97 + int(d)) for d in str(i))}")
    assert len(model._cache) <= 4096


# -- parity -------------------------------------------------------------------


def _corpus_texts() -> list[str]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]
    return ([str(r["text"]) for r in rows] + [t for _, t, _ in NAMED] + [t for _, t in UNTOUCHED]
            + ["", "x" * 300, "ünïcode Ölaf Ærø", "by", "Pak", "Dear Mr.", "a.n.", "oleh ", "user .", "By: ,"])


def test_compiled_name_finder_gives_exactly_what_the_pure_one_gives() -> None:
    from tests.test_compiled import compiled

    mod = compiled(pure_names)
    texts = _corpus_texts()

    def run(impl: Any) -> list[list[int]]:
        finder = impl.NameFinder(impl.shipped_names(), ["Bintang Jaya", "Kevin"], ["Qiraniel"])
        return [finder.spans(t) for t in texts]

    got, want = run(mod), run(pure_names)
    assert got == want
    assert sum(1 for spans in got if spans) > 200  # the corpus exercises the rules


_WORDISH = st.text(alphabet=st.sampled_from(list("abcAB'’-_.:@/\\( 1x9éÀ×÷ßÿĀ한²٣\u0301ªµ\t")), max_size=12)


@pytest.mark.parametrize("impl", ["pure", "compiled"])
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_WORDISH, at=st.integers(min_value=0, max_value=13))
def test_hand_scanned_word_ends_where_the_word_regex_does(impl: str, text: str, at: int) -> None:
    """``_word_end`` (a hand scan, cheaper than the regex engine's set-up) is ``_WORD.match``: letters,
    inner apostrophes, joined pieces, and no end glued to a word, a path, a call or a number."""
    from tests.test_compiled import compiled

    mod = compiled(pure_names) if impl == "compiled" else pure_names
    m = pure_names._WORD.match(text, at)
    assert mod._word_end(text, at) == (m.end() if m is not None else -1)


def test_word_patterns_stop_where_the_word_does_on_every_python_3_11() -> None:
    """Python 3.11.2 (Debian 12's own) lets a possessive repeat of a group keep the "." of a piece that
    failed: "Mr. Smith" read the title as "Mr." and no name followed. The word patterns use one atomic
    group instead; no pattern of the module may repeat a group possessively (CI's Python has no such bug,
    so the source is checked too)."""
    import inspect

    from cflexagent.logs.transforms import names

    assert names._WORD.match("Mr. Smith").group() == "Mr"  # type: ignore[union-attr]
    assert names._CAP.match("Jl. Sudirman").group() == "Jl"  # type: ignore[union-attr]
    assert names._WORD.match("kevin.wijaya.").group() == "kevin.wijaya"  # type: ignore[union-attr]
    assert names._WORD.match("AAAA-1") is None
    source = inspect.getsource(names)
    assert not re.search(r"\)[*+?]\+|\)\{[0-9,]*\}\+", source)
