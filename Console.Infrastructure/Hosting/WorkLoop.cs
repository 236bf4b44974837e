using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OperatorConsole.Infrastructure.Hosting;

/// <summary>
/// A background loop run by <see cref="Workers"/> concurrent workers on every node: each claims one unit of work at
/// a time (the claim itself is safe across nodes) and idles when there is none. An unexpected error — the database
/// being down, say — is logged and the loop carries on after a pause; the work stays where it was.
/// </summary>
public abstract class WorkLoop(ILogger log) : BackgroundService
{
    protected abstract int Workers { get; }

    /// <summary>Does one unit of work; false when there was nothing to do.</summary>
    protected abstract Task<bool> RunOnceAsync(CancellationToken ct);

    /// <summary>Waits before looking again when idle (a signal from this node, or a short poll for other nodes' work).</summary>
    protected abstract Task IdleAsync(CancellationToken ct);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Math.Max(0, Workers)).Select(_ => RunAsync(stoppingToken)));

    private async Task RunAsync(CancellationToken ct)
    {
        await Task.Yield();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (!await RunOnceAsync(ct)) await IdleAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                log.LogError(ex, "{Loop} failed; retrying shortly", GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(2), ct).ContinueWith(_ => { }, CancellationToken.None);
            }
        }
    }
}
