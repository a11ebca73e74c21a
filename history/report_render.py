"""The weekly report as HTML with its charts inlined (matplotlib, Agg backend), and as PDF
(weasyprint) where its system libraries (pango) are present. In French, times in the
tenant's zone. Every figure a chart shows is also in a table next to it."""

import base64
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from history.aggregations import net_sentiment
from history.report_data import IncidentTimes, WeeklyFigures

DAYS_FR = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")
LABELS_FR = {"negative": "négatif", "neutral": "neutre", "positive": "positif"}
COLOURS = {"negative": "#c0392b", "neutral": "#95a5a6", "positive": "#27ae60"}
NOT_TRACKED = "non suivi"
CSS = """body{font-family:'DejaVu Sans',sans-serif;font-size:10pt;color:#222;margin:0}
h1{font-size:18pt;margin:0 0 4pt}h2{font-size:13pt;margin:16pt 0 6pt;border-bottom:1px solid #ccc}
.kpis{display:flex;gap:12pt}.kpi{border:1px solid #ddd;padding:6pt 10pt;border-radius:4pt}
.kpi b{display:block;font-size:16pt}table{border-collapse:collapse;width:100%;margin:4pt 0}
td,th{border:1px solid #ddd;padding:2pt 5pt;text-align:left;vertical-align:top}
img{max-width:100%}table,img{break-inside:avoid}h2{break-after:avoid}.muted{color:#777}@page{size:A4;margin:14mm}"""


