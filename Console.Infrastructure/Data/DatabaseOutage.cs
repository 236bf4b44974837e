using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Common;

namespace OperatorConsole.Infrastructure.Data;

/// <summary>
/// Work that must not be dropped because PostgreSQL is down for a while, in a process that stays up: it is retried with
/// backoff (250 ms doubling to 5 s) until the database answers, for as long as the node runs. Used where failing would
/// strand work until a timer far away: a job fired by a one-shot trigger (its trigger is gone once it returns, so only
/// the sweep, a minute and more later, would run it), and giving back a claimed agent turn or a leased send that never
/// left (else it waits out its lease: minutes). The work must be safe to repeat (it decides on its row). Other failures,
/// and the node stopping, end it as before.
/// </summary>
public static class DatabaseOutage
{
    public static readonly Backoff Retry = new(TimeSpan.FromMilliseconds(250), 2, TimeSpan.FromSeconds(5));

    /// <summary>Runs <paramref name="work"/>, again and again while <see cref="DbErrors.IsDatabaseDown"/>.</summary>
    public static async Task WaitOutAsync(string what, Func<CancellationToken, Task> work, ILogger log, CancellationToken ct)
    {
        for (var failures = 0; ; )
        {
            try
            {
                await work(ct);
                if (failures > 0) log.LogInformation("{Work} done once the database was back ({Failures} attempt(s) met the outage)", what, failures);
                return;
            }
            catch (Exception ex) when (DbErrors.IsDatabaseDown(ex) && !ct.IsCancellationRequested)
            {
                if (++failures == 1) log.LogWarning(ex, "{Work}: the database is unavailable; retrying until it is back", what);
                await Task.Delay(Retry.Delay(failures), ct);
            }
        }
    }
}
