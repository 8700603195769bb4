"""TextSampler: one-word training labels that look like the words on clinical forms.

Everything is generated or drawn from system word lists (wamerican, hunspell-en-med);
no real document text is used. ``HELDOUT_WORDS`` are never emitted, so a later test can
measure generalisation to unseen words.
"""

from __future__ import annotations

import hashlib
import random
import string
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from inference.spec import PARSEQ_CHARSET

MAX_LEN = 25
ENGLISH_WORDS = Path("/usr/share/dict/american-english")
MEDICAL_DIC_GLOB = "/usr/share/hunspell"
_CHARSET = frozenset(PARSEQ_CHARSET)
_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

_FALLBACK_WORDS = (
    "patient history daily given tablet report result normal review follow signed "
    "hospital clinic nurse doctor admission discharge blood pressure pulse weight "
    "allergy medication dosage referral complaint assessment plan diagnosis"
).split()

FIRST_NAMES = (
    "John Mary James Linda Robert Patricia Michael Barbara William Susan David Karen "
    "Richard Nancy Joseph Lisa Thomas Betty Charles Sandra Daniel Donna Mark Carol "
    "Paul Sharon Steven Ruth Kenneth Helen Gary Deborah Ronald Janet Timothy Diane "
    "Ahmed Priya Wei Olga Jose Maria Hiroshi Fatima Kwame Ines Raj Mei Jan Eva"
).split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas "
    "Moore Martin Jackson Thompson White Harris Clark Lewis Robinson Walker Young "
    "Allen King Wright Scott Green Baker Adams Nelson Hill Campbell Mitchell Roberts "
    "O'Brien McDonald Nguyen Patel Kowalski Schmidt Garcia Rodriguez Chen Kim Singh "
    "Lopez Gonzalez Murphy Sullivan DeLuca Van-Dyke St.John"
).split()
DRUGS = (
    "Metformin Lisinopril Atorvastatin Amlodipine Metoprolol Omeprazole Simvastatin "
    "Losartan Albuterol Gabapentin Hydrochlorothiazide Sertraline Furosemide "
    "Acetaminophen Ibuprofen Aspirin Warfarin Heparin Insulin Prednisone Amoxicillin "
    "Azithromycin Ciprofloxacin Levothyroxine Digoxin Morphine Oxycodone Tramadol "
    "Ondansetron Pantoprazole Clopidogrel Enoxaparin Vancomycin Ceftriaxone "
    "Dopamine Norepinephrine Propofol Lorazepam Diazepam Haloperidol Lasix Coumadin "
    "Tylenol Zoloft Prozac Xanax Valium KCl NaCl D5W"
).split()
UNITS = (
    "mg mcg g kg mL ml cc L units U IU mEq mmol mg/dL mg/kg mcg/kg/min mg/kg/day "
    "mmHg bpm % lb lbs cm mm in mL/hr gtt/min mg/mL"
).split()
FREQS = (
    "q8h q6h q4h q12h q4-6h qd QD qod bid BID b.i.d. tid TID t.i.d. qid QID q.i.d. "
    "PRN prn p.r.n. PO p.o. IV IM SC SQ h.s. qhs HS stat STAT NPO x2 x3 x7d #30 1-2 "
    "a.c. p.c. OD OS OU"
).split()
LABS = "K+ Na+ Cl- Ca++ Mg++ HCO3 BUN Cr WBC RBC Hgb Hct Plt INR PT PTT HbA1c LDL HDL TSH pH pO2 pCO2 SpO2 O2".split()
FORM_LABELS = (
    "DATE TO FROM Re RE Subject SUBJECT FAX Fax Phone PHONE Tel TEL Name NAME Address "
    "ADDRESS DOB Sex SEX Age AGE MRN Dept DEPT Signature Physician PHYSICIAN Dr Dx Rx "
    "Hx Tx Sx Pages PAGES CC cc Attn ATTN No NO Total TOTAL Comments COMMENTS Ref "
    "Date Time TIME Room Bed Ward Unit Diagnosis Allergies Meds Plan BP HR RR Temp Wt Ht"
).split()
MONTHS = "January February March April May June July August September October November December".split()


