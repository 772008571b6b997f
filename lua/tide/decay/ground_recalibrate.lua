-- tide.decay.ground_recalibrate — the marked kernel's expected visits, recalibrated on the
-- horizon just before the decision time.
-- Why: the ground kernel is fitted by the likelihood of every visit's timing, which the
-- bursts of visits within hours dominate. A long-tailed kernel then explains a user's steady
-- activity by near-critical self-excitation (branching .95 on the simulator's mixture law) and
-- the gamma frailty collapses (shape -> infinity), so E[visits in the next two weeks] follows
-- the last few days and forgets the user's long-run rate: within a quintile of E, users with
-- three times the past visits made twice the visits (tide.sim, mixture law, 8,000 users).
-- What: at decision time t with horizon h, a Poisson regression (McCullagh & Nelder 1989,
-- Newton's method) of each user's visits in [t − h, t) on the ground's expectation at t − h
-- and the user's long-run visit rate (visits per unit of tenure, Gamma–Poisson shrunk,
-- response_marked.rate_prior):
--     log E'[N_u] = c + a · log E_u + b · log r_u
-- then E' at t from E and r at t. Only rows before t are used (the ground's few global
-- parameters were fitted on them too). Falls back to E unchanged (nil) when the log starts
-- inside [t − h, t), no user visits in it, or the fit does not converge. A short history is
-- not a reason to skip: scores at two cuts (a validation and a test window) should be on the
-- same, recalibrated, scale whenever both can be.
local M = {}

-- per-user visit counts before `cut`, in [cut, t) and first visit times, from the visits
-- table's columns (one row per visit)
local function counts(user, time, cut, t)
  local before, inside, first = {}, {}, {}
  for i = 1, #user do
    local u, s = user[i], time[i]
    if s < t then
      if not first[u] or s < first[u] then first[u] = s end
      if s < cut then before[u] = (before[u] or 0) + 1 else inside[u] = (inside[u] or 0) + 1 end
    end
  end
  return before, inside, first
end

-- 3×3 linear solve (Gaussian elimination with partial pivoting); nil when singular
local function solve3(A, g)
  local m = { { A[1][1], A[1][2], A[1][3], g[1] }, { A[2][1], A[2][2], A[2][3], g[2] }, { A[3][1], A[3][2], A[3][3], g[3] } }
  for c = 1, 3 do
    local p = c
    for r = c + 1, 3 do if math.abs(m[r][c]) > math.abs(m[p][c]) then p = r end end
    m[c], m[p] = m[p], m[c]
    if math.abs(m[c][c]) < 1e-300 then return nil end
    for r = c + 1, 3 do
      local f = m[r][c] / m[c][c]
      for k = c, 4 do m[r][k] = m[r][k] - f * m[c][k] end
    end
  end
  local x = {}
  for r = 3, 1, -1 do
    local s = m[r][4]
    for k = r + 1, 3 do s = s - m[r][k] * x[k] end
    x[r] = s / m[r][r]
  end
  return x
end

--- poisson3(X1, X2, y) -> {c, a, b} maximising Σ y log μ − μ with log μ = c + a·X1 + b·X2, or
--- nil (no events, or Newton did not converge in 50 steps)
function M.poisson3(X1, X2, y)
  local n, sy, se = #y, 0, 0
  for i = 1, n do sy, se = sy + y[i], se + math.exp(X1[i]) end
  if n < 3 or sy <= 0 then return nil end
  local w = { math.log(sy / se), 1, 0 }
  local function loglik(p)
    local s = 0
    for i = 1, n do
      local eta = p[1] + p[2] * X1[i] + p[3] * X2[i]
      s = s + y[i] * eta - math.exp(eta)
    end
    return s
  end
  local ll = loglik(w)
  for _ = 1, 50 do
    local g, H = { 0, 0, 0 }, { { 0, 0, 0 }, { 0, 0, 0 }, { 0, 0, 0 } }
    for i = 1, n do
      local x = { 1, X1[i], X2[i] }
      local mu = math.exp(w[1] + w[2] * x[2] + w[3] * x[3])
      for r = 1, 3 do
        g[r] = g[r] + (y[i] - mu) * x[r]
        for c = 1, 3 do H[r][c] = H[r][c] + mu * x[r] * x[c] end
      end
    end
    local step = solve3(H, g)
    if not step then return nil end
    if math.max(math.abs(step[1]), math.abs(step[2]), math.abs(step[3])) < 1e-9 then
      return { c = w[1], a = w[2], b = w[3] }
    end
    local tol = 1e-12 * (1 + math.abs(ll)) -- rounding of a sum over many users
    local t, nw, nll = 1, nil, nil
    repeat -- step halving keeps every step uphill
      nw = { w[1] + t * step[1], w[2] + t * step[2], w[3] + t * step[3] }
      nll = loglik(nw)
      t = t / 2
    until nll >= ll - tol or t < 1e-6
    if not (nll == nll) or nll < ll - tol then return nil end
    w, ll = nw, nll
  end
  return nil
end

--- expected(ground, vis, t, h, unit, rate_prior, now) -> E'[u] for every user the ground scores
--- at t, or nil (keep the ground's own expectation); vis: the visits table the ground was
--- fitted on (cut anywhere after t is fine: only rows before t are read); t in epoch seconds, h
--- in the ground's unit (seconds per unit: unit); now = ground:expected(vis, t, h)
function M.expected(ground, vis, t, h, unit, rate_prior, now)
  local cut = t - h * unit
  if vis.n == 0 or not (cut > vis.time:min():item()) then return nil end
  local user, time = vis.user:totable(), vis.time:totable()
  local before, inside, first = counts(user, time, cut, t)
  local past = vis:filter(vis.time:lt(cut))
  local g = ground:expected(past, cut, h)
  local gu, gs = g.user:totable(), g.score:totable()
  local R, V, ids = {}, {}, {}
  for i = 1, #gu do
    local u = gu[i]
    if before[u] and gs[i] > 0 then
      ids[#ids + 1] = i
      R[#R + 1], V[#V + 1] = before[u], (cut - first[u]) / unit
    end
  end
  local m, a0 = rate_prior(R, V)
  if not (m > 0) then return nil end
  local X1, X2, y = {}, {}, {}
  for k, i in ipairs(ids) do
    X1[k] = math.log(gs[i])
    X2[k] = math.log((R[k] + a0) / (V[k] + a0 / m))
    y[k] = inside[gu[i]] or 0
  end
  local p = M.poisson3(X1, X2, y)
  if not p then return nil end
  local nu, ns = now.user:totable(), now.score:totable()
  local out = {}
  for i = 1, #nu do
    local u = nu[i]
    local n = (before[u] or 0) + (inside[u] or 0)
    local age = first[u] and (t - first[u]) / unit or 0
    local r = (n + a0) / (age + a0 / m)
    out[u] = ns[i] > 0 and math.exp(p.c + p.a * math.log(ns[i]) + p.b * math.log(r)) or 0
  end
  return out, p
end

return M
