"""Find personal names in free text (log messages, notes, error texts, syslog and nginx error lines).

Pure and synchronous, no I/O after the name list is loaded; used by ``redact.py``
(the ``names`` pattern) and compiled with mypyc like it (``setup.py``, picked by
``compiled.py``): keep it plainly typed.

What makes a name, in order of strength:

- **A title** (``Bapak``/``Bpk.``/``Pak``, ``Ibu``/``Bu``, ``Mas``, ``Mbak``,
  ``Kak``, ``Sdr.``, ``Hj.``, ``Mr.``, ``Dr.`` ...): the capitalised words after it
  are a name even when they are in no list (``Ibu Sukmawati``), and so are
  lower-case words that are in the list (``pak budi``). The title stays.
- **A cue word** (``by``, ``oleh``, ``user``, ``akun``, ``pelanggan``, ``customer``,
  ``a.n.``/``atas nama``, ``Dear``, ``Halo``, ``Hi``, ``Thanks``, ``Selamat siang``,
  ``From:``/``Dari:``, ``signed in as``, roles: ``desainer``, ``kurir``, ``CS`` ...):
  the next word is a name when it is in the list in any case (``oleh BUDI``,
  ``by budi``), a user-name form of listed names (``kevin.wijaya``, ``budi_s``),
  an initial glued to a listed name (``dnurhaliza``) or two glued names
  (``budisantoso``). After a greeting or an addressing cue (``Dear``, ``Halo``,
  ``a.n.``, ``pelanggan``) any capitalised word is a name (``Halo Xiaoling``).
  Without a cue, a lower-case user name counts when each of its pieces is a listed
  name or an initial and one is no common word (``ratih_kumalasari``).
- **The name list** (``cflexagent/data/names.tsv``, built by
  ``packaging/build_names.py``): each entry says whether the name is also a common
  English or Indonesian word (``Made``, ``Will``, ``Indah``, ``Jaya``, ``Harapan``), one of
  the commonest given names (``POPULAR``: ``Budi``, ``Dewi``, ``Siti``, ``John``), among
  the commoner given names or surnames (``RANKED``) or a very common word (``Alam``,
  ``Baru``, ``Merah``). A capitalised listed word that is no common word and is ranked
  is a name by itself (``Kevin``, ``Santoso``); any other listed word needs a second one
  next to it (``_pair``): two that are no common words (``Maruli Simatupang``), one that
  is and a partner (``Gede Wiratama``) or, when both are common words, one of the
  commonest given names first, then a name or a word that is not very common (``Dewi
  Lestari``, ``Wulan Sari``, ``John Smith``). Two common words are not a name otherwise:
  Indonesian shops, brands and places are made of them (``Sinar Jaya``, ``Harapan
  Baru``, ``Mawar Merah``, ``Lestari Alam``), and English capitalises product names
  (``Rose Gold``). All-caps words count like common words (``BUDI SANTOSO``, not
  ``NOTE``). One capitalised word in no list right after a name is taken with it
  (``Budi Kurniawanto``), and one right before a name on its own after a cue (``by Husein
  Assegaf``) or opening a sentence when a verb follows (``Husein Assegaf asked``). Balinese
  ``Ni`` and ``I`` (before a birth-order or caste word: ``I Wayan``) open the name after them.
- **The subject or the speaker of a sentence**: a listed given name that is no very common word
  opening a sentence before a verb or a colon (``Lily will collect``, ``Kenji: sudah saya cek``,
  ``Hana Pertiwi belum bayar``), and a lower-case user name opening the text before a verb
  (``nhasanah deleted draft``). Before a person's verb (``PERSON_VERBS``: says, minta, cuti …), at
  a sentence's or clause's start, a given name that is also a common word (``Bunga said``,
  ``Reminder: Made cuti``; not the request words of ``ADVERBS``: ``Jangan lupa``); anywhere, a
  capitalised word in no list and no dictionary whose letters read a little like a name's
  (``BARE_NAME_LIKE``) and that is no service (``SERVICES``: ``Xendit minta verifikasi``):
  ``Yosias says``, ``Otniel minta refund``; after a role (``ROLE_CUES``), the same before any
  verb (``Kurir Yosias belum update``). A user name with a piece in no list before a verb
  (``andi.pawelloi changed``) or after a preposition that takes a person (``PERSON_BEFORE``: ``for
  andi.pawelloi``), and there an initial glued to a ranked surname (``assigned to fsondakh``); the
  lower-case speaker of a chat line after its bracketed time (``[14:02] yermias_tefa: ok``; not a
  system's account: ``[12:00] cron:``). Inside a sentence, two or three capitalised words in no list
  and no dictionary that each read a little like a name's (``handed to Tumini Sastrodiharjo``).
- **The list's common words** (``COMMON``: dictionary words that are in no name list, ``Valued``,
  ``Sobat``, ``Konstruksi``, ``logged``): never names, so a capitalised one after a greeting is
  a word (``Dear Valued Partner``), one right after names in a run makes the run a firm's name
  (``Adi Karya Konstruksi``), and a lower-case one is no glued user name.
- **The letters of a name** (``data/name_grams.tsv``, trained on the list by ``train_grams``): a
  capitalised word in no list and no dictionary that reads like a name (``name_like``:
  ``Rahmadona``, ``Wisnawa``; not ``Spunbond``, ``Kebayoran``) counts like a listed surname, and
  after a cue or in a user name after a cue like a listed name. A listed name beside such a word
  or any proper noun in no dictionary inside a sentence is a name (``sent to Yuki Nakamura``).
- **Lower case without a cue**: two listed names in a row, one a name on its own
  (``koordinasi dengan rina marlina``); keys that name a person or end in ``_by``/``_to``
  (``requested_by=yana.mulyana``, ``customer_name: "Fince Kogoya"``); signatures (``Hormat kami,
  Yakob Wenda``, ``Regards, Rina``); a title or cue inside a run of capitalised words reads as
  one (``Permisi Bu Yulianus``).

Where a log's own format says a name stands, it is taken whatever its words: the user of a login
line (``sudo: elsina.wanimbo : TTY=…``, sshd's ``Accepted publickey for``, PAM's ``session
opened for user``, su, systemd-logind, an access line's remote user; not ``root``, ``deploy``,
``www-data``: ``SYSTEM_USERS``), the quoted value of a name's key (``invalid customer_name 'Ali
Bahreisy'``, ``nama penerima "…"``), the author of a quoted e-mail (``Elsina Wanimbo
<e@x.id> wrote:``, ``… menulis:``) and the name after the Butonese titles ``La Ode`` / ``Wa Ode``.

A greeting by the time of day takes a name only before a comma or the end (``Morning Budi,``;
not ``Morning Glory label``); a title that is also a product word (``Teh``) only before a name
on its own (``Teh Rina``; not ``Teh Botol Sosro``).

What blocks a name: organisation and place words (``PT``, ``CV``, ``Jl.``,
``Bandara``, ``Universitas``, ``Bank``, ``Toko``, ``Residence``, ``Ltd`` ...) take the whole
run of capitalised words they are in (``PT Budi Jaya``, ``Jl. Sudirman``), and so does a
lower-case organisation noun in the two words after it (``Pelita Harapan school``,
``Puspa Sari gift shop``), a product noun after a run that opens a line when no ID follows it
(``Bintang Kejora award certificate``; not ``Arif Wibowo invoice ORD-1 overdue``), and a word in
mixed case in the run (``Roland VersaCAMM``); after a plain cue, common words of which one is
very common follow the pair rule (``dari Jaya Abadi``); Indonesian place names of several words
(``data/places.tsv``: regencies, districts and villages, ``packaging/build_places.py``) without a
title or a strong cue before them (``Kirim ke Lenteng Agung``; ``Pak Fajar Harapan`` is a person),
the list's places (``Jakarta``, ``Bali``), months,
weekdays, holidays (``Hari Raya``) and the user's ``names_allow`` are never
names; a word with a digit, inside a path, an email, a URL or a dotted
identifier, in camel case (``ValueError``) or glued to digits (``F-5258``) is
never looked at. So IDs, UUIDs, dates, versions and numbers are never altered.

**The model** (``NameModel``, ``names_model = true``, the default): after the rules, a logistic
regression (``data/name_model.tsv``, trained by ``packaging/train_names.py`` with scikit-learn on
the labelled corpus's tuning splits; never a dependency of the agent) scores each capitalised or
all-caps word and each lower-case listed name of four letters or more that the rules left, from
the same signs the rules read: its shape, list flags, roles and letters; the shapes, classes,
roles and lower-case words around it; the run of capitalised words it is in and what precedes
and follows that run; the rules' own pair and product tests. A word above a probability of 0.6
is a name, unless a blocker of the rules stops its run (an organisation, place or calendar word,
mixed case, common words the pair rule refuses, a product noun after a run that opens the line):
``Shift pagi: Sutarmi Wulandari (packing)``, ``duplicate record 'Kusnadi Simbolon'``. It
reads a text only when a listed or name-like word lies outside the rules' spans, and adds up
weights cached per word and per run, building no strings.

Cost: a regex that starts with a character class finds the capitalised words
(the engine skips to the next capital in C), one ``split`` and set lookups find
the lower-case cues; everything else is dict lookups on those few words, so a
line costs a few microseconds. A crafted line costs time linear in its length:
possessive quantifiers (no backtracking), bounded runs and chains, no search
repeated after it found nothing, glued-name splitting only on words of at most
48 letters.
"""

from __future__ import annotations

import math
import re
from importlib import resources
from typing import Final

#: Flags of a name in the list.
GIVEN: Final = 1
SURNAME: Final = 2
#: Also a common English word (a lower-case entry of the English dictionary): "Will", "Grace", "Made".
EN_WORD: Final = 4
#: Also a common Indonesian word (a lower-case entry of the Indonesian dictionary): "Budi", "Indah", "Jaya".
ID_WORD: Final = 8
#: Added by the user (``names_extra``): a name on its own, like an unambiguous listed one.
EXTRA: Final = 16
#: One of the most common given names, more often a name than a word: "Budi", "Dewi", "Siti", "John".
POPULAR: Final = 32
#: Among the commoner given names or surnames: "Lestari", "Santoso", "Smith" (not "Alam", "Jaya").
RANKED: Final = 64
#: A very common word (about 50 per million words or more): "Alam", "Baru", "Jaya", "Merah", "Gold".
VERY_COMMON: Final = 128
#: A place (a city, region or country), never a name: "Jakarta", "Bali", "Indonesia".
PLACE: Final = 256
#: A common word that is in no name list ("Valued", "Sobat", "Konstruksi", "logged"): never a name,
#: and a capitalised one is a word, not a name in no list. ``flags`` reads these entries as 0.
COMMON: Final = 512
WORD: Final = EN_WORD | ID_WORD

_LOWER: Final = "a-zß-öø-ÿ"
_UPPER: Final = "A-ZÀ-ÖØ-Þ"
_LETTER: Final = _LOWER + _UPPER
#: A word piece: letters with inner apostrophes (O'Brien, Budi's); pieces joined by "-", "_" or ".".
_PIECE: Final = rf"[{_LETTER}]+(?:['’][{_LETTER}]+)*"
#: One atomic group, so a word that cannot end where it stops ("AAAA…-1") fails at once instead of
#: backtracking letter by letter. Not possessive repeats of groups: on Python 3.11.2 (Debian 12's) a
#: possessive repeat of the "[-_.]piece" group keeps a "." whose piece failed ("Mr." for "Mr. Smith");
#: later 3.11 releases fixed it.
_REST: Final = rf"(?>[{_LETTER}]*(?:['’][{_LETTER}]+)*(?:[\-_.]{_PIECE})*)"
#: Where a word may not end: glued to a word character, an "@", a path, a call, or "-1", ".2", ":80".
_END: Final = r"(?![\w'’@/\\(]|[\-_.:][0-9])"
#: The start of a capitalised word that is not inside a word, a path, a domain or an email. The
#: character class comes first, so the regex engine skips to the next capital letter in C.
_CAP: Final = re.compile(rf"[{_UPPER}](?<![\w'’.@/\\#$%&+\-].){_REST}" + _END)
#: A word of any case (after a cue or a title, or the next word of a run).
_WORD: Final = re.compile(rf"[{_LETTER}]{_REST}{_END}")
#: Two lower-case letters joined by "_" or ".": a text that may hold a user name without a cue.
_JOINED: Final = re.compile(rf"[{_LOWER}][_.][{_LOWER}]")
#: What may stand between a cue and its name: spaces, one ":" or "=".
_GAP: Final = re.compile(r"[ \t]*+(?:[:=,][ \t]*+)?[\"'“]?")

#: Where a log's own format says a user name stands: OpenSSH, PAM, sudo, su and systemd-logind
#: lines, and an access line's remote user (nginx's and Apache's common and combined formats). One
#: regex per form, each searched only when the text holds its literal (``_formats``).
_SUDO: Final = re.compile(r"\bsudo(?:\[\d{1,10}\])?: +([^\s:;]{1,64}) : ")
_SSH: Final = re.compile(r"\b(?:Accepted|Failed) [\w/-]{1,40} for (?:invalid user )?(\S{1,64}) from ")
_USER_SLOT: Final = re.compile(
    r"\b(?:(?:[Dd]isconnected from|[Cc]onnection closed by|[Rr]eceived disconnect from)"
    r" (?:invalid |authenticating )?user (\S{1,64}) |session (?:opened|closed) for user ([^\s(]{1,64})"
    r"|of user ([^\s.]{1,64}))")
_UID: Final = re.compile(r"\bby ([^\s(]{1,64})\(uid=\d{1,10}\)")
_SU: Final = re.compile(r"\bsu(?:\[\d{1,10}\])?: \(to \S{1,64}\) (\S{1,64}) on ")
_ACCESS: Final = re.compile(r"[0-9A-Fa-f.:]{3,45} - ([^\s\[\]\"]{1,64}) \[\d{1,2}/[A-Za-z]{3}/\d{4}:")
#: Accounts of systems and roles in those places, never a person's: "root", "www-data", "deploy".
SYSTEM_USERS: Final = frozenset({
    "root", "admin", "administrator", "www", "data", "nginx", "apache", "httpd", "daemon", "nobody", "postgres",
    "mysql", "redis", "git", "ubuntu", "debian", "deploy", "deployer", "backup", "cron", "svc", "srv", "sys",
    "app", "bot", "ci", "api", "db", "web", "ftp", "mail", "noreply", "service", "test", "guest", "user",
    "operator", "system", "systemd", "ansible", "jenkins", "runner", "docker", "prometheus", "grafana", "loki",
    "promtail", "cflex", "cflexagent", "sshd", "sftp", "rsync", "rclone", "cpanel", "wordpress", "odoo",
})
#: A key of a person's name followed by its quoted value in free text ("invalid customer_name 'Ali
#: Bahreisy'", "nama penerima \"Yohanes Ingan\""): the whole value is the name, as in a JSON field.
#: The regex starts at "name" / "nama" (a character class first: the engine skips to the next "n"
#: in C); ``_formats`` checks the word before "name" (``NAME_OWNERS``).
_KEYED_NAME: Final = re.compile(
    r"[Nn][Aa][Mm](?:[Ee]|[Aa](?:[ _-]?(?i:pelanggan|penerima|pengirim|pemesan|rekening|lengkap|pemilik"
    r"|customer|kurir))?)[\"']?[ \t]{0,3}[=:]?[ \t]{0,3}([\"'“‘])([^\"'“”‘’\n]{1,80})[\"'”’]")
#: Whose "name" it is, in the key before it ("customer_name", "Recipient Name", "payer-name").
NAME_OWNERS: Final = ("customer", "recipient", "sender", "receiver", "contact", "payer", "account", "holder",
                      "full", "first", "last", "display", "pelanggan", "penerima", "pengirim")
#: The Butonese titles "La Ode" and "Wa Ode" and the name after them ("La Ode Harmin").
_ODE: Final = re.compile(rf"\b(?:La|LA|Wa|WA) (?:Ode|ODE)(?: [{_UPPER}][{_LETTER}]+(?:['’\-][{_LETTER}]+)?){{1,3}}")
#: Where the attribution of a quoted e-mail ends: "Elsina Wanimbo <elsina@x.id> wrote:".
_WROTE: Final = (" wrote:", " menulis:")

# -- words with a role (all lower-case, without a trailing dot) ----------------

