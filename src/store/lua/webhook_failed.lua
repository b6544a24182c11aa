-- Counts a failed webhook attempt under the worker's lease and schedules the next, backing off.
if redis.call('ZSCORE', KEYS[1], ARGV[1]) ~= ARGV[2] then return -1 end
local attempts = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
if attempts < tonumber(ARGV[3]) then
  local wait = math.min(tonumber(ARGV[5]) * 2 ^ (attempts - 1), 3600000)
  redis.call('ZADD', KEYS[1], tonumber(ARGV[4]) + wait, ARGV[1])
end
return attempts
