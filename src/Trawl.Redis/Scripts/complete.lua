-- Applies a batch of completions atomically. ARGV[5] the operation id (memoized), ARGV[6] the count, then for each:
-- id, token, status (d/r/f/s), retry delay ms, http status or '', error kind, error, n discovered, n items,
-- (dedup key, priority, json) * n discovered, item json * n items; last, the item share ('' for none), recorded with
-- each item so a worker's own output can replay only its share.
-- Returns "accepted-flags first-item-sequence added", for example "101 17 3".
local op = ARGV[5]
local memo = memo_get(op)
if memo then
  return memo
end
heartbeat()
local count = tonumber(ARGV[6])
local share = ARGV[#ARGV]
local flags = {}
local first_seq = 0
local added = 0
local done = 0
local i = 7
local minute = tostring(math.floor(NOW / 60000))
for c = 1, count do
  local id, token, status = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local delay, http, kind, err = tonumber(ARGV[i + 3]), ARGV[i + 4], ARGV[i + 5], ARGV[i + 6]
  local nd, ni = tonumber(ARGV[i + 7]), tonumber(ARGV[i + 8])
  local base = i + 9
  i = base + nd * 3 + ni
  if is_held(id, token) then
    flags[c] = '1'
    end_lease(id)
    local p, a = entry_info(id)
    if status == 'd' then
      for j = 0, nd - 1 do
        local at = base + j * 3
        if schedule(ARGV[at], ARGV[at + 1], ARGV[at + 2]) then
          added = added + 1
        end
      end
      for j = 0, ni - 1 do
        local seq = redis.call('INCR', P .. 'item_seq')
        if first_seq == 0 then
          first_seq = seq
        end
        if share == '' then
          redis.call('XADD', P .. 'items', seq .. '-0', 'j', ARGV[base + nd * 3 + j])
        else
          redis.call('XADD', P .. 'items', seq .. '-0', 'j', ARGV[base + nd * 3 + j], 's', share)
        end
      end
      done = done + 1
      redis.call('HDEL', P .. 'requests', id)
      redis.call('HDEL', P .. 'entries', id)
      redis.call('HINCRBY', P .. 'stats', 'done', 1)
    elseif status == 'r' then
      redis.call('HSET', P .. 'entries', id, p .. ' ' .. (a + 1))
      redis.call('ZADD', P .. 'delayed', NOW + delay, id)
      redis.call('HINCRBY', P .. 'stats', 'retried', 1)
      redis.call('HINCRBY', P .. 'errors', kind, 1)
    elseif status == 'f' then
      local body = redis.call('HGET', P .. 'requests', id) or 'null'
      if http == '' then
        http = 'null'
      end
      redis.call('HSET', P .. 'failed', id, '{"kind":' .. cjson.encode(kind) .. ',"error":' .. cjson.encode(err)
        .. ',"status":' .. http .. ',"attempts":' .. (a + 1) .. ',"at":' .. string.format('%d', NOW)
        .. ',"worker":' .. cjson.encode(WORKER) .. ',"request":' .. body .. '}')
      redis.call('HDEL', P .. 'requests', id)
      redis.call('HDEL', P .. 'entries', id)
      redis.call('HINCRBY', P .. 'stats', 'failed', 1)
      redis.call('HINCRBY', P .. 'errors', kind, 1)
    else
      redis.call('HDEL', P .. 'requests', id)
      redis.call('HDEL', P .. 'entries', id)
      redis.call('HINCRBY', P .. 'stats', 'skipped', 1)
    end
  else
    flags[c] = '0'
  end
end
if done > 0 then
  redis.call('HINCRBY', P .. 'rate', minute, done)
  if WORKER ~= '' then
    redis.call('HINCRBY', P .. 'worker_done', WORKER, done)
  end
end
local result = table.concat(flags) .. ' ' .. string.format('%d', first_seq) .. ' ' .. added
memo_set(op, result)
if count > 0 then
  notify()
end
return result
