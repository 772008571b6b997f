-- tide.decay.hawkes — self-exciting return-visit intensity with an exponential kernel,
-- λ(t) = μ + α Σ_{t_i < t} e^(−β(t − t_i)), fitted by maximum likelihood (engine/hawkes.c).
--   local h = tide.decay.hawkes.fit(times, {t0 = 0, t1 = T})          -- one sequence
--   local h = tide.decay.hawkes.fit_events(ev, {unit = "day"})         -- all users, shared law
--   h:intensity(times, t), h:prob(times, t, horizon), h:gof(times, t0), h:simulate(T, seed)
--   h:save(path); tide.decay.load(path) (or hawkes.load) reads it back exactly
local M = {}
local H = {}
H.__index = H

local function core() return require("tide").core.decay end

local function wrap(p)
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

-- One shared law over all users' visits of an event table (times in `unit`, default days),
-- each user observed from their first event to the end of the log. Events less than
-- opts.min_gap seconds after the previous one (default 0: same instant) are the same visit.
function M.fit_events(ev, opts)
  opts = opts or {}
  local seq = require("tide.decay.seq")
  local s = seq.of(ev)
  local unit = ({ second = 1, hour = 3600, day = 86400 })[opts.unit or "day"] or opts.unit
  local t_end = opts.t_end or seq.t_end(ev)
  local origin = s.time:cast("f32"):min():item()
  local t = {}
  local off = {}
  local t0, t1 = {}, {}
  local time = s.time
  local keep = {}
  off[1] = 0
  local m = 0
  for u = 1, s.n_users do
    local a, b = s.off:get(u), s.off:get(u + 1)
    if b - a >= (opts.min_events or 2) then
      local prev
      local mg = opts.min_gap or 0
      for p = a + 1, b do
        local raw = time:get(p)
        if prev == nil or (raw > prev and raw - prev >= mg) then m = m + 1; t[m] = (raw - origin) / unit end
        prev = raw -- sessions: the gap is measured from the previous event
      end
      off[#off + 1] = m
      t0[#t0 + 1] = (time:get(a + 1) - origin) / unit
      t1[#t1 + 1] = (t_end - origin) / unit
      keep[#keep + 1] = u
    end
  end
  local T = require("tide").tensor
  local h = wrap(core().hawkes_fit(t, T.fromtable(off, "i64"), t0, t1, opts.init))
  h.users, h.unit, h.origin, h.t_end = keep, unit, origin, t_end
  h.times, h.off = t, T.fromtable(off, "i64")
  return h
end

function H:intensity(times, t) return core().hawkes_intensity(self, times, t) end
-- P(at least one visit in (t, t + h] | visits so far)
function H:prob(times, t, h) return core().hawkes_prob(self, times, t, h) end
-- Time-rescaling goodness of fit: KS statistic and p-value of the compensator increments
-- against Exp(1); also returns the increments.
function H:gof(times, t0)
  local D, p, tau = core().hawkes_gof(self, times, t0 or 0)
  return { ks = D, p_value = p, tau = tau }
end
-- For a law from fit_events: P(at least one visit within `horizon` units after the end of the
-- log) for every fitted user; returns a tensor [#users] and the user ids (h.users).
function H:prob_users(horizon, at)
  if not self.off then error("hawkes: prob_users needs a fit from fit_events", 2) end
  local now = at and (at - self.origin) / self.unit or (self.t_end - self.origin) / self.unit
  return core().hawkes_prob_batch(self, self.times, self.off, now, horizon), self.users
end

function H:simulate(T, seed) return core().hawkes_simulate(self, T, seed or 1) end
function H:loglik(times, t0, t1) return (core().hawkes_loglik(self, times, nil, t0, t1)) end

local NUMS = { "mu", "alpha", "beta", "loglik", "n", "unit", "origin", "t_end" }

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
