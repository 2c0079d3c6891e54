"""Whole process against whole process: the commands users wait for, with the reference tools, in one run.

Usage: python benchmarks/bench_commands.py [--repeat 3] [--only compare,breakdown,startup,info,profile] [--big]

Every figure is the median wall time (and CPU time, user + system) of ``--repeat`` runs of a fresh process
(interleaved with its reference, so both see the same machine load) and its peak resident memory
(``ru_maxrss`` of the child, from GNU ``/usr/bin/time``); ratios are computed from figures of this run only.
secretome's commands run with a cache folder of their own (``XDG_CACHE_HOME``, see ``secretome.kb.cache``),
filled by one untimed run first; that first run (a user's first command after installing) is reported apart.
Cases:

* ``compare``: ``secretome compare`` of a generic wide table (8,000 proteins x 24 and x 200 samples,
  two groups, 15% intensity-dependent gaps, real gene symbols so that enrichment has work) against an
  ``Rscript`` doing the same steps: read, filter >= 2 valid values in a group, log2, median normalise,
  lmFit, eBayes, topTable, write (``--no-enrichment``), and for the default ``compare`` also its gene-set
  enrichment over the same sets (:data:`R_ENRICHMENT`, whose table is checked against secretome's);
  and against AlphaPeptStats' t-test path when ``alphastats`` is importable from the venv
  ``benchmarks/.cache/alphastats-venv`` (``python -m venv ... && .../pip install alphastats``); then where
  the time of ``compare`` goes, stage by stage, in one fresh process (``--only breakdown``).
* ``startup``: ``secretome --version`` against ``python -c "import numpy"`` (and ``python -c pass``).
* ``info``: ``secretome info`` on a small file (500 proteins x 6 samples).
* ``profile``: ``secretome profile`` of 50 x 3,000 and (with ``--big``) 1,000 x 20,000, with peak memory
  against the dense float64 matrix.

Goals (issue 14) are printed with "met" or "NOT met". Inputs are cached in ``benchmarks/.cache``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
BIN = Path(sys.executable).parent
SECRETOME = [str(BIN / "secretome")] if (BIN / "secretome").exists() else [sys.executable, "-m", "secretome"]
ALPHASTATS_PYTHON = CACHE / "alphastats-venv" / "bin" / "python"
TIME = shutil.which("time", path="/usr/bin:/bin") or "/usr/bin/time"  # GNU time, for the peak memory

R_COMPARE = r"""
args <- commandArgs(trailingOnly = TRUE)
suppressPackageStartupMessages(library(limma))
data <- read.delim(args[1], check.names = FALSE)
sheet <- read.delim(args[2])
values <- as.matrix(data[, sheet$sample])
rownames(values) <- data[[1]]
values[values == 0] <- NA
group <- factor(sheet$condition, levels = c("control", "treated"))
valid <- sapply(levels(group), function(g) rowSums(!is.na(values[, group == g, drop = FALSE])))
keep <- apply(valid >= 2, 1, any)
expr <- log2(values[keep, ])
medians <- apply(expr, 2, median, na.rm = TRUE)
expr <- sweep(expr, 2, medians) + median(medians)
design <- model.matrix(~ group)
fit <- eBayes(lmFit(expr, design))
top <- topTable(fit, coef = 2, number = Inf, sort.by = "p")
top <- data.frame(protein = rownames(top), gene = toupper(data[[2]][match(rownames(top), data[[1]])]), top)
write.table(top, args[3], sep = "\t", quote = FALSE, row.names = FALSE)
"""

R_ENRICHMENT = r"""
# Enrichment as secretome's compare does it: hypergeometric tests of the up and down hits (adj. p < 0.05)
# against the tested proteins' genes, and a Wilcoxon rank-sum test of the moderated t, over the same sets.
# The sets as one entry per (set, gene), ordered by set and then gene (as bytes): list(names, set, gene factor).
sets <- readRDS(args[4])
genes <- top$gene[!is.na(top$gene) & top$gene != ""]
background <- unique(genes)
inside <- (levels(sets$gene) %in% background)[as.integer(sets$gene)]
entry_set <- sets$set[inside]; entry_gene <- as.character(sets$gene[inside])
set_names <- sets$names
n_sets <- length(set_names)
size <- tabulate(entry_set, n_sets)
members <- function(flag, chosen) {
  lists <- split(entry_gene[flag], factor(entry_set[flag], levels = chosen))
  vapply(lists, paste, "", collapse = ";")  # entries are in gene order within each set
}
significant <- top$adj.P.Val < 0.05 & !is.na(top$gene) & top$gene != ""
tables <- list()
for (direction in c("up", "down")) {
  hits <- unique(top$gene[significant & (if (direction == "up") top$logFC > 0 else top$logFC < 0)])
  hit <- entry_gene %in% hits
  overlap <- tabulate(entry_set[hit], n_sets)
  tested <- which(size >= 5 & size <= 500)
  N <- length(background); n <- length(hits); K <- size[tested]; k <- overlap[tested]
  p <- phyper(k - 1, K, N - K, n, lower.tail = FALSE)
  adj <- p.adjust(p, "BH")
  listed <- tested[k > 0]
  result <- data.frame(test = "hypergeometric", direction = direction, set = set_names[listed],
                       size_in_background = size[listed], overlap = overlap[listed], n_hits = n,
                       background_size = N, expected = n * size[listed] / N,
                       p_value = p[k > 0], adj_p_value = adj[k > 0], genes = members(hit, listed))
  tables[[direction]] <- result[order(result$p_value, result$set, method = "radix"), ]
}
t_by_gene <- top$t[!is.na(top$gene) & top$gene != ""]
best <- !duplicated(genes[order(-abs(t_by_gene))])
scores <- setNames(t_by_gene[order(-abs(t_by_gene))][best], genes[order(-abs(t_by_gene))][best])
total <- length(scores)
ranks <- rank(scores)
ties <- table(scores)
tie_term <- sum(ties^3 - ties)
where <- match(entry_gene, names(scores))
ranked <- !is.na(where)
n_in <- tabulate(entry_set[ranked], n_sets)
sums <- rowsum(ranks[where[ranked]], entry_set[ranked])
rank_sum <- numeric(n_sets)
rank_sum[as.integer(rownames(sums))] <- sums[, 1]
tested <- which(n_in >= 5 & n_in <= 500 & n_in != total)
m <- n_in[tested]; u <- rank_sum[tested] - m * (m + 1) / 2
sd_u <- sqrt(m * (total - m) / 12 * ((total + 1) - tie_term / (total * (total - 1))))
z <- pmax((abs(u - m * (total - m) / 2) - 0.5) / sd_u, 0)
p <- pmin(1, 2 * pnorm(-z))
auc <- u / (m * (total - m))
direction <- ifelse(auc > 0.5, "up", ifelse(auc < 0.5, "down", "none"))
hits_up <- unique(top$gene[significant & top$logFC > 0]); hits_down <- unique(top$gene[significant & top$logFC < 0])
leading <- rep("", length(tested))
for (side in c("up", "down")) {
  chosen <- direction == side
  if (any(chosen)) leading[chosen] <- members(entry_gene %in% (if (side == "up") hits_up else hits_down), tested[chosen])
}
rank_table <- data.frame(test = "wilcoxon_rank_sum", direction = direction, set = set_names[tested],
                         size_in_background = m, overlap = m, auc = auc, p_value = p,
                         adj_p_value = p.adjust(p, "BH"), genes = leading)
