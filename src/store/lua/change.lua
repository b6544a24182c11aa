-- One atomic change with its audit entries.
-- KEYS[1] the audit stream, KEYS[2] the audit head; the other keys are those the change touches.
-- ARGV[1] JSON {"checks":[...],"ops":[...],"audits":[...]}:
--   checks: ["absent", k] (string key k does not exist), ["field_in", k, field, v1, v2, ...]
--           (HGET k field is one of the values; "" stands for a missing field);
--           the first that fails ends the script: {index, current value or nil}.
--   ops:    [COMMAND, k, arg, ...] run in order, with KEYS[k] as the key; see COUNTER below.
--   audits: entry JSON objects without `seq`; each is stored as {"seq":N,...} with
--           hash = sha256(prev_hash .. stored text), and the head moves on.
-- Answers {0, last audit seq}.
local spec = cjson.decode(ARGV[1])
for i, check in ipairs(spec.checks) do
  local key = KEYS[check[2]]
  if check[1] == 'absent' then
    local current = redis.call('GET', key)
    if current then return { i, current } end
  elseif check[1] == 'field_in' then
    local current = redis.call('HGET', key, check[3]) or ''
    local ok = false
    for j = 4, #check do
      if current == check[j] then ok = true end
    end
    if not ok then return { i, current } end
  else
    return redis.error_reply('unknown check ' .. tostring(check[1]))
  end
end
local allowed = { HSET = true, HDEL = true, RPUSH = true, ZADD = true, ZREM = true, XADD = true,
                  SET = true, DEL = true, SADD = true, SREM = true, HINCRBY = true,
                  XACK = true, XDEL = true }
-- ["COUNTER", k, name] increments KEYS[k] and names the result: a later argument equal to
-- name is replaced by it (names start with a NUL byte, which no input text can hold).
local counters = {}
for _, op in ipairs(spec.ops) do
  if op[1] == 'COUNTER' then
    counters[op[3]] = redis.call('INCR', KEYS[op[2]])
  elseif not allowed[op[1]] then
    return redis.error_reply('command not allowed in a change: ' .. tostring(op[1]))
  else
    local args = {}
    for j = 3, #op do
      local arg = op[j]
      if counters[arg] then arg = counters[arg] end
      args[#args + 1] = arg
    end
    redis.call(op[1], KEYS[op[2]], unpack(args))
  end
end
local seq = tonumber(redis.call('HGET', KEYS[2], 'seq') or '0')
local prev = redis.call('HGET', KEYS[2], 'hash') or string.rep('0', 64)
for _, body in ipairs(spec.audits) do
  seq = seq + 1
  local text = '{"seq":' .. seq .. ',' .. string.sub(body, 2)
  prev = sha256hex(prev .. text)
  redis.call('XADD', KEYS[1], '*', 'seq', seq, 'entry', text, 'hash', prev)
end
if #spec.audits > 0 then
  redis.call('HSET', KEYS[2], 'seq', seq, 'hash', prev)
end
return { 0, seq }
