-- The crawl's status in one consistent read. Returns {counts[6], seeds, invalid seeds, paused, items, workers
-- (id, last seen)*, holders (values)*, worker_done*, rate*, errors*, config*, now, failed entries, leased, expired,
-- retried, seeded} as nested arrays. Rate buckets older than an hour are dropped.
local s = redis.call('HMGET', P .. 'stats', 'done', 'failed', 'skipped', 'leased', 'expired', 'retried', 'seeded')
local counts = { redis.call('ZCARD', P .. 'pending'), redis.call('ZCARD', P .. 'delayed'), redis.call('ZCARD', P .. 'leases'),
  tonumber(s[1] or 0), tonumber(s[2] or 0), tonumber(s[3] or 0), tonumber(s[4] or 0), tonumber(s[5] or 0),
  tonumber(s[6] or 0), tonumber(s[7] or 0) }
local minute = math.floor(NOW / 60000)
local rate = redis.call('HGETALL', P .. 'rate')
local kept = {}
for i = 1, #rate, 2 do
  if tonumber(rate[i]) < minute - 60 then
    redis.call('HDEL', P .. 'rate', rate[i])
  else
    kept[#kept + 1] = rate[i]
    kept[#kept + 1] = rate[i + 1]
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
    tonumber(redis.call('GET', P .. 'item_seq') or 0), string.format('%d', NOW) },
  redis.call('ZRANGE', P .. 'workers', 0, -1, 'WITHSCORES'),
  redis.call('HGETALL', P .. 'worker_info'),
  lease_workers,
  redis.call('HGETALL', P .. 'worker_done'),
  kept,
  redis.call('HGETALL', P .. 'errors'),
  redis.call('HMGET', P .. 'config', 'dedup', 'bloom_bits', 'bloom_hashes'),
}