tables$rank <- rank_table[order(rank_table$p_value, rank_table$set, method = "radix"), ]
columns <- c("test", "direction", "set", "size_in_background", "overlap", "n_hits", "background_size",
             "expected", "auc", "p_value", "adj_p_value", "genes")
tidy <- do.call(rbind, lapply(tables, function(t) { t[setdiff(columns, names(t))] <- NA; t[columns] }))
write.table(tidy, args[5], sep = "\t", quote = FALSE, row.names = FALSE, na = "")
"""
"""What ``secretome compare`` adds to the limma steps by default, written as an R user would write it fast: the
same sets (one RDS of entries, ordered by set and gene, as secretome's on-disk set index), hypergeometric tests of
the up and down hits by one ``phyper`` call each, the Wilcoxon rank-sum test of the moderated t by one ``rowsum``,
BH per test; its table is checked against secretome's (same sets, genes and p-values) in every run."""

ALPHASTATS_TTEST = r"""
import sys, warnings
warnings.simplefilter("ignore")
import pandas as pd
from alphastats.loader.generic_loader import GenericLoader
from alphastats.dataset.dataset import DataSet
data, sheet, out = sys.argv[1:4]
columns = list(pd.read_csv(sheet, sep="\t")["sample"])
loader = GenericLoader(file=data, intensity_column=columns, index_column="Protein IDs", sep="\t")
dataset = DataSet(loader=loader, metadata_path_or_df=sheet, sample_column="sample")
# AlphaPeptStats has no median normalisation ("zscore", "quantile", "linear", "vst"): its t-test path is
# zeros to missing, log2, the welch/student t-test per protein with its own multiple-testing correction.
dataset.preprocess(log2_transform=True, replace_zeroes=True)
result = dataset.diff_expression_analysis(method="ttest", column="condition", group1="treated", group2="control")
result.to_csv(out, sep="\t", index=False)
"""


# ------------------------------------------------------------------------------------------- running
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
"""The environment of every measured process (``XDG_CACHE_HOME`` set to the run's own cache folder in :func:`main`).
``PYTHONDONTWRITEBYTECODE`` is dropped and the package byte-compiled first (:func:`compile_package`): an
installed package has its ``.pyc`` files, and without them every process compiles secretome's modules again
(~0.1 s of each command, which is not what users wait for)."""


def compile_package() -> None:
    """Byte-compile secretome's modules (``compileall``) as ``pip install`` does, so no measured run compiles them."""
    import secretome

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(secretome.__file__).parent)], env=ENV,
                   stdout=subprocess.DEVNULL, check=True)


