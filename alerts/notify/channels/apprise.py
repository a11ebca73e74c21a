"""The long tail (Teams, Telegram, Matrix, ntfy, Discord, …) through apprise, one channel
type: each configured URL is one target in apprise's syntax (its tokens make it a secret).

Contract: the subject as title and the plain-text body (summary, ×baseline, reason, top
posts, the incident page), as apprise's TEXT format, which apprise escapes for each
target's own markup. Notify type: trigger → failure, acknowledge → warning, resolve →
success, info → info. Apprise gives no status code: a URL it cannot read is a
non-recoverable error; a target that fails is recoverable (numbered, never named), and a
retry sends to every target again (the channel does not de-duplicate). Apprise's log
records are redacted while it sends.
"""

import apprise

from alerts.notify.channels import text
from alerts.notify.channels.secrets import redacting, secret_forms
from alerts.notify.contract import ChannelError, Delivery, Notification
from schemas.config.channels import AppriseChannelSettings

NOTIFY_TYPE = {
    "trigger": apprise.NotifyType.FAILURE,
    "acknowledge": apprise.NotifyType.WARNING,
    "resolve": apprise.NotifyType.SUCCESS,
    "info": apprise.NotifyType.INFO,
}


class AppriseChannel:
    deduplicates = False

    def __init__(self, name: str, settings: AppriseChannelSettings) -> None:
        self.name = name
        self._urls = [url.get_secret_value() for url in settings.urls]
        self._secrets = secret_forms(self._urls)

    def send(self, notification: Notification) -> Delivery:
        if not self._urls:
            raise ChannelError(
                f"{self.name}: no URL is set (set VEILLE__ALERTS__CHANNELS__"
                f"{self.name.upper()}__URLS as a YAML list)",
                recoverable=False,
            )
        failed = []
        with redacting(self._secrets):
            for number, url in enumerate(self._urls, start=1):
                target = apprise.Apprise()
                if not target.add(url):
                    raise ChannelError(
                        f"{self.name}: apprise cannot read URL #{number}", recoverable=False
                    )
                if not target.notify(
                    body=body(notification),
                    title=text.subject(notification),
                    notify_type=NOTIFY_TYPE[notification.action],
                    body_format=apprise.NotifyFormat.TEXT,
                ):
                    failed.append(number)
        if failed:
            numbers = ", ".join(f"#{n}" for n in failed)
            raise ChannelError(
                f"{self.name}: target(s) {numbers} of {len(self._urls)} failed", recoverable=True
            )
        return Delivery(self.name, None, f"sent to {len(self._urls)} target(s)")


def body(notification: Notification) -> str:
    lines = text.lines(notification)
    if notification.link:
        lines += ["", f"Page de l'incident : {notification.link}"]
    return "\n".join(lines)
