using System.ComponentModel.DataAnnotations;

namespace OperatorConsole.Infrastructure.Webhooks;

/// <summary>Outbound webhooks (events sent to tenants' own systems). Keys: OutboundWebhooks:*.</summary>
public sealed class OutboundWebhookOptions
{
    /// <summary>Deliveries claimed by this node at once, sending or waiting for their subscription's turn (0: this node sends none).</summary>
    [Range(0, 5000)] public int MaxInFlight { get; set; } = 256;

    /// <summary>Deliveries in flight to one subscription at once: a slow receiver holds at most this many slots.</summary>
    [Range(1, 100)] public int PerSubscription { get; set; } = 4;

    /// <summary>
    /// Deliveries per second this node sends while its webhook processing is behind (Webhooks:BehindMilliseconds):
    /// customers' messages are stored first, and deliveries never stop altogether. Unlimited otherwise.
    /// </summary>
    [Range(1, 100000)] public int PerSecondWhileIngestBehind { get; set; } = 20;

    /// <summary>How long a receiver has to answer.</summary>
    [Range(1, 60)] public int TimeoutSeconds { get; set; } = 10;

    /// <summary>The first retry's delay; each further one doubles (± 25 %), up to <see cref="RetryMaxSeconds"/>.</summary>
    [Range(0.05, 3600)] public double RetryFirstSeconds { get; set; } = 10;

    [Range(1, 86400)] public double RetryMaxSeconds { get; set; } = 3600;

    /// <summary>How long a delivery is retried before it is Failed.</summary>
    [Range(0.01, 168)] public double RetryForHours { get; set; } = 24;

    /// <summary>
    /// How long a claimed delivery is held by its worker; one whose worker died is sent again after it. It must outlast
    /// the wait of a delivery queued behind a slow receiver (<see cref="OutboundWebhookWorker.QueuedPerSlot"/> timeouts).
    /// </summary>
    [Range(30, 3600)] public int LeaseSeconds { get; set; } = 180;

    /// <summary>How often a node looks for due work it was not woken for (other nodes' events, retries).</summary>
    [Range(50, 60000)] public int PollMilliseconds { get; set; } = 500;

    /// <summary>How often each node re-reads which tenants have subscriptions (changes made on other nodes).</summary>
    [Range(1, 3600)] public int SubscriptionRefreshSeconds { get; set; } = 10;
}
