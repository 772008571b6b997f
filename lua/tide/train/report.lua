-- tide.train.report — what the training loop tells the user: a live progress line (loss,
-- examples/s) when stderr is a terminal, one line per epoch with opts.progress, and
-- JSON-lines logs (opts.log: one object per epoch, flushed at once so a crash keeps them).
local json = require "tide.data.json"

local M = {}
M.__index = M

local ffi_ok, ffi = pcall(require, "ffi")
local tty_cache
local function stderr_is_tty()
  if tty_cache == nil then
    tty_cache = false
    if ffi_ok then
      pcall(ffi.cdef, "int isatty(int fd);")
      local ok, r = pcall(function() return ffi.C.isatty(2) end)
      tty_cache = ok and r == 1
    end
  end
  return tty_cache
end

--- peak_rss_mib() -> the process's peak resident set size in MiB (Linux VmHWM), or nil
function M.peak_rss_mib()
  local f = io.open("/proc/self/status", "r")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  local kb = s:match("VmHWM:%s*(%d+)")
  return kb and tonumber(kb) / 1024 or nil
end

--- new(opts) -> reporter for opts.progress (true / false) and opts.log (a path)
function M.new(opts)
  local self = setmetatable({ progress = opts.progress, live = opts.progress and stderr_is_tty() }, M)
  if opts.log then
    if type(opts.log) ~= "string" then error("train: opts.log must be a path", 3) end
    local f, err = io.open(opts.log, "w")
    if not f then error("train: cannot open log " .. opts.log .. ": " .. tostring(err), 3) end
    self.log = f
  end
  return self
end

-- at most ~10 live updates a second: writing the line costs more than a small batch
function M:step(epoch, n, loss, rate)
  if not self.live then return end
  local now = os.clock()
  if self.last and now - self.last < 0.1 then return end
  self.last = now
  io.stderr:write(("\r  epoch %d  batch %d  loss %.5f  %.0f ex/s   "):format(epoch, n, loss, rate))
end

-- settings chosen for the run (tide.train's opts.note), once before the first epoch:
-- "<note.title>: name value, ..." in name order
function M:note(note)
  if not self.progress then return end
  local keys, parts = {}, {}
  for k in pairs(note) do if k ~= "title" then keys[#keys + 1] = k end end
  table.sort(keys)
  for _, k in ipairs(keys) do parts[#parts + 1] = ("%s %s"):format(k, tostring(note[k])) end
  io.stderr:write(self.live and "\r" or "", note.title and (note.title .. ": ") or "", table.concat(parts, ", "), "\n")
end

function M:epoch(info)
  if self.progress then
    io.stderr:write(("%sepoch %d  train %.5f%s%s  lr %.3g  %.1f s  %.0f ex/s\n"):format(
      self.live and "\r" or "", info.epoch, info.train,
      info.valid and ("  valid %.5f"):format(info.valid) or "",
      info.metric and ("  metric %.5f"):format(info.metric) or "", info.lr, info.seconds, info.examples_per_s))
  end
  if self.log then
    self.log:write(json.encode(info), "\n")
    self.log:flush()
  end
end

function M:close()
  if self.log then self.log:close(); self.log = nil end
end

return M
