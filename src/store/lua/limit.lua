-- One key's shared rate-limit budget: its theoretical arrival time (TAT), in microseconds of
-- Redis's clock, advanced by the units each replica spent since its last push.
-- KEYS[1]: the budget key. ARGV[1]: units spent (0 only reads). ARGV[2]: microseconds per unit.
-- Returns how many microseconds the TAT is ahead of now (0 when the bucket is full).
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat < now then
  tat = now
end
local spent = tonumber(ARGV[1])
if spent > 0 then
  tat = tat + math.ceil(spent * tonumber(ARGV[2]))
  -- Kept until the bucket is full again (and a second more); a missing key is a full bucket.
  redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
end
return tat - now
