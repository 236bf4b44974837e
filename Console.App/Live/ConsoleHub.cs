using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.App.Auth;
using OperatorConsole.Infrastructure.Live;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Live;

/// <summary>
/// Live updates for clients other than the Blazor circuits (which subscribe to the notifier in-process): every
/// connection joins its tenant's group on connect and receives <c>inboxChanged</c> for every conversation of that
/// tenant; <see cref="JoinConversation"/> adds <c>conversationChanged</c> for one conversation (an open chat panel).
/// Both carry <c>{conversationId, reason}</c>. The tenant always comes from the signed-in principal, never from
/// the client, and a conversation group is joined only after the tenant-scoped database confirms the conversation.
/// </summary>
[Authorize(Policy = LiveSetup.HubPolicy)]
public sealed class ConsoleHub(ContextScopes scopes, PresenceService presence) : Hub
{
    public const string Path = "/hubs/console";

    public static string TenantGroup(Guid tenantId) => $"tenant:{tenantId}";
    public static string ConversationGroup(Guid conversationId) => $"conversation:{conversationId}";

    public override async Task OnConnectedAsync()
    {
        var tenantId = RequireTenant();
        await Groups.AddToGroupAsync(Context.ConnectionId, TenantGroup(tenantId), Context.ConnectionAborted);
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
        await base.OnDisconnectedAsync(exception);
    }

    private const string CountedForPresence = "console:presence";

    /// <summary>Starts receiving <c>conversationChanged</c> for one conversation of the caller's tenant.</summary>
    public async Task JoinConversation(Guid conversationId)
    {
        var tenantId = RequireTenant();
        await using (var work = scopes.ForTenant(tenantId, Context.User?.GetUserId()))
        {
            // Query filter and row-level security both limit this to the caller's tenant: another tenant's id is
            // indistinguishable from one that does not exist.
            if (!await work.Db.Conversations.AnyAsync(c => c.Id == conversationId, Context.ConnectionAborted))
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
public sealed class ConsoleHubBridge(ConversationNotifier notifier, IHubContext<ConsoleHub> hub, ILogger<ConsoleHubBridge> log) : IHostedService
{
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
        }
        catch (Exception ex)
        {
            log.LogDebug(ex, "Could not forward a change to hub clients");
        }
    }
}

public sealed record ConversationChangedMessage(Guid ConversationId, string Reason);
