import { ACTIVE_STATUSES, JOB_STATUSES, TRANSITIONS } from '../index';

/**
 * @internal Lua scripts of the Redis store. Every transition runs as one script, so it is atomic:
 * two processes acting on one job cannot lose an update.
 *
 * A job is a hash whose fields hold JSON literals (except `status`, kept raw for comparisons), so
 * a script can build the record's JSON by concatenation without decoding user data. Indexes:
 * `jobs` (all ids by creation time), `active` (pending/running ids by lease expiry), `settled`
 * (settled ids by settle time), `counts` (jobs per status). Changes are published as
 * `<runner>\n<record JSON>` on the events channel.
 *
 * The lifecycle rules (`is_active`, `can_apply`) are generated from the core's `TRANSITIONS`
 * table, so the scripts cannot drift from it; a test checks every pair against `canApply`.
 */

const LIFECYCLE = `
local NEXT = {${JOB_STATUSES.map((s) => `${s} = {${TRANSITIONS[s].map((t) => `${t} = true`).join(', ')}}`).join(', ')}}
local ACTIVE = {${ACTIVE_STATUSES.map((s) => `${s} = true`).join(', ')}}
local function is_active(s) return ACTIVE[s] == true end
-- a job's status, or false when its key is missing or not a hash (bad data is never written over)
local function status_of(key)
  local t = redis.call('TYPE', key)['ok']
  if t ~= 'hash' then return false, t end
  return redis.call('HGET', key, 'status'), t
end
-- refuses to touch anything when an index key is not a sorted set, or the counts hash is not a
-- hash of integers: a transition is applied whole or not at all
local function check_keys(counts_key, ...)
  for _, k in ipairs({...}) do
    local zt = redis.call('TYPE', k)['ok']
    if zt ~= 'none' and zt ~= 'zset' then return redis.error_reply('STORE_CORRUPT index key ' .. k .. ' is a ' .. zt .. ', not a sorted set') end
  end
  if not counts_key then return end
  local t = redis.call('TYPE', counts_key)['ok']
  if t == 'none' then return end
  if t ~= 'hash' then return redis.error_reply('STORE_CORRUPT counts key ' .. counts_key .. ' is a ' .. t) end
  local values = redis.call('HMGET', counts_key, ${JOB_STATUSES.map((s) => `'${s}'`).join(', ')})
  for _, v in ipairs(values) do
    if v and not string.match(v, '^%-?%d+$') then return redis.error_reply('STORE_CORRUPT counts hash ' .. counts_key .. ' holds ' .. v) end
  end
end
-- mirrors canApply(): never a final record; only allowed status changes; the expected statuses if given
local function can_apply(old, new, expect)
  if not is_active(old) then return false end
  if expect ~= '' and not string.find(',' .. expect .. ',', ',' .. old .. ',', 1, true) then return false end
  if new ~= '' and new ~= old and not (NEXT[old] and NEXT[old][new]) then return false end
  return true
end
`;

