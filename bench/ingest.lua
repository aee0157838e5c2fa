-- wrk script for the webhook ingest benchmark.
-- Arguments (after --): body template file, sb-signing-secret, run id.
-- The template's @HANDLE@ becomes a message_handle never sent before (run id,
-- thread, counter), so the integration's dedupe never short-circuits a delivery;
-- its @DATE@ becomes the wall-clock time of the request, to the microsecond, so
-- every text is newer than the last, as real ones are.

local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_usec; } bench_timeval;
int gettimeofday(bench_timeval *tv, void *tz);
]]

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

local pieces, fields, run_id
local counter = 0
local clock = ffi.new("bench_timeval")
local second, second_text = -1, ""

local function split(template)
  local literal, names, position = {}, {}, 1
  while true do
    local first, last, name = string.find(template, "@(%u+)@", position)
    if not first then break end
    table.insert(literal, string.sub(template, position, first - 1))
    table.insert(names, name)
    position = last + 1
  end
  table.insert(literal, string.sub(template, position))
  return literal, names
end

local function now()
  ffi.C.gettimeofday(clock, nil)
  local seconds = tonumber(clock.tv_sec)
  if seconds ~= second then
    second, second_text = seconds, os.date("!%Y-%m-%dT%H:%M:%S", seconds)
  end
  return second_text .. string.format(".%06dZ", tonumber(clock.tv_usec))
end

function init(args)
  local file = assert(io.open(args[1], "rb"))
  pieces, fields = split(file:read("*a"))
  file:close()
  run_id = args[3]
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["sb-signing-secret"] = args[2]
end

function request()
  counter = counter + 1
  local values = {
    HANDLE = "bench-" .. run_id .. "-" .. thread_id .. "-" .. counter,
    DATE = now(),
  }
  local body = {}
  for index, name in ipairs(fields) do
    body[#body + 1] = pieces[index]
    body[#body + 1] = assert(values[name], name)
  end
  body[#body + 1] = pieces[#pieces]
  return wrk.format(nil, nil, nil, table.concat(body))
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"status_errors": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), errors.status, errors.connect, errors.read,
    errors.write, errors.timeout))
end
