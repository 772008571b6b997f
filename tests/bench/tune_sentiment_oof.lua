-- tune_sentiment_oof.lua — which combination of fast members to use, chosen WITHOUT the test
-- split: K-fold cross-validation over the TRAINING rows of the bench's stratified 80/20 split
-- (sentiment_corpora.lua). Each member is trained on K-1 folds and scores the held-out fold,
-- giving out-of-fold log-odds for every training row; from those it prints the accuracy of
-- each member, of the mean log-odds of every subset of members, and of a stacked logistic
-- regression on the members' log-odds (its weights cross-fitted: fitted on the other folds'
-- out-of-fold rows, applied to this fold's).
-- Usage: luajit tests/bench/tune_sentiment_oof.lua K 'NAME=KIND{OPTS}' ...
--   e.g. 'lin16=linear{C=16}' 'nb4=linear{C=4, nb=true}' 'ft=fasttext{epochs=5}'
--   env TUNE_CORPORA=hotel,waimai limits the corpora.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath
local tide = require "tide"
local S = tide.sentiment
local now = tide.core.io.wall
local K = tonumber(arg[1])
local corpora = dofile("tests/bench/sentiment_corpora.lua")
local members = {}
for a = 2, #arg do
  local name, kind, o = arg[a]:match("^([%w_]+)=([%w_]+)(%b{})$")
  assert(name, "member spec NAME=KIND{OPTS}: " .. arg[a])
  members[#members + 1] = { name = name, kind = kind, opts = assert(loadstring("return " .. o))() }
end

local function logit(p)
  p = math.min(math.max(p, 1e-7), 1 - 1e-7)
  return math.log(p / (1 - p))
end

local fit_lr = dofile("tests/bench/stack_lr.lua")

for name, _, c in corpora.each(os.getenv("TUNE_CORPORA")) do
  local fold = S.io.folds(c.texts, K)
  local Z, secs = {}, {} -- Z[i][m]: out-of-fold log-odds of member m for row i
  for i = 1, c.n do Z[i] = {} end
  for f = 0, K - 1 do
    local tt, tl, vi, vt = {}, {}, {}, {}
    for j = 1, c.n do
      if fold[j] == f then vi[#vi + 1] = j; vt[#vt + 1] = c.texts[j]
      else tt[#tt + 1], tl[#tl + 1] = c.texts[j], c.labels[j] end
    end
    for mi, mb in ipairs(members) do
      local t0 = now()
      local m = S.train(mb.kind, tt, tl, mb.opts)
      local p = m:prob(vt)
      for k, j in ipairs(vi) do Z[j][mi] = logit(p[k]) end
      secs[mi] = (secs[mi] or 0) + now() - t0
    end
  end
  local function acc(zf)
    local ok = 0
    for i = 1, c.n do ok = ok + (((zf(i) > 0) and 1 or 0) == c.labels[i] and 1 or 0) end
    return ok / c.n
  end
  local lines = {}
  for mi, mb in ipairs(members) do
    lines[#lines + 1] = { acc(function(i) return Z[i][mi] end), ("%-28s (%.0f s for %d folds)"):format(mb.name, secs[mi], K) }
  end
  local M = #members
  for mask = 1, 2 ^ M - 1 do
    local set, names = {}, {}
    for mi = 1, M do if math.floor(mask / 2 ^ (mi - 1)) % 2 == 1 then set[#set + 1] = mi; names[#names + 1] = members[mi].name end end
    if #set >= 2 then
      lines[#lines + 1] = { acc(function(i) local s = 0; for _, mi in ipairs(set) do s = s + Z[i][mi] end; return s end),
        "mean " .. table.concat(names, "+") }
      -- stacked LR, cross-fitted over the folds
      local X = {}
      for i = 1, c.n do X[i] = {}; for k, mi in ipairs(set) do X[i][k] = Z[i][mi] end end
      local zs = {}
      for f = 0, K - 1 do
        local rows = {}
        for i = 1, c.n do if fold[i] ~= f then rows[#rows + 1] = i end end
        local w = fit_lr(X, c.labels, rows)
        for i = 1, c.n do
          if fold[i] == f then
            local z = w[1]
            for k = 1, #set do z = z + w[k + 1] * X[i][k] end
            zs[i] = z
          end
        end
      end
      lines[#lines + 1] = { acc(function(i) return zs[i] end), "stack " .. table.concat(names, "+") }
    end
  end
  table.sort(lines, function(a, b) return a[1] > b[1] end)
  print(("%s: %d training rows, %d-fold out-of-fold accuracy (binomial 95 %% half-width %.2f pt)"):format(
    name, c.n, K, 196 * math.sqrt(0.9 * 0.1 / c.n)))
  for _, l in ipairs(lines) do print(("  %.4f  %s"):format(l[1], l[2])) end
  io.stdout:flush()
end