const RECORD_JSON = `${LIFECYCLE}
local function record_json(key)
  local t = redis.call('TYPE', key)['ok']
  if t == 'none' then return false end
  if t ~= 'hash' then return '!' .. t end
  local h = redis.call('HGETALL', key)
  if #h == 0 then return false end
  local parts = {}
  for i = 1, #h, 2 do
    local v = h[i + 1]
    if h[i] == 'status' then v = '"' .. v .. '"' end
    parts[#parts + 1] = '"' .. h[i] .. '":' .. v
  end
  return '{' .. table.concat(parts, ',') .. '}'
end
-- the filter indexes of a job (sorted sets by creation time): per status, per owner, per owner
-- and status, per label; owner and label come raw (decoded from the record's JSON literals)
local function decoded(v)
  if not v then return false end
  local ok, d = pcall(cjson.decode, v)
  if ok and type(d) == 'string' then return d end
  return false
end
local function status_key(prefix, status) return prefix .. ':s:' .. status end
local function owner_status_key(prefix, status, owner) return prefix .. ':os:' .. status .. ':' .. owner end
-- every sorted set a job with this status, owner and label sits in (for type checks and deletes)
local function filter_keys(prefix, status, owner, label)
  local keys = { status_key(prefix, status) }
  if owner then keys[#keys + 1] = prefix .. ':o:' .. owner; keys[#keys + 1] = owner_status_key(prefix, status, owner) end
  if label then keys[#keys + 1] = prefix .. ':l:' .. label end
  return keys
end
-- where an active job waits: a durable job that is pending waits for a claim in 'due' (by run_at)
-- and holds no lease; any other active job is leased in 'active' (a lease it has is kept)
local function place(prefix, active, id, job_key, status, lease_at, run_at_ms)
  local has_call = redis.call('HEXISTS', job_key, 'call') == 1
  if has_call and status == 'pending' then
    redis.call('ZREM', active, id)
    redis.call('ZADD', prefix .. ':due', run_at_ms, id)
    return
  end
  if has_call then redis.call('ZREM', prefix .. ':due', id) end
  if is_active(status) then redis.call('ZADD', active, 'NX', lease_at, id) else redis.call('ZREM', active, id) end
end
-- moves a job between the indexes when its status changes
local function reindex(counts, active, settled, id, old, new, lease_at, settled_at, prefix, created, owner, job_key, run_at_ms)
  if old == new then
    if new == 'pending' then place(prefix, active, id, job_key, new, lease_at, run_at_ms) end
    return
  end
  if old then redis.call('HINCRBY', counts, old, -1) end
  redis.call('HINCRBY', counts, new, 1)
  place(prefix, active, id, job_key, new, lease_at, run_at_ms)
  if not is_active(new) then redis.call('ZADD', settled, settled_at, id) end
  if old then redis.call('ZREM', status_key(prefix, old), id) end
  redis.call('ZADD', status_key(prefix, new), created, id)
  if owner then
    if old then redis.call('ZREM', owner_status_key(prefix, old, owner), id) end
    redis.call('ZADD', owner_status_key(prefix, new, owner), created, id)
  end
end
`;

/**
 * KEYS: job, jobs, counts, active, settled. ARGV: id, runner, channel, created ms, lease-at ms,
 * settled-at ms, prefix, owner ('' = none), label, run-at ms, idempotency scope ('' = none), its
 * ttl ms, field/value pairs…. Returns the record; with a scope another job holds, '=' and that job's record.
 */
export const CREATE = `${RECORD_JSON}
local job_key, jobs_key, counts_key, active_key, settled_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local id, runner, channel, created_ms, lease_at, settled_at = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local prefix, owner, label, run_at_ms = ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local scope, ttl = ARGV[11], tonumber(ARGV[12])
local FIELDS = 13
if owner == '' then owner = false end
-- an idempotency scope held by a job that is active, or settled less than ttl ago: that job answers
local idem_key = scope ~= '' and (prefix .. ':idem:' .. scope) or false
if idem_key then
  local held = redis.call('GET', idem_key)
  if held then
    local held_key = prefix .. ':job:' .. held
    local s = status_of(held_key)
    local settled_ms = redis.call('ZSCORE', settled_key, held)
    -- a withdrawn job (its call was refused: STORE_UNAVAILABLE) does not hold the key
    local withdrawn = s == 'cancelled' and string.find(redis.call('HGET', held_key, 'error') or '', '"code":"STORE_UNAVAILABLE"', 1, true)
    if s and not withdrawn and (is_active(s) or (settled_ms and tonumber(settled_ms) > tonumber(created_ms) - ttl)) then return '=' .. record_json(held_key) end
  end
end
local status
for i = FIELDS, #ARGV, 2 do if ARGV[i] == 'status' then status = ARGV[i + 1] end end
local bad = check_keys(counts_key, jobs_key, active_key, settled_key, prefix .. ':due', unpack(filter_keys(prefix, status, owner, label)))
if bad then return bad end
if redis.call('EXISTS', job_key) == 1 then return false end
redis.call('HSET', job_key, unpack(ARGV, FIELDS))
redis.call('ZADD', jobs_key, created_ms, id)
if owner then redis.call('ZADD', prefix .. ':o:' .. owner, created_ms, id) end
redis.call('ZADD', prefix .. ':l:' .. label, created_ms, id)
reindex(counts_key, active_key, settled_key, id, false, status, lease_at, settled_at, prefix, created_ms, owner, job_key, run_at_ms)
if idem_key then redis.call('SET', idem_key, id) end
local json = record_json(job_key)
redis.call('PUBLISH', channel, runner .. '\\n' .. json)
return json
`;

