"""Build ``cflexagent/data/names.tsv``, the name list of the ``names`` redaction pattern.

Reproducible from pinned public sources; the output is byte-identical for the same inputs:

- given names and surnames: the ``names-dataset`` package (PyPI, version pinned below, MIT
  licence; per-country ranked lists), the top of each country's list for Indonesia (all
  regions: Javanese, Sundanese, Balinese, Batak, Minang, Chinese-Indonesian and Arabic-origin
  names are all in it), its neighbours (Malaysia, Singapore, Brunei), Arabic-speaking and South
  Asian countries (Arabic- and Sanskrit-origin names used in Indonesia), Chinese surnames, and
  the English-speaking and Dutch lists for international names;
- which of those names are also common words (``names.EN_WORD`` / ``names.ID_WORD``, so that
  ``Will``, ``Made``, ``Indah`` or ``Harapan`` need a second sign before they count): an entry of
  Debian's ``wamerican`` (SCOWL, permissive licence) or ``hunspell-id`` (LibreOffice's Indonesian
  dictionary, LGPL-3; its stems expanded with every affixed form by hunspell-tools' ``unmunch``,
  so ``harap`` gives ``harapan``) word list that is also common in running text by the
  ``wordfreq`` package (PyPI, version pinned below; code Apache-2.0, frequency data CC BY-SA
  4.0): at least ``EN_ZIPF`` / ``ID_ZIPF`` on its Zipf scale, and ``names.VERY_COMMON`` from
  ``VERY_COMMON_ZIPF``. The dictionaries alone list many plain names (``siti``, ``wijaya``,
  ``nyoman``); the frequency alone counts names as words. The words of those lists and
  frequencies that are no name in any list are shipped too, flagged ``names.COMMON``, so the
  detector reads ``Valued``, ``Sobat`` or ``Konstruksi`` as words, not as names in no list;
- how common a name is, from the ranks of names-dataset's lists of ``RANK_COUNTRIES``:
  ``names.RANKED`` for the first ``RANKED_TOP`` given names or surnames, ``names.POPULAR`` for
  the first ``POPULAR_TOP`` given names of a gender that are not very common words (``budi``,
  ``dewi``, ``siti``, ``john``; not ``putri``, ``indah``, ``made``, ``will``);
- places never taken for names (the lists hold some: Facebook users who wrote their city as their
  surname): country names and Indonesian provinces from ``pycountry`` (a names-dataset dependency,
  LGPL-2.1) and the Indonesian cities below, shipped with the flag ``names.PLACE`` so the detector
  blocks them too.

Run it in a throwaway virtualenv (names-dataset loads ~3 GB into memory; it is never a
dependency of the agent)::

    python3 -m venv /tmp/nd && /tmp/nd/bin/pip install names-dataset==3.3.1 wordfreq==3.1.1
    apt-get install wamerican hunspell-id hunspell-tools
    /tmp/nd/bin/python packaging/build_names.py          # writes cflexagent/data/names.tsv
    /tmp/nd/bin/python packaging/build_names.py --check  # exit 1 if the shipped file differs
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import subprocess
import sys
import types
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _detector() -> types.ModuleType:
    """``cflexagent/logs/transforms/names.py`` (the blockers the detector uses), read on its own: the
    package's ``__init__`` modules need the agent's dependencies, which the build venv has not."""
    spec = importlib.util.spec_from_file_location("_names_detector", NAMES_PY)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


NAMES_PY = ROOT / "cflexagent" / "logs" / "transforms" / "names.py"
N = _detector()

OUT = ROOT / "cflexagent" / "data" / "names.tsv"
GRAMS_OUT = ROOT / "cflexagent" / "data" / "name_grams.tsv"
NAMES_DATASET_VERSION = "3.3.1"
WORDFREQ_VERSION = "3.1.1"
#: Zipf frequency from which a dictionary word is a common word: about 3 per million words of
#: running text (a word a log message may well use; names are ruled in again by POPULAR below).
EN_ZIPF = 3.5
ID_ZIPF = 3.5
EN_DICT = Path("/usr/share/dict/american-english")  # Debian wamerican
ID_DICT = Path("/usr/share/hunspell/id_ID.dic")  # Debian hunspell-id (stems with affix rules)
ID_AFF = Path("/usr/share/hunspell/id_ID.aff")
#: The lists whose ranks say how common a name is (the Malaysian, Bruneian and Hong Kong lists
#: rank plain words high: "ada", "aku", "cinta", "love").
RANK_COUNTRIES = ("ID", "US", "GB", "CA", "AU", "IE")
#: POPULAR: among the first POPULAR_TOP given names of a gender in one of RANK_COUNTRIES, and not
#: a very common word (Zipf below POPULAR_MAX_ID / POPULAR_MAX_EN): "Budi", "Dewi", "Siti", "John".
POPULAR_TOP = 100
POPULAR_MAX_ID = 5.0
POPULAR_MAX_EN = 5.5
#: RANKED: among the first RANKED_TOP given names (per gender) or surnames of one of RANK_COUNTRIES.
RANKED_TOP = 1000
#: VERY_COMMON: a common word of Zipf at least this in its language (about 50 per million words):
#: "alam", "baru", "jaya", "merah", "sinar", "gold".
VERY_COMMON_ZIPF = 4.7

#: Country -> (given names per gender, surnames) taken from the top of its ranked lists.
COUNTRIES: dict[str, tuple[int, int]] = {
    "ID": (5000, 6000),  # everything ranked there that is not noise
    "MY": (10000, 3000), "SG": (1000, 1000), "BN": (1000, 500),
    "SA": (800, 500), "EG": (500, 300), "AE": (500, 300), "IN": (800, 800), "BD": (300, 200),
    "CN": (0, 300), "HK": (300, 300), "TW": (0, 300),
    "US": (1500, 2000), "GB": (1000, 1000), "AU": (800, 800), "CA": (500, 500), "IE": (300, 300),
    "NL": (500, 500), "PH": (500, 500), "DE": (300, 300), "FR": (300, 300),
}
#: Indonesian cities and regions (the lists hold some as surnames), and other places of the business.
#: Single words only: the words of a place of several words ("Pondok Indah") are names elsewhere.
PLACES = """
jakarta bandung surabaya medan semarang makassar palembang tangerang depok bekasi bogor malang yogyakarta jogja
jogjakarta solo surakarta denpasar bali batam pekanbaru padang  banjarmasin pontianak samarinda
balikpapan manado jambi cirebon sukabumi tasikmalaya serang cilegon kediri madiun blitar jember banyuwangi
probolinggo pasuruan mojokerto sidoarjo gresik lamongan tuban bojonegoro magelang klaten salatiga kudus pati
jepara tegal pekalongan purwokerto cilacap banyumas kebumen purworejo wonosobo temanggung boyolali sragen
karanganyar wonogiri sukoharjo sleman bantul gunungkidul garut cianjur karawang purwakarta subang
indramayu majalengka kuningan sumedang ciamis banjar pangandaran lebak pandeglang tangsel cimahi ambon jayapura
kupang mataram lombok sumbawa ende flores kendari palu gorontalo ternate sorong merauke manokwari mamuju
palangkaraya tarakan bontang bengkulu aceh banda lhokseumawe langsa sabang meulaboh binjai
pematangsiantar siantar sibolga tarutung balige parapat toba samosir nias padangsidimpuan bukittinggi payakumbuh
solok sawahlunto pariaman dumai tanjungpinang pangkalpinang bangka belitung lubuklinggau prabumulih baturaja
metro kotabumi pringsewu sumatra sumatera jawa java kalimantan borneo sulawesi celebes papua maluku
riau kepri madura bogor puncak lembang ubud kuta seminyak canggu sanur jimbaran singaraja tabanan gianyar
klungkung karangasem bangli negara buleleng badung bunaken toraja wakatobi komodo
bromo semeru merapi rinjani krakatau dieng borobudur prambanan ancol senayan menteng kemang kuningan
kebon pluit cengkareng grogol kebayoran blok tebet cawang cibubur cileungsi cikarang
serpong bintaro bsd karawaci ciledug cinere cipete
singapore penang johor malaysia brunei manila bangkok tokyo seoul beijing shanghai
london paris berlin amsterdam sydney melbourne perth dubai riyadh jeddah mecca mekkah makkah madinah medina cairo
""".split()
#: Brands and services that turn up in this business's logs and are in the lists (as names, or as noise).
#: Not those that are common given names too (Permata, Mega, Dana): "Bank Permata" is blocked by "Bank".
BRANDS = """
honda yamaha suzuki kawasaki toyota daihatsu mitsubishi nissan mazda isuzu hino hyundai kia wuling chery
samsung xiaomi oppo vivo realme infinix asus acer lenovo dell toshiba sony panasonic sharp canon epson brother
xerox fuji fujifilm nikon ricoh kyocera konica minolta apple microsoft google amazon oracle intel adobe corel
indomie aqua sosro garuda lion citilink batik pertamina telkom telkomsel indosat smartfren gojek grab tokopedia
shopee bukalapak lazada blibli traveloka tiket jne sicepat anteraja ninja tiki wahana lalamove paxel ovo
gopay linkaja bca bri bni btn cimb danamon panin ocbc maybank muamalat jenius midtrans xendit doku
ipaymu duitku faspay stripe paypal visa mastercard cloudflare nginx apache redis mysql postgres docker
""".split()


def ranked(nd: object, country: str, first: bool, top: int) -> list[str]:
    if top <= 0:
        return []
    got = nd.get_top_names(n=top, use_first_names=first, country_alpha2=country)  # type: ignore[attr-defined]
    per = got.get(country, {} if first else [])
    if first:
        return [name for gender in ("F", "M") for name in per.get(gender, [])]
    return list(per)


def clean(name: str) -> str | None:
    """The lower-case key of a list entry, or None for entries that are not one plain name."""
    name = unicodedata.normalize("NFC", name.strip())
    if " " in name or len(name) < 3 or len(name) > 24:
        return None
    low = name.lower()
    if not all(ch.isalpha() or ch in "'-" for ch in low) or low[0] in "'-" or low[-1] in "'-":
        return None
    if not all(ch < "\u0250" for ch in low):  # Latin letters only: what the detector's words are made of
        return None
    if not name[0].isupper() or not name[1:].replace("-", "").replace("'", "").islower():
        return None  # "McDonald"-style and odd casing: not what log texts write either
    return low


def dictionary_words(path: Path) -> set[str]:
    """The lower-case words of a plain word list (one a line)."""
    words: set[str] = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        word = line.strip()
        if word and word == word.lower() and word.isalpha():
            words.add(word)
    return words


def hunspell_words(dic: Path, aff: Path) -> set[str]:
    """The lower-case words of a hunspell dictionary, with every form its affix rules make (``harap``
    gives ``harapan``), as hunspell-tools' ``unmunch`` expands them."""
    words: set[str] = set()
    with subprocess.Popen(["unmunch", str(dic), str(aff)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True, encoding="utf-8", errors="replace") as p:
        assert p.stdout is not None
        for line in p.stdout:
            word = line.strip()
            if word.isalpha() and word == word.lower():
                words.add(word)
    if p.returncode != 0 or not words:
        raise SystemExit(f"unmunch {dic} failed (apt-get install hunspell-tools hunspell-id)")
    return words


def rank_flags(nd: object) -> dict[str, int]:
    """POPULAR / RANKED from the ranks of RANK_COUNTRIES' lists (before the word test of POPULAR)."""
    out: dict[str, int] = {}
    for country in RANK_COUNTRIES:
        for first in (True, False):
            got = nd.get_top_names(n=RANKED_TOP, use_first_names=first, country_alpha2=country)  # type: ignore[attr-defined]
            per = got.get(country, {} if first else [])
            lists = [per.get(g, []) for g in ("F", "M")] if first else [list(per)]
            for names in lists:
                for i, name in enumerate(names):
                    low = clean(name)
                    if low is None:
                        continue
                    flag = N.RANKED | (N.POPULAR if first and i < POPULAR_TOP else 0)
                    out[low] = out.get(low, 0) | flag
    return out


def blocked_words() -> set[str]:
    return (blocked_places() | set(BRANDS) | N.ORG | N.CALENDAR | N.TITLES | N.CUES | N.STRONG_CUES | N.STOP
            | N.PARTICLES)


def blocked_places() -> set[str]:
    """PLACES, country names and the words of Indonesian provinces (lower case)."""
    import pycountry  # type: ignore[import-not-found]  # a names-dataset dependency

    out = set(PLACES)
    for c in pycountry.countries:
        for attr in ("name", "common_name"):
            value = getattr(c, attr, None)
            if value and " " not in value:  # "Indonesia", "Singapore"; not the "Sri" of "Sri Lanka"
                out.add(value.lower())
    for sub in pycountry.subdivisions.get(country_code="ID"):
        out.update(sub.name.lower().replace("-", " ").split())
    return out


def build() -> str:
    from names_dataset import NameDataset  # type: ignore[import-not-found]
    from wordfreq import zipf_frequency  # type: ignore[import-not-found]

    version = importlib.metadata.version("names-dataset")
    if version != NAMES_DATASET_VERSION:
        raise SystemExit(f"names-dataset {version} installed, the list is built from {NAMES_DATASET_VERSION}")
    if importlib.metadata.version("wordfreq") != WORDFREQ_VERSION:
        raise SystemExit(f"wordfreq {WORDFREQ_VERSION} is needed")
    blocked = blocked_words()
    nd = NameDataset()
    flags: dict[str, int] = {}
    for country, (n_first, n_last) in COUNTRIES.items():
        for first, top, flag in ((True, n_first, N.GIVEN), (False, n_last, N.SURNAME)):
            for name in ranked(nd, country, first, top):
                low = clean(name)
                if low is not None and low not in blocked:
                    flags[low] = flags.get(low, 0) | flag
    en, idw = dictionary_words(EN_DICT), hunspell_words(ID_DICT, ID_AFF)
    ranks = rank_flags(nd)
    for low in flags:
        zen, zid = zipf_frequency(low, "en"), zipf_frequency(low, "id")
        if low in en and zen >= EN_ZIPF:
            flags[low] |= N.EN_WORD | (N.VERY_COMMON if zen >= VERY_COMMON_ZIPF else 0)
        if low in idw and zid >= ID_ZIPF:
            flags[low] |= N.ID_WORD | (N.VERY_COMMON if zid >= VERY_COMMON_ZIPF else 0)
        r, word = ranks.get(low, 0), flags[low]
        if r & N.POPULAR and ((word & N.EN_WORD and zen >= POPULAR_MAX_EN)
                              or (word & N.ID_WORD and zid >= POPULAR_MAX_ID)):
            r &= ~N.POPULAR  # "Putri", "Indah", "Bagus", "Made": the word is the commoner reading
        flags[low] |= r
    # The common words that are no names: the detector reads a capitalised one as a word, not as a
    # name in no list ("Dear Valued Partner", "Halo Sobat", "Adi Karya Konstruksi banner").
    common: dict[str, int] = {}
    for low in sorted(en | idw):
        if low in flags or low in blocked or len(low) < 2:
            continue  # (a blocked word has its own role in the detector: "van", "bank", "dear")
        zen = zipf_frequency(low, "en") if low in en else 0.0
        zid = zipf_frequency(low, "id") if low in idw else 0.0
        f = ((N.EN_WORD if zen >= EN_ZIPF else 0) | (N.ID_WORD if zid >= ID_ZIPF else 0)
             | (N.VERY_COMMON if max(zen, zid) >= VERY_COMMON_ZIPF else 0))
        if f:
            common[low] = f | N.COMMON
    counts = {k: sum(1 for f in flags.values() if f & v) for k, v in
              (("given", N.GIVEN), ("surname", N.SURNAME), ("english_word", N.EN_WORD),
               ("indonesian_word", N.ID_WORD), ("popular", N.POPULAR), ("ranked", N.RANKED),
               ("very_common", N.VERY_COMMON))}
    header = [
        "# Names for the `names` redaction pattern (cflexagent/logs/transforms/names.py). Generated by",
        "# packaging/build_names.py: do not edit by hand.",
        f"# Names: names-dataset {version} (PyPI, MIT licence, Philippe Remy; ranked lists of",
        "#   given names and surnames per country), the top of the lists of: "
        + ", ".join(f"{c} {a}/{b}" for c, (a, b) in COUNTRIES.items()) + ".",
        "# Common-word flags: lower-case entries of Debian wamerican (SCOWL, permissive licence)",
        "#   and hunspell-id (LibreOffice Indonesian dictionary, LGPL-3; every affixed form, by unmunch)",
        f"#   with a wordfreq {WORDFREQ_VERSION} Zipf frequency of at least {EN_ZIPF} (English) / {ID_ZIPF} "
        "(Indonesian) (wordfreq: Apache-2.0, data CC BY-SA 4.0).",
        f"# Popular: among the first {POPULAR_TOP} given names of a gender in the {'/'.join(RANK_COUNTRIES)} lists,",
        f"#   and of Zipf below {POPULAR_MAX_EN} (English) / {POPULAR_MAX_ID} (Indonesian); ranked: among the first",
        f"#   {RANKED_TOP} given names or surnames there; very common: a common word of Zipf "
        f"{VERY_COMMON_ZIPF} or more.",
        "# Places left out: pycountry (LGPL-2.1) country names and Indonesian provinces, and",
        "#   the cities and brands listed in the build script.",
        f"# Entries: {len(flags)}; " + ", ".join(f"{k} {v}" for k, v in counts.items()) + ".",
        f"# Format: lower-case name<TAB>flags (given {N.GIVEN}, surname {N.SURNAME}, English word "
        f"{N.EN_WORD}, Indonesian word {N.ID_WORD}, popular {N.POPULAR}, ranked {N.RANKED}, "
        f"very common {N.VERY_COMMON}).",
    ]
    # The places, so the detector knows them too ("Hi Jakarta" is no greeting of a person).
    places = {p for p in blocked_places() if p not in flags}
    header.append(f"# Places ({len(places)}, flag {N.PLACE}): the places above, never names.")
    header.append(f"# Common words ({len(common)}, flag {N.COMMON}): the dictionary words above of those "
                  "frequencies that are no names in the lists.")
    rows = dict(common)
    rows.update(flags)
    rows.update(dict.fromkeys(places, N.PLACE))
    return "\n".join(header + [f"{k}\t{v}" for k, v in sorted(rows.items())]) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="exit 1 when the shipped file is not what this builds")
    a = ap.parse_args()
    text = build()
    grams = N.format_grams(N.train_grams(N.parse_names(text)))  # the letters that make a name
    if a.check:
        same = OUT.read_text(encoding="utf-8") == text and GRAMS_OUT.read_text(encoding="utf-8") == grams
        print(f"{OUT.relative_to(ROOT)} and {GRAMS_OUT.name} are {'current' if same else 'NOT current'}")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    GRAMS_OUT.write_text(grams, encoding="utf-8")
    names = sum(1 for line in text.splitlines() if not line.startswith("#"))
    print(f"wrote {OUT.relative_to(ROOT)}: {names} names, {len(text.encode()):,} bytes; "
          f"{GRAMS_OUT.name}: {grams.count(chr(10)) - 3} trigrams")
    return 0


if __name__ == "__main__":
    sys.exit(main())
