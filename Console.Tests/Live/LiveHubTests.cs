using System.Net;
using Microsoft.AspNetCore.SignalR.Client;
using HubException = Microsoft.AspNetCore.SignalR.HubException;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Live;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Live;

public class LiveHubTests(SocketAppFactory app) : IClassFixture<SocketAppFactory>
{
    private WebhookClient Webhooks => new(app.CreateClient());

    /// <summary>A tenant whose owner is signed in, with a WhatsApp conversation that a webhook for <c>customer</c> lands in.</summary>
    private async Task<(Guid TenantId, string OwnerEmail, Guid ConversationId, string PhoneNumberId, string Customer)> TenantWithConversationAsync()
    {
        var tenant = await app.TenantAsync();
        var channel = await app.ChannelAsync(tenant.Id);
        var customer = "521" + Random.Shared.NextInt64(1000000000, 9999999999);
        var conversation = await app.ConversationAsync(tenant.Id, "Ana", channel: channel, customerId: customer);
        return (tenant.Id, $"{tenant.Slug}@owner.test", conversation.Id, channel.ExternalId, customer);
    }

    private async Task CustomerWritesAsync(string phoneNumberId, string customer, string text)
    {
        var response = await Webhooks.PostMetaAsync("whatsapp",
            Deliveries.WhatsAppText(phoneNumberId, customer, "wamid." + Guid.NewGuid().ToString("N"), text, DateTimeOffset.UtcNow));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Member_sees_a_new_customer_message_in_its_inbox_and_in_the_open_conversation()
    {
        var a = await TenantWithConversationAsync();
        await using var hub = await app.HubAsync(await app.SignInAsync(a.OwnerEmail));
        await hub.Connection.InvokeAsync("JoinConversation", a.ConversationId);

        await CustomerWritesAsync(a.PhoneNumberId, a.Customer, "¿Tienen cita mañana?");

        await Eventually.TrueAsync(() => Task.FromResult(hub.Saw("conversationChanged", a.ConversationId) && hub.Saw("inboxChanged", a.ConversationId)),
            "the open conversation and the inbox to be told about the new message");
    }

    [Fact]
    public async Task Member_of_another_tenant_cannot_join_the_conversation_and_never_receives_its_changes()
    {
        var a = await TenantWithConversationAsync();
        var b = await TenantWithConversationAsync();
        await using var hubA = await app.HubAsync(await app.SignInAsync(a.OwnerEmail));
        await using var hubB = await app.HubAsync(await app.SignInAsync(b.OwnerEmail));

        var refused = await Assert.ThrowsAsync<HubException>(() => hubB.Connection.InvokeAsync("JoinConversation", a.ConversationId));
        Assert.Contains("not found", refused.Message);
        // A conversation id that exists nowhere gets the same answer: B cannot even learn that A's exists.
        var unknown = await Assert.ThrowsAsync<HubException>(() => hubB.Connection.InvokeAsync("JoinConversation", Guid.NewGuid()));
        Assert.Equal(refused.Message, unknown.Message);

        await CustomerWritesAsync(a.PhoneNumberId, a.Customer, "Mensaje para A");
        await Eventually.TrueAsync(() => Task.FromResult(hubA.Saw("inboxChanged", a.ConversationId)), "A's member to hear A's message");
        // B's own change arrives after A's on the same server: once B has it, anything of A's would have arrived too.
        await CustomerWritesAsync(b.PhoneNumberId, b.Customer, "Mensaje para B");
        await Eventually.TrueAsync(() => Task.FromResult(hubB.Saw("inboxChanged", b.ConversationId)), "B's member to hear B's message");

        Assert.DoesNotContain(hubB.Received, r => r.Change.ConversationId == a.ConversationId);
        Assert.DoesNotContain(hubA.Received, r => r.Change.ConversationId == b.ConversationId);
    }

    [Fact]
    public async Task Connection_without_sign_in_is_refused()
    {
        await using var connection = app.HubConnection(cookies: null);
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);

        await using var badKey = app.HubConnection(cookies: null, bearer: "not-a-key");
        var bad = await Assert.ThrowsAsync<HttpRequestException>(() => badKey.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
    }

    [Fact]
    public async Task Integration_with_a_tenant_API_key_receives_its_tenant_changes()
    {
        var a = await TenantWithConversationAsync();
        var key = await app.Services.GetRequiredService<ApiKeyService>().IssueAsync(a.TenantId, "live");
        await using var hub = await app.HubAsync(cookies: null, bearer: key.Key);

        await CustomerWritesAsync(a.PhoneNumberId, a.Customer, "Hola");

        await Eventually.TrueAsync(() => Task.FromResult(hub.Saw("inboxChanged", a.ConversationId)), "the integration to hear the change");
    }

    [Fact]
    public async Task An_API_key_without_the_read_scope_cannot_listen()
    {
        var a = await TenantWithConversationAsync();
        var key = await app.Services.GetRequiredService<ApiKeyService>().IssueAsync(a.TenantId, "writer only", ["write"], null,
            new ApiKeyActor("test"));
        await using var connection = app.HubConnection(cookies: null, bearer: key.Key);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync());
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task Member_is_online_while_connected_and_offline_when_the_last_connection_closes()
    {
        var tenant = await app.TenantAsync();
        var agent = await app.MemberAsync(tenant.Id);
        var email = await EmailOfAsync(agent);
        var cookies = await app.SignInAsync(email);
        Task<MemberPresence> Presence() => app.ReadMemberAsync(tenant.Id, m => m.Id == agent.Id).ContinueWith(t => t.Result.Presence);

        var presence = app.Services.GetRequiredService<PresenceService>();
        var first = await app.HubAsync(cookies);
        var second = await app.HubAsync(cookies);
        await Eventually.GetAsync(Presence, p => p == MemberPresence.Online, "the agent to be online");

        // Another tab is still open: closing one keeps the agent online.
        await first.DisposeAsync();
        await Eventually.TrueAsync(() => Task.FromResult(presence.ConnectionsHere(tenant.Id, agent.UserId) == 1), "the node to see one connection left");
        // Presence changes reach the database in order: once a colleague who connected later is online, anything
        // the closed tab would have caused has been written.
        var colleague = await app.MemberAsync(tenant.Id);
        await using (await app.HubAsync(await app.SignInAsync(await EmailOfAsync(colleague))))
        {
            await Eventually.GetAsync(() => app.ReadMemberAsync(tenant.Id, m => m.Id == colleague.Id).ContinueWith(t => t.Result.Presence),
                p => p == MemberPresence.Online, "the colleague to be online");
            Assert.Equal(MemberPresence.Online, await Presence());
        }

        await second.DisposeAsync();
        await Eventually.GetAsync(Presence, p => p == MemberPresence.Offline, "the agent to be offline once the last connection closed");
    }

    private async Task<string> EmailOfAsync(TenantMember member)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<OperatorConsole.Infrastructure.Identity.ApplicationUser>>();
        return (await users.FindByIdAsync(member.UserId.ToString()))!.Email!;
    }
}
