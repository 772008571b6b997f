-- test_seq_defaults.lua — the sequence models' data-shaped defaults (tide.models.seq_defaults):
-- hand-worked rule values for small and large shapes (a Games-like shape keeps the fixed
-- defaults), explicit options win (given to new, assigned before fit, or in part: an explicit
-- batch sets the steps the others count), auto = 0, a refit resolves again, determinism, exact
-- save/load of a model with resolved options, and what training logs and checkpoints record.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local U = require "decay_util"
local json = require "tide.data.json"
local D = require "tide.models.seq_defaults"
local seq = require "tide.models.seq_common"
local T = tide.tensor

local tests = {}

-- 40 users over 30 items, one event a day; user u has 50 + (7u mod 41) events, and as 41 is
-- prime, 7u mod 41 runs over 1..40: the history lengths are exactly 51..90. Nearest-rank 90th
-- percentile: the ceil(0.9 * 40) = 36th smallest, 86. cut = keep at most that many per user.
local function log(cut)
  local c = { user = {}, item = {}, time = {} }
  for u = 1, 40 do
    for j = 1, math.min(50 + (7 * u) % 41, cut or math.huge) do
      c.user[#c.user + 1], c.item[#c.item + 1], c.time[#c.time + 1] = u, (u * 3 + j) % 30 + 1, (u + j) * 86400
    end
  end
  local ev = U.events(c)
  ev.n_items = 30
  return ev
end

local function model(kind, extra)
  local o = { dim = 8, epochs = 1, dropout = 0, seed = 5 }
  for k, v in pairs(extra or {}) do o[k] = v end
  return tide.models[kind or "sasrec"](o)
end

local function rule(shape, given)
  local r = D.resolve(shape, given)
  return { r.maxlen, r.batch, r.steps_per_epoch, r.every, r.patience, r.epochs }
end

function tests.rules_small_and_large_shapes()
  -- Games (31013 users with >= 2 training events, 90th percentile 13): 31013/16 -> batch 128,
  -- 243 steps an epoch, so every 1, patience max(3, ceil(200/243)) = 3, epochs 30 — the base
  local b = seq.base
  check.all_near(rule({ n_users = 31013, p90 = 13 }),
    { b.maxlen, b.batch, 243, b.every, b.patience, b.epochs }, 0, "Games keeps the fixed defaults")
  check.all_near(rule({ n_users = 31013, p90 = 13 }), { 50, 128, 243, 1, 3, 30 }, 0, "Games by hand")
  -- MovieLens latest-small (610 users, p90 398): maxlen 200 (clamped), 610/16 = 38.1 -> 32,
  -- 20 steps, every ceil(32/20) = 2, patience ceil(200/40) = 5, epochs ceil(1000/20) = 50
  check.all_near(rule({ n_users = 610, p90 = 398 }), { 200, 32, 20, 2, 5, 50 }, 0, "MovieLens")
  -- the simulator (2000 users, p90 125): 130, 2000/16 = 125 -> 64, 32 steps, every 1,
  -- patience ceil(200/32) = 7, epochs ceil(1000/32) = 32
  check.all_near(rule({ n_users = 2000, p90 = 125 }), { 130, 64, 32, 1, 7, 32 }, 0, "sim")
  -- a handful of users: batch 16, 1 step, every 32, patience 7, epochs capped at 200
  check.all_near(rule({ n_users = 8, p90 = 3 }), { 50, 16, 1, 32, 7, 200 }, 0, "tiny")
  check.all_near(rule({ n_users = 0, p90 = 0 }), { 50, 16, 1, 32, 7, 200 }, 0, "empty")
  -- an explicit batch 128 on MovieLens: 5 steps, every ceil(32/5) = 7, patience
  -- ceil(200/35) = 6, epochs 200 (ceil(1000/5), at the cap); explicit values come back as given
  check.all_near(rule({ n_users = 610, p90 = 398 }, { batch = 128 }), { 200, 128, 5, 7, 6, 200 }, 0, "given batch")
  check.all_near(rule({ n_users = 610, p90 = 398 }, { maxlen = 7, every = 1, epochs = 9 }),
    { 7, 32, 20, 1, 10, 9 }, 0, "given maxlen, every, epochs")
  check.errors(function() D.resolve({ n_users = 5 }) end, "expected {n_users = number, p90 = number}")
  check.errors(function() D.resolve(nil) end, "seq_defaults.resolve")
end

function tests.shape_of_sequences()
  -- offsets of 5 users: lengths 1 (not counted), 4, 2, 0, 9
  local s = { n_users = 5, offsets = T.fromtable({ 0, 1, 5, 7, 7, 16 }, "i32") }
  local sh = D.shape(s)
  check.eq(sh.n_users, 3, "users with >= 2 events")
  check.eq(sh.p90, 9, "nearest rank ceil(0.9 * 3) = 3rd of {2, 4, 9}")
  local sh2 = D.shape(tide.data.sequences(log()))
  check.eq(sh2.n_users, 40, "40 users")
  check.eq(sh2.p90, 86, "36th of 51..90")
end

function tests.fit_resolves_unset_options_and_records_them()
  local m = model():fit(log())
  -- maxlen 90 (86 rounded up), batch 16 (40/16 = 2.5 -> 2, clamped), 3 steps an epoch,
  -- every ceil(32/3) = 11, patience max(3, ceil(200/33)) = 7; epochs was given
  check.all_near({ m.maxlen, m.batch, m.every, m.patience, m.epochs }, { 90, 16, 11, 7, 1 }, 0, "resolved")
  check.eq(m.resolved.maxlen, 90, "recorded maxlen")
  check.eq(m.resolved.epochs, nil, "explicit epochs not recorded as resolved")
  check.eq(m.resolved.n_users, 40, "recorded n_users")
  check.eq(m.resolved.p90, 86, "recorded p90")
  check.all_near(m.net.pos:shape(), { 90, 8 }, 0, "net built with the resolved maxlen")
  -- a refit on shorter histories (at most 20 each) resolves again: p90 20 -> maxlen 50
  m:fit(log(20))
  check.eq(m.maxlen, 50, "refit follows the new data")
  check.all_near(m.net.pos:shape(), { 50, 8 }, 0, "refit net")
end

function tests.explicit_options_win()
  local m = model(nil, { maxlen = 20, batch = 8 }):fit(log())
  -- 40/8 = 5 steps: every ceil(32/5) = 7, patience max(3, ceil(200/35)) = 6
  check.all_near({ m.maxlen, m.batch, m.every, m.patience }, { 20, 8, 7, 6 }, 0, "explicit maxlen and batch")
  check.eq(m.resolved.maxlen, nil, "maxlen not resolved")
  -- an explicit value equal to the base default still wins
  local e = model(nil, { maxlen = 50, batch = 128, every = 1, patience = 3 }):fit(log())
  check.all_near({ e.maxlen, e.batch, e.every, e.patience }, { 50, 128, 1, 3 }, 0, "explicit base values")
  -- assigned after new, before fit
  local a = model()
  a.maxlen, a.batch = 30, 4
  a:fit(log())
  check.all_near({ a.maxlen, a.batch }, { 30, 4 }, 0, "assigned options")
  -- auto = 0: the fixed defaults
  local f = model(nil, { auto = 0 }):fit(log())
  check.all_near({ f.maxlen, f.batch, f.every, f.patience }, { 50, 128, 1, 3 }, 0, "auto = 0")
  check.eq(f.resolved, nil, "nothing resolved")
  check.errors(function() model(nil, { auto = 2 }) end, "sasrec: option 'auto' must be 0 or 1")
  check.errors(function() model(nil, { auto = "yes" }) end, "option 'auto' must be a number")
  -- a config of `tide train` hands its options to new: they count as explicit
  local C = require "tide.train.config"
  check.eq(C.check({ data = "x", options = { maxlen = 50 } }).options.maxlen, 50, "config options kept")
end

function tests.deterministic_and_save_load_exact()
  local users = T.arange(1, 41, 1, "i32")
  for _, kind in ipairs({ "sasrec", "decay_attention", "bert4rec" }) do
    local extra = kind == "bert4rec" and { pretrain_epochs = 1, heads = 1 } or nil
    local a, b = model(kind, extra):fit(log()), model(kind, extra):fit(log())
    local sa = a:score(users)
    check.all_near(b:score(users), sa:totable(), 0, kind .. " same data, same scores")
    check.eq(a.maxlen, 90, kind .. " resolved maxlen")
    local path = os.tmpname()
    a:save(path)
    local c = tide.models[kind].load(path)
    check.eq(c.maxlen, 90, kind .. " loaded maxlen")
    check.eq(c.resolved.maxlen, 90, kind .. " loaded record")
    check.eq(c.resolved.p90, 86, kind .. " loaded shape")
    check.eq(c.explicit.maxlen, nil, kind .. " maxlen stays unset after load")
    check.eq(c.explicit.epochs, true, kind .. " epochs stays explicit after load")
    check.all_near(c:score(users), sa:totable(), 0, kind .. " reloaded scores")
    os.remove(path)
  end
  -- fixed defaults round-trip without a record
  local f = model(nil, { auto = 0 }):fit(log())
  local path = os.tmpname()
  f:save(path)
  check.eq(tide.models.sasrec.load(path).resolved, nil, "no record for auto = 0")
  os.remove(path)
end

function tests.training_log_and_checkpoint_record_the_values()
  local ck, lg = os.tmpname(), os.tmpname()
  model():fit(log(), { checkpoint = ck, log = lg })
  local _, meta = tide.checkpoint.load(ck)
  check.eq(meta["note.maxlen"], 90, "checkpoint meta maxlen")
  check.eq(meta["note.batch"], 16, "checkpoint meta batch")
  check.eq(meta["note.every"], 11, "checkpoint meta every")
  local f = assert(io.open(lg))
  local first = json.decode(f:read("*l"))
  f:close()
  check.eq(first.note.maxlen, 90, "first log object")
  check.eq(first.note.title, "sasrec defaults from the data", "log title")
  os.remove(ck)
  os.remove(lg)
  -- tide.train checks the note
  local net = tide.nn.Linear(2, 1)
  local batches = { { x = T.ones(1, 2) } }
  local loss = function(m, bt) return m(bt.x):sum() end
  check.errors(function() tide.train(net, batches, { loss = loss, note = 3 }) end, "train: opts.note must be a table")
  check.errors(function() tide.train(net, batches, { loss = loss, note = { a = {} } }) end, "opts.note must map names")
end

return tests
