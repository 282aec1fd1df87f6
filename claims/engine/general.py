"""The general stance model: claims the domain checkers (`judge.py`) do not know.

Website claims about ketamine, migraine and their figures are judged by checkers that
understand each kind of claim. Any other biomedical claim is judged here, by two logistic
models over lexical features of the claim and each candidate abstract (numpy only):

- relevance: is this abstract evidence about the claim at all? (BM25 score and rank, how much
  of the claim, weighted by idf from the database's own index, the abstract, its title and
  its best sentence cover; numbers; how it compares with the other candidates);
- stance: does it support or contradict it? (negation, increase/decrease words and antonym
  pairs in the claim against the best-matching and the concluding sentences).

    model = load(MODEL_FILE)
    results = model.judge_all(claim, [(title, sentences, bm25_score), ...], idf=fts_idf(db, claim))

The model file (`models/general_stance.npz`, 20 KiB) holds float weights over hashed feature
ids and two thresholds: no text and no vocabulary. It was trained on the 809 SciFact training
claims (Wadden et al., 2020) by `bench/scifact.py train`; `bench/scifact.py cv` measures it
with 5-fold cross-validation through `evidence check`. Lexical features barely tell
"supports" from "contradicts" (the stance model's AUC is about 0.7), so this model is
precise about half the time: its stances never make a verdict stronger than
`weakly_supported` (see `check.py`).
"""
from __future__ import annotations

import math
import re
import zlib
from pathlib import Path

import numpy as np

from db.vocabulary import CONTRADICTS, NEUTRAL, SUPPORTS

MODEL_FILE = Path(__file__).resolve().parent / "models" / "general_stance.npz"
DIM = 1 << 18

STOP = set("""a an the of in on at to for from by with and or but is are was were be been being has have had do does
did this that these those it its as than then there their they them which who whom whose what when where why how into
onto over under between among during after before about can could may might must shall should will would also such
via per both either each other very all any some we our us i you he she his her one two three""".split())
NEG = set("""no not none never neither nor without fail fails failed failure unable lack lacks lacking lacked absence
absent unaffected unchanged insignificant nonsignificant independent unrelated regardless cannot
inconsistent contrary rather instead despite although however but""".split())
UP = set("""increase increases increased increasing higher high elevate elevated elevation enhance enhances enhanced
enhancing promote promotes promoted promoting upregulate upregulates upregulated upregulation greater more raise
raises raised rise rises risen improve improves improved improving improvement stimulate stimulates stimulated
activate activates activated activation induce induces induced accelerate accelerates accelerated gain gains
positive positively exacerbate exacerbates worsen worsens worse augment augments augmented amplify potentiate larger
longer maximal major benefit beneficial protective protects protect efficacy effective strongly strong required
essential necessary sufficient associated correlates correlated""".split())
DOWN = set("""decrease decreases decreased decreasing lower low reduce reduces reduced reducing reduction decline
declines declined diminish diminishes diminished inhibit inhibits inhibited inhibiting inhibition suppress suppresses
suppressed suppression downregulate downregulates downregulated downregulation less fewer attenuate attenuates
attenuated impair impairs impaired impairment loss lose loses prevent prevents prevented block blocks blocked
negative negatively slow slows slower shorter smaller minor harmful deleterious detrimental weak weakly risk
deficient deficiency depletion knockout abolish abolished abrogate abrogated ineffective""".split())
HEDGE = set("""may might suggest suggests suggested possibly potential potentially likely unclear whether
hypothesis hypothesize propose proposed""".split())
CUES = NEG | UP | DOWN | HEDGE | {"only", "all", "always", "most", "both", "same", "similar", "different",
                                  "significant", "significantly", "compared", "versus", "than", "before",
                                  "after", "first", "alone", "sole", "primary", "main", "major", "minor"}
