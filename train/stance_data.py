"""Sentence pairs (claim, sentence, label) for the stance model, built from ../shared/benchmarks.

Read in place, never copied into the project. Labels are `claims.engine.stance_model.LABELS`.

- SciFact training claims: each rationale sentence with its SUPPORT / CONTRADICT label;
- Check-COVID: each claim with its evidence sentences (SUPPORT / REFUTE / NOTENOUGHINFO);
- Evidence Inference: each prompt (intervention, comparator, outcome) and the doctors' label
  with the abstract sentence that shows it, turned into claims in both directions;
- neutral pairs: the claim with other sentences of the same abstract, and with a sentence of
  another abstract;
- augmentations: a supported claim negated is contradicted, hedged it stays supported; claims of
  harm ("can cause X") and of its absence ("has no X", "is free of X") against trial results.

Every function that samples takes a `random.Random`, so a seed makes the pairs repeatable.
`bench/stance_eval.py` scores the model on `checkcovid_pairs("dev")` and
`evinf_pairs("validation", random.Random(0), evaluation=True)`.
"""
from __future__ import annotations

import csv
import json
import random
import re
from collections import defaultdict
from pathlib import Path

from claims.text import sentences, words
from db.vocabulary import CONTRADICTS, NEUTRAL, SUPPORTS

BENCHMARKS = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmarks"

Pair = tuple[str, str, str, str]  # claim, sentence, label, source


def _jsonl(path: Path) -> list[dict]:
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


# ---------------------------------------------------------------- SciFact

def scifact_pairs(rng: random.Random, root: Path = BENCHMARKS) -> list[Pair]:
    claims = _jsonl(root / "scifact" / "claims_train.jsonl")
    wanted = {str(d) for c in claims for d in c["cited_doc_ids"]} | {d for c in claims for d in c["evidence"]}
    docs = {}
    with open(root / "scifact" / "corpus.jsonl") as f:
        for line in f:
            doc = json.loads(line)
            if str(doc["doc_id"]) in wanted:
                docs[str(doc["doc_id"])] = doc["abstract"]
    pairs: list[Pair] = []
    for claim in claims:
        text = claim["claim"].strip()
        rationale: set[tuple[str, int]] = set()
        for doc_id, sets in claim["evidence"].items():
            for evidence in sets:
                label = SUPPORTS if evidence["label"] == "SUPPORT" else CONTRADICTS
                for index in evidence["sentences"]:
                    pairs.append((text, docs[doc_id][index].strip(), label, "scifact"))
                    rationale.add((doc_id, index))
        for doc_id in sorted({str(d) for d in claim["cited_doc_ids"]} | set(claim["evidence"])):
            others = [i for i in range(len(docs.get(doc_id, []))) if (doc_id, i) not in rationale]
            for index in rng.sample(others, min(2, len(others))):
                pairs.append((text, docs[doc_id][index].strip(), NEUTRAL, "scifact-other-sentence"))
    return pairs


# ---------------------------------------------------------------- Check-COVID

CHECKCOVID_LABELS = {"SUPPORT": SUPPORTS, "REFUTE": CONTRADICTS, "NOTENOUGHINFO": NEUTRAL}


def checkcovid_corpus(root: Path) -> dict[str, list[str]]:
    """Each abstract's sentences, by `cord_id`, without the "Abstract" heading some start with."""
    return {doc["cord_id"]: [re.sub(r"^Abstract\s+", "", s.strip()) for s in doc["abstract"]]
            for doc in _jsonl(root / "check-covid" / "corpus.jsonl")}


def checkcovid_pairs(split: str, root: Path = BENCHMARKS) -> list[Pair]:
    """Each claim with each sentence of its evidence set, labelled as the claim is."""
    corpus = checkcovid_corpus(root)
    pairs: list[Pair] = []
    for claim in _jsonl(root / "check-covid" / f"{split}.jsonl"):
        abstract = corpus.get(claim["cord_id"], [])
        for evidence in claim["evidence_set"]:
            if evidence["sent_index"] < len(abstract):
                pairs.append((claim["claim"].strip(), abstract[evidence["sent_index"]],
                              CHECKCOVID_LABELS[claim["label"]], f"checkcovid-{split}"))
    return pairs


