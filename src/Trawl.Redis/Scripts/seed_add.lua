-- Schedules the requests parsed from a seed claim, once: ARGV[H+1] the claim id, ARGV[H+2] the number of invalid
-- messages, then (message, reason) pairs, then (dedup key, priority, json) triples. Returns the number added, or -1 when
-- the claim had lapsed and its messages were put back (the caller then drops its parse).
local claim = ARGV[H + 1]
if not redis.call('ZSCORE', P .. 'seed_claims', claim) then
  return -1
end
redis.call('ZREM', P .. 'seed_claims', claim)
redis.call('DEL', P .. 'seed_claim:' .. claim)
local invalid = tonumber(ARGV[H + 2])
local i = H + 3
for _ = 1, invalid do
  redis.call('LPUSH', P .. 'seeds_invalid', cjson.encode({ message = ARGV[i], reason = ARGV[i + 1], at = NOW }))
  i = i + 2
end
if invalid > 0 then
  redis.call('LTRIM', P .. 'seeds_invalid', 0, 999)
end
local added = 0
for j = i, #ARGV, 3 do
  if schedule(ARGV[j], ARGV[j + 1], ARGV[j + 2]) then
    added = added + 1
  end
end
hincr('stats', 'seeded', added)
if added > 0 then
  notify()
end
return added