#: Titles before a name. Those in TITLES_LOWER also count in lower case ("pak budi").
TITLES: Final = frozenset({
    "bapak", "bpk", "pak", "ibu", "bu", "mas", "mbak", "mba", "kak", "kakak", "sdr", "sdri", "sdra", "saudara",
    "saudari", "hj", "h", "haji", "hajah", "tuan", "nyonya", "ny", "nona", "nn", "tn", "bang", "abang", "teh",
    "aa", "akang", "kang", "bli", "om", "tante", "koh", "cik", "koko", "cece", "neng", "gek", "tulang",
    "etek", "buya", "amang", "inang", "namboru", "pakde", "bude", "bulik", "paklik", "romo", "pdt", "pastor",
    "suster", "mevr", "dhr", "mbok", "uda", "uni", "ustadz", "ustaz", "ustadzah",
    "kyai", "dr", "drs", "dra",
    "ir", "prof", "mr", "mrs", "ms", "miss", "mx", "sir", "madam", "mister", "dear", "yth",
})
TITLES_LOWER: Final = frozenset({"bapak", "bpk", "pak", "ibu", "bu", "mas", "mbak", "mba", "kak", "kakak", "om",
                                "tante"})
#: Cues whose object is a person: capitalised words in no list after them are a name too ("Kabari
#: Padmi", "punya Padmi", "FYI Harmin", "ini dengan Besse"). Cues in any case (in CUES and LOWER_CUES).
PERSON_CUES: Final = frozenset({
    # passive verbs and requests before their agent ("diminta Budi", "ditangani Yohana", "call Rina")
    "diminta", "ditangani", "dihandle", "call", "hubungi",
    # verbs of chasing and telling someone ("Kabari Amber", "Tagih Aep", "remind Elsina", "FYI Harmin")
    "kabari", "kabarin", "tagih", "remind", "reminded", "called", "ingatkan", "ingetin", "telepon", "telpon",
    "jemput", "temui", "notify", "contacted", "fyi",
    # whose it is ("punya Padmi", "milik Rina"), who is speaking ("ini dengan Besse"), whom a thanks is
    # for ("makasih banyak buat Frank")
    "punya", "milik", "dengan", "buat",
    # who ordered, bought, is the contact ("pemesan Bunga", "PIC Rina", "ATTN Haruto Sato")
    "pemesan", "pembeli", "pic", "attn",
})
#: Cues in any case (in CUES and LOWER_CUES both): the person cues, and cues a listed name must follow.
_AGENT_CUES: Final = PERSON_CUES | frozenset({
    "sales", "diterima", "kasih", "buyer",
    # signatures ("Salam, Budi", "Regards, Rina", "Hormat kami, Yakob Wenda")
    "regards", "salam", "kami", "wassalam",
})
#: Roles before a name ("desainer Hamzah", "kurir Budi", "Admin Otniel sedang cek"): cues in any case
#: (in CUES and LOWER_CUES), and before a capitalised word in no list that a verb follows.
ROLE_CUES: Final = frozenset({
    "desainer", "designer", "kurir", "courier", "driver", "sopir", "kasir", "cashier", "teknisi", "technician",
    "operator", "staff", "staf", "agent", "admin",
})
#: Cue words: what follows is a name when it is in the list (any case) or a user-name form of one.
CUES: Final = frozenset({
    "by", "oleh", "user", "username", "from", "dari", "to", "cc", "kepada", "penerima", "pengirim", "sender",
    "recipient", "assignee", "approver", "reviewer", "author", "owner", "contact", "kontak", "atas", "a.n",
    "akun", "account", "cs", "thanks", "makasih", "sebagai",
}) | ROLE_CUES | _AGENT_CUES
#: Cue words that take only a user name after them ("session started for kliang"; not "for Budi", which
#: the capitalised words' rules read, nor "for budi").
USER_CUES: Final = frozenset({"for", "to"})
#: Cue words that are cues only with a colon ("From: Budi", not "from cache").
COLON_CUES: Final = frozenset({"from", "to", "cc"})
#: The cues and titles looked for in lower case ("oleh budi", "pak budi"); capitalised ones are found
#: with the capitalised words.
LOWER_CUES: Final = frozenset({
    "by", "oleh", "user", "username", "from", "to", "pelanggan", "customer", "nasabah", "member", "client", "klien",
    "dear",
    "halo", "hallo", "hai", "hi", "hello", "yth", "kepada", "dari", "penerima", "pengirim", "pak", "bu", "bapak",
    "ibu", "mas", "mbak", "kak", "atas", "a.n", "akun", "account", "thanks", "makasih", "sebagai", "for", "cc", "as",
    "pagi", "siang", "sore", "malam", "morning", "afternoon", "evening",
}) | ROLE_CUES | _AGENT_CUES
#: Titles that are titles only with their dot ("H. Ahmad", not "level H").
DOTTED_TITLES: Final = frozenset({"h", "hj", "tn", "nn", "ny"})
#: Keys whose value in a text is a person's name ("customer_name: Budi", "nama=Rina"): strong cues,
#: with their ":" or "=" only ("sorted by name, page 2").
NAME_KEYS: Final = frozenset({
    "name", "nama", "customer_name", "full_name", "fullname", "first_name", "last_name", "contact_name",
    "nama_pelanggan", "nama_penerima", "nama_pengirim", "recipient_name", "sender_name", "receiver_name",
})
#: Greeting and addressing cues: what follows is a name when it is capitalised, listed or not.
STRONG_CUES: Final = frozenset({
    "dear", "halo", "hallo", "hai", "hi", "hello", "hey", "yth", "pelanggan", "customer", "nasabah", "member",
    "client", "klien", "a.n", "atas", "thanks", "makasih", "attn", "regards", "salam", "kami", "wassalam", "cc",
    # greetings by the time of day ("Selamat siang Rahmat", "Pagi Budi", "Good morning Dewi")
    "pagi", "siang", "sore", "malam", "morning", "afternoon", "evening",
}) | NAME_KEYS
#: Greetings by the time of day: cues only before a capitalised name ("Selamat siang Rahmat").
GREETING_TIMES: Final = frozenset({"pagi", "siang", "sore", "malam", "morning", "afternoon", "evening"})
#: Cues only after one of these words ("signed in as budi", "login as kevin"; not "such as"; "Hormat
#: kami, Budi": a signature; not "kami sudah").
CUE_AFTER: Final[dict[str, frozenset[str]]] = {"as": frozenset({"in", "login", "masuk"}), "kami": frozenset({"hormat"}),
                                               "dengan": frozenset({"ini", "saya"}),
                                               "buat": frozenset({"banyak", "makasih", "kasih", "thanks"})}
#: Words after a cue that are never names ("Dear Customer", "by system", "Halo semua").
STOP: Final = frozenset({
    "customer", "customers", "pelanggan", "client", "klien", "member", "user", "users", "admin", "administrator",
    "system", "sistem", "support", "service", "services", "team", "tim", "staff", "all", "semua", "everyone",
    "there", "sir", "madam", "default", "the", "a", "an", "this", "that", "your", "our", "my", "me", "us", "you",
    "kamu", "anda", "kami", "kita", "saya", "id", "name", "nama", "root", "guest", "tamu", "anonymous", "unknown",
    "bot", "cron", "scheduler", "worker", "server", "api", "app", "nginx", "cs", "agent", "operator",
    "friend", "friends", "world", "sobat", "partner", "partners", "mitra", "noreply", "here", "channel",
    "new", "baru", "not", "no", "tidak", "belum", "sudah", "yang", "dan", "atau",
    "ke", "di", "untuk", "dengan", "with", "for", "of", "in", "on", "at", "and", "or", "is", "was", "has", "via",
    "email", "phone", "whatsapp", "wa", "sms", "telepon", "alamat", "address", "mr", "mrs", "ms", "dr",
    "karena", "itu", "ini", "nomor", "number", "value", "key", "reference", "ref", "hand", "manual",
    # roles that follow Pak / Bu / Mr. ("Pak RT", "Bu Lurah", "Pak Kurir")
    "camat", "lurah", "kades", "bupati", "walikota", "gubernur", "presiden", "menteri", "direktur", "director",
    "manager", "manajer", "dokter", "doctor", "guru", "teacher", "dosen", "satpam", "kurir", "courier", "sopir",
    "supir", "driver", "bos", "boss", "ketua", "sekretaris", "bendahara", "kepala", "pimpinan", "haji", "mandor",
    "rt", "rw", "president", "officer", "ojol", "ojek", "polisi", "tentara", "pegawai", "karyawan", "pemilik",
    # customer tiers after "customer" / "pelanggan" / "member"
    "corporate", "premium", "regular", "reguler", "vip", "gold", "silver", "platinum", "bronze", "business",
    "bisnis", "personal", "retail", "prioritas", "priority", "reseller", "dropshipper", "distributor", "agen",
    "grosir", "wholesale", "eceran", "umum", "korporat", "instansi",
})
#: Organisation and place words: no word of a run of capitalised words that holds one is a name.
ORG: Final = frozenset({
    "pt", "cv", "ud", "tbk", "persero", "perum", "koperasi", "yayasan", "firma", "inc", "ltd", "llc", "llp",
    "corp", "corporation", "co", "company", "gmbh", "bv", "plc", "group", "grup", "holding", "holdings",
    "jl", "jln", "jalan", "gg", "gang", "komplek", "kompleks", "perumahan", "blok", "rt", "rw", "kav",
    "street", "st", "avenue", "ave", "road", "rd", "lane", "boulevard", "blvd", "square", "plaza", "tower",
    "residence", "residences", "regency", "apartment", "apartments", "apartemen", "estate", "cluster",
    "bandara", "airport", "stasiun", "station", "terminal", "pelabuhan", "port", "harbour",
    "universitas", "university", "univ", "institut", "institute", "politeknik", "akademi", "sekolah",
    "school", "college", "sma", "smk", "smp", "sd", "madrasah", "pesantren",
    "bank", "toko", "store", "shop", "mall", "pasar", "market", "hotel", "resort", "villa", "restoran",
    "restaurant", "rumah", "warung", "kafe", "cafe", "studio", "apotek", "klinik", "clinic", "rs", "rsud",
    "hospital", "puskesmas", "masjid", "mosque", "gereja", "church", "pura", "vihara", "klenteng", "kantor",
    "office", "dinas", "kementerian", "ministry", "departemen", "department", "pemda", "pemkot", "pemkab",
    "kota", "city", "kabupaten", "kab", "kecamatan", "kec", "kelurahan", "kel", "desa", "kampung", "provinsi",
    "prov", "province", "pulau", "island", "gunung", "mount", "danau", "lake", "pantai", "beach", "sungai",
    "river", "taman", "park", "museum", "monumen", "monument", "galeri", "gallery", "gedung", "building",
    "wisma", "graha", "menara", "balai", "lapangan", "stadion", "stadium", "motor", "motors", "mart",
    "express", "ekspres", "logistik", "logistics", "cargo", "travel", "tour", "tours", "printing", "percetakan",
    "digital", "media", "foundation", "association", "asosiasi", "club", "klub", "academy", "center", "centre",
    "pusat", "cabang", "branch", "gudang", "warehouse", "pabrik", "factory", "konstruksi", "construction",
    "tanjung", "teluk", "bukit", "pondok", "ujung", "kebun", "perusahaan",
    "republik", "republic", "negara", "kerajaan", "kingdom",
    # kinds of product that open a product's name ("Kertas Samson", "Tinta Galaxy", "Kopi Kenangan")
    "kertas", "tinta", "stiker", "sticker", "spanduk", "baliho", "brosur", "kalender", "undangan", "amplop",
    "map", "buku", "kaos", "plakat", "lakban", "spidol", "pulpen", "pensil", "kanvas", "akrilik", "nota",
    "kwitansi", "stempel", "tumbler", "mie", "bakmi", "kopi", "teh", "roti", "kue", "bakso", "sate", "nasi", "jus",
})
#: Lower-case words after a run of capitalised words that make it an organisation's name, the way
#: English writes them ("Pelita Harapan school", "Mekar Sari plant nursery", "Harapan Jaya bus").
ORG_AFTER: Final = frozenset({
    "shop", "store", "boutique", "bakery", "laundry", "salon", "catering", "cafe", "café", "restaurant", "resto",
    "hotel", "school", "university", "college", "academy", "kindergarten", "campus", "hospital", "clinic",
    "pharmacy", "church", "mosque", "temple", "foundation", "orphanage", "club", "nursery", "florist", "stall",
    "market", "mall", "supermarket", "minimarket", "branch", "outlet", "warehouse", "factory", "company",
    "group", "studio", "gallery", "agency", "bus", "travel", "transport", "logistics", "printing", "brand",
    "showroom", "dealer", "workshop", "bank", "cooperative", "office", "plant", "site", "depot",
})
#: Months, weekdays and holidays in both languages: never names, and they end a run.
CALENDAR: Final = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "januari", "februari", "maret", "mei", "juni", "juli", "agustus", "oktober", "desember", "agu", "agt", "okt",
    "des", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue", "tues",
    "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "senin", "selasa", "rabu", "kamis", "jumat", "jum'at",
    "sabtu", "minggu", "ahad", "lebaran", "natal", "christmas", "easter", "imlek", "nyepi", "waisak",
    "idul", "idulfitri", "iduladha", "galungan", "kuningan", "isra", "miraj", "mikraj", "maulid", "muharram",
    "syawal", "dzulhijjah",
})
#: Two-word phrases of common words that the list would take for a name.
PHRASES: Final = frozenset({
    "hari raya", "hari ini", "hari kerja", "hari libur", "tahun baru", "rumah sakit", "ibu kota", "bapak ibu",
    "idul fitri", "idul adha", "good morning", "selamat pagi", "selamat siang", "selamat sore", "selamat malam",
    "terima kasih", "thank you", "best regards", "hormat kami", "salam hangat", "new year", "happy new",
})
#: Balinese names' birth-order and caste words: after "I" (a man's name), "I Wayan Sudarsana".
BALI: Final = frozenset({
    "wayan", "gede", "putu", "made", "kadek", "nengah", "nyoman", "komang", "ketut", "gusti", "ngurah", "dewa",
    "ida", "luh",
})
#: Months that are also given names ("Mei Ling", "Juni Astuti", "April Tan"): a name's first word
#: before a listed name.
CALENDAR_NAMES: Final = frozenset({"mei", "juni", "juli", "april", "june"})
#: Particles inside a name ("Muhammad bin Abdullah", "van Basten").
PARTICLES: Final = frozenset({"bin", "binti", "van", "von", "de", "der", "den", "da", "di", "del", "al", "el", "la",
                             "le"})

_NAME_FILE: Final = "data/names.tsv"
_GRAM_FILE: Final = "data/name_grams.tsv"
_MODEL_FILE: Final = "data/name_model.tsv"
_PLACE_FILE: Final = "data/places.tsv"
_loaded: dict[str, int] | None = None
_loaded_places: dict[str, int] | None = None
_loaded_grams: dict[str, float] | None = None
_loaded_model: dict[str, float] | None = None
#: The mean weight of its letter trigrams from which a word in no list reads like a name (on the list
#: itself, about 43 % of the names that are no words pass, and 1.3 % of the common words).
NAME_LIKE: Final = 1.0


def parse_names(text: str) -> dict[str, int]:
    """The name list's text ("name<TAB>flags" lines, "#" comments) as lower-case name -> flags."""
    out: dict[str, int] = {}
    same: dict[str, int] = {}  # one int object per distinct flags value (most are above the small-int cache)
    pos = 0
    while pos >= 0:
        key, value, pos = _row(text, pos)
        if key:
            f = same.get(value)
            if f is None:
                f = int(value) if value else GIVEN
                same[value] = f
            out[key] = f
    return out


def _row(text: str, pos: int) -> tuple[str, str, int]:
    """The "key<TAB>value" line of a data file at ``pos`` ("" for a "#" comment or an empty line) and
    where the next line starts (-1 at the end). Line by line, so a 50,000-line file is never held
    as a list of lines (the agent's peak memory)."""
    end = text.find("\n", pos)
    if end < 0:
        end = len(text)
    nxt = end + 1 if end + 1 < len(text) else -1
    if end == pos or text[pos] == "#":
        return "", "", nxt
    tab = text.find("\t", pos, end)
    if tab < 0:
        return text[pos:end], "", nxt
    return text[pos:tab], text[tab + 1:end], nxt