ANT = [("increase", "decrease"), ("increase", "reduce"), ("higher", "lower"), ("high", "low"), ("more", "less"),
       ("more", "fewer"), ("greater", "smaller"), ("positive", "negative"), ("positively", "negatively"),
       ("enhance", "suppress"), ("enhance", "reduce"), ("enhance", "inhibit"), ("activate", "inhibit"),
       ("promote", "inhibit"), ("promote", "suppress"), ("promote", "prevent"), ("upregulate", "downregulate"),
       ("rise", "decline"), ("risen", "declined"), ("elevate", "reduce"), ("elevated", "reduced"),
       ("elevated", "decreased"), ("elevated", "lower"), ("improve", "worsen"), ("improve", "impair"),
       ("effective", "ineffective"), ("benefit", "harm"), ("beneficial", "harmful"), ("protective", "harmful"),
       ("protect", "damage"), ("longer", "shorter"), ("faster", "slower"), ("accelerate", "slow"), ("gain", "loss"),
       ("induce", "inhibit"), ("induce", "prevent"), ("stimulate", "inhibit"), ("present", "absent"),
       ("common", "rare"), ("increased", "unchanged"), ("associated", "unassociated"), ("correlated", "uncorrelated"),
       ("sufficient", "insufficient"), ("significant", "insignificant"), ("necessary", "dispensable"),
       ("required", "dispensable"), ("direct", "indirect"), ("directly", "indirectly"), ("major", "minor"),
       ("large", "small"), ("strong", "weak"), ("before", "after"), ("early", "late"), ("maximal", "minimal"),
       ("dominant", "recessive"), ("sensitive", "resistant"), ("susceptible", "resistant"), ("gain", "lose"),
       ("overexpression", "knockdown"), ("overexpression", "deletion"), ("agonist", "antagonist")]

_TOK = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_NUM = re.compile(r"\d+(?:\.\d+)?")
_SUFFIXES = (("ational", "ate"), ("ization", "ize"), ("ations", "ate"), ("ation", "ate"), ("iveness", "ive"),
             ("fulness", "ful"), ("ousness", "ous"), ("nesses", ""), ("ness", ""), ("ments", ""), ("ment", ""),
             ("ingly", ""), ("edly", ""), ("ities", ""), ("ity", ""), ("ies", "y"), ("sses", "ss"), ("ing", ""),
             ("ed", ""), ("ly", ""), ("es", ""), ("s", ""))


def stem(w):
    """Very light suffix stripper (good enough for overlap features)."""
    if len(w) <= 3 or w.isdigit():
        return w
    for suf, rep in _SUFFIXES:
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            if suf == "s" and w[-2:] in ("ss", "us", "is"):
                return w
            w = w[: len(w) - len(suf)] + rep
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


def tokens(text):
    return _TOK.findall(text.lower().replace("n't", " not"))


def content_words(toks):
    return [t for t in toks if t not in STOP and (len(t) > 1 or t.isdigit())]


def split_sentences(text):
    """Sentence splitter for abstracts stored as one string."""
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])", (text or "").strip())
    return [p for p in parts if p]


def fts_query(claim):
    """FTS5 MATCH expression: the claim's content words, quoted and OR-ed."""
    seen = []
    for t in _TOK.findall(claim.lower()):
        for p in t.replace("'", "-").split("-"):
            if p and p not in STOP and (len(p) > 1 or p.isdigit()) and p not in seen:
                seen.append(p)
    return " OR ".join(f'"{t}"' for t in seen)


def document_frequencies(db, claim, table="articles_fts"):
    """(articles in the index, {content word of the claim: articles that contain it}) (~0.3 ms/word)."""
    n = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] or 1
    out = {}
    for t in set(content_words(tokens(claim))):
        q = " ".join(f'"{p}"' for p in re.split(r"[-']", t) if p)  # quoted words: never FTS syntax
        out[t] = db.execute(f"SELECT count(*) FROM {table} WHERE {table} MATCH ?", (q,)).fetchone()[0]
    return n, out


def idf_of(n, frequencies):
    """idf of each word from its document frequency among n articles."""
    return {t: math.log((n + 1) / (df + 0.5)) for t, df in frequencies.items()}