def checkcovid_neutral_pairs(rng: random.Random, root: Path = BENCHMARKS) -> list[Pair]:
    """Training claims with a sentence of their abstract outside the evidence set."""
    corpus = checkcovid_corpus(root)
    pairs: list[Pair] = []
    for claim in _jsonl(root / "check-covid" / "train.jsonl"):
        abstract = corpus.get(claim["cord_id"], [])
        used = {e["sent_index"] for e in claim["evidence_set"]}
        others = [i for i in range(len(abstract)) if i not in used]
        if others:
            pairs.append((claim["claim"].strip(), abstract[rng.choice(others)], NEUTRAL,
                          "checkcovid-other-sentence"))
    return pairs


# ---------------------------------------------------------------- Evidence Inference

INCREASED, DECREASED, NO_DIFFERENCE = "increased", "decreased", "no difference"
ADVERSE = re.compile(r"advers|side effect|nausea|vomit|pain|headache|dizz|bleed|haemorrhag|hemorrhag|"
                     r"complication|toxicit|infection|mortality|death|rash|pruritus|hypotension|"
                     r"sedation|fatigue|diarrh|constipation|injur|insomnia", re.I)

# Claims in the words a summary or a web page would use; {i} intervention, {c} comparator, {o} outcome.
# Each template names the finding it asserts.
TEMPLATES = {
    INCREASED: ["{i} increases {o} compared with {c}.", "{o} is higher with {i} than with {c}.",
                "{i} raises {o} more than {c} does.", "Compared to {c}, {i} led to greater {o}.",
                "{c} lowers {o} compared with {i}.", "{o} was lower with {c} than with {i}."],
    DECREASED: ["{i} decreases {o} compared with {c}.", "{o} is lower with {i} than with {c}.",
                "{i} reduces {o} more than {c} does.", "Compared to {c}, {i} led to less {o}.",
                "{c} increases {o} compared with {i}.", "{o} was higher with {c} than with {i}."],
    NO_DIFFERENCE: ["{i} and {c} do not differ in {o}.", "There is no difference in {o} between {i} and {c}.",
                    "{i} has the same effect on {o} as {c}.", "{i} is no better than {c} for {o}.",
                    "{o} was similar with {i} and {c}."],
}
# One fixed wording per finding for the validation score, so the figure does not move with sampling.
EVALUATION_TEMPLATES = {INCREASED: "{i} increases {o} compared with {c}.",
                        DECREASED: "{i} decreases {o} compared with {c}.",
                        NO_DIFFERENCE: "There is no difference in {o} between {i} and {c}."}
# Claims of harm and of its absence, for adverse outcomes the intervention significantly increased.
HARM_DISCLOSED = ["{i} can cause {o}.", "{o} may occur with {i}.", "{i} can increase {o}."]
HARM_DENIED = ["{i} has no {o}.", "{i} is free of {o}.", "{i} never causes {o}.", "{i} causes no {o}.",
               "There is no risk of {o} with {i}."]


def _label_of(text: str) -> str | None:
    text = text.strip().lower()
    if text.startswith("significantly increase"):
        return INCREASED
    if text.startswith("significantly decrease"):
        return DECREASED
    if text.startswith("no significant"):
        return NO_DIFFERENCE
    return None


def abst_sections(text: str) -> list[tuple[str | None, str]]:
    """(label, text) of each block of an Evidence Inference .abst file, in order: "TITLE" first, then
    the abstract's sections by their labels ("RESULTS"; None for an unlabelled "ABSTRACT:" block)."""
    parts = re.split(r"^(TITLE|ABSTRACT(?:\.[^:\n]+)?):+\s*$", text, flags=re.M)
    return [(None if label == "ABSTRACT" else label.removeprefix("ABSTRACT."), " ".join(body.split()))
            for label, body in zip(parts[1::2], parts[2::2], strict=True)]


def parse_abst(text: str) -> list[str]:
    """The sentences of an Evidence Inference .abst file (title first, then every section)."""
    return [s.text for _, block in abst_sections(text) for s in sentences(block)]


def _evidence_sentence(evidence: str, abstract: list[str]) -> str | None:
    """The abstract sentence that carries an annotation (the doctors quote the full text, not always
    the abstract): the one covering most of the evidence's words, if it covers at least 60% of them."""
    wanted = set(words(evidence))
    if len(wanted) < 3:
        return None
    best, cover = None, 0.0
    for sentence in abstract:
        overlap = len(wanted & set(words(sentence))) / len(wanted)
        if overlap > cover:
            best, cover = sentence, overlap
    return best if cover >= 0.6 else None


