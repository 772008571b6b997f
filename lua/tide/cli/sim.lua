-- tide sim — generates a synthetic behaviour log with known ground truth (tide.sim).
local help = [[
usage: tide sim --out FILE.csv[.gz] [options]
Writes a simulated e-commerce log (user_id,item_id,category_id,behavior,timestamp,price,dwell)
and FILE.truth.json with the true per-segment and per-user parameters.

  --out PATH          output log; gzip when it ends in .gz (required)
  --users N           number of users (default: events / 100, or 1000)
  --events N          target row count, matched in expectation (default: natural, 3 pv/visit)
  --seed N            random seed (default 1); same seed -> identical bytes
  --decay LAW         exponential | mixture | power (default exponential)
  --items N           catalogue size (default 5000)      --categories N  (default 20)
  --horizon DAYS      observed days (default 90)         --start EPOCH   (default 2024-01-01)
  --p-click P --p-cart P --p-fav P --p-buy P   funnel conversion rates (each conditional)
  --no-hawkes         no self-excitation                 --no-churn      users never churn
  --level L           gzip level 1..9 (default 1)        --threads N     workers (0: one per core)
  --chunk-users N     users per block (0: automatic; one gzip member per block)
  --truth PATH        truth JSON path (default next to the log)  --no-truth  skip it
  --no-user-truth     truth JSON without the per-user rows (for very large runs)
  --quiet             print nothing]]

local numeric = { users = "users", events = "events", seed = "seed", items = "items",
                  categories = "categories", horizon = "horizon", start = "start",
                  ["p-click"] = "p_click", ["p-cart"] = "p_cart", ["p-fav"] = "p_fav",
                  ["p-buy"] = "p_buy", level = "level", threads = "threads",
                  ["chunk-users"] = "chunk_users" }
local flags = { ["no-hawkes"] = true, ["no-churn"] = true, ["no-truth"] = true,
                ["no-user-truth"] = true, quiet = true }

local function run(args)
  local cli = require "tide.cli"
  local o = cli.parse(args, flags)
  local opts = {}
  for k, v in pairs(o) do
    if k == "_" then
      if #v > 0 then error("unexpected argument '" .. v[1] .. "' (see tide sim --help)", 0) end
    elseif numeric[k] then
      local n = tonumber(v)
      if not n then error(("--%s needs a number, got '%s'"):format(k, tostring(v)), 0) end
      opts[numeric[k]] = n
    elseif k == "out" or k == "decay" or k == "truth" then
      if type(v) ~= "string" then error("--" .. k .. " needs a value", 0) end
      opts[k] = v
    elseif not flags[k] then
      error("unknown option --" .. k .. " (see tide sim --help)", 0)
    end
  end
  if not opts.out then error("--out FILE is required (see tide sim --help)", 0) end
  if o["no-hawkes"] then opts.hawkes = false end
  if o["no-churn"] then opts.churn = false end
  if o["no-truth"] then opts.truth = false end
  if o["no-user-truth"] then opts.user_truth = false end
  opts.truth_tensors = false
  local tide = require "tide"
  local ok, s = pcall(tide.sim.generate, opts)
  if not ok then error((tostring(s):gsub("^sim%.generate: ", "")), 0) end
  if not o.quiet then
    local b = s.behaviors
    print(("wrote %s: %d rows (%d users, %d visits; pv %d, click %d, cart %d, fav %d, buy %d)")
      :format(s.path, s.rows, s.users, s.visits, b.pv, b.click, b.cart, b.fav, b.buy))
    print(("  %.1f MB of CSV in %.2f s (%.2f M rows/s); decay %s, horizon %.1f days, %.2f pv/visit")
      :format(s.bytes / 1e6, s.seconds, (s.rows_per_second or 0) / 1e6, s.config.decay,
              s.config.horizon, s.config.mean_pv))
    if s.truth_path then print("  truth: " .. s.truth_path) end
  end
  return 0
end

return { summary = "simulate a behaviour log with known ground truth", help = help, run = run }