def _data(name: str) -> str:
    return resources.files("cflexagent").joinpath(name).read_text(encoding="utf-8")


def shipped_names() -> dict[str, int]:
    """The list shipped as package data, read once per process (shared by every source's redactor)."""
    global _loaded
    if _loaded is None:
        _loaded = parse_names(_data(_NAME_FILE))
    return _loaded


def _grams(low: str) -> list[str]:
    w = "^" + low + "$"
    return [w[i:i + 3] for i in range(len(w) - 2)]


def train_grams(names: dict[str, int]) -> dict[str, float]:
    """Letter trigrams -> log-odds of a name against a common word, from the list itself: its
    names that are no words (given names and surnames) against its common words (``COMMON``),
    with add-half smoothing; weights rounded to 0.01, those under 0.05 left out. What
    ``packaging/build_names.py`` writes to ``data/name_grams.tsv`` (a test checks they agree)."""
    pos: dict[str, int] = {}
    neg: dict[str, int] = {}
    for w in sorted(names):
        f = names[w]
        if not w.isalpha():
            continue
        if f & COMMON:
            counts = neg
        elif f & (GIVEN | SURNAME) and not f & (WORD | PLACE):
            counts = pos
        else:
            continue
        for g in _grams(w):
            counts[g] = counts.get(g, 0) + 1
    vocab = sorted(set(pos) | set(neg))
    tp = sum(pos.values()) + 0.5 * len(vocab)
    tn = sum(neg.values()) + 0.5 * len(vocab)
    out: dict[str, float] = {}
    for g in vocab:
        weight = round(math.log((pos.get(g, 0) + 0.5) / tp) - math.log((neg.get(g, 0) + 0.5) / tn), 2)
        if abs(weight) >= 0.05:
            out[g] = weight
    return out


def format_grams(grams: dict[str, float]) -> str:
    head = ("# Letter trigrams of the `names` pattern (cflexagent/logs/transforms/names.py, name_like): the\n"
            "# log-odds of a name against a common word, trained on data/names.tsv by names.train_grams.\n"
            "# Generated by packaging/build_names.py: do not edit by hand.\n")
    return head + "".join(f"{g}\t{w:.2f}\n" for g, w in sorted(grams.items()))


def parse_weights(text: str) -> dict[str, float]:
    """A table of weights ("key<TAB>weight" lines, "#" comments: the trigrams, the model) as key -> weight."""
    out: dict[str, float] = {}
    pos = 0
    while pos >= 0:
        key, value, pos = _row(text, pos)
        if key:
            out[key] = float(value)
    return out


def shipped_grams() -> dict[str, float]:
    """The trigram table shipped as package data, read once per process."""
    global _loaded_grams
    if _loaded_grams is None:
        _loaded_grams = parse_weights(_data(_GRAM_FILE))
    return _loaded_grams


def parse_places(text: str) -> dict[str, int]:
    """Place names of several words (one lower-case phrase per line, "#" comments) as phrase -> its
    number of words, and each phrase's first word -> the most words of a phrase it opens, negated
    ("lenteng agung" -> 2, "lenteng" -> -2): one table, one lookup for a word that opens none."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        phrase = " ".join(line.split())
        if not phrase or phrase[0] == "#" or " " not in phrase:
            continue
        words = phrase.split(" ")
        out[phrase] = len(words)
        out[words[0]] = min(out.get(words[0], 0), -len(words))
    return out


def shipped_places() -> dict[str, int]:
    """The place names shipped as package data (``data/places.tsv``), read once per process."""
    global _loaded_places
    if _loaded_places is None:
        _loaded_places = parse_places(_data(_PLACE_FILE))
    return _loaded_places


def shipped_model() -> dict[str, float]:
    """The model's weights shipped as package data, read once per process."""
    global _loaded_model
    if _loaded_model is None:
        _loaded_model = parse_weights(_data(_MODEL_FILE))
    return _loaded_model


def name_score(grams: dict[str, float], low: str) -> float:
    """The mean trigram weight of a lower-case word: above ``NAME_LIKE`` it reads like a name."""
    gs = _grams(low)
    total = 0.0
    for g in gs:
        total += grams.get(g, 0.0)
    return total / len(gs)


def _letter(c: str) -> bool:
    """``c.isalpha()`` for one character, without a method call for ASCII."""
    o = ord(c)
    if o < 128:
        return 97 <= o <= 122 or 65 <= o <= 90
    return c.isalpha()


def _lower_letter(c: str) -> bool:
    """``c.islower()`` for one character, without a method call for ASCII."""
    o = ord(c)
    if o < 128:
        return 97 <= o <= 122
    return c.islower()


def _upper_letter(c: str) -> bool:
    """``c.isupper()`` for one character, without a method call for ASCII."""
    o = ord(c)
    if o < 128:
        return 65 <= o <= 90
    return c.isupper()


def _latin_letter(c: str) -> bool:
    """In ``_LETTER``: an ASCII or Latin-1 letter (not "×", "÷")."""
    o = ord(c)
    if o < 128:
        return 97 <= o <= 122 or 65 <= o <= 90
    return 192 <= o <= 255 and o != 215 and o != 247


def _piece_end(s: str, i: int, n: int) -> int:
    """Where the letters from ``s[i]`` end, and the pieces after inner apostrophes ("O'Brien",
    "Budi's")."""
    while i < n and _latin_letter(s[i]):
        i += 1
    while i + 1 < n and (s[i] == "'" or s[i] == "’") and _latin_letter(s[i + 1]):
        i += 2
        while i < n and _latin_letter(s[i]):
            i += 1
    return i


def _word_end(s: str, p: int) -> int:
    """Where ``_WORD.match(s, p)`` ends, or -1 where it does not match; by hand, as the regex engine's
    set-up costs more than the scan of a word."""
    n = len(s)
    if p >= n or not _latin_letter(s[p]):
        return -1
    i = _piece_end(s, p + 1, n)
    # pieces joined by "-", "_" or "."
    while i + 1 < n and (s[i] == "-" or s[i] == "_" or s[i] == ".") and _latin_letter(s[i + 1]):
        i = _piece_end(s, i + 2, n)
    if i < n:
        c = s[i]
        if c.isalnum() or c == "_" or c == "'" or c == "’" or c == "@" or c == "/" or c == "\\" or c == "(":
            return -1
        if (c == "-" or c == "_" or c == "." or c == ":") and i + 1 < n and 48 <= ord(s[i + 1]) <= 57:
            return -1
    return i


def _lower_cues(s: str, tokens: list[str]) -> list[int]:
    """[start, end, ...] of the lower-case cue words of ``s`` (``tokens``: its ``split()``; most
    texts have none)."""
    out: list[int] = []
    pos = 0
    prev = ""
    for w in tokens:
        last, prev = prev, w
        if w[0] in "([\"'" and len(w) > 1:
            w = w[1:]  # "(a.n. Budi)", "'oleh budi'"
        if not _lower_letter(w[0]) and not (w[-1] == ":" and w.lower().endswith(("-by:", "_by:"))):
            continue  # (but "Signed-off-by:", "Reviewed-by:")
        core = ""
        skip = 0  # letters of the token before the cue ("requested_" of "requested_by=...")
        n = len(w)
        if n <= 10 and w in LOWER_CUES:
            core = w
        else:
            end = w[-1]
            eq = w.find("=")
            if eq < 0:
                if end == ":":
                    eq = n - 1
                elif end != "," and end != ".":
                    continue  # no cue, no key (most words)
            if 1 < eq <= 24:
                key = w[:eq]
                if key in LOWER_CUES or key in NAME_KEYS or key in CUES:
                    core = key  # "penerima=budi", "pic=rina", "owner=amber_k", "customer_name: ..."
                elif key.lower().endswith(("_by", "_to", "-by")):
                    core = key[-2:]  # "requested_by=yana.mulyana", "assigned_to=budi_s"
                    skip = eq - 2
            elif 2 <= n <= 11 and (end == "," or end == ".") and w[:-1] in LOWER_CUES:
                core = w[:-1]
            if not core:
                continue
        after = CUE_AFTER.get(core)
        if after is not None and last.lower() not in after:
            continue
        pos = _token_at(s, w, pos, skip + len(core), out)
        if pos < 0:
            break
        out[-2] += skip
    return out


def _token_at(s: str, w: str, pos: int, n: int, out: list[int]) -> int:
    """Appends [start, start + n] of the token ``w`` of ``s.split()`` (found from ``pos``, not the
    same letters inside a longer word) to ``out``; returns where the next token is looked for, or
    -1 when it is not there."""
    i = s.find(w, pos)
    while i > 0 and not s[i - 1].isspace() and (s[i - 1] not in "([\"'" or (i > 1 and not s[i - 2].isspace())):
        i = s.find(w, i + 1)
    if i < 0:
        return -1
    out.append(i)
    out.append(i + n)
    return i + len(w)


def _char_before(s: str, p: int) -> str:
    """The character before ``s[p]`` and the spaces, quotes and "(" before it ("" at the start)."""
    i = p - 1
    while i >= 0 and s[i] in " \t\"'(":
        i -= 1
    return s[i] if i >= 0 else ""


def _sentence_start(s: str, p: int) -> bool:
    """``p`` opens the text or a sentence (after ". ", "! ", "? ", a line break or a bracketed tag:
    "[10:02] Amber: ...")."""
    c = _char_before(s, p)
    return c == "" or c in ".!?\n]"


def _clause_start(s: str, p: int) -> bool:
    """``p`` opens a sentence (``_sentence_start``) or a clause: after ",", ";" or ":"."""
    c = _char_before(s, p)
    return c == "" or c in ".!?\n],;:"


def _word_before(s: str, p: int) -> str:
    """The lower-case word that ends right before ``s[p]`` and its spaces ("" at the start)."""
    i = p
    while i > 0 and s[i - 1] == " ":
        i -= 1
    j = i
    while j > 0 and _letter(s[j - 1]):
        j -= 1
    return s[j:i].lower()


def _word_at(s: str, p: int) -> str:
    end = s.find(" ", p)
    return s[p:] if end < 0 else s[p:end]


def _prefixed(s: str, lo: int) -> int:
    """Where a name found at ``s[lo..]`` starts when the Balinese "Ni" (a woman's name: "Ni Luh
    Sukmawati") or "I" before a birth-order or caste word ("I Wayan Sudarsana") opens it."""
    if lo >= 3 and s[lo - 1] == " " and s[lo - 3:lo - 1] in ("Ni", "NI") and (lo == 3 or not s[lo - 4].isalnum()):
        return lo - 3
    if lo >= 2 and s[lo - 2:lo] == "I " and (lo == 2 or not s[lo - 3].isalnum()):
        if _word_at(s, lo).lower().rstrip(".,:;!?") in BALI:
            return lo - 2
    return lo


def _title_case(word: str) -> bool:
    """``Budi``, ``O'Brien``, ``Jean-Pierre``: each piece one capital then lower case."""
    first = True
    for ch in word:
        if _letter(ch):
            if first:
                if not _upper_letter(ch):
                    return False
                first = False
            elif _upper_letter(ch):
                return False
        else:
            first = True
    return True


#: Lower-case words that follow a person as the subject of a sentence (and rarely a product):
#: auxiliaries and common verbs of log messages. Also: English past forms ("-ed") and Indonesian
#: active verbs ("mem-", "men-", "meng-", "meny-"), see ``_verb``.
VERBS: Final = frozenset({
    "is", "was", "has", "had", "will", "would", "can", "could", "should", "wants", "needs", "asks", "says", "said",
    "paid", "sent", "left", "made", "took", "gave", "got", "gets", "sends", "pays", "wrote", "called", "agreed",
    "sudah", "telah", "belum", "akan", "mau", "ingin", "minta", "sedang", "masih", "tidak", "tak", "baru",
    "bilang", "bisa", "harus", "perlu", "juga", "sempat", "pernah", "komplain", "bayar", "setuju", "transfer",
    # colloquial Indonesian of chats and notes ("Mirah udah oke", "Joy nggak bisa datang")
    "udah", "dah", "sdh", "blm", "nggak", "ngga", "gak", "ga", "tdk", "lagi", "pengen", "nanya", "tanya", "cek",
    "kirim", "ambil", "datang", "pesan", "lapor", "batal", "balas", "bales", "jawab", "oke", "ok", "konfirmasi",
})

#: Indonesian words that open a request or a clause before a verb ("Jangan lupa", "Mohon izin", "Ayo
#: bayar"), some of them in the name lists: never the subject of a person's verb.
ADVERBS: Final = frozenset({
    "jangan", "tolong", "mohon", "harap", "coba", "ayo", "yuk", "silakan", "silahkan", "bisa", "boleh", "akan",
    "harus", "perlu", "kalau", "jika", "kapan", "tadi", "nanti", "besok", "kemarin", "sekarang", "ternyata",
    "katanya", "mungkin", "kayaknya", "sepertinya", "semoga", "tapi", "please", "kindly"})
#: The letters' score (``name_score``) a capitalised word in no list needs to be a name as the subject
#: of a person's verb (``NameFinder._bare_subject``); below ``NAME_LIKE``, which makes a word a name on
#: its letters alone.
BARE_NAME_LIKE: Final = 0.3
#: Lower-case words after a subject that is a person, rarely a product or a service: what a word in
#: no list needs after it to be a name on its own (``NameFinder._bare_subject``).
PERSON_VERBS: Final = frozenset({
    "says", "said", "wants", "wanted", "asks", "asked", "wrote", "agreed", "complained", "replied", "minta", "bilang",
    "mau", "ingin", "pengen", "komplain", "setuju", "nanya", "tanya", "lapor", "balas", "bales", "jawab", "lupa",
    "sakit", "izin", "ijin", "cuti", "absen", "telat",
})

#: Lower-case words after which a user name stands for a person as the object ("assigned to
#: fsondakh", "rendering F-8854.pdf for otniel.yikwa", "koordinasi dengan nabila_alhadar"): what a user
#: name with a piece in no list, or an initial glued to a listed name, needs before it without a cue
#: (``NameFinder._bare_users``).
PERSON_BEFORE: Final = frozenset({"to", "for", "with", "ke", "untuk", "dengan", "buat", "sama"})

#: Services and software that stand in log lines as the subject of a person's verb ("Xendit belum
#: konfirmasi", "Shopee minta dokumen") and are in no name list: marketplaces, payment gateways and
#: wallets, couriers, chat and mail, the stack of a VPS. (The user's own: ``names_allow``.)
SERVICES: Final = frozenset({
    "tokopedia", "shopee", "lazada", "bukalapak", "blibli", "tiktok", "zalora", "bhinneka", "jdid", "olx",
    "xendit", "midtrans", "doku", "ipaymu", "duitku", "tripay", "faspay", "ovo", "gopay", "shopeepay", "linkaja",
    "flip", "jenius", "qris", "paypal", "stripe", "jne", "jnt", "sicepat", "anteraja", "paxel", "lalamove",
    "gosend", "grabexpress", "deliveree", "wahana", "tiki", "ninja", "whatsapp", "telegram", "instagram", "facebook",
    "gmail", "outlook", "zoom", "slack", "discord", "canva", "figma", "photoshop", "coreldraw", "illustrator",
    "nginx", "apache", "redis", "postgres", "postgresql", "mysql", "mariadb", "mongodb", "docker", "kubernetes",
    "systemd", "cron", "rclone", "cpanel", "cloudflare", "github", "gitlab", "jenkins", "grafana", "prometheus",
    "loki", "alertmanager", "promtail", "sentry", "fonnte", "waha", "twilio", "mailgun", "sendgrid", "certbot",
})


def _verb(w: str) -> bool:
    """``w`` (lower case) reads as a verb after a subject."""
    if w in VERBS:
        return True
    n = len(w)
    if n >= 5 and w.endswith("ed"):
        return True
    return n >= 7 and w.startswith(("mem", "men", "meng", "meny"))


def _next_lower(s: str, end: int) -> str:
    """The lower-case word right after ``s[..end]`` and one space, or "" (punctuation, a capital,
    the end of the text)."""
    if s[end:end + 1] != " ":
        return ""
    e = _word_end(s, end + 1)
    if e < 0:
        return ""
    w = s[end + 1:e]
    return w if w.islower() and w.isalpha() else ""


