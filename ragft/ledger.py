"""The claims ledger: what "RAG vs fine-tuning" articles claim, the experiment in this course that tests each
claim, the measured value, and a verdict at this scale, computed from the results files the notebooks write
(``results/metrics/*.json``).

Verdicts:

- **supported** / **contradicted**: the measurement says so beyond its 95% interval (two rates: Newcombe's interval
  of their difference excludes 0; a paired difference: its bootstrap interval excludes 0; a claimed range: the
  measurement's Wilson interval lies inside it, or wholly outside it). Latencies are single measurements on
  this machine and are compared with the claimed range as they are.
- **inconclusive**: measured, but the interval allows either answer at this sample size.
- **not measurable here**: the course cannot test it at this scale (the reason is given), or the notebook that
  measures it has not run.

``python -m ragft.ledger [results folder]`` prints the ledger of a run.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .stats import format_rate, wilson_interval

VERDICTS = ("supported", "contradicted", "inconclusive", "not measurable here")


class MissingFigure(LookupError):
    """A figure a claim needs is not in the results files (its notebook has not run, or ran an older version)."""


class Results:
    """The headline figures of one run: ``{notebook stem: {name: value}}``, read from ``<folder>/metrics``."""

    def __init__(self, metrics: dict[str, dict]):
        self.metrics = metrics

    @classmethod
    def load(cls, folder: Path | str) -> "Results":
        folder = Path(folder) / "metrics"
        return cls({p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))} if folder.is_dir() else {})

    def value(self, notebook: str, key: str):
        stem = next((s for s in self.metrics if s.startswith(notebook)), None)
        if stem is None:
            raise MissingFigure(f"notebook {notebook} has not run with this results folder")
        if key not in self.metrics[stem]:
            raise MissingFigure(f"notebook {notebook}'s results lack {key!r} (run it again with this version of the course)")
        return self.metrics[stem][key]

    def count(self, notebook: str, key: str) -> tuple[int, int]:
        """A count saved as ``"k/n"``."""
        k, n = str(self.value(notebook, key)).split("/")
        return int(k), int(n)

    def rate_count(self, notebook: str, key: str, n: int) -> tuple[int, int]:
        """A rate saved as a share of ``n`` items, back as ``(k, n)``."""
        return round(float(self.value(notebook, key)) * n), n


def rate_difference(a: tuple[int, int], b: tuple[int, int]) -> tuple[float, float, float]:
    """Rate ``a`` minus rate ``b`` with Newcombe's 95% interval (the hybrid score interval built from the two Wilson
    intervals; Newcombe 1998, method 10)."""
    (ka, na), (kb, nb) = a, b
    pa, pb = ka / na, kb / nb
    (la, ua), (lb, ub) = wilson_interval(ka, na), wilson_interval(kb, nb)
    d = pa - pb
    return d, d - ((pa - la) ** 2 + (ub - pb) ** 2) ** 0.5, d + ((ua - pa) ** 2 + (pb - lb) ** 2) ** 0.5


def higher(a: tuple[int, int], b: tuple[int, int]) -> str:
    """Whether rate ``a`` is higher than rate ``b``: supported when the interval of the difference is above 0,
    contradicted when below, else inconclusive."""
    if not a[1] or not b[1]:
        return "inconclusive"
    return positive(list(rate_difference(a, b)))


def positive(difference: list[float]) -> str:
    """A paired difference ``[mean, lo, hi]``: supported when its interval is above 0, contradicted below."""
    _, lo, hi = difference
    return "supported" if lo > 0 else "contradicted" if hi < 0 else "inconclusive"


def rate_in_range(kn: tuple[int, int], low: float, high: float) -> str:
    """A measured rate against a claimed range: supported when its interval lies inside, contradicted when wholly
    outside, else inconclusive."""
    lo, hi = wilson_interval(*kn)
    if low <= lo and hi <= high:
        return "supported"
    if hi < low or lo > high:
        return "contradicted"
    return "inconclusive"


def value_in_range(value: float, low: float, high: float) -> str:
    return "supported" if low <= value <= high else "contradicted"


def both(*verdicts: str) -> str:
    """All parts must hold for supported; any contradicted part contradicts."""
    if all(v == "supported" for v in verdicts):
        return "supported"
    return "contradicted" if "contradicted" in verdicts else "inconclusive"


@dataclass(frozen=True)
class Claim:
    id: str
    claim: str
    experiment: str
    judge: Callable[[Results], tuple[str, str, str]]  # -> (measured, verdict, why)
    timing: bool = False  # judged on a latency: its verdict may change with the machine, not with the code


def _changing_facts(r: Results) -> tuple[str, str, str]:
    n = int(r.value("08", "held-out questions"))
    ft = r.rate_count("08", "fine-tuned (old facts), asked after the change: stale", n)
    rag = r.rate_count("08", "RAG (base model), asked after the change: stale", n)
    verdict = higher(ft, rag)
    return (f"stale answers after the change: fine-tuned {format_rate(*ft)}, RAG {format_rate(*rag)}", verdict,
            "RAG over the documents in force states fewer old values than a model fine-tuned on them" if verdict == "supported"
            else "the intervals overlap at this sample size")


def _format(r: Results) -> tuple[str, str, str]:
    n = int(r.value("07", "test tickets"))
    lora = r.rate_count("07", "LoRA: schema-valid", n)
    base = r.rate_count("07", "base, zero-shot: schema-valid", n)
    constrained = r.rate_count("07", "base, constrained: schema-valid", n)
    return (f"schema-valid triage JSON: LoRA {format_rate(*lora)}, base zero-shot {format_rate(*base)}, base with constrained "
            f"decoding {format_rate(*constrained)}", higher(lora, base),
            "compared with the base model prompted the same way; constrained decoding is the no-training alternative")


def _facts_unreliable(r: Results) -> tuple[str, str, str]:
    n, epochs = int(r.value("08", "held-out questions")), int(r.value("08", "epochs"))
    learned = r.rate_count("08", f"held-out old value after {epochs} epochs, several wordings", n)
    lo, hi = wilson_interval(*learned)
    verdict = "supported" if hi < 0.9 else "contradicted" if lo >= 0.9 else "inconclusive"
    return (f"held-out questions answered with the trained fact after {epochs} epochs: {format_rate(*learned)}", verdict,
            "reliable taken as at least 90% of held-out wordings")


def _goes_stale(r: Results) -> tuple[str, str, str]:
    n = int(r.value("08", "held-out questions"))
    after = r.rate_count("08", "fine-tuned (old facts), asked after the change: stale", n)
    before = r.rate_count("08", "fine-tuned (old facts), asked before the change: stale", n)
    return (f"fine-tuned model's stale answers: after the change {format_rate(*after)}, before {format_rate(*before)}", higher(after, before),
            "the model keeps stating the values it was trained on once the documents change")


def _retrieval_ms(r: Results) -> tuple[str, str, str]:
    ms = float(r.value("09", "retrieval median ms"))
    return (f"median retrieval (hybrid + date filter, 2 CPU cores): {ms:.0f} ms", value_in_range(ms, 50, 200),
            "one measurement on this machine; a remote vector database adds network time")


def _latency(r: Results) -> tuple[str, str, str]:
    ft = float(r.value("09", "3 triage LoRA alone: median seconds"))
    rag = float(r.value("09", "2 base + RAG: median seconds"))
    return (f"median seconds per answer: fine-tuned alone {ft:.2f} s, base + RAG {rag:.2f} s",
            both(value_in_range(ft * 1000, 200, 500), value_in_range(rag * 1000, 500, 1500)),
            "a 135M model on 2 CPU cores: absolute latencies are about the hardware and answer length, not the method")


def _accuracy(era: str, ft_range: tuple[float, float], rag_range: tuple[float, float]) -> Callable:
    def judge(r: Results) -> tuple[str, str, str]:
        n = int(r.value("08", "held-out questions"))
        ft = r.rate_count("08", f"fine-tuned (old facts), asked {era}: right", n)
        rag = r.rate_count("08", f"RAG (base model), asked {era}: right", n)
        return (f"right answers {era}: fine-tuned {format_rate(*ft)}, RAG {format_rate(*rag)}",
                both(rate_in_range(ft, *ft_range), rate_in_range(rag, *rag_range)),
                "the claimed accuracies are for large models; a 135M model is far below them either way")
    return judge


def _chunking(r: Results) -> tuple[str, str, str]:
    passage = r.value("02", "test passage nDCG@10 difference, chosen minus fixed words (01)")
    document = r.value("02", "test nDCG@10 difference, chosen minus fixed words (01)")
    chosen = r.value("02", "chosen chunking")
    return (f"test passage nDCG@10, {chosen} minus fixed-size words: {passage[0]:+.3f} [{passage[1]:+.3f}, {passage[2]:+.3f}]; "
            f"document nDCG@10: {document[0]:+.3f} [{document[1]:+.3f}, {document[2]:+.3f}]", positive(passage),
            "judged on whether the right passage is found; at document level the difference is "
            + ("also clear" if positive(document) == "supported" else "not separable"))


def _hybrid(r: Results) -> tuple[str, str, str]:
    d = r.value("05", "test nDCG@10 difference, hybrid minus best chunking")
    return (f"test nDCG@10, hybrid (BM25 + dense, RRF) minus dense: {d[0]:+.3f} [{d[1]:+.3f}, {d[2]:+.3f}]", positive(d),
            "on 252 test questions over the same chunks")


def _reranking(r: Results) -> tuple[str, str, str]:
    depth = int(r.value("03", "rerank depth"))
    if depth == 0:
        return ("rerank depth chosen on dev: 0", "not measurable here",
                "the cross-encoder the course trains offline (from MiniLM on a few hundred ticket pairs) lowered dev nDCG, so "
                "notebook 03 chose not to rerank; the pretrained MS MARCO cross-encoder needs the model hub (t4 profile)")
    d = r.value("05", "test nDCG@10 difference, hybrid + rerank minus hybrid")
    return (f"test nDCG@10, + rerank minus hybrid: {d[0]:+.3f} [{d[1]:+.3f}, {d[2]:+.3f}]", positive(d), f"rerank depth {depth}")


def _filters(r: Results) -> tuple[str, str, str]:
    n = int(r.value("05", "test as_of_date questions"))
    before = r.rate_count("05", "test right version@1, hybrid + rerank", n)
    after = r.rate_count("05", "test right version@1, + date filter", n)
    return (f"right document version ranked first on test as_of_date questions: with the date filter {format_rate(*after)}, "
            f"without {format_rate(*before)}", higher(after, before), "the filter keeps only versions in force on the question's date")


def _lost_in_the_middle(r: Results) -> tuple[str, str, str]:
    rates = {k: float(v) for k, v in r.metrics.get(next((s for s in r.metrics if s.startswith("03")), ""), {}).items()
             if k.startswith("lost in the middle")}
    if not rates:
        raise MissingFigure("notebook 03 has not run with this results folder")
    best = max(rates.values())
    if best < 0.25:
        return (f"correct answers with the gold chunk first, middle or last: at most {best:.0%} in any position",
                "not measurable here", "the 135M model answers too few of these questions in any position for the "
                "position to show; the t4 profile's larger model can")
    first = max(v for k, v in rates.items() if "first" in k)
    middle = min(v for k, v in rates.items() if "middle" in k)
    return (f"gold first {first:.2f}, gold in the middle {middle:.2f}", "inconclusive", "notebook 03 saves rates without counts")


def _forgetting(r: Results) -> tuple[str, str, str]:
    known, epochs = int(r.value("08", "general known before")), int(r.value("08", "epochs"))
    first = r.rate_count("08", "forgetting rate after 1 epochs", known)
    last = r.rate_count("08", f"forgetting rate after {epochs} epochs", known)
    return (f"general questions the base model knew, forgotten: after 1 epoch {format_rate(*first)}, after {epochs} {format_rate(*last)}",
            higher(last, first), "forgetting measured on held-out general questions; overfitting (validation loss rising "
            "while training loss falls) is plotted in notebooks 07 and 08")


def _shorter_prompts(r: Results) -> tuple[str, str, str]:
    n = int(r.value("07", "test tickets"))
    short, long_ = float(r.value("07", "LoRA, short prompt: prompt tokens")), float(r.value("07", "base, few-shot: prompt tokens"))
    lora = r.rate_count("07", "LoRA, short prompt: schema-valid", n)
    base = r.rate_count("07", "base, few-shot: schema-valid", n)
    verdict = "supported" if short < long_ and higher(lora, base) == "supported" else (
        "contradicted" if short >= long_ or higher(lora, base) == "contradicted" else "inconclusive")
    return (f"prompt tokens: fine-tuned with a one-line prompt {short:.0f}, base few-shot {long_:.0f}; schema-valid "
            f"{format_rate(*lora)} vs {format_rate(*base)}", verdict, "shorter only counts if the format holds at least as well")


def _data_size(r: Results) -> tuple[str, str, str]:
    n = int(r.value("07", "training tickets"))
    return (f"one training size in the default profile: {n} tickets", "not measurable here",
            "a learning curve needs several trainings at 50, 100, 500+ examples; on 2 CPU cores one epoch of all 548 "
            "tickets takes about 35 minutes, so it belongs to the t4 profile")


def _hybrid_beats_both(r: Results) -> tuple[str, str, str]:
    raft = r.count("09", "5 RAFT + RAG: contains")
    rag = r.count("09", "2 base + RAG: contains")
    ft = r.count("09", "3 triage LoRA alone: contains")
    best_name, best = max((("base + RAG", rag), ("fine-tuned alone", ft)), key=lambda x: x[1][0] / max(x[1][1], 1))
    return (f"answers containing the gold value: RAFT + RAG {format_rate(*raft)}, base + RAG {format_rate(*rag)}, fine-tuned alone {format_rate(*ft)}",
            higher(raft, best), f"against the better of the two ({best_name})")


CLAIMS: tuple[Claim, ...] = (
    Claim("rag-for-changing-facts", "RAG keeps answers right when facts change; fine-tuning does not", "08: same questions after the facts changed", _changing_facts),
    Claim("fine-tuning-for-format", "Fine-tuning teaches a model an output format", "07: triage JSON, LoRA vs base", _format),
    Claim("fine-tuning-does-not-learn-facts", "Fine-tuning does not reliably teach facts", "08: facts trained in, asked in new wordings", _facts_unreliable),
    Claim("fine-tuned-facts-go-stale", "Facts fine-tuned in go stale when they change", "08: before vs after the change", _goes_stale),
    Claim("retrieval-adds-50-200-ms", "Retrieval adds 50-200 ms per query", "09: timed retrieval of every test question", _retrieval_ms,
          timing=True),
    Claim("latency-ft-200-500-rag-500-1500", "Fine-tuned models answer in 200-500 ms, RAG in 500-1500 ms", "09: per-answer latency", _latency,
          timing=True),
    Claim("static-accuracy-ft-90-95-rag-85-92", "On static facts fine-tuning reaches 90-95%, RAG 85-92%", "08: asked before the change",
          _accuracy("before the change", (0.90, 0.95), (0.85, 0.92))),
    Claim("changing-accuracy-ft-60-70-rag-90-95", "On changing facts fine-tuning reaches 60-70%, RAG 90-95%", "08: asked after the change",
          _accuracy("after the change", (0.60, 0.70), (0.90, 0.95))),
    Claim("fixed-size-chunking-is-a-bottleneck", "Fixed-size chunking is a bottleneck", "02: chunkers on test", _chunking),
    Claim("hybrid-search-raises-quality", "Hybrid search (keywords + vectors) raises retrieval quality", "05: pipelines on test", _hybrid),
    Claim("reranking-raises-quality", "Reranking raises retrieval quality", "03 and 05: reranker depth and effect", _reranking),
    Claim("metadata-filters-stop-stale-documents", "Metadata filters stop stale documents", "05: right version first, with and without the date filter", _filters),
    Claim("lost-in-the-middle", "Models miss facts in the middle of a long context; reordering fixes it", "03: gold chunk position", _lost_in_the_middle),
    Claim("forgetting-grows-with-epochs", "Fine-tuning causes catastrophic forgetting, growing with epochs", "08: general questions after 1-5 epochs", _forgetting),
    Claim("fine-tuning-shortens-prompts", "Fine-tuning shortens prompts", "07: prompt tokens and format", _shorter_prompts),
    Claim("under-50-use-rag-500-fine-tune", "Under about 50 examples use RAG; with 500+ fine-tuning works well", "07: training size", _data_size),
    Claim("hybrid-beats-either", "RAG plus fine-tuning beats either alone", "09: the ladder", _hybrid_beats_both),
)


def build_ledger(results: Results) -> list[dict]:
    """One row per claim: id, claim, experiment, measured, verdict, why."""
    rows = []
    for claim in CLAIMS:
        try:
            measured, verdict, why = claim.judge(results)
        except MissingFigure as missing:
            measured, verdict, why = "-", "not measurable here", str(missing)
        assert verdict in VERDICTS, (claim.id, verdict)
        rows.append({"id": claim.id, "claim": claim.claim, "experiment": claim.experiment, "measured": measured,
                     "verdict": verdict, "why": why, "timing": claim.timing})
    return rows


def ledger_markdown(rows: list[dict]) -> str:
    lines = ["| claim | experiment | measured | verdict | why |", "|---|---|---|---|---|"]
    lines += [f"| {r['claim']} | {r['experiment']} | {r['measured']} | **{r['verdict']}** | {r['why']} |" for r in rows]
    return "\n".join(lines)


def write_ledger(folder: Path | str) -> list[dict]:
    """Build the ledger from ``<folder>/metrics`` and write ``claims_ledger.md`` and ``claims_ledger.json`` there."""
    folder = Path(folder)
    rows = build_ledger(Results.load(folder))
    (folder / "claims_ledger.json").write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
    (folder / "claims_ledger.md").write_text(ledger_markdown(rows) + "\n")
    return rows


if __name__ == "__main__":
    from .paths import results_dir

    print(ledger_markdown(build_ledger(Results.load(sys.argv[1] if len(sys.argv) > 1 else results_dir()))))