def _usable(word: str) -> bool:
    return 0 < len(word) <= MAX_LEN and all(c in _CHARSET for c in word)


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="ignore").splitlines()
    except OSError:
        return []


@lru_cache(maxsize=1)
def english_words() -> tuple[str, ...]:
    lines = {w.strip() for w in _read_lines(ENGLISH_WORDS)}
    words = sorted(w for w in lines if _usable(w) and not w.endswith("'s"))
    return tuple(words) or tuple(_FALLBACK_WORDS)


@lru_cache(maxsize=1)
def medical_words() -> tuple[str, ...]:
    words: set[str] = set()
    for dic in sorted(Path(MEDICAL_DIC_GLOB).glob("*med*.dic")):
        for line in _read_lines(dic):
            if not line or line[0].isspace():
                continue  # header prose of the .dic file
            word = line.split("/", 1)[0].strip()
            if not word.isdigit() and _usable(word):
                words.add(word)
    return tuple(sorted(words)) or tuple(_FALLBACK_WORDS)


def _digest(word: str) -> str:
    return hashlib.md5(word.encode()).hexdigest()


def _choose_heldout() -> frozenset[str]:
    """200 lower-case words picked by hash: 150 everyday, 50 medical."""

    def pick(words: tuple[str, ...], n: int) -> list[str]:
        pool = sorted({w.lower() for w in words if w.isalpha() and 5 <= len(w) <= 12}, key=_digest)
        return pool[:n]

    return frozenset(pick(english_words(), 150) + pick(medical_words(), 50))


#: Words (compared lower-case, without surrounding punctuation) that the sampler never emits.
HELDOUT_WORDS: frozenset[str] = _choose_heldout()


def is_heldout(token: str) -> bool:
    return token.strip(_PUNCT).lower() in HELDOUT_WORDS


