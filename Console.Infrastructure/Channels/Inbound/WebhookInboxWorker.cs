using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OperatorConsole.Infrastructure.Channels.Inbound;

/// <summary>
/// Runs the webhook processor continuously on every node: woken at once by local deliveries, polling every couple
/// of seconds for the rest (other nodes' rows, retries, rows left pending by a crash before a restart).
/// </summary>
public sealed class WebhookInboxWorker(WebhookProcessor processor, InboxSignal signal, IOptions<WebhookOptions> options,
    ILogger<WebhookInboxWorker> log) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Math.Max(1, options.Value.Workers)).Select(_ => RunAsync(stoppingToken)));

    private async Task RunAsync(CancellationToken ct)
    {
        await Task.Yield();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (!await processor.ProcessNextAsync(ct)) await signal.WaitAsync(TimeSpan.FromSeconds(2), ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The database may be down: keep trying, slowly, without losing anything (rows stay pending).
                log.LogError(ex, "Webhook inbox worker error");
                await Task.Delay(TimeSpan.FromSeconds(2), ct).ContinueWith(_ => { }, CancellationToken.None);
            }
        }
    }
}
