-- Copies the sorted blocklist values at the current version (once per version) and returns the version.
local version = tonumber(redis.call('GET', KEYS[1]) or '0')
local copy = ARGV[1] .. version
if redis.call('EXISTS', copy) == 0 and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('COPY', KEYS[2], copy)
end
redis.call('EXPIRE', copy, tonumber(ARGV[2]))
return version
