-- A group of changes with their audit entries, applied in order (group commit).
-- The service chains the audit entries itself (text and SHA-256) from the head it expects;
-- the script only checks that head, runs the changes and stores the entries it was given.
-- Arguments are flat strings read in order (no JSON to decode).
--
-- KEYS[1] the audit stream, KEYS[2] the audit head; the other keys are those the changes touch.
-- ARGV[1], ARGV[2]: the head (seq, hash) the entries were chained from ("0" and 64 zeros for
--   an empty log). ARGV[3]: the number of changes. Then, for each change in order:
--   nkeys, then nkeys indices into KEYS (the change's key k is KEYS[keymap[k]]);
--   nchecks, then each check as its length and items:
--     absent k                     string key k does not exist;
--     field_in k field v1 v2 ...   HGET k field is one of the values ("" = a missing field);
--   nops, then each op as its length and items: COMMAND k arg ... (see COUNTER below);
--   naudits, then seq, stored entry text and hash for each of its audit entries.
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
local cursor = 4
local function take()
  local value = ARGV[cursor]
  cursor = cursor + 1
  return value
end
local function take_number()
  return tonumber(take())
end
-- A list given as its length and items.
local function take_list()
  local list = {}
  for i = 1, take_number() do list[i] = take() end
  return list
end

local done = 0
local moved = false

-- Runs the changes in order; returns (stopped, check, current) at the first refused change.
local function run()
  for n = 1, tonumber(ARGV[3]) do
    local keymap = {}
    for k = 1, take_number() do keymap[k] = tonumber(take()) end
    local function key(k) return KEYS[keymap[tonumber(k)]] end
    local checks, ops = {}, {}
    for i = 1, take_number() do checks[i] = take_list() end
    for i = 1, take_number() do ops[i] = take_list() end
    for i, check in ipairs(checks) do
      if check[1] == 'absent' then
        local current = redis.call('GET', key(check[2]))
        if current then return n, i, current end
      elseif check[1] == 'field_in' then
        local current = redis.call('HGET', key(check[2]), check[3]) or ''
        local ok = false
        for j = 4, #check do
          if current == check[j] then ok = true end
        end
        if not ok then return n, i, current end
      else
        error('unknown check ' .. tostring(check[1]))
      end
    end
    for _, op in ipairs(ops) do
      if op[1] ~= 'COUNTER' and not allowed[op[1]] then
        error('command not allowed in a change: ' .. tostring(op[1]))
      end
    end
    -- COUNTER k name increments key k and names the result: a later argument equal to name
    -- is replaced by it (names start with a NUL byte, which no input text can hold).
    local counters = {}
    for _, op in ipairs(ops) do
      if op[1] == 'COUNTER' then
        counters[op[3]] = redis.call('INCR', key(op[2]))
      else
        local args = {}
        for j = 3, #op do
          local arg = op[j]
          if counters[arg] then arg = counters[arg] end
          args[#args + 1] = arg
        end
        redis.call(op[1], key(op[2]), unpack(args))
      end
    end
    for _ = 1, take_number() do
      local seq, text, hash = take(), take(), take()
      redis.call('XADD', KEYS[1], '*', 'seq', seq, 'entry', text, 'hash', hash)
      head_seq, head_hash, moved = seq, hash, true
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
