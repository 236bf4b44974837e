using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Hosting;

namespace OperatorConsole.Infrastructure.Channels.Inbound;

/// <summary>
/// Runs the webhook processor on every node: woken at once by local deliveries, polling every couple of seconds for
/// the rest (other nodes' rows, retries, rows left pending by a crash before a restart).
/// One processor keeps up with steady traffic; the others join only while batches come back full (a backlog). Two
/// processors at 500 msg/s kept the cores busy enough to put the webhook answers' p99 near 90 ms where one gave 50 ms,
/// while a flood still drains with all of them (docs/benchmarks.md).
/// </summary>
public sealed class WebhookInboxWorker(WebhookProcessor processor, InboxSignal signal, IOptions<WebhookOptions> options,
    ILogger<WebhookInboxWorker> log) : WorkLoop(log)
{
    private int _running;
    private volatile bool _backlog;

    protected override int Workers => options.Value.Workers;

    protected override async Task<bool> RunOnceAsync(CancellationToken ct)
    {
        var size = Math.Max(1, options.Value.BatchSize);
        if (Interlocked.Increment(ref _running) > 1 && !_backlog)
        {
            Interlocked.Decrement(ref _running);
            return false; // another processor keeps up on its own
        }
        try
        {
            var result = await processor.ProcessBatchAsync(size, ct);
            _backlog = result.Handled >= size;
            return result.Handled > 0;
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    protected override Task IdleAsync(CancellationToken ct) => signal.WaitAsync(TimeSpan.FromSeconds(2), ct);
}