def measure(command: list[str], cwd: Path | None = None) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one fresh process; raises with its
    stderr if it fails.

    The peak comes from GNU time (``/usr/bin/time -f %M``) wrapping the command: a child forked from this
    (large) Python process would otherwise report the parent's pages in its ``ru_maxrss``."""
    with tempfile.TemporaryDirectory() as tmp:
        report, err = Path(tmp) / "time.txt", Path(tmp) / "stderr.txt"
        with err.open("wb") as handle:
            start = time.perf_counter()
            status = subprocess.run([TIME, "-f", "%M %U %S", "-o", str(report), *command], stdout=subprocess.DEVNULL,
                                    stderr=handle, cwd=cwd, env=ENV).returncode
            wall = time.perf_counter() - start
        if status != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({status}):\n{err.read_text(errors='replace')[-3000:]}")
        peak_kib, user, system = (float(value) for value in report.read_text().split()[-3:])
    return wall, user + system, peak_kib / 1024.0


def paired(commands: dict[str, list[str] | None], repeat: int, before=None) -> dict[str, tuple[float, float, float]]:
    """Median wall time, median CPU time and max peak RSS per named command, runs interleaved (None: skipped)."""
    walls: dict[str, list[float]] = {name: [] for name, command in commands.items() if command}
    cpus: dict[str, list[float]] = {name: [] for name in walls}
    peaks: dict[str, list[float]] = {name: [] for name in walls}
    for _ in range(repeat):
        for name in walls:
            if before is not None:
                before(name)
            wall, cpu, peak = measure(commands[name])
            walls[name].append(wall)
            cpus[name].append(cpu)
            peaks[name].append(peak)
    return {name: (statistics.median(walls[name]), statistics.median(cpus[name]), max(peaks[name])) for name in walls}


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def cli_has(flag: str, command: str) -> bool:
    help_text = subprocess.run([*SECRETOME, command, "--help"], capture_output=True, text=True).stdout
    return flag in help_text


# -------------------------------------------------------------------------------------------- inputs
def human_identities(n: int, seed: int = 0) -> pd.DataFrame:
    """Accessions and gene symbols of ``n`` human reviewed knowledge-base entries (real genes)."""
    from secretome.kb import load_kb

    table = load_kb().table
    human = table[(table["species"] == "HUMAN") & table["reviewed"].astype(bool) & (table["gene"] != "")]
    return human.sample(n, random_state=seed, replace=n > len(human)).reset_index(drop=True)


