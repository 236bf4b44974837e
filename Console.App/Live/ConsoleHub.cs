using System.Collections.Concurrent;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.App.Auth;
using OperatorConsole.Infrastructure.Inbox;
using OperatorConsole.Infrastructure.Live;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Live;

/// <summary>
/// Live updates for clients other than the Blazor circuits (which subscribe to the notifier in-process): every
/// connection joins its tenant's group on connect and receives <c>inboxChanged</c> for every conversation of that
/// tenant; <see cref="JoinConversation"/> adds <c>conversationChanged</c> for one conversation (an open chat panel).
/// Both carry <c>{conversationId, reason}</c>. The tenant always comes from the signed-in principal, never from
/// the client, and a conversation group is joined only after the tenant-scoped database confirms the conversation.
/// A member limited to some channels (<see cref="ChannelAccessRules"/>) joins one group per channel they work instead of
/// the tenant's group, so changes on other channels never reach them; the access is read when the connection starts.
/// </summary>
[Authorize(Policy = LiveSetup.HubPolicy)]
public sealed class ConsoleHub(ContextScopes scopes, PresenceService presence, HubChannelAudience audience) : Hub
{
    public const string Path = "/hubs/console";

    public static string TenantGroup(Guid tenantId) => $"tenant:{tenantId}";
    public static string ChannelGroup(Guid tenantId, Guid channelId) => $"tenant:{tenantId}:channel:{channelId}";
    public static string ConversationGroup(Guid conversationId) => $"conversation:{conversationId}";

    public override async Task OnConnectedAsync()
    {
        var tenantId = RequireTenant();
        IReadOnlyList<Guid>? channels = null;
        if (Context.User?.GetUserId() is { } member)
        {
            await using var work = scopes.ForTenant(tenantId, member);
            channels = await ChannelAccessRules.ChannelsOfUserAsync(work.Db, member, Context.ConnectionAborted);
        }
        if (channels is null)
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, TenantGroup(tenantId), Context.ConnectionAborted);
        }
        else
        {
            foreach (var channel in channels)
                await Groups.AddToGroupAsync(Context.ConnectionId, ChannelGroup(tenantId, channel), Context.ConnectionAborted);
            audience.Add(tenantId, channels);
            Context.Items[RestrictedTo] = (tenantId, channels);
        }
        // An API key has no person behind it: only members' connections count towards presence.
        if (Context.User?.GetUserId() is { } userId)
        {
            presence.Connected(tenantId, userId);
            Context.Items[CountedForPresence] = (tenantId, userId);
        }
        await base.OnConnectedAsync();
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        // Only a connection that was counted is uncounted: a failed start must not take away another tab's presence.
        if (Context.Items.TryGetValue(CountedForPresence, out var counted) && counted is (Guid tenantId, Guid userId))
            presence.Disconnected(tenantId, userId);
        if (Context.Items.TryGetValue(RestrictedTo, out var restricted) && restricted is (Guid tenant, IReadOnlyList<Guid> channels))
            audience.Remove(tenant, channels);
        await base.OnDisconnectedAsync(exception);
    }

    private const string CountedForPresence = "console:presence";
    private const string RestrictedTo = "console:channels";

    /// <summary>Starts receiving <c>conversationChanged</c> for one conversation of the caller's tenant.</summary>
    public async Task JoinConversation(Guid conversationId)
    {
        var tenantId = RequireTenant();
        await using (var work = scopes.ForTenant(tenantId, Context.User?.GetUserId()))
        {
            // Query filter and row-level security both limit this to the caller's tenant: another tenant's id is
            // indistinguishable from one that does not exist; so is a conversation of a channel the member does not work.
            if (!await work.Db.Conversations.VisibleToUser(work.Db, Context.User?.GetUserId())
                    .AnyAsync(c => c.Id == conversationId, Context.ConnectionAborted))
                throw new HubException("not found");
        }
        await Groups.AddToGroupAsync(Context.ConnectionId, ConversationGroup(conversationId), Context.ConnectionAborted);
    }

    public Task LeaveConversation(Guid conversationId) =>
        Groups.RemoveFromGroupAsync(Context.ConnectionId, ConversationGroup(conversationId), Context.ConnectionAborted);

    private Guid RequireTenant() =>
        Context.User?.GetTenantId() ?? throw new HubException("not a member of a tenant");
}

