"""Build ``cflexagent/data/places.tsv``, the Indonesian place names of several words that the
``names`` redaction pattern never takes for a person's ("Lenteng Agung", "Labuan Bajo",
"Manggarai Barat": words that are names or read like names elsewhere).

Source: the ``idn-area-data`` package (npm, version and tarball hash pinned below), which ships
the administrative areas of Indonesia from the Ministry of Home Affairs' regulation on area codes
and data (Kepmendagri): regencies and cities, districts (kecamatan) and villages (desa/kelurahan).
Its code is MIT; its data is under the Open Database License 1.0, so ``places.tsv`` -- a
derived database -- is distributed under the ODbL 1.0 too, with the attribution in its header
(the rest of cflexagent is unaffected: the ODbL covers the database, not the program reading it).

What is kept: every regency's, district's and village's name of two to four words of letters (a
regency without "Kabupaten" / "Kota"), lower case, except those whose every word is a listed
given name or surname and one of them a name on its own in the shipped ``names.tsv`` ("Selamet
Raharjo", "Simamora Hasibuan"): a person may well be called that, and a title or cue before a
place's name is rarer than before a person's; and those with no word a name could be taken for
(no listed name, none that reads like one: "Kluet Utara"), which cost memory and block nothing.
So it is rebuilt after ``names.tsv`` or its trigrams change (``--check`` says when). Single
words are not kept: many villages are named like people, and the rules already read a single
unlisted word as no name without a cue.

Run it where npm works (it fetches the tarball from the registry, or reads ``--tarball``)::

    python3 packaging/build_places.py            # writes cflexagent/data/places.tsv
    python3 packaging/build_places.py --check    # exit 1 if the shipped file differs
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import io
import subprocess
import sys
import tarfile
import tempfile
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMES_PY = ROOT / "cflexagent" / "logs" / "transforms" / "names.py"
NAMES_TSV = ROOT / "cflexagent" / "data" / "names.tsv"
OUT = ROOT / "cflexagent" / "data" / "places.tsv"
PACKAGE = "idn-area-data"
VERSION = "4.0.1"
#: SHA-256 of the registry's tarball of that version (npm's own integrity is its SHA-512).
TARBALL_SHA256 = "8d47ffb2be39c08aacb0a2dd43193a1edb5754edb1022d57158341c702acc32d"
#: The files read from it, and the prefix dropped from each name there.
FILES = (("package/data/regencies.csv", ("kabupaten ", "kota ")), ("package/data/districts.csv", ()),
         ("package/data/villages.csv", ()))


def _detector() -> types.ModuleType:
    """``names.py`` read on its own (the package's ``__init__`` needs the agent's dependencies)."""
    spec = importlib.util.spec_from_file_location("_names_detector", NAMES_PY)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def tarball(path: str | None) -> bytes:
    if path:
        data = Path(path).read_bytes()
    else:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["npm", "pack", "--silent", f"{PACKAGE}@{VERSION}"], cwd=tmp, check=True,
                           stdout=subprocess.DEVNULL)
            data = (Path(tmp) / f"{PACKAGE}-{VERSION}.tgz").read_bytes()
    got = hashlib.sha256(data).hexdigest()
    if got != TARBALL_SHA256:
        sys.exit(f"{PACKAGE}-{VERSION}.tgz: SHA-256 {got}, expected {TARBALL_SHA256}")
    return data


def phrases(data: bytes, names: dict[str, int], n: types.ModuleType) -> list[str]:
    grams = n.parse_weights((ROOT / "cflexagent" / "data" / "name_grams.tsv").read_text(encoding="utf-8"))
    finder = n.NameFinder(names, grams=grams, use_model=False, places={})
    out: set[str] = set()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member, prefixes in FILES:
            f = tar.extractfile(member)
            assert f is not None, member
            for row in csv.DictReader(io.TextIOWrapper(f, encoding="utf-8")):
                low = " ".join(row["name"].lower().split())
                for p in prefixes:
                    if low.startswith(p):
                        low = low[len(p):]
                words = low.split(" ")
                if not 2 <= len(words) <= 4 or not all(w.isalpha() for w in words):
                    continue
                flags = [names.get(w, 0) for w in words]
                if all(x & (n.GIVEN | n.SURNAME) and not x & (n.PLACE | n.COMMON) for x in flags) and any(
                        n._strong(x) for x in flags):
                    continue  # "selamet raharjo": a person's name as much as a village's
                if not any(x & (n.GIVEN | n.SURNAME) and not x & (n.PLACE | n.COMMON) for x in flags) and not any(
                        finder._name_like(w) for w in words):
                    continue  # no word a name could be taken for ("kluet utara"): nothing to block
                out.add(low)
    return sorted(out)


def render(items: list[str]) -> str:
    head = [
        "# Indonesian place names of two to four words, never a person's name to the names pattern.",
        f"# Built by packaging/build_places.py from {PACKAGE} {VERSION} (npm; tarball SHA-256 {TARBALL_SHA256}):",
        "# the regencies, districts and villages of the Ministry of Home Affairs' area data (Kepmendagri).",
        "# This file is a derived database of idn-area-data's data, (c) its contributors, made available",
        "# under the Open Database License 1.0: https://opendatacommons.org/licenses/odbl/1-0/",
        f"# {len(items)} phrases, one per line, lower case.",
    ]
    return "\n".join(head + items) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="exit 1 when the shipped file is not what this builds")
    ap.add_argument("--tarball", help=f"a local {PACKAGE}-{VERSION}.tgz instead of npm pack")
    a = ap.parse_args()
    n = _detector()
    names = n.parse_names(NAMES_TSV.read_text(encoding="utf-8"))
    text = render(phrases(tarball(a.tarball), names, n))
    if a.check:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT.relative_to(ROOT)} differs from what {PACKAGE} {VERSION} builds", file=sys.stderr)
            return 1
        print(f"{OUT.relative_to(ROOT)} is current")
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {text.count(chr(10)) - 6} phrases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
