"""How mentions are enriched: the sentiment model, virality, near-duplicate clusters."""

from typing import Annotated, Literal

from pydantic import Field, model_validator

from schemas.config.base import SettingsModel
from schemas.enriched import IntentLabel


class ViralitySettings(SettingsModel):
    """Virality score (enrich/virality.py): source weights and the engagement history."""

    source_weights: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] = Field(
        default_factory=dict, description="weight in [0, 1] per source kind (rss, x, …)"
    )
    default_source_weight: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0
    history_max_ids: Annotated[int, Field(ge=1)] = 100_000
    """Mention ids whose last engagement observation is kept, to measure velocity."""


class ClusterSettings(SettingsModel):
    """Near-duplicate clusters (enrich/clusters.py): MinHash LSH over 5-character shingles."""

    threshold: Annotated[float, Field(gt=0.0, le=1.0)] = 0.6
    num_perm: Annotated[int, Field(ge=16, le=512)] = 64
    max_entries: Annotated[int, Field(ge=1)] = 20_000
    max_age_hours: Annotated[float, Field(gt=0)] = 48.0
    growth_window_minutes: Annotated[float, Field(gt=0)] = 60.0
    max_representatives: Annotated[int, Field(ge=1)] = 8
    """Members per cluster kept in the LSH index: bounds the cost of a query."""
    warmup_max_mentions: Annotated[int, Field(ge=0)] = 2_000
    """Per tenant, the newest indexed mentions (within `max_age_hours` of its latest) from
    which a worker rebuilds its clusters after a start or a rebalance (enrich/warmup.py);
    0: start empty. `max_entries` is shared by the tenants of a worker: keep this times the
    tenants of one worker under it, or a rebuild evicts another tenant's oldest mentions."""


class IntentModelSettings(SettingsModel):
    """`enrich.model.intent`: the intent (`service_request`, `complaint`, `question`,
    `praise`, `news`, `other`).

    `kind: encoder-head` (default): a second head on the sentiment encoder's pooled
    embeddings, computed in the same forward pass; only with `enrich.model.kind:
    encoder-head` (with a sequence-classification sentiment model, mentions get `intent:
    null`). The head is trained on the encoder as the sentiment head's adapter leaves it, so
    it goes with that sentiment head (loading fails otherwise); `head: null` = the bundled
    intent head, used with the bundled sentiment head only.
    `kind: sequence-classification`: any transformers sequence-classification model
    (`path`: hub id or local directory), as for sentiment: `labels` maps each of its labels
    to one of veille's six (empty: its labels must be veille's own), probabilities summed.
    It has its own tokenizer and forward pass, with any sentiment model.
    `kind: none`: no intent (`intent: null`)."""

    kind: Literal["encoder-head", "sequence-classification", "none"] = "encoder-head"
    id: str = Field(default="e5-small-intent-fr", description="reported in intent.model")
    head: str | None = Field(default=None, description="head file; null = the bundled head")
    path: str | None = Field(
        default=None, description="hub id or local dir (sequence-classification)"
    )
    labels: dict[str, IntentLabel] = Field(
        default_factory=dict, description="model label → veille intent (sequence-classification)"
    )
    input_prefix: str = Field(default="", description="put before each text (sequence-"
                              "classification)")  # fmt: skip

    @model_validator(mode="after")
    def _has_path(self) -> "IntentModelSettings":
        if self.kind == "sequence-classification" and not self.path:
            raise ValueError("enrich.model.intent.path is required for sequence-classification")
        return self


class SentimentModelSettings(SettingsModel):
    """The transformer sentiment model (`enrich.scorer: transformer`).

    Default: multilingual-e5-small rebuilt offline by `veille model build` into
    `models_dir`, with the bundled 3-class head. Any transformers model works the same way:
    `kind: sequence-classification`, `path` a hub id or local directory, and `labels`
    mapping each of its labels to negative / neutral / positive.
    """

    kind: Literal["encoder-head", "sequence-classification"] = "encoder-head"
    id: str = Field(default="e5-small-sentiment-fr", description="reported in sentiment.model")
    path: str | None = Field(
        default=None, description="hub id or local dir; null = the built default encoder"
    )
    models_dir: str = ".veille/models"
    head: str | None = Field(
        default=None, description="head file (encoder-head); null = the bundled head"
    )
    input_prefix: str | None = Field(
        default=None, description="null = 'query: ' for encoder-head (e5 expects it), else ''"
    )
    labels: dict[str, Literal["negative", "neutral", "positive"]] = Field(
        default_factory=dict,
        description="model label → veille label (sequence-classification)",
    )
    max_length: Annotated[int, Field(ge=8, le=8192)] = 128
    max_batch_size: Annotated[int, Field(ge=1)] = 64
    max_batch_tokens: Annotated[int, Field(ge=8)] = 8192
    max_wait_ms: Annotated[float, Field(ge=0)] = 5.0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = "auto"
    cpu_threads: Annotated[int, Field(ge=1)] | None = None
    quantize_int8: bool = Field(default=False, description="dynamic int8 Linear layers (CPU)")
    intent: IntentModelSettings = Field(default_factory=IntentModelSettings)


class EnrichSettings(SettingsModel):
    scorer: Literal["transformer", "lexicon"] = Field(
        default="transformer",
        description="transformer = enrich.model; lexicon = vadersentiment-fr (explicit fallback)",
    )
    model: SentimentModelSettings = Field(default_factory=SentimentModelSettings)
    negative_below: float = -0.05
    positive_above: float = 0.05
    virality: ViralitySettings = Field(default_factory=ViralitySettings)
    clusters: ClusterSettings = Field(default_factory=ClusterSettings)