/// <summary>Forwards every conversation change this node hears (its own and, through the relay, other nodes') to the hub's groups.</summary>
public sealed class ConsoleHubBridge(ConversationNotifier notifier, IHubContext<ConsoleHub> hub, HubChannelAudience audience, ContextScopes scopes,
    ILogger<ConsoleHubBridge> log) : IHostedService
{
    // A conversation never changes channel: its channel is remembered (bounded) so busy tenants cost one lookup each.
    private readonly ConcurrentDictionary<Guid, Guid> _channelOf = new();

    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = notifier.SubscribeAll(Forward);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        return Task.CompletedTask;
    }

    private async Task Forward(ConversationChanged change)
    {
        var payload = new ConversationChangedMessage(change.ConversationId, change.Reason);
        try
        {
            await Task.WhenAll(
                hub.Clients.Group(ConsoleHub.ConversationGroup(change.ConversationId)).SendAsync("conversationChanged", payload),
                hub.Clients.Group(ConsoleHub.TenantGroup(change.TenantId)).SendAsync("inboxChanged", payload));
            // Members limited to some channels hear only their channels' conversations (and workspace-wide switches).
            var channels = audience.ChannelsHeard(change.TenantId);
            if (channels.Count == 0) return;
            if (change.ConversationId == Guid.Empty)
            {
                await Task.WhenAll(channels.Select(c => hub.Clients.Group(ConsoleHub.ChannelGroup(change.TenantId, c)).SendAsync("inboxChanged", payload)));
            }
            else if (await ChannelOfAsync(change) is { } channel && channels.Contains(channel))
            {
                await hub.Clients.Group(ConsoleHub.ChannelGroup(change.TenantId, channel)).SendAsync("inboxChanged", payload);
            }
        }
        catch (Exception ex)
        {
            log.LogDebug(ex, "Could not forward a change to hub clients");
        }
    }

    private async Task<Guid?> ChannelOfAsync(ConversationChanged change)
    {
        if (_channelOf.TryGetValue(change.ConversationId, out var known)) return known;
        await using var work = scopes.ForTenant(change.TenantId);
        var channel = await work.Db.Conversations.Where(c => c.Id == change.ConversationId).Select(c => (Guid?)c.ChannelId).SingleOrDefaultAsync();
        if (channel is { } found)
        {
            if (_channelOf.Count > 50_000) _channelOf.Clear();
            _channelOf[change.ConversationId] = found;
        }
        return channel;
    }
}

/// <summary>Which channels have channel-limited hub connections on this node, per tenant (so unlimited tenants cost nothing).</summary>
public sealed class HubChannelAudience
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(Guid Tenant, Guid Channel), int> _connections = [];

    public void Add(Guid tenantId, IEnumerable<Guid> channels)
    {
        lock (_gate)
            foreach (var channel in channels) _connections[(tenantId, channel)] = _connections.GetValueOrDefault((tenantId, channel)) + 1;
    }

    public void Remove(Guid tenantId, IEnumerable<Guid> channels)
    {
        lock (_gate)
            foreach (var channel in channels)
                if (_connections.TryGetValue((tenantId, channel), out var n))
                {
                    if (n <= 1) _connections.Remove((tenantId, channel));
                    else _connections[(tenantId, channel)] = n - 1;
                }
    }

    public IReadOnlyList<Guid> ChannelsHeard(Guid tenantId)
    {
        lock (_gate) return _connections.Keys.Where(k => k.Tenant == tenantId).Select(k => k.Channel).ToList();
    }
}

public sealed record ConversationChangedMessage(Guid ConversationId, string Reason);
