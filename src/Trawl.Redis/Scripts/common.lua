-- Prepended to every frontier script. ARGV[1] the key namespace ("trawl:{spider}:"), ARGV[2] the client's clock in
-- Unix milliseconds or '' for the server's clock (redis TIME), ARGV[3] the calling worker's id or '', ARGV[4] the ids
-- of memoized operations whose results the client has received (space-separated), which are forgotten here.
local P = ARGV[1]
local NOW
if ARGV[2] == '' then
  local t = redis.call('TIME')
  NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  NOW = tonumber(ARGV[2])
end
local WORKER = ARGV[3]
for op in string.gmatch(ARGV[4], '%S+') do
  redis.call('DEL', P .. 'op:' .. op)
end

local function heartbeat()
  if WORKER ~= '' then
    redis.call('ZADD', P .. 'workers', NOW, WORKER)
  end
end

local function notify()
  redis.call('PUBLISH', P .. 'events', 'changed')
end

-- The cluster's pause state as one number: pause_epoch * 2, plus 1 while paused. The epoch advances at every pause and
-- resume, so a worker that hears of states out of order (a script's reply and a pub/sub message) keeps the newest.
local function pause_state()
  return tonumber(redis.call('GET', P .. 'pause_epoch') or 0) * 2 + redis.call('EXISTS', P .. 'paused')
end

-- An entry's priority and completed attempts, kept as "priority attempts".
local function entry_info(id)
  local v = redis.call('HGET', P .. 'entries', id)
  if not v then
    return 0, 0
  end
  local p, a = string.match(v, '^(%-?%d+) (%d+)$')
  return tonumber(p), tonumber(a)
end

-- The lease token held on an entry, or nil.
local function holder_token(id)
  local h = redis.call('HGET', P .. 'holders', id)
  if not h then
    return nil
  end
  return string.match(h, '^(%d+) ')
end

-- Whether the lease (id, token) is still held at NOW: the token matches and the deadline has not passed.
local function is_held(id, token)
  if holder_token(id) ~= token then
    return false
  end
  local deadline = redis.call('ZSCORE', P .. 'leases', id)
  return deadline ~= false and tonumber(deadline) > NOW
end

local function to_pending(id)
  local p = entry_info(id)
  redis.call('ZADD', P .. 'pending', -p, id)
end

local function end_lease(id)
  redis.call('ZREM', P .. 'leases', id)
  redis.call('HDEL', P .. 'holders', id)
end

-- Moves retries that are due to pending.
local function promote(limit)
  local due = redis.call('ZRANGEBYSCORE', P .. 'delayed', '-inf', NOW, 'LIMIT', 0, limit)
  for i = 1, #due do
    redis.call('ZREM', P .. 'delayed', due[i])
    to_pending(due[i])
  end
  return #due
end

-- Takes back leases whose deadline has passed (a dead or stalled worker's), without counting an attempt.
local function reclaim(limit)
  local expired = redis.call('ZRANGEBYSCORE', P .. 'leases', '-inf', NOW, 'LIMIT', 0, limit)
  for i = 1, #expired do
    end_lease(expired[i])
    to_pending(expired[i])
  end
  if #expired > 0 then
    redis.call('HINCRBY', P .. 'stats', 'expired', #expired)
  end
  return #expired
end

-- Deduplication. key '' = DontFilter (always new, marks nothing); 'x' .. 20 fingerprint bytes = exact set;
-- 'b' .. ' pos1 pos2 …' = the Bloom filter's bit positions: BITFIELD SET returns the old bits, so the check and the
-- set are one command, and the request was seen when every old bit was already 1.
local function is_new(key)
  if key == '' then
    return true
  end
  local kind = string.sub(key, 1, 1)
  if kind == 'x' then
    return redis.call('SADD', P .. 'seen', string.sub(key, 2)) == 1
  end
  local args = { 'BITFIELD', P .. 'bloom' }
  for pos in string.gmatch(key, '%d+') do
    args[#args + 1] = 'SET'
    args[#args + 1] = 'u1'
    args[#args + 1] = pos
    args[#args + 1] = 1
  end
  local old = redis.call(unpack(args))
  for i = 1, #old do
    if old[i] == 0 then
      return true
    end
  end
  return false
end

-- Schedules one request if it is new. Returns true when it was added.
local function schedule(key, priority, json)
  if not is_new(key) then
    return false
  end
  local id = string.format('%015d', redis.call('INCR', P .. 'seq'))
  redis.call('HSET', P .. 'requests', id, json)
  redis.call('HSET', P .. 'entries', id, priority .. ' 0')
  redis.call('ZADD', P .. 'pending', -tonumber(priority), id)
  return true
end

local function memo_get(op)
  if op == '' then
    return false
  end
  return redis.call('GET', P .. 'op:' .. op)
end

local function memo_set(op, value)
  if op ~= '' then
    redis.call('SET', P .. 'op:' .. op, value, 'EX', 3600)
  end
end

