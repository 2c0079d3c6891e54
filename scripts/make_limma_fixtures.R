#!/usr/bin/env Rscript
# Reference outputs of R limma for secretome's limma-exact tests (tests/test_limma_vs_r.py).
#
# Usage: Rscript scripts/make_limma_fixtures.R [OUTDIR]   (default: tests/fixtures/limma)
#
# Generates deterministic inputs (set.seed; Mersenne-Twister + Inversion, R >= 3.6), runs
# lmFit -> contrasts.fit -> eBayes -> topTable(sort.by = "none") for every case and writes, at full
# precision (%.17g):
#   <input>_expr.tsv      proteins x samples (NA = missing)
#   <input>_samples.tsv   the sample sheet
#   <case>.tsv            per protein: logFC AveExpr t P.Value adj.P.Val B s2.post df.total df.prior s2.prior
#   cases.tsv             one line per case: input, formula, contrast (by name), contrast vector (R's
#                         hand-written coefficients), trend, robust, design column names
#   versions.txt          R, limma and statmod versions
# Needs: r-base-core, r-bioc-limma, r-cran-statmod (robust = TRUE).

suppressPackageStartupMessages({
  library(limma)
  library(statmod)
})
invisible(Sys.setlocale("LC_COLLATE", "C"))  # factor levels sorted as Python sorts strings
RNGkind("Mersenne-Twister", "Inversion", "Rejection")
set.seed(20261126)

args <- commandArgs(trailingOnly = TRUE)
outdir <- if (length(args) >= 1) args[1] else file.path("tests", "fixtures", "limma")
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)

fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))

write_matrix <- function(m, path) {
  out <- data.frame(protein = rownames(m), stringsAsFactors = FALSE)
  for (j in seq_len(ncol(m))) out[[colnames(m)[j]]] <- fmt(m[, j])
  write.table(out, path, sep = "\t", quote = FALSE, row.names = FALSE)
}

write_frame <- function(df, path) {
  out <- df
  for (j in seq_along(out)) if (is.numeric(out[[j]])) out[[j]] <- fmt(out[[j]])
  write.table(out, path, sep = "\t", quote = FALSE, row.names = FALSE)
}

n_proteins <- 300
protein_ids <- sprintf("P%05d", seq_len(n_proteins))

# Simulated log2 intensities: protein means, inverse-chi-square protein variances (limma's model),
# true effects for the first 30 proteins.
simulate <- function(groups, effects, sd_fun = NULL, d0 = 4, s0 = 0.08, extra = NULL) {
  n <- length(groups)
  base <- rnorm(n_proteins, 22, 2)
  s2 <- s0 * d0 / rchisq(n_proteins, d0)
  if (!is.null(sd_fun)) s2 <- s2 * sd_fun(base)^2
  m <- matrix(rnorm(n_proteins * n), n_proteins, n) * sqrt(s2) + base
  for (g in names(effects)) {
    cols <- which(groups == g)
    m[1:30, cols] <- m[1:30, cols] + effects[[g]] * rep(c(1, -1, 0.5), length.out = 30)
  }
  if (!is.null(extra)) m <- m + extra
  dimnames(m) <- list(protein_ids, paste0("s", seq_len(n)))
  m
}

inputs <- list()

# two groups, 3 vs 3
g2 <- rep(c("control", "treated"), each = 3)
inputs$two_groups <- list(
  expr = simulate(g2, list(treated = 1.5)),
  samples = data.frame(sample = paste0("s", 1:6), condition = g2, stringsAsFactors = FALSE)
)

# three groups, 3 each
g3 <- rep(c("bm", "adipose", "cord"), each = 3)
inputs$three_groups <- list(
  expr = simulate(g3, list(adipose = 1, cord = -1.2)),
  samples = data.frame(sample = paste0("s", 1:9), condition = g3, stringsAsFactors = FALSE)
)

# paired: 4 donors x 2 conditions, with donor effects
donor <- rep(paste0("d", 1:4), times = 2)
gp <- rep(c("control", "treated"), each = 4)
donor_shift <- matrix(rep(rnorm(4 * n_proteins, 0, 0.7), 2), n_proteins, 8)
inputs$paired <- list(
  expr = simulate(gp, list(treated = 1.2), extra = donor_shift),
  samples = data.frame(sample = paste0("s", 1:8), condition = gp, donor = donor, stringsAsFactors = FALSE)
)