def _noun_after(s: str, end: int) -> bool:
    """A lower-case word that is no verb follows ``s[..end]``."""
    w = _next_lower(s, end)
    return w != "" and not _verb(w) and w not in JOINERS


#: Lower-case words after a name that join it to the rest of a sentence, not to a product's name.
JOINERS: Final = frozenset({
    "and", "dan", "or", "atau", "with", "dengan", "from", "dari", "di", "at", "in", "to", "ke", "untuk", "for",
    "via", "lewat", "yang", "who", "juga", "too", "also", "please", "mohon", "tolong", "sendiri", "bersama",
})


def _after_word(s: str, p: int) -> bool:
    """``s[p]`` follows a lower-case word and one space ("sent to Yuki"; not "area: Kramat")."""
    return p >= 2 and s[p - 1] == " " and _lower_letter(s[p - 2])


def _product_after(s: str, end: int) -> bool:
    """What follows ``s[..end]`` reads as the rest of a product's or a firm's name, not as the rest
    of a sentence about a person: a lower-case noun (no verb, no joining word) that is not followed
    by an ID ("Bintang Kejora award certificate", "Sunter Agung pickup rescheduled"; not "Arif
    Wibowo invoice ORD-40330 overdue", "Hendro Saputro dan tim akan datang")."""
    w = _next_lower(s, end)
    if w == "" or _verb(w) or w in JOINERS:
        return False
    nxt = end + 1 + len(w)
    if s[nxt:nxt + 1] == " ":
        q = s.find(" ", nxt + 1)
        token = s[nxt + 1:] if q < 0 else s[nxt + 1:q]
        if any(ch.isdigit() for ch in token):
            return False
    return True


def _verb_after(s: str, end: int) -> bool:
    w = _next_lower(s, end)
    return w != "" and _verb(w)


def _soft(kinds: list[int], flags: list[int], k: int, j: int) -> bool:
    """The names of ``kinds[k:j]`` rest on common words only, or on one name that is no common
    given name: what a brand or a product can be made of."""
    listed = [i for i in range(k, j) if kinds[i] == 2 or kinds[i] == 3]
    if not listed or any(flags[i] & EXTRA or (kinds[i] == 3 and not flags[i]) for i in listed):
        return False  # a name the user gave, or a user name
    if len(listed) == 1:
        return not flags[listed[0]] & POPULAR
    return all(flags[i] & WORD != 0 for i in listed)


def _strong(f: int) -> bool:
    """A listed name that is a name on its own: no common word, and ranked (or the user's)."""
    return f != 0 and (f & EXTRA != 0 or (not f & WORD and f & (RANKED | POPULAR) != 0))


def _partner(f: int) -> bool:
    """A listed word that can stand beside another as part of a name: no common word, a common
    name ("Lestari", "Smith"), or a common word that is not a very common one ("Sari")."""
    return not f & WORD or f & (POPULAR | RANKED) != 0 or not f & VERY_COMMON


def _pair(f1: int, f2: int) -> bool:
    """Two listed words in a row (flags ``f1``, ``f2``), neither a name on its own, make a name: two
    that are no common words ("Maruli Simatupang", "BUDI SANTOSO"), one that is no common word
    and a partner ("Gede Wiratama"), or, when both are common words, one of the commonest given
    names followed by a partner ("Dewi Lestari", "John Smith"; not "Sinar Jaya", "Lestari Alam")."""
    if not f1 & WORD:
        return _partner(f2)
    if not f2 & WORD:
        return _partner(f1)
    return f1 & POPULAR != 0 and _partner(f2)


