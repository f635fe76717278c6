-- The per-domain token bucket and concurrency slots, shared by every worker. Not prefixed by common.lua.
-- The limits are the crawl's, recorded once in its config hash (global_rate per second, global_burst,
-- global_concurrency; a rate or concurrency of 0 is no limit) and read on every call, so every worker applies the same
-- ones, and a change made there applies at once.
-- ARGV: domain key prefix ("trawl:{spider}:domain:{domain}:"), config key, client clock in ms or '' for the server's,
-- operation, then by operation:
--   'acquire' slot member, slot timeout ms   -> {acquired (1/0), retry after ms, slot taken (1/0)}
--   'release' slot member                     -> {1}
--   'limits'  rate, burst, concurrency ('' to only read) -> {rate, burst, concurrency} as recorded, or {} if none
local P, config, op = ARGV[1], ARGV[2], ARGV[4]
if op == 'limits' then
  if ARGV[5] ~= '' and redis.call('HEXISTS', config, 'global_rate') == 0 then
    redis.call('HSET', config, 'global_rate', ARGV[5], 'global_burst', ARGV[6], 'global_concurrency', ARGV[7])
  end
  local l = redis.call('HMGET', config, 'global_rate', 'global_burst', 'global_concurrency')
  if not l[1] then
    return {}
  end
  return { l[1], l[2] or '1', l[3] or '0' }
end
local slots = P .. 'slots'
local member = ARGV[5]
if op == 'release' then
  redis.call('ZREM', slots, member)
  return { 1 }
end
local now
if ARGV[3] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
else
  now = tonumber(ARGV[3])
end
local l = redis.call('HMGET', config, 'global_rate', 'global_burst', 'global_concurrency')
local rate, burst, max_conc = tonumber(l[1]) or 0, math.max(tonumber(l[2]) or 1, 1), tonumber(l[3]) or 0
local slot_ms = tonumber(ARGV[6])
if max_conc > 0 then
  redis.call('ZREMRANGEBYSCORE', slots, '-inf', now)
  if redis.call('ZCARD', slots) >= max_conc then
    -- Slots are usually freed by a release, not by expiry: look again soon, but not sooner than the rate allows.
    local wait = 50
    if rate > 0 then
      wait = math.max(math.ceil(1000 / rate), 50)
    end
    return { 0, wait, 0 }
  end
end
if rate > 0 then
  local bucket = P .. 'bucket'
  local b = redis.call('HMGET', bucket, 'tokens', 'ts')
  local tokens = tonumber(b[1]) or burst
  local ts = tonumber(b[2]) or now
  if now > ts then
    tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
  end
  if tokens < 1 then
    redis.call('HSET', bucket, 'tokens', tokens, 'ts', now)
    return { 0, math.max(1, math.ceil((1 - tokens) * 1000 / rate)), 0 }
  end
  redis.call('HSET', bucket, 'tokens', tokens - 1, 'ts', now)
  redis.call('PEXPIRE', bucket, math.ceil(burst * 1000 / rate) + 60000)
end
if max_conc > 0 then
  redis.call('ZADD', slots, now + slot_ms, member)
  redis.call('PEXPIRE', slots, slot_ms + 60000)
  return { 1, 0, 1 }
end
return { 1, 0, 0 }
