"""The Lua scripts that make every change of the Redis store one atomic step on the server.

A script runs alone on the server: what it reads cannot change before it
writes, which is what a compare-and-set needs and what lets a claim issue
its fencing token in the same round trip as it stores the lease. Every key a
script touches is passed in ``KEYS`` and shares one hash tag (see ``keys``),
so the scripts also run on a Redis Cluster node.

How an observed entry is described to a script (``kind``, ``seen``):
``absent``; ``lease`` or ``unreadable`` with the exact bytes observed; or
``wrongtype`` with the Redis type observed (a hash, a list, ...). The entry
is unchanged when it is still exactly that.

Fencing tokens are handled as decimal strings, never as Lua numbers: Lua 5.1
numbers are doubles, exact only below 2^53, and a damaged counter or lease
may hold any number of digits. Python passes the clock's bounds already
multiplied by ``TOKENS_PER_MS``, so the rule of ``lockspec.fencing`` lives
in one place and is mirrored here step for step.
"""

from __future__ import annotations

from lockspec.fencing import MAX_COUNTER_BYTES

#: Shared by the scripts that compare an entry with an observation.
_UNCHANGED = r"""
-- Whether the entry at `key` is still what was observed; also what it holds now (a value, or nil).
local function unchanged(key, kind, seen)
  local current = redis.pcall('GET', key)
  if type(current) == 'string' then
    return (kind == 'lease' or kind == 'unreadable') and current == seen, current
  end
  if current then  -- an error reply: WRONGTYPE
    return kind == 'wrongtype' and redis.call('TYPE', key)['ok'] == seen, nil
  end
  return kind == 'absent', nil
end

-- Move the unreadable entry at `key` aside, to be kept until cleanup purges it, whatever expiry it had.
local function set_aside(key, aside)
  redis.call('RENAME', key, aside)
  redis.call('PERSIST', aside)
end
"""

#: Shared by the two claims: issue a token by lockspec.fencing's rule and store the lease carrying it.
_ISSUE = (
    f"local MAX_COUNTER_BYTES = {MAX_COUNTER_BYTES}\n"
    + r"""
-- Decimal strings without leading zeros compare by length, then digit by digit.
local function larger(a, b)
  if #a ~= #b then
    if #a > #b then return a end
    return b
  end
  for i = 1, #a do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then
      if x > y then return a end
      return b
    end
  end
  return a
end

local function plus_one(a)
  local i = #a
  while i > 0 and string.byte(a, i) == 57 do i = i - 1 end  -- 57 is '9'
  if i == 0 then return '1' .. string.rep('0', #a) end
  return string.sub(a, 1, i - 1) .. string.char(string.byte(a, i) + 1) .. string.rep('0', #a - i)
end

-- lockspec.fencing.stored_counter: the digits left once NUL, space and newline are stripped from both ends.
-- Returns the counter (nil if absent or unreadable) and, when it is present but unreadable, what it holds.
-- Anything longer than MAX_COUNTER_BYTES is unreadable before it is matched: a long value would make the
-- match take time that grows with the square of its length, while every client of the server waits.
local function stored_counter(fence)
  local raw = redis.pcall('GET', fence)
  if raw == false then return nil, nil end
  if type(raw) ~= 'string' then return nil, 'a Redis ' .. redis.call('TYPE', fence)['ok'] end
  if #raw > MAX_COUNTER_BYTES then return nil, string.sub(raw, 1, MAX_COUNTER_BYTES) .. '...' end
  local text = string.match(raw, '^[%z \n]*(.-)[%z \n]*$')
  if text == '' then return nil, nil end
  if not string.find(text, '^%d+$') then return nil, raw end
  text = string.gsub(text, '^0+', '')
  if text == '' then return '0', nil end
  return text, nil
end

-- ARGV[1], ARGV[2]: the lease's bytes before and after its token; ARGV[3]: now_ms * TOKENS_PER_MS;
-- ARGV[4]: (now_ms + 1) * TOKENS_PER_MS; ARGV[5]: the expiry (PX) of the lease and of its counter.
-- Replies {'granted', token} or, if the counter was unreadable, {'granted', token, what it held}.
local function issue(lease, fence, previous)
  local last_issued, unreadable = stored_counter(fence)
  local token
  if last_issued == nil then
    token = plus_one(larger(previous, ARGV[4]))
  else
    token = plus_one(larger(larger(last_issued, previous), ARGV[3]))
  end
  redis.call('SET', fence, token, 'PX', ARGV[5])
  redis.call('SET', lease, ARGV[1] .. token .. ARGV[2], 'PX', ARGV[5])
  return {'granted', token, unreadable}
end
"""
)

