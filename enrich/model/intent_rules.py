"""The keyword-rule baseline the intent head is measured against (same run, same held-out
set): the kind of manual tagging rules social-media suites ship, written as well as
keywords allow — accents folded, common SMS spellings, sarcasm markers.

Rules, first match wins: a first-person post naming a problem or asking for action →
`service_request`; press and announcement wording without a first person → `news`; a
question mark or interrogative → `question`; negative wording, or praise words next to a
sarcasm marker → `complaint`; praise words → `praise`; else `other`.
"""

import re
import unicodedata

from schemas.enriched import IntentLabel


def fold(text: str) -> str:
    """Lower case, accents removed, apostrophes and punctuation as spaces (`?` kept)."""
    folded = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return " " + re.sub(r"[^a-z0-9?]+", " ", folded) + " "


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(rf" {p}" for p in patterns))


FIRST_PERSON = _words(r"(je|j|jai|jsuis|g|moi|me|m|mon|ma|mes|nous|nos|notre|on) ", r"chez moi ")
PROBLEM = _words(
    r"command",
    r"colis",
    r"paquet",
    r"livr",
    r"rembours",
    r"factur",
    r"preleve",
    r"debit",
    r"bloque",
    r"panne",
    r"coupure",
    r"coupe",
    r"plus d ?(internet|reseau|electricite)",
    r"plus de (ligne|courant|reseau|internet)",
    r"annule",
    r"retard",
    r"compte ",
    r"carte ",
    r"billet",
    r"bagage",
    r"valise",
    r"technicien",
    r"toujours pas",
    r"toujours rien",
    r"jamais (recu|arrive|venu)",
    r"impossible",
    r"(ne )?(marche|fonctionne) (plus|pas)",
    r"erreur",
    r"urgent",
    r"dossier",
    r"reservation",
    r"pirate",
    r"correspondance",
    r"resilier",
    r"echange",
    r"aucun(e)? (nouvelle|reponse|trace|suivi)",
)
ASKS_ACTION = _words(
    r"aidez",
    r"aider",
    r"svp",
    r"s il vous plait",
    r"dm",
    r"mp ",
    r"que faire",
    r"je fais (quoi|comment)",
    r"vous pouvez",
    r"pouvez vous",
    r"rembourse",
    r"regularis",
    r"reponde?z",
    r"envoyez",
    r"solution",
)
NEWS = _words(
    r"annonce",
    r"selon",
    r"communique",
    r"rachete",
    r"lance ",
    r"ouvre ",
    r"recrute",
    r"condamne",
    r"millions?",
    r"milliards?",
    r"afp",
    r"interview",
    r"podcast",
    r"resultats",
    r"nomme",
    r"inaugure",
    r"signe",
    r"devoile",
    r"publie",
    r"confirme",
    r"deploie",
    r"investit",
    r"sanctionne",
    r"enquete",
    r"leve ",
    r"emplois",
    r"salaries",
    r"greve",
    r"trafic",
    r"circulation",
    r"reprise",
    r"arcep",
    r"rapport",
    r"classement",
    r"[0-9]+ ?(%|pour ?cent)",
    r"[0-9]+ (postes|magasins|agences|hotels|embauches)",
)
QUESTION = re.compile(
    r"\?| est ce qu| comment | quel(le)?s? | combien | ou (est|sont|faire) | quand "
    r"| -?t (il|elle) | savez | c est quoi | c koi | vous (faites|proposez|avez) "
)
NEGATIVE = _words(
    r"nul",
    r"honte",
    r"pire",
    r"arnaque",
    r"scandal",
    r"catastroph",
    r"plus jamais",
    r"a fuir",
    r"lamentable",
    r"deconseille",
    r"voleur",
    r"abusi",
    r"mepris",
    r"indecent",
    r"pourri",
    r"mediocre",
    r"ras le bol",
    r"greenwashing",
    r"mensonge",
    r"retard",
    r"sale",
    r"encore",
    r"toujours la meme",
    r"degoute",
    r"inadmissible",
    r"jpp",
    r"bravo l",
    r"quelle (blague|surprise|joie)",
    r"ne sert a rien",
    r"desorganis",
)
PRAISE = _words(
    r"merci",
    r"bravo",
    r"top",
    r"genial",
    r"super",
    r"parfait",
    r"excellent",
    r"adore",
    r"recommande",
    r"felicitation",
    r"chapeau",
    r"impeccable",
    r"formidable",
    r"sublime",
    r"aux petits soins",
    r"ravie?",
    r"fan",
    r"au top",
    r"magnifique",
    r"merveille",
    r"kiff",
    r"rien a (dire|redire)",
    r"big up",
    r"fier",
    r"efficace",
    r"pratique",
)
SARCASM = re.compile(r"🙃|👏|🙄|🤡|🥵| quelle (surprise|joie) | champion| bravo (l|pour)")


def keyword_intent(text: str) -> IntentLabel:
    """The baseline's intent for one text (see the module docstring for the rules)."""
    folded = fold(text)
    first_person = bool(FIRST_PERSON.search(folded))
    if first_person and (PROBLEM.search(folded) or ASKS_ACTION.search(folded)):
        return "service_request"
    if not first_person and NEWS.search(folded):
        return "news"
    if QUESTION.search(folded):
        return "question"
    praise = bool(PRAISE.search(folded))
    if NEGATIVE.search(folded) or (praise and SARCASM.search(" " + text.lower() + " ")):
        return "complaint"
    return "praise" if praise else "other"
