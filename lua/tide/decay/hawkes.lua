-- tide.decay.hawkes — self-exciting return-visit intensity with an exponential kernel,
-- λ(t) = μ + α Σ_{t_i < t} e^(−β(t − t_i)), fitted by maximum likelihood (engine/hawkes.c).
--   local h = tide.decay.hawkes.fit(times, {t0 = 0, t1 = T})          -- one sequence
--   local h = tide.decay.hawkes.fit_events(ev, {unit = "day"})         -- all users, shared law
--   h:intensity(times, t), h:prob(times, t, horizon), h:gof(times, t0), h:gof() (pooled over
--   the users of fit_events), h:loglik(times, t0, t1), h.total_loglik, h:simulate(T, seed)
--   h:save(path); tide.decay.load(path) (or hawkes.load) reads it back exactly
local M = {}
local H = {}
H.__index = H

local function core() return require("tide").core.decay end

local function wrap(p)
  -- the maximised log-likelihood is a number field; `loglik` stays the method (h:loglik)
  if type(p.loglik) == "number" then p.total_loglik, p.loglik = p.loglik, nil end
  p.branching = p.alpha / p.beta
  p.half_life = math.log(2) / p.beta -- of the excitation
  return setmetatable(p, H)
end

-- times: table or tensor (sorted); opts.t0/t1 window (default first event / last event);
-- opts.off: i64 offsets for many sequences sharing the law (then t0/t1 are lists or numbers).
function M.fit(times, opts)
  opts = opts or {}
  local t0, t1 = opts.t0, opts.t1
  if not opts.off then
    local first = type(times) == "table" and times[1] or times:get(1)
    local last = type(times) == "table" and times[#times] or times:get(times:numel())
    t0, t1 = t0 or first, t1 or last
  end
  return wrap(core().hawkes_fit(times, opts.off, t0, t1, opts.init))
end

--- fit_events(ev, {unit = "day", t_start, t_end, min_gap = 0, min_events = 0, init}) -> law:
--- one shared law over all users' visits of an event table (times in `unit`). Every user id
--- 1..ev.n_users is observed on the same window [t_start, t_end] (epoch seconds; defaults: the
--- first and the last event of the log), so users with one visit — and users the table lists
--- (n_users) without any event — count, and the pooled μ is unbiased; events before t_start
--- are an error. min_events > 0 drops users with fewer visits (a conditional fit: it biases μ
--- upward, kept only for comparisons). Events less than min_gap seconds after the previous one
--- are the same visit. The law has total_loglik (the maximised value; h:loglik(...) evaluates
--- it anywhere), users, times, off, origin (= t_start), t_end, and h:gof() runs the pooled test.
function M.fit_events(ev, opts)
  opts = opts or {}
  local seq = require("tide.decay.seq")
  local s = seq.of(ev)
  local unit = ({ second = 1, hour = 3600, day = 86400 })[opts.unit or "day"] or opts.unit
  if type(unit) ~= "number" or not (unit > 0) then
    error("hawkes.fit_events: unit must be second|hour|day or seconds > 0, got " .. tostring(opts.unit), 2)
  end
  local t_end = opts.t_end or seq.t_end(ev)
  local first = s.n > 0 and s.time:min():item() or 0
  local origin = opts.t_start or first
  if type(origin) ~= "number" or origin ~= origin then error("hawkes.fit_events: t_start must be a number (epoch seconds)", 2) end
  if s.n > 0 and first < origin then
    error(("hawkes.fit_events: an event at %.0f is before t_start = %.0f (drop earlier events or move the window)"):format(first, origin), 2)
  end
  if not (t_end > origin) then error(("hawkes.fit_events: empty window [t_start = %s, t_end = %s]"):format(origin, t_end), 2) end
  local t, off, keep = {}, { 0 }, {}
  local time, mg, me = s.time, opts.min_gap or 0, opts.min_events or 0
  local m = 0
  for u = 1, s.n_users do
    local a, b = s.off:get(u), s.off:get(u + 1)
    if b - a >= me then
      local prev
      for p = a + 1, b do
        local raw = time:get(p)
        if prev == nil or (raw > prev and raw - prev >= mg) then m = m + 1; t[m] = (raw - origin) / unit end
        prev = raw -- sessions: the gap is measured from the previous event
      end
      off[#off + 1] = m
      keep[#keep + 1] = u
    end
  end
  local T = require("tide").tensor
  local t1 = (t_end - origin) / unit
  local offt = T.fromtable(off, "i64")
  local h = wrap(core().hawkes_fit(t, offt, 0, t1, opts.init))
  h.users, h.unit, h.origin, h.t_end = keep, unit, origin, t_end
  h.times, h.off = t, offt
  return h
end

function H:intensity(times, t) return core().hawkes_intensity(self, times, t) end
-- P(at least one visit in (t, t + h] | visits so far)
function H:prob(times, t, h) return core().hawkes_prob(self, times, t, h) end
--- h:gof(times, t0) -> {ks, p_value, tau}: time-rescaling goodness of fit of one sequence (KS
--- statistic and p-value of the compensator increments against Exp(1), Brown et al. 2002).
--- h:gof() on a law from fit_events runs the pooled test (h:gof_pooled()).
function H:gof(times, t0)
  if times == nil and self.off then return self:gof_pooled() end
  local D, p, tau = core().hawkes_gof(self, times, t0 or 0)
  return { ks = D, p_value = p, tau = tau }
end

--- h:gof_pooled([times, off, t0, t1]) -> {ks, p_value, tau, n}: the pooled time-rescaling test
--- over many users: each user's compensator increments joined end to end, each user's final
--- open interval (last visit to the window's end) added to the next user's first increment,
--- so a law that misses silent stretches is caught (engine/hawkes.c). Defaults: the users,
--- visits and window of a fit_events law; else times (flat), off (i64 [S+1]), t0/t1 (numbers
--- or lists) in the law's units.
function H:gof_pooled(times, off, t0, t1)
  if times == nil then
    if not self.off then error("hawkes:gof_pooled: give times, off, t0, t1 (or use a law from fit_events)", 2) end
    times, off, t0, t1 = self.times, self.off, 0, (self.t_end - self.origin) / self.unit
  end
  if off == nil or t0 == nil or t1 == nil then error("hawkes:gof_pooled: needs times, off, t0 and t1", 2) end
  local D, p, tau = core().hawkes_gof_pooled(self, times, off, t0, t1)
  return { ks = D, p_value = p, tau = tau, n = #tau }
end
-- For a law from fit_events: P(at least one visit within `horizon` units after the end of the
-- log) for every fitted user; returns a tensor [#users] and the user ids (h.users).
function H:prob_users(horizon, at)
  if not self.off then error("hawkes: prob_users needs a fit from fit_events", 2) end
  local now = at and (at - self.origin) / self.unit or (self.t_end - self.origin) / self.unit
  return core().hawkes_prob_batch(self, self.times, self.off, now, horizon), self.users
end

function H:simulate(T, seed) return core().hawkes_simulate(self, T, seed or 1) end
--- h:loglik(times, t0, t1) -> log-likelihood of one sequence on [t0, t1] (h.total_loglik is the
--- value the fit maximised)
function H:loglik(times, t0, t1) return (core().hawkes_loglik(self, times, nil, t0, t1)) end

local NUMS = { "mu", "alpha", "beta", "total_loglik", "n", "unit", "origin", "t_end" }

--- h:save(path) — the law (μ, α, β, their standard errors, log-likelihood) and, for a fit from
--- fit_events, the users and visit times prob_users needs; atomic and checksummed.
function H:save(path)
  local t, m = self:state()
  require("tide.models.io").save(path, t, m, "hawkes:save")
end

--- h:state() -> tensors, meta (what save writes; tide.models.io)
function H:state()
  local io = require("tide.models.io")
  local t, m = {}, { kind = "hawkes", status = self.status, reason = self.reason }
  for _, k in ipairs(NUMS) do m[k] = self[k] end
  for k, v in pairs(self.se or {}) do m["se." .. k] = v end
  if self.off then
    t.off, t.times = self.off, io.pack_f64(self.times)
    t.users = require("tide").tensor.fromtable(#self.users > 0 and self.users or { 0 }, "i32")
    m.n_fitted = #self.users
  end
  return t, m
end

--- hawkes.from_state(tensors, meta) -> the fitted law (tide.decay.load calls this)
function M.from_state(t, m)
  local io = require("tide.models.io")
  local p = { status = m.status, reason = m.reason, se = {} }
  if m.reason then p.converged = m.reason == "converged" end
  for _, k in ipairs(NUMS) do p[k] = m[k] end
  for _, k in ipairs({ "mu", "alpha", "beta" }) do p.se[k] = m["se." .. k] end
  p.loglik = m.loglik -- files written before the rename; wrap() moves it to total_loglik
  if t.off then
    p.off, p.times = t.off, io.unpack_f64(t.times)
    p.users = m.n_fitted > 0 and t.users:totable() or {}
  end
  return wrap(p)
end

function M.load(path)
  local tensors, meta = require("tide.models.io").load(path, "hawkes.load", { hawkes = true })
  return M.from_state(tensors, meta)
end

M.simulate = function(p, T, seed) return core().hawkes_simulate(p, T, seed or 1) end

return M
