-- The crawl's status in one consistent read. Returns, as nested arrays: counts[11], {seeds, invalid seeds, paused,
-- items, now, corrupt}, workers (id, last seen)*, worker_info*, lease holders, worker_done*, rate*, errors*, config,
-- the newest corrupt records, failures*. Damaged counts read as 0 and are left out of the lists; rate buckets older than an hour
-- are dropped.
local s = redis.call('HMGET', P .. 'stats', 'done', 'failed', 'skipped', 'leased', 'expired', 'retried', 'seeded', 'reclaimed')
local counts = { redis.call('ZCARD', P .. 'pending'), redis.call('ZCARD', P .. 'delayed'), redis.call('ZCARD', P .. 'leases') }
for i = 1, #s do
  counts[#counts + 1] = count_of(s[i])
end

-- A hash's (field, count) pairs whose count is sound.
local function counts_in(key)
  local all = redis.call('HGETALL', P .. key)
  local kept = {}
  for i = 1, #all, 2 do
    if is_int(all[i + 1]) then
      kept[#kept + 1] = all[i]
      kept[#kept + 1] = all[i + 1]
    end
  end
  return kept
end

local minute = math.floor(NOW / 60000)
local rate = {}
local buckets = counts_in('rate')
for i = 1, #buckets, 2 do
  local m = is_int(buckets[i]) and tonumber(buckets[i])
  if m and m < minute - 60 then
    redis.call('HDEL', P .. 'rate', buckets[i])
  elseif m then
    rate[#rate + 1] = buckets[i]
    rate[#rate + 1] = buckets[i + 1]
  end
end
local holders = redis.call('HVALS', P .. 'holders')
local lease_workers = {}
for i = 1, #holders do
  lease_workers[i] = string.match(holders[i], '^%d+ (.*)$') or ''
end
return {
  counts,
  { redis.call('LLEN', P .. 'start_urls'), redis.call('LLEN', P .. 'seeds_invalid'), redis.call('EXISTS', P .. 'paused'),
    count_of(redis.call('GET', P .. 'item_seq')), string.format('%d', NOW), redis.call('LLEN', P .. 'corrupt') },
  redis.call('ZRANGE', P .. 'workers', 0, -1, 'WITHSCORES'),
  redis.call('HGETALL', P .. 'worker_info'),
  lease_workers,
  counts_in('worker_done'),
  rate,
  counts_in('errors'),
  redis.call('HMGET', P .. 'config', 'dedup', 'bloom_bits', 'bloom_hashes'),
  redis.call('LRANGE', P .. 'corrupt', 0, 9),
  counts_in('failures'),
}