/**
 * KEYS: job, counts, active, settled. ARGV: id, runner, channel, expected statuses (comma list,
 * '' = any), settled-at ms, new status ('' = unchanged), prefix, expected attempt ('' = any),
 * lease-at ms (for a job that starts running), run-at ms (for a durable job going back to pending),
 * field/value pairs…
 */
export const UPDATE = `${RECORD_JSON}
local job_key, counts_key, active_key, settled_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, runner, channel, expect, settled_at, new_status, prefix = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local expect_attempt, lease_at, run_at_ms = ARGV[8], ARGV[9], ARGV[10]
local FIELDS = 11
local old, kind = status_of(job_key)
if not old then
  if kind ~= 'none' and kind ~= 'hash' then return redis.error_reply('STORE_CORRUPT job key ' .. job_key .. ' is a ' .. kind) end
  return false
end
local owner = decoded(redis.call('HGET', job_key, 'owner'))
local moving = new_status ~= '' and new_status ~= old
local bad = check_keys(counts_key, active_key, settled_key, prefix .. ':due', unpack(moving and filter_keys(prefix, new_status, owner, false) or {}))
if bad then return bad end
if not can_apply(old, new_status, expect) then return false end
if expect_attempt ~= '' and tonumber(redis.call('HGET', job_key, 'attempt') or '') ~= tonumber(expect_attempt) then return false end
if #ARGV >= FIELDS then redis.call('HSET', job_key, unpack(ARGV, FIELDS)) end
if moving or new_status == 'pending' then
  reindex(counts_key, active_key, settled_key, id, old, new_status, lease_at, settled_at, prefix, redis.call('ZSCORE', prefix .. ':jobs', id) or 0, owner, job_key, run_at_ms)
end
local json = record_json(job_key)
redis.call('PUBLISH', channel, runner .. '\\n' .. json)
return json
`;

/** Records as JSON, false for missing ones. KEYS: none. ARGV: prefix, ids… */
export const GET_MANY = `${RECORD_JSON}
local prefix = ARGV[1]
local out = {}
for i = 2, #ARGV do out[#out + 1] = record_json(prefix .. ':job:' .. ARGV[i]) end
return out
`;

/**
 * Applies a patch (a stale mark) to active jobs whose lease expired. KEYS: active, counts,
 * settled. ARGV: prefix, now ms, channel, runner, limit, new status, field/value pairs….
 * Returns the changed records.
 */
export const EXPIRE = `${RECORD_JSON}
local active_key, counts_key, settled_key = KEYS[1], KEYS[2], KEYS[3]
local prefix, now, channel, runner, limit, new_status = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6]
local FIELDS = 7
local bad = check_keys(counts_key, active_key, settled_key, prefix .. ':due')
if bad then return bad end
local stale_error, now_json = 'null', 'null'
for i = FIELDS, #ARGV, 2 do
  if ARGV[i] == 'error' then stale_error = ARGV[i + 1] end
  if ARGV[i] == 'updated_at' then now_json = ARGV[i + 1] end
end
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', active_key, '-inf', '(' .. now, 'LIMIT', 0, limit)) do
  local job_key = prefix .. ':job:' .. id
  local old = status_of(job_key)
  local owner = old and decoded(redis.call('HGET', job_key, 'owner'))
  local f = redis.call('HMGET', job_key, 'call', 'attempt', 'max_attempts', 'history', 'started_at')
  local attempt, max_attempts = tonumber(f[2] or '1') or 1, tonumber(f[3] or '1') or 1
  local requeue = old and f[1] and attempt < max_attempts
  local to = requeue and 'pending' or new_status
  if old and can_apply(old, to, '') and not check_keys(false, unpack(filter_keys(prefix, to, owner, false))) then
    if requeue then
      -- mirrors expiryPatch(): back to pending, due now, the lost run in history
      local ok, history = pcall(cjson.decode, f[4] or '[]')
      if not ok or type(history) ~= 'table' then history = {} end
      local lost = { attempt = attempt, status = 'stale', error = cjson.decode(stale_error), started_at = cjson.decode(f[5] or 'null'), ended_at = cjson.decode(now_json) }
      history[#history + 1] = lost
      redis.call('HSET', job_key, 'status', 'pending', 'run_at', now_json, 'history', cjson.encode(history), 'updated_at', now_json)
    else
      redis.call('HSET', job_key, unpack(ARGV, FIELDS))
    end
    reindex(counts_key, active_key, settled_key, id, old, to, 0, now, prefix, redis.call('ZSCORE', prefix .. ':jobs', id) or 0, owner, job_key, now)
    local json = record_json(job_key)
    redis.call('PUBLISH', channel, runner .. '\\n' .. json)
    out[#out + 1] = json
  else
    redis.call('ZREM', active_key, id)
  end
end
return out
`;

