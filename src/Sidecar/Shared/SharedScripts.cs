namespace Sidecar.Shared;

/// <summary>
/// The Lua scripts that keep the shared counters, each run atomically by Redis. Every key of one call carries the
/// key ref's hash tag (<see cref="SharedKeys"/>), so a script touches one slot and Redis Cluster and Valkey run it.
/// Time is Redis' own (<c>TIME</c>), so sidecars with skewed clocks share one window.
/// </summary>
internal static class SharedScripts
{
    /// <summary>
    /// Admits one call or says why not. KEYS: requests window, tokens window, day count, month count. ARGV: requests a
    /// minute, tokens a minute, tokens a day, tokens a month (0: none). A window is a hash of one-second buckets over the
    /// last 60 s. Returns {verdict, wait ms, tokens used today, tokens used this month}; verdict 0 admitted (and counted),
    /// 1 requests, 2 tokens, 3 day, 4 month.
    /// </summary>
    public const string Admit = """
        local t = redis.call('TIME')
        local sec = tonumber(t[1])
        local now_ms = sec * 1000 + math.floor(tonumber(t[2]) / 1000)
        local day = tonumber(redis.call('GET', KEYS[3]) or '0')
        local month = tonumber(redis.call('GET', KEYS[4]) or '0')
        local day_limit = tonumber(ARGV[3])
        local month_limit = tonumber(ARGV[4])
        if day_limit > 0 and day >= day_limit then return {3, 0, day, month} end
        if month_limit > 0 and month >= month_limit then return {4, 0, day, month} end
        local function wait(key, limit)
          local raw = redis.call('HGETALL', key)
          local total = 0
          local buckets = {}
          for i = 1, #raw, 2 do
            local s = tonumber(raw[i])
            local n = tonumber(raw[i + 1])
            if s <= sec - 60 then
              redis.call('HDEL', key, raw[i])
            else
              total = total + n
              buckets[#buckets + 1] = {s, n}
            end
          end
          if total < limit then return 0 end
          table.sort(buckets, function(a, b) return a[1] < b[1] end)
          local left = total
          for _, b in ipairs(buckets) do
            left = left - b[2]
            if left < limit then return math.max(1, (b[1] + 60) * 1000 - now_ms) end
          end
          return 60000
        end
        local rpm = tonumber(ARGV[1])
        local tpm = tonumber(ARGV[2])
        if tpm > 0 then
          local w = wait(KEYS[2], tpm)
          if w > 0 then return {2, w, day, month} end
        end
        if rpm > 0 then
          local w = wait(KEYS[1], rpm)
          if w > 0 then return {1, w, day, month} end
          redis.call('HINCRBY', KEYS[1], sec, 1)
          redis.call('EXPIRE', KEYS[1], 61)
        end
        return {0, 0, day, month}
        """;

    /// <summary>
    /// Counts the tokens a call used. KEYS: tokens window, day count, month count. ARGV: tokens, whether the tokens
    /// window is kept ('1'), when the day count expires and when the month count expires (Unix seconds).
    /// Returns {tokens used today, tokens used this month}.
    /// </summary>
    public const string Record = """
        local n = tonumber(ARGV[1])
        if ARGV[2] == '1' then
          local t = redis.call('TIME')
          redis.call('HINCRBY', KEYS[1], t[1], n)
          redis.call('EXPIRE', KEYS[1], 61)
        end
        local day = redis.call('INCRBY', KEYS[2], n)
        redis.call('EXPIREAT', KEYS[2], ARGV[3])
        local month = redis.call('INCRBY', KEYS[3], n)
        redis.call('EXPIREAT', KEYS[3], ARGV[4])
        return {day, month}
        """;
}