def evinf_findings(split: str, root: Path = BENCHMARKS) -> list[dict]:
    """One finding per prompt of the split's articles: intervention, comparator, outcome, the majority
    label of the doctors' valid answers, the evidence sentence found in the abstract and the abstract."""
    base = root / "evidence-inference"
    articles = {line.strip() for line in open(base / "splits" / f"{split}_article_ids.txt") if line.strip()}
    prompts = {row["PromptID"]: row for row in csv.DictReader(open(base / "prompts.csv"))
               if row["PMCID"] in articles}
    answers: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in csv.DictReader(open(base / "annotations.csv")):
        label = _label_of(row["Label"])
        if row["PromptID"] in prompts and row["Valid Label"] == "True" and label:
            answers[row["PromptID"]].append((label, row["Annotations"]))
    abstracts: dict[str, list[str]] = {}
    findings = []
    for prompt_id in sorted(answers, key=int):
        prompt = prompts[prompt_id]
        pmcid = prompt["PMCID"]
        if pmcid not in abstracts:
            path = base / "abstracts" / f"PMC{pmcid}.abst"
            abstracts[pmcid] = parse_abst(path.read_text()) if path.exists() else []
        labels = [label for label, _ in answers[prompt_id]]
        label = max(sorted(set(labels)), key=labels.count)
        evidence = next((s for lab, text in answers[prompt_id] if lab == label
                         for s in [_evidence_sentence(text, abstracts[pmcid])] if s), None)
        if evidence:
            findings.append({"pmcid": pmcid, "i": prompt["Intervention"].strip(),
                             "c": prompt["Comparator"].strip(),
                             "o": prompt["Outcome"].strip(), "label": label, "sentence": evidence,
                             "abstract": abstracts[pmcid]})
    return findings


def evinf_pairs(split: str, rng: random.Random, evaluation: bool = False,
                root: Path = BENCHMARKS) -> list[Pair]:
    """Claims in every direction against each finding's evidence sentence: the claim stating the
    finding is supported, the others contradicted; the same claims with a sentence of the abstract
    that does not mention the outcome are neutral. `evaluation` uses one fixed wording per finding."""
    pairs: list[Pair] = []
    source = f"evinf-{split}"
    for finding in evinf_findings(split, root):
        fields = {k: _in_sentence(finding[k]) for k in "ico"}
        outcome_words = set(words(finding["o"])) - {"of", "the", "and", "in", "at", "to", "with"}
        unrelated = [s for s in finding["abstract"] if s != finding["sentence"]
                     and not outcome_words & set(words(s))]
        for claimed in (INCREASED, DECREASED, NO_DIFFERENCE):
            if evaluation:
                templates = [EVALUATION_TEMPLATES[claimed]]
            else:  # two wordings of the finding itself, so that each label is about as common
                templates = rng.sample(TEMPLATES[claimed], 2 if claimed == finding["label"] else 1)
            for template in templates:
                claim = _sentence_case(template.format(**fields))
                label = SUPPORTS if claimed == finding["label"] else CONTRADICTS
                pairs.append((claim, finding["sentence"], label, source))
                if unrelated and (evaluation or rng.random() < 0.4):
                    pairs.append((claim, rng.choice(unrelated), NEUTRAL, f"{source}-other-sentence"))
        if not evaluation and finding["label"] == INCREASED and ADVERSE.search(finding["o"]):
            pairs.append((_sentence_case(rng.choice(HARM_DISCLOSED).format(**fields)), finding["sentence"],
                          SUPPORTS, f"{source}-harm"))
            pairs.append((_sentence_case(rng.choice(HARM_DENIED).format(**fields)), finding["sentence"],
                          CONTRADICTS, f"{source}-harm"))
    return pairs


def evidence_claim(finding: dict, claimed: str) -> str:
    """A finding as a claim in the one fixed wording used for evaluation."""
    fields = {k: _in_sentence(finding[k]) for k in "ico"}
    return _sentence_case(EVALUATION_TEMPLATES[claimed].format(**fields))


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def _in_sentence(name: str) -> str:
    """A prompt's name as it reads inside a sentence: "Total mortality" -> "total mortality", "LMWH" kept."""
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


# ---------------------------------------------------------------- augmentations

_AUXILIARY = re.compile(r"\b(is|are|was|were|can|could|will|does|do|did|has|have|should|may|might)"
                        r"\b(?! not\b)")