def write_wide(path: Path, n_proteins: int, n_samples: int, seed: int = 0, effects: bool = True) -> Path:
    """A generic wide TSV (``Protein IDs``, ``Gene names``, one linear column per sample, 0 = missing)
    and its sample sheet ``<stem>.samples.tsv`` (``sample``, ``condition``: control/treated alternating)."""
    sheet = path.with_suffix(".samples.tsv")
    if path.exists() and sheet.exists():
        return path
    rng = np.random.default_rng(seed)
    ids = human_identities(n_proteins, seed)
    log2 = rng.normal(24, 2, n_proteins)[:, None] + rng.normal(0, 0.4, (n_proteins, n_samples))
    treated = np.arange(n_samples) % 2 == 1
    if effects:
        log2[: n_proteins // 10][:, treated] += rng.choice([-1.0, 1.0], n_proteins // 10)[:, None]
    chance = 0.3 / (1 + np.exp((log2 - 22) * 1.5))
    values = np.round(np.exp2(log2), 1)
    values[rng.random(values.shape) < chance] = 0.0
    names = [f"S{j + 1:04d}" for j in range(n_samples)]
    frame = pd.DataFrame(values, columns=names)
    accessions = ids["accession"].to_numpy()
    if len(set(accessions)) < n_proteins:  # more rows than entries: make each identifier unique
        accessions = [f"{a}-{i // len(ids) + 1}" if i >= len(ids) else a for i, a in enumerate(accessions)]
    frame.insert(0, "Gene names", ids["gene"].to_numpy())
    frame.insert(0, "Protein IDs", accessions)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, sep="\t", index=False)
    pd.DataFrame({"sample": names, "condition": np.where(treated, "treated", "control")}).to_csv(sheet, sep="\t", index=False)
    return path


def write_set_index_rds(path: Path) -> Path:
    """secretome's gene-set index (the sets ``compare`` tests) as the RDS :data:`R_ENRICHMENT` reads: one entry
    per (set, gene), ordered by set and gene, as R's ``list(names, set, gene factor)``. Written once per run, not timed."""
    from secretome.stats.enrichment import set_index

    index = set_index(None)
    entries = path.with_suffix(".tsv")
    pd.DataFrame({"set": index.set_of + 1, "gene": index.genes[index.gene_of]}).to_csv(entries, sep="\t", index=False)
    pd.DataFrame({"name": index.names}).to_csv(path.with_suffix(".names.tsv"), sep="\t", index=False)
    script = (f'x <- read.delim("{entries}", stringsAsFactors = FALSE, quote = ""); '
              f'names <- read.delim("{path.with_suffix(".names.tsv")}", stringsAsFactors = FALSE, quote = "")$name; '
              'saveRDS(list(names = names, set = x$set, gene = factor(x$gene, levels = sort(unique(x$gene), method = "radix"))), '
              f'"{path}")')
    subprocess.run([shutil.which("Rscript"), "-e", script], check=True, capture_output=True)
    return path


def same_enrichment(secretome_out: Path, r_table: Path) -> str:
    """Whether R's enrichment table (:data:`R_ENRICHMENT`) holds secretome's rows: same tests, sets and genes in the
    same order, counts equal and p-values within 1e-9 (relative)."""
    ours = pd.read_csv(next(secretome_out.glob("enrichment_*.tsv")), sep="\t", keep_default_na=False)
    theirs = pd.read_csv(r_table, sep="\t", keep_default_na=False)
    if ours.shape[0] != theirs.shape[0]:
        return f"DIFFERENT ({ours.shape[0]} rows against {theirs.shape[0]})"
    text = [column for column in ("test", "direction", "set", "genes") if not (ours[column].astype(str) == theirs[column].astype(str)).all()]
    counts = [column for column in ("size_in_background", "overlap") if not (ours[column] == theirs[column]).all()]
    worst = max(float(np.nanmax(np.abs(pd.to_numeric(ours[c], errors="coerce") - pd.to_numeric(theirs[c], errors="coerce"))
                                / np.maximum(np.abs(pd.to_numeric(ours[c], errors="coerce")), 1e-300))) for c in ("p_value", "adj_p_value"))
    if text or counts or worst > 1e-9:
        return f"DIFFERENT (columns {text + counts}, largest relative p-value difference {worst:.1e})"
    return f"same {ours.shape[0]} rows (tests, sets, genes, counts; p-values within {worst:.0e} relative)"


