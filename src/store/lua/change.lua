-- A group of changes with their audit entries, applied in order (group commit).
-- The service chains the audit entries itself (text and SHA-256) from the head it expects;
-- the script only checks that head, runs the changes and stores the entries it was given.
-- Arguments are flat strings read in place by index: no JSON to decode, and no Lua table is
-- built per change or per command (commands run with unpack over a range of ARGV), which
-- keeps the script's own work per change small beside the commands it runs.
--
-- KEYS[1] the audit stream, KEYS[2] the audit head; the other keys are those the changes touch.
-- ARGV[1], ARGV[2]: the head (seq, hash) the entries were chained from ("0" and 64 zeros for
--   an empty log). ARGV[3]: the number of changes. Then, for each change in order:
--   nkeys, then nkeys indices into KEYS (the change's key k is KEYS[keymap[k]]);
--   nchecks, then each check as its length and items:
--     absent k                     string key k does not exist;
--     field_in k field v1 v2 ...   HGET k field is one of the values ("" = a missing field);
--   nops, then each op as its length and items: COMMAND k arg ... (see COUNTER and INDEX
--   below);
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
                  XACK = true, XDEL = true, ZREMRANGEBYSCORE = true, COUNTER = true,
                  INDEX = true }
local call, tonumber, unpack = redis.call, tonumber, unpack
local ARGV, KEYS = ARGV, KEYS
local cursor = 4
local done = 0
local moved = false

-- INDEX k member adds member with score 0 to the sorted set k. The group's adds to one set
-- are made in one ZADD: when the group ends, or before anything else reads or writes that
-- set, so every command still sees the set as if each add had been made in its place.
-- (At most MAX_PENDING arguments wait for one set: unpack is bounded by Lua's C stack.)
local MAX_PENDING = 1000
local pending, pending_keys = {}, {}
local function flush(key)
  local members = pending[key]
  if members then
    pending[key] = nil
    call('ZADD', key, unpack(members))
  end
end
local function index_add(key, member)
  local members = pending[key]
  if not members then
    members = {}
    pending[key] = members
    pending_keys[#pending_keys + 1] = key
  end
  members[#members + 1] = '0'
  members[#members + 1] = member
  if #members >= MAX_PENDING then flush(key) end
end
local function flush_all()
  for _, key in ipairs(pending_keys) do flush(key) end
end

-- The key that the change item at ARGV[at] names, through the change's keymap.
local function key_at(keymap, at)
  return KEYS[tonumber(ARGV[keymap + tonumber(ARGV[at])])]
end

-- Runs the changes in order; returns (stopped, check, current) at the first refused change.
local function run()
  for n = 1, tonumber(ARGV[3]) do
    local nkeys = tonumber(ARGV[cursor])
    local keymap = cursor -- the change's key k is KEYS[ARGV[keymap + k]]
    cursor = cursor + nkeys + 1
    local nchecks = tonumber(ARGV[cursor]); cursor = cursor + 1
    for i = 1, nchecks do
      local len = tonumber(ARGV[cursor])
      local kind, key = ARGV[cursor + 1], key_at(keymap, cursor + 2)
      flush(key)
      if kind == 'absent' then
        local current = call('GET', key)
        if current then return n, i, current end
      elseif kind == 'field_in' then
        local current = call('HGET', key, ARGV[cursor + 3]) or ''
        local ok = false
        for j = cursor + 4, cursor + len do
          if current == ARGV[j] then ok = true end
        end
        if not ok then return n, i, current end
      else
        error('unknown check ' .. tostring(kind))
      end
      cursor = cursor + len + 1
    end
    local nops = tonumber(ARGV[cursor]); cursor = cursor + 1
    -- Every command is checked before any runs.
    local at, counted = cursor, false
    for _ = 1, nops do
      local command = ARGV[at + 1]
      if not allowed[command] then
        error('command not allowed in a change: ' .. tostring(command))
      end
      if command == 'COUNTER' then counted = true end
      at = at + tonumber(ARGV[at]) + 1
    end
    -- COUNTER k name increments key k and names the result: a later argument equal to name
    -- is replaced by it (names start with a NUL byte, which no input text can hold). Only a
    -- change with a COUNTER builds its commands' arguments as tables.
    local counters = {}
    for _ = 1, nops do
      local len = tonumber(ARGV[cursor])
      local command = ARGV[cursor + 1]
      local key = key_at(keymap, cursor + 2)
      if command == 'INDEX' then
        local member = ARGV[cursor + 3]
        index_add(key, counters[member] or member)
      else
        flush(key)
        if command == 'COUNTER' then
          counters[ARGV[cursor + 3]] = call('INCR', key)
        elseif counted then
          local args = {}
          for j = cursor + 3, cursor + len do
            local arg = ARGV[j]
            args[#args + 1] = counters[arg] or arg
          end
          call(command, key, unpack(args))
        else
          call(command, key, unpack(ARGV, cursor + 3, cursor + len))
        end
      end
      cursor = cursor + len + 1
    end
    for _ = 1, tonumber(ARGV[cursor]) do
      local seq, text, hash = ARGV[cursor + 1], ARGV[cursor + 2], ARGV[cursor + 3]
      call('XADD', KEYS[1], '*', 'seq', seq, 'entry', text, 'hash', hash)
      head_seq, head_hash, moved = seq, hash, true
      cursor = cursor + 3
    end
    cursor = cursor + 1
    done = n
  end
  return 0, 0, false
end

local ok, stopped, check, current = pcall(run)
if moved then
  redis.call('HSET', KEYS[2], 'seq', head_seq, 'hash', head_hash)
end
-- The index adds of the changes made (and of one that failed part way, like its other
-- writes). Should one fail, the call fails: the head above already names what was written.
flush_all()
if not ok then
  local err = stopped
  if type(err) == 'table' then err = err.err end
  return { done, done + 1, 0, head_seq, head_hash, tostring(err) }
end
return { done, stopped, check, head_seq, head_hash, current }