# continuous covariate (age), 5 vs 5
gc <- rep(c("control", "treated"), each = 5)
age <- c(23, 35, 41, 52, 60, 29, 44, 57, 38, 66)
age_effect <- outer(c(rnorm(60, 0, 0.02), rep(0, n_proteins - 60)), age - mean(age))
inputs$covariate <- list(
  expr = simulate(gc, list(treated = 1), extra = age_effect),
  samples = data.frame(sample = paste0("s", 1:10), condition = gc, age = age, stringsAsFactors = FALSE)
)

# missing values: 4 x 3 groups, 15% random missing, plus rows where a group is entirely missing,
# rows with a single observation and an all-missing row
gm <- rep(c("a", "b", "c"), each = 4)
em <- simulate(gm, list(b = 1, c = -1))
em[matrix(runif(length(em)) < 0.15, nrow(em))] <- NA
em[31:34, gm == "b"] <- NA
em[35:37, gm == "a"] <- NA
em[38:39, gm == "c"] <- NA
em[40, -1] <- NA
em[41, ] <- NA
em[42, c(1, 5)] <- NA
inputs$missing <- list(
  expr = em,
  samples = data.frame(sample = paste0("s", 1:12), condition = gm, stringsAsFactors = FALSE)
)

# paired design with missing values, including a donor missing entirely for some proteins
ep <- inputs$paired$expr + matrix(rnorm(n_proteins * 8, 0, 0.1), n_proteins, 8)
ep[matrix(runif(length(ep)) < 0.12, nrow(ep))] <- NA
ep[31:33, donor == "d2"] <- NA
ep[34:35, gp == "treated"] <- NA
inputs$paired_missing <- list(expr = ep, samples = inputs$paired$samples)

# intensity-dependent variance (for trend = TRUE), 4 vs 4, with missing values for the trend's
# prediction at rows without residual df
gt <- rep(c("control", "treated"), each = 4)
et <- simulate(gt, list(treated = 1), sd_fun = function(a) 0.3 + 2.5 * exp(-(a - 16) / 2.5))
et_missing <- et
et_missing[matrix(runif(length(et)) < 0.15, nrow(et))] <- NA
et_missing[31:33, c(1:3, 5:8)] <- NA
et_missing[31:33, 4] <- et[31:33, 4]
inputs$trend <- list(expr = et, samples = data.frame(sample = paste0("s", 1:8), condition = gt,
                                                     stringsAsFactors = FALSE))
inputs$trend_missing <- list(expr = et_missing, samples = inputs$trend$samples)

# outlier variances (for robust = TRUE), 4 vs 4, and a version with missing values (unequal df)
er <- simulate(gt, list(treated = 1.3))
hyper <- c(40:49)
er[hyper, ] <- er[hyper, ] + matrix(rnorm(10 * 8, 0, 2.5), 10, 8)
er[50:53, ] <- rowMeans(er[50:53, ]) + matrix(rnorm(4 * 8, 0, 0.002), 4, 8)
er_missing <- er
er_missing[matrix(runif(length(er)) < 0.15, nrow(er))] <- NA
inputs$robust <- list(expr = er, samples = inputs$trend$samples)
inputs$robust_missing <- list(expr = er_missing, samples = inputs$trend$samples)

# continuous covariate with missing values (masked fits of a less well-conditioned design)
ec <- inputs$covariate$expr
ec[matrix(runif(length(ec)) < 0.15, nrow(ec))] <- NA
ec[31:32, gc == "treated"] <- NA
inputs$covariate_missing <- list(expr = ec, samples = inputs$covariate$samples)

