-- A group of changes with their audit entries, applied in order (group commit).
-- The service chains the audit entries itself (text and SHA-256) from the head it expects;
-- the script only checks that head, runs the changes and stores the entries it was given.
--
-- KEYS[1] the audit stream, KEYS[2] the audit head; the other keys are those the changes touch.
-- ARGV[1], ARGV[2]: the head (seq, hash) the entries were chained from ("0" and 64 zeros for
--   an empty log).
-- ARGV[3]: JSON [[keymap, audits], ...], one per change: KEYS[keymap[k]] is the change's key k,
--   and it has `audits` audit entries.
-- ARGV[3 + i]: change i's JSON {"checks":[...],"ops":[...]}, key indices local to the change:
--   checks: ["absent", k] (string key k does not exist), ["field_in", k, field, v1, v2, ...]
--           (HGET k field is one of the values; "" stands for a missing field);
--   ops:    [COMMAND, k, arg, ...] run in order, with the change's key k; see COUNTER below.
-- Then, for every audit entry of every change in order: seq, stored entry text, hash.
--
-- Answers {-1, head seq, head hash} when the head is not the expected one: nothing is written.
-- Otherwise {done, stopped, check, head seq, head hash, current}: changes 1..done were made
-- and the head moved to their last entry. stopped = 0 when every change was made; else
-- change `stopped` (= done + 1) was not made, and nothing after it was tried: its
-- precondition `check` did not hold (`current` is the value found, nil for a missing key), or
-- with check = 0 it failed with the error text `current` (writes it made before failing stay,
-- as for any script; its audit entries were not written).
local GENESIS = string.rep('0', 64)
local head = redis.call('HMGET', KEYS[2], 'seq', 'hash')
local head_seq, head_hash = head[1] or '0', head[2] or GENESIS
if tonumber(head_seq) ~= tonumber(ARGV[1]) or head_hash ~= ARGV[2] then
  return { -1, head_seq, head_hash }
end

local allowed = { HSET = true, HDEL = true, RPUSH = true, ZADD = true, ZREM = true, XADD = true,
                  SET = true, DEL = true, SADD = true, SREM = true, HINCRBY = true,
                  XACK = true, XDEL = true }
local header = cjson.decode(ARGV[3])
local next_audit = 4 + #header
local done = 0
local moved = false

-- Runs the changes in order; returns (stopped, check, current) at the first refused change.
local function run()
  for n, change in ipairs(header) do
    local keymap, audits = change[1], change[2]
    local spec = cjson.decode(ARGV[3 + n])
    for i, check in ipairs(spec.checks) do
      local key = KEYS[keymap[check[2]]]
      if check[1] == 'absent' then
        local current = redis.call('GET', key)
        if current then return n, i, current end
      elseif check[1] == 'field_in' then
        local current = redis.call('HGET', key, check[3]) or ''
        local ok = false
        for j = 4, #check do
          if current == check[j] then ok = true end
        end
        if not ok then return n, i, current end
      else
        error('unknown check ' .. tostring(check[1]))
      end
    end
    for _, op in ipairs(spec.ops) do
      if op[1] ~= 'COUNTER' and not allowed[op[1]] then
        error('command not allowed in a change: ' .. tostring(op[1]))
      end
    end
    -- ["COUNTER", k, name] increments key k and names the result: a later argument equal to
    -- name is replaced by it (names start with a NUL byte, which no input text can hold).
    local counters = {}
    for _, op in ipairs(spec.ops) do
      if op[1] == 'COUNTER' then
        counters[op[3]] = redis.call('INCR', KEYS[keymap[op[2]]])
      else
        local args = {}
        for j = 3, #op do
          local arg = op[j]
          if counters[arg] then arg = counters[arg] end
          args[#args + 1] = arg
        end
        redis.call(op[1], KEYS[keymap[op[2]]], unpack(args))
      end
    end
    for _ = 1, audits do
      local seq, hash = ARGV[next_audit], ARGV[next_audit + 2]
      redis.call('XADD', KEYS[1], '*', 'seq', seq, 'entry', ARGV[next_audit + 1], 'hash', hash)
      head_seq, head_hash, moved = seq, hash, true
      next_audit = next_audit + 3
    end
    done = n
  end
  return 0, 0, false
end

local ok, stopped, check, current = pcall(run)
-- The head always follows the entries written, also when a change failed half-way.
if moved then
  redis.call('HSET', KEYS[2], 'seq', head_seq, 'hash', head_hash)
end
if not ok then
  local err = stopped
  if type(err) == 'table' then err = err.err end
  return { done, done + 1, 0, head_seq, head_hash, tostring(err) }
end
return { done, stopped, check, head_seq, head_hash, current }
