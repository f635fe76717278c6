-- Sets aside entries a worker leased but could not use (the request does not parse): (id, token, reason) triples from
-- ARGV[H+1], each only while the lease is held. Returns how many were set aside.
for i = H + 1, #ARGV, 3 do
  if is_held(ARGV[i], ARGV[i + 1]) then
    set_aside_entry(ARGV[i], ARGV[i + 2])
  end
end
return SET_ASIDE