# -------------------------------------------------------------------------------------------- cases
def bench_compare(repeat: int, work: Path) -> list[tuple[str, bool]]:
    goals = []
    rscript = shutil.which("Rscript")
    r_file, r_enrich_file = work / "compare.R", work / "compare_enrichment.R"
    r_file.write_text(R_COMPARE)
    r_enrich_file.write_text(R_COMPARE + R_ENRICHMENT)
    r_sets = write_set_index_rds(work / "sets.rds") if rscript else None
    alpha_file = work / "alphastats_ttest.py"
    alpha_file.write_text(ALPHASTATS_TTEST)
    has_alpha = ALPHASTATS_PYTHON.exists() and subprocess.run(
        [str(ALPHASTATS_PYTHON), "-c", "import alphastats"], capture_output=True).returncode == 0
    if not has_alpha:
        print("  AlphaPeptStats: skipped (no importable alphastats in benchmarks/.cache/alphastats-venv)")
    no_enrichment = cli_has("--no-enrichment", "compare")
    if not no_enrichment:
        print("  secretome compare --no-enrichment: skipped (this CLI has no such flag)")
    for n_samples in (24, 200):
        data = write_wide(CACHE / f"compare_8000x{n_samples}.tsv", 8000, n_samples)
        sheet = data.with_suffix(".samples.tsv")
        base = [*SECRETOME, "compare", str(data), "--samples", str(sheet), "--design", "~ condition",
                "--contrast", "treated-control", "--normalize", "median", "--impute", "none", "--min-valid", "2"]
        out = work / f"out{n_samples}"
        commands = {
            "secretome compare": [*base, "--out", str(out / "with")],
            "secretome compare --no-enrichment": [*base, "--no-enrichment", "--out", str(out / "without")] if no_enrichment else None,
            "Rscript (limma)": [rscript, str(r_file), str(data), str(sheet), str(work / "r_top.tsv")] if rscript else None,
            "Rscript (limma + enrichment)": [rscript, str(r_enrich_file), str(data), str(sheet), str(work / "r_top.tsv"),
                                             str(r_sets), str(work / "r_enrichment.tsv")] if rscript else None,
            "AlphaPeptStats t-test": [str(ALPHASTATS_PYTHON), str(alpha_file), str(data), str(sheet), str(work / "a.tsv")] if has_alpha else None,
        }

        def clean(name: str) -> None:
            shutil.rmtree(out, ignore_errors=True)

        print(f"\ncompare, 8,000 proteins x {n_samples} samples (median of {repeat}; wall, CPU, peak memory):")
        cold = work / "cold-cache"
        shutil.rmtree(cold, ignore_errors=True)
        ENV["XDG_CACHE_HOME"] = str(cold)
        wall, cpu, peak = measure(commands["secretome compare"])
        print(f"  {'first run (empty cache)':36s} {wall:7.2f} s {cpu:7.2f} s {peak:7.0f} MiB")
        ENV["XDG_CACHE_HOME"] = str(work / "cache")
        compile_package()
        clean("")
        measure(commands["secretome compare"])  # fills the run's cache; not timed
        results = paired(commands, repeat, before=clean)
        for name, (wall, cpu, peak) in results.items():
            print(f"  {name:36s} {wall:7.2f} s {cpu:7.2f} s {peak:7.0f} MiB")
        if "Rscript (limma)" in results:
            limit = 1.0 if n_samples == 24 else 0.5
            same_steps = {"secretome compare": "Rscript (limma + enrichment)",
                          "secretome compare --no-enrichment": "Rscript (limma)"}
            for name, r_name in same_steps.items():
                if name in results:
                    ratio = results[name][0] / results[r_name][0]
                    cpu_ratio = results[name][1] / results[r_name][1]
                    print(f"  {name} / {r_name}: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU (goal <= {limit:g}x: "
                          f"{verdict(ratio <= limit)} by wall, {verdict(cpu_ratio <= limit)} by CPU)")
                    label = f"compare 8000x{n_samples} {'--no-enrichment' if 'no-' in name else 'default'} vs the same steps in R <= {limit:g}x"
                    goals += [(f"{label} (wall)", ratio <= limit), (f"{label} (CPU)", cpu_ratio <= limit)]
            ratio = results["secretome compare"][0] / results["Rscript (limma)"][0]
            print(f"  secretome compare / Rscript (limma): {ratio:.2f}x wall (not the same steps: the R script "
                  "tests no gene set; for comparison with earlier runs)")
            measure(commands["secretome compare"])  # the outputs of one run, to check R did the same work
            print(f"  R's enrichment table against secretome's: {same_enrichment(out / 'with', work / 'r_enrichment.tsv')}")
        else:
            print("  Rscript: skipped (no Rscript on PATH)")
        if "AlphaPeptStats t-test" in results:
            a_wall, a_cpu = results["AlphaPeptStats t-test"][:2]
            for name in ("secretome compare", "secretome compare --no-enrichment"):
                if name in results:
                    speedup, cpu_speedup = a_wall / results[name][0], a_cpu / results[name][1]
                    print(f"  AlphaPeptStats / {name}: {speedup:.1f}x wall, {cpu_speedup:.1f}x CPU (goal >= 10x: "
                          f"{verdict(speedup >= 10)} by wall, {verdict(cpu_speedup >= 10)} by CPU)")
                    goals += [(f"compare 8000x{n_samples} {name} >= 10x AlphaPeptStats (wall)", speedup >= 10),
                              (f"compare 8000x{n_samples} {name} >= 10x AlphaPeptStats (CPU)", cpu_speedup >= 10)]
    return goals


