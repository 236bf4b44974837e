using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Live;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Live;

/// <summary>Two app instances (nodes) on one database, each on its own socket, as behind a load balancer.</summary>
public sealed class TwoNodes : IAsyncLifetime
{
    public SocketAppFactory A { get; } = new();
    public SocketNodeFactory B { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        await A.InitializeAsync();
        B = new SocketNodeFactory(A.Database);
        await B.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await B.DisposeAsync();
        await A.DisposeAsync();
    }
}

public class CrossNodeTests(TwoNodes nodes) : IClassFixture<TwoNodes>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_message_arriving_on_node_A_reaches_a_member_connected_to_node_B()
    {
        var tenant = await nodes.A.TenantAsync();
        var channel = await nodes.A.ChannelAsync(tenant.Id);
        var customer = "521" + Random.Shared.NextInt64(1000000000, 9999999999);
        var conversation = await nodes.A.ConversationAsync(tenant.Id, "Ana", channel: channel, customerId: customer);
        await using var hub = await nodes.B.HubAsync(await nodes.B.SignInAsync($"{tenant.Slug}@owner.test"));
        await hub.Connection.InvokeAsync("JoinConversation", conversation.Id);

        var webhook = await new WebhookClient(nodes.A.CreateClient()).PostMetaAsync("whatsapp",
            Deliveries.WhatsAppText(channel.ExternalId, customer, "wamid." + Guid.NewGuid().ToString("N"), "Hola desde A", DateTimeOffset.UtcNow));
        Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);

        await Eventually.TrueAsync(() => Task.FromResult(hub.Saw("conversationChanged", conversation.Id)),
            "the member on node B to hear about the message node A received", Generous);
    }

    [Fact]
    public async Task A_change_reaches_subscribers_on_every_node_once()
    {
        var tenantId = Guid.NewGuid();
        var onA = new ConcurrentBag<ConversationChanged>();
        var onB = new ConcurrentBag<ConversationChanged>();
        var notifierA = nodes.A.Services.GetRequiredService<ConversationNotifier>();
        var notifierB = nodes.B.Services.GetRequiredService<ConversationNotifier>();
        using var subA = notifierA.Subscribe(tenantId, c => { onA.Add(c); return Task.CompletedTask; });
        using var subB = notifierB.Subscribe(tenantId, c => { onB.Add(c); return Task.CompletedTask; });

        var change = new ConversationChanged(tenantId, Guid.NewGuid(), "test");
        notifierA.Publish(change);
        await Eventually.TrueAsync(() => Task.FromResult(onB.Contains(change)), "node B to receive node A's change", Generous);

        // PostgreSQL delivers notifications in commit order: once node A hears B's marker, A's listener has
        // already handled the echo of its own change — which must not have reached A's subscriber a second time.
        var marker = new ConversationChanged(tenantId, Guid.NewGuid(), "marker");
        notifierB.Publish(marker);
        await Eventually.TrueAsync(() => Task.FromResult(onA.Contains(marker)), "node A to receive node B's marker", Generous);

        Assert.Equal(1, onA.Count(c => c == change));
        Assert.Equal(1, onB.Count(c => c == change));
        Assert.Equal(1, onB.Count(c => c == marker));
    }

    [Fact]
    public async Task A_member_connected_only_to_node_B_stays_online_when_node_A_has_no_connection()
    {
        var tenant = await nodes.A.TenantAsync();
        var member = await nodes.A.MemberAsync(tenant.Id);
        var presenceA = nodes.A.Services.GetRequiredService<PresenceService>();
        var presenceB = nodes.B.Services.GetRequiredService<PresenceService>();
        Task<MemberPresence> Presence() => nodes.A.ReadMemberAsync(tenant.Id, m => m.Id == member.Id).ContinueWith(t => t.Result.Presence);

        presenceA.Connected(tenant.Id, member.UserId);
        presenceB.Connected(tenant.Id, member.UserId);
        await Eventually.GetAsync(Presence, p => p == MemberPresence.Online, "the member to be online", Generous);

        // The tab on node A closes; the one on node B is still open.
        presenceA.Disconnected(tenant.Id, member.UserId);
        var marker = await nodes.A.MemberAsync(tenant.Id);
        presenceA.Connected(tenant.Id, marker.UserId);
        await Eventually.GetAsync(() => nodes.A.ReadMemberAsync(tenant.Id, m => m.Id == marker.Id).ContinueWith(t => t.Result.Presence),
            p => p == MemberPresence.Online, "node A to have handled the closing (a later change is written)", Generous);
        Assert.Equal(MemberPresence.Online, await Presence());

        presenceB.Disconnected(tenant.Id, member.UserId);
        await Eventually.GetAsync(Presence, p => p == MemberPresence.Offline, "the member to be offline once no node holds a connection", Generous);
        presenceA.Disconnected(tenant.Id, marker.UserId);
    }
}
