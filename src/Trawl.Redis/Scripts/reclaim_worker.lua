-- A worker restarted under the same id takes back the leases of its previous run at once; a damaged entry among them
-- is set aside. Returns how many went back to pending.
local holders = redis.call('HGETALL', P .. 'holders')
local suffix = ' ' .. WORKER
local n = 0
for i = 1, #holders, 2 do
  local id, h = holders[i], holders[i + 1]
  if string.sub(h, -#suffix) == suffix then
    end_lease(id)
    if requeue(id) then
      n = n + 1
    end
  end
end
if n > 0 then
  notify()
end
return n
