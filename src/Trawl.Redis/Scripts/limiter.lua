-- The per-domain token bucket and concurrency slots, shared by every worker. Not prefixed by common.lua.
-- ARGV: key prefix ("trawl:{spider}:domain:{domain}:"), client clock in ms or '' for the server's, operation
-- ('acquire' or 'release'), slot member, rate per second, burst, max concurrency (0 = none), slot timeout ms.
-- Returns {acquired (1/0), retry after ms}.
local P = ARGV[1]
local now
if ARGV[2] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
else
  now = tonumber(ARGV[2])
end
local slots = P .. 'slots'
local member = ARGV[4]
if ARGV[3] == 'release' then
  redis.call('ZREM', slots, member)
  return { 1, 0 }
end
local rate, burst, max_conc, slot_ms = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
if max_conc > 0 then
  redis.call('ZREMRANGEBYSCORE', slots, '-inf', now)
  if redis.call('ZCARD', slots) >= max_conc then
    -- Slots are usually freed by a release, not by expiry: look again soon, but not sooner than the rate allows.
    local wait = math.max(math.ceil(1000 / rate), 50)
    return { 0, wait }
  end
end
local bucket = P .. 'bucket'
local b = redis.call('HMGET', bucket, 'tokens', 'ts')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or now
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
end
if tokens < 1 then
  redis.call('HSET', bucket, 'tokens', tokens, 'ts', now)
  return { 0, math.max(1, math.ceil((1 - tokens) * 1000 / rate)) }
end
tokens = tokens - 1
redis.call('HSET', bucket, 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', bucket, math.ceil(burst * 1000 / rate) + 60000)
if max_conc > 0 then
  redis.call('ZADD', slots, now + slot_ms, member)
  redis.call('PEXPIRE', slots, slot_ms + 60000)
end
return { 1, 0 }