class NameFinder:
    """Spans of personal names in a text. ``names``: lower-case name -> flags (shared, never modified)."""

    def __init__(self, names: dict[str, int], allow: list[str] | None = None, extra: list[str] | None = None,
                 grams: dict[str, float] | None = None, model: dict[str, float] | None = None,
                 use_model: bool = True, places: dict[str, int] | None = None) -> None:
        self._names = names
        self._grams = shipped_grams() if grams is None else grams
        #: Place names of several words (``parse_places``): never a name without a title or a strong cue.
        self._places = shipped_places() if places is None else places
        self._like: dict[str, bool] = {}  # name_like of the words seen (bounded: cleared when full)
        allow_words: set[str] = set()
        allow_phrases: set[str] = set()
        for a in allow or []:
            low = " ".join(a.lower().split())
            if " " in low:
                allow_phrases.add(low)
            elif low:
                allow_words.add(low)
        self._allow = frozenset(allow_words)
        self._allow_phrases = frozenset(allow_phrases)
        self._extra = frozenset(" ".join(e.lower().split()) for e in extra or [] if e.strip())
        #: The second reading of the words the rules left (``NameModel``); None: the rules only.
        self._model: NameModel | None = None
        if use_model:
            self._model = NameModel(self, shipped_model() if model is None else model)

    @property
    def model(self) -> NameModel | None:
        """The second reading (``NameModel``), or None when the rules work alone."""
        return self._model

    # -- words ---------------------------------------------------------------

    def flags(self, low: str) -> int:
        """The list's flags of a lower-case word (0: not a name, or allowlisted)."""
        if low in self._allow:
            return 0
        if low in self._extra:
            return EXTRA | GIVEN
        f = self._names.get(low, 0)
        if f == 0 and low.endswith(("'s", "’s")):
            f = self._names.get(low[:-2], 0)
        return 0 if f & (PLACE | COMMON) else f

    def _bare_subject(self, s: str, start: int, end: int, low: str, word: str, any_verb: bool = False) -> bool:
        """``s[start:end]``, a capitalised word in no list and no dictionary, is the subject of a
        person's verb (``PERSON_VERBS``): "Yosias says", "Otniel minta refund" (not "Nginx was
        restarted": a verb any subject takes); ``any_verb``: of any verb (``_verb``), after a role
        ("Kurir Yosias sudah sampai")."""
        if not self._bare_word(low, word):
            return False
        w = _next_lower(s, end)
        return _verb(w) if any_verb else w in PERSON_VERBS

    def _bare_word(self, low: str, word: str) -> bool:
        """``word`` (``low``: in lower case) is capitalised, in no list and no dictionary, no service, and
        its letters read a little like a name's ("Yosias" 0.9, "Otniel" 1.0; not "Webhook" 0.2, "Backend"
        -0.7, "Laminasi" -0.2)."""
        if not 3 <= len(word) <= 24 or not _title_case(word) or low in self._allow or self._names.get(low, 0):
            return False
        if low in STOP or low in ORG or low in CALENDAR or low in SERVICES or self._blocked(low):
            return False
        return name_score(self._grams, low) >= BARE_NAME_LIKE

    def _unknown_pair(self, s: str, words: list[int], k: int, j: int) -> bool:
        """The words ``k..j-1`` of a run (``words``: their offsets) are each a bare word (``_bare_word``)
        and what follows them is no product's or firm's name."""
        for i in range(k, j):
            w = s[words[2 * i]:words[2 * i + 1]]
            if not self._bare_word(w.lower(), w):
                return False
        return not _product_after(s, words[2 * j - 1])

    def _common(self, low: str) -> bool:
        """``low`` is a common word in no name list ("valued", "sobat", "logged")."""
        return self._names.get(low, 0) & COMMON != 0 and low not in self._extra

    def _alone(self, w: str) -> bool:
        """``w`` is a capitalised listed name that is a name on its own (no common word, ranked)."""
        if not _title_case(w):
            return False
        wl = w.lower()
        if wl in STOP or self._blocked(wl):
            return False
        f = self.flags(wl)
        return (not f & WORD and f & (RANKED | POPULAR) != 0) or f & EXTRA != 0

    def _name_like(self, low: str) -> bool:
        """``low`` (a lower-case word in no list, of four letters or more, no common word) reads like a
        name by its letters (``name_score``)."""
        if not 4 <= len(low) <= 40 or not low.isalpha() or self._common(low):
            return False  # (no name has 40 letters: a crafted long word is never cached)
        got = self._like.get(low)
        if got is None:
            if len(self._like) >= 4096:
                self._like.clear()
            got = name_score(self._grams, low) >= NAME_LIKE
            self._like[low] = got
        return got

    def _partner_after(self, w: str) -> bool:
        """``w``, after a capitalised word in no list, makes a name with it: a name on its own, or a
        listed capitalised name that is not a very common word ("by Yohana Kristiani")."""
        if self._alone(w):
            return True
        wl = w.lower()
        f = self.flags(wl)
        return (_title_case(w) and len(w) > 1 and (f == 0 or not f & VERY_COMMON) and wl not in STOP
                and not self._blocked(wl) and not self._common(wl) and wl not in TITLES and wl not in CUES)

    def _month_before_name(self, s: str, end: int) -> bool:
        """The word after ``s[..end]`` (a month that is a given name) makes it a name (``_month_name``)."""
        if s[end:end + 1] != " ":
            return False
        m = _WORD.match(s, end + 1)
        return m is not None and self._month_name(m.group())

    def _month_name(self, w: str) -> bool:
        """``w``, after a month that is also a given name, makes it a name: a capitalised listed given
        name or surname that is no month or weekday ("Ling", "Astuti"; not "Lalu", "Depan")."""
        low = w.lower()
        f = self.flags(low)
        return (_title_case(w) and low not in CALENDAR and low not in STOP and not self._blocked(low)
                and f & (GIVEN | SURNAME) != 0 and not f & VERY_COMMON)

    def place_at(self, lows: list[str], k: int) -> int:
        """How many words of ``lows`` (lower-case words) from ``k`` on make a place's name of several
        words ("lenteng agung", "labuan bajo"), else 0."""
        places = self._places
        most = places.get(lows[k], 0)
        if most >= 0:
            return 0  # (most words: no place's name opens with them; one lookup)
        for n in range(min(-most, len(lows) - k), 1, -1):
            if places.get(" ".join(lows[k:k + n]), 0) == n:
                if self._extra and any(w in self._extra for w in lows[k:k + n]):
                    return 0  # the user's names_extra ("Indah"): "Indah Sari" is a person's
                return n
        return 0

    def _blocked(self, low: str) -> bool:
        return low in ORG or low in CALENDAR or low in self._allow or self._names.get(low, 0) & PLACE != 0

    def _username(self, word: str, cue: bool, subject: bool = False) -> bool:
        """``kevin.wijaya``, ``budi_s``, ``j.smith``: two to four pieces, one of them a listed name.
        Without a cue before it (``cue``), every piece must be a listed name or an initial, and one
        a listed name that is not also a common word; as the subject of a verb (``subject``:
        "andi.pawelloi changed"), a piece may be in no list and no dictionary when its letters read a
        little like a name's (not "config.reload", "log.rotate")."""
        pieces = word.replace("_", ".").replace("-", ".").split(".")
        if not 2 <= len(pieces) <= 4:
            return False
        strong = listed = False
        for p in pieces:
            low = p.lower()
            if len(low) <= 2:
                continue  # an initial
            f = self.flags(low)
            if low in STOP or low in SYSTEM_USERS or self._blocked(low):
                return False  # (not "job_runner", "svc_backup": a system's account)
            if f == 0:
                if not cue:
                    if subject and not self._common(low) and name_score(self._grams, low) >= BARE_NAME_LIKE:
                        continue
                    return False
                if self._name_like(low):
                    listed = True  # "account yulianus_rumbiak": pieces that read like names
                continue
            listed = True
            if not f & WORD or f & EXTRA:
                strong = True
        return listed if cue else strong

    def _glued(self, low: str) -> bool:
        """After a cue: ``dnurhaliza`` (an initial and a listed name), ``budisantoso`` (two listed
        names, not both common words)."""
        if not 5 <= len(low) <= 48 or not low.isalpha() or self._common(low):
            return False  # (a listed name has at most 24 letters: a crafted long word costs nothing)
        rest = low[1:]
        if self.flags(rest) and rest not in STOP and not self._blocked(rest):
            return True
        for i in range(3, len(low) - 2):
            a = self.flags(low[:i])
            b = self.flags(low[i:]) if a else 0
            if a and b and not (a & WORD and b & WORD):
                return True
        return False

    def _initial_glued(self, low: str) -> bool:
        """Without a cue: ``fsondakh``, an initial glued to a ranked listed name that is no common word
        (not "server", "rumah": words in no list that ``_glued`` would split)."""
        if not 5 <= len(low) <= 25 or not low.isalpha() or not low.islower() or self._common(low):
            return False
        f = self.flags(low[1:])
        return f & RANKED != 0 and not f & WORD and low[1:] not in STOP and not self._blocked(low[1:])

    # -- spans ---------------------------------------------------------------

    def spans(self, s: str) -> list[int]:
        """Start and end offsets of the names in ``s``, flat and in order: [start0, end0, start1, ...]."""
        out: list[int] = []
        fmt = self._formats(s)
        tokens = s.split()
        cues = _lower_cues(s, tokens)
        users = self._bare_users(s, tokens, ("_" in s or "." in s) and _JOINED.search(s) is not None)
        ci = ui = 0
        first = s[:1]
        pos = (self._subject_user(s, tokens, out) if first.islower()
               else self._speaker_user(s, out) if first == "[" else 0)
        m = _CAP.search(s)
        while m is not None or ci < len(cues) or ui < len(users):
            if ui < len(users) and (m is None or users[ui] < m.start()) and (ci >= len(cues) or users[ui] < cues[ci]):
                if users[ui] >= pos:
                    out.append(users[ui])
                    out.append(users[ui + 1])
                    pos = users[ui + 1]
                ui += 2
            elif ci < len(cues) and (m is None or cues[ci] < m.start()):
                start, end = cues[ci], cues[ci + 1]
                ci += 2
                if start >= pos:
                    low = s[start:end]
                    pos = max(pos, self._after_cue(s, end, low, low, out))
            else:
                assert m is not None
                start = m.start()
                word = m.group()
                low = word.lower()
                e = m.end()
                if (low in CUES or low in STRONG_CUES or low in TITLES) and (
                        low not in CUE_AFTER or _word_before(s, start) in CUE_AFTER[low]):
                    nxt = self._after_cue(s, e, low, word, out)
                elif (e + 1 < len(s) and _upper_letter(s[e + 1]) and s[e] in " .") or low in ORG or self.flags(low):
                    nxt = self._run(s, start, out)
                else:
                    # One capitalised word in no list ("GET", "Gagal", "ValueError"): a name only as the
                    # subject of a person's verb ("Yosias says", "Otniel minta refund").
                    if self._bare_subject(s, start, e, low, word):
                        out.append(start)
                        out.append(e)
                    nxt = e
                pos = max(pos, nxt, m.end())
                m = _CAP.search(s, pos) if pos < len(s) else None
            if m is not None and m.start() < pos:
                # (Once a search found nothing, no later one can: the text is not searched again.)
                m = _CAP.search(s, pos) if pos < len(s) else None
        if fmt:
            out = _union(out, fmt)
        if self._model is not None and self._model.worth(s, tokens, out):
            more = self._model.spans(s, out)
            if more:
                return _merged(out, more)
        return out

    def _formats(self, s: str) -> list[int]:
        """[start, end, ...] of the names that a format says are names, in order, possibly overlapping
        the rules' own: a user name where a login line has one (``_SUDO``, ``_SSH`` …), the quoted value of a
        name's key (``_KEYED_NAME``), a name after "La Ode" / "Wa Ode", the author of a quoted e-mail
        ("Elsina Wanimbo wrote:")."""
        out: list[int] = []
        if s[:1].isalnum() and " - " in s[:64]:
            self._slot(_ACCESS.match(s), out)
        if "sudo" in s:
            self._slot(_SUDO.search(s), out)
        if "Accepted " in s or "Failed " in s:
            self._slot(_SSH.search(s), out)
        if "user " in s:
            self._slot(_USER_SLOT.search(s), out)
        if "(uid=" in s:
            for m in _UID.finditer(s):
                self._slot(m, out)
        if "(to " in s:
            self._slot(_SU.search(s), out)
        if "nam" in s or "Nam" in s or "NAM" in s:
            for m in _KEYED_NAME.finditer(s):
                a = m.start()
                if s[a + 3] in "eE":  # "name": whose, in the key before it
                    key = s[max(0, a - 12):a].lower().rstrip(" _-")
                    owner = ""
                    for o in NAME_OWNERS:
                        if key.endswith(o):
                            owner = o
                            break
                    if not owner or key[-len(owner) - 1:-len(owner)].isalpha():
                        continue
                elif a > 0 and _letter(s[a - 1]):
                    continue  # ("penama"): "nama" inside a word
                value = m.group(2)
                core = value.strip(" .")
                if (core and core.lower() not in STOP and len(core.split()) <= 6 and any(_letter(ch) for ch in core)
                        and not any(ch.isdigit() or ch in "@/_\\#<>=" for ch in core)):
                    a = m.start(2) + value.find(core)
                    out.append(a)
                    out.append(a + len(core))
        if "Ode" in s or "ODE" in s:
            for m in _ODE.finditer(s):
                out.append(m.start())
                out.append(m.end())
        for tail in _WROTE:
            i = s.find(tail)
            if i > 0:
                self._author(s, i, out)
        if out and (self._allow or self._allow_phrases):
            kept: list[int] = []  # (the user's names_allow: "Kusnadi Simbolon" as a brand)
            for k in range(0, len(out), 2):
                text = s[out[k]:out[k + 1]]
                if text.lower() not in self._allow and not (self._allow_phrases and self._allowed_phrase(text)):
                    kept.append(out[k])
                    kept.append(out[k + 1])
            out = kept
        if len(out) > 2:
            pairs = sorted(zip(out[::2], out[1::2], strict=True))
            out = [x for pair in pairs for x in pair]
        return out

    def _slot(self, m: re.Match[str] | None, out: list[int]) -> None:
        """The user name a login line's regex matched (its group that took part), if a person's."""
        if m is None:
            return
        g = m.lastindex
        if g is not None and self._slot_user(m.group(g)):
            out.append(m.start(g))
            out.append(m.end(g))

    def _slot_user(self, w: str) -> bool:
        """``w``, in a place where a login line holds a user name, is a person's: ``kevin.wijaya``,
        ``otniel.yikwa``, ``la.harmin`` (pieces that are no common word, or listed names), or one word
        that ``user_spans`` takes (``budi``, ``rhartono``); not ``root``, ``www-data``, ``svc_backup``."""
        if not 2 <= len(w) <= 64 or w == "-":
            return False
        low = w.lower()
        pieces = low.replace("_", ".").replace("-", ".").split(".")
        if len(pieces) == 1:
            return low not in SYSTEM_USERS and self.user_spans(w) == [0, len(w)]
        if len(pieces) > 4:
            return False
        long = 0
        for p in pieces:
            if not p.isalpha():
                return False
            if len(p) <= 2:
                continue  # an initial
            if p in SYSTEM_USERS or p in STOP or self._blocked(p) or (not self.flags(p) and self._common(p)):
                return False
            long += 1
        return long > 0

    def _author(self, s: str, i: int, out: list[int]) -> None:
        """The capitalised words before ``s[i:]`` (" wrote:"), an e-mail address in "<…>" between:
        the author of a quoted e-mail, unless they are only common words ("Support Team wrote:")."""
        end = i
        if s[end - 1:end] == ">":
            lt = s.rfind("<", max(0, end - 120), end)
            if lt > 0 and s[lt - 1] == "<":
                lt -= 1  # ("<<redacted:email>>": the address went first)
            if lt <= 0 or s[lt - 1] != " ":
                return
            end = lt - 1
        start = cut = end  # (s[cut]: the space after the word read)
        named = False
        for _ in range(4):
            sp = s.rfind(" ", 0, cut)
            w = s[sp + 1:cut]
            core = w.strip("\"'")
            if not core or not (_title_case(core) or (core.isupper() and len(core) > 1)) or not core.replace(
                    "'", "").replace("-", "").replace(".", "").isalpha():
                break
            low = core.lower().rstrip(".")
            if low in STOP or low in ORG or self._blocked(low):
                return
            if self.flags(low) or not self._common(low):
                named = True
            start = sp + 1
            if sp < 0:
                break
            cut = sp
        if named and start < end:
            while s[start] in "\"'":
                start += 1
            e = end
            while s[e - 1] in "\"'":
                e -= 1
            out.append(start)
            out.append(e)

    def _subject_user(self, s: str, tokens: list[str], out: list[int]) -> int:
        """A lower-case user name opening the text before a verb ("nhasanah deleted draft", "kevin.w
        exported 120 orders"): read as after a cue. Returns where the scan starts."""
        if len(tokens) < 2 or not _verb(tokens[1]):
            return 0  # (the cheap test first: most texts that open in lower case have no verb second)
        m = _WORD.match(s)
        if m is None or not _verb_after(s, m.end()):
            return 0
        w = m.group()
        dot = w.rfind(".")
        if not w.islower() or self._common(w) or self.flags(w) or (dot >= 0 and len(w) - dot <= 4):
            return 0  # (not "santoso.id is the shop domain")
        if (("." in w or "_" in w or "-" in w) and self._username(w, False)) or self._glued(w):
            out.append(0)
            out.append(m.end())
            return m.end()
        return 0

    def _speaker_user(self, s: str, out: list[int]) -> int:
        """The user name speaking in a chat transcript's line after its bracketed time ("[14:02] skambu:
        udh sy upload", "[09:10] yermias_tefa: ok"): read as after a cue; not a system's account
        ("[12:00] cron: done"). Returns where the scan starts."""
        close = s.find("] ", 1, 24)
        if close < 0:
            return 0
        p = close + 2
        e = _word_end(s, p)
        if e < 0 or s[e:e + 2] != ": " or not _lower_letter(s[p]):
            return 0
        w = s[p:e]
        if not w.islower() or w in SYSTEM_USERS or w in SERVICES or w in STOP or self._common(w):
            return 0
        f = self.flags(w)
        if f & PLACE or (f & WORD and not f & POPULAR) or not (
                f or ((("." in w or "_" in w or "-" in w) and self._username(w, True)) or self._glued(w))):
            return 0  # (a listed name that is also a common word only when it is among the commonest: "budi")
        out.append(p)
        out.append(e)
        return e

    def _bare_users(self, s: str, tokens: list[str], joined: bool) -> list[int]:
        """[start, end, ...] of the lower-case names of ``s`` that stand without a cue: user names
        (``ratih_kumalasari``, ``kevin.wijaya``; when ``joined``): pieces joined by "_", "." or "-",
        each a listed name or an initial, one of them no common word (``_username``); and two
        listed names in a row, one a name on its own, the other no very common word
        (``koordinasi dengan rina marlina``)."""
        out: list[int] = []
        pos = 0
        prev = ""  # the previous token when it is a lower-case listed word that a pair may open
        prev_f = 0
        names = self._names
        extra = self._extra
        for ti in range(len(tokens)):
            w = tokens[ti]
            n = len(w)
            if w[0] == "@" and 3 < n <= 48:
                # A mention ("@murni.sitanggang", "@Amber"): read as after a cue.
                core = w[1:].rstrip(".,;:!?)\"'")
                low = core.lower()
                if (low not in STOP and core.replace("_", "").replace(".", "").isalpha()
                        and (self._username(low, True) if "." in low or "_" in low else self.flags(low) != 0)):
                    q = _token_at(s, w, pos, len(core) + 1, out)
                    if q < 0:
                        break
                    out[-2] += 1  # (the "@" stays)
                    pos = q
                prev = ""
                continue
            if n > 48 or n < 3 or not _lower_letter(w[0]):
                prev = ""
                continue
            if "_" not in w and w.find(".", 0, n - 1) < 0:
                core = w if _letter(w[-1]) else w.rstrip(".,;:!?)\"'")
                raw = names.get(core, 0)
                if raw == 0 and ti > 0 and tokens[ti - 1] in PERSON_BEFORE and self._initial_glued(core):
                    # "assigned to fsondakh": an initial glued to a listed name, the object of "to"
                    pos = _token_at(s, w, pos, len(core), out)
                    if pos < 0:
                        break
                    prev = ""
                    continue
                if (raw == 0 or raw & (PLACE | COMMON)) and not (extra and core in extra):
                    prev = ""
                    continue
                f = self._lower_name(core)
                if f and prev and ((_strong(prev_f) and not f & VERY_COMMON)
                                   or (_strong(f) and not prev_f & VERY_COMMON)):
                    i = len(out)
                    q = _token_at(s, prev, pos, len(prev), out)
                    q = _token_at(s, w, q, len(core), out) if q >= 0 else -1
                    if q < 0:
                        del out[i:]
                        break
                    out[i + 1:i + 3] = []  # one span from the first word's start to the second's end
                    pos = q
                    prev = ""
                    continue
                prev, prev_f = (core, f) if f and core == w else ("", 0)  # (a comma ends a pair)
                continue
            prev = ""
            if not joined:
                continue
            core = w.rstrip(".,;:!?)\"'")
            dot = core.rfind(".")
            if dot >= 0 and len(core) - dot <= 4:
                continue  # "santoso.id", "budi.com": a domain
            if not core.replace("_", "").replace(".", "").replace("-", "").isalpha():
                continue  # digits, a path, an email or a dotted identifier
            person = (core == w and ti + 1 < len(tokens) and _verb(tokens[ti + 1])) or (
                ti > 0 and tokens[ti - 1] in PERSON_BEFORE)
            if not self._username(core, False, subject=person):
                continue  # (the subject of a verb or the object of "to" may have a piece in no list:
                # "andi.pawelloi changed", "for otniel.yikwa")
            pos = _token_at(s, w, pos, len(core), out)
            if pos < 0:
                break
        return out

    def _lower_name(self, w: str) -> int:
        """The flags of a lower-case listed name that may stand in a pair without a cue, else 0."""
        if not 3 <= len(w) <= 24 or not w.isalpha():
            return 0
        f = self.flags(w)
        if f == 0 or w in STOP or w in CUES or w in TITLES or w in PARTICLES or self._blocked(w):
            return 0
        return f

    def user_spans(self, s: str) -> list[int]:
        """``spans`` of a field that holds a user name (nginx's ``remote_user``): read as after the
        cue "user", so ``alice.w``, ``budi_s`` and ``dnurhaliza`` count."""
        return [x - 5 for x in self.spans("user " + s)]

    def _after_cue(self, s: str, end: int, low: str, word: str, out: list[int]) -> int:
        """A cue or title at ``s[..end]``: the name after it, if any; returns where the scan goes on.
        A cue or title may follow it ("by user kevin.wijaya", "Dear Mr. Smith", "oleh Ibu Ratna"):
        at most three in a row count."""
        title = strong = False
        p = end
        for _ in range(3):
            title = title or (low in TITLES and (low in TITLES_LOWER or _upper_letter(word[0])))
            strong = strong or low in STRONG_CUES
            if low in NAME_KEYS and s[end:end + 1] not in (":", "="):
                return end
            if low in COLON_CUES and s[end:end + 1] != ":":
                # "from cache", "to retry": a cue only with a colon, or before a user name
                # ("assigned to nabila_alhadar") or two lower-case names ("from wiliam tanujaya")
                return self._lower_after(s, end, low in USER_CUES, out)
            if low == "atas":
                # "atas nama" is the cue; "atas" alone is a preposition.
                if s[end:end + 5].lower() != " nama":
                    return end
                end += 5
            if end < len(s) and s[end] == ".":
                end += 1  # "Bpk.", "a.n.", "Dr."
            elif low in DOTTED_TITLES:
                return end
            g = _GAP.match(s, end)
            p = g.end() if g is not None else end
            if p == end and p < len(s) and s[p] not in " \t":
                return end
            if "," in s[end:p] and low in TITLES and low not in CUES and low not in STRONG_CUES:
                return end  # "Halo Kak, ada yang ...": a title stands right before its name
            we = _word_end(s, p)
            if we < 0:
                return end
            w = s[p:we]
            wl = w.lower()
            if not ((wl in TITLES and (wl in TITLES_LOWER or _upper_letter(w[0]))) or wl in CUES or wl in STRONG_CUES):
                break
            low, word, end = wl, w, we
        else:
            return end
        if wl in ORG:
            words = self._words(s, p, 8, True)
            return words[-1]  # "Ibu Kota Nusantara", "oleh PT Maju Jaya": the organisation's run
        if (wl in STOP or self._blocked(wl) or (low in GREETING_TIMES and w == wl)) and not (
                wl in CALENDAR_NAMES and self._month_before_name(s, we)):
            return we  # ("sore hari", "pagi ini": a greeting by the time of day takes capitals only)
        if low in ORG and _upper_letter(word[0]) and not self._alone(w) and not (
                _title_case(w) and not self._common(wl) and _verb_after(s, we)):
            # "Teh Botol Sosro": a title that is also a product word (but "Teh Tiurma minta": a name
            # in no dictionary before a verb)
            return self._words(s, p, 8, True)[-1]
        if low in USER_CUES:
            if w == wl and ((("." in w or "_" in w) and self._username(w, True)) or self._glued(wl)):
                out.append(p)
                out.append(we)
                return we
            return end
        if w.lower() != w or title or strong:
            # Capitalised or all caps (or anything after a title): the run of name words, and the
            # ones joined to it ("reviewed by Ria Amelia and Hana Pertiwi"). After a verb whose object
            # is a person or a key ("Kabari Padmi", "Signed-off-by: Ryosuke Kawaguchi"), capitalised
            # words in no list too, like after a strong cue.
            found = len(out)
            eager = (title or strong or low in PERSON_CUES or ":" in s[end:p] or "=" in s[end:p]
                     or (low in ROLE_CUES and self._bare_subject(s, p, we, wl, w, any_verb=True)))
            e = self._context_run(s, p, eager, out)
            if low in GREETING_TIMES and not title and len(out) > found and e < len(s) and s[e] not in ",!.;:":
                del out[found:]  # "Morning Glory label": a greeting by the time of day stands before a comma
                return e
            for _ in range(3):
                q = (e + 5 if s.startswith((" and ", " dan "), e) else e + 3 if s.startswith(" & ", e)
                     else e + 2 if low == "cc" and s.startswith(", ", e) else -1)  # "cc: A B, C D"
                if q < 0 or q >= len(s) or not _upper_letter(s[q]):
                    break
                found = len(out)
                e2 = self._context_run(s, q, title or strong, out)
                if len(out) == found:
                    break
                e = e2
            return e
        # Lower case after a plain cue: a listed name, a user name, an initial glued to a name.
        f = self.flags(wl)
        if ("." in w or "_" in w or "-" in w) and self._username(w, True):
            out.append(p)
            out.append(we)
            return we
        if ((f and not f & EN_WORD and (not f & VERY_COMMON or f & POPULAR or ":" in s[end:p] or wl in BALI))
                or f & EXTRA or self._glued(wl)):
            # (not "kurir susah parkir": a very common word; "Dari: indah" has a colon)
            e = self._more_lower(s, we)
            out.append(p)
            out.append(e)
            return e
        return we

    def _lower_after(self, s: str, end: int, users: bool, out: list[int]) -> int:
        """After a cue that needs a colon and has none: a user name (``users``) or two lower-case
        listed names, one of them a name on its own ("from wiliam tanujaya"); returns where the scan
        goes on."""
        if s[end:end + 1] != " ":
            return end
        m = _WORD.match(s, end + 1)
        if m is None:
            return end
        w = m.group()
        if not w.islower():
            return end
        if "." in w or "_" in w or "-" in w:
            if users and self._username(w, False):  # every piece a name or an initial: not "to max_retries"
                out.append(m.start())
                out.append(m.end())
                return m.end()
            return end
        if s[m.end():m.end() + 1] != " ":
            return end
        m2 = _WORD.match(s, m.end() + 1)
        if m2 is None or not m2.group().isalpha() or not m2.group().islower():
            return end
        w2 = m2.group()
        a, b = self.flags(w), self.flags(w2)
        # one a name on its own, the other a listed name that is no very common word, or in no dictionary
        if ((_strong(a) and not b & VERY_COMMON and (b or not self._common(w2)))
                or (_strong(b) and not a & VERY_COMMON and (a or not self._common(w)))):
            out.append(m.start())
            out.append(m2.end())
            return m2.end()
        return end

    def _more_lower(self, s: str, end: int) -> int:
        """After a lower-case name, the listed names that follow it ("oleh budi santoso")."""
        for _ in range(3):
            if s[end:end + 1] != " ":
                break
            m = _WORD.match(s, end + 1)
            if m is None:
                break
            wl = m.group()
            if wl != wl.lower() or wl in STOP or self._blocked(wl) or not self.flags(wl):
                break
            end = m.end()
        return end

    def _words(self, s: str, p: int, limit: int, capitals: bool) -> list[int]:
        """The run of words from ``p``: [start, end, ...] of words joined by one space (or an
        initial's or title's "." and a space), at most ``limit``; ``capitals``: capitalised words
        only (and name particles)."""
        out: list[int] = []
        while len(out) < 2 * limit:
            if capitals and out and not _upper_letter(s[p]) and _word_at(s, p) not in PARTICLES:
                break
            e = _word_end(s, p)
            if e < 0:
                break
            out.append(p)
            # "Kevin's": the name is "Kevin"
            out.append(e - 2 if e - p > 3 and s[e - 2] in "'’" and s[e - 1] == "s" else e)
            if s[e:e + 2] == ". " and (e - p == 1 or s[p:e].lower() in TITLES or s[p:e].lower() in ORG):
                e += 1  # "A. Yani", "Bpk. Joko", "Jl. Sudirman"
            if s[e:e + 1] != " ":
                break
            p = e + 1
        return out

    def _context_run(self, s: str, p: int, any_capital: bool, out: list[int]) -> int:
        """The name after a cue or title: listed names in any case, and after a title or a strong
        cue capitalised words in no list; up to four words."""
        words = self._words(s, p, 4, False)
        if not any_capital and len(words) >= 4 and self._places.get(s[words[0]:words[1]].lower(), 0) < 0:
            pl = self.place_at([s[words[k]:words[k + 1]].lower() for k in range(0, len(words), 2)], 0)
            if pl:
                return words[2 * pl - 1]  # "dari Labuan Bajo": a place's name after a cue that is no title
        first = last = -1
        listed = False
        taken: list[int] = []  # the flags of the listed words taken
        for k in range(0, len(words), 2):
            w = s[words[k]:words[k + 1]]
            wl = w.lower()
            if last >= 0 and wl in CALENDAR and len(wl) == 3:
                last = words[k + 1]  # "Liem Hok Sun": a weekday's or month's abbreviation inside a name
                continue
            if (first < 0 and wl in CALENDAR_NAMES and k + 3 < len(words) and _title_case(w)
                    and self._month_name(s[words[k + 2]:words[k + 3]])):
                first = words[k]  # "Hi Mei Ling", "Cik Mei Ling": a month that is a given name
                last = words[k + 1]
                listed = True
                continue
            if wl in STOP or self._blocked(wl) or wl in TITLES:
                if not listed and wl in STOP and w != wl:
                    return words[k + 1]  # "Dear Valued Customer": a phrase, not a name
                break
            f = self.flags(wl)
            if not f and _title_case(w) and self._name_like(wl):
                f = SURNAME  # "Terima kasih, Rahmadona!": a name by its letters, like a listed surname
            if w == wl and f & VERY_COMMON and not f & (POPULAR | RANKED):
                break  # "Pak ada di kantor", "sore hari": a very common word in lower case
            if w == wl and f & WORD and last >= 0 and _upper_letter(s[first]):
                break  # "Bu Ratna tanya": a word in lower case after a capitalised name
            if not f and self._common(wl):
                if not listed and first < 0:
                    return words[k + 1]  # "Dear Valued Partner", "Halo Sobat CFlex": words, not a name
                break
            if not f and w.isupper() and len(w) <= 3 and first < 0:
                return words[k + 1]  # "Mr. DIY", "Bu RT": an acronym, not a name
            listed = listed or f != 0
            if f:
                taken.append(f)
            if wl in PARTICLES and w == wl and last >= 0:
                continue
            if (not f and first < 0 and k + 3 < len(words) and _title_case(w) and len(w) > 1
                    and self._partner_after(s[words[k + 2]:words[k + 3]])):
                first = words[k]  # "by Husein Assegaf": a given name in no list, then a surname on its own
                last = words[k + 1]
                continue
            if not f and not (any_capital and (_title_case(w) or (w.isupper() and len(w) > 1))):
                if last >= 0 and not any_capital and (
                        (_title_case(w) and len(w) > 1)
                        or (w.isupper() and len(w) > 3 and s[words[k - 2]:words[k - 1]].isupper())):
                    last = words[k + 1]  # a capitalised word right after the listed ones: a surname in no list
                break
            if first < 0:
                first = words[k]
            last = words[k + 1]
        if first < 0:
            return words[1] if words else p
        if (not any_capital and len(taken) >= 2 and s[first:last].count(" ") + 1 == len(taken)
                and all(f & WORD and not f & EXTRA for f in taken) and any(f & VERY_COMMON for f in taken)
                and not _pair(taken[0], taken[1])):
            return last  # "pesanan dari Jaya Abadi": common words only, one very common, a firm's name
        if self._allow_phrases and self._allowed_phrase(s[first:last]):
            return last
        first = _prefixed(s, first)
        out.append(first)
        out.append(last)
        return last

    def _run(self, s: str, p: int, out: list[int]) -> int:
        """A run of capitalised words without a cue before it: its names, if any."""
        words = self._words(s, p, 8, True)
        for k in range(0, len(words), 2):
            wl = s[words[k]:words[k + 1]].lower()
            if wl in ORG or self._names.get(wl, 0) & PLACE:
                break  # "Warung Bu Tini", "Bandara Mr. ...": the organisation takes the run
            if k > 0 and ((wl in TITLES and wl not in DOTTED_TITLES) or wl in CUES or wl in STRONG_CUES) and (
                    wl not in GREETING_TIMES):
                del words[k:]  # "Permisi Bu Yulianus": the title reads as a title, the scan goes on there
                break
        n = len(words) // 2
        # Kinds: 3 a listed name that is no common word (a name on its own), 2 a listed name that
        # needs another (a common word, or all caps), 1 a capitalised word in no list, 0 not a name
        # (ends a name), 4 a particle, inside a name only. An organisation word: no name in the run.
        kinds: list[int] = []
        flags: list[int] = []
        place_end = 0  # (the words before it make a place's name: "Lenteng Agung", "Labuan Bajo")
        for k in range(n):
            w = s[words[2 * k]:words[2 * k + 1]]
            wl = w.lower()
            if wl in ORG:
                return words[-1]
            kind = f = 0
            if k >= place_end and self._places.get(wl, 0) < 0:
                place_end = k + self.place_at([s[words[2 * x]:words[2 * x + 1]].lower()
                                               for x in range(k, min(n, k + 4))], 0)  # (4 words at most)
            if k < place_end:
                kind = 0
            elif wl in CALENDAR_NAMES and k + 1 < n and _title_case(w) and self._month_name(
                    s[words[2 * k + 2]:words[2 * k + 3]]):
                kind = 2  # "Mei Ling belum transfer": a month that is a given name, before a listed name
                f = GIVEN
            elif wl in CALENDAR and len(wl) == 3 and kinds and kinds[-1] >= 2:
                kind = 1  # "Liem Hok Sun": a weekday's or month's abbreviation inside a name
            elif wl in CALENDAR or wl in STOP or wl in TITLES or wl in self._allow or self._names.get(wl, 0) & PLACE:
                kind = 0
            elif wl in PARTICLES and w == wl:
                kind = 4
            elif w.isupper():
                f = self.flags(wl)
                kind = 2 if f and len(w) > 1 else 1 if len(w) > 3 and not f and not self._common(wl) else 0
            elif _title_case(w):
                f = self.flags(wl)
                if f:
                    kind = 3 if ((not f & WORD and f & (RANKED | POPULAR)) or f & EXTRA) else 2
                elif self._common(wl):
                    if kinds and kinds[-1] >= 2:
                        return words[-1]  # "Adi Karya Konstruksi banner": names then a word, a firm's name
                elif len(w) > 1 and "." not in w and "_" not in w:
                    kind = 1
                    if self._name_like(wl):
                        kind = 2  # "Rahmadona", "Wisnawa": a name by its letters, like a listed surname
                        f = SURNAME
            elif "." in w or "_" in w:
                kind = 3 if self._username(w, False) else 0
            elif w.isalpha() and any(_upper_letter(ch) for ch in w[1:]):
                return words[-1]  # "Roland VersaCAMM", "Adobe InDesign": a product's name in mixed case
            if k and kind >= 1 and wl in PHRASES_SECOND.get(s[words[2 * k - 2]:words[2 * k - 1]].lower(), _NONE):
                kinds[-1] = 0
                kind = 0
            kinds.append(kind)
            flags.append(f)
        if n == 0:
            return p + 1
        # Segments between non-names: a name if it holds a listed name that is no common word, or
        # two listed names of which one is no common word (all caps: "BUDI SANTOSO"), or opens with
        # one of the most common given names followed by another common name ("Dewi Lestari",
        # "John Smith"). Two common words are not a name otherwise: shops, brands and places are
        # made of them ("Sinar Jaya", "Harapan Baru", "Lestari Alam", "Rose Gold").
        org_checked = False
        k = 0
        while k < n:
            if kinds[k] == 0:
                k += 1
                continue
            j = k
            while j < n and kinds[j] != 0:
                j += 1
            strong = False
            first = second = -1
            for i in range(k, j):
                if kinds[i] == 3:
                    strong = True
                elif kinds[i] == 2:
                    if first < 0:
                        first = i
                    elif second < 0:
                        second = i
            name = strong or (second >= 0 and _pair(flags[first], flags[second]))
            if not name and j - k >= 2 and s[words[2 * k]:words[2 * k + 1]].lower() in BALI and all(
                    kinds[i] >= 1 for i in range(k, j)):
                name = True  # "Gusti Ayu Made Sri", "Made Wirawan": a Balinese birth-order or caste word opens it
            if (not name and 2 <= j - k <= 3 and first >= 0 and flags[first] & (GIVEN | SURNAME)
                    and all(kinds[i] == 1 or kinds[i] == 2 for i in range(k, j))
                    and any(kinds[i] == 1 or (kinds[i] == 2 and not flags[i] & WORD and flags[i] & SURNAME)
                            for i in range(k, j))
                    and all(kinds[i] == 1 or not flags[i] & VERY_COMMON or flags[i] & POPULAR or any(
                        kinds[x] == 2 and not flags[x] & WORD and flags[x] & SURNAME for x in range(k, j))
                            for i in range(k, j))):
                # (a very common word only beside a listed surname: "kabari Bunga Rahmadani"; not
                # "cetak Art Carton")
                # "Yuki Nakamura", "Desrianti Jambak", "KETUT SUDIARSA": a listed name beside a
                # capitalised word in no list and in no dictionary (a proper noun), inside a sentence
                # after a lower-case word, or opening one before a verb, a colon or "and" (not a
                # product's or a place's name opening a line or after a label: "Pin Peniti 58 mm",
                # "delivery area: Kramat Jati")
                end = words[2 * j - 1]
                if k > 0:
                    # after a capitalised word that is no name: "Libur Isra Miraj" (but all caps is a
                    # sentence in capitals: "PESANAN KETUT SUDIARSA BELUM DATANG")
                    name = s[words[2 * k - 2]:words[2 * k - 1]].isupper() and s[p:end].isupper()
                elif _after_word(s, p) and not _sentence_start(s, p):
                    name = True
                else:
                    name = j == n and (_verb_after(s, end) or s.startswith((": ", " and ", " dan "), end))
            if k == 0 and j == n:  # the whole run: what follows it is what follows the name
                if name and _sentence_start(s, p) and ((_soft(kinds, flags, k, j) and _noun_after(s, words[-1]))
                                                        or _product_after(s, words[-1])):
                    name = False  # "Ayu Sari spa menu", "Misty Morning invitation": a brand opening a line
                elif (not name and j - k == 2 and kinds[k] == 2 and flags[k] & GIVEN
                      and (kinds[k + 1] == 1 or (kinds[k + 1] == 2 and flags[k + 1] & SURNAME))
                      and not (flags[k] | flags[k + 1]) & VERY_COMMON and not s[words[0]:words[1]].isupper()
                      and (_verb_after(s, words[-1]) or s.startswith(": ", words[-1]))):
                    # "Cucu Rohaeti confirmed", "Hana Pertiwi belum bayar", "Cucu Rohaeti: revisi": a
                    # given name, a surname (in no list, or a common word), a verb or a colon
                    name = True
                    kinds[k] = 3
                elif (not name and j - k == 1 and kinds[k] == 2 and flags[k] & GIVEN
                      and not flags[k] & VERY_COMMON and (not flags[k] & ID_WORD or flags[k] & RANKED)
                      and _title_case(s[words[0]:words[1]]) and _sentence_start(s, p)
                      and (_verb_after(s, words[-1]) or s.startswith(": ", words[-1]))):
                    # "Lily will collect", "Kenji: sudah saya cek": the subject or the speaker of a
                    # sentence (not "Rose gold", "Will be done", "Made to order", "Fajar menyingsing":
                    # very common words, Indonesian words that are rarer names: "Rezeki tidak ke mana")
                    name = True
                    kinds[k] = 3
                elif (not name and j - k == 1 and kinds[k] == 2 and flags[k] & GIVEN
                      and _title_case(s[words[0]:words[1]]) and _clause_start(s, p)
                      and s[words[0]:words[1]].lower() not in ADVERBS
                      and _next_lower(s, words[-1]) in PERSON_VERBS):
                    # "Bunga said the laminate is darker", "Reminder: Made cuti tanggal 12": a given name
                    # that is also a common word, as the subject of a person's verb
                    name = True
                    kinds[k] = 3
                elif (not name and k == 0 and 2 <= j - k <= 3 and _after_word(s, p) and not _sentence_start(s, p)
                      and self._unknown_pair(s, words, k, j)):
                    # "handed to Tumini Sastrodiharjo", "tadi Yosias Kogoya": two or three proper nouns in no
                    # list and no dictionary whose letters read a little like names', inside a sentence
                    name = True
                    kinds[k] = 3
                    kinds[j - 1] = 3
            if name and not org_checked:
                org_checked = True
                if self._org_after(s, words[-1]):
                    return words[-1]  # "Pelita Harapan school", "Ayu Lestari bakery": an organisation
            if name:
                a, b = k, j - 1
                while kinds[a] < 2 or kinds[a] == 4:
                    a += 1
                while kinds[b] < 2 or kinds[b] == 4:
                    b -= 1
                if b + 1 < j and kinds[b + 1] == 1:
                    b += 1  # a capitalised word right after the listed ones: a surname in no list
                if a > k and kinds[a - 1] == 1 and (a > 1 or not _sentence_start(s, p)
                                                    or (b == j - 1 and j == n and _verb_after(s, words[-1]))):
                    # and one right before them, unless it opens a sentence and no verb follows the
                    # name ("Husein Assegaf asked"): a given name in no list
                    a -= 1
                lo, hi = _prefixed(s, words[2 * a]), words[2 * b + 1]
                if not (self._allow_phrases and self._allowed_phrase(s[lo:hi])):
                    out.append(lo)
                    out.append(hi)
            k = j
        return words[-1]

    def _org_after(self, s: str, end: int) -> bool:
        """One of the two lower-case words after ``s[..end]`` names a kind of organisation."""
        for _ in range(2):
            if s[end:end + 1] != " ":
                return False
            m = _WORD.match(s, end + 1)
            if m is None:
                return False
            w = m.group()
            if w in ORG_AFTER:
                return True
            if w != w.lower():
                return False
            end = m.end()
        return False

    def _allowed_phrase(self, text: str) -> bool:
        low = " ".join(text.lower().split())
        for phrase in self._allow_phrases:
            if phrase in low:
                return True
        return False


