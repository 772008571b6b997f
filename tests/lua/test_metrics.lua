-- test_metrics.lua — tide.metrics from Lua on hand-worked examples (expected values derived in
-- the comments), the sampled protocol's label, classification metrics and error paths.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local U = require "decay_util"
local T = tide.tensor
local tests = {}

-- a model with fixed scores for 2 users x 6 items
local function fixed_model()
  local rows = { { 0.1, 0.9, 0.3, 0.9, 0.5, 0.2 }, { 0.4, 0.1, 0.8, 0.6, 0.7, 0.0 } }
  return { n_users = 2, n_items = 6,
           score = function(_, users)
             local out = {}
             for b = 1, users:numel() do out[b] = rows[users:get(b)] end
             return T.fromtable(out)
           end }
end

local function split()
  -- seen: user 1 item 2; user 2 item 3 (twice). targets: user 1 item 4; user 2 items 1 and 6
  local train = U.events { user = { 1, 2, 2 }, item = { 2, 3, 3 }, time = { 1, 1, 2 }, n_items = 6 }
  local test = U.events { user = { 1, 2, 2 }, item = { 4, 1, 6 }, time = { 5, 5, 6 }, n_items = 6 }
  return { train = train, test = test }
end

function tests.full_ranking_by_hand()
  local r = tide.metrics.evaluate(fixed_model(), split(), { k = { 3 } })
  -- user 1: target 4 ties with item 2 (0.9) but 2 is seen -> rank 0.
  -- user 2: candidates exclude 3; target 1 (0.4) after 4 (0.6), 5 (0.7) -> rank 2; target 6 last -> rank 4
  local ndcg2 = (1 / math.log(4, 2)) / (1 + 1 / math.log(3, 2))
  check.eq(r.protocol, "full")
  check.eq(r.users, 2)
  check.near(r["HR@3"], 1, 1e-9)
  check.near(r["NDCG@3"], (1 + ndcg2) / 2, 1e-9)
  check.near(r["Recall@3"], (1 + 0.5) / 2, 1e-9)
  check.near(r["Precision@3"], (1 / 3 + 1 / 3) / 2, 1e-9)
  check.near(r["MAP@3"], (1 + (1 / 3) / 2) / 2, 1e-9)
  check.near(r.MRR, (1 + 1 / 3) / 2, 1e-9)
  -- without exclusion, user 1's target falls behind item 2 (lower id wins the tie): rank 1
  local r2 = tide.metrics.evaluate(fixed_model(), split(), { k = { 1 }, exclude_seen = false })
  check.near(r2["HR@1"], 0, 1e-9)
  check.truthy(tostring(r):find("NDCG@3", 1, true), "printable")
end

function tests.sampled_protocol_is_labelled()
  local r = tide.metrics.evaluate(fixed_model(), split(), { k = { 3 }, protocol = "sampled", n_neg = 100 })
  check.eq(r.protocol, "sampled-100")
  -- fewer candidates than 100: every unseen non-target item is a negative, same as full ranking
  -- for user 1 (rank 0)
  check.truthy(r["HR@3"] >= 0.5)
end

function tests.beyond_accuracy()
  local r = tide.metrics.evaluate(fixed_model(), split(), { k = { 2 }, beyond = true })
  -- top-2 lists: user 1 (excl. 2): 4 (0.9), 5 (0.5); user 2 (excl. 3): 5 (0.7), 4 (0.6)
  check.near(r.coverage, 2 / 6, 1e-9)
  local b = tide.metrics.beyond(T.fromtable({ { 1, 2 }, { 2, 3 } }, "i32"),
    { n_items = 4, popularity = T.fromtable({ 1, 4, 2, 0 }), n_users = 4, category = T.fromtable({ 1, 1, 2, 2 }, "i32") })
  check.near(b.coverage, 0.75, 1e-9)
  check.near(b.novelty, 0.75, 1e-9) -- (2 + 0 + 0 + 1) / 4
  check.near(b.ild, 0.5, 1e-9)
end

function tests.classification_metrics()
  check.near(tide.metrics.auc({ 0.1, 0.4, 0.35, 0.8 }, { 0, 0, 1, 1 }), 0.75, 1e-9)
  check.near(tide.metrics.auc({ 0.5, 0.5, 0.2, 0.9 }, { 1, 0, 0, 1 }), 0.875, 1e-9) -- tie = 1/2
  check.near(tide.metrics.log_loss({ 0.9, 0.2 }, { 1, 0 }), -(math.log(0.9) + math.log(0.8)) / 2, 1e-6)
  local b = tide.metrics.binary({ 0.9, 0.2, 0.6, 0.4 }, { 1, 0, 0, 1 }, 0.5)
  check.near(b.accuracy, 0.5, 1e-9); check.near(b.f1, 0.5, 1e-9); check.eq(b.tp, 1)
  check.near(tide.metrics.ece({ 0.1, 0.3, 0.6, 0.9 }, { 0, 1, 1, 1 }, 2), 0.275, 1e-6)
  check.errors(function() tide.metrics.auc({ 0.1, 0.2 }, { 0, 2 }) end, "must be 0 or 1")
  check.errors(function() tide.metrics.auc({ 0.1 }, { 0, 1 }) end, "labels")
  check.errors(function() tide.metrics.log_loss({ 1.5 }, { 1 }) end, "not in [0, 1]")
end

function tests.errors_on_bad_scores()
  local m = fixed_model()
  local bad = { n_users = 2, n_items = 6, score = function() return T.full({ 2, 6 }, 0 / 0) end }
  check.errors(function() tide.metrics.evaluate(bad, split(), { k = { 3 } }) end, "NaN")
  local wrong = { n_users = 2, n_items = 6, score = function() return T.zeros({ 2, 5 }) end }
  check.errors(function() tide.metrics.evaluate(wrong, split(), { k = { 3 } }) end, "outside 1..5")
  check.errors(function() tide.core.metrics.topk(T.zeros({ 2, 3 }), nil, nil, 0) end, "k must be >= 1")
  check.truthy(m)
end

return tests