#: KEYS: lease, fence. ARGV: as for `issue`.
#: Store a lease if the resource has none; else reply {'present', value} or {'wrongtype', type}.
CLAIM_IF_ABSENT = (
    _ISSUE
    + r"""
local current = redis.pcall('GET', KEYS[1])
if type(current) == 'string' then return {'present', current} end
if current then return {'wrongtype', redis.call('TYPE', KEYS[1])['ok']} end
return issue(KEYS[1], KEYS[2], '0')
"""
)

#: KEYS: lease, fence and, for an unreadable entry, the key to set it aside under.
#: ARGV: as for `issue`, then 6: kind, 7: seen, 8: the token of the lease seen ('0' if none).
#: Replace the entry if unchanged (setting an unreadable one aside first); else reply {'changed', value}.
CLAIM = (
    _UNCHANGED
    + _ISSUE
    + r"""
local same, current = unchanged(KEYS[1], ARGV[6], ARGV[7])
if not same then return {'changed', current} end
if ARGV[6] == 'unreadable' or ARGV[6] == 'wrongtype' then set_aside(KEYS[1], KEYS[3]) end
return issue(KEYS[1], KEYS[2], ARGV[8])
"""
)

#: KEYS: lease. ARGV: 1: the lease's bytes as seen, 2: its new bytes, 3: its new expiry (PX).
#: Overwrite a lease (a renewal) only if it still holds exactly the bytes seen, or already the new bytes: the
#: retry of a renewal whose reply was lost (no one else writes them: they carry the lock id and the new expiry).
#: Reply 1 if done, else 0.
REPLACE = r"""
local current = redis.pcall('GET', KEYS[1])
if current ~= ARGV[1] and current ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""

#: KEYS: lease, the key to set an unreadable entry aside under. ARGV: kind, seen.
#: Delete a lease, or set an unreadable entry aside, only if unchanged; reply 1 if done, else 0.
REMOVE = (
    _UNCHANGED
    + r"""
if not unchanged(KEYS[1], ARGV[1], ARGV[2]) then return 0 end
if ARGV[1] == 'lease' then redis.call('DEL', KEYS[1]) else set_aside(KEYS[1], KEYS[2]) end
return 1
"""
)

#: KEYS: lease, released. ARGV: 1: the bytes the lease was written with, 2: its lock id, 3: LEASE_FORMAT,
#: 4: how long to remember the release (ms), 5: "again" when this is the retry of a release whose reply was lost.
#: Delete the lease if it still records that acquisition: the very bytes, or (renewed since, by another
#: process of the holder, say) a lease of the current format with the same lock id. The lock id is then
#: remembered for a while beside it, so that a release retried after its reply was lost is recognised
#: as done rather than taken for a lease someone else removed (a second release of the same acquisition,
#: made on purpose, is still refused). Reply 1 if done (now, or by the attempt retried), else 0.
RELEASE = r"""
local current = redis.pcall('GET', KEYS[1])
if type(current) ~= 'string' then
  return (ARGV[5] == 'again' and redis.pcall('GET', KEYS[2]) == ARGV[2]) and 1 or 0
end
if current ~= ARGV[1] then
  local decoded, lease = pcall(cjson.decode, current)
  if not (decoded and type(lease) == 'table' and lease['format'] == tonumber(ARGV[3])
          and lease['lock_id'] == ARGV[2]) then
    return 0
  end
end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
return 1
"""


#: KEYS: any. What the key holds, read in one step: {value}, {nil} if absent, or {nil, type} for another type.
OBSERVE = r"""
local current = redis.pcall('GET', KEYS[1])
if type(current) == 'string' or not current then return {current} end
return {false, redis.call('TYPE', KEYS[1])['ok']}
"""


def timed(script: str) -> str:
    """``script``, its reply preceded by the server's time: ``{now, reply}``, ``now`` being ``{seconds, microseconds}``.

    How the store learns the server's clock at no cost of a round trip
    (``server_clock``). A script may read the time before it writes as long
    as the server replicates the script's effects rather than the script.
    """
    # replicate_commands: on Redis 3.2 to 4 (or 5 and 6 so configured), a script that read TIME may not write
    # unless it replicates its effects; later servers always do, and keep the call as a no-op.
    return (
        "if redis.replicate_commands then redis.replicate_commands() end\n"
        f"local function main()\n{script}\nend\nlocal now = redis.call('TIME')\nreturn {{now, main()}}\n"
    )