# -- the model: a second reading of the words the rules left ---------------------------------------

#: A word of the model's reading: letters, with inner apostrophes and "-", "_", "." joins. Words
#: glued to what is around them (``_clean_at``: IDs, paths, emails) are context, never names.
_TOKEN: Final = re.compile(rf"[{_LETTER}]+(?:['’.\-_][{_LETTER}]+)*")
#: The name-probability above which the model takes a word (0.6, as a logit: log(0.6 / 0.4)). Chosen
#: leaving each corpus round out in turn (``packaging/train_names.py --rounds``): from 0.8 down to 0.6
#: rounds 6, 7, 9, 10 and 11 gain 0.7-4.7 points of names and none alters more harmless lines; at 0.5
#: round 5 does.
MODEL_LOGIT: Final = 0.4055
#: The same for a lower-case listed name (no capital, no run: "json", "rina"): 0.8, as it was before.
MODEL_LOGIT_LOWER: Final = 1.3863
#: Name trigram scores are bucketed in halves, within [-4, 4].
_SCORE_BUCKETS: Final = 4


def _shape(w: str) -> str:
    """``U`` a user name ("kevin.w"), ``x``/``X`` one letter, ``A`` all caps, ``L`` lower case,
    ``T`` title case ("Budi", "Jean-Pierre"), ``M`` mixed ("McKenzie", "iPhone")."""
    if "." in w or "_" in w:
        return "U"
    if len(w) == 1:
        return "X" if w.isupper() else "x"
    if w.isupper():
        return "A"
    if w.islower():
        return "L"
    if _title_case(w):
        return "T"
    return "M"


