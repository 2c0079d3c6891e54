#!/usr/bin/env Rscript
# Reference 4PL fits for secretome.assays.curves: R's nls with the SSfpl self-starting model on the
# log-concentration scale, unweighted and with weights 1/y^2, for a few standard curves.
#
#   Rscript scripts/make_assay_fixtures.R [OUT_DIR]     (default tests/data/assays)
#
# Writes standards.tsv (curve, x, y), samples.tsv (curve, y) and r_4pl.tsv (curve, weights, A, B, xmid,
# scal, then one row per sample response with R's back-calculated concentration). The standards are
# simulated here with a fixed seed (no external data), so the fixtures regenerate byte for byte.
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else file.path("tests", "data", "assays")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
set.seed(20261201)

fpl <- function(lx, A, B, xmid, scal) A + (B - A) / (1 + exp((xmid - lx) / scal))
curves <- list(
  elisa_od = list(x = 3000 / 2^(0:7), A = 0.03, B = 2.9, xmid = log(600), scal = 1.1, cv = 0.04),
  luminex_mfi = list(x = 10000 / 3^(0:8), A = 12, B = 21000, xmid = log(300), scal = 1.2, cv = 0.05),
  decreasing = list(x = 500 / 2^(0:9), A = 1.8, B = 0.05, xmid = log(20), scal = 1.0, cv = 0.03)
)
standards <- data.frame()
samples <- data.frame()
for (name in names(curves)) {
  p <- curves[[name]]
  x <- rep(p$x, each = 2)
  mu <- fpl(log(x), p$A, p$B, p$xmid, p$scal)
  y <- signif(mu * (1 + rnorm(length(mu), sd = p$cv)), 6)
  standards <- rbind(standards, data.frame(curve = name, x = x, y = y))
  lo <- min(p$A, p$B); hi <- max(p$A, p$B)
  ys <- signif(lo + (hi - lo) * c(0.05, 0.2, 0.5, 0.8, 0.95), 6)
  samples <- rbind(samples, data.frame(curve = name, y = ys))
}

inverse <- function(y, A, B, xmid, scal) exp(xmid - scal * log((B - A) / (y - A) - 1))
rows <- data.frame()
for (name in names(curves)) {
  d <- standards[standards$curve == name, ]
  for (w in c("none", "1/y^2")) {
    weights <- if (w == "none") rep(1, nrow(d)) else 1 / d$y^2
    start <- getInitial(y ~ SSfpl(log(x), A, B, xmid, scal), data = d)  # SSfpl's own self-start (unweighted)
    fit <- nls(y ~ SSfpl(log(x), A, B, xmid, scal), data = d, weights = weights, start = start,
               control = nls.control(maxiter = 500, tol = 1e-8, minFactor = 1e-12))
    cf <- coef(fit)
    ys <- samples$y[samples$curve == name]
    back <- inverse(ys, cf[["A"]], cf[["B"]], cf[["xmid"]], cf[["scal"]])
    rows <- rbind(rows, data.frame(curve = name, weights = w, A = cf[["A"]], B = cf[["B"]], xmid = cf[["xmid"]],
                                   scal = cf[["scal"]], y = ys, concentration = back))
  }
}
fmt <- function(df) { for (col in names(df)) if (is.numeric(df[[col]])) df[[col]] <- sprintf("%.15g", df[[col]]); df }
write.table(fmt(standards), file.path(out, "standards.tsv"), sep = "\t", quote = FALSE, row.names = FALSE)
write.table(fmt(samples), file.path(out, "samples.tsv"), sep = "\t", quote = FALSE, row.names = FALSE)
write.table(fmt(rows), file.path(out, "r_4pl.tsv"), sep = "\t", quote = FALSE, row.names = FALSE)
cat("wrote", file.path(out, c("standards.tsv", "samples.tsv", "r_4pl.tsv")), "\n")
