-- tide run script.lua [args...] — runs a Lua pipeline with `tide` preloaded and `arg` set.
return {
  summary = "run a Lua pipeline script (tide is preloaded as a global-free require)",
  help = "usage: tide run SCRIPT.lua [ARGS...]\nRuns SCRIPT with require \"tide\" available; ARGS are in `arg`.",
  run = function(args)
    local path = args[1]
    if not path then error("run: missing script path (tide run SCRIPT.lua)", 0) end
    local chunk, err = loadfile(path)
    if not chunk then error("run: " .. err, 0) end
    _G.arg = { [0] = path, unpack(args, 2) }
    chunk(unpack(args, 2))
    return 0
  end,
}
