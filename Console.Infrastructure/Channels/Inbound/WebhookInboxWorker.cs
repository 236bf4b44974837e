using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Hosting;

namespace OperatorConsole.Infrastructure.Channels.Inbound;

/// <summary>
/// Runs the webhook processor on every node: woken at once by local deliveries, polling every couple of seconds for
/// the rest (other nodes' rows, retries, rows left pending by a crash before a restart).
/// </summary>
public sealed class WebhookInboxWorker(WebhookProcessor processor, InboxSignal signal, IOptions<WebhookOptions> options,
    ILogger<WebhookInboxWorker> log) : WorkLoop(log)
{
    protected override int Workers => options.Value.Workers;

    protected override async Task<bool> RunOnceAsync(CancellationToken ct) =>
        (await processor.ProcessBatchAsync(Math.Max(1, options.Value.BatchSize), ct)).Handled > 0;

    protected override Task IdleAsync(CancellationToken ct) => signal.WaitAsync(TimeSpan.FromSeconds(2), ct);
}
