using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OperatorConsole.Infrastructure.Live;

/// <summary>What one open conversation screen (a view) announces: it is open, it closed, or its member is typing.</summary>
public enum ActivityKind
{
    Viewing,
    Left,
    Typing,
}

/// <summary>One announcement about a conversation screen; <c>View</c> tells apart two tabs of the same member.</summary>
public sealed record ActivitySignal(Guid TenantId, Guid ConversationId, Guid MemberId, Guid View, ActivityKind Kind);

/// <summary>Who has a conversation open right now, and which of them are typing (members, one entry per member).</summary>
public sealed record ConversationPresence(IReadOnlyList<Guid> Viewing, IReadOnlyList<Guid> Typing)
{
    public static readonly ConversationPresence Nobody = new([], []);
}

/// <summary>
/// Collision awareness: which members have a conversation open and who is typing in it, on every node. Nothing is
/// stored: each node knows the screens open on it and hears the others' through <see cref="LiveChangesRelay"/> (the same
/// LISTEN/NOTIFY channel the conversation changes use). An open screen is re-announced every
/// <see cref="LiveOptions.ViewingRenewSeconds"/>, so a node that died without saying goodbye stops counting after three
/// missed renewals; a typing signal counts for <see cref="LiveOptions.TypingSeconds"/>, and a screen sends at most one
/// every half of that however fast its member types.
/// </summary>
public sealed class ConversationActivity(LiveNode node, TimeProvider clock, Microsoft.Extensions.Options.IOptions<LiveOptions> options,
    ILogger<ConversationActivity> log) : BackgroundService
{
    private readonly LiveOptions _options = options.Value;
    private readonly ConcurrentDictionary<Guid, ConversationState> _conversations = new();
    private readonly ConcurrentDictionary<Guid, LocalView> _local = new();
    private readonly ConcurrentDictionary<Guid, Watcher> _watchers = new();

    // Bounded like the change outbox: a relay that cannot reach the database must not grow memory.
    private readonly Channel<ActivitySignal> _outbox = Channel.CreateBounded<ActivitySignal>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private volatile bool _relayAttached;

    public Guid NodeId => node.Id;

    /// <summary>Who, besides <paramref name="except"/>, has the conversation open and who is typing in it.</summary>
    public ConversationPresence Of(Guid conversationId, Guid? except = null)
    {
        if (!_conversations.TryGetValue(conversationId, out var state)) return ConversationPresence.Nobody;
        var now = clock.GetUtcNow();
        lock (state)
        {
            var viewing = state.Views.Values.Where(v => v.Until > now && v.MemberId != except).Select(v => v.MemberId).Distinct().ToList();
            var typing = state.Views.Values.Where(v => v.TypingUntil > now && v.Until > now && v.MemberId != except).Select(v => v.MemberId)
                .Distinct().ToList();
            return new ConversationPresence(viewing, typing);
        }
    }

    /// <summary>
    /// This member opened the conversation on this node: everyone watching it (here and on other nodes) learns it now.
    /// Dispose when the screen closes or shows another conversation.
    /// </summary>
    public OpenView Open(Guid tenantId, Guid conversationId, Guid memberId)
    {
        var view = new OpenView(this, new LocalView(tenantId, conversationId, memberId, Guid.NewGuid()));
        _local[view.Local.View] = view.Local;
        Announce(view.Local, ActivityKind.Viewing);
        return view;
    }

    /// <summary>Calls <paramref name="changed"/> whenever who views or types in the conversation changes. Dispose to stop.</summary>
    public IDisposable Watch(Guid conversationId, Func<Task> changed)
    {
        var watcher = new Watcher(this, conversationId, changed);
        _watchers[watcher.Id] = watcher;
        return watcher;
    }

    /// <summary>A signal from another node (the relay calls this; the node's own echoes are skipped there).</summary>
    public void Receive(ActivitySignal signal, Guid fromNode)
    {
        if (fromNode == node.Id) return;
        var known = Apply(signal);
        // A screen opened on another node that this node has not heard of yet learns at once who is already here,
        // instead of at the next renewal. The reply is a known view over there, so it is never answered again.
        if (signal.Kind == ActivityKind.Viewing && !known)
            foreach (var local in _local.Values.Where(l => l.ConversationId == signal.ConversationId && !l.Closed))
                Send(new ActivitySignal(local.TenantId, local.ConversationId, local.MemberId, local.View, ActivityKind.Viewing));
    }

    /// <summary>The relay's side: signals from this node's screens, to be sent to the other nodes.</summary>
    internal ChannelReader<ActivitySignal> AttachRelay()
    {
        _relayAttached = true;
        return _outbox.Reader;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Once a second: forget what lapsed (a typing pause, a node that died) and tell the screens; every renewal
        // period, re-announce this node's open screens.
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), clock);
        var lastRenewal = clock.GetUtcNow();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    Sweep();
                    if (clock.GetUtcNow() - lastRenewal >= _options.ViewingRenewal)
                    {
                        lastRenewal = clock.GetUtcNow();
                        foreach (var local in _local.Values.Where(l => !l.Closed)) Announce(local, ActivityKind.Viewing);
                    }
                }
                catch (Exception ex)
                {
                    log.LogWarning(ex, "Conversation activity sweep failed");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Sweep()
    {
        var now = clock.GetUtcNow();
        foreach (var (conversationId, state) in _conversations)
        {
            bool changed;
            lock (state)
            {
                changed = state.Views.Values.Any(v => v.Until <= now || (v.TypingUntil is { } t && t <= now));
                foreach (var (key, v) in state.Views.ToList())
                {
                    if (v.Until <= now) state.Views.Remove(key);
                    else if (v.TypingUntil is { } t && t <= now) state.Views[key] = v with { TypingUntil = null };
                }
                if (state.Views.Count == 0) _conversations.TryRemove(conversationId, out _);
            }
            if (changed) Notify(conversationId);
        }
    }

    private void Announce(LocalView view, ActivityKind kind) => Send(new ActivitySignal(view.TenantId, view.ConversationId, view.MemberId, view.View, kind));

    private void Send(ActivitySignal signal)
    {
        Apply(signal);
        if (_relayAttached) _outbox.Writer.TryWrite(signal);
    }

    /// <summary>Records a signal; returns whether the view was already known.</summary>
    private bool Apply(ActivitySignal signal)
    {
        var now = clock.GetUtcNow();
        var state = _conversations.GetOrAdd(signal.ConversationId, _ => new ConversationState());
        bool known;
        lock (state)
        {
            known = state.Views.TryGetValue(signal.View, out var current);
            switch (signal.Kind)
            {
                case ActivityKind.Left:
                    state.Views.Remove(signal.View);
                    break;
                case ActivityKind.Viewing:
                    state.Views[signal.View] = new ViewState(signal.MemberId, now + _options.ViewingTimeout, current?.TypingUntil);
                    break;
                case ActivityKind.Typing:
                    state.Views[signal.View] = new ViewState(signal.MemberId, now + _options.ViewingTimeout, now + _options.Typing);
                    break;
            }
            // A renewal of a known view changes nothing anyone sees.
            if (known && signal.Kind == ActivityKind.Viewing) return true;
        }
        Notify(signal.ConversationId);
        return known;
    }

    private void Notify(Guid conversationId)
    {
        foreach (var watcher in _watchers.Values.Where(w => w.ConversationId == conversationId)) _ = Invoke(watcher);
    }

    private async Task Invoke(Watcher watcher)
    {
        // Off the signalling thread: a slow screen must not hold up the relay's listener.
        await Task.Yield();
        // Signals arrive on background threads: render in the watcher's language, not the listener's.
        CultureInfo.CurrentCulture = watcher.Culture;
        CultureInfo.CurrentUICulture = watcher.UICulture;
        try
        {
            await watcher.Changed();
        }
        catch (Exception ex)
        {
            log.LogDebug(ex, "A conversation activity watcher failed");
        }
    }

    private void Typing(LocalView view)
    {
        var now = clock.GetUtcNow();
        // Throttled: one signal per half typing period keeps the indicator on while keys keep coming.
        if (view.Closed || view.Away || (view.LastTypingSignal is { } last && now - last < _options.Typing / 2)) return;
        view.LastTypingSignal = now;
        Announce(view, ActivityKind.Typing);
    }

    private void Close(LocalView view)
    {
        lock (view)
        {
            if (view.Closed) return;
            view.Closed = true;
            if (view.Away) return; // already announced as gone
            _local.TryRemove(view.View, out _);
        }
        Announce(view, ActivityKind.Left);
    }

    /// <summary>The screen's connection dropped: nobody is at it, whatever the server keeps for a reconnection.</summary>
    private void Leave(LocalView view)
    {
        lock (view)
        {
            if (view.Closed || view.Away) return;
            view.Away = true;
            _local.TryRemove(view.View, out _);
        }
        Announce(view, ActivityKind.Left);
    }

    /// <summary>The screen's connection is back: it counts (and is renewed) again.</summary>
    private void Return(LocalView view)
    {
        lock (view)
        {
            if (view.Closed || !view.Away) return;
            view.Away = false;
            _local[view.View] = view;
        }
        Announce(view, ActivityKind.Viewing);
    }

    private sealed record ViewState(Guid MemberId, DateTimeOffset Until, DateTimeOffset? TypingUntil);

    private sealed class ConversationState
    {
        public Dictionary<Guid, ViewState> Views { get; } = [];
    }

    internal sealed class LocalView(Guid tenantId, Guid conversationId, Guid memberId, Guid view)
    {
        public Guid TenantId { get; } = tenantId;
        public Guid ConversationId { get; } = conversationId;
        public Guid MemberId { get; } = memberId;
        public Guid View { get; } = view;
        public DateTimeOffset? LastTypingSignal { get; set; }
        public volatile bool Closed;
        /// <summary>Its connection is down: not announced or renewed until it is back.</summary>
        public volatile bool Away;
    }

    /// <summary>An open conversation screen of this node.</summary>
    public sealed class OpenView : IDisposable
    {
        private readonly ConversationActivity _owner;

        internal OpenView(ConversationActivity owner, LocalView local)
        {
            _owner = owner;
            Local = local;
        }

        internal LocalView Local { get; }

        /// <summary>A key was pressed in the composer; throttled here, so calling it on every key is fine.</summary>
        public void Typing() => _owner.Typing(Local);

        /// <summary>The connection to the screen dropped (a closed lid, a lost network, a browser closed without a goodbye).</summary>
        public void Leave() => _owner.Leave(Local);

        /// <summary>The connection to the screen is back.</summary>
        public void Return() => _owner.Return(Local);

        public void Dispose() => _owner.Close(Local);
    }

    private sealed class Watcher(ConversationActivity owner, Guid conversationId, Func<Task> changed) : IDisposable
    {
        public Guid Id { get; } = Guid.NewGuid();
        public Guid ConversationId { get; } = conversationId;
        public Func<Task> Changed { get; } = changed;
        public CultureInfo Culture { get; } = CultureInfo.CurrentCulture;
        public CultureInfo UICulture { get; } = CultureInfo.CurrentUICulture;

        public void Dispose() => owner._watchers.TryRemove(Id, out _);
    }
}
