-- tide.decay.response_io — save / load of response-kernel fits (tide.decay.response): the
-- parameters (μ, type weights, kernel θ) with their standard errors, the type names, the fit's
-- time frame and statistics, and the per-segment fits, in one tide.models.io file (atomic,
-- checksummed, exact doubles). Installed into tide.decay.response by response_fit.lua.
return function(M, Fit, wrap)
  local io_ = function() return require("tide.models.io") end
  local NUMS = { "k", "unit", "origin", "max_hist", "heldout", "delay" }
  local STRS = { "family", "key", "target" }

  local function put(meta, pre, f)
    local io = io_()
    local C = #f.type_names
    local se = { f.se_mu }
    for c, name in ipairs(f.type_names) do se[1 + c] = f.se_weights[name]; meta[pre .. "type." .. c] = name end
    for i, v in ipairs(f.se_theta) do se[1 + C + i] = v end
    if f.frailty then se[#se + 1] = f.se_kappa end
    meta[pre .. "n_types"] = C
    io.put_numbers(meta, pre .. "par", f.par)
    io.put_numbers(meta, pre .. "se", se)
    io.put_numbers(meta, pre .. "window", f.window)
    meta[pre .. "loglik"], meta[pre .. "status"] = f.loglik, f.status
    for _, k in ipairs(NUMS) do meta[pre .. k] = f[k] end
    meta[pre .. "frailty"] = f.frailty == "user" and 2 or f.frailty and 1 or 0 -- 2: shared by a user's pairs
    for _, k in ipairs(STRS) do meta[pre .. k] = f[k] end
  end

  local function get(meta, pre)
    local io = io_()
    local names = {}
    for c = 1, meta[pre .. "n_types"] do names[c] = meta[pre .. "type." .. c] end
    local p = { type_names = names, key_name = meta[pre .. "key"], target_name = meta[pre .. "target"],
                unit = meta[pre .. "unit"], origin = meta[pre .. "origin"], n_types = #names }
    local w = io.get_numbers(meta, pre .. "window")
    local f = wrap(p, meta[pre .. "family"], meta[pre .. "k"], io.get_numbers(meta, pre .. "par"),
                   io.get_numbers(meta, pre .. "se"), meta[pre .. "loglik"], meta[pre .. "status"], w[1], w[2],
                   meta[pre .. "max_hist"], ({ [1] = true, [2] = "user" })[meta[pre .. "frailty"]] or false)
    f.heldout, f.delay = meta[pre .. "heldout"], meta[pre .. "delay"] or 0
    return f
  end

  --- Fit:save(path) — the fitted kernel (and its segment fits) atomically in a checksummed
  --- file; tide.decay.load(path) (or tide.decay.response.load) restores it exactly.
  function Fit:save(path)
    local t, m = self:state()
    io_().save(path, t, m, "decay.response fit:save")
  end

  --- Fit:state() -> tensors, meta (what save writes; tide.models.io)
  function Fit:state()
    local m = { kind = "response_fit" }
    put(m, "", self)
    if self.segments then
      local keys = {}
      for s in pairs(self.segments) do keys[#keys + 1] = s end
      table.sort(keys)
      io_().put_numbers(m, "segments", keys)
      for i, s in ipairs(keys) do put(m, "seg." .. i .. ".", self.segments[s]) end
    end
    return {}, m
  end

  --- response.from_state(tensors, meta) -> the Fit (tide.decay.load calls this)
  function M.from_state(_, m)
    local f = get(m, "")
    local keys = io_().get_numbers(m, "segments")
    if keys then
      f.segments = {}
      for i, s in ipairs(keys) do f.segments[s] = get(m, "seg." .. i .. ".") end
    end
    return f
  end

  --- response.load(path) -> the Fit saved by Fit:save
  function M.load(path)
    local t, m = io_().load(path, "decay.response.load", { response_fit = true })
    return M.from_state(t, m)
  end
end
