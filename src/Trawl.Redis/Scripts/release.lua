-- Returns leases to pending without counting an attempt: (id, token) pairs from ARGV[H+1]. A damaged entry is set aside
-- instead. Returns how many were held.
local released = 0
for i = H + 1, #ARGV, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  if holder_token(id) == token then
    end_lease(id)
    requeue(id)
    released = released + 1
  end
end
if released > 0 then
  notify()
end
return released
