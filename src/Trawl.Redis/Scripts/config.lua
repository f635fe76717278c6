-- Records the crawl's config if it has none (ARGV[H+1] the dedup mode, ARGV[H+2] Bloom bits, ARGV[H+3] Bloom hashes,
-- ARGV[H+4] a new epoch) and returns the recorded one, which every caller adopts: {mode, bits, hashes, created, epoch}.
-- A crawl recorded before epochs existed gets one now. A recorded config that is damaged is refused, not adopted: the
-- crawl cannot be deduplicated the way it was.
local c = redis.call('HMGET', P .. 'config', 'dedup', 'bloom_bits', 'bloom_hashes', 'created', 'epoch')
if not c[1] then
  local created = string.format('%d', NOW)
  redis.call('HSET', P .. 'config', 'dedup', ARGV[H + 1], 'bloom_bits', ARGV[H + 2], 'bloom_hashes', ARGV[H + 3],
    'created', created, 'version', '1', 'epoch', ARGV[H + 4])
  return { ARGV[H + 1], ARGV[H + 2], ARGV[H + 3], created, ARGV[H + 4] }
end
if c[1] ~= 'exact' and c[1] ~= 'bloom' then
  return redis.error_reply('TRAWL_CONFIG_DAMAGED dedup is ' .. string.sub(c[1], 1, 40) .. ', not exact or bloom')
end
if c[1] == 'bloom' and not (is_int(c[2]) and is_int(c[3])) then
  return redis.error_reply('TRAWL_CONFIG_DAMAGED bloom_bits and bloom_hashes must be integers')
end
if not c[5] then
  redis.call('HSET', P .. 'config', 'epoch', ARGV[H + 4])
  c[5] = ARGV[H + 4]
end
return { c[1], c[2] or '', c[3] or '', c[4] or '', c[5] }
