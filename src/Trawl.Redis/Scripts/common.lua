-- Prepended to every crawl script but limiter.lua. The header every caller sends (ScriptArgs in .NET):
--   ARGV[1] the key namespace, "trawl:{spider}:"
--   ARGV[2] the client's clock in Unix milliseconds, or '' for the server's (TIME)
--   ARGV[3] the calling worker's id, or ''
--   ARGV[4] ids of memoized operations whose results the caller has received (space-separated), forgotten here
--   ARGV[5] the crawl's epoch as the caller knows it, or '' for a caller that does not check it
-- A script's own arguments follow, from ARGV[H + 1].
--
-- Check, then write. Redis does not roll back a script that fails half-way, so a script checks every stored value it
-- does arithmetic with before relying on it, and a value that fails the check is set aside (the corrupt list) rather
-- than used. Every write is one that cannot fail.
local H = 5
local P = ARGV[1]

-- The crawl's identity. Its config, with the epoch recorded when the crawl began, goes only with all of the crawl's
-- keys (FLUSHDB, a restart without persistence, the keys deleted), and the work it held goes too. A caller that knows
-- the epoch then stops here, before anything is written, instead of finding the crawl empty and calling it finished.
if ARGV[5] ~= '' then
  local epoch = redis.call('HGET', P .. 'config', 'epoch')
  if epoch ~= ARGV[5] then
    return redis.error_reply('TRAWL_CRAWL_LOST ' .. (epoch and 'replaced' or 'gone'))
  end
end

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

-- How many values this call set aside, for the caller to report.
local SET_ASIDE = 0

local function heartbeat()
  if WORKER ~= '' then
    redis.call('ZADD', P .. 'workers', NOW, WORKER)
  end
end

local function notify()
  redis.call('PUBLISH', P .. 'events', 'changed')
end

-- Whether v is an integer that INCRBY and HINCRBY accept and Lua holds exactly: an optional '-', no leading zero, at
-- most 15 digits. (tonumber alone would take ' 5', '0x10' and 'inf'.)
local function is_int(v)
  if type(v) ~= 'string' then
    return false
  end
  if v == '0' then
    return true
  end
  local digits = string.match(v, '^%-?([1-9]%d*)$')
  return digits ~= nil and #digits <= 15
end

-- A stored count read for display: its value, or 0 when it is missing or damaged.
local function count_of(v)
  if is_int(v) then
    return tonumber(v)
  end
  return 0
end

-- Sets damaged data aside: a JSON record of it, raw value included, goes to the corrupt list for an operator.
local function set_aside(record)
  record.at = NOW
  if WORKER ~= '' then
    record.worker = WORKER
  end
  redis.call('LPUSH', P .. 'corrupt', cjson.encode(record))
  SET_ASIDE = SET_ASIDE + 1
end

-- An entry's priority and completed attempts, kept in entries as "priority attempts". Returns nil and the reason when
-- the entry is missing or malformed, which the caller must then set aside rather than compute with.
local function entry_info(id)
  if not string.match(id, '^%d+$') or #id > 15 then
    return nil, nil, 'not an entry id'
  end
  local v = redis.call('HGET', P .. 'entries', id)
  if not v then
    return nil, nil, 'no entries value'
  end
  local p, a = string.match(v, '^(%-?%d+) (%d+)$')
  if not p or #p > 11 or #a > 9 then
    return nil, nil, 'entries value is not "priority attempts"'
  end
  return tonumber(p), tonumber(a)
end

-- Sets a damaged entry aside with its raw entries value and request, and takes it out of every other key, so no
-- script meets it again. Nothing is lost from sight: an operator can mend the request and seed it again.
local function set_aside_entry(id, reason)
  local entry = redis.call('HGET', P .. 'entries', id)
  local body = redis.call('HGET', P .. 'requests', id)
  set_aside({ key = 'entries', field = id, value = entry or nil, request = body or nil, reason = reason })
  redis.call('ZREM', P .. 'pending', id)
  redis.call('ZREM', P .. 'delayed', id)
  redis.call('ZREM', P .. 'leases', id)
  redis.call('HDEL', P .. 'holders', id)
  redis.call('HDEL', P .. 'requests', id)
  redis.call('HDEL', P .. 'entries', id)
end

-- The crawl's counters of ids (seq, tokens, item_seq, seed_claim_seq, pause_epoch), checked once per call. One that
-- holds no integer is set aside and restarted from NOW, beyond any value it can have reached, so that no id is handed
-- out twice and epochs only grow.
local checked_counters = {}
local function check_counter(key)
  if checked_counters[key] then
    return
  end
  checked_counters[key] = true
  local v = redis.call('GET', P .. key)
  if v and not is_int(v) then
    set_aside({ key = key, value = v, reason = 'not an integer' })
    redis.call('SET', P .. key, string.format('%d', NOW))
  end
