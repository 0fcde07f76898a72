"""Redact personal data and secrets from log records and raw lines before they are spooled.

Two mechanisms, both pure and synchronous (no I/O; the hash key is passed in):

- **Fields**: keys matched case-insensitively at any depth (``name`` also matches
  ``customer.name``; a dotted entry such as ``customer.name`` matches that path
  only) have their value dropped, masked (``<redacted:KEY>``) or replaced by a
  keyed hash.
- **Patterns**: every string value that is not allowlisted, and every raw line,
  is scanned for emails, phone numbers, Luhn-valid card numbers, credentials in
  signed URLs and ``Authorization`` headers, IPv4 addresses (only when asked
  for), personal names (``names.py``, last: after the emails, so an address is
  one email, not a name) and user regexes. JSON numbers are never altered.
- **Query strings** (``?a=1&b=2`` in request lines, URLs, referers): a
  parameter named like a redacted field (``name``, ``email``, ``phone``, ...)
  gets that field's action; a credential parameter (``X-Amz-Signature``,
  ``token``, ...) is masked whole; the other values are URL-decoded and
  scanned for the patterns, so ``email=a%40b.com`` and
  ``q=Budi+0812+3456+7890`` do not slip through their encoding.

Credentials are masked before the other patterns run, so a signature's digits
are neither taken for a phone number nor counted as one. One combined regex
does the digit scan (phones, cards, IPs). It also matches, and gives back unchanged,
the tokens that look like digits-with-separators but are not personal data
(UUIDs, dates and times), so a date is never mistaken for a phone number;
prefixed IDs (``ORD-1001``, ``req-…``) are protected by the look-behinds.
Cheap substring tests ("@", "=", "earer", ...) skip the other regexes for the
strings that cannot hold a match, and a record whose keys are all allowlisted
is passed over by one set test: this is what makes redaction affordable at
100k+ lines per CPU-second.

Hashes are HMAC-SHA256 with a per-installation key, truncated: the same email or
phone number gives the same token across lines (correlation) without being
readable or guessable from the log alone.

This module is also compiled with mypyc (``setup.py``; ``compiled.py`` picks
the build, which ``transforms/__init__.py`` takes ``Redactor`` from): keep it
plainly typed, without dynamic tricks. The hash key is read (or created) by
``transforms/__init__.py`` at start and handed in.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import urllib.parse
from collections.abc import Callable
from typing import Any, Final

from .config import RedactConfig
from .names import NameFinder

_DIGITS: Final = frozenset("0123456789")
#: Records with more keys than this are not cached by shape; the cache holds at most this many keys in all.
_SHAPE_MAX_KEYS: Final = 64
_SHAPES_MAX_KEYS: Final = 16384
#: Bytes of a random key for a redactor given none (hashes then only correlate within the process).
_KEY_BYTES: Final = 32

# -- the building blocks of the digit regex -----------------------------------
# The regex starts with one character class ([0-9], "+" or "(") followed by a
# look-behind (that character does not follow a word character, '.', '-' or
# '+', so ``ORD-0812...``, ``x0812...`` and ``3.0812...`` stay; a digit does not
# follow ':', so the seconds of ``10:15:01.000001`` stay), and only then
# branches on what the first character was. The engine thus skips ahead in C
# to the start of a number instead of trying every alternative at every
# position: this is what makes the scan cheap.

_START: Final = r"[0-9+(](?<![\w.\-+].)(?<!:[0-9])"


#: Tokens that look like digits with separators but are not personal data. They
#: are checked only when a phone-number candidate starts with a "0" (the other
#: forms cannot start a UUID or a date), which keeps them off the hot path.
_UUID: Final = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DMY_DATE: Final = re.compile(r"(?:0?[1-9]|[12][0-9]|3[01])(?P<sep>[.\-/])(?:0?[1-9]|1[0-2])(?P=sep)[12][0-9]{3}")
#: Digit groups with the separators phone numbers are written with. Bounded, so a run of digit
#: groups of any length costs a bounded match per number found in it (see ``_sub_digits``).
_PHONE_REST: Final = r"[0-9]{0,20}(?:(?:[ .\-]|\) ?|\(|[ .\-]\()[0-9]{1,20}){0,16}\)?"
_PHONE: Final = (
    rf"(?<=\+) ?\(?[0-9]{_PHONE_REST}"  # +62 812-3456-7890, +44 (0)20 7946 0958
    rf"|(?<=0)[1-9]{_PHONE_REST}"  # 0812 3456 7890, 06-12345678
    rf"|(?<=0)0[1-9]{_PHONE_REST}"  # 0044 20 7946 0958, 0062 812 3456 7890 (the "00" international prefix)
    rf"|(?<=\()0[1-9]{_PHONE_REST}"  # (021) 555 1234
    r"|(?<=\()[2-9][0-9]{2}\) ?[0-9]{3}[ .\-][0-9]{4}(?![\w]|[.\-][0-9])"  # (415) 555-0100
    r"|(?<=[2-9])[0-9]{2}(?P<usep>[.\-])[0-9]{3}(?P=usep)[0-9]{4}(?![\w]|[.\-][0-9])"  # 415.555.0100
)
#: Indonesian mobile numbers in the WhatsApp form, the country code without "+" (6281234567890,
#: 62 812-3456-7890): "62", "8", a digit 1-9, then digit groups; the digit count is checked after.
_WA: Final = r"(?<=6)2[ .\-]?8[1-9][0-9]{0,3}(?:[ .\-]?[0-9]{2,5}){1,3}(?![\w]|[.\-][0-9])"
#: 13-19 digits, plain or in groups of four (Amex: 4-6-5), checked with Luhn.
_CARD: Final = (r"(?<=[2-6])(?:[0-9]{12,18}|[0-9]{3}(?P<csep>[ \-])[0-9]{4}(?P=csep)[0-9]{4}(?P=csep)"
                r"[0-9]{1,7}|[0-9]{3}(?P<asep>[ \-])[0-9]{6}(?P=asep)[0-9]{5})(?![\w]|[.\-][0-9])")
_IP: Final = (r"(?<=[0-9])[0-9]{0,2}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?![\w]|\.[0-9])")
_EMAIL: Final = (r"[A-Za-z0-9](?<![A-Za-z0-9._%+\-][A-Za-z0-9])[A-Za-z0-9._%+\-]*"
                 r"@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}(?![\w\-])")
_BEARER: Final = re.compile(r"((?i:authorization)[\"']?\s*[:=]\s*[\"']?(?i:bearer|basic)\s+|(?i:bearer)\s+)"
                            r"([A-Za-z0-9\-._~+/]{8,}=*)", re.ASCII)
#: A credential's value, up to the next delimiter. It runs before the other patterns, so no
#: mask of theirs can have cut into it; one of the query pass ("<redacted:secret>") is left alone.
_SECRET_VALUE: Final = re.compile(r"[^&\s\"'<>#,;\\]+")
#: The query string of a URL: after "?", up to whitespace, a quote, "<", ">" or "#".
_QUERY: Final = re.compile(r"\?([^\s\"'<>#?]*=[^\s\"'<>#]*)")
_PARAM_NAME_REVERSED: Final = re.compile(r"[A-Za-z0-9_\-]{0,64}")
#: Characters that continue a token: a field value is masked in a text line only where it is
#: not part of a longer token (``ken`` stays in ``token=``, ``john`` in ``john.doe@x.com``).
_TOKEN_CHARS: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.@%+-")


def luhn_ok(digits: str) -> bool:
    total, alt = 0, False
    for ch in reversed(digits):
        d = ord(ch) - 48
        if alt:
            d *= 2
            if d > 9:
                d -= 9
        total += d
        alt = not alt
    return total % 10 == 0


_DROP: Final = object()
#: Marks a dropped query parameter in ``_redact_query`` (compared by identity).
_DROPPED_PARAM: Final = "<dropped>"
_EMAIL_RE: Final = re.compile(_EMAIL, re.ASCII)
_NON_DIGITS: Final = re.compile(r"[^0-9]+")
_MASK: Final = re.compile(r"<[a-z_]+:[0-9a-z_]+>")


def _is_mask(value: str) -> bool:
    """``value`` is one mask token (``<redacted:secret>``, ``<secret:1f2e...>``)."""
    return value[0] == "<" and value[-1] == ">" and _MASK.fullmatch(value) is not None


def _replace_tokens(text: str, value: str, mask: str) -> str:
    """``text`` with each occurrence of ``value`` that is a whole token (not next to a
    ``_TOKEN_CHARS`` character) replaced by ``mask``."""
    out: list[str] = []
    last = 0
    n = len(value)
    end = len(text)
    i = text.find(value)
    while i >= 0:
        j = i + n
        if (i == 0 or text[i - 1] not in _TOKEN_CHARS) and (j == end or text[j] not in _TOKEN_CHARS):
            out.append(text[last:i])
            out.append(mask)
            last = j
            i = text.find(value, j)
        else:
            i = text.find(value, i + 1)
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _digits_of(text: str) -> str:
    """The digits of a phone or card number match. Its separators are removed with ``replace``,
    which on such short strings is several times faster than a regex (or a loop); anything
    else is left to the regex."""
    digits = text.replace(" ", "").replace("-", "").replace(".", "").replace("+", "").replace("(", "").replace(")", "")
    return digits if digits.isdigit() or not digits else _NON_DIGITS.sub("", digits)


def _wa_cut(text: str) -> int:
    """The end of the longest run of ``text``'s first digit groups that holds 11-14 digits (a
    WhatsApp-form mobile number), or 0."""
    n = cut = 0
    for i in range(len(text)):
        if text[i] in _DIGITS:
            n += 1
            if n > 14:
                break
            if n >= 11 and (i + 1 == len(text) or text[i + 1] not in _DIGITS):
                cut = i + 1
    return cut


class Redactor:
    """Compiled redaction rules. ``counts`` (rule -> redactions) is shared with the metrics."""

    def __init__(self, cfg: RedactConfig, key: bytes = b"", counts: dict[str, int] | None = None,
                 names: NameFinder | None = None, name_fields: frozenset[str] | None = None) -> None:
        self.cfg = cfg
        self.enabled = cfg.enabled
        self.counts: dict[str, int] = counts if counts is not None else {}
        self._key = key or os.urandom(_KEY_BYTES)
        self._hash_len = cfg.hash_length
        self._hash_patterns = cfg.pattern_action == "hash"
        self._allow = frozenset(f.lower() for f in cfg.allow_fields)
        actions = {f.lower(): cfg.field_action for f in cfg.fields}
        actions.update({f.lower(): a for f, a in cfg.field_actions.items()})
        self._leaf_actions = {k: a for k, a in actions.items() if "." not in k}
        self._path_actions = {k: a for k, a in actions.items() if "." in k}
        #: Keys a record may hold without anything to redact (allowlisted, no field action).
        self._untouched = frozenset(k for k in self._allow if k not in self._leaf_actions)
        #: Key tuple of a record -> the keys to look at; records of one source share a few shapes.
        self._shapes: dict[tuple[str, ...], tuple[tuple[str, str, str | None], ...]] = {}
        self._shape_keys = 0  # keys held by the shapes cache
        pats = set(cfg.patterns)
        alts = []
        if "phone" in pats:
            alts.append(f"(?P<wa>{_WA})")
            alts.append(f"(?P<phone>{_PHONE})")
        if "card" in pats:
            alts.append(f"(?P<card>{_CARD})")
        if "ip" in pats:
            alts.append(f"(?P<ip>{_IP})")
        self._cards = "card" in pats
        self._digit_re = re.compile(f"{_START}(?:{'|'.join(alts)})", re.ASCII) if alts else None
        self._email = "email" in pats
        self._secrets = "secret" in pats
        self._secret_params = frozenset(p.lower() for p in cfg.secret_params)
        self._rules = [(r.regex, self._rule_masker(r.name)) for r in cfg.rules]
        #: The ``names`` pattern: the finder the caller built (``transforms/__init__.py`` builds the
        #: one ``compiled.py`` picks), else the pure one over the shipped list.
        self._names: NameFinder | None = None
        if "names" in pats:
            if names is None:
                from . import names as impl

                names = impl.NameFinder(impl.shipped_names(), cfg.names_allow, cfg.names_extra,
                                        use_model=cfg.names_model)
            self._names = names
        self._query = (bool(self._leaf_actions) or bool(alts) or self._email or bool(self._rules) or self._secrets
                       or self._names is not None)
        #: Text lines with parsed fields (``redact_batch``): None, the names pattern reads the whole
        #: line; else only these fields (read as user names) and query values (nginx access lines:
        #: ``remote_user``, never the request line, status or user agent).
        self._name_fields = name_fields
        #: Key tuple of a text line's fields -> the keys that need a look before the line is
        #: redacted (a field action, a name field); see ``_redact_fields_of_text``.
        self._text_shapes: dict[tuple[str, ...], tuple[tuple[str, bool], ...]] = {}
        #: Parameters seen by the current query pass (``redact_text`` compares it with the "=" count).
        self._query_eqs = 0
        #: The current query pass reads plain values for names (the whole-text scan will not).
        self._query_names = False

    # -- masks ---------------------------------------------------------------

    def _count(self, rule: str) -> None:
        c = self.counts
        c[rule] = c.get(rule, 0) + 1

    def _digest(self, value: str) -> str:
        return hmac.new(self._key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[: self._hash_len]

    def _mask(self, rule: str, value: str) -> str:
        self._count(rule)
        if self._hash_patterns:
            return f"<{rule}:{self._digest(value)}>"
        return f"<redacted:{rule}>"

    def _rule_masker(self, name: str) -> Callable[[re.Match[str]], str]:
        return lambda m: self._mask(name, m.group())

    # -- patterns ------------------------------------------------------------

    def _sub_digits(self, s: str, rx: re.Pattern[str]) -> str:
        """``s`` with the digit patterns' matches replaced (``s`` itself when none is).

        One search after another, each resuming where the last match's verdict ends (after a
        masked number, after the part of a run that made a valid number, one character into a
        candidate that was not a number at all), with the real text before it in view of the
        look-behinds. Nothing recurses and no character is scanned over and over, whatever
        the line (a crafted run of digit groups in a URL costs one pass).
        """
        m = rx.search(s)
        if m is None:
            return s
        out: list[str] = []
        last = 0
        while m is not None:
            start = m.start()
            new, end = self._digits_verdict(m, start)
            if new is not None:
                out.append(s[last:start])
                out.append(new)
                last = end
            m = rx.search(s, end)
        if not out:
            return s
        out.append(s[last:])
        return "".join(out)

    def _digits_verdict(self, m: re.Match[str], start: int) -> tuple[str | None, int]:
        """What a digit-regex match becomes: (the replacement of ``s[start:end]``, ``end``), or
        (None, ``end``) to keep the text up to ``end``. The scan resumes at ``end``."""
        # lastgroup is the outermost named group of the alternative that matched.
        kind = m.lastgroup
        text = m.group()
        if kind == "phone":
            if text[0] == "0":
                # A day-first date or a UUID that starts like a national number.
                if _UUID.match(m.string, start):
                    return None, m.end()
                d = _DMY_DATE.match(text)
                if d:
                    return None, start + d.end()  # the rest may still hold a number
            new, used = self._phone(text)
            return new, start + used
        if kind == "wa":
            digits = _digits_of(text)
            if 11 <= len(digits) <= 14:  # "62" and the 9-12 digits of a mobile number
                return self._mask("phone", digits), m.end()
            if self._cards and 13 <= len(digits) <= 19 and luhn_ok(digits):
                return self._mask("card", digits), m.end()  # UnionPay's 628x cards
            if len(digits) > 14 and text[2] in " .-":
                # "62 812 3456 7890 123": the number, then another one. Only where "62" stands
                # apart as a country code: "6281 2345 6789 0123" is an ID, never cut.
                cut = _wa_cut(text)
                if cut:
                    return self._mask("phone", _digits_of(text[:cut])), start + cut
            return None, start + 1
        if kind == "card":
            digits = _digits_of(text)
            if luhn_ok(digits):
                return self._mask("card", digits), m.end()
            return None, start + 1  # not a card; another number may start inside it
        if kind == "ip":
            return self._mask("ip", text), m.end()
        return None, m.end()

    def _sub_names(self, s: str, finder: NameFinder, user: bool = False) -> str:
        """``s`` with the names ``finder`` finds masked (``user``: ``s`` is a user-name field); a hash
        is of the name in lower case with its spaces collapsed, so "Budi Santoso" and "BUDI  SANTOSO"
        give one token."""
        spans = finder.user_spans(s) if user else finder.spans(s)
        if not spans:
            return s
        out: list[str] = []
        last = 0
        for i in range(0, len(spans), 2):
            start = spans[i]
            end = spans[i + 1]
            out.append(s[last:start])
            # (The name's normal form is only needed for its hash.)
            out.append(self._mask("name", " ".join(s[start:end].lower().split()) if self._hash_patterns else ""))
            last = end
        out.append(s[last:])
        return "".join(out)

    def _replace_email(self, m: re.Match[str]) -> str:
        return self._mask("email", m.group().lower())

    def _replace_bearer(self, m: re.Match[str]) -> str:
        return m.group(1) + self._mask("secret", m.group(2))

    def _phone(self, text: str) -> tuple[str | None, int]:
        """A phone-number candidate: (its mask or None to keep it, how many of its characters
        that verdict covers)."""
        # Digits before the number proper: the trunk "0" of a national number, the "00" of an
        # international one (what "+" stands for when dialled), none after a "+".
        national = 2 if text.startswith("00") else int(text[0] != "+")
        digits = _digits_of(text)
        if text[0] in "(23456789" and len(digits) == 10 and text[1] != "0":
            return self._mask("phone", digits), len(text)  # US forms, fully matched by the regex
        if 8 + national <= len(digits) <= 15 + national:
            return self._mask("phone", digits), len(text)
        if len(digits) < 8 + national:
            return None, len(text)
        # Too many digits: the match ran into a following number ("+62 812 3456 7890 2026").
        # Mask the digit groups up to where a second number starts with its trunk "0" ("0812 3456
        # 7890 0813 ..."), else the longest prefix that is a valid number; the scan goes on after.
        limit = 15 + national
        n, cut, second = 0, 0, 0
        for i, ch in enumerate(text):
            if ch in _DIGITS:
                if ch == "0" and not second and n >= 8 + national and text[i - 1] not in _DIGITS:
                    second = cut
                n += 1
                if n > limit:
                    break
                if i + 1 == len(text) or text[i + 1] not in _DIGITS:
                    cut = i + 1
        cut = second or cut
        if cut and len(_digits_of(text[:cut])) >= 8 + national:
            return self._mask("phone", _digits_of(text[:cut])), cut
        # No phone number after all, but one (or a card) may start inside it
        # ("+ 4111111111111111", "0957 3221 081234567890").
        return None, 1

    def _redact_secrets(self, s: str) -> str:
        """Values of credential query parameters (``?X-Amz-Signature=...&token=...``)."""
        params = self._secret_params
        out: list[str] = []
        last = 0
        rev = s[::-1]  # the parameter name before an "=" is one regex match on the reversed text
        n = len(s)
        i = s.find("=")
        while i >= 0:  # an "=" at 0 has no name before it, but the ones after it still count
            found = _PARAM_NAME_REVERSED.match(rev, n - i) if i else None
            name = found.group() if found else ""
            if name and name[::-1].lower() in params:
                m = _SECRET_VALUE.match(s, i + 1)
                if m:
                    out.append(s[last : i + 1])
                    out.append(self._mask("secret", m.group()))
                    last = m.end()
            i = s.find("=", i + 1)
        if not out:
            return s
        out.append(s[last:])
        return "".join(out)

    def _redact_query(self, m: re.Match[str]) -> str:
        """One query string: field actions by parameter name, credentials masked whole, patterns in
        the URL-decoded values of the other parameters. Parameters that need nothing are
        neither split nor rebuilt."""
        unquote = urllib.parse.unquote_plus
        parts = m.group(1).split("&")
        changed = dropped = False
        for k in range(len(parts)):
            part = parts[k]
            eq = part.find("=")
            if eq < 0 or eq == len(part) - 1:
                continue  # no value
            name = part[:eq]
            if 0 < len(name) <= 64 and name.isascii() and name.replace("-", "").replace("_", "").isalnum():
                # A plain name ([A-Za-z0-9_-], what _PARAM_NAME_REVERSED reads): the whole-text
                # scan would read it alike, so it need not look at this parameter again.
                # Others ("amp;token", "x.token", "/dl?sig") leave it to that scan.
                self._query_eqs += 1
            value = part[eq + 1:]
            low = (unquote(name).strip() if "%" in name or "+" in name else name).lower()  # unquote: Python-level
            action = self._leaf_actions.get(low)
            if action is not None:
                changed = True
                new = self._field_value(action, low, unquote(value))
                if new is _DROP:  # the parameter goes, like a dropped JSON key
                    parts[k] = _DROPPED_PARAM
                    dropped = True
                else:
                    parts[k] = f"{name}={new}"
            elif low in self._secret_params:
                if self._secrets and not _is_mask(value):
                    changed = True
                    parts[k] = f"{name}={self._mask('secret', value)}"
            elif ("%" in value or "+" in value) and low not in self._allow:
                decoded = unquote(value)
                red = self._scan(decoded, "=" in decoded)
                if red is not decoded:
                    changed = True
                    parts[k] = f"{name}={urllib.parse.quote_plus(red, safe='<>:/@')}"
            elif self._query_names and low not in self._allow and self._names is not None:
                # The whole-text scan reads this value for every pattern but names: names here.
                red = self._sub_names(value, self._names)
                if red is not value:
                    changed = True
                    parts[k] = f"{name}={red}"
        if not changed:
            return m.group()
        return "?" + "&".join([p for p in parts if p is not _DROPPED_PARAM] if dropped else parts)

    def redact_text(self, s: str, names: bool = True) -> str:
        """``s`` with every pattern match replaced (the same object when nothing matched).
        ``names`` False: the names pattern reads only the values of query strings."""
        if not self.enabled:
            return s
        out = s
        secrets = "=" in s
        if secrets and self._query and "?" in s:
            self._query_eqs = 0
            self._query_names = not names
            out = _QUERY.sub(self._redact_query, s)
            # The credentials of query strings are masked by now; look for others only when some
            # "=" is not a query parameter's.
            secrets = s.count("=") > self._query_eqs
        out = self._scan(out, secrets, names)
        return s if out == s else out

    def _scan(self, s: str, eq: bool, names: bool = True) -> str:
        """``s`` with every pattern match replaced (``s`` itself when nothing matched); ``eq``:
        look for ``name=value`` credentials (the caller knows whether ``s`` holds an "=");
        ``names``: look for names too."""
        out = s
        if self._secrets:
            # Credentials first: a signature's digits are not a phone number.
            if eq:
                out = self._redact_secrets(out)
            if "earer" in out or "EARER" in out or "uthorization" in out or "UTHORIZATION" in out:
                out = _BEARER.sub(self._replace_bearer, out)
        if self._digit_re is not None:
            out = self._sub_digits(out, self._digit_re)
        if self._email and "@" in out:
            out = _EMAIL_RE.sub(self._replace_email, out)
        if names and self._names is not None:
            out = self._sub_names(out, self._names)
        for rx, masker in self._rules:
            out = rx.sub(masker, out)
        return s if out == s else out

    # -- records -------------------------------------------------------------

    def _shape(self, keys: tuple[str, ...]) -> tuple[tuple[str, str, str | None], ...]:
        """(key, lowercased key, field action) for each key that is not allowlisted."""
        out = []
        for key in keys:
            low = key.lower()
            action = self._leaf_actions.get(low)
            if action is not None or low not in self._allow:
                out.append((key, low, action))
        shape = tuple(out)
        # Bounded by the keys it holds, not by entries: a hostile line with 10,000 distinct keys must
        # not pin its keys (a thousand such shapes were gigabytes). Log records have a few dozen keys.
        if len(keys) <= _SHAPE_MAX_KEYS and self._shape_keys + len(keys) <= _SHAPES_MAX_KEYS:
            self._shapes[keys] = shape
            self._shape_keys += len(keys)
        return shape

    def _field_value(self, action: str, rule: str, value: Any) -> Any:
        self._count("field")
        if action == "drop":
            return _DROP
        if action == "hash":
            text = value if isinstance(value, str) else str(value)
            return f"<{rule}:{self._digest(text.strip().lower())}>"
        return f"<redacted:{rule}>"

    def _walk(self, obj: Any, path: str) -> Any:
        if isinstance(obj, str):
            return self.redact_text(obj)
        if isinstance(obj, dict):
            return self._walk_dict(obj, path)
        if isinstance(obj, list):
            changed = False
            out_list = []
            for item in obj:
                new = self._walk(item, path)
                changed = changed or new is not item
                out_list.append(new)
            return out_list if changed else obj
        return obj  # numbers, booleans, null: never altered

    def _walk_dict(self, rec: dict[str, Any], path: str) -> dict[str, Any]:
        keys = tuple(rec)
        shape = self._shapes.get(keys)
        if shape is None:
            shape = self._shape(keys)
        if not shape:
            return rec  # every key allowlisted: the common case of app logs
        out: dict[str, Any] | None = None
        paths = self._path_actions
        for key, low, action in shape:
            value = rec[key]
            if paths:
                action = paths.get(f"{path}.{low}" if path else low, action)
            if action is not None:
                if value.__class__ is str and (not value or value == "-"):
                    continue  # empty (nginx writes "-"): nothing to hide
                new = self._field_value(action, low, value)
            elif value.__class__ is str:
                fields = self._name_fields
                if fields is None:
                    new = self.redact_text(value)
                elif low in fields:
                    new = self._name_field_value(value)
                else:
                    new = self.redact_text(value, False)
            elif value.__class__ is dict or value.__class__ is list:
                new = self._walk(value, f"{path}.{low}" if path else low)
            else:
                continue  # numbers, booleans, null: never altered
            if new is value:
                continue
            if out is None:
                out = dict(rec)
            if new is _DROP:
                del out[key]
            else:
                out[key] = new
        return rec if out is None else out

    def redact_record(self, rec: dict[str, Any]) -> dict[str, Any]:
        """The record with fields and patterns redacted: ``rec`` itself when nothing changed
        (so the caller can ship the original bytes), else a new dict (``rec`` is not modified)."""
        if not self.enabled:
            return rec
        return self._walk_dict(rec, "")

    def redact_batch(self, lines: list[bytes], records: list[dict[str, Any] | None], json_lines: bool,
                     dumps: Callable[[Any], bytes]) -> tuple[list[bytes], list[dict[str, Any] | None]] | None:
        """A parsed batch's (lines, records) redacted, or None when nothing changed.

        ``json_lines``: ``lines[i]`` is the JSON text of ``records[i]``; a changed record is
        re-serialised with ``dumps`` (the parser's codec), an unchanged one keeps its original
        bytes, and a record whose keys are all allowlisted (the common case of app logs) is
        passed over by one set test. Lines without a record (not JSON) are redacted as text.
        Otherwise (text formats) ``records[i]`` holds fields parsed out of the line: they are
        redacted without counting, and the line as text, where the redactions are counted.
        """
        if not self.enabled:
            return None
        new_lines: list[bytes] | None = None
        new_records: list[dict[str, Any] | None] | None = None
        untouched = self._untouched
        most = len(untouched)
        for i in range(len(records)):
            rec = records[i]
            if rec is not None and json_lines:
                if len(rec) <= most and untouched.issuperset(rec):
                    continue
                red = self._walk_dict(rec, "")
                if red is not rec:
                    if new_records is None:
                        new_records = list(records)
                    new_records[i] = red
                    if new_lines is None:
                        new_lines = list(lines)
                    new_lines[i] = dumps(red)
                continue
            text = lines[i].decode("utf-8", "replace")
            if rec is None:
                out = self.redact_text(text)
            else:
                out, red = self._redact_text_record(rec, text)
                if red is not rec:
                    if new_records is None:
                        new_records = list(records)
                    new_records[i] = red
            if out is not text:
                if new_lines is None:
                    new_lines = list(lines)
                new_lines[i] = out.encode()
        if new_lines is None and new_records is None:
            return None
        return (new_lines if new_lines is not None else lines, new_records if new_records is not None else records)

    def _redact_text_record(self, rec: dict[str, Any], text: str) -> tuple[str, dict[str, Any]]:
        """A text line and the fields parsed out of it, redacted: (line, fields), each the same
        object when unchanged. The line's redactions are counted, the fields' are not."""
        names = self._name_fields is None
        if not self._rules and not self._fields_first(rec):
            # No field action or name field applies, and the fields are parts of the line: when the
            # line holds nothing to mask, neither do they (the common case; their scan is skipped).
            # A user regex could match a field alone and not the line ("^..."): then they are read.
            out = self.redact_text(text, names)
            return (text, rec) if out is text else (out, self.redact_record_uncounted(rec))
        red = self.redact_record_uncounted(rec)
        # Field values first, whole, before the patterns mask parts of them.
        src = text if red is rec else self._fields_in_text(rec, red, text)
        return self.redact_text(src, names), red

    def _fields_first(self, rec: dict[str, Any]) -> bool:
        """A field of ``rec`` has a field action, or is a name field that holds a name."""
        keys = tuple(rec)
        shape = self._text_shapes.get(keys)
        if shape is None:
            found = []
            paths = self._path_actions
            fields = self._name_fields
            for key in keys:
                low = key.lower()
                action = paths.get(low, self._leaf_actions.get(low)) if paths else self._leaf_actions.get(low)
                if action is not None:
                    found.append((key, False))
                elif fields is not None and low in fields:
                    found.append((key, True))
            shape = tuple(found)
            if len(self._text_shapes) < 1024:
                self._text_shapes[keys] = shape
        for key, name_field in shape:
            value = rec[key]
            if value.__class__ is not str or not value or value == "-":
                continue
            if not name_field:
                return True
            if self._names is not None and self._names.user_spans(value):
                return True
        return False

    def _name_field_value(self, value: str) -> str:
        """A name field's value (``name_fields``) redacted: read as a user name."""
        out = self.redact_text(value, False)
        if self._names is not None:
            out = self._sub_names(out, self._names, True)
        return out

    def _fields_in_text(self, fields: dict[str, Any], redacted: dict[str, Any], text: str) -> str:
        """``text`` with the values of ``fields`` (parsed out of it) that a field action applies to
        replaced by what that action made of them in ``redacted`` (``remote_user`` in an nginx
        line, when listed in ``fields``): the line Loki stores says no more than its labels and
        metadata. Only whole tokens are masked (``_replace_tokens``), so a short value does not
        cut into other words, parameter names or emails; each field masked counts once. Dropped
        fields are masked (a text line has no key to drop); empty values and nginx's "-" are left.
        """
        paths = self._path_actions
        name_fields = self._name_fields
        for key, value in fields.items():
            if value.__class__ is not str or not value or value == "-" or value not in text:
                continue
            low = key.lower()
            action = paths.get(low, self._leaf_actions.get(low)) if paths else self._leaf_actions.get(low)
            if action is None:
                if name_fields is not None and low in name_fields:
                    # A name field (remote_user): its names, counted here, then the whole token.
                    masked = self._name_field_value(value)
                    if masked is not value:
                        text = _replace_tokens(text, value, masked)
                continue
            new = redacted.get(key)
            out = _replace_tokens(text, value, new if new.__class__ is str else f"<redacted:{low}>")
            if out is not text:
                self._count("field")
                text = out
        return text

    def redact_record_uncounted(self, rec: dict[str, Any]) -> dict[str, Any]:
        """``redact_record`` without counting: for the fields parsed out of a text line whose
        redactions are already counted on the line itself."""
        counts, self.counts = self.counts, {}
        try:
            return self.redact_record(rec)
        finally:
            self.counts = counts


class RedactMetrics:
    """``cflexagent_log_redactions_total{source,rule}``, read at scrape time from plain dicts.

    Redactors increment an ``int`` in a dict (no lock, no label lookup on the hot
    path); the dicts live here, one per source, so counts survive reloads.
    """

    def __init__(self, registry: Any) -> None:
        self._by_source: dict[str, dict[str, int]] = {}
        registry.register(self)

    def counts_for(self, source: str) -> dict[str, int]:
        return self._by_source.setdefault(source, {})

    def collect(self) -> Any:
        from prometheus_client.core import CounterMetricFamily

        fam = CounterMetricFamily("cflexagent_log_redactions", "Values redacted before shipping, by source and rule "
                                  "(field, email, phone, card, secret, name, ip or a user rule).",
                                  labels=["source", "rule"])
        for source, counts in list(self._by_source.items()):
            for rule, n in dict(counts).items():
                fam.add_metric([source, rule], n)
        yield fam

    def describe(self) -> Any:
        return []
