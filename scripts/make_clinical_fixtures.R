#!/usr/bin/env Rscript
# Regenerate tests/fixtures/clinical_r/*_r.tsv: the R results the clinical models must equal.
#   lme4::lmer(value ~ visit * treatment + (1 | patient/eye), REML = TRUE) on mixed_input.tsv
#   survival::coxph(Surv(time, event) ~ arm + potency, ties = "efron") and survfit(Surv(time, event) ~ arm)
# on survival_input.tsv (inputs written by scripts/make_clinical_model_inputs.py).
# Usage: Rscript scripts/make_clinical_fixtures.R [fixture directory]
suppressPackageStartupMessages({ library(lme4); library(survival) })
args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args) >= 1) args[1] else "tests/fixtures/clinical_r"
fmt <- function(x) trimws(formatC(x, digits = 15, format = "g"))

m <- read.delim(file.path(dir, "mixed_input.tsv"), stringsAsFactors = FALSE)
m$visit <- factor(m$visit, levels = c("day0", "day28", "day84"))
m$treatment <- factor(m$treatment, levels = c("vehicle", "secretome"))
fit <- lmer(value ~ visit * treatment + (1 | patient/eye), data = m, REML = TRUE,
            control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
co <- summary(fit)$coefficients
vc <- as.data.frame(VarCorr(fit))
fixed <- data.frame(term = rownames(co), estimate = fmt(co[, 1]), se = fmt(co[, 2]))
write.table(fixed, file.path(dir, "mixed_fixed_r.tsv"), sep = "\t", quote = FALSE, row.names = FALSE)
write.table(data.frame(component = vc$grp, variance = fmt(vc$vcov)), file.path(dir, "mixed_variance_r.tsv"),
            sep = "\t", quote = FALSE, row.names = FALSE)
writeLines(fmt(REMLcrit(fit)), file.path(dir, "mixed_reml_r.txt"))

s <- read.delim(file.path(dir, "survival_input.tsv"), stringsAsFactors = FALSE)
cox <- coxph(Surv(time, event) ~ arm + potency, data = s, ties = "efron")
cs <- summary(cox)$coefficients
write.table(data.frame(term = rownames(cs), coef = fmt(cs[, "coef"]), se = fmt(cs[, "se(coef)"]),
                       loglik = fmt(cox$loglik[2])),
            file.path(dir, "cox_r.tsv"), sep = "\t", quote = FALSE, row.names = FALSE)
km <- summary(survfit(Surv(time, event) ~ arm, data = s), censored = TRUE)
write.table(data.frame(group = sub("arm=", "", as.character(km$strata)), time = km$time, n_risk = km$n.risk,
                       n_event = km$n.event, survival = fmt(km$surv), se = fmt(km$std.err),
                       ci_low = fmt(km$lower), ci_high = fmt(km$upper)),
            file.path(dir, "km_r.tsv"), sep = "\t", quote = FALSE, row.names = FALSE)