# Cases: input, formula, contrast name, hand-written contrast vector over the design's columns.
cases <- list(
  list("two_groups", "two_groups", "~ condition", "treated-control", c(0, 1), FALSE, FALSE),
  list("two_groups_means", "two_groups", "~ 0 + condition", "treated-control", c(-1, 1), FALSE, FALSE),
  list("three_groups_ba", "three_groups", "~ condition", "bm-adipose", c(0, 1, 0), FALSE, FALSE),
  list("three_groups_cb", "three_groups", "~ condition", "cord-bm", c(0, -1, 1), FALSE, FALSE),
  list("three_groups_means_cb", "three_groups", "~ 0 + condition", "cord-bm", c(0, -1, 1), FALSE, FALSE),
  list("paired", "paired", "~ condition + donor", "treated-control", c(0, 1, 0, 0, 0), FALSE, FALSE),
  list("covariate", "covariate", "~ condition + age", "treated-control", c(0, 1, 0), FALSE, FALSE),
  list("covariate_slope", "covariate", "~ condition + age", "age", c(0, 0, 1), FALSE, FALSE),
  list("missing_ba", "missing", "~ condition", "b-a", c(0, 1, 0), FALSE, FALSE),
  list("missing_cb", "missing", "~ condition", "c-b", c(0, -1, 1), FALSE, FALSE),
  list("missing_means_cb", "missing", "~ 0 + condition", "c-b", c(0, -1, 1), FALSE, FALSE),
  list("paired_missing", "paired_missing", "~ condition + donor", "treated-control", c(0, 1, 0, 0, 0),
       FALSE, FALSE),
  list("trend", "trend", "~ condition", "treated-control", c(0, 1), TRUE, FALSE),
  list("trend_missing", "trend_missing", "~ condition", "treated-control", c(0, 1), TRUE, FALSE),
  list("robust", "robust", "~ condition", "treated-control", c(0, 1), FALSE, TRUE),
  list("robust_missing", "robust_missing", "~ condition", "treated-control", c(0, 1), FALSE, TRUE),
  list("robust_trend", "trend", "~ condition", "treated-control", c(0, 1), TRUE, TRUE),
  list("missing_robust_cb", "missing", "~ condition", "c-b", c(0, -1, 1), FALSE, TRUE),
  list("covariate_missing", "covariate_missing", "~ condition + age", "treated-control", c(0, 1, 0), FALSE,
       FALSE),
  list("covariate_missing_slope", "covariate_missing", "~ condition + age", "age", c(0, 0, 1), TRUE, FALSE)
)

for (name in names(inputs)) {
  write_matrix(inputs[[name]]$expr, file.path(outdir, paste0(name, "_expr.tsv")))
  write.table(inputs[[name]]$samples, file.path(outdir, paste0(name, "_samples.tsv")), sep = "\t",
              quote = FALSE, row.names = FALSE)
}

manifest <- data.frame()
for (case in cases) {
  names(case) <- c("case", "input", "formula", "contrast", "vector", "trend", "robust")
  input <- inputs[[case$input]]
  design <- model.matrix(as.formula(case$formula), data = input$samples)
  cm <- matrix(case$vector, ncol = 1, dimnames = list(colnames(design), case$contrast))
  fit <- suppressWarnings(lmFit(input$expr, design))
  fit2 <- contrasts.fit(fit, cm)
  eb <- eBayes(fit2, trend = case$trend, robust = case$robust)
  tt <- topTable(eb, coef = 1, number = Inf, sort.by = "none")
  out <- data.frame(protein = rownames(tt), logFC = tt$logFC, AveExpr = tt$AveExpr, t = tt$t,
                    P.Value = tt$P.Value, adj.P.Val = tt$adj.P.Val, B = tt$B,
                    s2.post = eb$s2.post, df.total = eb$df.total,
                    df.prior = rep_len(eb$df.prior, nrow(tt)), s2.prior = rep_len(eb$s2.prior, nrow(tt)),
                    stringsAsFactors = FALSE)
  stopifnot(identical(out$protein, rownames(input$expr)))
  write_frame(out, file.path(outdir, paste0(case$case, ".tsv")))
  manifest <- rbind(manifest, data.frame(
    case = case$case, input = case$input, formula = case$formula, contrast = case$contrast,
    vector = paste(case$vector, collapse = ","), trend = case$trend, robust = case$robust,
    design_columns = paste(colnames(design), collapse = ","), stringsAsFactors = FALSE))
}
write.table(manifest, file.path(outdir, "cases.tsv"), sep = "\t", quote = FALSE, row.names = FALSE)
writeLines(c(R.version.string, paste("limma", packageVersion("limma")),
             paste("statmod", packageVersion("statmod"))), file.path(outdir, "versions.txt"))