def fts_idf(db, claim, table="articles_fts"):
    """idf of each claim content word, from document counts in the engine's FTS5 index."""
    return idf_of(*document_frequencies(db, claim, table))


def _h(s):
    return zlib.crc32(s.encode()) & (DIM - 1)


class _F(dict):
    def add(self, name, v=1.0):
        if v:
            k = _h(name)
            self[k] = self.get(k, 0.0) + v


_ANTS = {}
for _a, _b in ANT:
    _ANTS.setdefault(stem(_a), set()).add(stem(_b))
    _ANTS.setdefault(stem(_b), set()).add(stem(_a))
_UPS = {stem(w) for w in UP}
_DNS = {stem(w) for w in DOWN}
_NGS = {stem(w) for w in NEG}


def _dirs(toks):
    return sum(t in UP for t in toks), sum(t in DOWN for t in toks), sum(t in NEG for t in toks)


def _polarity(toks):
    st = [stem(t) for t in toks]
    d = sum(s in _UPS for s in st) - sum(s in _DNS for s in st)
    return (1 if d > 0 else -1 if d < 0 else 0), sum(s in _NGS for s in st)


class Pair:
    """Tokenised (claim, abstract) pair with the sentence alignment shared by both models."""

    def __init__(self, claim, title, sentences, idf=None, n_rationale=2):
        self.claim, self.title, self.sentences = claim, title, list(sentences)
        self.ctoks = tokens(claim)
        cw = content_words(self.ctoks)
        idf = idf or {}
        self.cw = {stem(t): max(idf.get(t, 3.0), 0.1) for t in cw}  # stem -> weight
        self.cbig = set(zip([stem(t) for t in cw], [stem(t) for t in cw][1:], strict=False))
        self.stoks = [tokens(s) for s in self.sentences]
        self.sstems = [set(stem(t) for t in content_words(s)) for s in self.stoks]
        self.ttoks = tokens(title)
        self.tstems = set(stem(t) for t in content_words(self.ttoks))
        self.astems = set().union(*self.sstems) if self.sstems else set()
        wsum = sum(self.cw.values()) or 1.0
        self.sent_cov = []
        for st, toks in zip(self.sstems, self.stoks, strict=False):
            cov = sum(w for s, w in self.cw.items() if s in st) / wsum
            sb = [stem(t) for t in content_words(toks)]
            bg = len(self.cbig & set(zip(sb, sb[1:], strict=False))) / max(len(self.cbig), 1)
            self.sent_cov.append(cov + 0.3 * bg)
        order = sorted(range(len(self.sent_cov)), key=lambda i: -self.sent_cov[i])
        self.order = order
        self.rationale = sorted(order[:n_rationale])
        self.wsum = wsum


def relevance_features(p, bm25_score, rank, top_score=None, next_score=None):
    f = _F()
    top = top_score if top_score is not None else bm25_score
    f.add("bias")
    f.add("bm25", bm25_score / 10.0)
    f.add("bm25_rel_top", bm25_score / top if top else 0.0)
    f.add("bm25_gap_top", (top - bm25_score) / 10.0)
    if next_score is not None:
        f.add("bm25_gap_next", (bm25_score - next_score) / 10.0)
    f.add("rank=%d" % min(rank, 10))
    f.add("logrank", math.log1p(rank))
    cs, n = set(p.cw), max(len(p.cw), 1)
    allst = p.astems | p.tstems
    for name, S in (("abs", p.astems), ("title", p.tstems), ("all", allst)):
        f.add("cov_" + name, len(cs & S) / n)
        f.add("wcov_" + name, sum(w for s, w in p.cw.items() if s in S) / p.wsum)
    wall = sum(w for s, w in p.cw.items() if s in allst) / p.wsum
    f.add("wcov_all_sq", wall * wall)
    f.add("miss_all", (n - len(cs & allst)) / 5.0)
    rare = sorted(p.cw.items(), key=lambda kv: -kv[1])[:3]
    f.add("rare3_found", sum(s in allst for s, _ in rare) / max(len(rare), 1))
    f.add("rare1_found", float(bool(rare) and rare[0][0] in allst))
    if p.order:
        b = p.order[0]
        f.add("best_cov", p.sent_cov[b])
        f.add("best_cov_sq", p.sent_cov[b] ** 2)
        f.add("best_pos", b / max(len(p.sentences) - 1, 1))
        f.add("best_last2", float(b >= len(p.sentences) - 2))
        if len(p.order) > 1:
            f.add("second_cov", p.sent_cov[p.order[1]])
    f.add("n_sent", min(len(p.sentences), 20) / 20.0)
    cnum = set(_NUM.findall(p.claim))
    if cnum:
        anum = set(_NUM.findall(" ".join(p.sentences)))
        f.add("num_claim")
        f.add("num_match", len(cnum & anum) / len(cnum))
    cu, cd, cn = _dirs(p.ctoks)
    f.add("cneg=%d" % min(cn, 2))
    for w in cs:
        f.add("cw:" + w, 0.5)
    return f


