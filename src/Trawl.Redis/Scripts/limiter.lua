-- The per-domain token bucket and concurrency slots, shared by every worker. Not prefixed by common.lua.
-- The limits are the crawl's, recorded once in its config hash (global_rate per second, global_burst,
-- global_concurrency; a rate or concurrency of 0 is no limit) and read on every call, so every worker applies the same
-- ones, and a change made there applies at once. A recorded limit that is not a plain decimal number (set by hand) is
-- read as no limit, both when it is applied and when it is reported.
-- ARGV: domain key prefix ("trawl:{spider}:domain:{domain}:"), config key, client clock in ms or '' for the server's,
-- operation, then by operation:
--   'acquire' slot member, slot timeout ms   -> {acquired (1/0), retry after ms, slot taken (1/0)}
--   'release' slot member                     -> {1}
--   'limits'  rate, burst, concurrency ('' to only read) -> {rate, burst, concurrency} as applied, or {} if none
local P, config, op = ARGV[1], ARGV[2], ARGV[4]

-- A plain non-negative decimal number (such as '20', '2.5' or '1E-05'), or nil. tonumber alone would take 'inf', 'nan'
-- and '0x10'.
local function decimal(v)
  if type(v) ~= 'string' then
    return nil
  end
  if string.match(v, '^%d+%.?%d*$') or string.match(v, '^%d+%.?%d*[eE][%-+]?%d+$') or string.match(v, '^%.%d+$') then
    local n = tonumber(v)
    if n and n < math.huge then
      return n
    end
  end
  return nil
end

-- The limits recorded in config as they are applied: rate (0 = none), burst (at least 1), concurrency (0 = none).
local function limits()
  local l = redis.call('HMGET', config, 'global_rate', 'global_burst', 'global_concurrency')
  local whole = function(v, default)
    return math.min(math.floor(decimal(v) or default), 1000000000)
  end
  return l[1], decimal(l[1]) or 0, math.max(whole(l[2], 1), 1), whole(l[3], 0)
end

if op == 'limits' then
  if ARGV[5] ~= '' and redis.call('HEXISTS', config, 'global_rate') == 0 then
    redis.call('HSET', config, 'global_rate', ARGV[5], 'global_burst', ARGV[6], 'global_concurrency', ARGV[7])
  end
  local recorded, rate, burst, max_conc = limits()
  if not recorded then
    return {}
  end
  return { string.format('%.17g', rate), string.format('%d', burst), string.format('%d', max_conc) }
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
local _, rate, burst, max_conc = limits()
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
  local tokens = decimal(b[1]) or burst
  local ts = decimal(b[2]) or now
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
