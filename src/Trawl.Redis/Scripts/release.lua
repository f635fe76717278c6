-- Returns leases to pending without counting an attempt: (id, token) pairs from ARGV[5]. Returns how many were held.
local released = 0
for i = 5, #ARGV, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  if holder_token(id) == token then
    end_lease(id)
    to_pending(id)
    released = released + 1
  end
end
if released > 0 then
  notify()
end
return released
