-- activation.lua — demo stage: who will come back. The UCI Online Retail log (CC BY 4.0) is
-- framed at a cut three months before its end (features strictly before the cut, label: buys
-- again within 90 days); a logistic regression (standard errors, per-user contributions) and
-- histogram boosted trees are fitted on 70 % of the customers and scored on the other 30 %,
-- with intervals; the logistic model's calibration is plotted. Returns the churn model and
-- each customer's P(return) at the end of the log for the recommendation stage.
return function(S)
  local tide = S.tide
  local A = tide.activation
  local ev = S.retail
  local cut = "2011-09-09"
  local fr = A.frame(ev, { cut = cut, horizon = 90, label = "purchase" })
  local sp = A.split(fr, { valid = 0, test = 0.3, seed = 1 })
  local lr = A.logistic{ l2 = 1 }
  lr:fit(sp.train.X, sp.train.y, { names = fr.names })
  local gb = A.gbdt{ n_trees = 200, learning_rate = 0.05, max_leaves = 15, seed = 1 }
  gb:fit(sp.train.X, sp.train.y, { names = fr.names, valid = { sp.test.X, sp.test.y } })
  local rows, cards = {}, {}
  for _, m in ipairs({ { "logistic regression", lr }, { "boosted trees", gb } }) do
    local e = A.evaluate(m[2]:predict(sp.test.X), sp.test.y, { k = 0.1 })
    cards[m[1]] = e
    rows[#rows + 1] = { m[1], ("%.3f [%.3f, %.3f]"):format(e.auc, e.auc_lo, e.auc_hi), ("%.3f"):format(e.pr_auc),
                        ("%.3f"):format(e.brier), ("%.3f"):format(e.ece), ("%.2f"):format(e.lift) }
  end
  print(("UCI retail, cut %s: %d customers (%d train / %d test), %d features, %.1f %% buy again within 90 days"):format(
    cut, fr.n, sp.train.n, sp.test.n, #fr.names, 100 * fr.y:mean():item()))
  S.fmt_table({ "model (test customers)", "AUC [95 %]", "PR-AUC", "Brier", "ECE", "lift@10%" }, rows)
  local coef = lr:coef()
  table.sort(coef, function(a, b) return math.abs(a.z or 0) > math.abs(b.z or 0) end)
  local crow = {}
  for i = 1, math.min(6, #coef) do
    local c = coef[i]
    crow[#crow + 1] = { c.name, ("%.3f"):format(c.beta), ("%.3f"):format(c.se), ("%.2g"):format(c.p) }
  end
  print("strongest coefficients (|z|):")
  S.fmt_table({ "feature", "beta", "se", "p" }, crow)
  local rel, mp, fp = tide.metrics.reliability(lr:predict(sp.test.X), sp.test.y, { bins = 8, strategy = "quantile" }), {}, {}
  for i, b in ipairs(rel) do mp[i], fp[i] = b.mean_pred, b.frac_pos end
  S.R:section("8. Activation: who buys again (UCI Online Retail)")
    :text(("Framed at %s: features from the %d customers' history before the cut, label = a purchase in the 90 days after it. Fitted on %d customers, scored on %d held-out customers (user-level split)."):format(
      cut, fr.n, sp.train.n, sp.test.n))
    :table({ "model", "AUC [95 %]", "PR-AUC", "Brier", "ECE", "lift@10%" }, rows)
    :table({ "feature", "beta", "se", "p" }, crow)
    :calibration{ title = "Calibration of the logistic model on held-out customers", curves = {
      { name = "logistic", mean_pred = mp, frac_pos = fp } } }
  -- P(buy within 90 days) for every customer at the end of the log, for the recommender
  local now = ev.time:max():item() + 1
  local now_fr = A.frame(ev, { cut = now, horizon = 90, label = "purchase", names = fr.names })
  local p = lr:predict(now_fr.X):totable()
  local prob = {}
  for i, u in ipairs(now_fr.users:totable()) do prob[u] = p[i] end
  return { model = lr, p_return = prob, cards = cards }
end
