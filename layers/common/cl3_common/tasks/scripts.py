"""The Lua scripts behind the progress hash: each a single atomic step inside Redis.

`EFFECTIVE_STATUS` is the one rule for a task's status, shared by the read script and the
admission script: our record, unless RQ knows the job ended outside our code. It returns one of
our statuses, or `lost` (no RQ job, long after the task was created) or `died` (RQ ended the
job while our record still says queued/started); the reader turns those two into `failed`.
"""

from __future__ import annotations

EFFECTIVE_STATUS = """
local TERMINAL = {finished = true, failed = true, canceled = true}
local function effective_status(status, created_at, job_key, now_ms, lost_after_ms)
  if (not status) or TERMINAL[status] then return status end
  local rq = redis.call('HGET', job_key, 'status')
  if not rq then
    if now_ms - (tonumber(created_at) or 0) > lost_after_ms then return 'lost' end
    return status
  end
  if rq == 'failed' or rq == 'finished' then return 'died' end
  if rq == 'stopped' or rq == 'canceled' then return 'canceled' end
  return status
end
"""

# KEYS: progress hash, RQ job hash. ARGV: now_ms, lost_after_ms, and the status and created_at
# to judge when the hash has expired (from the task store). Returns {status, hash fields}.
READ = (
    EFFECTIVE_STATUS
    + """
local fields = redis.call('HGETALL', KEYS[1])
local status, created = ARGV[3], ARGV[4]
for i = 1, #fields, 2 do
  if fields[i] == 'status' then status = fields[i + 1] end
  if fields[i] == 'created_at' then created = fields[i + 1] end
end
if status == '' then status = false end
local eff = effective_status(status, created, KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]))
return {eff or '', fields}
"""
)

# Dedupe and the per-owner job cap in one step, so concurrent submissions can never both pass
# the check (docs/architecture.md, "Submitting a task").
# KEYS: owner's active set, dedupe key, new task's progress hash.
# ARGV: max_active, new_id, dedupe_ttl_s, now_ms, lost_after_ms, progress_ttl_s,
#       progress key prefix, progress key suffix, RQ job key prefix, then the new record's
#       field/value pairs. Returns {"existing"|"created", task_id} or {"refused", active}.
ADMIT = (
    EFFECTIVE_STATUS
    + """
local now, lost = tonumber(ARGV[4]), tonumber(ARGV[5])
local function pending(id)
  local f = redis.call('HMGET', ARGV[7] .. id .. ARGV[8], 'status', 'created_at')
  local s = effective_status(f[1], f[2], ARGV[9] .. id, now, lost)
  return s == 'queued' or s == 'started'
end
local existing = redis.call('GET', KEYS[2])
if existing and pending(existing) then return {'existing', existing} end
local active = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if pending(id) then active = active + 1 else redis.call('SREM', KEYS[1], id) end
end
if active >= tonumber(ARGV[1]) then return {'refused', tostring(active)} end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
redis.call('SADD', KEYS[1], ARGV[2])
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[3], unpack(ARGV, 10))
redis.call('EXPIRE', KEYS[3], ARGV[6])
return {'created', ARGV[2]}
"""
)

# The start of an attempt. KEYS: progress hash. ARGV: now_ms, ttl_s. Returns the attempt
# number, 0 when the task was canceled or has finished, -1 when it is unknown. A failed task
# starts again: an operator requeued its job after fixing the cause.
START = """
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return -1 end
if cur == 'finished' or cur == 'canceled' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'started', 'updated_at', ARGV[1], 'error', '',
           'ended_at', '')
if (redis.call('HGET', KEYS[1], 'started_at') or '') == '' then
  redis.call('HSET', KEYS[1], 'started_at', ARGV[1])
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return redis.call('HINCRBY', KEYS[1], 'attempt', 1)
"""

# Progress may only rise: a retried job replaying pages must not move the bar backwards.
# KEYS: progress hash. ARGV: percent, ttl_s, then field/value pairs. Returns the percentage.
REPORT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local cur = tonumber(redis.call('HGET', KEYS[1], 'progress') or '-1')
local new = tonumber(ARGV[1])
if new < cur then new = cur end
redis.call('HSET', KEYS[1], 'progress', new)
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return new
"""

# A terminal status; the first one wins. The task also leaves its owner's active set.
# KEYS: progress hash. ARGV: status, ttl_s, active-set prefix, suffix, task_id, then
# field/value pairs. Returns 1 when applied, 0 when the task had ended already, -1 unknown.
END = """
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return -1 end
if cur == 'finished' or cur == 'failed' or cur == 'canceled' then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1])
for i = 6, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
if ARGV[1] == 'finished' then
  redis.call('HSET', KEYS[1], 'progress', 100, 'eta_s', 0,
             'pages_done', redis.call('HGET', KEYS[1], 'pages_total') or 0)
end
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner then redis.call('SREM', ARGV[3] .. owner .. ARGV[4], ARGV[5]) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""
