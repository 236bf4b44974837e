using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace OperatorConsole.Infrastructure.Live;

/// <summary>Something about a conversation changed (new message, status, owner…); screens showing it should refresh.</summary>
public sealed record ConversationChanged(Guid TenantId, Guid ConversationId, string Reason);

/// <summary>
/// Fan-out of conversation changes to this node's subscribers, and through <see cref="LiveChangesRelay"/> to every
/// other node (PostgreSQL LISTEN/NOTIFY). Components subscribe on first render and dispose on leave (STYLE #10).
/// A local publish reaches local subscribers at once, without waiting for the database round trip; the relay skips
/// the node's own echoes, so nobody sees a change twice.
/// </summary>
public sealed class ConversationNotifier(LiveNode node, ILogger<ConversationNotifier> log)
{
    private readonly ConcurrentDictionary<Guid, Subscription> _subscriptions = new();

    // Bounded so a relay that cannot reach the database never grows memory: the oldest pending change is dropped
    // (other nodes' screens miss one refresh) rather than anything here waiting.
    private readonly Channel<ConversationChanged> _outbox = Channel.CreateBounded<ConversationChanged>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private volatile bool _relayAttached;

    public Guid NodeId => node.Id;

    /// <summary>Receive changes of one tenant. Dispose the result to stop.</summary>
    public IDisposable Subscribe(Guid tenantId, Func<ConversationChanged, Task> handler) => Add(tenantId, null, handler);

    /// <summary>Receive changes of one conversation (an open chat panel). Dispose the result to stop.</summary>
    public IDisposable Subscribe(Guid tenantId, Guid conversationId, Func<ConversationChanged, Task> handler) =>
        Add(tenantId, conversationId, handler);

    /// <summary>Every tenant's changes: only for the system's own bridges (the SignalR hub), never for a screen.</summary>
    public IDisposable SubscribeAll(Func<ConversationChanged, Task> handler) => Add(null, null, handler);

    /// <summary>Tells this node's subscribers now and every other node through the relay. Never waits for either.</summary>
    public void Publish(ConversationChanged change)
    {
        DeliverLocally(change);
        if (_relayAttached) _outbox.Writer.TryWrite(change);
    }

    /// <summary>Hands a change to this node's subscribers only (the relay calls it for other nodes' changes).</summary>
    public void DeliverLocally(ConversationChanged change)
    {
        foreach (var subscription in _subscriptions.Values)
        {
            if (subscription.TenantId is { } t && t != change.TenantId) continue;
            if (subscription.ConversationId is { } c && c != change.ConversationId) continue;
            // A slow or failing screen must never hold up ingest: handlers run detached and their errors are logged.
            _ = Invoke(subscription, change);
        }
    }

    /// <summary>The relay's side of the outbox: changes published on this node, to be sent to the others.</summary>
    internal ChannelReader<ConversationChanged> AttachRelay()
    {
        _relayAttached = true;
        return _outbox.Reader;
    }

    private IDisposable Add(Guid? tenantId, Guid? conversationId, Func<ConversationChanged, Task> handler)
    {
        var subscription = new Subscription(this, tenantId, conversationId, handler);
        _subscriptions[subscription.Id] = subscription;
        return subscription;
    }

    private async Task Invoke(Subscription subscription, ConversationChanged change)
    {
        // Off the publisher's thread before any handler code runs: a handler that blocks must not stall ingest or
        // the relay's listener.
        await Task.Yield();
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

    private sealed class Subscription(ConversationNotifier owner, Guid? tenantId, Guid? conversationId, Func<ConversationChanged, Task> handler)
        : IDisposable
    {
        public Guid Id { get; } = Guid.NewGuid();
        public Guid? TenantId { get; } = tenantId;
        public Guid? ConversationId { get; } = conversationId;
        public Func<ConversationChanged, Task> Handler { get; } = handler;
        public CultureInfo Culture { get; } = CultureInfo.CurrentCulture;
        public CultureInfo UICulture { get; } = CultureInfo.CurrentUICulture;

        public void Dispose() => owner._subscriptions.TryRemove(Id, out _);
    }
}