/**
 * Renews leases. KEYS: active. ARGV: prefix, lease-at ms, ids…. Returns the ids that are no
 * longer active (settled elsewhere, marked stale, or gone).
 */
export const RENEW = `${LIFECYCLE}
local active_key = KEYS[1]
local prefix, lease_at = ARGV[1], ARGV[2]
local IDS = 3
local bad = check_keys(false, active_key)
if bad then return bad end
local gone = {}
for i = IDS, #ARGV do
  local job_key = prefix .. ':job:' .. ARGV[i]
  local s = status_of(job_key)
  -- a durable job waiting for a claim holds no lease: renewing it would let a sweep take it
  if s and is_active(s) and not (s == 'pending' and redis.call('HEXISTS', job_key, 'call') == 1) then
    redis.call('ZADD', active_key, lease_at, ARGV[i])
  else
    gone[#gone + 1] = ARGV[i]
  end
end
return gone
`;

/**
 * Deletes settled jobs. KEYS: settled, jobs, counts. ARGV: prefix, statuses (comma list, or
 * '*' for every settled status: the fast path retention uses), keep newest (-1 = no limit),
 * settled before ms ('' = no limit), most to delete. Returns how many.
 */
export const PRUNE = `${RECORD_JSON}
local settled_key, jobs_key, counts_key = KEYS[1], KEYS[2], KEYS[3]
local prefix, statuses, keep, before, limit = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local function delete(id, status)
  local job_key = prefix .. ':job:' .. id
  if status then
    local f = redis.call('HMGET', job_key, 'owner', 'label', 'idempotency')
    if f[3] then
      local ok, idem = pcall(cjson.decode, f[3])
      if ok and type(idem) == 'table' and type(idem.scope) == 'string' and redis.call('GET', prefix .. ':idem:' .. idem.scope) == id then redis.call('DEL', prefix .. ':idem:' .. idem.scope) end
    end
    for _, k in ipairs(filter_keys(prefix, status, decoded(f[1]), decoded(f[2]))) do
      if redis.call('TYPE', k)['ok'] == 'zset' then redis.call('ZREM', k, id) end -- bad data elsewhere never stops a prune half-way
    end
  end
  redis.call('DEL', job_key)
  redis.call('ZREM', settled_key, id)
  redis.call('ZREM', jobs_key, id)
  if status then redis.call('HINCRBY', counts_key, status, -1) end
end
local bad = check_keys(counts_key, settled_key, jobs_key)
if bad then return bad end
local deleted = 0
if statuses == '*' then
  local n = redis.call('ZCARD', settled_key)
  if keep >= 0 and n > keep then
    for _, id in ipairs(redis.call('ZRANGE', settled_key, 0, math.min(n - keep, limit) - 1)) do
      delete(id, (status_of(prefix .. ':job:' .. id)))
      deleted = deleted + 1
    end
  end
  if before ~= '' and deleted < limit then
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', settled_key, '-inf', '(' .. before, 'LIMIT', 0, limit - deleted)) do
      delete(id, (status_of(prefix .. ':job:' .. id)))
      deleted = deleted + 1
    end
  end
  return deleted
end
local wanted = ',' .. statuses .. ','
local ids = redis.call('ZRANGE', settled_key, 0, -1, 'WITHSCORES')
local matching = {}
for i = 1, #ids, 2 do
  local s = status_of(prefix .. ':job:' .. ids[i])
  if s and string.find(wanted, ',' .. s .. ',', 1, true) then matching[#matching + 1] = { ids[i], tonumber(ids[i + 1]), s } end
end
local excess = keep >= 0 and (#matching - keep) or 0
for i, m in ipairs(matching) do
  if deleted >= limit then break end
  if i <= excess or (before ~= '' and m[2] < tonumber(before)) then
    delete(m[1], m[3])
    deleted = deleted + 1
  end
end
return deleted
`;

