using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>
/// Runs due agent turns on every node. One loop claims while fewer than <see cref="AgentOptions.Workers"/> turns run on
/// this node, and each claimed turn runs on its own: a burst of customers is answered in parallel (each turn mostly waits
/// for the model), while an idle node asks for due turns once per poll rather than once per slot.
/// </summary>
public sealed class AgentWorker(AgentRunner runner, IOptionsMonitor<AgentOptions> options, ILogger<AgentWorker> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var slots = Math.Max(0, options.CurrentValue.Workers);
        if (slots == 0) return;
        using var free = new SemaphoreSlim(slots, slots);
        await Task.Yield();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await free.WaitAsync(stoppingToken);
                TurnClaim? claim;
                try
                {
                    claim = await runner.ClaimAsync(stoppingToken);
                }
                catch (Exception ex)
                {
                    free.Release(); // the wait at the end counts every slot
                    if (stoppingToken.IsCancellationRequested) break;
                    log.LogError(ex, "Claiming an agent turn failed; retrying shortly");
                    await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
                    continue;
                }
                if (claim is null)
                {
                    free.Release();
                    await Task.Delay(options.CurrentValue.PollMilliseconds, stoppingToken);
                    continue;
                }
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await runner.RunClaimedAsync(claim, stoppingToken);
                    }
                    catch (Exception ex)
                    {
                        // Cancelled at shutdown, or the give-back itself failed: the lease runs out and any node retries.
                        log.LogDebug(ex, "Agent turn for {ConversationId} stopped", claim.ConversationId);
                    }
                    finally
                    {
                        free.Release();
                    }
                }, CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Every slot back means every turn on this node has ended (cancelled turns end quickly).
            for (var i = 0; i < slots; i++) await free.WaitAsync(CancellationToken.None);
        }
    }
}