BREAKDOWN = r"""
import sys, time
clock = [time.process_time(), time.perf_counter()]
def lap(name):
    cpu, wall = time.process_time(), time.perf_counter()
    print(f"  {name:48s} {cpu - clock[0]:6.3f} s CPU {wall - clock[1]:6.3f} s wall")
    clock[:] = [cpu, wall]
from secretome.jobs.compare import compare_job  # what the CLI imports first (job layer, anndata, pandas, numpy)
import secretome.cli, secretome.stats.compare, secretome.summary, secretome.report.plots, jinja2
lap("imports (cli, job layer, engine, report)")
from pathlib import Path
from secretome.jobs.common import read_input, results_tsv, write_directory
data, sheet, out = sys.argv[1:4]
adata, _ = read_input(data, sheet); lap("read (generic wide TSV + sheet)")
from secretome.kb.store import load_kb
load_kb(); lap("knowledge base (from the on-disk cache)")
from secretome.annotate import annotate
adata = annotate(adata); lap("annotate (resolve identifiers)")
from secretome.jobs.analyses import ContrastOptions, differential_analysis, differential_files
result = differential_analysis(adata, ContrastOptions(design="~ condition", contrast="treated-control", enrichment=False))
lap("filter, log2, median, lmFit, eBayes, topTable")
from secretome.stats.enrichment import enrich_contrast, set_index
set_index(None); lap("gene-set index (from the on-disk cache)")
enrich_contrast(result.table); lap("enrichment: 2 hypergeometric + 1 rank test")
result = differential_analysis(adata, ContrastOptions(design="~ condition", contrast="treated-control"))
clock[:] = [time.process_time(), time.perf_counter()]  # the run above made the tables to write; not timed
files = differential_files(result); lap("two TSV texts (differential, enrichment)")
print("  " + ", ".join(f"{name} {len(text) / 1e6:.2f} MB" for name, text in files.items()))
from secretome.summary import page_summary
summary = page_summary(adata, "compare", result.entry); lap("page summary")
from secretome.report.plots import all_figures
all_figures(summary, "compare"); lap("volcano figure (first: plotly's lazy imports)")
from secretome.report import render_report
page = render_report(summary); lap("page (template, figures, plotly.js inlined)")
write_directory(Path(out), {**files, "report.html": page}, kind="compare", inputs={"input": data}); lap("atomic write")
print("  scipy.stats imported:", "scipy.stats" in sys.modules)
"""


def bench_breakdown(work: Path, n_samples: int = 24) -> list[tuple[str, bool]]:
    """Where the time of ``compare`` at 8,000 x ``n_samples`` goes, stage by stage, in one fresh process (cache filled)."""
    data = write_wide(CACHE / f"compare_8000x{n_samples}.tsv", 8000, n_samples)
    script = work / "breakdown.py"
    script.write_text(BREAKDOWN)
    ENV.setdefault("XDG_CACHE_HOME", str(work / "cache"))
    command = [sys.executable, str(script), str(data), str(data.with_suffix(".samples.tsv")), str(work / "breakdown-out")]
    shutil.rmtree(work / "breakdown-out", ignore_errors=True)
    subprocess.run(command, env=ENV, capture_output=True)  # fills the cache
    shutil.rmtree(work / "breakdown-out", ignore_errors=True)
    print(f"\ncompare 8,000 x {n_samples} stage by stage (one fresh process; the pipeline of secretome.jobs.compare_job):")
    run = subprocess.run(command, env=ENV, capture_output=True, text=True)
    print(run.stdout.rstrip() if run.returncode == 0 else run.stderr[-2000:])
    return []


