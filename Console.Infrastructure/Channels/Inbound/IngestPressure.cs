using Microsoft.Extensions.Options;

namespace OperatorConsole.Infrastructure.Channels.Inbound;

/// <summary>
/// Whether this node's webhook processing is behind: each batch reports how long its oldest delivery waited to be
/// claimed, and a wait of <see cref="WebhookOptions.BehindMilliseconds"/> or more counts as behind for
/// <see cref="Hold"/> after it. Background work that competes for the same CPU (outbound webhook deliveries) slows
/// down while it is, so customers' messages are stored first and that work catches up once processing has.
/// </summary>
public sealed class IngestPressure(IOptions<WebhookOptions> options, TimeProvider clock)
{
    /// <summary>How long one late batch keeps the node counted as behind: long enough to span the batches after it.</summary>
    public static readonly TimeSpan Hold = TimeSpan.FromSeconds(1);

    private long _behindUntil;

    /// <summary>The wait of a batch's oldest delivery, from when it was due to when it was claimed.</summary>
    public void Report(TimeSpan waited)
    {
        if (waited.TotalMilliseconds < options.Value.BehindMilliseconds) return;
        Interlocked.Exchange(ref _behindUntil, (clock.GetUtcNow() + Hold).UtcTicks);
    }

    public bool Behind => clock.GetUtcNow().UtcTicks < Interlocked.Read(ref _behindUntil);
}
