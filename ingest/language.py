"""An item's language: what its source declares wins, a detector decides when nothing is
declared, the source's configured `lang` is the fallback when the detector is unsure.

Order (`resolve_language`): 1. the item's or its feed's declared language (`xml:lang`,
`<language>`, the API's `lang`/`language`/`langs`), "declared"; 2. lingua's detector on the
text, when its confidence is at least `MIN_CONFIDENCE`, "detected" with that confidence;
3. the configured `lang`, "configured"; 4. None. The detector runs offline: its models are
inside the `lingua-language-detector` wheel, loaded once, on first use (about 2 s).
"""

from dataclasses import dataclass
from functools import cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from schemas.mention import LangOrigin

MIN_CONFIDENCE = 0.5
"""Below this the detector's guess is not used over the configured language."""
MIN_LETTERS = 12
"""Texts with fewer letters are not given to the detector (a brand name alone says nothing)."""

# The languages veille's users monitor; a closed set keeps the detector sharp on short posts
# and its memory small (each language's model is loaded only when first needed).
_LANGUAGES = (
    "ARABIC",
    "CATALAN",
    "CHINESE",
    "DANISH",
    "DUTCH",
    "ENGLISH",
    "FINNISH",
    "FRENCH",
    "GERMAN",
    "GREEK",
    "HINDI",
    "ITALIAN",
    "JAPANESE",
    "KOREAN",
    "BOKMAL",
    "POLISH",
    "PORTUGUESE",
    "ROMANIAN",
    "RUSSIAN",
    "SPANISH",
    "SWEDISH",
    "TURKISH",
    "UKRAINIAN",
    "VIETNAMESE",
    "INDONESIAN",
    "CZECH",
    "HUNGARIAN",
    "HEBREW",
    "PERSIAN",
)


@dataclass(frozen=True)
class ItemLanguage:
    lang: str | None
    origin: LangOrigin | None
    confidence: float | None = None


@cache
def _detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(
        *(getattr(Language, name) for name in _LANGUAGES)
    ).build()


def declared_code(value: str | None) -> str | None:
    """The primary ISO 639-1 subtag of a declared language ('en-US' → 'en'); None for none,
    'und' and 'mul' (no language declared)."""
    code = (value or "").strip().replace("_", "-").split("-")[0].lower()
    return code if code and code not in ("und", "mul", "zxx", "xx") else None


def detect(text: str) -> tuple[str, float] | None:
    """The detector's best (ISO 639-1 code, confidence 0–1), None for too little text."""
    if sum(c.isalpha() for c in text) < MIN_LETTERS:
        return None
    best = _detector().compute_language_confidence_values(text)[0]
    return best.language.iso_code_639_1.name.lower(), round(best.value, 3)


def resolve_language(declared: str | None, text: str, configured: str | None) -> ItemLanguage:
    code = declared_code(declared)
    if code:
        return ItemLanguage(code, "declared")
    guess = detect(text)
    if guess and guess[1] >= MIN_CONFIDENCE:
        return ItemLanguage(guess[0], "detected", guess[1])
    if configured:
        return ItemLanguage(configured, "configured")
    return ItemLanguage(None, None)