def _roles(low: str) -> list[str]:
    """The roles of a word in the rules' tables, as the model's features name them."""
    out: list[str] = []
    if low in STRONG_CUES:
        out.append("strong")
    elif low in CUES or low in LOWER_CUES:
        out.append("cue")
    for name, table in _ROLE_TABLES:
        if low in table:
            out.append(name)
    return out


_ROLE_TABLES: Final[tuple[tuple[str, frozenset[str]], ...]] = (
    ("title", TITLES), ("stop", STOP), ("org", ORG), ("orgafter", ORG_AFTER), ("cal", CALENDAR), ("bali", BALI),
    ("part", PARTICLES))


def _lower_class(low: str) -> str:
    """What a lower-case word after a run of capitalised words is: a verb, a joining word, a kind of
    organisation, or something else."""
    if _verb(low):
        return "verb"
    if low in JOINERS:
        return "join"
    if low in ORG_AFTER:
        return "orgafter"
    return "other"


def _gap(s: str, a: int, b: int) -> str:
    """The punctuation between two words (its last two characters), "_" for spaces only."""
    if b - a == 1 and s[a] == " ":
        return "_"
    g = s[a:b].strip()
    return g[-2:] if g else "_"


class _Word:
    """What the model knows of one word, whatever its place: shape, class, own features, and the
    sums of the weights those features carry (``own_score``; ``ctx``: as the word 2 or 1 before,
    1 or 2 after the word read)."""

    __slots__ = ("cls", "ctx", "flags", "low", "own", "own_score", "roles", "shape", "shc")

    def __init__(self, shape: str, cls: str, own: list[str], flags: int, roles: list[str], low: str) -> None:
        self.shape = shape
        self.cls = cls
        self.shc = shape + cls
        self.own = own
        self.flags = flags
        self.roles = roles
        self.low = low
        self.own_score = 0.0
        self.ctx: list[float] = [0.0, 0.0, 0.0, 0.0]


class _Line:
    """The words of a text for the model (``_TOKEN``): offsets, words, runs of capitalised words
    (``run_a``/``run_b``: the first and last index of each word's run, -1 when it is in none)."""

    def __init__(self, s: str) -> None:
        self.s = s
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.words: list[str] = []
        pos = 0
        for w in _TOKEN.findall(s):  # (findall and find: cheaper than a match object per word)
            i = s.find(w, pos)  # (exact: what lies between two words of findall holds no letter)
            pos = i + len(w)
            self.starts.append(i)
            self.ends.append(pos)
            self.words.append(w)
        self.run_a: list[int] = [-1] * len(self.words)
        self.run_b: list[int] = [-1] * len(self.words)

    def clean(self, i: int) -> bool:
        """Word ``i`` is not glued to what is around it (``_clean_at``)."""
        return _clean_at(self.s, self.starts[i], self.ends[i])


#: The context offsets of ``NameModel.features`` and their tags.
_OFFSETS: Final = (-2, -1, 1, 2)
_OFFSET_TAGS: Final = ("-2", "-1", "1", "2")
#: Veto bits of a run (``NameModel.vetoed``).
_V_BLOCK: Final = 1  # an organisation, place or calendar word, or one in mixed case ("Roland VersaCAMM")
_V_SOFT: Final = 2  # common words only, no name on its own
_V_PRODUCT: Final = 4  # opens the line before a product noun, no name on its own
_V_ONE: Final = 8  # one word


class NameModel:
    """A logistic model over the words the rules did not take: ``weights`` feature -> weight
    (``data/name_model.tsv``, trained by ``packaging/train_names.py`` on the corpus's tuning
    splits). Features (``features``): the word's shape, list flags, roles and letters; the shapes,
    classes, roles and (lower-case) words around it; the run of capitalised words it is in, what
    precedes and follows that run, and the rules' own pair and product tests on it. A word is taken
    when its logit is above ``MODEL_LOGIT`` and no blocker of the rules vetoes it (``vetoed``).

    ``spans`` does not build the features' strings: it adds up weights cached per word and per run
    (``_fast``), the same sum as ``score(features(...))`` (a test checks it on the corpus)."""

    def __init__(self, finder: NameFinder, weights: dict[str, float]) -> None:
        self._finder = finder
        self._weights = weights
        self._bias = weights.get("bias", 0.0)
        self._cache: dict[str, _Word] = {}
        self._gates: dict[str, int] = {}  # (the gate's verdicts on words the model did not read)
        self._edge = [weights.get(t + "=edge", 0.0) for t in _OFFSET_TAGS]
        self._rp = [weights.get("rp=" + str(k), 0.0) for k in range(3)]
        self._start = weights.get("start", 0.0)
        self._pair = [weights.get("pair=0", 0.0), weights.get("pair=1", 0.0)]
        self._pairb = [weights.get("pairb=0", 0.0), weights.get("pairb=1", 0.0)]
        #: The weights of each family of features with a value ("pg=:" -> {":": w}), keyed by the value
        #: (pairs of shapes and classes by both), so ``_fast`` builds no strings.
        fam: dict[str, dict[str, float]] = {}
        self._before: dict[tuple[str, str], float] = {}
        self._after: dict[tuple[str, str], float] = {}
        for key, value in weights.items():
            name, eq, val = key.partition("=")
            if not eq:
                continue
            if name == "p.shc|shc" or name == "shc|n.shc":
                left, _, right = val.partition("|")
                (self._before if name == "p.shc|shc" else self._after)[(left, right)] = value
            else:
                fam.setdefault(name, {})[val] = value
        self._pg = fam.get("pg", {})
        self._ng = fam.get("ng", {})
        self._start_c = fam.get("start.c", {})
        self._rl = [fam.get("rl", {}).get(str(k), 0.0) for k in range(4)]
        self._ra_w = fam.get("ra.w", {})
        self._ra_c = fam.get("ra.c", {})
        self._ra_start_c = fam.get("ra.start.c", {})
        self._ra_g = fam.get("ra.g", {})
        self._rb_w = fam.get("rb.w", {})
        self._rb_c = fam.get("rb.c", {})
        self._rb_g = fam.get("rb.g", {})
        self._flag_w = [weights.get(f, 0.0) for f in _RUN_FLAGS]
        self._ra_id = weights.get("ra.id", 0.0)
        self._ra_end = weights.get("ra.end", 0.0)
        self._product = weights.get("r.product", 0.0)

    def word(self, w: str) -> _Word:
        got = self._cache.get(w)
        if got is not None:
            return got
        if len(self._cache) >= 4096:
            self._cache.clear()
        low = w.lower()
        poss = low.endswith(_POSS)
        base = low[:-2] if poss else low
        finder = self._finder
        raw = finder._names.get(base, 0)
        cls = self._cls(base, raw)
        shape = _shape(w[:-2] if poss else w)
        roles = _roles(base)
        own = ["sh=" + shape, "c=" + cls, "sh.c=" + shape + cls]
        for bit, tag in _BITS:
            if raw & bit:
                own.append("b=" + tag)
        for r in roles:
            own.append("r=" + r)
        if raw == 0 and len(base) >= 3 and base.isalpha():
            sc = math.floor(name_score(finder._grams, base) * 2)
            own.append("nl=" + str(max(-_SCORE_BUCKETS, min(_SCORE_BUCKETS, sc))))
        if len(w) <= 3:
            own.append("short")
        if poss:
            own.append("poss")  # "Purnama's": a possessive, most often of a person
        got = _Word(shape, cls, own, finder.flags(base), roles, base)
        got.own_score = self.score(own) - self._bias
        for k in range(4):
            got.ctx[k] = self.score(self._context(got, k)) - self._bias
        if len(w) <= 40:
            self._cache[w] = got  # (4096 words of at most 40 letters: a crafted long word is never kept)
        return got

    def _cls(self, base: str, raw: int) -> str:
        """The class of a lower-case word (``raw``: its flags in the name list), as the model's
        features name it."""
        finder = self._finder
        if base in finder._allow:
            return "allow"
        if base in finder._extra:
            return "nr"
        if raw & PLACE:
            return "place"
        if raw & COMMON:
            return "common"
        if raw == 0:
            return "like" if finder._name_like(base) else "none"
        if raw & WORD:
            return "nw" if raw & POPULAR else ("vw" if raw & VERY_COMMON else "w")
        return "nr" if raw & (RANKED | POPULAR) else "n"

    def _gate(self, core: str) -> int:
        """For ``worth``: of a capitalised or all-caps word without its "'s", ``GATE_WORD`` when it
        makes the text worth reading, ``GATE_POSS`` when it does as a possessive; from the words the
        model read (``word``), else computed and kept apart (the gate reads far more words than the
        model, and needs none of their weights)."""
        got = self._cache.get(core)
        if got is not None:
            cls, shape = got.cls, got.shape
        else:
            hit = self._gates.get(core, -1)
            if hit >= 0:
                return hit
            if len(self._gates) >= 4096:
                self._gates.clear()
            low = core.lower()
            cls, shape = self._cls(low, self._finder._names.get(low, 0)), _shape(core)
        out = 0
        if shape == "T" or shape == "A":
            if cls in _TRIGGERS:
                out = GATE_WORD | GATE_POSS
            elif cls in _INTERESTING:
                out = GATE_POSS
        if got is None and len(core) <= 40:
            self._gates[core] = out
        return out

    @staticmethod
    def _context(w2: _Word, k: int) -> list[str]:
        """The features word ``w2`` gives as the context ``_OFFSETS[k]`` of the word read."""
        tag = _OFFSET_TAGS[k]
        f = [tag + "sh=" + w2.shape, tag + "c=" + w2.cls, tag + "shc=" + w2.shc]
        for r in w2.roles:
            f.append(tag + "r=" + r)
        if w2.shape == "L" or ((k == 1 or k == 2) and (w2.roles or w2.cls in _PLAIN)):
            f.append(tag + "w=" + w2.low)
        return f

    def line(self, s: str) -> _Line:
        """``s`` read into words, with the runs of capitalised words marked."""
        ln = _Line(s)
        words = ln.words
        i = 0
        n = len(words)
        while i < n:
            if self.word(words[i]).shape in _RUN_SHAPES and ln.clean(i):
                j = i
                while (j + 1 < n and self.word(words[j + 1]).shape in _RUN_SHAPES and ln.clean(j + 1)
                       and s[ln.ends[j]:ln.starts[j + 1]] in (" ", ". ")):
                    j += 1
                for k in range(i, j + 1):
                    ln.run_a[k] = i
                    ln.run_b[k] = j
                i = j + 1
            else:
                i += 1
        return ln

    def candidate(self, ln: _Line, i: int) -> bool:
        """The model reads capitalised words, words in all caps and lower-case listed names of four letters or
        more that are no common word ("rina"; not "will", "sari", "dev"); never a glued word, mixed case
        ("iPhone", "McDonald": never a name to the rules either), or a single letter."""
        wd = self.word(ln.words[i])
        if wd.shape == "L":
            return (wd.cls == "nr" or wd.cls == "n") and len(wd.low) >= 4 and ln.clean(i)
        # (a capitalised word is in a run exactly when it is not glued: ``line``)
        return (wd.shape == "T" or wd.shape == "A") and wd.cls != "allow" and ln.run_a[i] >= 0

    def _gaps(self, ln: _Line, i: int) -> tuple[str, str]:
        s = ln.s
        n = len(ln.words)
        pg = _gap(s, ln.ends[i - 1], ln.starts[i]) if i > 0 else "^"
        if i + 1 < n:
            ng = _gap(s, ln.ends[i], ln.starts[i + 1])
        else:
            tail = s[ln.ends[i]:].strip()
            ng = tail[:2] if tail else "$"
        return pg, ng

    def features(self, ln: _Line, i: int) -> list[str]:
        """The features of word ``i`` of ``ln`` (what training reads; ``_fast`` sums the same)."""
        words = ln.words
        n = len(words)
        wd = self.word(words[i])
        f = list(wd.own)
        pg, ng = self._gaps(ln, i)
        f.append("pg=" + pg)
        f.append("ng=" + ng)
        if _opens(i, pg):
            f.append("start")
            f.append("start.c=" + wd.shc)
        for k in range(4):
            j = i + _OFFSETS[k]
            if 0 <= j < n:
                f.extend(self._context(self.word(words[j]), k))
            else:
                f.append(_OFFSET_TAGS[k] + "=edge")
        if i > 0:
            f.append("p.shc|shc=" + self.word(words[i - 1]).shc + "|" + wd.shc)
        if i + 1 < n:
            f.append("shc|n.shc=" + wd.shc + "|" + self.word(words[i + 1]).shc)
        a = ln.run_a[i]
        if a >= 0:
            b = ln.run_b[i]
            f.append("rp=" + str(min(i - a, 2)))
            pair, pairb = self._pairs(ln, i, a, b)
            if pair >= 0:
                f.append("pair=" + str(pair))
            if pairb >= 0:
                f.append("pairb=" + str(pairb))
            f.extend(self._run(ln, a, b))
        return f

    def _pairs(self, ln: _Line, i: int, a: int, b: int) -> tuple[int, int]:
        """The rules' pair test (``_pair``) on word ``i`` and the next / the one before in its run:
        1 or 0, -1 where there is no listed pair."""
        pair = pairb = -1
        words = ln.words
        fi = self.word(words[i]).flags
        if fi:
            if i < b:
                fn = self.word(words[i + 1]).flags
                if fn:
                    pair = 1 if _pair(fi, fn) else 0
            if i > a:
                fp = self.word(words[i - 1]).flags
                if fp:
                    pairb = 1 if _pair(fp, fi) else 0
        return pair, pairb

    def _run_flags(self, ln: _Line, a: int, b: int) -> list[bool]:
        """Which of ``_RUN_FLAGS`` the run ``a..b`` has."""
        words = ln.words
        org = cal = common = place = hasname = strong = listed = mixed = False
        allword = soft = True
        places = self._finder._places
        for k in range(a, b + 1):
            wk = self.word(words[k])
            if k < b and not place and places.get(wk.low, 0) < 0:
                place = self._finder.place_at([self.word(words[x]).low for x in range(k, min(b + 1, k + 4))], 0) > 0
            mixed = mixed or wk.shape == "M"
            org = org or "org" in wk.roles
            cal = cal or "cal" in wk.roles
            common = common or wk.cls == "common"
            place = place or wk.cls == "place"
            if wk.cls not in _WORDISH:
                allword = False
            if wk.cls in _NAMEISH:
                hasname = True
            elif wk.cls == "like":
                soft = False  # "Ali Bahreisy": a word that reads like a name is no common word
            x = wk.flags
            if x:
                listed = True
                if _strong(x):
                    strong = True
                if not x & WORD:
                    soft = False
        return [org, cal, common, place, allword, hasname, strong, soft and listed, a == 0, mixed]

    def _run_after(self, ln: _Line, b: int) -> tuple[str, str, str, bool]:
        """What follows the run ending at word ``b``: the lower-case word right after it, its class
        (``_lower_class``) and whether an ID follows that word; or else the punctuation after the
        run ("$" at the end)."""
        s = ln.s
        words = ln.words
        if b + 1 >= len(words):
            return "", "", "$", False
        g = _gap(s, ln.ends[b], ln.starts[b + 1])
        if g == "_" and self.word(words[b + 1]).shape == "L":
            low = words[b + 1].lower()
            rest = s[ln.ends[b + 1]:ln.ends[b + 1] + 64].split(None, 1)  # (a bounded slice: linear time)
            return low, _lower_class(low), "", bool(rest) and any(ch.isdigit() for ch in rest[0])
        return "", "", g, False

    def _run_before(self, ln: _Line, a: int) -> tuple[str, str]:
        """The lower-case word right before the run starting at word ``a`` (and "") or else ("", the
        punctuation before it); ("", "") at the start."""
        if a == 0:
            return "", ""
        g = _gap(ln.s, ln.ends[a - 1], ln.starts[a])
        if g == "_" and self.word(ln.words[a - 1]).shape == "L":
            return ln.words[a - 1].lower(), ""
        return "", g

    def _run(self, ln: _Line, a: int, b: int) -> list[str]:
        """The features of the run ``a..b`` that are the same for each of its words."""
        f = ["rl=" + str(min(b - a + 1, 3))]
        for flag, name in zip(self._run_flags(ln, a, b), _RUN_FLAGS, strict=True):
            if flag:
                f.append(name)
        if _product_after(ln.s, ln.ends[b]):
            f.append("r.product")
        low, cls, g, ident = self._run_after(ln, b)
        if low:
            f.append("ra.w=" + low)
            f.append("ra.c=" + cls)
            if a == 0:
                f.append("ra.start.c=" + cls)
            if ident:
                f.append("ra.id")
        elif g == "$":
            f.append("ra.end")
        else:
            f.append("ra.g=" + g)
        before, g = self._run_before(ln, a)
        if before:
            f.append("rb.w=" + before)
            f.append("rb.c=" + _lower_class(before))
        elif g:
            f.append("rb.g=" + g)
        return f

    def _run_fast(self, ln: _Line, a: int, b: int) -> tuple[float, int]:
        """The weight of ``_run(ln, a, b)`` and its veto bits (``_run_bits``)."""
        flags = self._run_flags(ln, a, b)
        total = self._rl[min(b - a + 1, 3)]
        for k in range(len(flags)):
            if flags[k]:
                total += self._flag_w[k]
        product = _product_after(ln.s, ln.ends[b])
        if product:
            total += self._product
        low, cls, g, ident = self._run_after(ln, b)
        if low:
            total += self._ra_w.get(low, 0.0) + self._ra_c.get(cls, 0.0)
            if a == 0:
                total += self._ra_start_c.get(cls, 0.0)
            if ident:
                total += self._ra_id
        elif g == "$":
            total += self._ra_end
        else:
            total += self._ra_g.get(g, 0.0)
        before, g = self._run_before(ln, a)
        if before:
            total += self._rb_w.get(before, 0.0) + self._rb_c.get(_lower_class(before), 0.0)
        elif g:
            total += self._rb_g.get(g, 0.0)
        return total, _run_bits(flags, product, a == b)

    def score(self, feats: list[str]) -> float:
        """The logit of a name."""
        w = self._weights
        total = self._bias
        for x in feats:
            total += w.get(x, 0.0)
        return total

    @staticmethod
    def vetoed(feats: list[str]) -> bool:
        """The rules' blockers the model does not overrule: a run with an organisation, place or calendar word
        or a word in mixed case; a run of common words with no name of its own that the pair rule refuses; a
        run that opens the line before a product noun."""
        bits = _run_bits([name in feats for name in _RUN_FLAGS], "r.product" in feats, "rl=1" in feats)
        if "rl=1" in feats and "poss" in feats:
            bits &= ~_V_PRODUCT  # (as ``_fast``: a possessive on its own)
        return _veto(bits, "pair=1" in feats or "pairb=1" in feats)

    def _fast(self, ln: _Line, i: int, runs: dict[int, tuple[float, int]]) -> tuple[float, bool]:
        """``score(features(ln, i))`` and ``vetoed(...)``, from sums cached per word and per run
        (``runs``: run start -> its weight and veto bits, filled as the runs are met)."""
        words = ln.words
        n = len(words)
        wd = self.word(words[i])
        total = self._bias + wd.own_score
        pg, ng = self._gaps(ln, i)
        total += self._pg.get(pg, 0.0) + self._ng.get(ng, 0.0)
        if _opens(i, pg):
            total += self._start + self._start_c.get(wd.shc, 0.0)
        for k in range(4):
            j = i + _OFFSETS[k]
            total += self.word(words[j]).ctx[k] if 0 <= j < n else self._edge[k]
        if i > 0:
            total += self._before.get((self.word(words[i - 1]).shc, wd.shc), 0.0)
        if i + 1 < n:
            total += self._after.get((wd.shc, self.word(words[i + 1]).shc), 0.0)
        a = ln.run_a[i]
        if a < 0:
            return total, False
        b = ln.run_b[i]
        got = runs.get(a)
        if got is None:
            got = self._run_fast(ln, a, b)
            runs[a] = got
        total += self._rp[min(i - a, 2)] + got[0]
        pair, pairb = self._pairs(ln, i, a, b)
        if pair >= 0:
            total += self._pair[pair]
        if pairb >= 0:
            total += self._pairb[pairb]
        bits = got[1]
        if a == b and words[i][-2:] in _POSS:
            bits &= ~_V_PRODUCT  # "Jeffry's file is queued": a person owns it, no brand opens the line
        return total, _veto(bits, pair == 1 or pairb == 1)

    def worth(self, s: str, tokens: list[str], taken: list[int]) -> bool:
        """Whether ``s`` (``tokens``: its ``split()``) has a word the model may take outside ``taken`` (the
        rules' spans): a capitalised or all-caps listed name (a common word too only as a possessive:
        "Pandu's"; ``_TRIGGERS``) or word that reads like one, or a lower-case listed name of four letters
        or more that is no common word. (On the corpus's tuning splits this lets the model read 14 % of
        the harmless lines instead of 42 %, and loses none of the names it takes; the other texts, most log
        lines and most lines whose names the rules took, cost a split.)"""
        finder = self._finder
        names = finder._names
        pos = t = 0
        n = len(s)
        extra = finder._extra
        for tok in tokens:
            raw = names.get(tok, 0)
            if raw & (WORD | PLACE | COMMON) and tok not in extra:
                continue  # (most words of log lines: a common word as it stands, one lookup)
            # (Character tests by code point: under mypyc, str.isalpha / islower / isupper are method
            # calls, several times the cost of the rest of the loop.)
            core = tok if _letter(tok[0]) and _letter(tok[-1]) else tok.strip(_EDGES)
            if len(core) < 2:
                continue
            poss = core[-1] == "s" and core.endswith(_POSS)
            if poss:
                core = core[:-2]  # "Purnama's invoice": the word read is "Purnama"
                if len(core) < 2:
                    continue
            c = core[0]
            if _lower_letter(c):
                # (Most words of log lines: one lookup, no word of the model. A listed name is a
                # lower-case word; so is a name of the user's that is no listed one.)
                raw = names.get(core, 0) if core is not tok else raw
                if len(core) < 4 or core in finder._allow or (
                        (raw == 0 or raw & (WORD | PLACE | COMMON)) and core not in extra):
                    continue
                if raw == 0 and not (core.isalpha() and core.islower()):
                    continue
            elif not _upper_letter(c) or not core.isalpha():
                continue  # (IDs, paths, numbers: never cached, so unique IDs cannot churn the cache)
            else:
                if not self._gate(core) & (GATE_POSS if poss else GATE_WORD):
                    continue  # ("Pandu's laptop": a possessive, a common word or not)
            if not taken:
                return True
            # Where the word stands: the first occurrence of its token after the last word placed that
            # stands between spaces (an earlier token of the same text took the same road).
            p = s.find(tok, pos)
            while p >= 0 and ((p > 0 and not s[p - 1].isspace())
                              or (p + len(tok) < n and not s[p + len(tok)].isspace())):
                p = s.find(tok, p + 1)
            if p < 0:
                return True  # (never: the token is one of the text's)
            pos = p + len(tok)
            while t < len(taken) and taken[t + 1] <= p:
                t += 2
            if t >= len(taken) or taken[t] >= pos:
                return True  # (not inside a span of the rules)
        return False

    def _near_name(self, ln: _Line, i: int, near: dict[int, bool]) -> bool:
        """Word ``i`` (a candidate) is worth scoring: a lower-case listed name, or in a run of
        capitalised words that holds a listed name or a word that reads like one (``near``: run
        start -> that answer, so a long run is read once). What the model takes is nearly always one
        of these; the rest, most capitalised words of log lines, cost nothing more."""
        a = ln.run_a[i]
        if a < 0:
            return True  # a lower-case listed name
        got = near.get(a)
        if got is None:
            b = ln.run_b[i]
            got = False
            for k in range(a, b + 1):
                if self.word(ln.words[k]).cls in _INTERESTING:
                    got = True
                    break
            finder = self._finder
            if got and finder._allow_phrases and finder._allowed_phrase(ln.s[ln.starts[a]:ln.ends[b]]):
                got = False  # the user's names_allow ("Kusnadi Simbolon" as a brand)
            near[a] = got
        return got

    def _weigh(self, ln: _Line, taken: list[int]) -> list[tuple[int, float, bool]]:
        """The words of ``ln`` the model weighs, outside ``taken`` (the rules' spans, flat and in order):
        (index, logit, vetoed by a blocker of the rules)."""
        out: list[tuple[int, float, bool]] = []
        runs: dict[int, tuple[float, int]] = {}
        near: dict[int, bool] = {}
        t = 0
        for i in range(len(ln.words)):
            a = ln.starts[i]
            while t < len(taken) and taken[t + 1] <= a:
                t += 2
            if t < len(taken) and taken[t] < ln.ends[i]:
                continue  # the rules took it
            if self.candidate(ln, i) and self._near_name(ln, i, near):
                logit, veto = self._fast(ln, i, runs)
                out.append((i, logit, veto))
        return out

    def explain(self, s: str, taken: list[int]) -> list[tuple[int, int, float, str]]:
        """For ``cflexagent logs names``: each word outside ``taken`` the model weighs (a text it
        would read): its offsets, its probability of a name and the verdict: "model" (taken: above
        ``MODEL_LOGIT``'s probability, 0.6, or ``MODEL_LOGIT_LOWER``'s, 0.8, for a lower-case word, and
        no blocker of the rules vetoes it), "vetoed" (above it, but a blocker does) or "left"."""
        if not self.worth(s, s.split(), taken):
            return []
        ln = self.line(s)
        out: list[tuple[int, int, float, str]] = []
        for i, logit, veto in self._weigh(ln, taken):
            verdict = "left" if logit <= self._limit(ln, i) else "vetoed" if veto else "model"
            out.append((ln.starts[i], ln.ends[i], 1.0 / (1.0 + math.exp(-logit)), verdict))
        return out

    @staticmethod
    def _limit(ln: _Line, i: int) -> float:
        """The logit above which word ``i`` is taken: lower for a capitalised word than for a lower-case one."""
        return MODEL_LOGIT if ln.run_a[i] >= 0 else MODEL_LOGIT_LOWER

    def spans(self, s: str, taken: list[int]) -> list[int]:
        """[start, end, ...] of the words the model reads as names, outside ``taken`` (the rules'
        spans, flat and in order); neighbouring words joined by one space make one span."""
        ln = self.line(s)
        out: list[int] = []
        for i, logit, veto in self._weigh(ln, taken):
            if veto or logit <= self._limit(ln, i):
                continue
            a = ln.starts[i]
            e = ln.ends[i]
            if s[e - 2:e] in _POSS:
                e -= 2  # (the possessive's "'s" stays, as the rules leave it)
            if out and s[out[-1]:a] == " ":
                out[-1] = e
            else:
                out.append(a)
                out.append(e)
        return out