end

local function counter(key)
  check_counter(key)
  return tonumber(redis.call('GET', P .. key) or 0)
end

local function incr(key, by)
  check_counter(key)
  return redis.call('INCRBY', P .. key, by)
end

-- HINCRBY on a count (stats, errors, rate, worker_done). A field that holds no integer is set aside and counted from 0.
local function hincr(key, field, by)
  local v = redis.call('HGET', P .. key, field)
  if v and not is_int(v) then
    set_aside({ key = key, field = field, value = v, reason = 'not an integer' })
    redis.call('HDEL', P .. key, field)
  end
  return redis.call('HINCRBY', P .. key, field, by)
end

-- The cluster's pause state as one number: pause_epoch * 2, plus 1 while paused. The epoch advances at every pause and
-- resume, so a worker that hears of states out of order (a script's reply and a pub/sub message) keeps the newest.
local function pause_state()
  return counter('pause_epoch') * 2 + redis.call('EXISTS', P .. 'paused')
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

local function end_lease(id)
  redis.call('ZREM', P .. 'leases', id)
  redis.call('HDEL', P .. 'holders', id)
end

-- Puts an entry back in pending at its priority, or sets it aside when it is damaged. Returns whether it was requeued.
local function requeue(id)
  local p, _, reason = entry_info(id)
  if not p then
    set_aside_entry(id, reason)
    return false
  end
  redis.call('ZADD', P .. 'pending', -p, id)
  return true
end

-- Moves retries that are due to pending.
local function promote(limit)
  local due = redis.call('ZRANGEBYSCORE', P .. 'delayed', '-inf', NOW, 'LIMIT', 0, limit)
  for i = 1, #due do
    redis.call('ZREM', P .. 'delayed', due[i])
    requeue(due[i])
  end
  return #due
end

-- Takes back leases whose deadline has passed (a dead or stalled worker's), without counting an attempt.
local function reclaim(limit)
  local expired = redis.call('ZRANGEBYSCORE', P .. 'leases', '-inf', NOW, 'LIMIT', 0, limit)
  for i = 1, #expired do
    end_lease(expired[i])
    requeue(expired[i])
  end
  if #expired > 0 then
    hincr('stats', 'expired', #expired)
  end
  return #expired
end

-- Takes back at once every lease held by a worker in dead (worker id -> true): back to pending, no attempt counted, as
-- if it had expired. A holder record that does not read "token worker" is left to its lease deadline; a damaged entry
-- is set aside. Returns how many went back to pending.
local function reclaim_held_by(dead)
  local holders = redis.call('HGETALL', P .. 'holders')
  local n = 0
  for i = 1, #holders, 2 do
    local id = holders[i]
    local worker = string.match(holders[i + 1], '^%d+ (.+)$')
    if worker and dead[worker] then
      end_lease(id)
      if requeue(id) then
        n = n + 1
      end
    end
  end
  return n
end

-- Worker liveness. Each worker beats on a timer of its own (register.lua), which puts its deadline in alive (worker ->
-- NOW + liveness timeout); slow downloads do not hold the beat back, so a live worker keeps its leases. A worker whose
-- deadline has passed is dead: its leases go back to pending at once, instead of each waiting out its lease deadline,
-- and it leaves the live workers. The caller is never taken for dead: it is evidently running. Returns how many leases
-- came back.
local function reap_dead()
  local lapsed = redis.call('ZRANGEBYSCORE', P .. 'alive', '-inf', NOW, 'LIMIT', 0, 100)
  local dead, any = {}, false
  for i = 1, #lapsed do
    local worker = lapsed[i]
    if worker ~= WORKER then
      dead[worker] = true
      any = true
      redis.call('ZREM', P .. 'alive', worker)
      redis.call('ZREM', P .. 'workers', worker)
      redis.call('HDEL', P .. 'worker_info', worker)
    end
  end
  if not any then
    return 0
  end
  local n = reclaim_held_by(dead)
  if n > 0 then
    hincr('stats', 'reclaimed', n)
    notify()
  end
  return n
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

-- Schedules one request (priority and JSON from the caller) if it is new. Returns true when it was added.
local function schedule(key, priority, json)
  if not is_new(key) then
    return false
  end
  local id = string.format('%015d', incr('seq', 1))
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

local function memo_forget(op)
  redis.call('DEL', P .. 'op:' .. op)
end

