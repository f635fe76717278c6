-- A worker restarted under the same id takes back the leases of its previous run at once; a damaged entry among them
-- is set aside. Returns how many went back to pending.
local n = reclaim_held_by({ [WORKER] = true })
if n > 0 then
  notify()
end
return n