def stance_features(p):
    f = _F()
    f.add("bias")
    ctoks, stoks, rat = p.ctoks, p.stoks, p.rationale
    rtoks = [t for i in rat for t in stoks[i]]
    ktoks = [t for tt in stoks[-2:] for t in tt]
    alltoks = set(t for tt in stoks for t in tt)
    cu, cd, cn = _dirs(ctoks)
    ru, rd, rn = _dirs(rtoks)
    ku, kd, kn = _dirs(ktoks)
    cdir = "up" if cu > cd else "down" if cd > cu else "none"
    rdir = "up" if ru > rd else "down" if rd > ru else "none"
    f.add("cneg=%d" % min(cn, 2))
    f.add("rneg=%d" % min(rn, 3))
    f.add("kneg=%d" % min(kn, 3))
    f.add(f"cdir={cdir}|rdir={rdir}")
    f.add("cneg=%d|rneg=%d" % (min(cn, 1), min(rn, 1)))
    f.add("cneg=%d|kneg=%d" % (min(cn, 1), min(kn, 1)))
    f.add("cdir=%s|cneg=%d|rdir=%s|rneg=%d" % (cdir, min(cn, 1), rdir, min(rn, 1)))
    ccues = sorted(set(t for t in ctoks if t in CUES))
    rcues = sorted(set(t for t in rtoks if t in CUES))
    for a in ccues:
        f.add("cc:" + a)
        if a not in alltoks:
            f.add("cmiss:" + a)
        for b in rcues:
            f.add(f"x:{a}|{b}", 0.5)
    for b in rcues:
        f.add("rc:" + b)
    for w in set(rtoks) - set(ctoks):
        if w in CUES:
            f.add("rnew:" + w)
    cst = set(stem(t) for t in ctoks)
    ast = set(stem(t) for t in alltoks) | set(stem(t) for t in p.ttoks)
    rst = set(stem(t) for t in rtoks)
    kst = set(stem(t) for t in ktoks)
    for w in cst:
        if w in _ANTS:
            for scope, S in (("abs", ast), ("rat", rst), ("con", kst)):
                f.add("ant_%s_%d%d" % (scope, w in S, bool(_ANTS[w] & S)))
    cp, cn2 = _polarity(ctoks)
    for scope, toks in (("rat", rtoks), ("con", ktoks), ("title", p.ttoks)):
        rp, rn2 = _polarity(toks)
        f.add("pol_%s_c%d_r%d" % (scope, cp, rp))
        f.add("sgn_%s_%d" % (scope, (cp * (-1) ** (cn2 > 0)) * (rp * (-1) ** (rn2 > 0))))
        f.add("negx_%s_%d%d" % (scope, cn2 > 0, rn2 > 0))
    miss = [w for w in cst if w not in ast and w not in STOP and len(w) > 2]
    f.add("nmiss=%d" % min(len(miss), 4))
    f.add("misscue", sum(1 for w in miss if w in _UPS or w in _DNS or w in _NGS or w in _ANTS))
    cnum = set(_NUM.findall(p.claim))
    if cnum:
        anum = set(_NUM.findall(" ".join(p.sentences)))
        f.add("num_miss", len(cnum - anum) / len(cnum))
    return f


