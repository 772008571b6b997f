-- tide.sentiment.lexicon_en — a small hand-written English sentiment lexicon for product
-- reviews. Polarity weights on a -3..3 scale; negators flip, degree adverbs scale, contrast
-- words shift weight to what follows. Written for Tide (not copied from a published lexicon).
local words = {
  good = 1.5, great = 2.5, excellent = 3, amazing = 3, awesome = 3, perfect = 3, love = 2.5,
  loved = 2.5, loves = 2.5, like = 1, liked = 1, nice = 1.5, best = 2.5, better = 1,
  wonderful = 2.5, fantastic = 3, happy = 2, pleased = 2, satisfied = 2, recommend = 2,
  recommended = 2, favorite = 2, favourite = 2, beautiful = 2, pretty = 1, soft = 1,
  smooth = 1.5, fresh = 1.5, clean = 1, gentle = 1.5, lovely = 2, works = 1, worked = 1,
  effective = 1.5, worth = 1.5, fast = 1, quick = 1, easy = 1.5, comfortable = 1.5,
  fine = 0.5, glad = 1.5, impressed = 2, quality = 0.5, value = 0.5, cheap = -0.5,
  bargain = 1.5, superb = 3, outstanding = 3, delighted = 2.5, enjoy = 1.5, enjoyed = 1.5,
  helpful = 1.5, durable = 1.5, refreshing = 1.5, fabulous = 2.5, gorgeous = 2.5, thanks = 1,
  bad = -2, terrible = -3, awful = -3, horrible = -3, worst = -3, poor = -2, hate = -2.5,
  hated = -2.5, disappointed = -2.5, disappointing = -2.5, disappointment = -2.5,
  broken = -2, broke = -2, waste = -2.5, wasted = -2.5, useless = -2.5, junk = -2.5,
  ["return"] = -1, returned = -1.5, refund = -1.5, fake = -2.5, cheaply = -1.5, sticky = -1,
  greasy = -1.5, smelly = -2, stinks = -2, stink = -2, irritation = -2, irritated = -2,
  rash = -2, burn = -1.5, burned = -1.5, burning = -1.5, itchy = -1.5, dry = -0.5,
  problem = -1, problems = -1, issue = -1, issues = -1, leak = -1.5, leaked = -1.5,
  leaking = -1.5, damaged = -2, defective = -2.5, unhappy = -2, annoying = -1.5, weak = -1,
  overpriced = -2, expensive = -1, mediocre = -1, meh = -1, sadly = -1, unfortunately = -1.5,
  wrong = -1.5, fail = -2, failed = -2, fails = -2, avoid = -2.5, regret = -2.5, sucks = -2.5,
  gross = -2.5, nasty = -2.5, harsh = -1.5, flimsy = -1.5, ugly = -2, boring = -1.5,
}
return {
  words = words,
  negators = { ["not"] = true, ["no"] = true, ["never"] = true, ["don't"] = true,
               ["doesn't"] = true, ["didn't"] = true, ["isn't"] = true, ["wasn't"] = true,
               ["aren't"] = true, ["won't"] = true, ["can't"] = true, ["cannot"] = true,
               ["nothing"] = true, ["hardly"] = true, ["without"] = true, ["nor"] = true },
  degree = { very = 1.5, really = 1.4, so = 1.4, extremely = 2, super = 1.6, too = 1.3,
             absolutely = 1.8, totally = 1.5, quite = 1.2, highly = 1.6, incredibly = 1.9,
             most = 1.5, more = 1.2, slightly = 0.5, somewhat = 0.6, bit = 0.6, little = 0.7,
             kinda = 0.6, fairly = 0.8, pretty = nil },
  contrast = { but = true, however = true, though = true, although = true, yet = true },
  max_len = 1,
}
