-- Applies a batch of completions atomically. ARGV[H+1] the operation id (memoized), ARGV[H+2] the count, then for each:
-- id, token, status (d/r/f/s), retry delay ms, http status or '', error kind, error, n discovered, n items,
-- (dedup key, priority, json) * n discovered, item json * n items; last, the item share ('' for none), recorded with
-- each item so a worker's own output can replay only its share.
-- Returns "accepted-flags first-item-sequence added set-aside", for example "101 17 3 0".
local op = ARGV[H + 1]
local memo = memo_get(op)
if memo then
  if string.match(memo, '^[01]* %d+ %d+ %d+$') then
    return memo
  end
  memo_forget(op)
end
heartbeat()
local count = tonumber(ARGV[H + 2])
local share = ARGV[#ARGV]

-- First read and check what the batch needs: which leases still hold, and the attempts of the entries to retry or
-- fail. An entry that is damaged is set aside here, and its completion not applied.
local batch = {}
local taken = {}
local items = 0
local i = H + 3
for c = 1, count do
  local x = {
    id = ARGV[i], token = ARGV[i + 1], status = ARGV[i + 2], delay = tonumber(ARGV[i + 3]), http = ARGV[i + 4],
    kind = ARGV[i + 5], err = ARGV[i + 6], nd = tonumber(ARGV[i + 7]), ni = tonumber(ARGV[i + 8]), base = i + 9,
  }
  i = x.base + x.nd * 3 + x.ni
  -- A lease completed earlier in this batch is no longer held.
  x.held = not taken[x.id] and is_held(x.id, x.token)
  if x.held then
    taken[x.id] = true
  end
  if x.held and (x.status == 'r' or x.status == 'f') then
    local p, a, reason = entry_info(x.id)
    if p then
      x.p, x.a = p, a
    else
      set_aside_entry(x.id, reason)
      x.held = false
    end
  end
  if x.held and x.status == 'd' then
    items = items + x.ni
  end
  batch[c] = x
end

-- The stored request of a failed entry, as JSON to embed in its failure record: itself when it is a JSON object,
-- otherwise as a string (or null), so the record stays valid JSON.
local function request_json(id)
  local body = redis.call('HGET', P .. 'requests', id)
  if not body then
    return 'null'
  end
  local ok, decoded = pcall(cjson.decode, body)
  if ok and type(decoded) == 'table' then
    return body
  end
  return cjson.encode(body)
end

local seq = 0
if items > 0 then
  -- Sequences must pass the stream's last entry, or XADD would refuse one half-way through the batch: a counter left
  -- behind the stream (an entry added by hand) is set aside and moved past it.
  local last = redis.call('XREVRANGE', P .. 'items', '+', '-', 'COUNT', 1)
  local top = #last > 0 and tonumber(string.match(last[1][1], '^(%d+)')) or 0
  local current = counter('item_seq')
  if top >= current + 1 then
    set_aside({ key = 'item_seq', value = string.format('%d', current), reason = 'behind the item stream (' .. last[1][1] .. ')' })
    redis.call('SET', P .. 'item_seq', string.format('%d', top))
  end
  seq = incr('item_seq', items) - items
end
local first_seq = seq + 1
if items == 0 then
  first_seq = 0
end
local flags = {}
local added, done, retried, failed, skipped = 0, 0, 0, 0, 0
local errors = {}
local failures = {}
for c = 1, count do
  local x = batch[c]
  if x.held then
    flags[c] = '1'
    end_lease(x.id)
    if x.status == 'd' then
      for j = 0, x.nd - 1 do
        local at = x.base + j * 3
        if schedule(ARGV[at], ARGV[at + 1], ARGV[at + 2]) then
          added = added + 1
        end
      end
      for j = 0, x.ni - 1 do
        seq = seq + 1
        local id = string.format('%d-0', seq)
        if share == '' then
          redis.call('XADD', P .. 'items', id, 'j', ARGV[x.base + x.nd * 3 + j])
        else
          redis.call('XADD', P .. 'items', id, 'j', ARGV[x.base + x.nd * 3 + j], 's', share)
        end
      end
      done = done + 1
      redis.call('HDEL', P .. 'requests', x.id)
      redis.call('HDEL', P .. 'entries', x.id)
    elseif x.status == 'r' then
      redis.call('HSET', P .. 'entries', x.id, string.format('%d %d', x.p, x.a + 1))
      redis.call('ZADD', P .. 'delayed', NOW + x.delay, x.id)
      retried = retried + 1
      errors[x.kind] = (errors[x.kind] or 0) + 1
    elseif x.status == 'f' then
      local http = x.http
      if http == '' then
        http = 'null'
      end
      redis.call('HSET', P .. 'failed', x.id, '{"kind":' .. cjson.encode(x.kind) .. ',"error":' .. cjson.encode(x.err)
        .. ',"status":' .. http .. ',"attempts":' .. (x.a + 1) .. ',"at":' .. string.format('%d', NOW)
        .. ',"worker":' .. cjson.encode(WORKER) .. ',"request":' .. request_json(x.id) .. '}')
      redis.call('HDEL', P .. 'requests', x.id)
      redis.call('HDEL', P .. 'entries', x.id)
      failed = failed + 1
      errors[x.kind] = (errors[x.kind] or 0) + 1
      failures[x.kind] = (failures[x.kind] or 0) + 1
    else
      redis.call('HDEL', P .. 'requests', x.id)
      redis.call('HDEL', P .. 'entries', x.id)
      skipped = skipped + 1
    end
  else
    flags[c] = '0'
  end
end
for field, n in pairs({ done = done, retried = retried, failed = failed, skipped = skipped }) do
  if n > 0 then
    hincr('stats', field, n)
  end
end
for kind, n in pairs(errors) do
  hincr('errors', kind, n)
end
for kind, n in pairs(failures) do
  hincr('failures', kind, n)
end
if done > 0 then
  hincr('rate', tostring(math.floor(NOW / 60000)), done)
  if WORKER ~= '' then
    hincr('worker_done', WORKER, done)
  end
end
local result = table.concat(flags) .. ' ' .. string.format('%d', first_seq) .. ' ' .. added .. ' ' .. SET_ASIDE
memo_set(op, result)
if count > 0 then
  notify()
end
return result
