"""The incident page's HTML: small, mobile-first, every text from posts through
runtime.display.safe_html."""

from dataclasses import dataclass
from urllib.parse import quote

from alerts.notify.records import NotificationRecord, PageThread
from alerts.notify.text import KIND, local_time
from runtime.display import safe_html

STATUS = {"open": "ouvert, non acquitté", "acknowledged": "acquitté", "resolved": "résolu"}
RECORD = {"pending": "prévue", "sending": "en cours", "sent": "envoyée", "failed": "échec",
          "cancelled": "annulée"}  # fmt: skip
GROUP_BUTTONS = (
    ("acknowledge", "Acquitter celui-ci"),
    ("resolve", "Résoudre"),
    ("not_a_crisis", "Pas une crise"),
)
STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0;padding:1rem;max-width:40rem;"
    "line-height:1.4}h1{font-size:1.25rem}.sev{font-weight:700;text-transform:uppercase}"
    "button{font-size:1.1rem;padding:.8rem;margin:.3rem 0;width:100%;border-radius:.5rem}"
    "li{margin:.3rem 0}.muted{color:#555}"
)


@dataclass(frozen=True)
class PageEntry:
    """One incident of a link's page: its thread, its notifications, and whether it was
    answered through this link already."""

    thread: PageThread
    records: list[NotificationRecord]
    used: bool


def _layout(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{safe_html(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def message_page(title: str, message: str) -> str:
    return _layout(title, f"<h1>{safe_html(title)}</h1><p>{safe_html(message)}</p>")


def incident_page(
    thread: PageThread, records: list[NotificationRecord], token: str, used: bool
) -> str:
    incident = thread.incident
    buttons = (
        "<p class='muted'>Ce lien a déjà servi.</p>"
        if used or thread.status == "resolved"
        else (
            f'<form method="post" action="/i/{token}/answer">'
            '<label>Votre nom <input name="by" required autocomplete="name"></label>'
            '<button name="action" value="acknowledge">Acquitter (je m\'en occupe)</button>'
            '<button name="action" value="resolve">Résoudre</button>'
            '<button name="action" value="not_a_crisis">Pas une crise</button></form>'
        )
    )
    body = (
        f"<h1>{_title(thread)}</h1>{_facts(thread, records, 'status', 'steps')}"
        f"{buttons}<h2>Historique</h2><ul>{_history(thread)}</ul>"
    )
    return _layout(f"Incident {incident.brand}", body)


def group_page(entries: list[PageEntry], token: str) -> str:
    """The page of a grouped message's link: every incident of the message, each with its
    own buttons (answering that incident only), and "acknowledge all" (each incident not
    answered yet through this link, as its own answer). One form, one name field; each
    button posts to `answer?incident=<id>` (`*`: all)."""
    action = f"/i/{token}/answer"
    sections = []
    for n, entry in enumerate(entries, start=1):
        thread = entry.thread
        target = f"{action}?incident={quote(thread.incident_id, safe='')}"
        buttons = (
            "<p class='muted'>Déjà répondu par ce lien.</p>"
            if entry.used or thread.status == "resolved"
            else "".join(
                f'<button name="action" value="{verb}" formaction="{target}">{label}</button>'
                for verb, label in GROUP_BUTTONS
            )
        )
        sections.append(
            f'<section class="incident" id="incident-{n}" '
            f'data-incident="{safe_html(thread.incident_id)}"><h2>{_title(thread)}</h2>'
            f"{_facts(thread, records=entry.records, status=f'status-{n}', steps=f'steps-{n}')}"
            f"{buttons}<h3>Historique</h3><ul>{_history(thread)}</ul></section>"
        )
    open_left = any(not e.used and e.thread.status != "resolved" for e in entries)
    all_button = (
        f'<button id="acknowledge-all" name="action" value="acknowledge" '
        f'formaction="{action}?incident=*">Tout acquitter ({len(entries)} incidents, '
        "chacun le sien)</button>"
        if open_left
        else ""
    )
    tenant = entries[0].thread.tenant if entries else ""
    body = (
        f"<h1>{len(entries)} incidents · {safe_html(tenant)}</h1>"
        f'<form method="post" action="{action}?incident=*">'
        '<label>Votre nom <input name="by" required autocomplete="name"></label>'
        f"{all_button}{''.join(sections)}</form>"
    )
    return _layout(f"{len(entries)} incidents", body)


def _title(thread: PageThread) -> str:
    incident = thread.incident
    return (
        f"<span class='sev'>{incident.severity}</span> · {KIND[incident.kind]} · "
        f"{safe_html(incident.brand)}"
    )


def _facts(thread: PageThread, records: list[NotificationRecord], status: str, steps: str) -> str:
    """What happened and why, the top posts, who was paged: the ids of the status line and
    of the list of steps are `status` and `steps`."""
    incident = thread.incident
    ratio = incident.signal / incident.baseline if incident.baseline else 0.0
    posts = "".join(
        "<li>"
        + (f'<a href="{safe_html(ref.url)}" rel="noopener nofollow">' if ref.url else "")
        + safe_html(ref.text[:280])
        + ("</a>" if ref.url else "")
        + "</li>"
        for ref in incident.top_mentions[:5]
    )
    paged = "".join(
        f'<li class="step" data-status="{r.status}">{safe_html(_who(r))} · {r.channel} · '
        f"{RECORD[r.status]}{' · ' + safe_html(r.note) if r.note else ''}"
        f'<br><span class="muted">{safe_html(r.reason)}</span></li>'
        for r in records
        if r.action == "trigger"
    )
    return (
        f"<p id='{status}'>Statut : <strong>{STATUS[thread.status]}</strong></p>"
        f"<p>{safe_html(incident.summary)}</p>"
        f"<p>Depuis {local_time(incident)} · ×{ratio:.0f} le niveau habituel · "
        f"{incident.count} mentions, {incident.negative_share:.0%} négatives</p>"
        f"<h2>Publications principales</h2><ul>{posts}</ul>"
        f"<h2>Personnes prévenues</h2><ul id='{steps}'>{paged}</ul>"
    )


def _history(thread: PageThread) -> str:
    answers = [
        f"<li>{safe_html(a.action)} par {safe_html(a.by)} ({a.via}, {a.at:%d/%m %H:%M} UTC)</li>"
        for a in thread.responses
    ]
    return "".join(answers) or "<li>aucune réponse</li>"


def _who(record: NotificationRecord) -> str:
    return record.recipient.name if record.recipient else "équipe"
