namespace OperatorConsole.Domain.Common;

/// <summary>
/// How long to wait before retry number <c>attempt</c> (1 = the first retry): <see cref="First"/> × <see cref="Factor"/>^(attempt − 1),
/// capped at <see cref="Max"/>, then spread by ± <see cref="Jitter"/> (a fraction) so a burst of failures does not retry in
/// lockstep. Without jitter the delay is deterministic, so rules built on it can be tested with a fixed clock.
/// </summary>
public sealed record Backoff(TimeSpan First, double Factor, TimeSpan Max, double Jitter = 0)
{
    /// <summary>Webhook deliveries: 2 s, 4 s, 8 s … capped at 5 minutes.</summary>
    public static readonly Backoff WebhookDelivery = new(TimeSpan.FromSeconds(2), 2, TimeSpan.FromMinutes(5));

    /// <summary>Outbound sends: 2 s, 4 s, 8 s … capped at 5 minutes, ± 25 % so throttled senders spread out.</summary>
    public static readonly Backoff OutboundSend = new(TimeSpan.FromSeconds(2), 2, TimeSpan.FromMinutes(5), 0.25);

    /// <summary>Inbound media downloads: 4 s, 16 s, 64 s, 256 s, 1024 s (its few attempts end before any cap matters).</summary>
    public static readonly Backoff MediaFetch = new(TimeSpan.FromSeconds(4), 4, TimeSpan.MaxValue);

    public TimeSpan Delay(int attempt, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        // In seconds as a double: the power overflows no TimeSpan, and the cap is applied before converting back.
        var seconds = Math.Min(Max.TotalSeconds, First.TotalSeconds * Math.Pow(Factor, attempt - 1));
        if (Jitter > 0) seconds *= 1 - Jitter + (random ?? Random.Shared).NextDouble() * 2 * Jitter;
        return seconds >= TimeSpan.MaxValue.TotalSeconds ? TimeSpan.MaxValue : TimeSpan.FromSeconds(seconds);
    }
}
