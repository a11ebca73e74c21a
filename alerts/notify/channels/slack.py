"""Slack: a message through an app's incoming webhook, and its buttons coming back.

Contract: one POST of `{"text", "blocks"}` to the webhook URL (a secret). `text` is the
fallback (notifications, old clients): subject, summary, the incident page. `blocks`: a
header (subject), the summary with ×baseline and why you get it, the top posts (their links
kept only if http(s)), a grouped message's other incidents, and for a trigger the buttons
acknowledge / resolve / not a crisis, each opening the incident page and carrying
`action_id` `veille_<action>` and the incident id as `value` — for a grouped message, one
button opening the page of all its incidents (`veille_open`, which answers nothing).
Everything from a post is display-safe and Slack-escaped (`&`, `<`, `>`), so a post cannot
mention `<!channel>` or forge a link. Incoming webhooks have no message id: the channel does
not de-duplicate. Slack answers 200 `ok`; 400/403/404/410 are final, 429 (with Retry-After)
and 5xx recoverable.

When a button is pressed, Slack POSTs the app's interactive payload to veille:
`verify_slack_request` checks its signature, `parse_slack_action` reads it.
"""

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from alerts.notify.callbacks import CallbackRejected, CallbackVerb, ProviderAction, header
from alerts.notify.channels import text
from alerts.notify.channels.secrets import missing_secret, secret_forms
from alerts.notify.channels.transport import request
from alerts.notify.contract import Delivery, Notification
from alerts.notify.text import grouped_line
from runtime.display import safe_line
from schemas.config.channels import SlackChannelSettings

HEADER_CHARS = 150
SECTION_CHARS = 3000
MAX_POSTS = 5
SIGNATURE_WINDOW_S = 300
BUTTONS: dict[CallbackVerb, tuple[str, str | None]] = {
    "acknowledge": ("Je prends", "primary"),
    "resolve": ("Résolu", None),
    "not_a_crisis": ("Pas une crise", "danger"),
}
ACTION_PREFIX = "veille_"


class SlackChannel:
    deduplicates = False

    def __init__(self, name: str, settings: SlackChannelSettings) -> None:
        self.name = name
        self._settings = settings

    def send(self, notification: Notification) -> Delivery:
        url = self._settings.webhook_url
        if url is None or not url.get_secret_value():
            raise missing_secret(self.name, "webhook_url")
        answer = request(
            self.name,
            "POST",
            url.get_secret_value(),
            secrets=secret_forms([url.get_secret_value()]),
            timeout_s=self._settings.timeout_s,
            json_body=slack_message(notification),
        )
        return answer.delivery(self.name)


def escape(value: str) -> str:
    """Slack's mrkdwn escaping: `&`, `<`, `>` (no mention, no link from a post)."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(notification: Notification) -> dict[str, Any]:
    subject = text.subject(notification)
    fallback = [subject, text.summary(notification)]
    if notification.link:
        fallback.append(notification.link)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(safe_line(subject, HEADER_CHARS))},
        {"type": "section", "text": _mrkdwn(_summary_block(notification))},
    ]
    posts = text.posts(notification.incident)[:MAX_POSTS]
    if posts:
        blocks.append({"type": "section", "text": _mrkdwn(_posts_block(posts))})
    if notification.grouped:
        others = "\n".join(f"• {escape(grouped_line(o))}" for o in notification.grouped)
        blocks.append({"type": "section", "text": _mrkdwn(f"*Aussi :*\n{others}"[:SECTION_CHARS])})
    if notification.also_notified:
        others = ", ".join(safe_line(name) for name in notification.also_notified)
        blocks.append(
            {"type": "context", "elements": [_mrkdwn(escape(f"Aussi prévenus : {others}"))]}
        )
    if notification.link and notification.incident and notification.action == "trigger":
        buttons = (
            _open_button(notification.link, len(notification.grouped) + 1)
            if notification.grouped
            else _buttons(notification.link, notification.incident.id)
        )
        blocks.append({"type": "actions", "elements": buttons})
    return {"text": escape(" — ".join(part for part in fallback if part)), "blocks": blocks}


def verify_slack_request(
    body: bytes, headers: Mapping[str, str], signing_secret: str, now: datetime
) -> bool:
    """`X-Slack-Signature` is `v0=` + HMAC-SHA256(signing secret, `v0:{timestamp}:{body}`),
    with `X-Slack-Request-Timestamp` within 300 s of `now` (replays refused)."""
    timestamp = header(headers, "X-Slack-Request-Timestamp")
    signature = header(headers, "X-Slack-Signature")
    if not signing_secret or not timestamp or not signature or not timestamp.isdigit():
        return False
    if abs(now.timestamp() - int(timestamp)) > SIGNATURE_WINDOW_S:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode())


def parse_slack_action(body: bytes) -> ProviderAction | None:
    """The button pressed, from the `payload=` form field of a `block_actions` request; None
    for any other interaction or a button that is not veille's."""
    fields = parse_qs(body.decode("utf-8", errors="replace"))
    if "payload" not in fields:
        raise CallbackRejected("no payload field")
    try:
        payload = json.loads(fields["payload"][0])
    except ValueError:
        raise CallbackRejected("the payload is not JSON") from None
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        return None
    actions = payload.get("actions")
    action = actions[0] if isinstance(actions, list) and actions else None
    if not isinstance(action, dict):
        return None
    verb = str(action.get("action_id", "")).removeprefix(ACTION_PREFIX)
    incident_id = action.get("value")
    if verb not in BUTTONS or not isinstance(incident_id, str) or not incident_id:
        return None
    user = payload.get("user")
    user = user if isinstance(user, dict) else {}
    who = next((user[k] for k in ("username", "name", "id") if isinstance(user.get(k), str)), "")
    trigger_id = payload.get("trigger_id")
    return ProviderAction(
        "slack",
        incident_id,
        verb,
        safe_line(who, 100) or "Slack",
        trigger_id if isinstance(trigger_id, str) else None,
    )


def _summary_block(notification: Notification) -> str:
    lines = [f"*{escape(text.summary(notification))}*"] if text.summary(notification) else []
    incident = notification.incident
    if incident is not None and text.ratio(incident):
        lines.append(escape(text.ratio(incident)))
    if notification.reason:
        lines.append(f"_{escape(safe_line(notification.reason))}_")
    return "\n".join(lines)[:SECTION_CHARS] or "veille"


def _posts_block(posts: list[text.Post]) -> str:
    lines = []
    for post in posts:
        line = f"• {escape(post.text)}"
        if post.url:
            line += f" <{escape(post.url)}|lien>"
        lines.append(line)
    return "\n".join(lines)[:SECTION_CHARS]


def _buttons(link: str, incident_id: str) -> list[dict[str, Any]]:
    buttons = []
    for verb, (label, style) in BUTTONS.items():
        button: dict[str, Any] = {
            "type": "button",
            "text": _plain(label),
            "action_id": ACTION_PREFIX + verb,
            "value": incident_id,
            "url": link,
        }
        if style:
            button["style"] = style
        buttons.append(button)
    return buttons


def _open_button(link: str, count: int) -> list[dict[str, Any]]:
    """A grouped message: one button opening the page of its incidents, each answered there
    (its `action_id` is no answer: pressing it acknowledges nothing by itself)."""
    label = f"Voir les {count} incidents (acquitter, résoudre)"
    return [{"type": "button", "text": _plain(label), "action_id": ACTION_PREFIX + "open",
             "url": link, "style": "primary"}]  # fmt: skip


def _plain(value: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": value, "emoji": True}


def _mrkdwn(value: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": value}
