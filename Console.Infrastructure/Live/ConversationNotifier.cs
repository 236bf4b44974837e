using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace OperatorConsole.Infrastructure.Live;

/// <summary>Something about a conversation changed (new message, status, owner…); screens showing it should refresh.</summary>
public sealed record ConversationChanged(Guid TenantId, Guid ConversationId, string Reason);

/// <summary>
/// In-process fan-out of conversation changes. Components subscribe on first render and dispose on leave
/// (STYLE #10). The Inbox step bridges it across nodes with PostgreSQL LISTEN/NOTIFY.
/// </summary>
public sealed class ConversationNotifier(ILogger<ConversationNotifier> log)
{
    private readonly ConcurrentDictionary<Guid, Subscription> _subscriptions = new();

    /// <summary>Receive changes of one tenant. Dispose the result to stop.</summary>
    public IDisposable Subscribe(Guid tenantId, Func<ConversationChanged, Task> handler)
    {
        var subscription = new Subscription(this, tenantId, handler);
        _subscriptions[subscription.Id] = subscription;
        return subscription;
    }

    public void Publish(ConversationChanged change)
    {
        foreach (var subscription in _subscriptions.Values)
        {
            if (subscription.TenantId != change.TenantId) continue;
            // A slow or failing screen must never hold up ingest: handlers run detached and their errors are logged.
            _ = Invoke(subscription, change);
        }
    }

    private async Task Invoke(Subscription subscription, ConversationChanged change)
    {
        // Publish runs on a background worker: render in the subscriber's language, not the worker's.
        CultureInfo.CurrentCulture = subscription.Culture;
        CultureInfo.CurrentUICulture = subscription.UICulture;
        try
        {
            await subscription.Handler(change);
        }
        catch (Exception ex)
        {
            log.LogWarning(ex, "A conversation-change subscriber failed");
        }
    }

    private sealed class Subscription(ConversationNotifier owner, Guid tenantId, Func<ConversationChanged, Task> handler) : IDisposable
    {
        public Guid Id { get; } = Guid.NewGuid();
        public Guid TenantId { get; } = tenantId;
        public Func<ConversationChanged, Task> Handler { get; } = handler;
        public CultureInfo Culture { get; } = CultureInfo.CurrentCulture;
        public CultureInfo UICulture { get; } = CultureInfo.CurrentUICulture;

        public void Dispose() => owner._subscriptions.TryRemove(Id, out _);
    }
}