def add_relative(feats_list, pairs):
    """Cross-candidate features: how this doc's alignment compares with the other candidates of the claim."""
    best = [p.sent_cov[p.order[0]] if p.order else 0.0 for p in pairs]
    mx = max(best) if best else 0.0
    srt = sorted(best, reverse=True)
    for f, b in zip(feats_list, best, strict=False):
        r = srt.index(b)
        f.add("cov_rank=%d" % min(r, 5))
        f.add("cov_gap_max", mx - b)
        f.add("cov_is_max", float(r == 0))
        f.add("cov_margin_next", b - (srt[1] if r == 0 and len(srt) > 1 else mx))
    return feats_list


def _sig(z):
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


def _dot(w, b, f):
    if not f:
        return float(b)
    idx = np.fromiter(f.keys(), dtype=np.int64, count=len(f))
    val = np.fromiter(f.values(), dtype=np.float32, count=len(f))
    return float(val @ w[idx] + b)


class Model:
    def __init__(self, w_rel, b_rel, w_st, b_st, t_rel=0.4, t_con=0.5):
        self.w_rel, self.b_rel, self.w_st, self.b_st = w_rel, float(b_rel), w_st, float(b_st)
        self.t_rel, self.t_con = float(t_rel), float(t_con)

    def probs(self, rel_f, st_f):
        return _sig(_dot(self.w_rel, self.b_rel, rel_f)), _sig(_dot(self.w_st, self.b_st, st_f))

    def decide(self, p_rel, p_con, rationale):
        if p_rel < self.t_rel:
            return NEUTRAL, 1.0 - p_rel, []
        if p_con >= self.t_con:
            return CONTRADICTS, p_rel * p_con, rationale
        return SUPPORTS, p_rel * (1.0 - p_con), rationale

    def judge_all(self, claim, docs, idf=None):
        """docs: [(title, sentences, bm25_score)] in retrieval order (higher bm25 = better)."""
        return [self.decide(*self.probs(rf, sf), p.rationale) for p, rf, sf in features(claim, docs, idf)]


def features(claim, docs, idf=None):
    """(pair, relevance features, stance features) per candidate: what the models read, in training too."""
    pairs = [Pair(claim, t, s, idf) for t, s, _ in docs]
    scores = [d[2] for d in docs]
    top = max(scores) if scores else 0.0
    rel = [relevance_features(p, s, i, top, scores[i + 1] if i + 1 < len(scores) else 0.0)
           for i, (p, s) in enumerate(zip(pairs, scores, strict=True))]
    add_relative(rel, pairs)
    return [(p, rf, stance_features(p)) for p, rf in zip(pairs, rel, strict=True)]


def save(path, w_rel, b_rel, w_st, b_st, t_rel, t_con):
    arrs = {}
    for name, w in (("rel", w_rel), ("st", w_st)):
        w = np.asarray(w, np.float32)
        nz = np.nonzero(w)[0].astype(np.int32)
        arrs[name + "_idx"], arrs[name + "_w"] = nz, w[nz].astype(np.float16)
    np.savez_compressed(path, b=np.array([b_rel, b_st], np.float32), t=np.array([t_rel, t_con], np.float32),
                        dim=np.int64(DIM), **arrs)


def load(path):
    z = np.load(path)
    ws = []
    for name in ("rel", "st"):
        w = np.zeros(int(z["dim"]), np.float32)
        w[z[name + "_idx"]] = z[name + "_w"].astype(np.float32)
        ws.append(w)
    return Model(ws[0], z["b"][0], ws[1], z["b"][1], z["t"][0], z["t"][1])
