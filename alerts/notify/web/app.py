"""The incident page service (FastAPI), served by `veille alerts notify`.

GET  /i/{token}         the incident: what happened and why, ×baseline, top posts, who was
                        paged and each step's state, the history of answers. Does not use
                        the link (previews fetch it).
POST /i/{token}/answer  form `action` (acknowledge | resolve | not_a_crisis) and `by`: uses
                        the link, once (alerts/notify/links.py), and publishes the answer
                        (alerts/notify/responses.py); the notifier stops the escalation.
                        A grouped message's link opens every incident of the message:
                        `?incident=ID` answers one, `?incident=*` (the default) each one
                        not answered through the link yet, as its own answer.
POST /callbacks/{channel}  a provider's acknowledge / resolve (web/provider_callbacks.py)
GET  /healthz

The /i/ routes exist only with a link secret (`links`); the callbacks, with the channels'.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from fastapi import FastAPI, Form, Query
from fastapi.responses import HTMLResponse, PlainTextResponse

from alerts.notify.links import LinkClaims, LinkError, LinkSigner
from alerts.notify.log import NotificationLog
from alerts.notify.responses import make_response, publish_response
from alerts.notify.web.page import PageEntry, group_page, incident_page, message_page
from alerts.notify.web.provider_callbacks import add_callback_routes
from runtime.kafka import DurableProducer
from schemas.config import AlertsSettings
from schemas.topics import Topics

ANSWERED = {
    "acknowledge": "Acquitté : l'escalade est arrêtée.",
    "resolve": "Résolu : l'escalade est arrêtée et l'incident clos.",
    "not_a_crisis": "Noté comme fausse alerte : l'escalade est arrêtée et l'incident clos.",
}


def make_app(
    notification_log: NotificationLog,
    links: LinkSigner | None,
    producer: DurableProducer,
    topics: Topics,
    clock: Callable[[], datetime],
    alerts: AlertsSettings | None = None,
) -> FastAPI:
    app = FastAPI(title="veille — incidents", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    if alerts is not None:
        add_callback_routes(app, alerts, notification_log, producer, topics, clock)
    if links is None:
        return app

    def entries(claims: LinkClaims) -> list[PageEntry]:
        found = []
        for incident_id in claims.incidents:
            thread = notification_log.thread(claims.tenant, incident_id)
            if thread is not None:
                records = notification_log.records_for(claims.tenant, incident_id)
                used = notification_log.link_used(claims.tenant, claims.use_id(incident_id))
                found.append(PageEntry(thread, records, used))
        return found

    @app.get("/i/{token}", response_class=HTMLResponse)
    def show(token: str) -> HTMLResponse:
        try:
            claims = links.verify(token, clock())
        except LinkError as exc:
            return HTMLResponse(message_page("Lien refusé", str(exc)), status_code=403)
        found = entries(claims)
        if not found:
            return HTMLResponse(message_page("Incident inconnu", claims.incident_id), 404)
        if not claims.others:
            [one] = found
            return HTMLResponse(incident_page(one.thread, one.records, token, one.used))
        return HTMLResponse(group_page(found, token))

    @app.post("/i/{token}/answer", response_class=HTMLResponse)
    def answer(
        token: str,
        action: Annotated[Literal["acknowledge", "resolve", "not_a_crisis"], Form()],
        by: Annotated[str, Form(min_length=1, max_length=80)],
        incident: Annotated[str, Query(max_length=200)] = "*",
    ) -> HTMLResponse:
        """`incident`: which incident of the link's page (a grouped message's); `*`: every
        one not answered through this link yet, each as its own answer."""
        now = clock()
        try:
            claims = links.verify(token, now)
        except LinkError as exc:
            return HTMLResponse(message_page("Lien refusé", str(exc)), status_code=403)
        targets = claims.incidents if incident == "*" else (incident,)
        if incident not in ("*", *claims.incidents):
            return HTMLResponse(message_page("Lien refusé", "incident hors de ce lien"), 403)
        answered: list[str] = []
        for incident_id in targets:
            thread = notification_log.thread(claims.tenant, incident_id)
            use = {"action": action, "by": by, "at": now.isoformat(), "incident": incident_id}
            if thread is None or not notification_log.claim_link(
                claims.tenant, claims.use_id(incident_id), use
            ):
                continue
            response = make_response(action, thread.incident_id, thread.tenant, thread.brand,
                                     by, "link", claims.use_id(incident_id), now)  # fmt: skip
            publish_response(producer, topics, response)
            answered.append(thread.brand)
        if not answered:
            if not entries(claims):
                return HTMLResponse(message_page("Incident inconnu", claims.incident_id), 404)
            return HTMLResponse(message_page("Lien déjà utilisé", "Ce lien a déjà servi."), 409)
        told = f"Merci {by}." + (f" ({', '.join(answered)})" if claims.others else "")
        back = f'<p><a id="back" href="/i/{token}">Voir l\'incident</a></p></body>'
        return HTMLResponse(message_page(ANSWERED[action], told).replace("</body>", back))

    return app