class TextSampler:
    """Draws one token (1..25 charset chars, no spaces) per call; deterministic by seed.

    ``phrases``: the share of draws that are a phrase instead, 2-5 tokens joined by single
    spaces (<= 25 characters in all), for a model whose charset holds the space and reads
    across word gaps instead of depending on the layout to find them."""

    def __init__(self, seed: int, phrases: float = 0.0) -> None:
        self._rng = random.Random(seed)
        self._phrases = phrases
        self._english = [w for w in english_words() if w.lower() not in HELDOUT_WORDS]
        self._medical = [w for w in medical_words() if w.lower() not in HELDOUT_WORDS]
        gens: list[tuple[Callable[[], str], float]] = [
            (self._english_word, 0.27),
            (self._medical_word, 0.10),
            (self._name, 0.06),
            (self._drug_or_dose, 0.09),
            (self._number, 0.08),
            (self._vital_or_lab, 0.04),
            (self._icd, 0.02),
            (self._date, 0.07),
            (self._time, 0.02),
            (self._phone, 0.03),
            (self._identifier, 0.02),
            (self._money, 0.02),
            (self._form_label, 0.05),
            (self._punctuated_word, 0.03),
            (self._random_chars, 0.10),
        ]
        self._gens = [g for g, _ in gens]
        self._weights = [w for _, w in gens]

    def sample(self) -> str:
        if self._phrases > 0 and self._rng.random() < self._phrases:
            return self.phrase()
        return self.token()

    def phrase(self) -> str:
        """2-5 tokens joined by single spaces, at most MAX_LEN characters (at least 2 tokens)."""
        rng = self._rng
        want = rng.choice((2, 2, 2, 3, 3, 3, 4, 5))
        while True:
            words = [self.token()]
            while len(words) < want:
                nxt = self.token()
                if len(" ".join(words)) + 1 + len(nxt) > MAX_LEN:
                    break
                words.append(nxt)
            if len(words) >= 2:
                return " ".join(words)

    def token(self) -> str:
        """One space-free token."""
        while True:
            gen = self._rng.choices(self._gens, self._weights)[0]
            token = gen()
            if _usable(token) and " " not in token and not is_heldout(token):
                return token

    # ---- word-like tokens -------------------------------------------------------------
    def _case(self, word: str) -> str:
        r = self._rng.random()
        if r < 0.25:
            return word.upper()
        if r < 0.55:
            return word[:1].upper() + word[1:]
        if r < 0.60:
            return word.lower()
        return word

    def _glue(self, word: str) -> str:
        """Attach document punctuation to a word some of the time."""
        r = self._rng.random()
        if r < 0.70:
            return word
        rng = self._rng
        pre = rng.choice(["", "", "", "(", '"', "'", "[", "#", "*", "-"])
        post = rng.choice(["", ".", ",", ":", ";", ")", ").", "),", '"', '."', "?", "!", "'s", "-", "/", "*", "),"])
        return pre + word + post

    def _english_word(self) -> str:
        return self._glue(self._case(self._rng.choice(self._english)))

    def _medical_word(self) -> str:
        return self._glue(self._case(self._rng.choice(self._medical)))

    def _punctuated_word(self) -> str:
        word = self._case(self._rng.choice(self._english))
        return self._rng.choice(["(", '"', "", ""]) + word + self._rng.choice([":", ").", ",", '"', ";", "?"])

    def _name(self) -> str:
        rng = self._rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        form = rng.randrange(7)
        token = [first, last, f"{last},", f"{first[0]}.", f"{first[0]}.{last}", f"{last},{first[0]}.", f"Dr.{last}"][
            form
        ]
        return token.upper() if rng.random() < 0.25 else token

    def _form_label(self) -> str:
        rng = self._rng
        label = rng.choice(FORM_LABELS)
        label = label.upper() if rng.random() < 0.3 else label
        return label + rng.choice([":", ":", ":", ".", "", "#", ":_____", "/"])

    # ---- clinical tokens --------------------------------------------------------------
    def _dose_number(self) -> str:
        rng = self._rng
        return rng.choice(
            [
                str(rng.choice([1, 2, 5, 10, 20, 25, 40, 50, 80, 100, 125, 250, 500, 1000])),
                f"{rng.choice([0.1, 0.25, 0.5, 0.125, 1.5, 2.5, 7.5])}",
                str(rng.randint(1, 2000)),
            ]
        )

    def _drug_or_dose(self) -> str:
        rng = self._rng
        kind = rng.randrange(6)
        if kind == 0:
            return self._case(rng.choice(DRUGS))
        if kind == 1:
            return self._dose_number() + rng.choice(UNITS)
        if kind == 2:
            return self._dose_number()
        if kind == 3:
            return rng.choice(UNITS)
        if kind == 4:
            return rng.choice(FREQS)
        return (
            rng.choice(DRUGS) + rng.choice(["", ",", ":", "/"])
            if rng.random() < 0.5
            else f"{self._dose_number()}{rng.choice(UNITS)}/{rng.choice(['day', 'd', 'hr', 'dose'])}"
        )

    def _number(self) -> str:
        rng = self._rng
        kind = rng.randrange(6)
        if kind == 0:
            return str(rng.randint(0, 99))
        if kind == 1:
            return str(rng.randint(0, 99999))
        if kind == 2:
            return f"{rng.uniform(0, 200):.{rng.randint(1, 2)}f}"
        if kind == 3:
            return rng.choice(["#", "No.", "x", "-", "+", "<", ">", "~"]) + str(rng.randint(0, 999))
        if kind == 4:
            return f"{rng.randint(1, 99)}%"
        return (
            f"{rng.randint(1, 9)}/{rng.randint(1, 9)}"
            if rng.random() < 0.5
            else f"{rng.randint(1, 999):,}{rng.choice(['', '.', ','])}"
        )

    def _vital_or_lab(self) -> str:
        rng = self._rng
        kind = rng.randrange(7)
        if kind == 0:
            return f"{rng.randint(90, 190)}/{rng.randint(50, 110)}"
        if kind == 1:
            return f"{rng.uniform(95, 104):.1f}{rng.choice(['F', '', 'C'])}"
        if kind == 2:
            return rng.choice(LABS)
        if kind == 3:
            return rng.choice(LABS) + rng.choice(["=", ":", ""]) + f"{rng.uniform(0.1, 150):.1f}"
        if kind == 4:
            return f"{rng.uniform(0.1, 15):.1f}"
        if kind == 5:
            return f"SpO2{rng.randint(85, 100)}%" if rng.random() < 0.3 else f"{rng.randint(85, 100)}%"
        return f"{rng.randint(40, 180)}bpm" if rng.random() < 0.5 else f"{rng.randint(80, 300)}lb"

    def _icd(self) -> str:
        rng = self._rng
        code = rng.choice(string.ascii_uppercase) + f"{rng.randint(0, 99):02d}"
        if rng.random() < 0.8:
            code += "." + "".join(rng.choice(string.digits + "X") for _ in range(rng.randint(1, 3)))
        return code

    def _date(self) -> str:
        rng = self._rng
        y, m, d = rng.randint(1950, 2030), rng.randint(1, 12), rng.randint(1, 28)
        mon = MONTHS[m - 1]
        forms = [
            f"{m}/{d}/{y % 100:02d}",
            f"{m:02d}/{d:02d}/{y}",
            f"{y}-{m:02d}-{d:02d}",
            f"{d}-{mon[:3].upper()}-{y % 100:02d}",
            f"{mon[:3]}.",
            mon,
            f"{mon},",
            f"{d},",
            f"{m}-{d}-{y % 100:02d}",
            f"{d}.{m}.{y}",
            f"{y}",
            f"{mon[:3]}{d},",
            f"'{y % 100:02d}",
        ]
        token = rng.choice(forms)
        return token.upper() if rng.random() < 0.2 else token

    def _time(self) -> str:
        rng = self._rng
        h, mi = rng.randint(0, 23), rng.randint(0, 59)
        return rng.choice(
            [
                f"{h:02d}:{mi:02d}",
                f"{h % 12 or 12}:{mi:02d}",
                f"{h:02d}{mi:02d}",
                f"{h % 12 or 12}:{mi:02d}{rng.choice(['am', 'pm', 'AM', 'PM', 'a.m.', 'p.m.'])}",
            ]
        )

    def _phone(self) -> str:
        rng = self._rng
        a, b, c = rng.randint(200, 999), rng.randint(200, 999), rng.randint(0, 9999)
        return rng.choice(
            [
                f"({a})",
                f"{b}-{c:04d}",
                f"{a}-{b}-{c:04d}",
                f"({a}){b}-{c:04d}",
                f"{a}.{b}.{c:04d}",
                f"x{rng.randint(100, 9999)}",
                f"1-800-{b}-{c:04d}",
            ]
        )

    def _identifier(self) -> str:
        rng = self._rng
        prefix = rng.choice(["MRN:", "MRN", "ID:", "#", "Acct#", "No.", "Pt#", "SSN:", "Ref:", ""])
        digits = "".join(rng.choice(string.digits) for _ in range(rng.randint(4, 10)))
        if rng.random() < 0.3:
            digits = f"{digits[:3]}-{digits[3:]}"
        return prefix + digits

    def _money(self) -> str:
        rng = self._rng
        value = rng.uniform(0, 20000) if rng.random() < 0.5 else rng.uniform(0, 200)
        return rng.choice([f"${value:,.2f}", f"${value:.2f}", f"${int(value):,}", f"{value:,.2f}", f"${int(value)}.-"])

    def _random_chars(self) -> str:
        rng = self._rng
        n = rng.choice([1, 1, 2, 3, 4, 5, 6, 8, 10, rng.randint(1, MAX_LEN)])
        pool = PARSEQ_CHARSET if rng.random() < 0.6 else _PUNCT + string.digits
        return "".join(rng.choice(pool) for _ in range(n))
