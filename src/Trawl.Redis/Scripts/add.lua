-- Schedules requests: ARGV[H+1] the operation id (memoized), then (dedup key, priority, json) triples. Returns the
-- number added.
local op = ARGV[H + 1]
local memo = memo_get(op)
if is_int(memo) then
  return tonumber(memo)
end
local added = 0
for i = H + 2, #ARGV, 3 do
  if schedule(ARGV[i], ARGV[i + 1], ARGV[i + 2]) then
    added = added + 1
  end
end
memo_set(op, added)
if added > 0 then
  notify()
end
return added