def bench_startup(repeat: int, work: Path) -> list[tuple[str, bool]]:
    small = write_wide(CACHE / "info_500x6.tsv", 500, 6)
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        'python -c "import numpy"': [sys.executable, "-c", "import numpy"],
        "secretome --version": [*SECRETOME, "--version"],
        "secretome --help": [*SECRETOME, "--help"],
        "secretome info (500 x 6)": [*SECRETOME, "info", str(small)],
    }
    results = paired(commands, max(repeat, 5))
    print(f"\nstart-up (median of {max(repeat, 5)}):")
    for name, (wall, cpu, peak) in results.items():
        print(f"  {name:36s} {wall:7.3f} s {cpu:7.3f} s {peak:7.0f} MiB")
    numpy_wall = results['python -c "import numpy"'][0]
    ratio = results["secretome --version"][0] / numpy_wall
    help_ratio = results["secretome --help"][0] / numpy_wall
    info = results["secretome info (500 x 6)"][0]
    print(f"  --version / import numpy: {ratio:.1f}x (goal <= 2x: {verdict(ratio <= 2)})")
    print(f"  --help / import numpy: {help_ratio:.1f}x (goal <= 2x: {verdict(help_ratio <= 2)})")
    print(f"  info on a small file: {info:.2f} s, {info / numpy_wall:.1f}x import numpy "
          f"(goal <= 0.5 s on a quiet machine: {verdict(info <= 0.5)})")
    return [("--version <= 2x import numpy", ratio <= 2), ("--help <= 2x import numpy", help_ratio <= 2),
            ("info small file <= 0.5 s", info <= 0.5)]


def bench_profile(repeat: int, work: Path, big: bool) -> list[tuple[str, bool]]:
    goals = []
    cases = [(50, 3000, 1.5)] + ([(1000, 20000, 10.0)] if big else [])
    if not big:
        print("\nprofile 1,000 x 20,000: skipped (pass --big; writing its 200 MB input takes about a minute)")
    for n_samples, n_proteins, limit in cases:
        data = write_wide(CACHE / f"profile_{n_proteins}x{n_samples}.tsv", n_proteins, n_samples, effects=False)
        out = work / f"profile{n_samples}"
        runs = 1 if n_samples >= 1000 else repeat
        subprocess.run([*SECRETOME, "profile", str(data), "--out", str(out)], env=ENV, capture_output=True)  # fills the cache
        shutil.rmtree(out, ignore_errors=True)
        results = paired({"profile": [*SECRETOME, "profile", str(data), "--out", str(out)]}, runs,
                         before=lambda name: shutil.rmtree(out, ignore_errors=True))
        wall, _, peak = results["profile"]
        dense = n_samples * n_proteins * 8 / 2**20
        print(f"\nprofile {n_samples} x {n_proteins:,} (median of {runs}): {wall:.2f} s, peak {peak:.0f} MiB "
              f"= {peak / dense:.1f}x the dense matrix ({dense:.0f} MiB)")
        print(f"  time goal < {limit:g} s: {verdict(wall < limit)}")
        goals.append((f"profile {n_samples}x{n_proteins} < {limit:g} s", wall < limit))
        if n_samples >= 1000:
            print(f"  memory goal < 2.5x dense: {verdict(peak / dense < 2.5)}")
            goals.append((f"profile {n_samples}x{n_proteins} peak < 2.5x dense", peak / dense < 2.5))
    return goals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="compare,breakdown,startup,info,profile")
    parser.add_argument("--big", action="store_true", help="Also profile 1,000 x 20,000.")
    args = parser.parse_args(argv)
    chosen = set(args.only.split(","))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    goals: list[tuple[str, bool]] = []
    with tempfile.TemporaryDirectory(prefix="bench_commands_") as tmp:
        work = Path(tmp)
        ENV["XDG_CACHE_HOME"] = str(work / "cache")
        compile_package()
        if "compare" in chosen:
            goals += bench_compare(args.repeat, work)
        if "breakdown" in chosen:
            goals += bench_breakdown(work, 24) + bench_breakdown(work, 200)
        if chosen & {"startup", "info"}:
            goals += bench_startup(args.repeat, work)
        if "profile" in chosen:
            goals += bench_profile(args.repeat, work, args.big)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}; goals:")
    for name, ok in goals:
        print(f"  {verdict(ok):8s} {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