/**
 * Adds the filter indexes of jobs written before they existed (idempotent). KEYS: jobs. ARGV:
 * prefix, start rank, count. Returns how many ids it looked at.
 */
export const INDEX = `${RECORD_JSON}
local jobs_key = KEYS[1]
local prefix, start, count = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local ids = redis.call('ZRANGE', jobs_key, start, start + count - 1, 'WITHSCORES')
for i = 1, #ids, 2 do
  local id, created = ids[i], ids[i + 1]
  local job_key = prefix .. ':job:' .. id
  local status = status_of(job_key)
  if status then
    local f = redis.call('HMGET', job_key, 'owner', 'label')
    local keys = filter_keys(prefix, status, decoded(f[1]), decoded(f[2]))
    if not check_keys(false, unpack(keys)) then
      for _, k in ipairs(keys) do redis.call('ZADD', k, created, id) end
    end
  end
end
return #ids / 2
`;

/**
 * Claims due durable jobs for known targets, owners taking turns (mirrors `pickClaims`), and
 * starts them under the runner's lease (mirrors `claimPatch`). KEYS: due, counts, active,
 * settled. ARGV: prefix, runner, channel, now ms, now (JSON literal), most to claim, lease-at ms,
 * targets (comma list). Returns the started records.
 */
export const CLAIM = `${RECORD_JSON}
local due_key, counts_key, active_key, settled_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local prefix, runner, channel, now, now_json, limit, lease_at, targets = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6]), ARGV[7], ARGV[8]
local bad = check_keys(counts_key, due_key, active_key, settled_key)
if bad then return bad end
local wanted = {}
for t in string.gmatch(targets, '[^,]+') do wanted[t] = true end
local queues, order = {}, {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', due_key, '-inf', now, 'LIMIT', 0, limit * 20 + 100)) do
  local job_key = prefix .. ':job:' .. id
  if status_of(job_key) ~= 'pending' then
    redis.call('ZREM', due_key, id) -- a leftover entry: nothing waits here
  else
    local f = redis.call('HMGET', job_key, 'call', 'owner')
    local ok, call = pcall(cjson.decode, f[1] or 'null')
    if ok and type(call) == 'table' and wanted[call.target] then
      local owner = decoded(f[2]) or ''
      if not queues[owner] then queues[owner] = {}; order[#order + 1] = owner end
      local q = queues[owner]
      q[#q + 1] = id
    end
  end
end
local picked = {}
for round = 1, limit do
  local any = false
  for _, owner in ipairs(order) do
    if #picked >= limit then break end
    local id = queues[owner][round]
    if id then any = true; picked[#picked + 1] = id end
  end
  if not any or #picked >= limit then break end
end
local out = {}
for _, id in ipairs(picked) do
  local job_key = prefix .. ':job:' .. id
  local attempt = tonumber(redis.call('HGET', job_key, 'attempt') or '0') or 0
  local owner = decoded(redis.call('HGET', job_key, 'owner'))
  if not check_keys(false, unpack(filter_keys(prefix, 'running', owner, false))) then
    redis.call('HSET', job_key, 'status', 'running', 'started_at', now_json, 'attempt', attempt + 1, 'run_at', 'null', 'updated_at', now_json)
    reindex(counts_key, active_key, settled_key, id, 'pending', 'running', lease_at, 0, prefix, redis.call('ZSCORE', prefix .. ':jobs', id) or 0, owner, job_key, 0)
    local json = record_json(job_key)
    redis.call('PUBLISH', channel, runner .. '\\n' .. json)
    out[#out + 1] = json
  end
end
return out
`;