def fr_number(value: float, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")
    return text


def fr_duration(value: timedelta | None) -> str:
    if value is None:
        return NOT_TRACKED
    minutes = int(value.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d}" if hours else f"{minutes} min"


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _day_names(figures: WeeklyFigures) -> list[str]:
    return [f"{DAYS_FR[d.start.weekday()]} {d.start.day}" for d in figures.days]


def volume_chart(figures: WeeklyFigures) -> str:
    figure, axis = plt.subplots(figsize=(7, 2.6))
    names, bottom = _day_names(figures), [0] * len(figures.days)
    for label in ("negative", "neutral", "positive"):
        values = [d.counts[label] for d in figures.days]
        axis.bar(names, values, bottom=bottom, color=COLOURS[label], label=LABELS_FR[label])
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axis.set_ylabel("mentions")
    axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    axis.legend(loc="upper left", fontsize=8, frameon=False)
    axis.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def share_chart(figures: WeeklyFigures) -> str:
    figure, axis = plt.subplots(figsize=(7, 0.5 + 0.4 * len(figures.share_of_voice)))
    brands = list(figures.share_of_voice)
    own = set(figures.tenant.brand_ids("own"))
    axis.barh(
        brands,
        [100 * figures.share_of_voice[b] for b in brands],
        color=["#2c3e50" if b in own else "#bdc3c7" for b in brands],
    )
    axis.set_xlim(0, 100)
    axis.set_xlabel("part de voix (%)")
    axis.invert_yaxis()
    axis.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def _net(value: float | None) -> str:
    return "—" if value is None else f"{'+' if value > 0 else ''}{fr_number(value, 1)}"


def _incident_row(times: IncidentTimes, zone: ZoneInfo) -> str:
    found = times.incident
    opened = datetime_fr(found["opened_at"], zone)
    return (
        f"<tr><td>{opened}</td><td>{escape(found['brand'])}</td>"
        f"<td>{escape(found['severity'])}</td><td>{escape(found['summary'])}</td>"
        f"<td>{fr_duration(times.to_detect)}</td><td>{fr_duration(times.to_acknowledge)}</td>"
        f"<td>{fr_duration(times.to_resolve) if found.get('resolved_at') else 'en cours'}"
        "</td></tr>"
    )


def datetime_fr(text: str, zone: ZoneInfo) -> str:
    at = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(zone)
    return f"{DAYS_FR[at.weekday()]} {at:%d/%m %H:%M}"


def render_html(figures: WeeklyFigures) -> str:
    zone = ZoneInfo(figures.tenant.timezone)
    totals, last = figures.totals, (figures.end - timedelta(days=1))
    before = figures.previous_total
    change = (
        f"{'+' if figures.total >= before else ''}"
        f"{fr_number(100 * (figures.total - before) / before)} %"
        if before
        else "—"
    )
    day_rows = "".join(
        f"<tr><td>{name}</td>"
        + "".join(f"<td>{d.counts[k]}</td>" for k in LABELS_FR)
        + f"<td>{d.total}</td><td>{_net(net_sentiment(d.counts))}</td></tr>"
        for name, d in zip(_day_names(figures), figures.days, strict=True)
    )
    share_rows = "".join(
        f"<tr><td>{escape(b)}</td><td>{fr_number(100 * s, 1)} %</td></tr>"
        for b, s in figures.share_of_voice.items()
    )
    story_rows = "".join(
        f"<tr><td>{fr_number(s['virality']['score'], 1)}</td><td>{escape(s['author']['handle'])}"
        f"</td><td>{LABELS_FR[s['sentiment']['label']]}</td><td>{escape(s['text'][:200])}</td></tr>"
        for s in figures.stories
    )
    incident_rows = "".join(_incident_row(t, zone) for t in figures.incidents)
    reply_rows = "".join(
        f"<tr><td>{escape(w.team or '(aucune)')}</td><td>{w.answered}</td>"
        f"<td>{w.answered_on_time}</td><td>{fr_duration(timedelta(seconds=w.median_seconds))}</td>"
        f"<td>{fr_duration(timedelta(seconds=w.p90_seconds))}</td></tr>"
        for w in figures.reply_times
    )
    return f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Rapport hebdomadaire {escape(figures.tenant.name)} {figures.week}</title><style>{CSS}</style></head><body>
<h1>{escape(figures.tenant.name)} — semaine {figures.week}</h1>
<p class="muted">du {figures.start:%d/%m/%Y} au {last:%d/%m/%Y} ({escape(figures.tenant.timezone)})</p>
<div class="kpis"><div class="kpi">Mentions<b id="total">{fr_number(figures.total)}</b>{change} vs semaine précédente</div>
<div class="kpi">Sentiment net<b id="net">{_net(figures.net_sentiment)}</b>100 × (positif − négatif) / (positif + négatif)</div>
<div class="kpi">Négatives<b id="negative">{fr_number(totals["negative"])}</b>positives : {fr_number(totals["positive"])}, neutres : {fr_number(totals["neutral"])}</div>
<div class="kpi">Incidents<b id="incidents">{len(figures.incidents)}</b>ouverts cette semaine</div></div>
<h2>Volume et sentiment par jour</h2><img alt="volume par sentiment" src="{volume_chart(figures)}">
<table id="days"><tr><th>jour</th><th>négatif</th><th>neutre</th><th>positif</th><th>total</th><th>sentiment net</th></tr>{day_rows}</table>
<h2>Part de voix</h2><img alt="part de voix" src="{share_chart(figures)}">
<table id="share">{share_rows}</table>
<h2>Histoires les plus virales</h2>
<table id="stories"><tr><th>viralité</th><th>auteur</th><th>sentiment</th><th>texte</th></tr>{story_rows}</table>
<h2>Incidents</h2>
<table id="incident-list"><tr><th>ouvert</th><th>marque</th><th>gravité</th><th>résumé</th><th>détection</th><th>prise en charge</th><th>résolution</th></tr>{incident_rows or '<tr><td colspan="7">aucun incident</td></tr>'}</table>
<p class="muted">Détection : de la première publication citée à l'ouverture de l'incident. Prise en charge : {NOT_TRACKED} (veille n'enregistre pas encore les acquittements). Résolution : de l'ouverture à la résolution.</p>
<h2>Temps de première réponse</h2>
<table id="reply-times"><tr><th>équipe</th><th>posts répondus</th><th>dans le délai</th><th>médiane</th><th>p90</th></tr>{reply_rows or '<tr><td colspan="5">aucune réponse enregistrée</td></tr>'}</table>
<p class="muted">De la publication du post à la première réponse d'un compte de la marque, par équipe, pour les posts publiés cette semaine ; médiane et p90 au rang le plus proche.</p>
</body></html>"""  # noqa: E501


@dataclass(frozen=True)
class Written:
    html: Path
    pdf: Path | None
    pdf_missing: str | None = None
    """Why there is no PDF (weasyprint or its pango libraries missing)."""


def write_report(figures: WeeklyFigures, directory: Path) -> Written:
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"veille-{figures.tenant.id}-{figures.week}"
    html = render_html(figures)
    html_path = directory / f"{stem}.html"
    html_path.write_text(html, encoding="utf-8")
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:
        return Written(html_path, None, f"the PDF needs weasyprint and pango ({exc})")
    pdf_path = directory / f"{stem}.pdf"
    HTML(string=html).write_pdf(pdf_path)
    return Written(html_path, pdf_path)