def _clean_at(s: str, a: int, b: int) -> bool:
    """The word ``s[a:b]`` stands on its own: not glued to digits, a path, an email, a hash, an ID's
    tail ("F-5258", "/srv/x", "a@b") or a call; like the rules' ``_CAP`` and ``_END``."""
    if a > 0:
        c = s[a - 1]
        if (c.isalnum() or c in _GLUE) and not (c == "." and a > 1 and s[a - 2] == " "):
            return False
    if b < len(s):
        c = s[b]
        if c.isalnum() or c in "@/\\(":
            return False
        if c in "-_.:" and b + 1 < len(s) and s[b + 1].isdigit():
            return False
    return True


_GLUE: Final = frozenset("_/\\@#$%&+-.")


def _opens(i: int, pg: str) -> bool:
    """Word ``i`` opens the text or a sentence (``pg``: the punctuation before it)."""
    if i == 0 or pg == "^":
        return True
    for ch in pg:
        if ch in ".!?:;|]":
            return True
    return False


def _run_bits(flags: list[bool], product: bool, one: bool) -> int:
    """The veto bits of a run: ``flags`` as ``_RUN_FLAGS``, ``product`` its product test, ``one`` a single word."""
    org, cal, _, place, _, _, strong, soft, start, mixed = flags
    bits = 0
    if org or cal or place or mixed:
        bits |= _V_BLOCK
    if soft and not strong:
        bits |= _V_SOFT
    if product and start:
        bits |= _V_PRODUCT  # (the rules' own test: "Misty Morning Glory theme", listed names or not)
    if one:
        bits |= _V_ONE
    return bits


def _veto(bits: int, paired: bool) -> bool:
    if bits & (_V_BLOCK | _V_PRODUCT):
        return True
    return bits & _V_SOFT != 0 and not bits & _V_ONE and not paired


#: Classes of words that make a text worth the model's reading (``worth``): listed, or reading like a name.
_INTERESTING: Final = frozenset({"nr", "n", "nw", "w", "vw", "like"})
#: The classes of a capitalised word that make a text worth reading at all (``worth``): listed names
#: and words that read like names, not the common words that are also names ("Jaya", "Baru", "Merah":
#: the model takes those only beside one of these, or as a possessive).
_TRIGGERS: Final = frozenset({"nr", "n", "nw", "like"})
#: ``NameModel._gate``: the word makes a text worth the model's reading / does so as a possessive.
GATE_WORD: Final = 1
GATE_POSS: Final = 2
#: The endings of a possessive.
_POSS: Final = ("'s", "’s")
#: Punctuation around a word of a ``split()``.
_EDGES: Final = "()[]{}<>\"'“”‘’,.;:!?*=|"
#: The yes/no features of a run, in the order ``_run_flags`` gives them.
_RUN_FLAGS: Final = ("r.org", "r.cal", "r.common", "r.place", "r.allword", "r.hasname", "r.strong", "r.soft", "r.start",
                     "r.mixed")
_BITS: Final[list[tuple[int, str]]] = [(GIVEN, "G"), (SURNAME, "S"), (EN_WORD, "E"), (ID_WORD, "I"), (POPULAR, "P"),
                                       (RANKED, "R"), (VERY_COMMON, "V"), (PLACE, "L"), (COMMON, "C")]
#: Shapes that make up a run of capitalised words.
_RUN_SHAPES: Final = frozenset({"T", "A", "M", "X"})
#: Classes of words whose own identity is a feature next to a candidate (never a name's).
_PLAIN: Final = frozenset({"common", "none", "place"})
_WORDISH: Final = frozenset({"nw", "vw", "w", "common"})
_NAMEISH: Final = frozenset({"nr", "n", "nw"})


def _union(a: list[int], b: list[int]) -> list[int]:
    """Two flat, ordered span lists as one, overlapping spans joined."""
    out: list[int] = []
    i = j = 0
    while i < len(a) or j < len(b):
        if j >= len(b) or (i < len(a) and a[i] <= b[j]):
            x, y = a[i], a[i + 1]
            i += 2
        else:
            x, y = b[j], b[j + 1]
            j += 2
        if out and x <= out[-1]:
            out[-1] = max(out[-1], y)
        else:
            out.append(x)
            out.append(y)
    return out


def _merged(a: list[int], b: list[int]) -> list[int]:
    """Two flat, ordered, disjoint span lists as one."""
    out: list[int] = []
    i = j = 0
    while i < len(a) or j < len(b):
        if j >= len(b) or (i < len(a) and a[i] < b[j]):
            out.append(a[i])
            out.append(a[i + 1])
            i += 2
        else:
            out.append(b[j])
            out.append(b[j + 1])
            j += 2
    return out


def _phrase_index() -> dict[str, frozenset[str]]:
    idx: dict[str, set[str]] = {}
    for ph in PHRASES:
        a, _, b = ph.partition(" ")
        idx.setdefault(a, set()).add(b)
    return {k: frozenset(v) for k, v in idx.items()}


_NONE: Final[frozenset[str]] = frozenset()
#: First word of a blocked phrase -> its possible second words.
PHRASES_SECOND: Final[dict[str, frozenset[str]]] = _phrase_index()