_VERB = re.compile(r"\b(increase|decrease|reduce|improve|cause|induce|inhibit|promote|prevent|raise|lower|"
                   r"affect|protect|enhance|impair|suppress|activate|regulate|alter|modulate|predict|"
                   r"require|mediate|contribute|correlate|lead|result|block|trigger|worsen|relieve|treat|"
                   r"cure|elevate|accelerate|delay|limit|restore|stimulate|attenuate|decline|lengthen|"
                   r"shorten|associate)(s|es)\b")


def negated(claim: str) -> str | None:
    """The claim with its first auxiliary or known verb negated; None when it has neither."""
    match = _AUXILIARY.search(claim)
    verb = _VERB.search(claim)
    if match and (not verb or match.start() < verb.start()):
        word = match.group(1)
        replacement = "cannot" if word == "can" else f"{word} not"
        return claim[:match.start()] + replacement + claim[match.end():]
    if verb:
        return claim[:verb.start()] + "does not " + verb.group(1) + claim[verb.end():]
    return None


def hedged(claim: str) -> str | None:
    """The claim's first known verb softened with "may"; None when it has none."""
    verb = _VERB.search(claim)
    if not verb or _AUXILIARY.search(claim[:verb.start()]):
        return None
    return claim[:verb.start()] + "may " + verb.group(1) + claim[verb.end():]


def augmented(pairs: list[Pair], rng: random.Random, share: float = 0.5) -> list[Pair]:
    """For a share of the supported pairs: the claim negated (contradicted) and hedged (still supported)."""
    extra: list[Pair] = []
    for claim, sentence, label, source in pairs:
        if label != SUPPORTS or rng.random() >= share:
            continue
        negative = negated(claim)
        if negative:
            extra.append((negative, sentence, CONTRADICTS, f"{source}-negated"))
        soft = hedged(claim)
        if soft:
            extra.append((soft, sentence, SUPPORTS, f"{source}-hedged"))
    return extra


def cross_abstract_neutrals(pairs: list[Pair], rng: random.Random, count: int) -> list[Pair]:
    """Claims paired with a sentence drawn from another claim's pair: unrelated, so neutral."""
    extra: list[Pair] = []
    for _ in range(count):
        claim = rng.choice(pairs)
        other = rng.choice(pairs)
        if other[0] != claim[0]:
            extra.append((claim[0], other[1], NEUTRAL, "unrelated-sentence"))
    return extra


def near_neutrals(pairs: list[Pair], rng: random.Random, count: int) -> list[Pair]:
    """Claims paired with the sentence (of another claim's neutral pairs, never anyone's evidence)
    sharing most of their words: what retrieval puts before the model in open search (the same
    topic, not the finding), so neutral."""
    evidence = {p[1] for p in pairs if p[2] != NEUTRAL}  # evidence for any claim is left out
    sentences = sorted({(p[1], p[0]) for p in pairs if p[1] not in evidence})
    index: dict[str, set[int]] = defaultdict(set)
    for number, (sentence, _) in enumerate(sentences):
        for word in set(words(sentence)) - _COMMON:
            index[word].add(number)
    extra: list[Pair] = []
    for claim in rng.sample(sorted({p[0] for p in pairs}), min(count, len({p[0] for p in pairs}))):
        overlap: dict[int, int] = defaultdict(int)
        for word in set(words(claim)) - _COMMON:
            for number in index.get(word, ()):
                if sentences[number][1] != claim:
                    overlap[number] += 1
        if overlap:
            best = max(sorted(overlap), key=overlap.get)
            if overlap[best] >= 3:
                extra.append((claim, sentences[best][0], NEUTRAL, "near-sentence"))
    return extra


_COMMON = set("the a an of in on and or to with for by is are was were be been that this it as at from than "
              "not no can may has have had its their which who".split())


def training_pairs(seed: int, per_label: int) -> list[Pair]:
    """The balanced training sample: at most `per_label` pairs of each label, shuffled with `seed`."""
    rng = random.Random(seed)
    base = (scifact_pairs(rng) + checkcovid_pairs("train") + checkcovid_neutral_pairs(rng)
            + evinf_pairs("train", rng))
    pool = (base + augmented(base, rng) + cross_abstract_neutrals(base, rng, len(base) // 10)
            + near_neutrals(base, rng, len(base) // 5))
    by_label: dict[str, list[Pair]] = defaultdict(list)
    for pair in pool:
        by_label[pair[2]].append(pair)
    sample = [pair for label in sorted(by_label)
              for pair in rng.sample(by_label[label], min(per_label, len(by_label[label])))]
    rng.shuffle(sample)
    return sample
