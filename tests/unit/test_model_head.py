"""`veille model train-head`'s code on a tiny random encoder and tiny data in the shared
data's formats: readers, a deterministic fit, the saved head and its report."""

import copy
import json
from pathlib import Path

import pytest
import torch
from transformers import BertModel

from enrich.model.adapter import LowRankLinear, attach, detach, merge
from enrich.model.datasets import read_allocine, read_deft
from enrich.model.finetune import FineTuneOptions
from enrich.model.head import fit_head, load_head, save_head
from enrich.model.loader import load_model
from enrich.model.train import TrainOptions, train_head
from schemas.config import SentimentModelSettings
from tests.unit.test_model_engine import _config, _tokenizer

NEG, NEU, POS = "nul honte retard annulé", "le train un colis", "merci super top"


def write_data(root: Path) -> Path:
    deft = root / "deft2017-tweets"
    deft.mkdir(parents=True)
    rows = [(NEG, 0), (NEU, 1), (POS, 2)] * 4
    for split in ("train", "val"):
        (deft / f"{split}_text.txt").write_text("\n".join(t for t, _ in rows))  # no final \n
        (deft / f"{split}_labels.txt").write_text("\n".join(str(y) for _, y in rows) + "\n")
    allocine = root / "allocine-tv-reviews"
    allocine.mkdir()
    for split in ("train", "dev"):
        (allocine / f"{split}.tsv").write_text(f"1\t{POS} le\n0\t{NEG} la\n\n")
    brand = "".join(json.dumps({"text": t, "label": label}) + "\n" for t, label in
                    [(NEG, "negative"), (NEU, "neutral"), (POS, "positive")])  # fmt: skip
    (root / "brand.jsonl").write_text(brand)
    return root


def test_readers_follow_the_shared_formats(tmp_path: Path) -> None:
    root = write_data(tmp_path)
    deft = read_deft(root / "deft2017-tweets", "val")
    assert len(deft) == 12 and deft[0].label == "negative" and deft[2].text == POS
    allocine = read_allocine(root / "allocine-tv-reviews", "train")
    assert [e.label for e in allocine] == ["positive", "negative"]


def test_fit_head_is_deterministic_and_learns_a_separable_problem() -> None:
    torch.manual_seed(1)
    centres = torch.randn(3, 16) * 3
    labels = [i % 3 for i in range(90)]
    features = centres[labels] + torch.randn(90, 16) * 0.3
    first = fit_head(features, labels, [1.0] * 90, weight_decay=0.01)
    second = fit_head(features, labels, [1.0] * 90, weight_decay=0.01)
    assert torch.equal(first.weight, second.weight)
    assert (first(features).argmax(1) == torch.tensor(labels)).float().mean() > 0.95


def test_train_head_writes_the_head_and_its_report(tmp_path: Path) -> None:
    root = write_data(tmp_path / "data")
    encoder = tmp_path / "encoder"
    BertModel(_config(), add_pooling_layer=False).save_pretrained(encoder)
    _tokenizer().save_pretrained(encoder)
    settings = SentimentModelSettings(path=str(encoder), input_prefix="", dtype="float32")
    model = load_model(settings, with_head=False)
    output = tmp_path / "head.safetensors"
    options = TrainOptions(root, output, brand_train=root / "brand.jsonl",
                           brand_heldout=root / "brand.jsonl",
                           fine_tune=FineTuneOptions(epochs=1, rank=2))  # fmt: skip
    report = train_head(model, options, "veille model train-head --data X")
    head, metadata, adapter = load_head(output)
    assert head.weight.shape == (3, 32) and metadata["version"] == report["version"]
    # the fine-tuning adapter covers every Linear layer of the encoder (2 layers × 6)
    assert len(adapter) == 2 * 12 and adapter[
        "encoder.layer.0.attention.self.query.lora_a"
    ].shape == (2, 32)
    assert report["fine_tune"]["epochs"] == 1
    final = report["final_head"]  # refitted after fine-tuning, decay chosen on DEFT validation
    assert final["weight_decay"] in (0.01, 0.05, 0.2) and final["selected_on"] == "deft2017_val"
    saved = json.loads(output.with_suffix(".json").read_text())
    assert saved["command"] == "veille model train-head --data X"
    assert saved["trained_on"]["deft2017/train"] == {"n": 12, "weight": 1.0}
    evaluation = saved["evaluation"]
    assert evaluation["deft2017_val"]["model"]["n"] == 12
    assert set(evaluation["brand_heldout_fr"]) == {"model", "lexicon", "model_bf16", "model_int8"}
    version = report["version"]
    trained = model.predict([NEG, NEU, POS])
    # what was evaluated is what loads: the saved head and adapter merged at load
    shipped = load_model(settings.model_copy(update={"head": str(output)}))
    for mine, loaded in zip(trained, shipped.predict([NEG, NEU, POS]), strict=True):
        assert loaded.probabilities == pytest.approx(mine.probabilities, abs=1e-5)
    assert shipped.version.endswith(version)
    again = load_model(settings, with_head=False)  # the run again, from the same encoder
    assert train_head(again, options, "again")["version"] == version  # reproducible


def test_a_merged_adapter_computes_what_the_wrapped_layers_computed() -> None:
    network = BertModel(_config(), add_pooling_layer=False).eval()
    reference = copy.deepcopy(network)
    trainable = attach(network, rank=3, seed=0)
    with torch.no_grad():
        for parameter in trainable:
            parameter.normal_(0.0, 0.2)  # as if trained (B starts at zero)
    ids = torch.tensor([[2, 5, 6, 7, 3]])
    with torch.no_grad():
        wrapped = network(input_ids=ids).last_hidden_state
    adapter = detach(network, dtype=torch.float32)
    assert all(not isinstance(m, LowRankLinear) for m in network.modules())
    with torch.no_grad():
        assert not torch.allclose(reference(input_ids=ids).last_hidden_state, wrapped)
        merge(reference, adapter)
        assert torch.allclose(reference(input_ids=ids).last_hidden_state, wrapped, atol=1e-5)


def test_an_adapter_for_another_encoder_is_refused() -> None:
    network = BertModel(_config(), add_pooling_layer=False)
    adapter = {"encoder.layer.0.attention.self.query.lora_a": torch.zeros(2, 16),
               "encoder.layer.0.attention.self.query.lora_b": torch.zeros(32, 2)}  # fmt: skip
    with pytest.raises(ValueError, match="does not fit"):
        merge(network, adapter)
    with pytest.raises(ValueError, match="not a Linear"):
        merge(network, {"pooler.dense.lora_a": torch.zeros(2, 32),
                        "pooler.dense.lora_b": torch.zeros(32, 2)})  # fmt: skip


def test_a_head_with_other_labels_is_refused(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    path = tmp_path / "two-class.safetensors"
    save_file({"weight": torch.zeros(2, 8), "bias": torch.zeros(2)}, str(path),
              metadata={"labels": '["negative", "positive"]'})  # fmt: skip
    with pytest.raises(ValueError, match="labels"):
        load_head(path)
    version = save_head(tmp_path / "ok.safetensors", torch.nn.Linear(8, 3), {})
    assert load_head(tmp_path / "ok.safetensors")[1]["version"] == version
